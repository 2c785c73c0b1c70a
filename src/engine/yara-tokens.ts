// Splits YARA source into tokens for the two readers that look at rules without compiling them:
// the rule-header reader (rule-meta.ts) and the prefilter planner (prefilter.ts). Hex strings and
// regular expressions after `=` (and regexes after `matches`) become opaque tokens, so braces and
// slashes inside them never confuse the rule boundaries. Every token keeps its source offsets, so
// a string definition can be copied out byte for byte.

export type Token =
  | { t: 'word'; v: string; line: number; start: number; end: number }
  | { t: 'string'; v: string; line: number; start: number; end: number }
  | { t: 'number'; v: number; line: number; start: number; end: number }
  | { t: 'punct'; v: string; line: number; start: number; end: number }
  | { t: 'opaque'; line: number; start: number; end: number };

export function isPunct(tok: Token | undefined, v: string): boolean {
  return tok?.t === 'punct' && tok.v === v;
}

export function isWord(
  tok: Token | undefined,
  v?: string,
): tok is { t: 'word'; v: string; line: number; start: number; end: number } {
  return tok?.t === 'word' && (v === undefined || tok.v === v);
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\' };

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  const prev = (): Token | undefined => out[out.length - 1];
  while (i < src.length) {
    const c = src[i] as string;
    const start = i;
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (; i < stop; i++) if (src[i] === '\n') line++;
    } else if (c === '"') {
      const first = line;
      let v = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\' && i + 1 < src.length) {
          const e = src[i + 1] as string;
          if (e === 'x') {
            v += String.fromCharCode(parseInt(src.slice(i + 2, i + 4), 16));
            i += 4;
          } else {
            v += ESCAPES[e] ?? e;
            i += 2;
          }
        } else {
          if (src[i] === '\n') line++;
          v += src[i];
          i++;
        }
      }
      i++;
      out.push({ t: 'string', v, line: first, start, end: i });
    } else if (c === '{' && isPunct(prev(), '=')) {
      const first = line;
      while (i < src.length && src[i] !== '}') if (src[i++] === '\n') line++;
      i++;
      out.push({ t: 'opaque', line: first, start, end: i });
    } else if (c === '/' && (isPunct(prev(), '=') || isWord(prev(), 'matches'))) {
      const first = line;
      i++;
      while (i < src.length && src[i] !== '/') {
        if (src[i] === '\\') i++;
        else if (src[i] === '\n') line++;
        i++;
      }
      i++;
      // The regex's own flags (/.../is) belong to it.
      while (i < src.length && /[is]/.test(src[i] as string)) i++;
      out.push({ t: 'opaque', line: first, start, end: i });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?(0x[0-9a-fA-F]+|[0-9]+(\.[0-9]+)?)/.exec(src.slice(i, i + 40)) as RegExpExecArray;
      i += m[0].length;
      out.push({ t: 'number', v: Number(m[0]), line, start, end: i });
    } else if (/[A-Za-z_$#@!]/.test(c)) {
      const m = /^[A-Za-z_$#@!][A-Za-z0-9_*]*/.exec(src.slice(i, i + 256)) as RegExpExecArray;
      i += m[0].length;
      out.push({ t: 'word', v: m[0], line, start, end: i });
    } else {
      i++;
      out.push({ t: 'punct', v: c, line, start, end: i });
    }
  }
  return out;
}
