// Whether a script or page could give any decoder work, read from the file's bytes before any text
// is made of them. Most web files of a site hide nothing: for those the normaliser makes no latin1
// copy of the file and runs no decoder, so none of the decoders' code becomes hot in a scan worker,
// and no worker spends its time compiling it (measured with --trace-opt on 62 MiB of node_modules
// files: the compiling, which each scan worker does again, took about as long as the decoding).
// Each check here is what a decoder itself needs before it rewrites anything, or a looser form of
// it, so a file left out has nothing any decoder would find in it; a file let through is decoded
// as before, by the decoders its checks let through (the others are skipped while its text is as
// read). tests: triggers.test.ts compares each check with its decoder.
import {
  BEFORE_BLOB,
  clearlyBinary,
  DATA_URI,
  decodeAtobCalls,
  decodeBase64Blobs,
  decodeFromCharCode,
  HEAD_CHARS,
  keptBlob,
  MIN_BLOB,
} from './base64.js';
import { isAlnumCode } from '../../util/ascii.js';
import { decodeJsEscapes, decodePercent, hexValue, PercentRun } from './escapes.js';
import { decodeHtmlEntities } from './html-entities.js';
import {
  decodeJsConcat,
  decodeStringArrays,
  IIFE_TAIL,
  MAX_ROTATE_SITES,
  PUSH_REACH,
  ROTATE_REACH,
  ROTATE_WORDS,
} from './js-strings.js';
import type { NeedleScan } from './needles.js';
import { decodePacker } from './packer.js';
import type { Decoder, WebHint } from './types.js';

/**
 * Concatenations that look like hiding rather than code: literals joined inside a member access
 * (`window['Coin'+'Hive']`), or a run of three or more short fragments (`'co'+'in'+'hi'`).
 */
export const SUSPICIOUS_CONCAT = new RegExp(
  String.raw`\[\s*(?:'[^'\\\n]{0,64}'|"[^"\\\n]{0,64}")\s*\+\s*['"]` +
    String.raw`|(?:(?:'[^'\\\n]{0,6}'|"[^"\\\n]{0,6}")\s*\+\s*){2}['"]`,
);

/** Characters before a `+` searched for the start of a suspicious concatenation. */
export const CONCAT_REACH = 160;

const PLUS = 0x2b;
const BACKSLASH = 0x5c;
const PERCENT = 0x25;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isQuote(c: number): boolean {
  return c === 0x27 || c === 0x22;
}

/** normalise.ts's suspiciousConcat on the bytes: the same `+` between quotes, the same pattern. */
function suspiciousConcat(data: Buffer): boolean {
  for (let at = data.indexOf(PLUS); at >= 0; at = data.indexOf(PLUS, at + 1)) {
    let before = at - 1;
    while (before >= 0 && isSpace(data[before] as number)) before--;
    if (before < 0 || !isQuote(data[before] as number)) continue;
    let after = at + 1;
    while (after < data.length && isSpace(data[after] as number)) after++;
    if (after >= data.length || !isQuote(data[after] as number)) continue;
    const from = Math.max(0, before - CONCAT_REACH);
    if (SUSPICIOUS_CONCAT.test(data.toString('latin1', from, after + 1))) return true;
  }
  return false;
}

/** escapes.ts's escapedAlnumAt on the bytes: `\xNN`, `\u00NN`, `\u{0…NN}` of a letter or digit. */
function escapedAlnumAt(data: Buffer, at: number): boolean {
  let i = at + 1;
  let braces = false;
  const kind = data[i];
  if (kind === 0x78) i++;
  else if (kind === 0x75) {
    if (data[i + 1] === 0x7b) {
      braces = true;
      i += 2;
      while (data[i] === 0x30) i++;
    } else if (data[i + 1] === 0x30 && data[i + 2] === 0x30) i += 3;
    else return false;
  } else return false;
  if (i + 1 >= data.length) return false;
  if (braces && data[i + 2] !== 0x7d) return false;
  const high = hexValue(data[i] as number);
  const low = hexValue(data[i + 1] as number);
  return high >= 0 && low >= 0 && isAlnumCode(high * 16 + low);
}

/** Escaped letters or digits decodeJsEscapes needs before it rewrites (its MIN_ESCAPED_ALNUM). */
const MIN_ESCAPED_ALNUM = 4;

/**
 * escapes.ts's escapesAlnum on the bytes: an escaped backslash (`\\x41`, a regex's source in a
 * string) is a pair, as the decoder's pattern reads it, and escapes nothing after it.
 */
function escapesAlnum(data: Buffer): boolean {
  let found = 0;
  for (let at = data.indexOf(BACKSLASH); at >= 0; at = data.indexOf(BACKSLASH, at + 1)) {
    if (data[at + 1] === BACKSLASH) {
      at++;
      continue;
    }
    // Counted without a branch: a count first reached after the loop was compiled would throw
    // the compiled loop away.
    found += escapedAlnumAt(data, at) ? 1 : 0;
    if (found >= MIN_ESCAPED_ALNUM) return true;
  }
  return false;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** The length of the percent escape at `at` (`%41`, `%u0041`), or 0; as escapes.ts reads it. */
function percentAt(data: Buffer, at: number): number {
  if (data[at + 1] === 0x75) {
    for (let i = 2; i < 6; i++) if (at + i >= data.length || !isHex(data[at + i] as number)) return 0;
    return 6;
  }
  return at + 2 < data.length && isHex(data[at + 1] as number) && isHex(data[at + 2] as number) ? 3 : 0;
}

/** escapes.ts's densePercent (and its MIN_PERCENT) on the bytes, with the same arithmetic. */
function densePercent(data: Buffer): boolean {
  const run = new PercentRun();
  for (let at = data.indexOf(PERCENT); at >= 0; at = data.indexOf(PERCENT, at + 1)) {
    const n = percentAt(data, at);
    if (n > 0 && run.add(at, n)) return true;
  }
  return false;
}

/** Characters of a quoted blob (base64's in both alphabets), and each one's value. */
const BLOB_VALUE = new Int8Array(256).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries())
  BLOB_VALUE[c.charCodeAt(0)] = i;
BLOB_VALUE[0x2d] = 62; // - (URL-safe)
BLOB_VALUE[0x5f] = 63; // _ (URL-safe)

/** base64.ts's MIN_QUOTED. */
const MIN_QUOTED = 32;

function isBlobChar(c: number): boolean {
  return BLOB_VALUE[c] !== -1;
}

/** `'`, `"` or a backquote: what may enclose a quoted blob. */
function isBlobQuote(c: number): boolean {
  return c === 0x27 || c === 0x22 || c === 0x60;
}

/** `AGFzbQ`, a WebAssembly module's magic in base64: such a blob is kept whatever it holds. */
function startsWasm(data: Buffer, at: number): boolean {
  return (
    data[at] === 0x41 &&
    data[at + 1] === 0x47 &&
    data[at + 2] === 0x46 &&
    data[at + 3] === 0x7a &&
    data[at + 4] === 0x62 &&
    data[at + 5] === 0x51
  );
}

/**
 * base64.ts's cannotBeText on the blob data[start, end) (its `=` padding left out already): the
 * first character of each group of four says whether the group decodes to a byte text has.
 */
function cannotBeText(data: Buffer, start: number, end: number): boolean {
  if (end - start >= 6 && startsWasm(data, start)) return false;
  const limit = Math.floor(((end - start) * 3) / 4) * 0.05;
  let bad = 0;
  for (let i = start; i < end; i += 4) {
    const v = BLOB_VALUE[data[i] as number] as number;
    if (v !== 2 && v !== 3 && (v < 8 || v > 31) && ++bad > limit) return true;
  }
  return false;
}

/**
 * Whether base64.ts's quotedBlobs would find a blob that cannotBeText lets through: the same
 * search for runs of blob characters by their last character first (see quotedBlobs), on the
 * bytes. Looser than it (a quote that closed a blob may open another here), never stricter.
 */
function textBlob(data: Buffer): boolean {
  const end = data.length;
  for (let last = MIN_QUOTED; last < end;) {
    if (!isBlobChar(data[last] as number)) {
      last += MIN_QUOTED;
      continue;
    }
    const first = last - MIN_QUOTED + 1;
    let at = last - 1;
    while (at >= first && isBlobChar(data[at] as number)) at--;
    if (at >= first) {
      last = at + MIN_QUOTED;
      continue;
    }
    let start = first;
    while (start > 0 && isBlobChar(data[start - 1] as number)) start--;
    let runEnd = last + 1;
    while (runEnd < end && isBlobChar(data[runEnd] as number)) runEnd++;
    last = runEnd + MIN_QUOTED;
    const quote = start > 0 ? (data[start - 1] as number) : -1;
    if (!isBlobQuote(quote)) continue;
    let close = runEnd;
    while (close < end && close - runEnd < 3 && data[close] === 0x3d) close++;
    if (close - runEnd > 2 || close >= end || data[close] !== quote) continue;
    if (cannotBeText(data, start, runEnd)) continue;
    // A WebAssembly module is kept whatever it holds (and runs to megabytes: not decoded twice).
    if (startsWasm(data, start)) return true;
    // The few left are decoded as the decoder would (keptBlob): most are hashes or identifiers.
    const before = data.toString('latin1', Math.max(0, start - 1 - BEFORE_BLOB), start - 1);
    if (keptBlob(before, data.toString('latin1', start, close))) return true;
  }
  return false;
}

/** IIFE_TAIL without its global flag, for a yes or no. */
const IIFE_TAIL_ONCE = new RegExp(IIFE_TAIL.source);

/**
 * js-strings.ts's rotatedNames on the bytes, as far as whether it finds a name: the same sites
 * (a `shift` with a `push` just before it), the same windows after them, the same pattern.
 */
function rotation(data: Buffer): boolean {
  const search = (from: number, to: number): boolean =>
    IIFE_TAIL_ONCE.test(data.toString('latin1', from, to));
  let sites = 0;
  for (const word of ROTATE_WORDS) {
    let from = -1;
    let to = -1;
    for (
      let at = data.indexOf(word);
      at >= 0 && sites++ < MAX_ROTATE_SITES;
      at = data.indexOf(word, at + 1)
    ) {
      if (data.subarray(Math.max(0, at - PUSH_REACH), at).indexOf('push') < 0) continue;
      if (at > to) {
        if (from >= 0 && search(from, to)) return true;
        from = at;
      }
      to = Math.min(data.length, at + ROTATE_REACH);
    }
    if (from >= 0 && search(from, to)) return true;
  }
  return false;
}

/** After `at`, past JavaScript white space as a latin1 text has it (the decoders' `\s`). */
function skipSpace(data: Buffer, at: number): number {
  let i = at;
  for (
    let c = data[i];
    c === 0x20 || (c !== undefined && c >= 0x09 && c <= 0x0d) || c === 0xa0;
    c = data[++i]
  );
  return i;
}

/** The end of the JS_LITERAL (literals.ts) whose opening quote is at `at`, or -1. */
function literalEnd(data: Buffer, at: number): number {
  const quote = data[at];
  if (!isQuote(quote as number)) return -1;
  for (let i = at + 1; i < data.length; i++) {
    const c = data[i];
    if (c === quote) return i + 1;
    if (c === 0x0a) return -1;
    if (c === BACKSLASH) i++;
  }
  return -1;
}

const BASE64_ARG = Buffer.from('base64');

/**
 * Whether base64.ts's BUFFER_FROM, `Buffer.from(literal, 'base64')`, occurs: read from the bytes
 * after each `Buffer.from` (the engine's pass found one with a literal, which a bundle calling
 * Buffer.from('text') has as well).
 */
function bufferFromBase64(data: Buffer): boolean {
  for (let at = data.indexOf('Buffer.from'); at >= 0; at = data.indexOf('Buffer.from', at + 1)) {
    let i = skipSpace(data, at + 11);
    if (data[i] !== 0x28) continue;
    i = literalEnd(data, skipSpace(data, i + 1));
    if (i < 0) continue;
    i = skipSpace(data, i);
    if (data[i] !== 0x2c) continue;
    i = skipSpace(data, i + 1);
    const quote = data[i] as number;
    if (!isQuote(quote) || data[i + 7] !== quote) continue;
    if (data.compare(BASE64_ARG, 0, 6, i + 1, i + 7) !== 0) continue;
    if (data[skipSpace(data, i + 8)] === 0x29) return true;
  }
  return false;
}

/** Whether data[at, …) spells `word`. */
function spells(data: Buffer, at: number, word: Buffer): boolean {
  return (
    at >= 0 &&
    at + word.length <= data.length &&
    data.compare(word, 0, word.length, at, at + word.length) === 0
  );
}

const DECLARATIONS = ['var', 'let', 'const'].map((w) => Buffer.from(w));
const FUNCTION = Buffer.from('function');

/** Whether `name WS+` ends right before `at` for one of `words`. */
function wordsBefore(data: Buffer, at: number, words: Buffer[]): boolean {
  let i = at;
  while (i > 0 && isJsSpace(data[i - 1] as number)) i--;
  return i < at && words.some((w) => spells(data, i - w.length, w));
}

function isJsSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0xa0;
}

function isWordChar(c: number): boolean {
  return isAlnumCode(c) || c === 0x5f || c === 0x24;
}

/** After a declared name ending at `at`: `= [` and a quote (js-strings.ts's findArrays). */
function arrayAfter(data: Buffer, at: number): boolean {
  let i = skipSpace(data, at);
  if (data[i] !== 0x3d) return false;
  i = skipSpace(data, i + 1);
  if (data[i] !== 0x5b) return false;
  return isQuote(data[skipSpace(data, i + 1)] as number);
}

/**
 * Whether an array js-strings.ts's candidates would pick for its obfuscator.io name occurs: one
 * declared (`var`, `let`, `const`) under a name of OBFUSCATOR_NAME's shape (`_0x` and three hex
 * digits or more), or declared first thing in a function of such a name, as findArrays reads
 * them. Read from each `_0x`, which TypeScript's message keys (`_0x10FFFF_inclusive`) hold too.
 */
function obfuscatorArray(data: Buffer): boolean {
  for (let at = data.indexOf('_0'); at >= 0; at = data.indexOf('_0', at + 1)) {
    if (((data[at + 2] ?? 0) | 0x20) !== 0x78) continue;
    let end = at + 3;
    while (end < data.length && hexValue(data[end] as number) >= 0) end++;
    if (end - at < 6 || isWordChar(data[end] as number)) continue;
    if (wordsBefore(data, at, DECLARATIONS) && arrayAfter(data, end)) return true;
    if (wordsBefore(data, at, [FUNCTION]) && wrappedArray(data, end)) return true;
  }
  return false;
}

/** After a function's name ending at `at`: `() {` and a declaration of an array (obfuscatorArray). */
function wrappedArray(data: Buffer, at: number): boolean {
  let i = skipSpace(data, at);
  if (data[i] !== 0x28) return false;
  i = skipSpace(data, i + 1);
  if (data[i] !== 0x29) return false;
  i = skipSpace(data, i + 1);
  if (data[i] !== 0x7b) return false;
  i = skipSpace(data, i + 1);
  const word = DECLARATIONS.find((w) => spells(data, i, w));
  if (!word || !isJsSpace(data[i + word.length] as number)) return false;
  i = skipSpace(data, i + word.length);
  const name = i;
  while (i < data.length && isWordChar(data[i] as number)) i++;
  return i > name && arrayAfter(data, i);
}

/** Characters of a data: URI's base64 (the standard alphabet only, as base64.ts's dataUriEnd). */
function isDataChar(c: number): boolean {
  return BLOB_VALUE[c] !== -1 && c !== 0x2d && c !== 0x5f;
}

/**
 * Whether base64.ts's base64Blobs would take a data: URI's blob: the same head test for an inline
 * image or font, and at least MIN_BLOB characters of base64 after it. Its end is not looked for
 * (an embedded WebAssembly module runs to megabytes): what the blob holds is the decoder's to tell.
 */
function dataUri(data: Buffer): boolean {
  for (let at = data.indexOf(DATA_URI); at >= 0; at = data.indexOf(DATA_URI, at + 1)) {
    const from = at + DATA_URI.length;
    if (clearlyBinary(data.toString('latin1', from, from + 2 * HEAD_CHARS + 1))) continue;
    let end = from;
    while (end < data.length && end - from < MIN_BLOB && isDataChar(data[end] as number)) end++;
    if (end - from >= MIN_BLOB) return true;
  }
  return false;
}

/** The decoders that may find work in a file, none when nothing in it needs decoding. */
export type Candidates = ReadonlySet<Decoder>;

/**
 * The decoders that could rewrite or decode something in `data`, a file of kind `hint`, whose
 * words and shapes the engine's pass found (`scan`); undefined when any of them may (PHP, files of
 * unknown kind, no engine): PHP's chains are matched in any case and by name, which nothing here
 * reads. Each one is asked only as far as it must be: a bundle holding `atob(x)` is no reason to
 * look for its quoted base64.
 */
export function candidates(
  data: Buffer,
  hint: WebHint,
  scan: NeedleScan | undefined,
): Candidates | undefined {
  if (hint === 'php' || hint === 'unknown' || !scan) return undefined;
  const out = new Set<Decoder>();
  // One call site for every check: it sees too many functions to inline any, so each check is
  // compiled once, on its own, instead of again inside this function and inside normaliseWeb (a
  // scan worker spent more time compiling those merged copies than running them).
  for (const [decoder, check] of CHECKS) if (check(data, scan, hint)) out.add(decoder);
  return out;
}

type Check = (data: Buffer, scan: NeedleScan, hint: WebHint) => boolean;

/** What each decoder needs at the least, in the order of the decoders. */
const CHECKS: [Decoder, Check][] = [
  [decodeHtmlEntities, (data, _scan, hint) => hint === 'html' && data.indexOf('&#') >= 0],
  [
    decodeStringArrays,
    (data, { has, gates }) =>
      ((has('_0x') || has('_0X')) && obfuscatorArray(data)) || (gates.has('g_rotation') && rotation(data)),
  ],
  [decodePacker, (_data, { gates }) => gates.has('g_packer')],
  [decodeJsEscapes, escapesAlnum],
  [decodePercent, densePercent],
  [
    decodeAtobCalls,
    (data, { gates }) => gates.has('g_atob') || (gates.has('g_buffer') && bufferFromBase64(data)),
  ],
  [decodeFromCharCode, (_data, { gates }) => gates.has('g_charcodes') || gates.has('g_mapped')],
  [decodeJsConcat, suspiciousConcat],
  [decodeBase64Blobs, (data, { has }) => textBlob(data) || (has(DATA_URI) && dataUri(data))],
];
