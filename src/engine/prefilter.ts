// Plans the content scan's prefilter: a small rule built from the full rule set that matches
// whenever any full rule could match. A file the prefilter does not match cannot match any rule,
// so it is never scanned with the full set; a file it matches is scanned with the full set, so
// the results are exactly the full set's.
//
// Why: YARA-X searches the atoms of every pattern in one automaton, and its speed per byte falls
// as the automaton grows (measured here on 150 MiB of text and ELF slices, one thread: 100
// lower-case literals 0.13 s, 500 0.33 s, 1,000 0.78 s; our 71 rules, 523 patterns, most of them
// nocase or wide, 0.80 s). Most rules need one rare pattern and many common ones (`$name and
// 2 of ($option*)`); only the rare part has to be searched everywhere.
//
// How: for each rule, a set of its patterns one of which must match whenever the condition is
// true, read from the condition: `$a` and `$a at/in ...`, `#a > n`, `k of (...)` (any n - k + 1 of
// the set), `A and B` (the cheaper of the two), `A or B` (both), references to earlier rules.
// Anything else (not, arithmetic, modules, loops, filesize) proves nothing, and a rule whose
// condition proves nothing can match without any pattern: then there is no prefilter and every
// file gets the full set. The prefilter copies each chosen pattern's definition verbatim, modifiers
// included, so it matches exactly the bytes the full rule's pattern matches; a text string
// contained in another chosen one (same case rule and encodings) stands for both.
//
// Measured with our rules on bench:scan's tree (22,244 files, 521 MiB, one thread): 185 prefilter
// patterns instead of 523, 126 files reach the full rules, 0.83 s instead of 2.73 s (an empty
// rule takes 0.16 s). What a pattern costs is very uneven: one atom starting with a blank or
// shorter than four bytes can cost as much as a hundred ordinary ones ("<&3" and the " -u " of a
// wallet regex each took a third of the time, see weigh and rules/wallets.yar).
// Tried and dropped: searching regexes by their literal factors and merging literals into shared
// pieces cut the patterns to 144 but sent 5x more files to the full rules, and was slower.
import { isPunct, isWord, tokenize, type Token } from './yara-tokens.js';

export interface PrefilterPlan {
  /** YARA source of one rule, `any of them` over the chosen patterns; undefined when impossible. */
  source?: string;
  /** How many distinct patterns the prefilter holds. */
  patterns: number;
  /** Why there is no prefilter (the first rule whose condition needs no pattern). */
  reason?: string;
}

interface PatternDef {
  /** The definition after `=`: value and modifiers, verbatim. */
  text: string;
  /** Relative cost of searching for it everywhere (see weigh). */
  weight: number;
  /** A plain text string (no xor, no base64, ASCII only): what subsumption compares. */
  literal?: Literal;
}

interface Literal {
  /** The string's characters, escapes decoded. */
  value: string;
  nocase: boolean;
  ascii: boolean;
  wide: boolean;
  fullword: boolean;
}

interface ParsedRule {
  name: string;
  isPrivate: boolean;
  /** Pattern identifiers (anonymous ones get `$#n`) to definitions, in order. */
  patterns: Map<string, PatternDef>;
  condition: Token[];
}

/** A set of definitions one of which must match; undefined: the condition proves nothing. */
type Need = Set<PatternDef> | undefined;

const MODIFIERS = new Set(['ascii', 'wide', 'nocase', 'fullword', 'private', 'xor', 'base64', 'base64wide']);

/**
 * Words found in most text files. A pattern that is one of them (or is short) matches nearly
 * every file, which then gets the full rules, so the planner prefers the other side of an `and`.
 */
const COMMON = new Set(
  [
    'http https www html json user users name file files path data type value error info debug',
    'true false null return function class import export const static public private void char',
    'self this from with that have here there where time date host port login password',
    'create delete update select insert remove install start stop status config service server',
    'client kernel module driver process thread memory socket network system windows linux',
    'version default string number object array buffer index cache timeout retry script style',
  ]
    .join(' ')
    .split(' '),
);

/** How unlikely a literal is to occur by chance: longer and less word-like is rarer. */
function rarity(text: string): number {
  if (COMMON.has(text.toLowerCase())) return 1;
  let odd = 0;
  for (const ch of text) if (!/[a-z]/.test(ch)) odd++;
  return Math.min(text.length, 10) + odd;
}

/**
 * A pattern's cost relative to a plain literal: each extra form (nocase, ascii + wide, xor,
 * base64) multiplies the atoms the engine searches; regexes and hex strings with gaps have weaker
 * atoms. Only the order matters: it picks the cheaper side of an `and`.
 */
function weigh(opening: string, modifiers: ReadonlySet<string>, literal?: string): number {
  let w = opening === '/' ? 3 : opening === '{' ? 2 : 1;
  // Short or common text matches all over files: every match is verified, and every file it
  // matches gets the full rules.
  // Under four bytes the engine cannot draw a full atom: "<&3" alone cost a third of the
  // prefilter's time on bench:scan's tree, where the other side of its rule's `and` costs nothing.
  if (literal !== undefined) w *= (literal.length < 4 ? 8 : 1) * (10 / Math.max(1, rarity(literal)));
  if (modifiers.has('nocase')) w *= 3;
  if (modifiers.has('wide') && modifiers.has('ascii')) w *= 2;
  if (modifiers.has('xor')) w *= 16;
  if (modifiers.has('base64') || modifiers.has('base64wide')) w *= 4;
  return w;
}

const ENCODED = new Set(['xor', 'base64', 'base64wide']);

function literal(value: string, modifiers: ReadonlySet<string>): Literal {
  return {
    value,
    nocase: modifiers.has('nocase'),
    ascii: modifiers.has('ascii') || !modifiers.has('wide'),
    wide: modifiers.has('wide'),
    fullword: modifiers.has('fullword'),
  };
}

/**
 * The literal a plain text pattern stands for (see PatternDef.literal). Text outside ASCII is left
 * alone: "\\xe9" and "é" decode alike here but are different bytes to the engine.
 */
function literalOf(value: Token, modifiers: ReadonlySet<string>): Literal | undefined {
  if (value.t !== 'string' || [...ENCODED].some((m) => modifiers.has(m))) return undefined;
  for (const ch of value.v) if (ch.charCodeAt(0) > 0x7f) return undefined;
  return literal(value.v, modifiers);
}

/**
 * True when every match of `p` contains a match of `q`, so searching for q alone finds every file
 * p would: q's text occurs in p's (ignoring case if q ignores case), q is searched in every
 * encoding p is, and q is not limited to whole words.
 */
function subsumes(q: Literal, p: Literal): boolean {
  if (q.fullword || (p.nocase && !q.nocase)) return false;
  if ((p.ascii && !q.ascii) || (p.wide && !q.wide)) return false;
  return q.nocase ? p.value.toLowerCase().includes(q.value.toLowerCase()) : p.value.includes(q.value);
}

/** Splits tokens on a top-level keyword (outside parentheses and brackets). */
function splitTop(tokens: Token[], keyword: string): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const tok of tokens) {
    if (isPunct(tok, '(') || isPunct(tok, '[')) depth++;
    else if (isPunct(tok, ')') || isPunct(tok, ']')) depth--;
    if (depth === 0 && isWord(tok, keyword)) parts.push([]);
    else (parts[parts.length - 1] as Token[]).push(tok);
  }
  return parts;
}

/** True when the first token opens a parenthesis the last token closes. */
function wrapped(tokens: Token[]): boolean {
  if (!isPunct(tokens[0], '(') || !isPunct(tokens[tokens.length - 1], ')')) return false;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (isPunct(tok, '(')) depth++;
    else if (isPunct(tok, ')')) depth--;
    if (depth === 0 && i < tokens.length - 1) return false;
  }
  return true;
}

function cost(need: Set<PatternDef>): number {
  let sum = 0;
  for (const d of need) sum += d.weight;
  return sum;
}

/** The patterns of `rule` a set expression names: `them`, or `($a, $b*, ...)`. */
function patternSet(tokens: Token[], rule: ParsedRule): PatternDef[] | undefined {
  if (tokens.length === 1 && isWord(tokens[0], 'them')) return [...rule.patterns.values()];
  if (!wrapped(tokens)) return undefined;
  const out = new Set<PatternDef>();
  for (let i = 1; i < tokens.length - 1; i++) {
    const tok = tokens[i];
    if (isPunct(tok, ',')) continue;
    if (!isWord(tok) || !tok.v.startsWith('$')) return undefined;
    if (tok.v.endsWith('*')) {
      const prefix = tok.v.slice(0, -1);
      for (const [id, def] of rule.patterns) if (!id.startsWith('$#') && id.startsWith(prefix)) out.add(def);
      // `$*` also covers anonymous patterns.
      if (prefix === '$') for (const def of rule.patterns.values()) out.add(def);
    } else {
      const def = rule.patterns.get(tok.v);
      if (!def) return undefined;
      out.add(def);
    }
  }
  return out.size > 0 ? [...out] : undefined;
}

/** `k of SET` at least one of whose patterns must match: k >= 1 makes any n - k + 1 of them do. */
function quantified(tokens: Token[], rule: ParsedRule): Need {
  const ofAt = tokens.findIndex((t) => isWord(t, 'of'));
  if (ofAt < 1) return undefined;
  const quant = tokens.slice(0, ofAt);
  let k: number;
  const q0 = quant[0];
  if (quant.length === 1 && isWord(q0, 'any')) k = 1;
  else if (quant.length === 1 && isWord(q0, 'all')) k = Infinity;
  else if (quant.length === 1 && q0?.t === 'number' && Number.isInteger(q0.v) && q0.v >= 1) k = q0.v;
  else if (quant.length === 2 && q0?.t === 'number' && q0.v > 0 && isPunct(quant[1], '%')) k = 1;
  else return undefined;
  // The set runs to the end, or to an `in (range)` / `at offset` that only narrows where it matches.
  let rest = tokens.slice(ofAt + 1);
  const narrow = rest.findIndex((t, i) => i > 0 && (isWord(t, 'in') || isWord(t, 'at')));
  if (narrow > 0) {
    const after = rest.slice(narrow);
    if (after.some((t) => isPunct(t, ':'))) return undefined;
    rest = rest.slice(0, narrow);
  }
  const set = patternSet(rest, rule);
  if (!set) return undefined;
  const take = k === Infinity ? 1 : set.length - Math.min(k, set.length) + 1;
  return new Set([...set].sort((a, b) => a.weight - b.weight).slice(0, take));
}

function need(tokens: Token[], rule: ParsedRule, earlier: Map<string, Need>): Need {
  while (wrapped(tokens)) tokens = tokens.slice(1, -1);
  if (tokens.length === 0) return undefined;
  const ors = splitTop(tokens, 'or');
  if (ors.length > 1) {
    const out = new Set<PatternDef>();
    for (const part of ors) {
      const n = need(part, rule, earlier);
      if (!n) return undefined;
      n.forEach((d) => out.add(d));
    }
    return out;
  }
  const ands = splitTop(tokens, 'and');
  if (ands.length > 1) {
    let best: Need;
    for (const part of ands) {
      const n = need(part, rule, earlier);
      if (n && (!best || cost(n) < cost(best))) best = n;
    }
    return best;
  }
  const [first, second, third, fourth] = tokens;
  if (!isWord(first)) return quantified(tokens, rule);
  const v = first.v;
  if (v === 'not' || v === 'defined' || v === 'for') return undefined;
  // $a, $a at N, $a in (range)
  if (v.startsWith('$') && v !== '$' && !v.endsWith('*')) {
    const def = rule.patterns.get(v);
    if (!def) return undefined;
    if (tokens.length === 1 || isWord(second, 'at') || isWord(second, 'in')) return new Set([def]);
    return undefined;
  }
  // #a > n (n >= 0), #a >= n and #a == n (n >= 1): the pattern matched at least once.
  if (v.startsWith('#') && v.length > 1 && !v.endsWith('*')) {
    const def = rule.patterns.get(`$${v.slice(1)}`);
    if (!def) return undefined;
    if (tokens.length === 3 && isPunct(second, '>') && third?.t === 'number' && third.v >= 0)
      return new Set([def]);
    const ge = isPunct(second, '>') && isPunct(third, '=');
    const eq = isPunct(second, '=') && isPunct(third, '=');
    if (tokens.length === 4 && (ge || eq) && fourth?.t === 'number' && fourth.v >= 1) return new Set([def]);
    return undefined;
  }
  if (tokens.length === 1) return earlier.get(v);
  return quantified(tokens, rule);
}

/** Reads rules: name, private flag, pattern definitions and condition tokens. */
function parseRules(src: string): ParsedRule[] | undefined {
  const tokens = tokenize(src);
  const rules: ParsedRule[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    // Another file's rules are out of sight: plan nothing.
    if (isWord(tok, 'include')) return undefined;
    if (!isWord(tok, 'rule')) continue;
    let isPrivate = false;
    for (let back = i - 1; back >= 0 && isWord(tokens[back]); back--) {
      const w = (tokens[back] as { v: string }).v;
      if (w === 'private') isPrivate = true;
      else if (w !== 'global') break;
    }
    const name = tokens[i + 1];
    if (!isWord(name)) return undefined;
    let j = i + 2;
    while (j < tokens.length && !isPunct(tokens[j], '{')) j++;
    const patterns = new Map<string, PatternDef>();
    let condition: Token[] | undefined;
    let anonymous = 0;
    for (j++; j < tokens.length; j++) {
      const t = tokens[j];
      if (isWord(t, 'strings') && isPunct(tokens[j + 1], ':')) {
        j += 2;
        while (j < tokens.length && !(isWord(tokens[j], 'condition') && isPunct(tokens[j + 1], ':'))) {
          const id = tokens[j];
          const value = tokens[j + 2];
          if (!isWord(id) || !id.v.startsWith('$') || !isPunct(tokens[j + 1], '=') || !value)
            return undefined;
          let end = value.end;
          const modifiers = new Set<string>();
          j += 3;
          for (let m = tokens[j]; isWord(m) && MODIFIERS.has(m.v); m = tokens[j]) {
            modifiers.add(m.v);
            end = m.end;
            j++;
            if (isPunct(tokens[j], '(')) {
              while (j < tokens.length && !isPunct(tokens[j], ')')) j++;
              end = (tokens[j] as Token).end;
              j++;
            }
          }
          const text = src.slice(value.start, end);
          const lit = literalOf(value, modifiers);
          const weight = weigh(src[value.start] ?? '', modifiers, lit?.value);
          patterns.set(id.v === '$' ? `$#${anonymous++}` : id.v, { text, weight, literal: lit });
        }
        j--;
        continue;
      }
      if (isWord(t, 'condition') && isPunct(tokens[j + 1], ':')) {
        const from = j + 2;
        while (j < tokens.length && !isPunct(tokens[j], '}')) j++;
        condition = tokens.slice(from, j);
        break;
      }
    }
    if (!condition) return undefined;
    rules.push({ name: name.v, isPrivate, patterns, condition });
    i = j;
  }
  return rules;
}

/**
 * Plans the prefilter for rule sources compiled together (each source is its own namespace, as the
 * compiler sees them). Returns no source when some rule could match without any of its patterns.
 */
export function planPrefilter(sources: readonly { source: string; namespace: string }[]): PrefilterPlan {
  const chosen = new Map<string, PatternDef>();
  for (const { source, namespace } of sources) {
    const rules = parseRules(source);
    if (!rules) return { patterns: 0, reason: `${namespace}: a rule the planner cannot read` };
    const earlier = new Map<string, Need>();
    for (const rule of rules) {
      const n = need(rule.condition, rule, earlier);
      earlier.set(rule.name, n);
      // A private rule is never reported; a rule that uses it carries its need.
      if (rule.isPrivate) continue;
      if (!n) return { patterns: 0, reason: `${namespace}.${rule.name} can match without a pattern` };
      for (const d of n) chosen.set(d.text, d);
    }
  }
  // What to search for: each definition's literal, or the definition itself.
  const verbatim = new Set<string>();
  const literals = new Map<string, Literal>();
  for (const d of chosen.values()) {
    if (d.literal) literals.set(literalText(d.literal), d.literal);
    else verbatim.add(d.text);
  }
  // Leave out each literal another one is contained in ("cpuminer" finds every file "cpuminer-opt"
  // would): fewer patterns, a smaller automaton, the same files. Of two that contain each other
  // (equal text), the first stays.
  const all = [...literals.values()];
  const kept = all.filter(
    (p, i) => !all.some((q, j) => j !== i && subsumes(q, p) && !(subsumes(p, q) && j > i)),
  );
  const lines = [...verbatim, ...kept.map(literalText)].map((text, i) => `    $p${i} = ${text}`);
  if (lines.length === 0) return { patterns: 0, reason: 'no rules' };
  return {
    source: `rule minehunter_prefilter\n{\n  strings:\n${lines.join('\n')}\n  condition:\n    any of them\n}\n`,
    patterns: lines.length,
  };
}

/** A literal as a YARA string definition, escaping what YARA's string syntax needs escaped. */
function literalText(l: Literal): string {
  let body = '';
  for (const ch of l.value) {
    const code = ch.charCodeAt(0);
    if (ch === '"' || ch === '\\') body += `\\${ch}`;
    else if (code >= 0x20 && code < 0x7f) body += ch;
    else body += `\\x${code.toString(16).padStart(2, '0')}`;
  }
  // ascii is the default and only needs saying beside wide.
  const mods = [
    l.ascii && l.wide && 'ascii',
    l.wide && 'wide',
    l.nocase && 'nocase',
    l.fullword && 'fullword',
  ];
  return [`"${body}"`, ...mods.filter(Boolean)].join(' ');
}
