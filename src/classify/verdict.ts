// Findings → verdict: is the host infected, with which of the seven kinds, how sure we are, and which
// miner processes are running right now. Kinds and their evidence chains are ordered by strength of
// evidence (level, then what the evidence is found in: a running process before an autostart entry,
// an executable, a configuration file, a mention). Allowed findings never count towards the verdict;
// missing collection, and content the scan could not read for a reason other than policy, make a
// clean result "incomplete" rather than "clean".
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import {
  BasisSchema,
  LevelSchema,
  LocalizedSchema,
  MinerKindSchema,
  basisRank,
  isMinerKind,
  levelRank,
  maxLevel,
  type Basis,
  type Evidence,
  type Finding,
  type Level,
  type MinerKind,
} from '../model/finding.js';
import type { CollectionRecord, TargetKind } from '../snapshot/schema.js';
import { parsePoolUrl } from '../detect/util.js';
import { playbookFor } from './playbooks.js';
import { isPolicySkip } from '../model/skip-policy.js';

/** One link of a kind's evidence chain: a finding that points to it, strongest first. */
export const ChainLinkSchema = builtOnFirstUse(() =>
  z.object({
    ruleId: z.string(),
    level: LevelSchema,
    category: z.string(),
    fingerprint: z.string(),
    message: LocalizedSchema,
    /** What the finding's evidence is found in (absent in reports of older versions). */
    basis: BasisSchema.optional(),
  }),
);

/**
 * A miner process running now, as the first screen of a report shows it: who runs what, how hard,
 * and the pool and wallet its evidence names.
 */
export const RunningProcessSchema = builtOnFirstUse(() =>
  z.object({
    pid: z.number().int(),
    user: z.string().optional(),
    comm: z.string(),
    exe: z.string().optional(),
    exeDeleted: z.boolean().optional(),
    cpuPercent: z.number().optional(),
    /** The strongest level among the findings on this process. */
    level: LevelSchema,
    /** Pool URLs, pool host names and pool connections (remote address:port), strongest first. */
    pools: z.array(z.string()),
    wallets: z.array(z.string()),
  }),
);
export type RunningProcess = z.infer<typeof RunningProcessSchema>;

export const VerdictSchema = builtOnFirstUse(() =>
  z.object({
    status: z.enum(['infected', 'suspicious', 'clean', 'incomplete']),
    highest: LevelSchema.nullable(),
    kinds: z.array(
      z.object({
        kind: MinerKindSchema,
        confidence: z.enum(['high', 'medium', 'low']),
        findingCount: z.number().int(),
        /** The findings that make the case for this kind, strongest first: level, then basis. */
        chain: z.array(ChainLinkSchema),
        /** What to do, in order (source document §4), in both languages. */
        playbook: z.array(LocalizedSchema),
        /**
         * On `container-image`: the kinds of what the images carry (an XMRig binary in a layer is an
         * open-source miner), strongest first. A finding has one kind, and an image's is
         * container-image, so the image detectors keep the carried kind as the `carries` fact of their
         * signals and the verdict reads it from there.
         */
        carries: z.array(MinerKindSchema).optional(),
        /**
         * Set on a kind listed only because an image carries it: its chain is the image's findings and
         * its playbook is empty, since what to do is the container-image playbook (a host playbook
         * would have a person kill processes on a machine that may never have run the image).
         */
        carriedBy: z.literal('container-image').optional(),
      }),
    ),
    /**
     * Miner processes running now (findings on a running process at level medium or above), strongest
     * first. Absent in reports of older versions.
     */
    running: z.array(RunningProcessSchema).optional(),
    /** Collectors that failed or were skipped: what the verdict could not see. */
    notCollected: z.array(z.string()),
    /**
     * Content skips that leave part of the scope unread (any reason not in POLICY_SKIP_REASONS), counted
     * by reason, most first: why a scan with nothing found is "incomplete". Absent when there is none
     * (and in reports of older versions).
     */
    scanGaps: z.array(z.object({ reason: z.string(), count: z.number().int().positive() })).optional(),
  }),
);
export type Verdict = z.infer<typeof VerdictSchema>;

/**
 * What a finding's strongest evidence is found in. Findings of older reports carry no basis: it is
 * derived the way the rule runner does (a process → running; persistence or tampering → autostart;
 * anything else → an executable on disk).
 */
export function basisOf(f: Finding): Basis {
  if (f.basis) return f.basis;
  if (f.evidence.some((e) => e.type === 'process')) return 'running';
  if (f.category === 'persistence' || f.category === 'tampering') return 'autostart';
  return 'executable';
}

/**
 * A low or info finding that only mentions miner strings (a document, a log, minehunter's own saved
 * report): it may support a kind, but never lets that kind lead the verdict.
 */
function isWeak(f: Finding): boolean {
  const basis = basisOf(f);
  return (basis === 'mention' || basis === 'own-output') && levelRank(f.level) <= levelRank('low');
}

/** Stronger first: level, then basis, then fingerprint (the rule runner's order). */
function byStrength(a: Finding, b: Finding): number {
  return (
    levelRank(b.level) - levelRank(a.level) ||
    basisRank(basisOf(b)) - basisRank(basisOf(a)) ||
    (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0)
  );
}

type KindEntry = Verdict['kinds'][number];

/** A kind's entry from the findings that point to it, with the rank that orders the kinds. */
function kindEntry(
  kind: MinerKind,
  list: Finding[],
  carriedOnly: boolean,
  target?: TargetKind,
): { entry: KindEntry; rank: number[] } {
  const sorted = [...list].sort(byStrength);
  const top = maxLevel(list.map((f) => f.level));
  // Only mentions at low/info give low confidence already: the level caps it.
  const confidence: KindEntry['confidence'] =
    levelRank(top) >= levelRank('high') ? 'high' : top === 'medium' ? 'medium' : 'low';
  const chain = sorted.map((f) => ({
    ruleId: f.ruleId,
    level: f.level,
    category: f.category,
    fingerprint: f.fingerprint,
    message: f.message,
    basis: basisOf(f),
  }));
  // The kind's rank comes from its strongest finding that is not a weak mention; a kind with
  // nothing else ranks after every kind that has more.
  const lead = sorted.find((f) => !isWeak(f));
  const head = lead ?? sorted[0]!;
  const entry: KindEntry = carriedOnly
    ? { kind, confidence, findingCount: list.length, chain, playbook: [], carriedBy: 'container-image' }
    : { kind, confidence, findingCount: list.length, chain, playbook: playbookFor(kind, target) };
  return { entry, rank: [lead ? 1 : 0, levelRank(head.level), basisRank(basisOf(head))] };
}

/** The kinds an image finding's signals say the image carries (their `carries` fact). */
export function carriedKinds(f: Finding): MinerKind[] {
  const facts = [f.data?.carries, ...f.signals.map((s) => s.data?.carries)];
  const kinds = facts.flatMap((v) => (isMinerKind(v) && v !== 'container-image' ? [v] : []));
  return [...new Set(kinds)];
}

/**
 * The kinds, strongest first; when images are found to carry a miner (a container-image finding
 * that is not a weak mention), container-image leads and the kinds it carries follow it: the image
 * is where the miner comes from, and removing what it carries without it brings the miner back.
 */
function verdictKinds(active: Finding[], target?: TargetKind): KindEntry[] {
  const byKind = new Map<MinerKind, Finding[]>();
  for (const f of active) if (f.kind) byKind.set(f.kind, [...(byKind.get(f.kind) ?? []), f]);
  const images = [...(byKind.get('container-image') ?? [])].sort(byStrength);
  const carried = new Map<MinerKind, Finding[]>();
  for (const f of images) for (const k of carriedKinds(f)) carried.set(k, [...(carried.get(k) ?? []), f]);
  const ranked = [
    ...[...byKind.entries()].map(([kind, list]) => kindEntry(kind, list, false, target)),
    ...[...carried.entries()]
      .filter(([k]) => !byKind.has(k))
      .map(([kind, list]) => kindEntry(kind, list, true)),
  ];
  const image = ranked.find((r) => r.entry.kind === 'container-image');
  if (image && carried.size > 0) image.entry.carries = [...carried.keys()];
  ranked.sort((a, b) => compareRanks(b.rank, a.rank) || a.entry.kind.localeCompare(b.entry.kind));
  if (!image || image.rank[0] !== 1) return ranked.map((r) => r.entry);
  const first = [image, ...[...carried.keys()].flatMap((k) => ranked.filter((r) => r.entry.kind === k))];
  return [...first, ...ranked.filter((r) => !first.includes(r))].map((r) => r.entry);
}

// The list lives in model/ so the engine's skip tally can keep room for gaps too.
export { POLICY_SKIP_REASONS, isPolicySkip } from '../model/skip-policy.js';

/** The content skips that are gaps, by reason, most first (then by name, for a stable order). */
export function scanGapsOf(skippedByReason: Record<string, number>): { reason: string; count: number }[] {
  return Object.entries(skippedByReason)
    .filter(([reason, count]) => count > 0 && !isPolicySkip(reason))
    .map(([reason, count]) => ({ reason, count }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

/**
 * The verdict. `skippedByReason` is the content scan's count of skips per reason (the snapshot's
 * `content.stats.skippedByReason`); absent when no content was scanned.
 */
export function classify(
  findings: Finding[],
  collection: CollectionRecord[],
  skippedByReason: Record<string, number> = {},
  /** The target's kind: a Windows volume's kinds get Windows playbooks. */
  target?: TargetKind,
): Verdict {
  const active = findings.filter((f) => !f.allowed);
  const highest = active.length ? maxLevel(active.map((f) => f.level)) : null;
  const kinds = verdictKinds(active, target);
  const notCollected = collection
    .filter((c) => c.status === 'failed' || c.status === 'skipped')
    .map((c) => c.collector);
  const scanGaps = scanGapsOf(skippedByReason);

  let status: Verdict['status'];
  if (highest && levelRank(highest) >= levelRank('high') && active.some((f) => f.category === 'miner')) {
    status = 'infected';
  } else if (highest && levelRank(highest) >= levelRank('medium')) {
    status = 'suspicious';
  } else if (notCollected.length > 0 || scanGaps.length > 0) {
    status = 'incomplete';
  } else {
    status = 'clean';
  }
  return {
    status,
    highest,
    kinds,
    running: runningProcesses(active),
    notCollected,
    ...(scanGaps.length > 0 ? { scanGaps } : {}),
  };
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The level a finding on a running process must reach to be shown as a running miner. */
const RUNNING_MIN: Level = 'medium';

/**
 * The miner processes running now: one entry per process that a finding of basis `running` (level
 * medium or above, not allowed) is about, with the pools and wallets its evidence names. Low and
 * info findings on a process, such as a miner string in a shell's memory, stay in the findings.
 */
export function runningProcesses(findings: Finding[]): RunningProcess[] {
  const byPid = new Map<number, RunningProcess>();
  const order: number[] = [];
  for (const f of [...findings].sort(byStrength)) {
    if (f.allowed || basisOf(f) !== 'running' || levelRank(f.level) < levelRank(RUNNING_MIN)) continue;
    // The finding's subject is its first process; other processes in it are context (a parent).
    const proc = f.evidence.find((e): e is Extract<Evidence, { type: 'process' }> => e.type === 'process');
    if (!proc) continue;
    let entry = byPid.get(proc.pid);
    if (!entry) {
      entry = {
        pid: proc.pid,
        ...(proc.user !== undefined ? { user: proc.user } : {}),
        comm: proc.comm,
        ...(proc.exe !== undefined ? { exe: proc.exe } : {}),
        ...(proc.exeDeleted ? { exeDeleted: true } : {}),
        ...(proc.cpuPercent !== undefined ? { cpuPercent: proc.cpuPercent } : {}),
        level: f.level,
        pools: [],
        wallets: [],
      };
      byPid.set(proc.pid, entry);
      order.push(proc.pid);
    }
    addUnique(entry.pools, poolsOf(f.evidence, proc));
    addUnique(entry.wallets, walletsOf(f.evidence));
  }
  return order.map((pid) => byPid.get(pid)!);
}

function addUnique(into: string[], items: string[]): void {
  for (const item of items) if (!into.includes(item)) into.push(item);
}

/**
 * Pools named by the evidence: pool URLs (matched in the command line, or written in the process's
 * own argv), pool host names matched in argv, then the remote end of pool connections unless a URL
 * already names it.
 */
function poolsOf(evidence: Evidence[], proc: Extract<Evidence, { type: 'process' }>): string[] {
  const urls: string[] = [];
  const hosts: string[] = [];
  const remotes: string[] = [];
  for (const e of evidence) {
    if (e.type === 'match' && e.field.startsWith('argv')) {
      if (e.ioc?.startsWith('pool URL scheme')) urls.push(e.value);
      else if (e.ioc && /pool-domains/i.test(e.ioc) && /^[^\s/:]+\.[^\s/:]+$/.test(e.value))
        hosts.push(e.value);
    } else if (e.type === 'socket' && e.match && (e.pids.length === 0 || e.pids.includes(proc.pid))) {
      remotes.push(e.remote);
    }
  }
  for (const arg of proc.argv) {
    const url = parsePoolUrl(arg);
    if (url) urls.push(url.url);
  }
  const uniqueUrls = [...new Set(urls)];
  return [
    ...uniqueUrls,
    ...hosts.filter((h) => !uniqueUrls.some((u) => u.includes(h))),
    ...remotes.filter((r) => !uniqueUrls.some((u) => u.includes(r))),
  ];
}

/** Wallet addresses the command-line evidence matched against the wallet patterns. */
function walletsOf(evidence: Evidence[]): string[] {
  return evidence.flatMap((e) =>
    e.type === 'match' && e.field.startsWith('argv') && e.ioc && /wallet/i.test(e.ioc) ? [e.value] : [],
  );
}
