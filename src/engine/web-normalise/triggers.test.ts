// The byte-level look before decoding must never turn a decoder away from a file it has work in:
// on obfuscated samples of every technique and on real bundles, each decoder it leaves out finds
// nothing in the file's text, and a clean bundle's scripts leave most decoders out.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodePercent } from './escapes.js';
import { scanNeedleWords } from './needles.js';
import { decodeJsConcat } from './js-strings.js';
import { PAGE_DECODERS, normaliseWeb, suspiciousConcat } from './normalise.js';
import { MINER_LOADER, b64, hexEscape, obfuscatedLoader, pack, wasmExporting } from './test-helpers.js';
import { candidates } from './triggers.js';
import { Budget, DEFAULT_NORMALISE_LIMITS, type Decoder, type WebHint } from './types.js';

const SAMPLES: [string, string, WebHint][] = [
  ['string array', obfuscatedLoader({ style: 'checksum', rotation: 3 }), 'js'],
  ['rotated string array', obfuscatedLoader({ style: 'literal', rotation: 5, encoding: 'base64' }), 'js'],
  ['packer', pack(MINER_LOADER), 'js'],
  ['hex escapes', `var s = "${hexEscape('CoinHive.Anonymous')}";`, 'js'],
  [
    'percent',
    `eval(unescape('${[...'CoinHive.Anonymous'].map((c) => '%' + c.charCodeAt(0).toString(16)).join('')}'));`,
    'js',
  ],
  ['atob', `document.write(atob('${b64(MINER_LOADER)}'));`, 'js'],
  ['member atob', `window [ 'atob' ] ( "${b64(MINER_LOADER)}" )`, 'js'],
  ['Buffer.from', `eval(Buffer.from("${b64(MINER_LOADER)}", 'base64').toString())`, 'js'],
  [
    'char codes',
    `eval(String.fromCharCode(${[...MINER_LOADER].map((c) => c.charCodeAt(0)).join(',')}))`,
    'js',
  ],
  [
    'mapped char codes',
    `[99,111,105,110].map(function (c) { return String.fromCharCode(c); }).join('')`,
    'js',
  ],
  [
    'string array declared under its name',
    `var _0x3c4d = [ 'Coin', 'Hive', 'start' ]; new window[_0x3c4d[0x0] + _0x3c4d[0x1]]();`,
    'js',
  ],
  ['concat', `window['Coin'+'Hive']; var m = 'mi'+'ne'+'r';`, 'js'],
  ['quoted base64', `var p = '${b64(MINER_LOADER)}';`, 'js'],
  ['data URI', `import('data:text/javascript;base64,${b64(MINER_LOADER)}')`, 'js'],
  ['wasm', `var w = "data:application/wasm;base64,${b64(wasmExporting('cryptonight_hash'))}";`, 'js'],
  ['entities', `<p>${[...'<script src=x>'].map((c) => `&#${c.charCodeAt(0)};`).join('')}</p>`, 'html'],
];

const nodeModules = (p: string): string =>
  fileURLToPath(new URL(`../../../node_modules/${p}`, import.meta.url));
const BUNDLES = [
  '@zip.js/zip.js/index.min.js',
  'ajv/dist/ajv.min.js',
  'js-yaml/dist/js-yaml.min.js',
  'esquery/dist/esquery.min.js',
  'prettier/plugins/typescript.js',
  'vitest/dist/index.js',
].filter((p) => existsSync(nodeModules(p)));

function candidatesOf(data: Buffer, hint: WebHint): ReadonlySet<Decoder> | undefined {
  return candidates(
    data,
    hint,
    scanNeedleWords(data, () => data.toString('latin1'), false),
  );
}

/** The decoders a file's look left out, each of which must find nothing in its text. */
function leftOutFinding(data: Buffer, hint: WebHint): string[] {
  const only = candidatesOf(data, hint);
  if (!only) return [];
  const text = data.toString('latin1');
  const found: string[] = [];
  for (const decode of PAGE_DECODERS) {
    if (only.has(decode)) continue;
    // Folding concatenations is a round's decision (normalise.ts), on the file taken as it is.
    if (decode === decodeJsConcat) {
      if (suspiciousConcat(text)) found.push(decode.name);
      continue;
    }
    const budget = new Budget(DEFAULT_NORMALISE_LIMITS, 8 * 1024 * 1024);
    if (decode(text, budget).length > 0) found.push(decode.name);
  }
  return found;
}

describe('candidates', () => {
  it.each(SAMPLES)(
    'lets the decoder of %s through, and what it leaves out finds nothing',
    (_n, code, hint) => {
      const data = Buffer.from(code, 'latin1');
      expect(candidatesOf(data, hint)?.size).toBeGreaterThan(0);
      expect(leftOutFinding(data, hint)).toEqual([]);
      // The same sample appended to clean code is decoded as before.
      expect(normaliseWeb(data, hint).layers.length).toBeGreaterThan(0);
    },
  );

  it.skipIf(BUNDLES.length === 0)('leaves out only decoders that find nothing in real bundles', () => {
    for (const p of BUNDLES) {
      const data = readFileSync(nodeModules(p));
      expect([p, leftOutFinding(data, 'js')]).toEqual([p, []]);
    }
  });

  it('leaves out the look-alikes of clean bundles that once let decoders through', () => {
    // What node_modules' largest bundles hold: each shape below once made the file's text be
    // made and a decoder run for nothing (TypeScript's message keys, spreads of char codes, a
    // Buffer.from of text and another of a variable in base64, escaped backslashes in a regex's
    // source, \u{…} code points past 0xff, URL escapes spread over a bundle, hashes in quotes).
    const clean = [
      'var d = { Hexadecimal_escape_value_must_be_between_0x0_and_0x10FFFF_inclusive: 1198 };',
      'var _0x1a2bzz = ["a", "b", "c"]; const _0xabc = compute(); function _0xdef(a) { var x = [1]; }',
      'return String.fromCharCode(...codes) + String.fromCharCode.apply(null, list) + String.fromCharCode(55296 | c >> 10, 56320);',
      'var s = [65].map((c) => String.fromCharCode(c)).join("");',
      'Buffer.from("--" + b); Buffer.from(""); Buffer.from(event.data, "base64");',
      'var re = new RegExp("\\\\x41\\\\x42\\\\u0043\\\\u{44}"); var cjk = /[\\u{305}\\u{3041}\\u{4e00}\\u{30ff}]/u;',
      `var a = "a%20b"; ${'x'.repeat(30)} "c%2Fd" ${'y'.repeat(30)} "e%3F" ${'z'.repeat(30)} "%41" + "%42" ${'w'.repeat(40)} "%43%44";`,
      'var h = "sha512-Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4"; var k = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEF";',
    ];
    for (const code of clean) {
      const data = Buffer.from(code, 'latin1');
      expect([code, [...(candidatesOf(data, 'js') ?? [])].map((d) => d.name)]).toEqual([code, []]);
      expect(leftOutFinding(data, 'js')).toEqual([]);
    }
  });

  it('lets percent-encoding through whenever decodePercent rewrites, on random texts', () => {
    const pieces = ['%41', '%u0041', '%4', '%', 'ab', 'c', ' ', "'", '"', '\\', '\n', '%zz', '%6e'];
    let seed = 11;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648);
    let rewritten = 0;
    for (let n = 0; n < 4000; n++) {
      let text = "'";
      const count = 6 + (next() % 30);
      for (let i = 0; i < count; i++) text += pieces[next() % pieces.length];
      text += next() % 2 ? "'" : '"';
      if (decodePercent(text).length === 0) continue;
      rewritten++;
      expect([text, candidatesOf(Buffer.from(text, 'latin1'), 'js')?.has(decodePercent)]).toEqual([
        text,
        true,
      ]);
    }
    expect(rewritten).toBeGreaterThan(50);
  });

  it('makes no decoder run on a clean script, and PHP always goes through every decoder', () => {
    const clean = Buffer.from('function add(a, b) { return a + b; } console.log(add(1, 2), "done");');
    expect(candidatesOf(clean, 'js')?.size).toBe(0);
    expect(normaliseWeb(clean, 'js').layers).toEqual([]);
    expect(candidatesOf(clean, 'php')).toBeUndefined();
  });
});
