// Undoes PHP decoding chains, eval(gzinflate(base64_decode('…'))), echo str_rot13(strrev(…)) and
// the like, when the innermost argument is a literal (or a variable assigned one literal): each known
// function is applied in order, decompression bounded by the output budget, and the chain replaced
// by what it yields. The sink the result flows into (eval, assert, echo, preg_replace /e…) is named
// in the technique, since it says whether the hidden text is run or printed into the page.
import { inflateRawSync, inflateSync, gunzipSync } from 'node:zlib';
import { PHP_LITERAL, looksLikeText, phpStringValue, replaceRanges } from './literals.js';
import { PHP_NEEDLES, searchText, type Has } from './needles.js';
import type { Budget, DecodeStep } from './types.js';

type Transform = (input: string, budget: Budget, maxOut: number) => string | undefined;

function inflateWith(fn: typeof inflateSync, name: string): Transform {
  return (input, budget, maxOut) => {
    try {
      return fn(Buffer.from(input, 'latin1'), { maxOutputLength: Math.max(1, maxOut) }).toString('latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError)
        budget.bomb(`php:${name}: output exceeds the ${maxOut}-byte budget left, not followed`);
      return undefined;
    }
  };
}

const TRANSFORMS: Record<string, Transform> = {
  // PHP's non-strict base64_decode skips characters outside the alphabet; so does this.
  base64_decode: (s) => {
    const clean = s.replace(/[^A-Za-z0-9+/]/g, '');
    return clean.length >= 4 ? Buffer.from(clean, 'base64').toString('latin1') : undefined;
  },
  gzinflate: inflateWith(inflateRawSync, 'gzinflate'),
  gzuncompress: inflateWith(inflateSync, 'gzuncompress'),
  gzdecode: inflateWith(gunzipSync, 'gzdecode'),
  str_rot13: (s) =>
    s.replace(/[A-Za-z]/g, (c) => {
      const base = c <= 'Z' ? 65 : 97;
      return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
    }),
  strrev: (s) => [...s].reverse().join(''),
  rawurldecode: (s) => percentDecode(s),
  urldecode: (s) => percentDecode(s.replace(/\+/g, ' ')),
  hex2bin: (s) => (/^(?:[0-9a-fA-F]{2})+$/.test(s) ? Buffer.from(s, 'hex').toString('latin1') : undefined),
};

function percentDecode(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

const CHAIN_START = new RegExp(String.raw`\b(?:${Object.keys(TRANSFORMS).join('|')})\s*\(`, 'gi');
const CALL = /\s*([A-Za-z_]\w*)\s*\(\s*/y;
const LITERAL = new RegExp(String.raw`\s*(${PHP_LITERAL})`, 'y');
const CONCAT = new RegExp(String.raw`\s*\.\s*(${PHP_LITERAL})`, 'y');
const VARIABLE = /\s*\$([A-Za-z_]\w*)/y;
/** A closing parenthesis, after the optional flag or length argument these functions take. */
const CLOSE = /\s*(?:,\s*(?:true|false|-?\d+|0x[0-9a-fA-F]+)\s*)?\)/iy;
/** The statement a chain's result goes to, read just before the chain. */
const SINK =
  /\b(eval|assert|echo|print|create_function|preg_replace|system|exec|passthru|include|require)(?:_once)?\s*\(?\s*(?:(?:'[^']*'|"[^"]*")\s*,\s*)?$/i;

interface Chain {
  start: number;
  end: number;
  value: string;
  technique: string;
}

/** Nested calls read per chain, and chains tried per text: real chains are a handful deep. */
const MAX_CHAIN = 32;
const MAX_CHAINS = 4096;

/** What each variable was assigned, looked up once per text. */
type Assignments = Map<string, string | undefined>;

function assignment(text: string, name: string, cache: Assignments): string | undefined {
  if (!cache.has(name)) {
    const m = new RegExp(String.raw`\$${name}\s*=\s*(${PHP_LITERAL})\s*;`).exec(text);
    cache.set(name, m ? phpStringValue(m[1] as string) : undefined);
  }
  return cache.get(name);
}

/** Reads a literal, or literals joined with `.`, at `pos`; or a variable assigned exactly that. */
function readArgument(
  text: string,
  pos: number,
  vars: Assignments,
): { value: string; end: number } | undefined {
  LITERAL.lastIndex = pos;
  let m = LITERAL.exec(text);
  if (m) {
    let value = phpStringValue(m[1] as string);
    let end = LITERAL.lastIndex;
    for (CONCAT.lastIndex = end, m = CONCAT.exec(text); m; m = CONCAT.exec(text)) {
      value += phpStringValue(m[1] as string);
      end = CONCAT.lastIndex;
    }
    return { value, end };
  }
  VARIABLE.lastIndex = pos;
  const v = VARIABLE.exec(text);
  if (!v) return undefined;
  const value = assignment(text, v[1] as string, vars);
  return value !== undefined ? { value, end: VARIABLE.lastIndex } : undefined;
}

/** Parses the chain of known calls starting at `start` and applies it, innermost first. */
function readChain(
  text: string,
  start: number,
  budget: Budget,
  maxOut: number,
  vars: Assignments,
): Chain | undefined {
  const names: string[] = [];
  let pos = start;
  for (CALL.lastIndex = pos; names.length < MAX_CHAIN; CALL.lastIndex = pos) {
    const m = CALL.exec(text);
    const name = m?.[1]?.toLowerCase();
    if (!m || !name || !(name in TRANSFORMS)) break;
    names.push(name);
    pos = CALL.lastIndex;
  }
  const arg = names.length > 0 ? readArgument(text, pos, vars) : undefined;
  if (!arg) return undefined;
  pos = arg.end;
  for (let i = 0; i < names.length; i++) {
    CLOSE.lastIndex = pos;
    if (!CLOSE.exec(text)) return undefined;
    pos = CLOSE.lastIndex;
  }
  let value: string | undefined = arg.value;
  for (const name of [...names].reverse()) {
    value = (TRANSFORMS[name] as Transform)(value, budget, maxOut);
    if (value === undefined) return undefined;
  }
  if (!looksLikeText(value)) return undefined;
  const sink = SINK.exec(text.slice(Math.max(0, start - 160), start))?.[1]?.toLowerCase();
  const chain = names.reduceRight((inner, n) => (inner ? `${n}(${inner})` : n), '');
  return { start, end: pos, value, technique: `php:${sink ? `${sink}(${chain})` : chain}` };
}

export function decodePhp(text: string, budget: Budget, has: Has = searchText(text)): DecodeStep[] {
  if (!PHP_NEEDLES.some(has)) return [];
  CHAIN_START.lastIndex = 0;
  if (!CHAIN_START.test(text)) return [];
  const chains: Chain[] = [];
  const vars: Assignments = new Map();
  let used = 0;
  let tried = 0;
  CHAIN_START.lastIndex = 0;
  for (let m = CHAIN_START.exec(text); m && tried++ < MAX_CHAINS; m = CHAIN_START.exec(text)) {
    const chain = readChain(text, m.index, budget, budget.remaining - used, vars);
    if (!chain) continue;
    chains.push(chain);
    used += chain.value.length;
    CHAIN_START.lastIndex = chain.end;
    if (budget.expired()) break;
  }
  if (chains.length === 0) return [];
  const r = replaceRanges(
    text,
    chains.map((c) => ({ start: c.start, end: c.end, value: c.value })),
  );
  // The technique of the outermost chain names the step; a text with several lists them all.
  const techniques = [...new Set(chains.map((c) => c.technique))];
  return [{ technique: techniques.join(' + '), text: r.text, spans: r.spans, edits: r.edits }];
}
