// Reads flat XML-like text (firewalld zones, rpm repository metadata) in time linear in its length:
// comments, start tags, elements and attributes are found with indexOf and single passes, never
// with a backtracking regular expression. These files come from the target, and on a hostile disk
// a file of ten thousand unclosed tags or a million-letter attribute name took a regex minutes
// (`<port\b[^>]*>` rescans to the end for every unclosed `<port`); here each costs its length.

import { isWordCode } from './ascii.js';

/** Characters of an attribute name: word characters, `-`, `.` and `:`. */
function isNameCode(c: number): boolean {
  return isWordCode(c) || c === 45 || c === 46 || c === 58;
}

function isSpaceCode(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12 || c === 11;
}

/** The text without its `<!-- … -->` comments; an unclosed comment is left as it is. */
export function withoutComments(xml: string): string {
  if (!xml.includes('<!--')) return xml;
  const parts: string[] = [];
  let at = 0;
  for (;;) {
    const open = xml.indexOf('<!--', at);
    const close = open < 0 ? -1 : xml.indexOf('-->', open + 4);
    if (close < 0) break;
    parts.push(xml.slice(at, open));
    at = close + 3;
  }
  parts.push(xml.slice(at));
  return parts.join('');
}

/** A start tag: its text from `<` to the first `>` after it, and where it starts and ends. */
export interface StartTag {
  tag: string;
  start: number;
  /** Just past its `>`. */
  end: number;
}

/**
 * The start tags `<name …>` in `text` from `from` on, in order (`<name` followed by a character
 * that cannot continue a name, as the regex `<name\b[^>]*>` finds them). Stops at the first one
 * without a `>` after it: no later one has one either.
 */
export function* startTags(text: string, name: string, from = 0): Generator<StartTag> {
  const open = `<${name}`;
  let at = from;
  for (;;) {
    const start = text.indexOf(open, at);
    if (start < 0) return;
    const next = start + open.length;
    if (next < text.length && isWordCode(text.charCodeAt(next))) {
      at = start + 1;
      continue;
    }
    const gt = text.indexOf('>', next);
    if (gt < 0) return;
    yield { tag: text.slice(start, gt + 1), start, end: gt + 1 };
    at = gt + 1;
  }
}

/** The first start tag `<name …>` in `text` from `from` on, if any. */
export function firstTag(text: string, name: string, from = 0): StartTag | undefined {
  for (const t of startTags(text, name, from)) return t;
  return undefined;
}

/** An element: its whole text, its start tag, what stands between the tags, and its span. */
export interface Element {
  text: string;
  open: string;
  inner: string;
  start: number;
  /** Just past its closing tag. */
  end: number;
}

/**
 * The elements `<name …>…</name>` in `text`, in order, each closed by the first `</name>` after
 * its start tag (elements of the same name do not nest in these files). Stops at the first one
 * without a closing tag.
 */
export function* elements(text: string, name: string): Generator<Element> {
  const close = `</${name}>`;
  let at = 0;
  for (;;) {
    const open = firstTag(text, name, at);
    if (!open) return;
    const c = text.indexOf(close, open.end);
    if (c < 0) return;
    const end = c + close.length;
    yield {
      text: text.slice(open.start, end),
      open: open.tag,
      inner: text.slice(open.end, c),
      start: open.start,
      end,
    };
    at = end;
  }
}

/**
 * The attributes `name="value"` and `name='value'` of a start tag, values as written (no entity
 * decoded). A later attribute of the same name wins.
 */
export function tagAttributes(tag: string): Map<string, string> {
  const out = new Map<string, string>();
  // A quote with no partner after a point has none after any later point either: remembered, so a
  // tag of many `a="` costs one search, not one per `=`.
  const unclosed = new Set<string>();
  let at = 0;
  for (;;) {
    const eq = tag.indexOf('=', at);
    if (eq < 0) return out;
    let nameEnd = eq;
    while (nameEnd > at && isSpaceCode(tag.charCodeAt(nameEnd - 1))) nameEnd--;
    let nameStart = nameEnd;
    while (nameStart > at && isNameCode(tag.charCodeAt(nameStart - 1))) nameStart--;
    let v = eq + 1;
    while (v < tag.length && isSpaceCode(tag.charCodeAt(v))) v++;
    const quote = tag[v];
    const close = (quote === '"' || quote === "'") && !unclosed.has(quote) ? tag.indexOf(quote, v + 1) : -1;
    if (close < 0 && (quote === '"' || quote === "'")) unclosed.add(quote);
    if (nameStart === nameEnd || close < 0) {
      at = Math.max(eq + 1, v);
      continue;
    }
    out.set(tag.slice(nameStart, nameEnd), tag.slice(v + 1, close));
    at = close + 1;
  }
}

/**
 * The text of the first `<name>text</name>` whose text holds no `<`, with the whitespace around it
 * trimmed (as `<name>\s*([^<]*?)\s*</name>` finds it).
 */
export function simpleElementText(text: string, name: string): string | undefined {
  const open = `<${name}>`;
  const close = `</${name}>`;
  let at = 0;
  for (;;) {
    const start = text.indexOf(open, at);
    if (start < 0) return undefined;
    const lt = text.indexOf('<', start + open.length);
    if (lt < 0) return undefined;
    if (text.startsWith(close, lt)) return text.slice(start + open.length, lt).trim();
    at = lt;
  }
}
