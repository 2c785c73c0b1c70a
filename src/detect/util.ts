// Building blocks every detector uses for evidence, actions, fingerprints and messages, so hits of
// different detectors on the same process come out identical and correlation can merge them cleanly.
import type { Action, Evidence, Localized } from '../model/finding.js';
import type { IocEntry } from '../iocs/types.js';
import type { ProcessInfo, Snapshot } from '../snapshot/schema.js';

// One bilingual text helper and one basename for the whole project (model/localized.ts).
import { basename, t } from '../model/localized.js';
export { basename, t };

export function processSubject(pid: number): string {
  return `process:${pid}`;
}

export function processesByPid(snapshot: Snapshot): Map<number, ProcessInfo> {
  return new Map((snapshot.processes ?? []).map((p) => [p.pid, p]));
}

/** A userland process: kernel threads have no exe and an empty command line. */
export function isUserland(p: ProcessInfo): boolean {
  return !p.kernelThread && (p.exe !== undefined || p.argv.some((a) => a !== ''));
}

/** What a reader recognises a process by: its executable, else its argv[0], else its task name. */
export function processLabel(p: ProcessInfo): string {
  if (p.exe) return p.exeDeleted ? `${p.exe} (deleted)` : p.exe;
  return p.argv[0] || p.comm;
}

/** "PID 4242 (/tmp/.x/kworker)" and its Chinese form. */
export function processRef(p: ProcessInfo): Localized {
  const label = processLabel(p);
  return t(`PID ${p.pid} (${label})`, `进程 PID ${p.pid}（${label}）`);
}

export function processEvidence(p: ProcessInfo): Evidence {
  const evidence: Evidence = { type: 'process', pid: p.pid, ppid: p.ppid, comm: p.comm, argv: [...p.argv] };
  if (p.user !== undefined) evidence.user = p.user;
  if (p.exe !== undefined) evidence.exe = p.exe;
  if (p.exeDeleted) evidence.exeDeleted = true;
  if (p.exeSha256 !== undefined) evidence.exeSha256 = p.exeSha256;
  if (p.cpuPercent !== undefined) evidence.cpuPercent = p.cpuPercent;
  if (p.startTime !== undefined) evidence.startTime = p.startTime;
  // Which container it runs in: the pid and exe alone would send a responder to the host's files.
  if (p.container !== undefined) evidence.container = { ...p.container };
  return evidence;
}

/**
 * What identifies a process across runs and machines: never its pid or start time. The same
 * executable started with the same arguments is the same thing, wherever and whenever it runs.
 */
export function processFingerprint(p: ProcessInfo): string[] {
  return ['process', p.exe ?? '', p.argv.length > 0 ? p.argv.join(' ') : p.comm];
}

// Quarantining the system's interpreter that runs a disguised script would break the host, not the
// miner. Only installed copies are spared: a miner calling itself php-fpm in /var/tmp is not one.
const SYSTEM_DIRS = /^\/(?:usr\/|bin\/|sbin\/|lib(?:32|64|x32)?\/)/;
const SHARED_PROGRAMS =
  /^(?:python[\d.]*|perl[\d.]*|ruby[\d.]*|node(?:js)?|bun|deno|php[\d.]*(?:-fpm[\d.]*)?|java|bash|sh|dash|zsh|ksh|ash|busybox|lua[\d.]*|env|sudo|su|nohup|setsid|nice|screen|tmux)$/;

/** Kill the process tree; quarantine its executable when that is a file of its own on disk. */
export function processActions(p: ProcessInfo): Action[] {
  const actions: Action[] = [];
  // Never pid 1: that is init (or a container's entrypoint) and killing it takes everything down.
  if (p.pid > 1)
    actions.push(
      p.exe
        ? { type: 'kill-process-tree', pid: p.pid, exe: p.exe }
        : { type: 'kill-process-tree', pid: p.pid },
    );
  const shared = p.exe !== undefined && SYSTEM_DIRS.test(p.exe) && SHARED_PROGRAMS.test(basename(p.exe));
  // A container process's exe path is inside the container: the host's file of that name is not it.
  if (p.exe && !p.exeDeleted && !p.exeMemfd && !shared && p.container === undefined) {
    actions.push({ type: 'quarantine-file', path: p.exe });
  }
  return actions;
}

/** Where an indicator came from, for evidence: "iocs/pool-ports.yml: 3333". */
export function iocRef(entry: IocEntry): string {
  return `${entry.file ?? 'iocs'}: ${entry.value}`;
}

/** The pool-domain entry a host name falls under (the host itself or any name below it). */
export function matchDomain(host: string, domains: IocEntry[]): IocEntry | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  return domains.find((d) => h === d.value || h.endsWith(`.${d.value}`));
}

export function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Pool URL schemes: stratum (v1/v2) and the Ethereum-proxy variants GPU miners accept. */
const POOL_URL_RE = /\b((?:stratum\d?|ethproxy|ethnh|nicehash)\+(?:tcp|ssl|tls|ws|wss)):\/\/([^\s/?#,;'"]+)/i;

export interface PoolUrl {
  /** The URL as written, e.g. `stratum+tcp://user:pw@pool.example:3333`. */
  url: string;
  scheme: string;
  host: string;
  port?: number;
}

/** The pool URL in one argument, with the host and port taken apart (credentials dropped). */
export function parsePoolUrl(text: string): PoolUrl | undefined {
  const m = POOL_URL_RE.exec(text);
  if (!m?.[1] || !m[2]) return undefined;
  const hostPort = m[2].slice(m[2].lastIndexOf('@') + 1);
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  const [host = '', port] = v6 ? [v6[1], v6[2]] : hostPort.split(':');
  return {
    url: m[0],
    scheme: m[1].toLowerCase(),
    host,
    port: port && /^\d+$/.test(port) ? Number(port) : undefined,
  };
}
