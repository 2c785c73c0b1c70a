// Undoes the encodings that turn a loader into an opaque blob: atob(…) / Buffer.from(…,'base64')
// calls and String.fromCharCode(…) lists are replaced in place by what they produce; long base64
// strings and data: URIs elsewhere are decoded beside the text, and a decoded WebAssembly module is
// handed over as bytes so the WASM rules read it as they would a .wasm file.
import {
  JS_LITERAL,
  jsNumber,
  jsStringValue,
  looksLikeText,
  printableRatio,
  replaceRanges,
  wrapLiteral,
} from './literals.js';
import { searchText, type Has } from './needles.js';
import type { Budget, DecodeStep } from './types.js';

const WASM_MAGIC = Buffer.from([0x00, 0x61, 0x73, 0x6d]);

/**
 * Strict base64 (standard or URL-safe alphabet, whitespace allowed): undefined for anything else,
 * since Node's own decoder skips stray characters and would turn any word into bytes.
 */
export function decodeBase64(s: string): Buffer | undefined {
  const compact = s.replace(/\s+/g, '');
  if (compact.length < 4 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(compact)) return undefined;
  if (compact.replace(/=+$/, '').length % 4 === 1) return undefined;
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

/**
 * A blob base64Blobs found, whose characters are base64's by how it was found (no white space, no
 * stray character): decoded without decodeBase64's checks, which read a megabyte blob three times.
 */
function decodeBlob(value: string): Buffer | undefined {
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
  if (end % 4 === 1) return undefined;
  return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
}

export function isWasm(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.subarray(0, 4).equals(WASM_MAGIC);
}

/** After the name `atob`: the call with a literal argument. Tried where the name occurs. */
const ATOB_CALL = new RegExp(String.raw`\s*\(\s*(${JS_LITERAL})\s*\)`, 'y');
/** `['atob']` / `["atob"]`, the name written as a member: what follows the name in that case. */
const ATOB_MEMBER_END = /(['"])\s*\]/y;
const BUFFER_FROM = new RegExp(
  String.raw`Buffer\.from\s*\(\s*(${JS_LITERAL})\s*,\s*(['"])base64\2\s*\)(?:\s*\.toString\s*\(\s*(?:'[\w-]*'|"[\w-]*")?\s*\))?`,
  'y',
);

const WORD = /[\w]/;

/** Whether the character before `at` is a word character: `xatob(` is another name. */
function wordBefore(text: string, at: number): boolean {
  return at > 0 && WORD.test(text[at - 1] as string);
}

/** Where white space before `at` begins. */
function skipSpaceBack(text: string, at: number): number {
  let i = at;
  while (i > 0 && /\s/.test(text[i - 1] as string)) i--;
  return i;
}

interface Call {
  start: number;
  end: number;
  literal: string;
}

/**
 * `atob('…')`, `x.atob('…')`, `w['atob']('…')` at an occurrence of the name: where the expression
 * starts (before its receiver, see receiverStart) and ends, and its literal.
 */
function atobCallAt(text: string, at: number): Call | undefined {
  const q = text[at - 1];
  if (q === "'" || q === '"') {
    // The member form: `[ 'atob' ]` around the name.
    const open = skipSpaceBack(text, at - 1) - 1;
    ATOB_MEMBER_END.lastIndex = at + 4;
    const close = ATOB_MEMBER_END.exec(text);
    if (text[open] === '[' && close?.[1] === q) {
      const call = callAfter(text, ATOB_MEMBER_END.lastIndex);
      if (call) return { ...call, start: receiverStart(text, open) };
    }
  }
  if (wordBefore(text, at)) return undefined;
  const call = callAfter(text, at + 4);
  if (!call) return undefined;
  const dot = skipSpaceBack(text, at) - 1;
  return { ...call, start: text[dot] === '.' ? receiverStart(text, dot) : at };
}

/** The `('…')` of a call at `pos`: its end and literal. */
function callAfter(text: string, pos: number): Omit<Call, 'start'> | undefined {
  ATOB_CALL.lastIndex = pos;
  const m = ATOB_CALL.exec(text);
  return m ? { end: ATOB_CALL.lastIndex, literal: m[1] as string } : undefined;
}

function bufferFromAt(text: string, at: number): Call | undefined {
  if (wordBefore(text, at)) return undefined;
  BUFFER_FROM.lastIndex = at;
  const m = BUFFER_FROM.exec(text);
  return m ? { start: at, end: BUFFER_FROM.lastIndex, literal: m[1] as string } : undefined;
}

/**
 * Every decoding call in the text, in order: found from the occurrences of the names, which a
 * bundle without such calls holds few of (a pattern tried at each `.` and `[` cost far more).
 */
function decodingCalls(text: string, has: Has): Call[] {
  const calls: Call[] = [];
  for (const [name, at] of [
    ['atob', atobCallAt],
    ['Buffer.from', bufferFromAt],
  ] as const) {
    if (!has(name)) continue;
    let end = 0;
    for (let i = text.indexOf(name); i >= 0; i = text.indexOf(name, i + 1)) {
      if (i < end) continue; // inside the literal of the call just read
      const call = at(text, i);
      if (!call) continue;
      calls.push(call);
      end = call.end;
    }
  }
  return calls.sort((x, y) => x.start - y.start);
}

/**
 * Where the call really starts: `window.atob(`, `w['atob'](` take their receiver along, so the
 * decoded text replaces the whole expression.
 */
function receiverStart(text: string, at: number): number {
  if (text[at] !== '.' && text[at] !== '[') return at;
  let i = at;
  while (i > 0 && /\s/.test(text[i - 1] as string)) i--;
  let j = i;
  while (j > 0 && /[\w$]/.test(text[j - 1] as string) && i - j < 64) j--;
  return j < i ? j : at;
}

/** atob("…") and Buffer.from("…", "base64") with a literal argument, replaced by the decoded text. */
export function decodeAtobCalls(text: string, _budget?: Budget, has: Has = searchText(text)): DecodeStep[] {
  const wasm: DecodeStep[] = [];
  const ranges: { start: number; end: number; value: string }[] = [];
  for (const call of decodingCalls(text, has)) {
    const bytes = decodeBase64(jsStringValue(call.literal));
    if (!bytes) continue;
    if (isWasm(bytes)) {
      wasm.push(wasmStep(bytes));
      continue;
    }
    const decoded = bytes.toString('latin1');
    if (looksLikeText(decoded))
      ranges.push({ start: call.start, end: call.end, value: wrapLiteral(decoded) });
  }
  if (ranges.length === 0) return wasm;
  const r = replaceRanges(text, ranges);
  return [{ technique: 'atob', text: r.text, spans: r.spans, edits: r.edits }, ...wasm];
}

const NUM_LIST = String.raw`(?:0x[0-9a-fA-F]+|\d+)(?:\s*,\s*(?:0x[0-9a-fA-F]+|\d+))*`;

/** `String.fromCharCode(…)` with a literal list: the shapes that start with the name itself. */
const FROM_CHAR_CODE = new RegExp(
  [
    String.raw`String\.fromCharCode\s*\(\s*(${NUM_LIST})\s*\)`,
    String.raw`String\.fromCharCode\.apply\s*\(\s*[\w$.]+\s*,\s*\[\s*(${NUM_LIST})\s*\]\s*\)`,
    String.raw`String\.fromCharCode\s*\(\s*\.\.\.\s*\[\s*(${NUM_LIST})\s*\]\s*\)`,
  ].join('|'),
  'y',
);

/** `[99,111,…].map(c => String.fromCharCode(c)).join('')`: the list comes before the name. */
const MAPPED_CHAR_CODES = new RegExp(
  String.raw`\[\s*(${NUM_LIST})\s*\]\s*\.map\s*\(\s*(?:function\s*\(\s*([\w$]+)\s*\)\s*\{\s*return\s+String\.fromCharCode\s*\(\s*\2\s*\)\s*;?\s*\}|\(?\s*([\w$]+)\s*\)?\s*=>\s*String\.fromCharCode\s*\(\s*\3\s*\))\s*\)\s*\.join\s*\(\s*(?:''|"")\s*\)`,
  'y',
);

/** How far before the name a mapped list's `.map` may be: `.map(function (c) { return `. */
const MAP_REACH = 120;

/** Characters of a list of numbers, written in decimal or hex, with its commas and spaces. */
function inNumberList(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x61 && c <= 0x66) ||
    (c >= 0x41 && c <= 0x46) ||
    c === 0x78 ||
    c === 0x58 ||
    c === 0x2c ||
    c === 0x20 ||
    c === 0x09 ||
    c === 0x0a ||
    c === 0x0d
  );
}

/** The `[` of the list a `.map` before `at` maps, or -1. */
function mappedListStart(text: string, at: number): number {
  // Within reach only: a lastIndexOf over the whole text would read back to its start each time.
  const from = Math.max(0, at - MAP_REACH);
  const near = text.slice(from, at).lastIndexOf('.map');
  if (near < 0) return -1;
  const map = from + near;
  let i = skipSpaceBack(text, map) - 1;
  if (text[i] !== ']') return -1;
  while (i > 0 && inNumberList(text.charCodeAt(i - 1))) i--;
  return text[i - 1] === '[' ? i - 1 : -1;
}

/** The character-code call at an occurrence of `String.fromCharCode`: its extent and list. */
function charCodesAt(text: string, at: number): { start: number; end: number; list: string } | undefined {
  FROM_CHAR_CODE.lastIndex = at;
  const m = FROM_CHAR_CODE.exec(text);
  if (m) return { start: at, end: FROM_CHAR_CODE.lastIndex, list: (m[1] ?? m[2] ?? m[3]) as string };
  const open = mappedListStart(text, at);
  if (open < 0) return undefined;
  MAPPED_CHAR_CODES.lastIndex = open;
  const mapped = MAPPED_CHAR_CODES.exec(text);
  return mapped ? { start: open, end: MAPPED_CHAR_CODES.lastIndex, list: mapped[1] as string } : undefined;
}

/** Fewer codes than this are ordinary code (String.fromCharCode(65)), not a hidden string. */
const MIN_CHAR_CODES = 4;

/**
 * Character-code lists turned into strings, replaced by the string. Found from the occurrences of
 * `String.fromCharCode`, which every shape spells out (a pattern tried at each `[` cost far more).
 */
export function decodeFromCharCode(
  text: string,
  _budget?: Budget,
  has: Has = searchText(text),
): DecodeStep[] {
  if (!has('String.fromCharCode')) return [];
  const ranges: { start: number; end: number; value: string }[] = [];
  let end = 0;
  const name = 'String.fromCharCode';
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
    if (at < end) continue;
    const call = charCodesAt(text, at);
    if (!call || call.start < end) continue;
    end = call.end;
    const codes = call.list.split(',').map((n) => jsNumber(n.trim()));
    if (codes.length < MIN_CHAR_CODES || codes.some((c) => !(c >= 0 && c <= 0xffff))) continue;
    ranges.push({ start: call.start, end: call.end, value: wrapLiteral(String.fromCharCode(...codes)) });
  }
  if (ranges.length === 0) return [];
  const r = replaceRanges(text, ranges);
  return [{ technique: 'fromCharCode', text: r.text, spans: r.spans, edits: r.edits }];
}

/** The data: URI marker; the base64 text after it is read by dataUriEnd. */
export const DATA_URI = ';base64,';
/** Base64 text shorter than this after the marker is no blob. */
export const MIN_BLOB = 32;

/** Characters of the standard base64 alphabet (a data: URI's), by code. */
const BASE64_CHAR = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  BASE64_CHAR[c.charCodeAt(0)] = 1;

/** Characters of a quoted blob: base64's in both alphabets (`+/` and the URL-safe `-_`). */
const QUOTED_CHAR = BASE64_CHAR.slice();
QUOTED_CHAR[0x2d] = 1; // -
QUOTED_CHAR[0x5f] = 1; // _

/** Fewest characters of a quoted blob, its `=` padding not counted. */
const MIN_QUOTED = 32;

function isQuotedChar(c: number): boolean {
  return c < 128 && QUOTED_CHAR[c] === 1;
}

function isQuote(c: number): boolean {
  return c === 0x27 || c === 0x22 || c === 0x60;
}

/**
 * Long base64 in quoted strings, in text order, as /(['"`])([A-Za-z0-9+/_-]{32,}={0,2})\1/g finds
 * them: a quote, a run of at least MIN_QUOTED blob characters, up to two `=`, the same quote. The
 * pattern, tried at every position of every file, was the largest single cost of the normaliser
 * on clean code. Here runs are looked for by their last character first, as a word search skips
 * (Horspool): the character MIN_QUOTED - 1 after where a run could start is read, and if it is no
 * blob character no run can hold it, so the search skips past it; code breaks a run every few
 * characters, so about a third of a file is read (node_modules' web files: 1.6 ms/MiB of CPU
 * against the pattern's 1.9). A run found long enough is then checked for its quotes. Like the
 * pattern, a quote that closed a blob opens none.
 */
export function quotedBlobs(text: string, found: { index: number; value: string }[] = []): typeof found {
  const end = text.length;
  let free = 0; // the first place a blob's opening quote may be: after the last blob's closing one
  // `last` is the last character of the window of MIN_QUOTED characters tried; a blob's run
  // starts at 1 at the earliest, after its quote.
  for (let last = MIN_QUOTED; last < end;) {
    if (!isQuotedChar(text.charCodeAt(last))) {
      last += MIN_QUOTED;
      continue;
    }
    const first = last - MIN_QUOTED + 1;
    let at = last - 1;
    while (at >= first && isQuotedChar(text.charCodeAt(at))) at--;
    if (at >= first) {
      last = at + MIN_QUOTED;
      continue;
    }
    // A run of MIN_QUOTED or more: its whole extent, then its quotes.
    let start = first;
    while (start > 0 && isQuotedChar(text.charCodeAt(start - 1))) start--;
    let runEnd = last + 1;
    while (runEnd < end && isQuotedChar(text.charCodeAt(runEnd))) runEnd++;
    last = runEnd + MIN_QUOTED;
    const open = start - 1;
    const quote = open >= 0 ? text.charCodeAt(open) : -1;
    if (open < free || !isQuote(quote)) continue;
    let close = runEnd;
    while (close < end && close - runEnd < 3 && text.charCodeAt(close) === 0x3d) close++;
    if (close - runEnd > 2 || text.charCodeAt(close) !== quote) continue;
    found.push({ index: open, value: text.slice(start, close) });
    free = close + 1;
  }
  return found;
}

/**
 * Where the base64 text starting at `from` ends (its `=` padding included). A loop, not a
 * pattern: a pattern read megabytes of inline images at several times the cost, and the first
 * run of a pattern on a large text is interpreted, not compiled, which cost half a second more.
 */
function dataUriEnd(text: string, from: number): number {
  let i = from;
  for (let c = text.charCodeAt(i); c < 128 && BASE64_CHAR[c] === 1; c = text.charCodeAt(++i));
  const padded = Math.min(i + 2, text.length);
  while (i < padded && text.charCodeAt(i) === 0x3d) i++;
  return i;
}

/**
 * The base64 text of each blob, in text order: the quoted ones and the data: URIs'. An inline
 * image or font is left out by its head (clearlyBinary) before its end is looked for.
 */
function base64Blobs(text: string, has: Has): { index: number; value: string }[] {
  const found: { index: number; value: string }[] = [];
  quotedBlobs(text, found);
  const quoted = found.length;
  // Tried where the marker occurs, which a search for it finds faster than a pattern would.
  for (let at = has(DATA_URI) ? text.indexOf(DATA_URI) : -1; at >= 0; at = text.indexOf(DATA_URI, at + 1)) {
    const from = at + DATA_URI.length;
    if (clearlyBinary(text.slice(from, from + 2 * HEAD_CHARS + 1))) continue;
    const end = dataUriEnd(text, from);
    if (end - from >= MIN_BLOB) found.push({ index: at, value: text.slice(from, end) });
  }
  if (found.length > quoted) found.sort((a, b) => a.index - b.index);
  return found;
}

const DECODED_BY_CALL = /(?:atob|base64_decode|Buffer\.from)\s*\(\s*$/;

/** Decoded fragments kept per text; a bundle full of inline images yields no more than this. */
const MAX_FRAGMENTS = 2000;

/** Base64 characters of a blob's head decoded to tell an image or a font from text. */
export const HEAD_CHARS = 96;

/**
 * Whether a long blob's head decodes to bytes that are mostly not text and not a WebAssembly
 * module: an inline image or font, which is then not decoded whole (a bundle carries megabytes
 * of them, and decoding them only to throw them away cost more than finding them).
 */
export function clearlyBinary(value: string): boolean {
  if (value.length <= 2 * HEAD_CHARS) return false;
  const head = decodeBase64(value.slice(0, HEAD_CHARS));
  if (!head || head.subarray(0, 4).equals(WASM_MAGIC)) return false;
  return printableRatio(head.toString('latin1')) < 0.5;
}

/** Each character's value in base64 (both alphabets), -1 for any other character. */
const BASE64_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries())
  BASE64_VALUE[c.charCodeAt(0)] = i;
BASE64_VALUE[0x2d] = 62; // - (URL-safe)
BASE64_VALUE[0x5f] = 63; // _ (URL-safe)

/** The base64 of a WebAssembly module's magic number, `\0asm`: such a blob is no text but is kept. */
const WASM_BASE64 = 'AGFzbQ';

/**
 * Whether a blob cannot decode to what looksLikeText accepts, told from its characters without
 * decoding it. The first character of each group of four holds the top six bits of a decoded
 * byte, and a byte printableRatio counts (tab, line breaks, 0x20-0x7e) leaves only the values 2,
 * 3 and 8-31 there; each group starting otherwise decodes to at least one byte it does not count.
 * More such groups than 5% of the decoded bytes is below looksLikeText's 95%, so the answer is the
 * same as decoding would give. Most quoted "blobs" of a clean bundle are long identifiers and
 * message keys (`Cannot_find_name_0_2304`), which fail here at a few characters' cost instead of
 * a decode each.
 */
export function cannotBeText(value: string): boolean {
  if (value.startsWith(WASM_BASE64)) return false;
  let end = value.length;
  while (end > 0 && value.charCodeAt(end - 1) === 0x3d) end--;
  const limit = Math.floor((end * 3) / 4) * 0.05;
  let bad = 0;
  for (let i = 0; i < end; i += 4) {
    const c = value.charCodeAt(i);
    const v = c < 128 ? (BASE64_VALUE[c] as number) : -1;
    if (v !== 2 && v !== 3 && (v < 8 || v > 31) && ++bad > limit) return true;
  }
  return false;
}

/** Characters before a blob that DECODED_BY_CALL reads. */
export const BEFORE_BLOB = 24;

/**
 * What decodeBase64Blobs keeps of a blob found after `before` (the BEFORE_BLOB characters in front
 * of its opening quote or data: marker): its bytes, and their text unless they are a WebAssembly
 * module; undefined for a blob it passes over. Also triggers.ts's last word on a quoted blob, so a
 * file whose blobs are all identifiers, hashes or images is not decoded at all.
 */
export function keptBlob(before: string, value: string): { bytes: Buffer; decoded?: string } | undefined {
  if (cannotBeText(value)) return undefined;
  // An argument of a decoding call is the call's rewrite's business, not a piece beside the code.
  if (DECODED_BY_CALL.test(before)) return undefined;
  if (clearlyBinary(value)) return undefined;
  const bytes = decodeBlob(value);
  if (!bytes) return undefined;
  if (isWasm(bytes)) return { bytes };
  const decoded = bytes.toString('latin1');
  return looksLikeText(decoded) ? { bytes, decoded } : undefined;
}

/** Every long base64 string that decodes to text (or to a WebAssembly module), listed one per line. */
export function decodeBase64Blobs(text: string, budget: Budget, has: Has = searchText(text)): DecodeStep[] {
  const fragments: string[] = [];
  const spans: [number, number][] = [];
  const steps: DecodeStep[] = [];
  let length = 0;
  for (const blob of base64Blobs(text, has)) {
    if (fragments.length >= MAX_FRAGMENTS) break;
    const kept = keptBlob(text.slice(Math.max(0, blob.index - BEFORE_BLOB), blob.index), blob.value);
    if (!kept) continue;
    if (kept.decoded === undefined) {
      steps.push(wasmStep(kept.bytes));
      continue;
    }
    const decoded = kept.decoded;
    if (length + decoded.length > budget.remaining) {
      budget.stop('decoded base64 strings cut at the output budget');
      break;
    }
    spans.push([length, length + decoded.length]);
    fragments.push(decoded);
    length += decoded.length + 1;
    if (budget.expired()) break;
  }
  if (fragments.length > 0)
    steps.unshift({ technique: 'base64', text: fragments.join('\n'), spans, fragment: true });
  return steps;
}

function wasmStep(bytes: Buffer): DecodeStep {
  return { technique: 'base64-wasm', text: '', spans: [], fragment: true, bytes };
}
