// Reads the instances a MOF file declares (`instance of CommandLineEventConsumer as $Cons { … };`),
// as WMI's AutoRecover folder keeps them: the text a `mofcomp` of a persistence script left behind,
// from which WMI re-creates the subscription when the repository is rebuilt. Only what a
// subscription needs is read: class, alias, and property values (strings with escapes and
// adjacent-literal concatenation, numbers, booleans, null, `$alias` references, arrays). Class
// declarations, qualifiers and pragmas are skipped. The file comes from a suspect volume: size,
// token and instance counts are bounded, and bad syntax skips to the next `;` instead of throwing.
// Pure: no I/O.

export type MofValue = string | number | boolean | null | { alias: string } | MofValue[];

export interface MofInstance {
  className: string;
  /** `$Cons` of `as $Cons`, without the `$`. */
  alias?: string;
  /** Property values by name as written (case kept). */
  props: Record<string, MofValue>;
  /** Character offset of `instance` in the text. */
  offset: number;
}

export interface MofParse {
  instances: MofInstance[];
  /** The last `#pragma namespace("…")` before each instance is not tracked; the ones seen are listed. */
  namespaces: string[];
  /** What could not be read, as short sentences (bounded). */
  problems: string[];
}

export interface MofLimits {
  maxChars: number;
  maxTokens: number;
  maxInstances: number;
}

export const DEFAULT_MOF_LIMITS: MofLimits = {
  maxChars: 4 * 1024 * 1024,
  maxTokens: 1_000_000,
  maxInstances: 1000,
};

/** MOF bytes as text: a BOM decides (UTF-16LE/BE, UTF-8), then zero bytes (UTF-16 without BOM), else UTF-8. */
export function decodeMofBytes(bytes: Uint8Array): string {
  const b = (i: number) => bytes[i] ?? -1;
  if (b(0) === 0xff && b(1) === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (b(0) === 0xfe && b(1) === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (b(0) === 0xef && b(1) === 0xbb && b(2) === 0xbf)
    return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes.length >= 2 && b(0) !== 0 && b(1) === 0) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes.length >= 2 && b(0) === 0 && b(1) !== 0) return new TextDecoder('utf-16be').decode(bytes);
  return new TextDecoder('utf-8').decode(bytes);
}

type Tok =
  | { k: 'id'; v: string; at: number }
  | { k: 'str'; v: string; at: number }
  | { k: 'num'; v: number; at: number }
  | { k: 'alias'; v: string; at: number }
  | { k: 'punct'; v: string; at: number };

// Sticky: each matches exactly at lastIndex, so tokenizing stays linear in the text.
const ALIAS_RE = /\$([A-Za-z_][A-Za-z0-9_]{0,255})/y;
const IDENT_RE = /[A-Za-z_][A-Za-z0-9_]{0,255}/y;
const NUMBER_RE = /[-+]?(?:0[xX][0-9a-fA-F]{1,16}|[0-9]{1,40}(?:\.[0-9]{1,40})?(?:[eE][-+]?[0-9]{1,4})?)/y;

const ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
};

/** Splits MOF text into tokens; comments dropped; an unterminated string or comment ends the text. */
function tokenize(text: string, maxTokens: number, problems: string[]): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const n = text.length;
  // The next position of each special character, looked up again only once passed, so reading
  // many strings stays linear in the text (-1: none left).
  const cached: Record<string, number> = { '"': -2, "'": -2, '\\': -2 };
  const next = (ch: string, from: number): number => {
    const at = cached[ch]!;
    if (at === -1 || at >= from) return at;
    return (cached[ch] = text.indexOf(ch, from));
  };
  while (i < n && out.length < maxTokens) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\uFEFF') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
      continue;
    }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) problems.push(`unterminated comment at ${i}`);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === '"' || c === "'") {
      const at = i;
      let v = '';
      i++;
      let closed = false;
      while (i < n) {
        const q = next(c, i);
        const bs = next('\\', i);
        const stop = Math.min(q < 0 ? n : q, bs < 0 ? n : bs);
        if (stop > i) {
          v += text.slice(i, stop);
          i = stop;
          continue;
        }
        const d = text[i]!;
        if (d === c) {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && i + 1 < n) {
          const e = text[i + 1]!;
          if ((e === 'x' || e === 'X') && /^[0-9a-fA-F]{1,4}/.test(text.slice(i + 2, i + 6))) {
            const hex = /^[0-9a-fA-F]{1,4}/.exec(text.slice(i + 2, i + 6))![0];
            v += String.fromCharCode(parseInt(hex, 16));
            i += 2 + hex.length;
            continue;
          }
          v += ESCAPES[e] ?? e;
          i += 2;
          continue;
        }
        v += d;
        i++;
      }
      if (!closed) problems.push(`unterminated string at ${at}`);
      out.push({ k: 'str', v, at });
      continue;
    }
    if (c === '$') {
      ALIAS_RE.lastIndex = i;
      const m = ALIAS_RE.exec(text);
      if (m) {
        out.push({ k: 'alias', v: m[1]!, at: i });
        i += m[0].length;
        continue;
      }
    }
    IDENT_RE.lastIndex = i;
    const ident = IDENT_RE.exec(text);
    if (ident) {
      out.push({ k: 'id', v: ident[0], at: i });
      i += ident[0].length;
      continue;
    }
    NUMBER_RE.lastIndex = i;
    const num = NUMBER_RE.exec(text);
    if (num) {
      out.push({ k: 'num', v: Number(num[0]), at: i });
      i += num[0].length;
      continue;
    }
    out.push({ k: 'punct', v: c, at: i });
    i++;
  }
  if (i < n) problems.push(`more than ${maxTokens} tokens; the rest is not read`);
  return out;
}

const isP = (t: Tok | undefined, v: string): boolean => t?.k === 'punct' && t.v === v;
const isId = (t: Tok | undefined, v: string): boolean => t?.k === 'id' && t.v.toLowerCase() === v;

/** A cursor over the tokens of one MOF text: reads the instances and namespaces it declares. */
class MofReader {
  private p = 0;
  readonly namespaces: string[] = [];
  readonly instances: MofInstance[] = [];

  constructor(
    private readonly toks: Tok[],
    private readonly problems: string[],
    private readonly maxInstances: number,
  ) {}

  private peek(o = 0): Tok | undefined {
    return this.toks[this.p + o];
  }

  private problem(s: string): void {
    if (this.problems.length < 50) this.problems.push(s);
  }

  /** Skips a balanced group starting at an opening bracket. */
  private skipGroup(): void {
    const open = this.peek()?.v;
    const close = open === '{' ? '}' : open === '[' ? ']' : ')';
    let depth = 0;
    while (this.p < this.toks.length) {
      const t = this.toks[this.p++]!;
      if (t.k === 'punct' && t.v === open) depth++;
      else if (t.k === 'punct' && t.v === close && --depth === 0) return;
    }
  }

  /** Skips to after the next `;` at this nesting level. */
  private skipStatement(): void {
    while (this.p < this.toks.length) {
      const t = this.peek()!;
      if (isP(t, '{') || isP(t, '[') || isP(t, '(')) this.skipGroup();
      else {
        this.p++;
        if (t.k === 'punct' && t.v === ';') return;
      }
    }
  }

  /** A word value: true/false/null, an embedded object (kept as its class name), or the word. */
  private readWord(t: Extract<Tok, { k: 'id' }>, depth: number): MofValue {
    const v = t.v.toLowerCase();
    if (v === 'true' || v === 'false') {
      this.p++;
      return v === 'true';
    }
    if (v === 'null') {
      this.p++;
      return null;
    }
    if (v === 'instance' && depth < 4) {
      this.p += 2;
      const cls = this.peek()?.k === 'id' ? (this.toks[this.p++] as { v: string }).v : '';
      if (isP(this.peek(), '{')) this.skipGroup();
      return `instance of ${cls}`;
    }
    this.p++;
    return t.v;
  }

  private readArray(depth: number): MofValue[] {
    this.p++;
    const arr: MofValue[] = [];
    while (this.p < this.toks.length && !isP(this.peek(), '}')) {
      const item = this.readValue(depth + 1);
      if (item === undefined) {
        this.p++;
        continue;
      }
      if (arr.length < 10_000) arr.push(item);
      if (isP(this.peek(), ',')) this.p++;
    }
    this.p++;
    return arr;
  }

  private readValue(depth: number): MofValue | undefined {
    const t = this.peek();
    if (!t) return undefined;
    if (t.k === 'str') {
      // Adjacent literals are one string, as in C.
      let v = '';
      while (this.peek()?.k === 'str') v += (this.toks[this.p++] as { v: string }).v;
      return v;
    }
    if (t.k === 'num' || t.k === 'alias') {
      this.p++;
      return t.k === 'num' ? t.v : { alias: t.v };
    }
    if (t.k === 'id') return this.readWord(t, depth);
    if (isP(t, '{') && depth < 4) return this.readArray(depth);
    return undefined;
  }

  /** The `Prop = value;` list of an instance body, up to its closing brace. */
  private readProps(inst: MofInstance): void {
    while (this.p < this.toks.length && !isP(this.peek(), '}')) {
      if (isP(this.peek(), '[')) {
        this.skipGroup();
        continue;
      }
      const name = this.peek();
      if (name?.k !== 'id' || !isP(this.peek(1), '=')) {
        this.skipStatement();
        continue;
      }
      this.p += 2;
      const value = this.readValue(0);
      if (value !== undefined && !(name.v in inst.props)) inst.props[name.v] = value;
      if (isP(this.peek(), ';')) this.p++;
      else if (!isP(this.peek(), '}')) this.skipStatement();
    }
  }

  /** `instance of Class [as $Alias] { Prop = value; … };` */
  private readInstance(at: number): MofInstance | undefined {
    this.p += 2;
    const cls = this.peek();
    if (cls?.k !== 'id') return undefined;
    this.p++;
    const inst: MofInstance = { className: cls.v, props: {}, offset: at };
    if (isId(this.peek(), 'as') && this.peek(1)?.k === 'alias') {
      inst.alias = (this.toks[this.p + 1] as { v: string }).v;
      this.p += 2;
    }
    if (!isP(this.peek(), '{')) return undefined;
    this.p++;
    this.readProps(inst);
    this.p++;
    if (isP(this.peek(), ';')) this.p++;
    return inst;
  }

  /** `#pragma namespace("\\\\.\\root\\subscription")` and the other pragmas. */
  private readPragma(): void {
    const name = this.peek(2);
    if (
      isId(this.peek(1), 'pragma') &&
      isId(name, 'namespace') &&
      isP(this.peek(3), '(') &&
      this.peek(4)?.k === 'str'
    )
      this.namespaces.push((this.peek(4) as { v: string }).v);
    this.p++;
    if (isId(this.peek(), 'pragma')) this.p++;
    if (this.peek()?.k === 'id') this.p++;
    if (isP(this.peek(), '(')) this.skipGroup();
  }

  /** Reads every statement; those that are not `instance of` or a pragma are skipped whole. */
  readAll(): void {
    while (this.p < this.toks.length) {
      const t = this.peek()!;
      if (isP(t, '#')) this.readPragma();
      else if (isP(t, '[')) this.skipGroup();
      else if (isId(t, 'instance') && isId(this.peek(1), 'of')) {
        if (this.instances.length >= this.maxInstances) {
          this.problem(`more than ${this.maxInstances} instances; the rest are not read`);
          return;
        }
        const inst = this.readInstance(t.at);
        if (inst) this.instances.push(inst);
        else {
          this.problem(`an instance declaration at ${t.at} could not be read`);
          this.skipStatement();
        }
      } else this.skipStatement();
    }
  }
}

/**
 * Parses the instances of a MOF text. Statements that are not `instance of` (class declarations,
 * qualifier declarations, pragmas) are skipped whole.
 */
export function parseMof(text: string, limits: Partial<MofLimits> = {}): MofParse {
  const lim = { ...DEFAULT_MOF_LIMITS, ...limits };
  const problems: string[] = [];
  let src = text;
  if (src.length > lim.maxChars) {
    problems.push(`the text has ${src.length} characters; only the first ${lim.maxChars} are read`);
    src = src.slice(0, lim.maxChars);
  }
  const reader = new MofReader(tokenize(src, lim.maxTokens, problems), problems, lim.maxInstances);
  reader.readAll();
  return { instances: reader.instances, namespaces: reader.namespaces, problems };
}
