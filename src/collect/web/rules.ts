// The rules a live page check runs: the bundled YARA rules (and the user's --rules), compiled once
// through the scan cache, over each script and document the page loaded (as written and as the
// web normaliser decodes it) and over each WebAssembly module it compiled. A script counts only
// with web-script rules and the user's own (a Monero address on a donation page is not a miner);
// a module's bytes count with every rule, since a WebAssembly build of a CPU miner keeps its strings.
import { compileAllRules } from '../../engine/content-scan.js';
import { ruleKind, ruleLevel } from '../../engine/rule-meta.js';
import { scanWebContent } from '../../engine/web-normalise/index.js';
import type { RuleMatch, RuleProblem } from '../../engine/yara.js';
import type { WebRuleMatch } from '../../detect/web-live.js';

/** Per script: how long decoding may take (the page's whole check is bounded to seconds). */
const DECODE_BUDGET_MS = 500;

export interface WebRuleScanner {
  /** A document (hint html) or script (hint js) as the page received it. */
  scanScript(data: Buffer, hint: 'js' | 'html'): WebRuleMatch[];
  scanWasm(data: Buffer): WebRuleMatch[];
  readonly problems: readonly RuleProblem[];
}

function toWebMatch(m: RuleMatch & { chain?: string[]; decodedExcerpt?: string }): WebRuleMatch {
  const out: WebRuleMatch = {
    rule: m.rule,
    namespace: m.namespace,
    strings: m.strings.slice(0, 4).map((s) => ({ identifier: s.identifier, excerpt: s.excerpt })),
  };
  const level = ruleLevel(m.meta);
  const kind = ruleKind(m.meta);
  if (level) out.level = level;
  if (kind) out.kind = kind;
  if (typeof m.meta.description === 'string') out.description = m.meta.description;
  if (m.chain && m.chain.length > 0) out.chain = [...m.chain];
  if (m.decodedExcerpt) out.decodedExcerpt = m.decodedExcerpt;
  return out;
}

const counts = (m: RuleMatch): boolean =>
  m.namespace.startsWith('user.') || ruleKind(m.meta) === 'web-script';

/** Compiles (or restores from `cachePath`) the rules; throws EngineUnavailableError without YARA-X. */
export function webRuleScanner(userRuleDirs: readonly string[], cachePath?: string): WebRuleScanner {
  const { scanner, problems } = compileAllRules(userRuleDirs, cachePath);
  return {
    problems,
    scanScript(data, hint) {
      const result = scanWebContent(scanner, data, hint, { limits: { timeBudgetMs: DECODE_BUDGET_MS } });
      return result.matches.filter(counts).map(toWebMatch);
    },
    scanWasm(data) {
      return scanner.scanBuffer(data).map(toWebMatch);
    },
  };
}
