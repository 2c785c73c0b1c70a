// A tiny evaluator for the arithmetic obfuscators leave behind: numbers, + - * / %, parentheses,
// string literals, parseInt(…) and calls to one lookup function the caller resolves. It is how the
// string-array rotation check `parseInt(f(0x1a6))/0x1*(-parseInt(f(0x1a9))/0x2)+…` is computed
// without running the script: any other name or syntax makes the expression unreadable (undefined).
import { jsNumber, jsStringValue } from './literals.js';

type Value = number | string;
type Token =
  { t: 'num'; v: number } | { t: 'str'; v: string } | { t: 'id'; v: string } | { t: 'op'; v: string };

const TOKEN =
  /\s*(?:(0x[0-9a-fA-F]+|\d+(?:\.\d+)?(?:e[-+]?\d+)?)|('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")|([A-Za-z_$][\w$]*)|([-+*/%(),!]))/y;

function tokenize(src: string): Token[] | undefined {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(src);
    if (!m) return /^\s*$/.test(src.slice(start)) ? out : undefined;
    if (m[1] !== undefined) out.push({ t: 'num', v: jsNumber(m[1]) });
    else if (m[2] !== undefined) out.push({ t: 'str', v: jsStringValue(m[2]) });
    else if (m[3] !== undefined) out.push({ t: 'id', v: m[3] });
    else out.push({ t: 'op', v: m[4] as string });
  }
  return out;
}

/** A parsed expression, evaluated again for each candidate rotation without re-parsing. */
export type Expr = (lookup: (name: string, args: Value[]) => Value) => Value;

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly callables: ReadonlySet<string>,
  ) {}

  parse(): Expr | undefined {
    const e = this.additive();
    return e && this.i === this.toks.length ? e : undefined;
  }

  private peekOp(...ops: string[]): string | undefined {
    const t = this.toks[this.i];
    return t?.t === 'op' && ops.includes(t.v) ? t.v : undefined;
  }

  private additive(): Expr | undefined {
    let left = this.multiplicative();
    for (let op = this.peekOp('+', '-'); left && op; op = this.peekOp('+', '-')) {
      this.i++;
      const right = this.multiplicative();
      if (!right) return undefined;
      const l = left;
      // JavaScript's + concatenates when either side is a string; keep that.
      left =
        op === '+' ? (f) => (l(f) as number) + (right(f) as number) : (f) => Number(l(f)) - Number(right(f));
    }
    return left;
  }

  private multiplicative(): Expr | undefined {
    let left = this.unary();
    for (let op = this.peekOp('*', '/', '%'); left && op; op = this.peekOp('*', '/', '%')) {
      this.i++;
      const right = this.unary();
      if (!right) return undefined;
      const l = left;
      if (op === '*') left = (f) => Number(l(f)) * Number(right(f));
      else if (op === '/') left = (f) => Number(l(f)) / Number(right(f));
      else left = (f) => Number(l(f)) % Number(right(f));
    }
    return left;
  }

  private unary(): Expr | undefined {
    const op = this.peekOp('-', '+', '!');
    if (!op) return this.primary();
    this.i++;
    const inner = this.unary();
    if (!inner) return undefined;
    if (op === '-') return (f) => -Number(inner(f));
    if (op === '+') return (f) => Number(inner(f));
    return (f) => Number(!inner(f));
  }

  private primary(): Expr | undefined {
    const t = this.toks[this.i++];
    if (!t) return undefined;
    if (t.t === 'num' || t.t === 'str') return () => t.v;
    if (t.t === 'op' && t.v === '(') {
      const e = this.additive();
      return e && this.peekOp(')') && ++this.i ? e : undefined;
    }
    if (t.t !== 'id' || !this.peekOp('(')) return undefined;
    this.i++;
    const args = this.args();
    if (!args) return undefined;
    if (t.v === 'parseInt') {
      const [a, radix] = args;
      if (!a) return undefined;
      return (f) => parseInt(String(a(f)), radix ? Number(radix(f)) : undefined);
    }
    if (!this.callables.has(t.v)) return undefined;
    const name = t.v;
    return (f) =>
      f(
        name,
        args.map((a) => a(f)),
      );
  }

  private args(): Expr[] | undefined {
    const out: Expr[] = [];
    if (this.peekOp(')')) {
      this.i++;
      return out;
    }
    for (;;) {
      const e = this.additive();
      if (!e) return undefined;
      out.push(e);
      if (this.peekOp(')')) {
        this.i++;
        return out;
      }
      if (!this.peekOp(',')) return undefined;
      this.i++;
    }
  }
}

const MAX_SOURCE = 20_000;
const MAX_NESTING = 64;

function nesting(src: string): number {
  let depth = 0;
  let max = 0;
  for (const c of src) {
    if (c === '(') max = Math.max(max, ++depth);
    else if (c === ')') depth--;
  }
  return max;
}

/** Parses `src`; calls to names in `callables` go to the lookup given at evaluation. */
export function parseExpr(src: string, callables: ReadonlySet<string> = new Set()): Expr | undefined {
  // A checksum is a line of arithmetic; anything far longer or deeper is not one, and a parser
  // that recursed into it could run out of stack.
  if (src.length > MAX_SOURCE || nesting(src) > MAX_NESTING) return undefined;
  const toks = tokenize(src);
  return toks ? new Parser(toks, callables).parse() : undefined;
}
