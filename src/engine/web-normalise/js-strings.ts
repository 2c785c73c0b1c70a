// Resolves obfuscator.io-style string arrays: every string of the script moved into one array
// (`var _0x3c4d=['log','\x43oin…']`, often inside `function _0x1a2b(){…}`), the array rotated by an
// IIFE `(function(arr, n){ … arr.push(arr.shift()) … })(_0x1a2b, 0x9b2c3)`, and each use replaced
// by a lookup call `_0x5e6f(0x1a4)` that subtracts an offset. The rotation count is read statically:
// either the literal count, or the first rotation for which the IIFE's parseInt checksum equals its
// literal (computed by js-expr.ts, not run). Lookup calls are then replaced by the strings. An array
// whose rotation cannot be read still has its strings listed, so a rule can see them.
import { parseExpr, type Expr } from './js-expr.js';
import {
  JS_LITERAL,
  JS_NUMBER,
  jsNumber,
  jsStringValue,
  matchBrace,
  replaceRanges,
  rewrite,
  wrapLiteral,
  type Rewrite,
} from './literals.js';
import { searchText, type Has } from './needles.js';
import type { Budget, DecodeStep } from './types.js';

interface StringArray {
  /** The array variable, and the function returning it when the array is wrapped in one. */
  names: string[];
  items: string[];
  start: number;
}

interface Lookup {
  name: string;
  offset: number;
  /** obfuscator.io's stringArrayEncoding: items stored in its own base64, or RC4 (not decoded). */
  encoding: 'none' | 'base64' | 'rc4';
}

/**
 * `[` opening an array whose first item is a string: where a declaration of a string array may
 * end. The declaration before it (DECL_BEFORE) and the function wrapping it (WRAPPER_BEFORE) are
 * read backwards from there: a pattern starting with the declaration, let alone with the optional
 * wrapper, was tried at every position of a bundle and cost a tenth of the normaliser's time.
 */
const ARRAY_OPEN = /\[(?=\s*['"])/g;
/** `var name =` right before the `[`. */
const DECL_BEFORE = /(?:var|let|const)\s+([\w$]+)\s*=\s*$/;
/** `function name() {` right before a declaration. */
const WRAPPER_BEFORE = /function\s+([\w$]+)\s*\(\s*\)\s*\{\s*$/;
/** Characters before an `[` or a declaration searched for what comes before it. */
const BEFORE_REACH = 256;
const ITEM = new RegExp(String.raw`\s*(${JS_LITERAL})\s*(,\s*\]|,|\])`, 'y');
const MAX_ITEMS = 100_000;
const OBFUSCATOR_NAME = /^_0x[0-9a-f]{3,}$/i;
/** The alphabet of obfuscator.io's base64 string encoding: lower case first. */
const OBF_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/=';

function escapeRe(s: string): string {
  return s.replace(/[$]/g, '\\$');
}

/** Arrays of at least three string literals, with their items decoded. */
function findArrays(text: string): StringArray[] {
  const out: StringArray[] = [];
  ARRAY_OPEN.lastIndex = 0;
  for (let m = ARRAY_OPEN.exec(text); m; m = ARRAY_OPEN.exec(text)) {
    const before = Math.max(0, m.index - BEFORE_REACH);
    const decl = DECL_BEFORE.exec(text.slice(before, m.index));
    if (!decl) continue;
    const start = before + decl.index;
    const items: string[] = [];
    ITEM.lastIndex = m.index + 1;
    for (let it = ITEM.exec(text); it && items.length < MAX_ITEMS; it = ITEM.exec(text)) {
      items.push(jsStringValue(it[1] as string));
      if ((it[2] as string).endsWith(']')) break;
    }
    if (items.length < 3) continue;
    const from = Math.max(0, start - BEFORE_REACH);
    const wrapper = WRAPPER_BEFORE.exec(text.slice(from, start));
    const names = [decl[1] as string, ...(wrapper ? [wrapper[1] as string] : [])];
    out.push({ names, items, start: wrapper ? from + wrapper.index : start });
    ARRAY_OPEN.lastIndex = Math.max(ARRAY_OPEN.lastIndex, ITEM.lastIndex);
  }
  return out;
}

/** Uses of an array name examined for the functions around them. */
const MAX_USES = 64;

const FUNC_DEF =
  /(?:function\s+([\w$]+)|(?:var|let|const)\s+([\w$]+)\s*=\s*function)\s*\([^)]{0,200}\)\s*\{/g;

/** Named functions whose body reads the array: the lookup functions. */
function findLookups(text: string, arr: StringArray): Lookup[] {
  const found = new Map<string, Lookup>();
  const use = new RegExp(String.raw`(?<![\w$])(?:${arr.names.map(escapeRe).join('|')})(?![\w$])`, 'g');
  let uses = 0;
  // The lookup functions read the array itself; code reaches it through them, so a few uses do.
  for (let u = use.exec(text); u && uses++ < MAX_USES; u = use.exec(text)) {
    if (u.index <= arr.start + 64) continue;
    const from = Math.max(0, u.index - 1500);
    FUNC_DEF.lastIndex = from;
    let def: RegExpExecArray | undefined;
    for (let d = FUNC_DEF.exec(text); d && d.index < u.index; d = FUNC_DEF.exec(text)) def = d;
    const name = def?.[1] ?? def?.[2];
    if (!def || !name || arr.names.includes(name) || found.has(name)) continue;
    const open = def.index + def[0].length - 1;
    const close = matchBrace(text, open, 20_000);
    if (close < u.index) continue;
    const body = text.slice(open, close);
    const off = /([\w$]+)\s*=\s*\1\s*-\s*([^;,{}]{1,200}?)\s*[;,]/.exec(body);
    const offset = off ? Number(parseExpr(off[2] as string)?.(() => NaN)) : 0;
    if (!Number.isFinite(offset)) continue;
    const encoding = body.includes(OBF_ALPHABET) ? (/0x100|256/.test(body) ? 'rc4' : 'base64') : 'none';
    found.set(name, { name, offset, encoding });
  }
  return [...found.values()];
}

/**
 * Names that call a lookup: the lookup itself, aliases (`var _0x3 = _0x5e6f`), and one-line
 * wrappers `function w(a, b) { return _0x5e6f(a - -0x2d3, b); }`, each with what it adds to the index.
 */
function findCallers(text: string, lookups: string[]): Map<string, number> {
  const callers = new Map(lookups.map((n) => [n, 0]));
  for (let round = 0; round < 4; round++) {
    const alt = [...callers.keys()].map(escapeRe).join('|');
    // Anchored on the callee's name (the assigned name is read behind it), so the search skips
    // along the text instead of trying every identifier.
    const alias = new RegExp(String.raw`(?<=([\w$]+)\s*=\s*)(?<![\w$])(${alt})\s*(?=[,;)}\n])`, 'g');
    const wrapper = new RegExp(
      String.raw`function\s+([\w$]+)\s*\(\s*([\w$]+)\s*(?:,\s*[\w$]+\s*)*\)\s*\{\s*return\s+(${alt})\s*\(\s*\2\s*` +
        String.raw`(?:([-+])\s*(-\s*)?(${JS_NUMBER}))?\s*(?:,\s*[\w$]+\s*)*\)\s*;?\s*\}`,
      'g',
    );
    const before = callers.size;
    for (const m of text.matchAll(alias))
      if (!callers.has(m[1] as string)) callers.set(m[1] as string, callers.get(m[2] as string) ?? 0);
    for (const m of text.matchAll(wrapper)) {
      if (callers.has(m[1] as string)) continue;
      const n = m[6] ? jsNumber(m[6]) * (m[5] ? -1 : 1) * (m[4] === '-' ? -1 : 1) : 0;
      callers.set(m[1] as string, (callers.get(m[3] as string) ?? 0) + n);
    }
    if (callers.size === before) break;
  }
  return callers;
}

/** obfuscator.io's base64 variant: its alphabet, then the bytes read as UTF-8. */
function obfBase64(s: string): string {
  const swapped = s.replace(/[A-Za-z]/g, (c) => (c <= 'Z' ? c.toLowerCase() : c.toUpperCase()));
  return Buffer.from(swapped, 'base64').toString('utf8');
}

/** How to read item `index` of the array rotated left by `rotation`, or undefined. */
function reader(arr: StringArray, lookup: Lookup, rotation: number): (index: number) => string | undefined {
  const n = arr.items.length;
  return (index) => {
    const i = index - lookup.offset;
    if (!Number.isInteger(i) || i < 0 || i >= n) return undefined;
    const raw = arr.items[(i + rotation) % n] as string;
    return lookup.encoding === 'base64' ? obfBase64(raw) : raw;
  };
}

/** The rotation IIFE's body and its literal, when one is applied to this array. */
function findRotationIife(text: string, arr: StringArray): { body: string; count: number } | undefined {
  const tail = new RegExp(
    String.raw`\}\s*\)?\s*\(\s*(?:${arr.names.map(escapeRe).join('|')})\s*,\s*(${JS_NUMBER})\s*\)`,
    'g',
  );
  let tails = 0;
  for (const t of text.matchAll(tail)) {
    if (tails++ >= 16) break;
    let from = t.index;
    for (let tries = 0; tries < 20; tries++) {
      const start = text.lastIndexOf('function', from - 1);
      if (start < 0 || t.index - start > 50_000) break;
      const open = text.indexOf('{', start);
      if (open >= 0 && matchBrace(text, open, 50_000) === t.index)
        return { body: text.slice(open + 1, t.index), count: jsNumber(t[1] as string) };
      from = start;
    }
  }
  return undefined;
}

/** The expression the IIFE compares with its literal: from the `=` before parseInt to the `;`. */
function checksumExpression(body: string): string | undefined {
  const p = body.indexOf('parseInt');
  if (p < 0) return undefined;
  const eq = body.lastIndexOf('=', p);
  let depth = 0;
  for (let i = eq + 1; i < body.length; i++) {
    const c = body[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (depth === 0 && (c === ';' || c === '}')) return body.slice(eq + 1, i);
  }
  return undefined;
}

/**
 * How far the IIFE rotates the array: 0 without one, the literal for the plain `push(shift())`
 * loop, the first rotation whose checksum equals the literal otherwise; undefined when unreadable.
 */
function findRotation(
  text: string,
  arr: StringArray,
  lookup: Lookup | undefined,
  budget: Budget,
): number | undefined {
  const iife = findRotationIife(text, arr);
  if (!iife) return 0;
  if (!iife.body.includes('parseInt')) return iife.count % arr.items.length;
  const src = checksumExpression(iife.body);
  if (!src || !lookup) return undefined;
  // Inside the IIFE the lookup is usually reached through a local alias.
  const callers = findCallers(iife.body, [lookup.name]);
  const expr: Expr | undefined = parseExpr(src, new Set(callers.keys()));
  if (!expr) return undefined;
  for (let r = 0; r < arr.items.length; r++) {
    if (r % 256 === 255 && budget.expired()) return undefined;
    const read = reader(arr, lookup, r);
    try {
      const v = expr((name, args) => read(Number(args[0]) + (callers.get(name) ?? 0)) ?? '');
      if (v === iife.count) return r;
    } catch {
      // A malformed item fails this rotation only, as the script's own try/catch would.
    }
  }
  return undefined;
}

/** Member names minifiers keep in brackets on purpose; `a["default"]` is not obfuscation. */
const RESERVED = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await'.split(
    ' ',
  ),
);
const IDENT = /^[A-Za-z_$][\w$]*$/;

/** A string put back where code used it: `x[…]` with a plain name becomes `x.name`. */
function member(value: string, bracketed: boolean): string {
  if (bracketed && IDENT.test(value) && !RESERVED.has(value)) return '.' + value;
  const lit = wrapLiteral(value);
  const quoted = lit === value ? `'${value.replace(/[\\']/g, '\\$&').replace(/\n/g, '\\n')}'` : lit;
  return bracketed ? `[${quoted}]` : quoted;
}

interface Resolved {
  arr: StringArray;
  read: (index: number) => string | undefined;
  callers: Map<string, number>;
}

/** Replaces every lookup call (and direct `arr[0x1]` use) whose index is a literal. */
function substitute(text: string, resolved: Resolved[]): Rewrite {
  const byCaller = new Map<string, { read: Resolved['read']; delta: number }>();
  const byArray = new Map<string, Resolved['read']>();
  for (const r of resolved) {
    for (const [name, delta] of r.callers) byCaller.set(name, { read: r.read, delta });
    if (r.callers.size === 0) for (const n of r.arr.names) byArray.set(n, r.read);
  }
  const callAlt = [...byCaller.keys()].map(escapeRe).join('|') || '(?!)';
  const arrAlt = [...byArray.keys()].map(escapeRe).join('|') || '(?!)';
  const re = new RegExp(
    String.raw`(?<![\w$.])(?:(${callAlt})\s*\(\s*(${JS_NUMBER}|${JS_LITERAL})\s*(?:,\s*(?:${JS_LITERAL}|${JS_NUMBER}))?\s*\)` +
      String.raw`|(${arrAlt})\s*\[\s*(${JS_NUMBER})\s*\])`,
    'g',
  );
  const ranges: { start: number; end: number; value: string }[] = [];
  for (const m of text.matchAll(re)) {
    let value: string | undefined;
    if (m[1]) {
      const c = byCaller.get(m[1]);
      const arg = m[2] as string;
      const index = /^['"]/.test(arg) ? jsNumber(jsStringValue(arg)) : jsNumber(arg);
      value = c?.read(index + c.delta);
    } else if (m[3]) value = byArray.get(m[3])?.(jsNumber(m[4] as string));
    if (value === undefined) continue;
    // `x[lookup(0x1a4)]` becomes `x.name` when the string is a plain name.
    const open = /\[\s*$/.exec(text.slice(Math.max(0, m.index - 8), m.index));
    const end = m.index + m[0].length;
    const close = /^\s*\]/.exec(text.slice(end, end + 8));
    if (open && close && IDENT.test(value) && !RESERVED.has(value))
      ranges.push({
        start: m.index - open[0].length,
        end: end + close[0].length,
        value: member(value, true),
      });
    else ranges.push({ start: m.index, end, value: member(value, false) });
  }
  return replaceRanges(text, ranges);
}

/** `}(name, 0x1b3))`: what a rotation IIFE's call looks like. */
export const IIFE_TAIL = new RegExp(String.raw`\}\s*\)?\s*\(\s*([\w$]+)\s*,\s*(?:${JS_NUMBER})\s*\)`, 'g');

/** Arrays resolved per text; an obfuscated script has one or two. */
const MAX_CANDIDATES = 16;

/** What a rotation does to its array: `arr['push'](arr['shift']())`. */
export const ROTATE_WORDS = ['shift'];
/** Rotating calls whose surroundings are searched for the IIFE's call, and how far after each. */
export const MAX_ROTATE_SITES = 512;
export const ROTATE_REACH = 4096;
/** How far before a `shift` its rotation's `push` is looked for. */
export const PUSH_REACH = 64;

/**
 * Names handed to a rotation IIFE. The IIFE's body rotates its array, so its call follows a
 * `shift` closely: only the text after those is searched, not every `}` of a bundle
 * (a full search cost more than all the other decoders of a clean bundle together).
 */
function rotatedNames(text: string, has: Has): Set<string> {
  const names = new Set<string>();
  // Each window is searched on its own slice, so a search that finds nothing stops at its end.
  const search = (from: number, to: number): void => {
    for (const m of text.slice(from, to).matchAll(IIFE_TAIL)) names.add(m[1] as string);
  };
  let sites = 0;
  for (const word of ROTATE_WORDS) {
    if (!has(word)) continue;
    let from = -1;
    let to = -1;
    for (
      let at = text.indexOf(word);
      at >= 0 && sites++ < MAX_ROTATE_SITES;
      at = text.indexOf(word, at + 1)
    ) {
      // A rotation pushes what it shifts (`arr['push'](arr['shift']())`): a `shift` without a
      // `push` just before it is a queue's, and the text after it is not searched.
      if (!text.slice(Math.max(0, at - PUSH_REACH), at).includes('push')) continue;
      if (at > to) {
        if (from >= 0) search(from, to);
        from = at;
      }
      to = Math.min(text.length, at + ROTATE_REACH);
    }
    if (from >= 0) search(from, to);
  }
  return names;
}

/**
 * The arrays worth resolving: named as obfuscator.io names them, or handed to a rotation IIFE.
 * Picking them first keeps a large ordinary bundle, with hundreds of small string arrays, cheap.
 */
function candidates(text: string, has: Has): StringArray[] {
  const named = has('_0x') || has('_0X');
  const rotated = rotatedNames(text, has);
  // Without an obfuscator.io name or a rotation IIFE no array can qualify: none is looked for.
  if (rotated.size === 0 && !named) return [];
  const arrays = findArrays(text);
  return arrays
    .filter((a) => a.names.some((n) => OBFUSCATOR_NAME.test(n) || rotated.has(n)))
    .slice(0, MAX_CANDIDATES);
}

export function decodeStringArrays(text: string, budget: Budget, has: Has = searchText(text)): DecodeStep[] {
  if (!text.includes('[')) return [];
  const resolved: Resolved[] = [];
  const unresolved: string[] = [];
  for (const arr of candidates(text, has)) {
    if (budget.expired()) break;
    const lookups = findLookups(text, arr);
    const lookup = lookups[0];
    const rotation = lookup?.encoding === 'rc4' ? undefined : findRotation(text, arr, lookup, budget);
    if (rotation === undefined) {
      unresolved.push(...arr.items.map((s) => (lookup?.encoding === 'base64' ? obfBase64(s) : s)));
      continue;
    }
    const read = reader(arr, lookup ?? { name: '', offset: 0, encoding: 'none' }, rotation);
    resolved.push({
      arr,
      read,
      callers: lookup
        ? findCallers(
            text,
            lookups.map((l) => l.name),
          )
        : new Map(),
    });
  }
  const steps: DecodeStep[] = [];
  const r = resolved.length > 0 ? substitute(text, resolved) : undefined;
  // A resolved array with no lookup left to replace (a later round) adds nothing: its items are
  // in the text already.
  if (r && r.count > 0)
    steps.push({ technique: 'js-string-array', text: r.text, spans: r.spans, edits: r.edits });
  if (unresolved.length > 0) {
    const joined = unresolved.join('\n');
    steps.push({
      technique: 'js-string-array-items',
      text: joined,
      spans: [[0, joined.length]],
      fragment: true,
    });
  }
  return steps;
}

/** `'Coin' + 'Hive'` folded, and `x['Anonymous']` (after folding or not) read as `x.Anonymous`. */
const CONCAT = new RegExp(String.raw`(\[\s*)?(${JS_LITERAL})((?:\s*\+\s*(?:${JS_LITERAL}))*)(\s*\])?`, 'g');

/** Fewer rewrites than this leave the text alone: a clean bundle has a stray one or two. */
const MIN_CONCAT = 2;

export function decodeJsConcat(text: string): DecodeStep[] {
  let count = 0;
  const r = rewrite(text, CONCAT, (m) => {
    const parts = m[3]
      ? [m[2] as string, ...((m[3] as string).match(new RegExp(JS_LITERAL, 'g')) ?? [])]
      : [m[2] as string];
    const bracketed = m[1] !== undefined && m[4] !== undefined;
    const value = parts.map(jsStringValue).join('');
    if (parts.length === 1 && !(bracketed && IDENT.test(value) && !RESERVED.has(value))) return undefined;
    if (bracketed && m.index > 0 && !/[\w$)\]]\s*$/.test(text.slice(Math.max(0, m.index - 8), m.index))) {
      // An array literal `['a' + 'b']`, not a member access: fold inside, keep the brackets.
      if (parts.length === 1) return undefined;
      count++;
      return `${m[1]}${wrapLiteral(value)}${m[4]}`;
    }
    count++;
    if (bracketed) return member(value, true);
    return (m[1] ?? '') + wrapLiteral(value) + (m[4] ?? '');
  });
  return count >= MIN_CONCAT
    ? [{ technique: 'js-concat', text: r.text, spans: r.spans, edits: r.edits }]
    : [];
}
