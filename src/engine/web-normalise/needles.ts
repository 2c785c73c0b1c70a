// Which decoders can have anything to do in a file: each one needs a word spelled out (`atob`,
// `eval`, `String.fromCharCode`, `_0x`…), and a file without it is left alone. The words are found
// in one pass of the YARA engine over the file's bytes (Aho-Corasick over all of them at once):
// a search per word in JavaScript read a large bundle a dozen times and cost more than the rest
// of the normaliser on clean code. Without the engine every word is searched for in the text.
import { loadYaraX } from '../../util/paths.js';

/** What a decoder asks before it looks: whether `needle` occurs in the text it is given. */
export type Has = (needle: string) => boolean;

/**
 * Words the decoders need, as written (see each decoder), that the engine looks for. Words of two
 * characters are left to the text's own search: a rare first character (`\\`, `&`) makes that
 * fast, and an atom that short slows the engine's pass for every other word.
 */
export const NEEDLES = [
  '_0x',
  '_0X',
  'shift',
  'eval',
  'atob',
  'Buffer.from',
  'String.fromCharCode',
  ';base64,',
] as const;

/**
 * PHP's decoding functions, matched in any case as PHP does (see php.ts); looked for in PHP and
 * unknown files only, as a case-insensitive search costs the engine's pass as much again.
 */
export const PHP_NEEDLES = [
  'base64_decode',
  'gzinflate',
  'gzuncompress',
  'gzdecode',
  'str_rot13',
  'strrev',
  'rawurldecode',
  'urldecode',
  'hex2bin',
] as const;

interface NativeNeedleRules {
  addRuleSources(sources: { source: string; namespace?: string }[]): void;
  setMaxMatchesPerPattern(max: number): void;
  scan(data: Buffer): { ruleIdentifier: string }[];
}

function yaraString(s: string): string {
  return `"${s.replace(/[\\"]/g, '\\$&')}"`;
}

/** JavaScript's white space as it occurs in a latin1 text. */
const WS = String.raw`[\t\n\x0b\x0c\r \xa0]`;

/** A number of a character-code list, as base64.ts's NUM_LIST writes one. */
const NUM = String.raw`(0x[0-9a-fA-F]+|[0-9]+)`;

/**
 * Shapes only triggers.ts asks about, found in the same pass, each what a decoder needs at the
 * least before it decodes: the `push` a rotation puts within 64 characters before its `shift`
 * (js-strings.ts's rotatedNames), the start of a packer's header (packer.ts's HEADER), an atob or
 * Buffer.from call with a literal, a String.fromCharCode call with a literal list of at least two
 * numbers, or such a list mapped to it (base64.ts, which needs four). They cost the pass little,
 * and leave out most bundles that hold the bare words (`String.fromCharCode(...codes)`). A shape
 * whose pattern would start with a common word (`var`, for obfuscator.io's array declarations)
 * is not here: the engine tries such a pattern wherever the word occurs, which cost the pass as
 * much again; triggers.ts reads it from the bytes.
 */
export type Gate = 'g_rotation' | 'g_packer' | 'g_atob' | 'g_buffer' | 'g_charcodes' | 'g_mapped';

const GATES: Record<Gate, string> = {
  g_rotation: String.raw`/push.{0,60}shift/s`,
  g_packer: String.raw`/eval${WS}*\(${WS}*function${WS}*\(${WS}*p${WS}*,/`,
  g_atob: String.raw`/atob(['"]${WS}*\])?${WS}*\(${WS}*['"]/`,
  g_buffer: String.raw`/Buffer\.from${WS}*\(${WS}*['"]/`,
  g_charcodes: String.raw`/String\.fromCharCode(${WS}*\(${WS}*(\.\.\.${WS}*\[${WS}*)?|\.apply${WS}*\(${WS}*[\w\$.]+${WS}*,${WS}*\[${WS}*)${NUM}${WS}*,${WS}*${NUM}/`,
  g_mapped: String.raw`/${NUM}${WS}*,${WS}*${NUM}${WS}*\]${WS}*\.map.{0,116}String\.fromCharCode/s`,
};

/** One rule per word, named by its index, so the matching rules say which words occur. */
function source(php: boolean): string {
  const rules = NEEDLES.map((n, i) => `rule n${i} { strings: $ = ${yaraString(n)} condition: any of them }`);
  for (const [name, pattern] of Object.entries(GATES))
    rules.push(`rule ${name} { strings: $ = ${pattern} condition: any of them }`);
  if (!php) return rules.join('\n');
  const nocase = PHP_NEEDLES.map(
    (n, i) => `rule p${i} { strings: $ = ${yaraString(n)} nocase condition: any of them }`,
  );
  return [...rules, ...nocase].join('\n');
}

/** This thread's compiled word rules, without and with PHP's; null when the engine cannot load. */
const engines = new Map<boolean, NativeNeedleRules | null>();

function needleRules(php: boolean): NativeNeedleRules | null {
  let rules = engines.get(php);
  if (rules !== undefined) return rules;
  try {
    // The engine's binding: the same one yara.ts loads for the rules.
    const module = loadYaraX().module as { create(): NativeNeedleRules };
    rules = module.create();
    rules.addRuleSources([{ source: source(php), namespace: 'minehunter_web_needles' }]);
    // Whether a word occurs is all that is asked: one match of each is enough.
    rules.setMaxMatchesPerPattern(1);
  } catch {
    rules = null;
  }
  engines.set(php, rules);
  return rules;
}

/** Searches the text for each word asked about (once each): the fallback without the engine. */
export function searchText(text: string): Has {
  const known = new Map<string, boolean>();
  let lower: string | undefined;
  return (needle) => {
    let found = known.get(needle);
    if (found === undefined) {
      found = (PHP_NEEDLES as readonly string[]).includes(needle)
        ? (lower ??= text.toLowerCase()).includes(needle)
        : text.includes(needle);
      known.set(needle, found);
    }
    return found;
  };
}

/** What the engine's pass over a file found. */
export interface NeedleScan {
  /** Whether a word occurs: the engine's words from the pass, others searched in the text. */
  has: Has;
  /** The shapes of GATES that occur. */
  gates: ReadonlySet<Gate>;
}

/**
 * The words that occur in `data`, the engine's in one pass, the others searched in its latin1
 * text (`text`, asked for only then) when asked; undefined without the engine. `php` adds PHP's
 * words.
 */
export function scanNeedleWords(data: Buffer, text: () => string, php: boolean): NeedleScan | undefined {
  const rules = needleRules(php);
  if (!rules) return undefined;
  let matched: { ruleIdentifier: string }[];
  try {
    matched = rules.scan(data);
  } catch {
    return undefined;
  }
  const found = new Set<string>();
  const gates = new Set<Gate>();
  for (const m of matched) {
    const id = m.ruleIdentifier;
    if (Object.hasOwn(GATES, id)) gates.add(id as Gate);
    else {
      const word = WORD_OF_RULE.get(id);
      if (word !== undefined) found.add(word);
    }
  }
  const scanned = php ? SCANNED_WITH_PHP : SCANNED;
  let search: Has | undefined;
  // A word the engine does not look for (`\\x`, `&#`) is searched for in the text when first asked.
  const has: Has = (needle) =>
    scanned.has(needle) ? found.has(needle) : (search ??= searchText(text()))(needle);
  return { has, gates };
}

/** scanNeedleWords' answer for a text at hand: whether each word occurs. */
export function scanNeedles(data: Buffer, text: string, php: boolean): Has | undefined {
  return scanNeedleWords(data, () => text, php)?.has;
}

/** Each word rule's word, by the rule's name (see source). */
const WORD_OF_RULE = new Map<string, string>([
  ...NEEDLES.map((n, i) => [`n${i}`, n] as [string, string]),
  ...PHP_NEEDLES.map((n, i) => [`p${i}`, n] as [string, string]),
]);
/** The words the engine looks for, without and with PHP's: fixed, so not built per file. */
const SCANNED: ReadonlySet<string> = new Set<string>(NEEDLES);
const SCANNED_WITH_PHP: ReadonlySet<string> = new Set<string>([...NEEDLES, ...PHP_NEEDLES]);
