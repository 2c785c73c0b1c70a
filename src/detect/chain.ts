// Correlation of persistence with running miners: follows what a persistence entry starts (the
// programs in its command, then the paths the scripts it runs name, up to three steps) to a running
// process whose executable or script is on that path, and on to the pool it talks to. Persistence
// hits on a linked entry use the process as their subject, so the runner merges them into the miner's
// finding and the report tells one story: cron line → script → binary → process → pool.
import type { Ruleset } from '../iocs/types.js';
import type { Evidence, Localized } from '../model/finding.js';
import type { PersistenceEntry, PersistenceFile } from '../snapshot/persistence.js';
import type { ProcessInfo, Snapshot, SocketInfo } from '../snapshot/schema.js';
import { commandTargets } from '../shell/command.js';
import { formatEndpoint, isLoopback } from './net.js';
import { isUserland, t } from './util.js';

/** Installed programs (shells, interpreters, system tools) run many things: never a link on their own. */
const SYSTEM_PATH = /^\/(?:usr\/(?:bin|sbin|lib|libexec)|bin|sbin|lib(?:32|64)?)\//;
const MAX_DEPTH = 3;

export interface Chain {
  /** The files from the entry to the process: [script, …, binary]. */
  paths: string[];
  process: ProcessInfo;
  /** The connection that makes it a miner's story, when there is one (a pool port first). */
  socket?: SocketInfo;
}

interface Index {
  files: Map<string, PersistenceFile>;
  chains: Map<PersistenceEntry, Chain | undefined>;
  /** Files the linked chains' scripts name (authorized_keys, /etc/hosts…) → the chain. */
  touched: Map<string, { chain: Chain; entry: PersistenceEntry }>;
}

const cache = new WeakMap<Snapshot, Index>();

function findProcess(snapshot: Snapshot, path: string): ProcessInfo | undefined {
  if (SYSTEM_PATH.test(path)) return undefined;
  const procs = (snapshot.processes ?? []).filter(isUserland);
  return (
    procs.find((p) => p.exe === path) ??
    // A script run by an interpreter shows in argv, not in exe.
    procs.find((p) => p.argv.slice(1).includes(path) || (p.argv[0] === path && p.exe === undefined))
  );
}

function poolSocket(snapshot: Snapshot, ruleset: Ruleset, pid: number): SocketInfo | undefined {
  const ports = new Set(ruleset.poolPorts.map((p) => p.port));
  const own = (snapshot.sockets ?? []).filter(
    (s) => s.pids.includes(pid) && s.remotePort !== 0 && s.state !== 'LISTEN' && !isLoopback(s.remoteAddress),
  );
  return own.find((s) => ports.has(s.remotePort)) ?? own[0];
}

function chainFor(
  snapshot: Snapshot,
  ruleset: Ruleset,
  entry: PersistenceEntry,
  files: Map<string, PersistenceFile>,
): Chain | undefined {
  // Breadth first so the shortest chain wins; `parent` rebuilds the path walked.
  const parent = new Map<string, string | undefined>();
  let frontier = commandTargets(entry.command);
  for (const p of frontier) parent.set(p, undefined);
  for (let depth = 0; depth < MAX_DEPTH && frontier.length > 0; depth++) {
    for (const p of frontier) {
      const proc = findProcess(snapshot, p);
      if (proc) {
        const paths: string[] = [];
        for (let cur: string | undefined = p; cur !== undefined; cur = parent.get(cur)) paths.unshift(cur);
        const socket = poolSocket(snapshot, ruleset, proc.pid);
        return { paths, process: proc, ...(socket ? { socket } : {}) };
      }
    }
    const next: string[] = [];
    for (const p of frontier) {
      for (const r of files.get(p)?.references ?? []) {
        if (parent.has(r) || files.get(r)?.missing) continue;
        parent.set(r, p);
        next.push(r);
      }
    }
    frontier = next;
  }
  return undefined;
}

function index(snapshot: Snapshot, ruleset: Ruleset): Index {
  const hit = cache.get(snapshot);
  if (hit) return hit;
  const files = new Map((snapshot.persistence?.files ?? []).map((f) => [f.path, f]));
  const chains = new Map<PersistenceEntry, Chain | undefined>();
  const touched = new Map<string, { chain: Chain; entry: PersistenceEntry }>();
  for (const entry of snapshot.persistence?.entries ?? []) {
    const chain = chainFor(snapshot, ruleset, entry, files);
    chains.set(entry, chain);
    if (!chain) continue;
    for (const p of [entry.file, ...chain.paths]) {
      if (!touched.has(p)) touched.set(p, { chain, entry });
      for (const r of files.get(p)?.references ?? []) if (!touched.has(r)) touched.set(r, { chain, entry });
    }
  }
  const built = { files, chains, touched };
  cache.set(snapshot, built);
  return built;
}

/** The running process a persistence entry leads to, with the files in between. */
export function entryChain(snapshot: Snapshot, ruleset: Ruleset, entry: PersistenceEntry): Chain | undefined {
  return index(snapshot, ruleset).chains.get(entry);
}

/**
 * A linked chain that involves this file: the file is on the chain, or a script on the chain names it
 * (a dropper that appends to /root/.ssh/authorized_keys or edits /etc/hosts).
 */
export function fileChain(
  snapshot: Snapshot,
  ruleset: Ruleset,
  path: string,
): { chain: Chain; entry: PersistenceEntry } | undefined {
  return index(snapshot, ruleset).touched.get(path);
}

export function persistenceFile(snapshot: Snapshot, path: string): PersistenceFile | undefined {
  return (snapshot.persistence?.files ?? []).find((f) => f.path === path);
}

/** How a reader recognises an entry: "cron line /etc/cron.d/x:3", "systemd unit x.service (ExecStart)". */
export function entryLabel(entry: PersistenceEntry): Localized {
  const at = `${entry.file}${entry.line ? `:${entry.line}` : ''}`;
  switch (entry.place) {
    case 'crontab':
    case 'cron.d':
    case 'cron-spool':
      return t(`cron line ${at}`, `cron 任务 ${at}`);
    case 'cron-periodic':
      return t(
        `cron.${entry.schedule ?? ''} script ${entry.file}`,
        `cron.${entry.schedule ?? ''} 脚本 ${entry.file}`,
      );
    case 'anacrontab':
      return t(`anacron job ${at}`, `anacron 任务 ${at}`);
    case 'at':
      return t(`at job ${entry.file}`, `at 任务 ${entry.file}`);
    case 'systemd': {
      const u = entry.unit;
      const name = u ? `${u.name} (${u.directive})` : entry.file;
      return t(`systemd unit ${name}`, `systemd 单元 ${name}`);
    }
    case 'rc-local':
      return t(`rc.local line ${at}`, `rc.local 第 ${entry.line ?? '?'} 行（${entry.file}）`);
    case 'init.d':
      return t(`init script line ${at}`, `init 脚本行 ${at}`);
    case 'shell-profile':
      return t(`shell start-up file line ${at}`, `shell 启动文件行 ${at}`);
    case 'udev':
      return t(`udev rule ${at}`, `udev 规则 ${at}`);
  }
}

/** "cron line /etc/cron.d/x:2 → /var/tmp/.ldr.sh → /usr/local/lib/.cache/kworkerds → PID 1337 → 203.0.113.7:3333". */
export function chainText(entry: PersistenceEntry, chain: Chain): Localized {
  const label = entryLabel(entry);
  const tail = [
    ...chain.paths,
    `PID ${chain.process.pid}`,
    ...(chain.socket ? [formatEndpoint(chain.socket.remoteAddress, chain.socket.remotePort)] : []),
  ].join(' → ');
  return t(`${label.en} → ${tail}`, `${label['zh-CN']} → ${tail}`);
}

export function chainEvidence(entry: PersistenceEntry, chain: Chain): Evidence {
  const text = chainText(entry, chain);
  return {
    type: 'match',
    field: 'chain',
    value: text.en,
    ioc: chain.socket ? 'persistence → process → pool' : 'persistence → process',
  };
}
