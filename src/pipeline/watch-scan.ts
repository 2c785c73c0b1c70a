// The watch mode's scans: a full collection now and then, and between them quick looks that collect
// only what changed (the new long-lived processes and the holders of new sockets, or the persistence
// places) and merge it into the last snapshot, so the detectors that join sections still see a whole
// host, at a fraction of a full collection's cost.
import type { Finding } from '../model/finding.js';
import type { Snapshot, SocketInfo } from '../snapshot/schema.js';

/** Which collectors run (ids, as in collection records) and, for the process walk, which pids. */
export interface CollectRequest {
  only?: string[];
  pids?: number[];
}

/** How the loop reads and analyses the target: the CLI passes collectSnapshot and analyzeSnapshot. */
export interface WatchScanIO {
  /** A snapshot of the target: every collector when `req` is absent. */
  collect(req?: CollectRequest): Promise<Snapshot>;
  /** The findings of a snapshot (allowlist applied). */
  analyse(snapshot: Snapshot): Promise<Finding[]>;
}

/** The process facts of new pids: the walk, their sockets, their containers, their GPU use. */
export const PROCESS_COLLECTORS = ['linux.processes', 'linux.sockets', 'linux.containers', 'linux.gpu'];
/** The collectors of the persistence places the probe watches. */
export const PERSISTENCE_COLLECTORS = ['linux.persistence', 'linux.hosts-file'];
/**
 * Preload places are read by the stealth checks, which need the whole process list (hidden pids):
 * a change there is answered by a full scan.
 */
const STEALTH_PLACES = /^etc\/ld\.so\.(preload|conf)/;

/** Whether a change of these places (root-relative) needs the full scan rather than a quick look. */
export function needsFullScan(places: readonly string[]): boolean {
  return places.some((p) => STEALTH_PLACES.test(p));
}

/** What is alive now, from the probe: merged sections keep only what still exists. */
export interface Alive {
  pids: ReadonlySet<number>;
  /** Socket inodes in the probed (host) network namespace. */
  socketInodes: ReadonlySet<number>;
  /** The probed network namespace's inode, as sockets name theirs (`netns`). */
  hostNetns?: string;
}

const sortedUnique = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/**
 * Sockets: the quick look's (joined to the new pids) with the holders the last snapshot knew added;
 * the last snapshot's other sockets stay while they still exist (in the host namespace) or while
 * their holders live (another namespace, which the quick look may not have read).
 */
function mergeSockets(base: SocketInfo[] = [], quick: SocketInfo[] | undefined, alive: Alive): SocketInfo[] {
  const living = (pids: number[] = []) => pids.filter((p) => alive.pids.has(p));
  const baseHolders = new Map(base.map((s) => [s.inode, s.pids]));
  const fresh = (quick ?? []).map((s) => ({
    ...s,
    pids: sortedUnique([...s.pids, ...living(baseHolders.get(s.inode))]),
  }));
  const seen = new Set(fresh.map((s) => s.inode));
  const kept = base
    .filter(
      (s) =>
        !seen.has(s.inode) &&
        (alive.socketInodes.has(s.inode) ||
          (s.netns !== undefined && s.netns !== alive.hostNetns && living(s.pids).length > 0)),
    )
    .map((s) => ({ ...s, pids: living(s.pids) }));
  return [...fresh, ...kept];
}

/** The last snapshot with the quick look's processes (and sockets) in, and the gone ones out. */
export function mergeProcesses(base: Snapshot, quick: Snapshot | undefined, alive: Alive): Snapshot {
  const fresh = quick?.processes ?? [];
  const freshPids = new Set(fresh.map((p) => p.pid));
  const processes = [
    ...(base.processes ?? []).filter((p) => alive.pids.has(p.pid) && !freshPids.has(p.pid)),
    ...fresh,
  ].sort((a, b) => a.pid - b.pid);
  return {
    ...base,
    processes,
    sockets: mergeSockets(base.sockets, quick?.sockets, alive),
    // The quick look names only the new processes' containers: the last full list stays.
    ...(base.containers || !quick?.containers ? {} : { containers: quick.containers }),
  };
}

/** A section's key in a snapshot (`hosts-file` → `hostsFile`). */
const keyOf = (section: string): string => section.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());

/**
 * The last snapshot with the sections of the quick look's collectors replaced (persistence, hosts
 * file, stealth checks), and their collection records; a collector that failed keeps the last.
 */
export function mergeSections(base: Snapshot, quick: Snapshot): Snapshot {
  const out: Record<string, unknown> = { ...base };
  const records = new Map(base.collection.map((r) => [r.collector, r]));
  for (const r of quick.collection) {
    if (r.status === 'failed') continue;
    records.set(r.collector, r);
    for (const s of r.sections) {
      const key = keyOf(s);
      if (key === 'processes' || key === 'sockets') continue;
      out[key] = (quick as unknown as Record<string, unknown>)[key];
    }
  }
  return { ...(out as unknown as Snapshot), collection: [...records.values()] };
}

/** Every pid a finding's evidence names (a process, a socket's holders). */
export function pidsNamed(findings: readonly Finding[]): Set<number> {
  const out = new Set<number>();
  for (const f of findings)
    for (const e of f.evidence) {
      const r = e as { pid?: unknown; pids?: unknown };
      if (typeof r.pid === 'number') out.add(r.pid);
      if (Array.isArray(r.pids)) for (const p of r.pids) if (typeof p === 'number') out.add(p);
    }
  return out;
}
