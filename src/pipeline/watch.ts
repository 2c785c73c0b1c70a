// The watch loop: every interval (or sooner, when a persistence place changes) it probes the root.
// New processes and sockets still there a moment later (a miner stays; a busy host's short-lived
// processes do not) get a quick look: only their process facts are collected and merged into the
// last full snapshot (watch-scan.ts), and a program already seen clean with the same argv is not
// looked at again; a changed persistence place gets its collectors and the content scan of its
// files. The full scan runs at start and on a schedule, spaced out when the watcher's own CPU use
// (watch-budget.ts) is over its budget. Findings fold into the state (watch-state.ts); each event is
// one JSON line, and the state is saved atomically after every scan (watch-store.ts).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Finding } from '../model/finding.js';
import {
  acksFileOf,
  applyAcks,
  applyScan,
  hasPendingMisses,
  parseAcks,
  type WatchEvent,
  type WatchState,
} from './watch-state.js';
import {
  diffProbes,
  freshOf,
  identityOf,
  inodeOf,
  probedNetns,
  probeRoot,
  socketHolders,
  stillThere,
  watchPlaces,
  type Fresh,
  type Probe,
  type ProbeDiff,
} from './watch-probe.js';
import {
  needsFullScan,
  PERSISTENCE_COLLECTORS,
  mergeProcesses,
  mergeSections,
  pidsNamed,
  PROCESS_COLLECTORS,
  type Alive,
  type WatchScanIO,
} from './watch-scan.js';
import type { ProcessInfo, Snapshot } from '../snapshot/schema.js';
import { CpuMeter, describeUse, nextStretch } from './watch-budget.js';
import { jsonStateStore, type StateStore } from './watch-store.js';

export interface WatchLoopOptions {
  root: string;
  intervalMs: number;
  fullEveryMs: number;
  once: boolean;
  /** The watcher's state path (`--state`): names its state, places its acks file. */
  stateFile: string;
  /** Where the state is kept (watch-store.ts); default the JSON file `stateFile`. */
  store?: StateStore;
  /** Collects (all or part of) the root and analyses a snapshot (allowlist applied). */
  io: WatchScanIO;
  /** How long new processes and sockets must last to be looked at; default min(2 s, interval / 2). */
  settleMs?: number;
  /** Percent of one core the watcher may use on average; over it, full scans are spaced out. Default 1. */
  cpuBudget?: number;
  /** The window its CPU use is measured over; default 10 minutes. */
  cpuWindowMs?: number;
  /**
   * The content scan (YARA) of these files only (absolute paths under the root), as `scan --path`
   * runs it; returns its findings (allowlist applied). Absent: changed files are not content-scanned.
   */
  contentScan?: (files: string[]) => Promise<Finding[]>;
  /** Hands the events of one scan to the sinks (stdout, file, syslog, webhook…). */
  deliver: (events: WatchEvent[]) => Promise<void>;
  /** Checked every cycle: a reason to scan again when an input (the allowlist) changed and was reloaded. */
  reload?: () => Promise<string | undefined>;
  /** The sinks' condition, appended to each scan's note. */
  health?: () => string;
  /** The acks `minehunter ack` appends; read again whenever it changes. Default: acksFileOf(stateFile). */
  acksFile?: string;
  /** A short progress/health note for stderr. */
  note: (text: string) => void;
  signal: AbortSignal;
  now?: () => Date;
}

/**
 * Content findings kept per file (root-relative) between scans: the content scan reads a file only
 * when it changed, so what it found stays true until the file changes again or goes away.
 */
type ContentMemo = Map<string, Finding[]>;

/** The file a content finding is about, root-relative. */
function fileOf(f: Finding): string | undefined {
  const e = f.evidence.find((x) => x.type === 'file');
  return e?.type === 'file' ? e.path.replace(/^\/+/, '') : undefined;
}

/**
 * Content findings folded into the scan's: one about a file another finding already names (the
 * cron file a persistence detector raised) adds its YARA evidence to that finding instead of
 * raising a second alert for the same file.
 */
export function foldContent(host: readonly Finding[], content: readonly Finding[]): Finding[] {
  const out = host.map((f) => ({ ...f, evidence: [...f.evidence], tags: [...f.tags] }));
  for (const c of content) {
    const file = fileOf(c);
    const owner = out.find((f) =>
      f.evidence.some((e) => e.type === 'file' && e.path.replace(/^\/+/, '') === file),
    );
    if (!owner || owner.fingerprint === c.fingerprint) {
      if (!out.some((f) => f.fingerprint === c.fingerprint)) out.push(c);
      continue;
    }
    const known = new Set(owner.evidence.map((e) => JSON.stringify(e)));
    for (const e of c.evidence) if (!known.has(JSON.stringify(e))) owner.evidence.push(e);
    owner.tags = [...new Set([...owner.tags, ...c.tags])];
  }
  return out;
}

async function scanContentOf(
  o: WatchLoopOptions,
  memo: ContentMemo,
  files: string[],
  probe: Probe,
): Promise<void> {
  // A file that went away takes its findings with it.
  for (const file of [...memo.keys()]) if (!probe.files.has(file)) memo.delete(file);
  const present = files.filter((f) => probe.files.has(f));
  if (!o.contentScan || present.length === 0) return;
  const found = await o.contentScan(present.map((f) => path.join(o.root, f)));
  for (const file of present) {
    const mine = found.filter((f) => fileOf(f) === file);
    if (mine.length > 0) memo.set(file, mine);
    else memo.delete(file);
  }
}

/** Reads the acks file when it changed since the last look; returns the state with them applied. */
async function readAcks(
  o: WatchLoopOptions,
  store: StateStore,
  state: WatchState,
  seen: { mtime: number },
): Promise<WatchState> {
  const file = o.acksFile ?? acksFileOf(o.stateFile);
  const mtime = (await stat(file).catch(() => undefined))?.mtimeMs ?? 0;
  if (mtime === seen.mtime) return state;
  seen.mtime = mtime;
  const text = await readFile(file, 'utf8').catch(() => '');
  const { state: next, acked } = applyAcks(state, parseAcks(text));
  if (acked.length === 0) return state;
  o.note(`acknowledged: ${acked.join(', ')}`);
  store.save(next);
  return next;
}

/** Identities (watch-probe identityOf) seen clean are forgotten beyond this many (a host that execs wildly). */
const MAX_KNOWN = 10_000;

/**
 * What the loop keeps between cycles: the last snapshot (the full one with the quick looks merged
 * in) and the identities of the processes analysed without a finding naming them.
 */
export class HostModel {
  base: Snapshot | undefined;
  readonly clean = new Set<string>();

  constructor(private readonly root: string) {}

  /** Remembers the analysed processes no finding names as clean, by identity. */
  learn(processes: readonly ProcessInfo[], findings: readonly Finding[], probe: Probe): void {
    const named = pidsNamed(findings);
    if (this.clean.size > MAX_KNOWN) this.clean.clear();
    for (const p of processes) {
      const key = probe.processes.get(String(p.pid));
      if (key !== undefined && !named.has(p.pid)) this.clean.add(identityOf(this.root, String(p.pid), key));
    }
  }

  /** The new pids worth a look: not a program already seen clean with the same argv. */
  unseen(fresh: Fresh): number[] {
    return [...fresh.pids]
      .filter(([pid, key]) => !this.clean.has(identityOf(this.root, pid, key)))
      .map(([pid]) => Number(pid));
  }
}

/** What one cycle does: nothing, a full scan, or a quick look at some pids and places. */
export interface Plan {
  kind: 'none' | 'full' | 'quick';
  reason: string;
  pids: number[];
  places: string[];
}

export interface PlanInput {
  diff: ProbeDiff | undefined;
  /** New processes and sockets still there after the settle wait. */
  lasting: Fresh;
  /** How many were new at the probe, for the reason's words. */
  freshCount: number;
  probe: Probe;
  hasFindings: boolean;
  pendingMisses: boolean;
  reloaded: string | undefined;
  fullDue: boolean;
}

/** Decides the cycle: pure but for the reads of /proc (identities, socket holders) under the root. */
export function planCycle(root: string, model: HostModel, i: PlanInput): Plan {
  const none: Plan = { kind: 'none', reason: '', pids: [], places: [] };
  if (!i.diff || !model.base) return { ...none, kind: 'full', reason: 'start' };
  if (i.fullDue) return { ...none, kind: 'full', reason: 'periodic full scan' };
  const parts: string[] = [];
  const pids = model.unseen(i.lasting);
  if (i.freshCount > 0)
    parts.push(
      `processes/sockets +${i.freshCount}, ${i.lasting.pids.size + i.lasting.sockets.length} lasting, ${pids.length} unseen`,
    );
  const inodes = new Set(i.lasting.sockets.map(inodeOf));
  const holders = inodes.size > 0 ? socketHolders(root, inodes, i.probe.processes.keys()) : [];
  const all = [...new Set([...pids, ...holders])].sort((a, b) => a - b);
  const places = i.diff.changedPlaces;
  if (needsFullScan(places))
    return { ...none, kind: 'full', reason: `changed ${places.map((p) => `/${p}`).join(', ')}` };
  if (places.length > 0) parts.push(`changed ${places.map((p) => `/${p}`).join(', ')}`);
  const gone = i.diff.goneProcesses + i.diff.goneSockets > 0 && i.hasFindings;
  if (gone) parts.push(`processes -${i.diff.goneProcesses}, sockets -${i.diff.goneSockets}`);
  if (i.reloaded) parts.push(i.reloaded);
  if (i.pendingMisses) parts.push('confirming a missing finding');
  if (all.length === 0 && places.length === 0 && !gone && !i.reloaded && !i.pendingMisses) return none;
  return { kind: 'quick', reason: parts.join('; '), pids: all, places };
}

function aliveOf(root: string, probe: Probe): Alive {
  const netns = probedNetns(root);
  return {
    pids: new Set([...probe.processes.keys()].map(Number)),
    socketInodes: new Set([...probe.sockets].map(inodeOf)),
    ...(netns ? { hostNetns: netns } : {}),
  };
}

/** Collects what the plan names, merges it into the last snapshot and analyses the result. */
async function scanFor(o: WatchLoopOptions, model: HostModel, plan: Plan, probe: Probe): Promise<Finding[]> {
  if (plan.kind === 'full' || !model.base) {
    model.base = undefined; // the old one goes before the new one is read: one snapshot in memory
    const snapshot = await o.io.collect();
    model.base = snapshot;
    const findings = await o.io.analyse(snapshot);
    model.learn(snapshot.processes ?? [], findings, probe);
    return findings;
  }
  let snapshot = model.base;
  if (plan.places.length > 0)
    snapshot = mergeSections(snapshot, await o.io.collect({ only: PERSISTENCE_COLLECTORS }));
  const quick =
    plan.pids.length > 0 ? await o.io.collect({ only: PROCESS_COLLECTORS, pids: plan.pids }) : undefined;
  snapshot = mergeProcesses(snapshot, quick, aliveOf(o.root, probe));
  model.base = snapshot;
  const findings = await o.io.analyse(snapshot);
  model.learn(quick?.processes ?? [], findings, probe);
  return findings;
}

/** Probes, and waits a moment to see which of the new processes and sockets last. */
async function look(
  o: WatchLoopOptions,
  previous: Probe | undefined,
  setWake: (w: () => void) => void,
): Promise<{ probe: Probe; diff?: ProbeDiff; lasting: Fresh; freshCount: number }> {
  const probe = probeRoot(o.root);
  if (!previous) return { probe, lasting: { pids: new Map(), sockets: [] }, freshCount: 0 };
  const diff = diffProbes(previous, probe);
  const fresh = freshOf(previous, probe);
  const freshCount = fresh.pids.size + fresh.sockets.length;
  // A persistence change is answered at once (what is new with it is looked at too).
  if (freshCount === 0 || diff.changedPlaces.length > 0 || o.once)
    return { probe, diff, lasting: fresh, freshCount };
  await sleep(o.settleMs ?? Math.min(2000, o.intervalMs / 2), o.signal, setWake);
  return { probe, diff, lasting: stillThere(o.root, fresh), freshCount };
}

/** Runs until the signal aborts (or one cycle with `once`); the state is saved after every scan. */
export async function runWatch(o: WatchLoopOptions): Promise<void> {
  const now = o.now ?? (() => new Date());
  const store = o.store ?? jsonStateStore(o.stateFile, o.note);
  let state = store.load();
  let wake: (() => void) | undefined;
  const setWake = (w: () => void) => (wake = w);
  const watcher = o.once ? undefined : watchPlaces(o.root, () => wake?.());
  const model = new HostModel(o.root);
  const meter = new CpuMeter(o.cpuWindowMs ?? 10 * 60_000);
  const budget = { stretch: 1, lastFull: 0 };
  let previous: Probe | undefined;
  const acks = { mtime: -1 };
  const memo: ContentMemo = new Map();
  try {
    while (!o.signal.aborted) {
      const started = Date.now();
      const { probe, diff, lasting, freshCount } = await look(o, previous, setWake);
      previous = probe;
      if (o.signal.aborted) break;
      state = await readAcks(o, store, state, acks);
      const plan = planCycle(o.root, model, {
        diff,
        lasting,
        freshCount,
        probe,
        hasFindings: Object.keys(state.findings).length > 0,
        pendingMisses: hasPendingMisses(state),
        reloaded: await o.reload?.(),
        fullDue: Date.now() - budget.lastFull >= o.fullEveryMs * budget.stretch,
      });
      if (plan.kind !== 'none')
        state = await runCycle(o, { state, store, model, memo, plan, probe, diff, now, meter });
      if (plan.kind === 'full') {
        budget.lastFull = Date.now();
        const stretch = nextStretch(budget.stretch, meter.use(), o.cpuBudget ?? 1);
        if (stretch !== budget.stretch)
          o.note(
            `${describeUse(meter.use())} (budget ${o.cpuBudget ?? 1}%): full scan every ` +
              `${Math.round((o.fullEveryMs * stretch) / 60_000)} min`,
          );
        budget.stretch = stretch;
      }
      if (o.once) break;
      await sleep(Math.max(0, o.intervalMs - (Date.now() - started)), o.signal, setWake);
    }
  } finally {
    watcher?.close();
    if (!o.store) store.close();
  }
}

interface Cycle {
  state: WatchState;
  store: StateStore;
  model: HostModel;
  memo: ContentMemo;
  plan: Plan;
  probe: Probe;
  diff: ProbeDiff | undefined;
  now: () => Date;
  meter: CpuMeter;
}

/** One scan: content of the changed files, the plan's collection, the state, the sinks, the note. */
async function runCycle(o: WatchLoopOptions, c: Cycle): Promise<WatchState> {
  const t0 = performance.now();
  // After a restart, the files that had content findings are read again (the cache makes it cheap).
  await scanContentOf(o, c.memo, c.diff ? c.diff.changedFiles : (c.state.contentFiles ?? []), c.probe);
  const findings = foldContent(await scanFor(o, c.model, c.plan, c.probe), [...c.memo.values()].flat());
  const result = applyScan(c.state, findings, c.now());
  const state = { ...result.state, ...(c.memo.size > 0 ? { contentFiles: [...c.memo.keys()].sort() } : {}) };
  // Handed to the sinks (queued on disk where they queue) before the state says it was said.
  await o.deliver(result.events);
  c.store.save(state);
  const health = o.health?.();
  o.note(
    `scan (${c.plan.reason}), ${c.plan.kind}: ${findings.length} findings, ${result.events.length} events, ` +
      `${Math.round(performance.now() - t0)} ms; ${describeUse(c.meter.use())}${health ? `; sinks: ${health}` : ''}`,
  );
  return state;
}

/** Waits the interval, or less when woken by a watched place or stopped by the signal. */
function sleep(ms: number, signal: AbortSignal, setWake: (w: () => void) => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let woken: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      clearTimeout(woken);
      signal.removeEventListener('abort', done);
      setWake(() => {});
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
    // A burst of events (an editor's write and rename) settles for a moment before the probe.
    setWake(() => {
      woken ??= setTimeout(done, 200);
    });
  });
}
