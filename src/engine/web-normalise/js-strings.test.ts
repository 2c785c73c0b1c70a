// Tests the string-array resolver on obfuscator.io-shaped scripts the test builds itself (both
// rotation styles, hex-escaped and base64-encoded items), run once in a vm sandbox to prove each
// sample is equivalent to its plain source; and the concatenation folding and expression evaluator.
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseExpr } from './js-expr.js';
import { decodeJsConcat, decodeStringArrays } from './js-strings.js';
import { obfuscateStrings } from './test-helpers.js';
import { Budget, DEFAULT_NORMALISE_LIMITS } from './types.js';

const budget = (): Budget => new Budget(DEFAULT_NORMALISE_LIMITS, 8 << 20);

const PLAIN =
  "var out = []; out['push']('CoinHive'); out['push']('setThrottle'); globalThis['result'] = out['join']('.');";

/** What the script leaves in globalThis.result, run in a fresh context. */
function run(code: string): unknown {
  const ctx = vm.createContext({});
  vm.runInContext(code, ctx, { timeout: 1000 });
  return (ctx as { result?: unknown }).result;
}

describe('decodeStringArrays', () => {
  it.each([
    ['checksum rotation (obfuscator.io 2.x)', { style: 'checksum', rotation: 3 }],
    ['literal rotation count (older obfuscator.io)', { style: 'literal', rotation: 5 }],
    ['checksum rotation with base64-encoded items', { style: 'checksum', rotation: 4, encoding: 'base64' }],
    ['literal rotation with base64-encoded items', { style: 'literal', rotation: 2, encoding: 'base64' }],
  ] as const)('resolves %s', (_name, opts) => {
    const obf = obfuscateStrings(PLAIN, opts);
    expect(run(obf)).toBe('CoinHive.setThrottle');
    expect(obf).not.toContain('CoinHive');
    const steps = decodeStringArrays(obf, budget());
    expect(steps.map((s) => s.technique)).toEqual(['js-string-array']);
    const text = steps[0]?.text ?? '';
    expect(text).toContain("out.push('CoinHive')");
    expect(text).toContain("out.push('setThrottle')");
    expect(text).toContain(".join('.')");
    // Every replacement is recorded, and each points at the string it put back.
    expect(steps[0]?.spans.length).toBeGreaterThan(0);
    for (const [a, b] of steps[0]?.spans ?? []) expect(text.slice(a, b)).toMatch(/^(\.\w+|'[^']*')$/);
  });

  it('lists the strings of an array whose rotation it cannot read', () => {
    const obf = obfuscateStrings(PLAIN, { style: 'checksum', rotation: 3 }).replace(
      /\(_0x1a2b,0x[0-9a-f]+\)\)/,
      '(_0x1a2b,0x7b))',
    );
    const steps = decodeStringArrays(obf, budget());
    expect(steps.map((s) => s.technique)).toEqual(['js-string-array-items']);
    expect(steps[0]?.text.split('\n')).toEqual(expect.arrayContaining(['CoinHive', 'setThrottle']));
  });

  it('leaves an ordinary array of strings alone', () => {
    const code = "var names=['alpha','beta','gamma'];function pick(i){return names[i];}console.log(pick(1));";
    expect(decodeStringArrays(code, budget())).toEqual([]);
  });

  it('replaces direct indexing of an obfuscator-named array without a lookup function', () => {
    const code =
      "var _0x9a1f=['log','\\x43oinHive','\\x2eAnonymous'];console[_0x9a1f[0x0]](_0x9a1f[0x1]+_0x9a1f[0x2]);";
    const text = decodeStringArrays(code, budget())[0]?.text;
    expect(text).toContain("console.log('CoinHive'+'.Anonymous')");
  });
});

describe('decodeJsConcat', () => {
  it('folds string concatenations and turns bracketed names into member access', () => {
    const code = "var m=new window['Coin'+'Hive']['Anon'+'ymous']('k');m['start']();x['default']=1;";
    const steps = decodeJsConcat(code);
    expect(steps[0]?.text).toBe("var m=new window.CoinHive.Anonymous('k');m.start();x['default']=1;");
  });

  it('keeps array literals as arrays, and ignores a text with a single fold', () => {
    expect(decodeJsConcat("var a=['a'+'b','c'+'d'];")[0]?.text).toBe("var a=['ab','cd'];");
    expect(decodeJsConcat("var a='a'+'b';")).toEqual([]);
  });
});

describe('parseExpr', () => {
  it("computes obfuscator.io's checksum arithmetic as JavaScript would", () => {
    const src = "parseInt(f(0x1))/0x1*(-parseInt(f(0x2))/0x2)+parseInt('77abc')/0x3+-0x5*2%3";
    const items: Record<number, string> = { 1: '1352704rTmbQA', 2: '24hGkVtu' };
    const expr = parseExpr(src, new Set(['f']));
    const value = expr?.((_name, args) => items[Number(args[0])] ?? '');
    expect(value).toBe((1352704 / 1) * (-24 / 2) + 77 / 3 + ((-0x5 * 2) % 3));
  });

  it('refuses names and syntax it does not know', () => {
    expect(parseExpr('alert(1)')).toBeUndefined();
    expect(parseExpr('a.b')).toBeUndefined();
    expect(parseExpr('1 +')).toBeUndefined();
  });
});
