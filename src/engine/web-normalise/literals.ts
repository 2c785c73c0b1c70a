// String-literal reading for JavaScript and PHP, and the rewrite helper every decoder uses: the
// decoders work by pattern over the text (no parser, no evaluation), so these are the only places
// that know how a quoted string is spelled in each language.

/**
 * A single- or double-quoted JavaScript string literal on one line (escapes included). It never
 * starts at an escaped quote: inside an unterminated string every quote of its kind is escaped,
 * so a search does not rescan the same run from each of them (quadratic on hostile input).
 */
export const JS_LITERAL = String.raw`(?<!\\)(?:'(?:[^'\\\n]|\\[\s\S])*'|"(?:[^"\\\n]|\\[\s\S])*")`;

/** A PHP single- or double-quoted literal; these may span lines. Same rule for its start. */
export const PHP_LITERAL = String.raw`(?<!\\)(?:'(?:[^'\\]|\\[\s\S])*'|"(?:[^"\\]|\\[\s\S])*")`;

/** A JavaScript numeric literal as obfuscators write indices: hex or decimal. */
export const JS_NUMBER = String.raw`0x[0-9a-fA-F]+|\d+`;

/** The value of a JavaScript string literal (quotes included in `lit`), escapes decoded. */
export function jsStringValue(lit: string): string {
  const body = lit.slice(1, -1);
  if (!body.includes('\\')) return body;
  return body.replace(
    /\\(?:x([0-9a-fA-F]{2})|u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|([0-7]{1,3})|\r\n|([\s\S]))/g,
    (_m, x?: string, ub?: string, u?: string, oct?: string, other?: string) => {
      if (x ?? u) return String.fromCharCode(parseInt((x ?? u) as string, 16));
      if (ub) {
        const cp = parseInt(ub, 16);
        return cp <= 0x10ffff ? String.fromCodePoint(cp) : '';
      }
      if (oct) return oct === '0' ? '\0' : String.fromCharCode(parseInt(oct, 8) & 0xff);
      if (other === undefined || other === '\n' || other === '\r') return '';
      return SIMPLE_ESCAPES[other] ?? other;
    },
  );
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v' };

/** The value of a PHP string literal: single quotes know only \\ and \', double quotes more. */
export function phpStringValue(lit: string): string {
  const body = lit.slice(1, -1);
  if (lit.startsWith("'")) return body.replace(/\\([\\'])/g, '$1');
  return body.replace(
    /\\(?:x([0-9a-fA-F]{1,2})|u\{([0-9a-fA-F]{1,6})\}|([0-7]{1,3})|([nrtvef\\$"]))/g,
    (m, x?: string, ub?: string, oct?: string, c?: string) => {
      if (x) return String.fromCharCode(parseInt(x, 16));
      if (ub) return String.fromCodePoint(Math.min(parseInt(ub, 16), 0x10ffff));
      if (oct) return String.fromCharCode(parseInt(oct, 8) & 0xff);
      if (c) return PHP_ESCAPES[c] ?? c;
      return m;
    },
  );
}

const PHP_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', v: '\v', e: '\x1b', f: '\f' };

/**
 * A decoded value put back where its expression was. Wrapped in a quote the value does not hold, so
 * the text stays readable and rules that look for `src="…"` see the characters unescaped; a value
 * holding every quote goes in bare (it is code or markup, and rules read it as such).
 */
export function wrapLiteral(value: string): string {
  for (const q of ["'", '"', '`']) if (!value.includes(q)) return q + value + q;
  return value;
}

/** The value of a JavaScript number literal as written by obfuscators (hex or decimal). */
export function jsNumber(s: string): number {
  return /^0x/i.test(s) ? parseInt(s.slice(2), 16) : Number(s);
}

/** Share of characters that are printable ASCII or common whitespace. */
export function printableRatio(s: string): number {
  if (s.length === 0) return 0;
  let ok = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x20 && c < 0x7f) || c === 0x09 || c === 0x0a || c === 0x0d) ok++;
  }
  return ok / s.length;
}

/** Text a person or a rule could read: mostly printable, with some letters in it. */
export function looksLikeText(s: string): boolean {
  return s.length > 0 && printableRatio(s) >= 0.95 && /[A-Za-z]{3}/.test(s);
}

/** One replacement: [start, end) in the old text became [start, end) in the new one. */
export type Edit = [number, number, number, number];

export interface Rewrite {
  text: string;
  spans: [number, number][];
  /** Every replacement, in order: what maps a position in the old text to the new one. */
  edits: Edit[];
  count: number;
}

/** Spans kept per step: enough to point at what changed, bounded for a file with thousands. */
export const MAX_SPANS = 256;

/**
 * Replaces every match of `re` (global) with what `replace` returns, or keeps it when that is
 * undefined; records where the replacements landed in the new text.
 */
export function rewrite(
  text: string,
  re: RegExp,
  replace: (m: RegExpExecArray) => string | undefined,
): Rewrite {
  const parts: string[] = [];
  const spans: [number, number][] = [];
  const edits: Edit[] = [];
  let last = 0;
  let out = 0;
  let count = 0;
  re.lastIndex = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const value = replace(m);
    if (value === undefined) continue;
    parts.push(text.slice(last, m.index));
    out += m.index - last;
    parts.push(value);
    if (spans.length < MAX_SPANS) spans.push([out, out + value.length]);
    edits.push([m.index, m.index + m[0].length, out, out + value.length]);
    out += value.length;
    last = m.index + m[0].length;
    count++;
  }
  if (count === 0) return { text, spans, edits, count };
  parts.push(text.slice(last));
  return { text: parts.join(''), spans, edits, count };
}

/** The text as latin1 bytes when every character fits, else UTF-8 (decoded \u escapes). */
export function toBytes(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\xff]/.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1');
}

/**
 * The index of the `}` that closes the `{` at `open`, skipping quoted strings and comments; -1 when
 * it is not found within `limit` characters (the caller then leaves the code alone).
 */
export function matchBrace(text: string, open: number, limit = 200_000): number {
  let depth = 0;
  const end = Math.min(text.length, open + limit);
  for (let i = open; i < end; i++) {
    const c = text[i];
    if (c === '{') depth++;
    else if (c === '}') {
      if (--depth === 0) return i;
    } else if (c === '"' || c === "'" || c === '`') {
      for (i++; i < end && text[i] !== c; i++) if (text[i] === '\\') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const close = text.indexOf('*/', i + 2);
      if (close < 0) return -1;
      i = close + 1;
    } else if (c === '/' && text[i + 1] === '/') {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return -1;
      i = nl;
    }
  }
  return -1;
}

/** Replaces the given non-overlapping ranges (sorted by start) with their values. */
export function replaceRanges(
  text: string,
  ranges: { start: number; end: number; value: string }[],
): Rewrite {
  const parts: string[] = [];
  const spans: [number, number][] = [];
  const edits: Edit[] = [];
  let last = 0;
  let out = 0;
  for (const r of ranges) {
    if (r.start < last) continue;
    parts.push(text.slice(last, r.start), r.value);
    out += r.start - last;
    if (spans.length < MAX_SPANS) spans.push([out, out + r.value.length]);
    edits.push([r.start, r.end, out, out + r.value.length]);
    out += r.value.length;
    last = r.end;
  }
  parts.push(text.slice(last));
  return { text: parts.join(''), spans, edits, count: edits.length };
}

/**
 * Where position `p` of the old text is in the new one, given a rewrite's edits (in order). A
 * position inside a replaced range goes to the start of its replacement, or its end for `end`.
 */
export function mapPosition(p: number, edits: readonly Edit[], end = false): number {
  let lo = 0;
  let hi = edits.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((edits[mid] as Edit)[0] <= p) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return p;
  const [, oe, ns, ne] = edits[found] as Edit;
  if (p >= oe) return p + (ne - oe);
  return end ? ne : ns;
}
