// Fits terminal text to a width: the display width of a string (a CJK character takes two columns,
// colour codes none), a line wrapped at spaces with its continuation indented under it, and a string
// shortened in its middle (a wallet keeps its head and tail, which is how people compare them).
// Works on text whose attacker-controlled parts are already inert: the only escapes left are the
// SGR colour codes the renderer itself added.

// eslint-disable-next-line no-control-regex -- the colour codes the renderer wrote are the point
const SGR = /\x1b\[[0-9;]*m/y;

/** Columns a code point takes: two for East Asian wide and full-width forms, none for combining marks. */
function charWidth(cp: number): number {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp >= 0x300 && cp <= 0x36f) return 0;
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0xfeff) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}

/** One piece of a line: an SGR code (no width) or one character with its width. */
interface Piece {
  text: string;
  width: number;
}

function pieces(line: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  while (i < line.length) {
    SGR.lastIndex = i;
    const m = SGR.exec(line);
    if (m) {
      out.push({ text: m[0], width: 0 });
      i += m[0].length;
      continue;
    }
    const cp = line.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    out.push({ text: ch, width: charWidth(cp) });
    i += ch.length;
  }
  return out;
}

/** The columns `s` takes on a terminal. */
export function displayWidth(s: string): number {
  return pieces(s).reduce((w, p) => w + p.width, 0);
}

/** `s` cut to at most `width` columns, with `…` at the end when anything was cut. */
export function cutEnd(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const p of pieces(s)) {
    if (w + p.width > width - 1) break;
    out += p.text;
    w += p.width;
  }
  return `${out}…`;
}

/**
 * `s` shortened to at most `width` columns by taking out its middle (`4AMine…1111`); `tail` fixes how
 * many characters of its end stay (default: half).
 */
export function cutMiddle(s: string, width: number, tail?: number): string {
  if (displayWidth(s) <= width || width < 3) return s;
  const chars = [...s];
  const end = Math.min(tail ?? Math.floor((width - 1) / 2), width - 2);
  const head = width - 1 - end;
  return `${chars.slice(0, head).join('')}…${end > 0 ? chars.slice(-end).join('') : ''}`;
}

/** Leading spaces of a line, plus the bullet or number after them (`  • `, `  12. `). */
function hangingIndent(line: string): number {
  const m = /^( *)((?:[•●○-]|\d+\.) )?/.exec(line)!;
  return m[1]!.length + (m[2] ? displayWidth(m[2]) : 2);
}

/**
 * A line wrapped to `width` columns: broken at the last space that fits (or anywhere, for a long path
 * or a CJK sentence), every continuation indented under the text after the line's bullet.
 */
export function wrapLine(line: string, width: number): string[] {
  if (displayWidth(line) <= width) return [line];
  const indent = Math.min(hangingIndent(line), Math.floor(width / 2));
  const out: string[] = [];
  let rest = pieces(line);
  let prefix = '';
  for (;;) {
    const avail = width - displayWidth(prefix);
    let w = 0;
    let cut = rest.length;
    let lastSpace = -1;
    let spaceAt = 0;
    for (let i = 0; i < rest.length; i++) {
      const p = rest[i]!;
      if (w + p.width > avail) {
        cut = i;
        break;
      }
      if (p.text === ' ' && i > 0) [lastSpace, spaceAt] = [i, w];
      w += p.width;
    }
    if (cut === rest.length) {
      out.push(prefix + rest.map((p) => p.text).join(''));
      return out;
    }
    // A break at a space only when it keeps at least a third of the line; otherwise a hard break.
    const at = lastSpace > 0 && spaceAt > avail / 3 ? lastSpace : cut;
    out.push(
      (
        prefix +
        rest
          .slice(0, at)
          .map((p) => p.text)
          .join('')
      ).trimEnd(),
    );
    rest = rest.slice(at);
    while (rest[0]?.text === ' ') rest = rest.slice(1);
    if (rest.length === 0) return out;
    prefix = ' '.repeat(indent);
  }
}

/** Every line of `text` wrapped to `width`; undefined width leaves the text as it is. */
export function wrapText(text: string, width: number | undefined): string {
  if (!width) return text;
  return text
    .split('\n')
    .flatMap((l) => wrapLine(l, width))
    .join('\n');
}
