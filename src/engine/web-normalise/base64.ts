// Undoes the encodings that turn a loader into an opaque blob: atob(…) / Buffer.from(…,'base64')
// calls and String.fromCharCode(…) lists are replaced in place by what they produce; long base64
// strings and data: URIs elsewhere are decoded beside the text, and a decoded WebAssembly module is
// handed over as bytes so the WASM rules read it as they would a .wasm file.
import {
  JS_LITERAL,
  jsNumber,
  jsStringValue,
  looksLikeText,
  replaceRanges,
  rewrite,
  wrapLiteral,
} from './literals.js';
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

export function isWasm(bytes: Buffer): boolean {
  return bytes.length >= 8 && bytes.subarray(0, 4).equals(WASM_MAGIC);
}

const ATOB = new RegExp(
  String.raw`(?:\.\s*atob|\batob|\[\s*(['"])atob\1\s*\])\s*\(\s*(${JS_LITERAL})\s*\)` +
    String.raw`|\bBuffer\.from\s*\(\s*(${JS_LITERAL})\s*,\s*(['"])base64\4\s*\)(?:\s*\.toString\s*\(\s*(?:'[\w-]*'|"[\w-]*")?\s*\))?`,
  'g',
);

/**
 * Where the call really starts: `window.atob(`, `w['atob'](` take their receiver along, so the
 * decoded text replaces the whole expression. Found by walking back, which keeps the pattern
 * itself anchored on "atob" (a leading optional name would make it try every position).
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
export function decodeAtobCalls(text: string): DecodeStep[] {
  // What every shape of the pattern needs spelled out: cheaper than trying it at each `[` and `.`.
  if (!text.includes('atob') && !(text.includes('Buffer.from') && text.includes('base64'))) return [];
  const wasm: DecodeStep[] = [];
  const ranges: { start: number; end: number; value: string }[] = [];
  ATOB.lastIndex = 0;
  for (let m = ATOB.exec(text); m; m = ATOB.exec(text)) {
    const bytes = decodeBase64(jsStringValue((m[2] ?? m[3]) as string));
    if (!bytes) continue;
    if (isWasm(bytes)) {
      wasm.push(wasmStep(bytes));
      continue;
    }
    const decoded = bytes.toString('latin1');
    if (looksLikeText(decoded))
      ranges.push({
        start: receiverStart(text, m.index),
        end: m.index + m[0].length,
        value: wrapLiteral(decoded),
      });
  }
  const r = replaceRanges(text, ranges);
  const steps = r.count > 0 ? [{ technique: 'atob', text: r.text, spans: r.spans, edits: r.edits }] : [];
  return [...steps, ...wasm];
}

const NUM_LIST = String.raw`(?:0x[0-9a-fA-F]+|\d+)(?:\s*,\s*(?:0x[0-9a-fA-F]+|\d+))*`;

/** The shapes a character-code list is turned into a string with. */
const FROM_CHAR_CODE = new RegExp(
  [
    String.raw`String\.fromCharCode\s*\(\s*(${NUM_LIST})\s*\)`,
    String.raw`String\.fromCharCode\.apply\s*\(\s*[\w$.]+\s*,\s*\[\s*(${NUM_LIST})\s*\]\s*\)`,
    String.raw`String\.fromCharCode\s*\(\s*\.\.\.\s*\[\s*(${NUM_LIST})\s*\]\s*\)`,
    String.raw`\[\s*(${NUM_LIST})\s*\]\s*\.map\s*\(\s*(?:function\s*\(\s*([\w$]+)\s*\)\s*\{\s*return\s+String\.fromCharCode\s*\(\s*\5\s*\)\s*;?\s*\}|\(?\s*([\w$]+)\s*\)?\s*=>\s*String\.fromCharCode\s*\(\s*\6\s*\))\s*\)\s*\.join\s*\(\s*(?:''|"")\s*\)`,
  ].join('|'),
  'g',
);

/** Fewer codes than this are ordinary code (String.fromCharCode(65)), not a hidden string. */
const MIN_CHAR_CODES = 4;

export function decodeFromCharCode(text: string): DecodeStep[] {
  // Every shape names `String.fromCharCode` as written; its last one is otherwise tried at each `[`.
  if (!text.includes('String.fromCharCode')) return [];
  const r = rewrite(text, FROM_CHAR_CODE, (m) => {
    const list = (m[1] ?? m[2] ?? m[3] ?? m[4]) as string;
    const codes = list.split(',').map((n) => jsNumber(n.trim()));
    if (codes.length < MIN_CHAR_CODES || codes.some((c) => !(c >= 0 && c <= 0xffff))) return undefined;
    return wrapLiteral(String.fromCharCode(...codes));
  });
  return r.count > 0 ? [{ technique: 'fromCharCode', text: r.text, spans: r.spans, edits: r.edits }] : [];
}

/** Long base64 in a quoted string or a data: URI. */
const BASE64_BLOB = /(['"`])([A-Za-z0-9+/_-]{32,}={0,2})\1|;base64,([A-Za-z0-9+/]{32,}={0,2})/g;

const DECODED_BY_CALL = /(?:atob|base64_decode|Buffer\.from)\s*\(\s*$/;

/** Decoded fragments kept per text; a bundle full of inline images yields no more than this. */
const MAX_FRAGMENTS = 2000;

/** Every long base64 string that decodes to text (or to a WebAssembly module), listed one per line. */
export function decodeBase64Blobs(text: string, budget: Budget): DecodeStep[] {
  const fragments: string[] = [];
  const spans: [number, number][] = [];
  const steps: DecodeStep[] = [];
  let length = 0;
  BASE64_BLOB.lastIndex = 0;
  for (let m = BASE64_BLOB.exec(text); m && fragments.length < MAX_FRAGMENTS; m = BASE64_BLOB.exec(text)) {
    // An argument of a decoding call is the call's rewrite's business, not a piece beside the code.
    if (DECODED_BY_CALL.test(text.slice(Math.max(0, m.index - 24), m.index))) continue;
    const bytes = decodeBase64((m[2] ?? m[3]) as string);
    if (!bytes) continue;
    if (isWasm(bytes)) {
      steps.push(wasmStep(bytes));
      continue;
    }
    const decoded = bytes.toString('latin1');
    if (!looksLikeText(decoded)) continue;
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
