// Decides, from the filter model, whether a new connection to a port is certainly dropped. A packet is
// blocked when some base chain on its hook drops it on every path through the rules; any path that may
// accept it (an undecidable rule, a jump that may accept) means "not certainly blocked".
import type { AuditFacts } from '../../snapshot/audit.js';
import { chainsFromIptablesSave } from './iptables.js';
import type { Chain, FilterModel, Probe } from './ir.js';
import { chainsFromNft } from './nft.js';

type Outcome = 'accept' | 'drop' | 'return';

const MAX_DEPTH = 32;

function evalChain(
  chain: Chain,
  probe: Probe,
  byName: Map<string, Chain>,
  depth: number,
): Set<Outcome | 'continue'> {
  const out = new Set<Outcome | 'continue'>();
  if (depth > MAX_DEPTH) return new Set(['accept']);
  let reachable = true;
  for (const rule of chain.rules) {
    if (!reachable) break;
    let match: 'yes' | 'no' | 'maybe' = 'yes';
    for (const cond of rule.conds) {
      const t = cond(probe);
      if (t === 'no') {
        match = 'no';
        break;
      }
      if (t === 'maybe') match = 'maybe';
    }
    if (match === 'no') continue;
    let results: Set<Outcome | 'continue'>;
    const v = rule.verdict;
    switch (v.kind) {
      case 'accept':
        results = new Set(['accept']);
        break;
      case 'drop':
        results = new Set(['drop']);
        break;
      case 'return':
        results = new Set(['return']);
        break;
      case 'none':
        results = new Set(['continue']);
        break;
      case 'unknown':
        results = new Set(['accept', 'continue']);
        break;
      case 'jump':
      case 'goto': {
        const target = byName.get(`${chain.table}\u0000${v.target}`);
        if (!target) {
          results = new Set(['accept', 'continue']);
          break;
        }
        const sub = evalChain(target, probe, byName, depth + 1);
        results = new Set();
        for (const o of sub) {
          // The end of a jumped-to chain, or its `return`, resumes after the jump; after a goto it
          // returns from this chain too.
          if (o === 'return' || o === 'continue') results.add(v.kind === 'jump' ? 'continue' : 'return');
          else results.add(o);
        }
        break;
      }
    }
    for (const r of results) if (r !== 'continue') out.add(r);
    if (match === 'yes' && !results.has('continue')) reachable = false;
  }
  if (reachable) out.add(chain.hook ? (chain.policy ?? 'accept') : 'return');
  return out;
}

/** The base filter chains a probe passes through. */
export function chainsFor(model: FilterModel, probe: Probe): Chain[] {
  const hook = probe.direction === 'in' ? 'input' : 'output';
  return model.chains
    .filter((c) => c.hook === hook && c.filter && c.families.includes(probe.family))
    .sort((a, b) => a.priority - b.priority);
}

export interface ProbeResult {
  blocked: boolean;
  /** The chain that drops it, when blocked. */
  by?: string;
}

export function evaluateProbe(model: FilterModel, probe: Probe): ProbeResult {
  const byName = new Map(model.chains.map((c) => [`${c.table}\u0000${c.name}`, c]));
  for (const chain of chainsFor(model, probe)) {
    const outcomes = evalChain(chain, probe, byName, 0);
    // `return` from a base chain means its policy, which evalChain already added.
    outcomes.delete('continue');
    if (outcomes.delete('return')) outcomes.add(chain.policy ?? 'accept');
    if (outcomes.size === 1 && outcomes.has('drop')) return { blocked: true, by: chain.id };
  }
  return { blocked: false };
}

/** True when a base input chain can drop anything at all: a drop policy or a dropping rule. */
export function hasInboundFilter(model: FilterModel): boolean {
  const byTable = new Map<string, Chain[]>();
  for (const c of model.chains) byTable.set(c.table, [...(byTable.get(c.table) ?? []), c]);
  return model.chains.some(
    (c) =>
      c.hook === 'input' &&
      c.filter &&
      (c.policy === 'drop' ||
        (byTable.get(c.table) ?? []).some((t) => t.rules.some((r) => r.verdict.kind === 'drop'))),
  );
}

export interface BuiltModel {
  model: FilterModel;
  /** Parts that could not be read or parsed. */
  problems: string[];
}

/**
 * Builds one model from the collected rulesets. iptables-nft rules appear in nft's JSON with opaque
 * `xt` matches, so for the ip/ip6 filter tables the iptables-save text (readable) is used instead;
 * legacy iptables rules are not in nft at all and are added as they are.
 */
export function buildModel(fw: NonNullable<AuditFacts['firewall']>): BuiltModel {
  const chains: Chain[] = [];
  const sources: string[] = [];
  const problems: string[] = [];
  const skip = new Set<string>();
  for (const dump of fw.iptables) {
    if (!/^\*filter$/m.test(dump.text)) continue;
    const name = dump.family === 'ip' ? 'iptables' : 'ip6tables';
    chains.push(...chainsFromIptablesSave(dump.text, dump.family, `${name} (${dump.backend})`));
    sources.push(`${name}-save (${dump.backend})`);
    if (dump.backend === 'nf_tables') skip.add(`${dump.family} filter`);
  }
  if (fw.nft !== undefined) {
    try {
      chains.push(...chainsFromNft(fw.nft, skip));
      sources.push('nft');
    } catch (err) {
      problems.push(`nft: ${(err as Error).message}`);
    }
  }
  if (fw.nftError) problems.push(`nft: ${fw.nftError}`);
  problems.push(...fw.iptablesErrors);
  return { model: { chains, sources }, problems };
}
