// Unpacks Dean Edwards' packer, eval(function(p,a,c,k,e,d){…}('payload',62,N,'w0|w1|…'.split('|'),0,{})):
// the payload is the script with every word replaced by its index in the word list, written in base
// `a`. Unpacking is the same substitution done here as plain string work; nothing is evaluated.
import { JS_LITERAL, jsStringValue, matchBrace, replaceRanges } from './literals.js';
import { searchText, type Has } from './needles.js';
import type { Budget, DecodeStep } from './types.js';

/** Tried where `eval` occurs: a search for the name is cheaper than the pattern's own. */
const HEADER = /eval\s*\(\s*function\s*\(\s*p\s*,\s*a\s*,\s*c\s*,\s*k\s*,\s*e\s*,\s*[dr]\s*\)\s*\{/y;

/** The call's arguments after the function body, up to the two closing parentheses. */
const ARGS = new RegExp(
  String.raw`\s*\(\s*(${JS_LITERAL})\s*,\s*(\d+|\[\])\s*,\s*(\d+)\s*,\s*(${JS_LITERAL})\s*\.split\s*\(\s*(['"])\|\5\s*\)` +
    String.raw`\s*(?:,\s*0\s*,\s*\{\s*\}\s*)?\)\s*\)`,
  'y',
);

/** The packer's digits: 0-9, then a-z (as toString(36)), then A-Z (as fromCharCode(c + 29)). */
const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** A word of the payload read as a number in base `radix`; undefined when it is not one. */
function readIndex(word: string, radix: number): number | undefined {
  let n = 0;
  for (const ch of word) {
    const d = DIGITS.indexOf(ch);
    if (d < 0 || d >= radix) return undefined;
    n = n * radix + d;
  }
  return n;
}

class TooLarge extends Error {}

/**
 * The packed script's source, or undefined when the arguments do not fit the packer's shape; throws
 * TooLarge past `maxLength` characters (a short payload of one long word repeated is a bomb).
 */
export function unpack(
  payload: string,
  radix: number,
  count: number,
  words: string[],
  maxLength = Infinity,
): string | undefined {
  if (radix < 2 || radix > 62 || count > words.length + 1) return undefined;
  let length = payload.length;
  return payload.replace(/\b\w+\b/g, (w) => {
    const n = readIndex(w, radix);
    const word = n !== undefined && n < words.length && words[n] ? (words[n] as string) : w;
    length += word.length - w.length;
    if (length > maxLength) throw new TooLarge();
    return word;
  });
}

/** Packed calls tried per text; a page has one or two, a hostile file thousands of broken ones. */
const MAX_PACKED = 64;

interface Packed {
  start: number;
  end: number;
  source: string;
}

/** Finds the packed calls in `text` and unpacks each; a call of another shape is skipped. */
function findPacked(text: string, budget: Budget): Packed[] {
  const found: Packed[] = [];
  let tried = 0;
  let resume = 0;
  for (let at = text.indexOf('eval'); at >= 0; at = text.indexOf('eval', at + 1)) {
    if (at < resume) continue;
    HEADER.lastIndex = at;
    const m = HEADER.exec(text);
    if (!m) continue;
    if (tried++ >= MAX_PACKED || budget.expired()) break;
    const close = matchBrace(text, m.index + m[0].length - 1, 20_000);
    if (close < 0) continue;
    ARGS.lastIndex = close + 1;
    const a = ARGS.exec(text);
    if (!a) continue;
    const radix = a[2] === '[]' ? 62 : Number(a[2]);
    const words = jsStringValue(a[4] as string).split('|');
    let source: string | undefined;
    try {
      source = unpack(jsStringValue(a[1] as string), radix, Number(a[3]), words, budget.remaining);
    } catch (err) {
      if (!(err instanceof TooLarge)) throw err;
      budget.bomb(
        `js-packer: unpacked script exceeds the ${budget.remaining}-byte output budget left, not followed`,
      );
      continue;
    }
    if (source === undefined) continue;
    found.push({ start: m.index, end: ARGS.lastIndex, source });
    resume = ARGS.lastIndex;
  }
  return found;
}

/** Each packed call replaced by the script it unpacks to. */
export function decodePacker(text: string, budget: Budget, has: Has = searchText(text)): DecodeStep[] {
  if (!has('eval')) return [];
  const packed = findPacked(text, budget);
  if (packed.length === 0) return [];
  const r = replaceRanges(
    text,
    packed.map((p) => ({ start: p.start, end: p.end, value: p.source })),
  );
  return [{ technique: 'js-packer', text: r.text, spans: r.spans, edits: r.edits }];
}
