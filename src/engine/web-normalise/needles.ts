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

/** One rule per word, named by its index, so the matching rules say which words occur. */
function source(php: boolean): string {
  const rules = NEEDLES.map((n, i) => `rule n${i} { strings: $ = ${yaraString(n)} condition: any of them }`);
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

/**
 * The words that occur in `data` (whose latin1 reading is `text`), the engine's in one pass, the
 * others searched in the text when asked; undefined without the engine. `php` adds PHP's words.
 */
export function scanNeedles(data: Buffer, text: string, php: boolean): Has | undefined {
  const rules = needleRules(php);
  if (!rules) return undefined;
  let matched: { ruleIdentifier: string }[];
  try {
    matched = rules.scan(data);
  } catch {
    return undefined;
  }
  const found = new Set<string>();
  for (const m of matched) {
    const word = WORD_OF_RULE.get(m.ruleIdentifier);
    if (word !== undefined) found.add(word);
  }
  const scanned = php ? SCANNED_WITH_PHP : SCANNED;
  let search: Has | undefined;
  // A word the engine does not look for (`\\x`, `&#`) is searched for in the text when first asked.
  return (needle) => (scanned.has(needle) ? found.has(needle) : (search ??= searchText(text))(needle));
}

/** Each word rule's word, by the rule's name (see source). */
const WORD_OF_RULE = new Map<string, string>([
  ...NEEDLES.map((n, i) => [`n${i}`, n] as [string, string]),
  ...PHP_NEEDLES.map((n, i) => [`p${i}`, n] as [string, string]),
]);
/** The words the engine looks for, without and with PHP's: fixed, so not built per file. */
const SCANNED: ReadonlySet<string> = new Set<string>(NEEDLES);
const SCANNED_WITH_PHP: ReadonlySet<string> = new Set<string>([...NEEDLES, ...PHP_NEEDLES]);
