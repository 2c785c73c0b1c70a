// Tests the base64 and character-code decoders: atob / Buffer.from calls and String.fromCharCode
// lists are replaced in place, long base64 strings are listed beside the text, a base64 WebAssembly
// module comes out as bytes, and binary or non-base64 strings are left alone.
import { describe, expect, it } from 'vitest';
import {
  cannotBeText,
  decodeAtobCalls,
  decodeBase64,
  decodeBase64Blobs,
  decodeFromCharCode,
  quotedBlobs,
} from './base64.js';
import { looksLikeText } from './literals.js';
import { b64, wasmExporting } from './test-helpers.js';
import { Budget, DEFAULT_NORMALISE_LIMITS } from './types.js';

const budget = (): Budget => new Budget(DEFAULT_NORMALISE_LIMITS, 8 << 20);
const LOADER = "var m = new CoinHive.Anonymous('KEY', {throttle: 0.3}); m.start();";

describe('decodeBase64', () => {
  it('accepts standard and URL-safe base64 and nothing else', () => {
    expect(decodeBase64(b64('hello world'))?.toString()).toBe('hello world');
    expect(decodeBase64(Buffer.from('??>>').toString('base64url'))?.toString()).toBe('??>>');
    expect(decodeBase64('not base64 at all!')).toBeUndefined();
    expect(decodeBase64('abcde')).toBeUndefined();
  });
});

describe('decodeAtobCalls', () => {
  it('replaces atob, window["atob"] and Buffer.from(…, "base64") calls by their text', () => {
    const code = `Function(atob('${b64(LOADER)}'))(); window["atob"]("${b64('<b>hello</b>')}"); self.atob('${b64('hello')}'); Buffer.from('${b64('abc def')}', 'base64').toString();`;
    const [step] = decodeAtobCalls(code);
    expect(step?.technique).toBe('atob');
    expect(step?.text).toBe(`Function("${LOADER}")(); '<b>hello</b>'; 'hello'; 'abc def';`);
  });

  it('leaves binary payloads in place and hands a WebAssembly module over as bytes', () => {
    const wasm = wasmExporting('cryptonight_hash');
    const steps = decodeAtobCalls(
      `var png = atob('${b64(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 4, 5]))}'); var w = atob("${b64(wasm)}");`,
    );
    expect(steps.map((s) => s.technique)).toEqual(['base64-wasm']);
    expect(steps[0]?.bytes?.equals(wasm)).toBe(true);
  });
});

describe('decodeFromCharCode', () => {
  it('decodes the call, apply, spread and map/join shapes', () => {
    const codes = [...'coinhive'].map((c) => c.charCodeAt(0));
    const hex = codes.map((c) => '0x' + c.toString(16)).join(',');
    const code = [
      `a(String.fromCharCode(${codes.join(', ')}));`,
      `b(String.fromCharCode.apply(null, [${hex}]));`,
      `c(String.fromCharCode(...[${codes.join(',')}]));`,
      `d([${codes.join(',')}].map(function(x){return String.fromCharCode(x)}).join(''));`,
      `e([${codes.join(',')}].map((x) => String.fromCharCode(x)).join(""));`,
      'f(String.fromCharCode(65));',
    ].join('\n');
    const text = decodeFromCharCode(code)[0]?.text;
    expect(text).toBe(
      [
        "a('coinhive');",
        "b('coinhive');",
        "c('coinhive');",
        "d('coinhive');",
        "e('coinhive');",
        'f(String.fromCharCode(65));',
      ].join('\n'),
    );
  });
});

describe('decodeBase64Blobs', () => {
  it('lists long base64 strings that decode to text, and data: URIs', () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0h24v24H0z"/></svg>';
    const code = `var p = "${b64(LOADER)}"; img.src = "data:image/svg+xml;base64,${b64(svg)}"; var z = "${b64(Buffer.alloc(48, 7))}";`;
    const [step] = decodeBase64Blobs(code, budget());
    expect(step?.technique).toBe('base64');
    expect(step?.text).toBe(`${LOADER}\n${svg}`);
    expect(step?.spans).toEqual([
      [0, LOADER.length],
      [LOADER.length + 1, LOADER.length + 1 + svg.length],
    ]);
  });

  it('leaves the argument of an atob call to that call', () => {
    expect(decodeBase64Blobs(`eval(atob('${b64(LOADER)}'))`, budget())).toEqual([]);
  });

  it('hands an embedded WebAssembly module over as bytes', () => {
    const wasm = wasmExporting('randomx_calculate_hash');
    const steps = decodeBase64Blobs(
      `const WASM = '${b64(wasm)}'; WebAssembly.instantiate(fromBase64(WASM));`,
      budget(),
    );
    expect(steps.map((s) => s.technique)).toEqual(['base64-wasm']);
    expect(steps[0]?.bytes?.equals(wasm)).toBe(true);
  });
});

describe('quotedBlobs', () => {
  /** What the search stands in for: the pattern it replaced, tried at every position. */
  const PATTERN = /(['"`])([A-Za-z0-9+/_-]{32,}={0,2})\1/g;
  const byPattern = (text: string): { index: number; value: string }[] =>
    [...text.matchAll(PATTERN)].map((m) => ({ index: m.index, value: m[2] as string }));
  const inOrder = (found: { index: number; value: string }[]): { index: number; value: string }[] =>
    [...found].sort((a, b) => a.index - b.index);

  it('finds long base64 between like quotes, with up to two = of padding', () => {
    const long = 'QUJD'.repeat(8);
    const text = `a('${long}'); b("${long}=="); c(\`${long}-_\`); d('${long}==='); e('${long}"); f('short')`;
    expect(inOrder(quotedBlobs(text))).toEqual(byPattern(text));
    expect(quotedBlobs(text).map((b) => b.value)).toEqual([long, `${long}==`, `${long}-_`]);
  });

  it('finds what the pattern finds in text made of quotes, padding and base64 runs', () => {
    // Pieces chosen to meet at the edges the pattern cares about: quotes opening and closing
    // blobs, runs around 32 characters, padding of one to three =, and other characters.
    const pieces = ["'", '"', '`', '=', '==', 'A'.repeat(31), 'B'.repeat(32), 'c+/-_'.repeat(8), ' ', '.'];
    let seed = 15;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let n = 0; n < 2000; n++) {
      let text = '';
      const count = 1 + (next() % 12);
      for (let i = 0; i < count; i++) text += pieces[next() % pieces.length];
      expect(inOrder(quotedBlobs(text)), text).toEqual(byPattern(text));
    }
  });
});

describe('cannotBeText', () => {
  it('turns down identifiers and message keys, never a blob that decodes to text or a module', () => {
    expect(cannotBeText('Cannot_find_name_0_Did_you_mean_1_2552')).toBe(true);
    expect(cannotBeText('abcdefghijklmnopqrstuvwxyz0123456789')).toBe(true);
    expect(cannotBeText(b64(LOADER))).toBe(false);
    expect(cannotBeText(Buffer.from(LOADER).toString('base64url'))).toBe(false);
    expect(cannotBeText(b64(`\t${LOADER}\r\n`))).toBe(false);
    expect(cannotBeText(wasmExporting('mine').toString('base64'))).toBe(false);
  });

  it('agrees with decoding: whatever it turns down does not read as text once decoded', () => {
    // Base64 strings mixing text-like groups with others, around looksLikeText's 95% line.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_';
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    let turnedDown = 0;
    for (let n = 0; n < 3000; n++) {
      const text = Array.from({ length: 20 + (next() % 60) }, () =>
        next() % 40 === 0 ? String.fromCharCode(next() % 256) : String.fromCharCode(0x20 + (next() % 95)),
      ).join('');
      let value = Buffer.from(text, 'latin1').toString(next() % 2 ? 'base64' : 'base64url');
      // Now and then a group is replaced by arbitrary characters.
      if (next() % 3 === 0) {
        const at = 4 * (next() % Math.floor(value.length / 4));
        value = value.slice(0, at) + alphabet[next() % 64] + value.slice(at + 1);
      }
      const bytes = decodeBase64(value);
      if (!bytes) continue;
      if (cannotBeText(value)) {
        turnedDown++;
        expect(looksLikeText(bytes.toString('latin1')), value).toBe(false);
      }
    }
    // The check does turn some down, or it would be no shortcut.
    expect(turnedDown).toBeGreaterThan(100);
  });
});
