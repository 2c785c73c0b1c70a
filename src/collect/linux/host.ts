// Host facts (name, kernel, distribution, boot time, CPUs, load, addresses) and /etc/hosts, read from the
// target's own files so an offline root describes that machine, not the analyst's.
import os from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { readlink } from 'node:fs/promises';
import type { CollectionRecord, Host, HostsEntry } from '../../snapshot/schema.js';
import type { CollectContext } from '../context.js';
import { CollectorLog, isGone } from '../support.js';
import { findRpmDb } from './rpm/index.js';

/** Parses os-release's shell-like `KEY="value"` lines (quotes and backslash escapes). */
export function parseOsRelease(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    let value = line.slice(eq + 1);
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\([$"\\`])/g, '$1');
    }
    out.set(key, value);
  }
  return out;
}

/** `btime` of /proc/stat: seconds since the epoch when the system booted. */
export function parseBootTime(procStat: string): number | undefined {
  const m = /^btime\s+(\d+)\s*$/m.exec(procStat);
  return m ? Number(m[1]) : undefined;
}

export function parseLoadAvg(text: string): [number, number, number] | undefined {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (a === undefined || b === undefined || c === undefined) return undefined;
  if (![a, b, c].every((n) => Number.isFinite(n) && n >= 0)) return undefined;
  return [a, b, c];
}

export function countCpuInfoProcessors(text: string): number {
  return text.split('\n').filter((l) => /^processor\s*:/.test(l)).length;
}

/** Parses /etc/hosts keeping file order, because the first line for a name is the one resolvers use. */
export function parseHostsFile(text: string): HostsEntry[] {
  const entries: HostsEntry[] = [];
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const fields = (hash >= 0 ? raw.slice(0, hash) : raw).trim().split(/\s+/);
    const [address, ...names] = fields;
    if (address === undefined || address === '' || names.length === 0) continue;
    entries.push({ address, names });
  }
  return entries;
}

function liveAddresses(): Host['addresses'] {
  const out: Host['addresses'] = [];
  for (const [name, infos] of Object.entries(os.networkInterfaces())) {
    for (const info of infos ?? []) {
      out.push({ interface: name, address: info.address, family: info.family === 'IPv6' ? 'IPv6' : 'IPv4' });
    }
  }
  return out.sort(
    (x, y) =>
      x.interface.localeCompare(y.interface) ||
      x.family.localeCompare(y.family) ||
      x.address.localeCompare(y.address),
  );
}

/** The package database present in the root: dpkg, rpm (any of its formats) or Alpine's apk. */
export async function packageManagerOf(ctx: CollectContext): Promise<'dpkg' | 'rpm' | 'apk' | undefined> {
  if (await ctx.fs.exists('/var/lib/dpkg/status')) return 'dpkg';
  if (await findRpmDb(ctx.fs)) return 'rpm';
  if (await ctx.fs.exists('/lib/apk/db/installed')) return 'apk';
  return undefined;
}

/** True unless the target's /proc is a live procfs whose pid 1 is in another UTS namespace than ours. */
export async function sharesOurUts(ctx: Pick<CollectContext, 'live' | 'proc' | 'procDir'>): Promise<boolean> {
  if (ctx.live || ctx.proc !== 'live') return true;
  try {
    const [ours, theirs] = await Promise.all([
      readlink('/proc/self/ns/uts'),
      readlink(path.join(ctx.procDir, '1/ns/uts')),
    ]);
    return ours === theirs;
  } catch {
    return false;
  }
}

export async function collectHost(ctx: CollectContext): Promise<{ host: Host; record: CollectionRecord }> {
  const log = new CollectorLog('linux.host', ['host']);
  const hasProc = ctx.proc !== 'absent';

  // A few small files, read on the spot: a thread-pool round trip each, queued behind the process
  // walk and the content scan, cost more than the reads (issue 17). Files under proc/ are never
  // followed inside the root: a copy of /proc holds its own text.
  const readProc = (rel: string): string | undefined => {
    if (!hasProc) return undefined;
    const file = path.join(ctx.procDir, rel);
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      if (!isGone(err)) log.add(file, err);
      return undefined;
    }
  };
  const readEtc = (rel: string): string | undefined => {
    try {
      return ctx.fs.textSync(rel);
    } catch (err) {
      if (!isGone(err)) log.add(path.join(ctx.root, rel), err);
      return undefined;
    }
  };

  const procHostname = readProc('sys/kernel/hostname');
  const osrelease = readProc('sys/kernel/osrelease');
  const pidMaxText = readProc('sys/kernel/pid_max');
  const procStat = readProc('stat');
  const loadavg = readProc('loadavg');
  const cpuinfo = ctx.live ? undefined : readProc('cpuinfo');
  const etcHostname = readEtc('etc/hostname');
  const osRelease = readEtc('etc/os-release') ?? readEtc('usr/lib/os-release');

  const host: Host = { addresses: ctx.live ? liveAddresses() : [] };
  const fileHostname = etcHostname?.split('\n')[0]?.trim();
  // The kernel answers sys/kernel/hostname for the reader's own UTS namespace: a node scanned from a
  // pod (`--root /host` with the host's /proc) would get the pod's name. Trust it only when the
  // target's init shares our namespace; else the root's /etc/hostname names the machine.
  const kernelName = (await sharesOurUts(ctx)) ? procHostname?.trim() : undefined;
  const hostname = kernelName || fileHostname || procHostname?.trim();
  if (hostname) host.hostname = hostname;
  if (osrelease?.trim()) host.kernel = osrelease.trim();
  if (osRelease !== undefined) {
    const kv = parseOsRelease(osRelease);
    const distribution: NonNullable<Host['distribution']> = {};
    const id = kv.get('ID');
    const name = kv.get('NAME');
    const version = kv.get('VERSION_ID');
    if (id) distribution.id = id;
    if (name) distribution.name = name;
    if (version) distribution.version = version;
    // A derivative (Rocky, Alma, Ubuntu) names its family here; checks that apply per family use it.
    const idLike = kv.get('ID_LIKE')?.split(/\s+/).filter(Boolean) ?? [];
    if (idLike.length > 0) distribution.idLike = idLike;
    const manager = await packageManagerOf(ctx);
    if (manager) distribution.packageManager = manager;
    host.distribution = distribution;
  }
  const btime = procStat !== undefined ? parseBootTime(procStat) : undefined;
  if (btime !== undefined) host.bootTime = new Date(btime * 1000).toISOString();
  const cpuCount = ctx.live ? os.cpus().length : cpuinfo !== undefined ? countCpuInfoProcessors(cpuinfo) : 0;
  if (cpuCount > 0) host.cpuCount = cpuCount;
  const load = loadavg !== undefined ? parseLoadAvg(loadavg) : undefined;
  if (load) host.loadAverage = load;
  const pidMax = Number(pidMaxText?.trim());
  if (pidMaxText !== undefined && Number.isInteger(pidMax) && pidMax > 0) host.pidMax = pidMax;

  const notes: string[] = [];
  if (!hasProc)
    notes.push(
      'offline root without proc/: kernel, boot time, CPU count, load and pid_max come from a running system',
    );
  const facts = [
    'hostname',
    'kernel',
    'distribution',
    'bootTime',
    'cpuCount',
    'loadAverage',
    'pidMax',
  ] as const;
  const unavailable = facts.filter((f) => host[f] === undefined);
  if (unavailable.length > 0) notes.push(`not available: ${unavailable.join(', ')}`);
  return { host, record: log.record(log.errorCount > 0 ? 'partial' : 'ok', notes.join('; ')) };
}

export function collectHostsFile(
  ctx: CollectContext,
): Promise<{ hostsFile?: HostsEntry[]; record: CollectionRecord }> {
  const log = new CollectorLog('linux.hosts-file', ['hosts-file']);
  try {
    const text = ctx.fs.textSync('etc/hosts');
    return Promise.resolve({ hostsFile: parseHostsFile(text), record: log.record('ok') });
  } catch (err) {
    // A root without /etc/hosts really has no entries; that is a fact, not a failure.
    if (isGone(err))
      return Promise.resolve({ hostsFile: [], record: log.record('ok', 'etc/hosts does not exist') });
    log.add(path.join(ctx.root, 'etc/hosts'), err);
    return Promise.resolve({ record: log.record('failed') });
  }
}
