// Undoes character escapes that hide words from a byte-pattern rule: JavaScript \xNN, \uNNNN and
// \u{…} anywhere in the text, and percent-encoding (what unescape / decodeURIComponent / PHP
// urldecode undo) inside quoted strings that are mostly percent escapes.
import { isAlnumCode } from '../../util/ascii.js';
import { JS_LITERAL, rewrite, wrapLiteral } from './literals.js';
import { searchText, type Has } from './needles.js';
import type { Budget, DecodeStep } from './types.js';

/**
 * Escapes that would change the text's structure if decoded (a quote ending its string early, a
 * backslash, a line break) stay escaped, so later decoders still see the same string literals.
 */
function safeChar(code: number): string | undefined {
  if (code < 0x20 || code === 0x22 || code === 0x27 || code === 0x5c || code === 0x60) return undefined;
  if (code === 0x2028 || code === 0x2029) return undefined;
  return String.fromCodePoint(code);
}

const ALNUM = /[A-Za-z0-9]/;

/**
 * Minified code escapes a few characters on purpose (\u00a0, \x3c in "</script>"); obfuscators
 * escape letters. Only a text with this many escaped letters or digits is rewritten.
 */
const MIN_ESCAPED_ALNUM = 4;

/** The value of one hex digit's character code, or -1 (shared with triggers.ts's byte-level test). */
export function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/**
 * Whether the backslash at `at` escapes a letter or digit in a form decodeJsEscapes reads: `\xNN`,
 * `\u00NN` or `\u{0…NN}` (the brace closing after the two digits), as
 * /\\(?:x(?:3[0-9]|[46][1-9a-fA-F]|[57][0-9aA])|u(?:00(?:…)|\{0*(?:…)\}))/ finds them. Read by hand from the backslashes: the pattern, run over every bundle holding a `\x` or
 * `\u`, cost more than the rest of the decoder.
 */
function escapedAlnumAt(text: string, at: number): boolean {
  let i = at + 1;
  let braces = false;
  const kind = text.charCodeAt(i);
  if (kind === 0x78) i++;
  else if (kind === 0x75) {
    if (text.charCodeAt(i + 1) === 0x7b) {
      braces = true;
      i += 2;
      while (text.charCodeAt(i) === 0x30) i++;
    } else if (text.charCodeAt(i + 1) === 0x30 && text.charCodeAt(i + 2) === 0x30) i += 3;
    else return false;
  } else return false;
  const high = hexValue(text.charCodeAt(i));
  const low = hexValue(text.charCodeAt(i + 1));
  // `\u{305}` is no `0`: the braces close right after the two digits of a letter or digit.
  if (braces && text.charCodeAt(i + 2) !== 0x7d) return false;
  return high >= 0 && low >= 0 && isAlnumCode(high * 16 + low);
}

/** Whether the text escapes at least `n` letters or digits (escapedAlnumAt): read only as far as the n-th. */
export function escapesAlnum(text: string, n: number): boolean {
  let found = 0;
  for (let at = text.indexOf('\\'); at >= 0; at = text.indexOf('\\', at + 1)) {
    // `\\` is a pair, as decodeJsEscapes' pattern reads it: "\\x41" escapes no letter.
    if (text.charCodeAt(at + 1) === 0x5c) {
      at++;
      continue;
    }
    // Counted without a branch: a count first reached after the loop was compiled would throw
    // the compiled loop away.
    found += escapedAlnumAt(text, at) ? 1 : 0;
    if (found >= n) return true;
  }
  return false;
}

export function decodeJsEscapes(text: string, _budget?: Budget, has: Has = searchText(text)): DecodeStep[] {
  if (!has('\\x') && !has('\\u')) return [];
  // A bundle escapes a few symbols (\u00a0, \x3c); without enough escaped letters there is
  // nothing to rewrite, and the full pass with its rewritten copy is skipped.
  if (!escapesAlnum(text, MIN_ESCAPED_ALNUM)) return [];
  let alnum = 0;
  // `\\\\` is consumed as a pair so that "\\x41" (a backslash, then "x41") stays as it is.
  const re = /\\(?:\\|x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4}))/g;
  const r = rewrite(text, re, (m) => {
    const hex = m[1] ?? m[2] ?? m[3];
    if (hex === undefined) return undefined;
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) return undefined;
    const ch = safeChar(code);
    if (ch !== undefined && ALNUM.test(ch)) alnum++;
    return ch;
  });
  if (alnum < MIN_ESCAPED_ALNUM) return [];
  return [{ technique: 'js-escapes', text: r.text, spans: r.spans, edits: r.edits }];
}

/** A quoted string counts as percent-encoded when it holds this many escapes... */
const MIN_PERCENT = 6;
/** ...and they make up at least this share of it (a URL with one %20 is left alone). */
const MIN_PERCENT_SHARE = 0.5;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** The length of the percent escape at `at` (`%41`, `%u0041`), or 0. */
function escapeAt(text: string, at: number): number {
  if (text.charCodeAt(at + 1) === 0x75) {
    for (let i = 2; i < 6; i++) if (!isHex(text.charCodeAt(at + i))) return 0;
    return 6;
  }
  return isHex(text.charCodeAt(at + 1)) && isHex(text.charCodeAt(at + 2)) ? 3 : 0;
}

/**
 * Whether escapes, given in text order, hold a run that could be a literal decodePercent takes:
 * MIN_PERCENT escapes in a row (a literal's escapes are consecutive ones of the text) that cover
 * at least MIN_PERCENT_SHARE of the stretch from the first one's start to the last one's end,
 * which a literal's body holds whole. With the share at a half, a run i..j qualifies when the
 * escapes' lengths outweigh the gaps between them: sum(len) - sum(gap) >= 0, found for all runs at
 * once from running sums (x: that sum for the run from the first escape to this one; a run from
 * escape i subtracts what came before i, ys). A few URL escapes far apart, which minified code is
 * full of, fail here instead of costing a tokenisation of the whole text.
 */
export class PercentRun {
  private count = 0;
  private x = 0;
  private lastEnd = 0;
  /** The starts' offsets (see above) of the last MIN_PERCENT - 1 escapes, by count modulo. */
  private readonly ys = new Float64Array(MIN_PERCENT - 1);
  /** The least offset of the escapes at least MIN_PERCENT - 1 before this one. */
  private minY = Infinity;

  /** Adds the escape of `length` characters at `at`; true once some run qualifies. */
  add(at: number, length: number): boolean {
    const y = this.count === 0 ? 0 : this.x - (at - this.lastEnd);
    const slot = this.count % (MIN_PERCENT - 1);
    if (this.count >= MIN_PERCENT - 1) this.minY = Math.min(this.minY, this.ys[slot] as number);
    this.ys[slot] = y;
    this.count++;
    this.x = y + length;
    this.lastEnd = at + length;
    return this.x - this.minY >= 0;
  }
}

/**
 * Whether the text holds a run of escapes that could be a literal worth decoding (PercentRun).
 * Read from the `%` signs, so a bundle with a few URL escapes costs one search.
 */
function densePercent(text: string): boolean {
  const run = new PercentRun();
  for (let at = text.indexOf('%'); at >= 0; at = text.indexOf('%', at + 1)) {
    const n = escapeAt(text, at);
    if (n > 0 && run.add(at, n)) return true;
  }
  return false;
}

export function decodePercent(text: string): DecodeStep[] {
  // A literal is decoded only with MIN_PERCENT escapes in it, covering half of it: a text without
  // such a run of escapes is not tokenised.
  if (!densePercent(text)) return [];
  const re = new RegExp(JS_LITERAL, 'g');
  const r = rewrite(text, re, (m) => {
    const lit = m[0];
    if (lit.length < MIN_PERCENT * 3) return undefined;
    const escapes = lit.match(/%(?:u[0-9a-fA-F]{4}|[0-9a-fA-F]{2})/g);
    if (!escapes || escapes.length < MIN_PERCENT) return undefined;
    const covered = escapes.reduce((n, e) => n + e.length, 0);
    if (covered < (lit.length - 2) * MIN_PERCENT_SHARE) return undefined;
    const body = lit
      .slice(1, -1)
      .replace(/%(?:u([0-9a-fA-F]{4})|([0-9a-fA-F]{2}))/g, (_e, u?: string, x?: string) =>
        String.fromCharCode(parseInt((u ?? x) as string, 16)),
      );
    // Requoted with a quote the decoded text does not hold, so its own quotes read as written.
    return wrapLiteral(body);
  });
  if (r.count === 0) return [];
  return [{ technique: 'percent-encoding', text: r.text, spans: r.spans, edits: r.edits }];
}
