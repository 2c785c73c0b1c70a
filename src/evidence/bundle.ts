// The evidence bundle a response team asks for (source document §5, items 5 and 6): the snapshot, the
// findings, the logs that cover the incident (auth/secure, cron, syslog/messages, the journal around the
// first-seen time), shell histories, and the samples in a password-protected zip, with a manifest of
// sha256 hashes. It only reads the target; everything is written under the output directory. A live
// page check (target `web-page`) read no host: its bundle is the snapshot, the findings and the hashes
// of what the pages loaded.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, open, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveInRoot } from '../target/fs.js';
import type { Report } from '../report/model.js';
import type { Snapshot } from '../snapshot/schema.js';
import { writeQuarantine, type ArchiveItem, type Manifest } from '../respond/quarantine.js';

const execFileP = promisify(execFile);

/** Largest part of one log copied: its end, where the incident is. */
export const MAX_LOG_BYTES = 16 * 1024 * 1024;

export const LOG_FILES = [
  '/var/log/auth.log',
  '/var/log/secure',
  '/var/log/syslog',
  '/var/log/messages',
  '/var/log/cron',
  '/var/log/cron.log',
  '/var/log/kern.log',
];
const HISTORY_NAMES = [
  '.bash_history',
  '.zsh_history',
  '.ash_history',
  '.sh_history',
  '.python_history',
  '.mysql_history',
];

export interface BundleFile {
  name: string;
  sha256: string;
  size: number;
  /** Where it came from inside the target, for copied files. */
  source?: string;
  truncated?: boolean;
}

export interface BundleManifest {
  tool: { name: 'minehunter'; version: string };
  host: { hostname?: string; root: string };
  createdAt: string;
  firstSeen?: string;
  files: BundleFile[];
  samples?: {
    archive: string;
    password: string;
    encryption: Manifest['encryption'];
    files: { path: string; sha256: string }[];
  };
  /** What could not be gathered, and why. */
  notGathered: { what: string; why: string }[];
}

export interface EvidenceOptions {
  root: string;
  live: boolean;
  outDir: string;
  report: Report;
  snapshot: Snapshot;
  password: string;
  zipCrypto: boolean;
  toolVersion: string;
  now: Date;
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** The tail of a regular file (never through a symlink), at most MAX_LOG_BYTES. */
async function readTail(file: string): Promise<{ data: Buffer; truncated: boolean }> {
  const st = await lstat(file);
  if (!st.isFile()) throw new Error('not a regular file');
  const fh = await open(file, 'r');
  try {
    const length = Math.min(st.size, MAX_LOG_BYTES);
    const data = Buffer.alloc(length);
    await fh.read(data, 0, length, st.size - length);
    return { data, truncated: st.size > length };
  } finally {
    await fh.close();
  }
}

/** Earliest start of a process the findings name. */
export function firstSeen(report: Report): string | undefined {
  return report.findings
    .filter((f) => !f.allowed)
    .flatMap((f) => f.evidence)
    .flatMap((e) => (e.type === 'process' && e.startTime ? [e.startTime] : []))
    .sort()[0];
}

/** Writes one file into the bundle and records it. */
type Put = (name: string, data: Buffer | string, extra?: Partial<BundleFile>) => Promise<void>;

/** The log files' tails and the journal from an hour before first-seen to just after the scan. */
async function gatherLogs(
  opts: EvidenceOptions,
  seen: string | undefined,
  put: Put,
  notGathered: BundleManifest['notGathered'],
): Promise<void> {
  for (const log of LOG_FILES) {
    try {
      const { data, truncated } = await readTail(await resolveInRoot(opts.root, log));
      await put(`logs${log}`, data, { source: log, ...(truncated ? { truncated } : {}) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        notGathered.push({ what: log, why: (error as Error).message });
    }
  }

  const since = new Date(Date.parse(seen ?? opts.report.collectedAt) - 3600_000).toISOString();
  const until = new Date(Date.parse(opts.report.collectedAt) + 600_000).toISOString();
  const journalDir = await resolveInRoot(opts.root, '/var/log/journal');
  const journalArgs = [
    ...(opts.live ? [] : ['--directory', journalDir]),
    '--since',
    since.replace('T', ' ').replace(/\.\d+Z$/, ''),
    '--until',
    until.replace('T', ' ').replace(/\.\d+Z$/, ''),
    '--utc',
    '-o',
    'short-iso',
    '--no-pager',
  ];
  try {
    const { stdout } = await execFileP('journalctl', journalArgs, {
      maxBuffer: MAX_LOG_BYTES,
      env: { ...process.env, TZ: 'UTC' },
    });
    if (stdout.trim() && !/^-- No entries --\s*$/.test(stdout.trim()))
      await put('logs/journal.txt', stdout, { source: `journalctl ${journalArgs.join(' ')}` });
  } catch (error) {
    notGathered.push({
      what: 'journal',
      why: (error as Error).message.split('\n')[0] ?? 'journalctl failed',
    });
  }
}

/** The shell and REPL histories of root and every /home user. */
async function gatherHistories(opts: EvidenceOptions, put: Put): Promise<void> {
  const homes = ['/root'];
  try {
    for (const name of await readdir(await resolveInRoot(opts.root, '/home'))) homes.push(`/home/${name}`);
  } catch {
    // no /home in this target
  }
  for (const home of homes) {
    for (const h of HISTORY_NAMES) {
      const target = `${home}/${h}`;
      try {
        const { data, truncated } = await readTail(await resolveInRoot(opts.root, target));
        await put(`histories${target}`, data, { source: target, ...(truncated ? { truncated } : {}) });
      } catch {
        // most users lack most of these
      }
    }
  }
}

/** Samples: the executables of the processes the findings name, and files they ask to quarantine. */
async function sampleItems(opts: EvidenceOptions): Promise<Map<string, ArchiveItem>> {
  const items = new Map<string, ArchiveItem>();
  for (const f of opts.report.findings.filter((f) => !f.allowed)) {
    for (const e of f.evidence) {
      if (e.type !== 'process' || !e.exe) continue;
      const source = e.exeDeleted
        ? path.join(opts.root, 'proc', String(e.pid), 'exe')
        : await resolveInRoot(opts.root, e.exe);
      const key = e.exeDeleted ? `/proc/${e.pid}/exe` : e.exe;
      const item = items.get(key) ?? { path: key, source, findings: [] };
      if (!item.findings.includes(f.fingerprint)) item.findings.push(f.fingerprint);
      items.set(key, item);
    }
    for (const a of f.remediate) {
      if (a.type !== 'quarantine-file') continue;
      const item = items.get(a.path) ?? {
        path: a.path,
        source: await resolveInRoot(opts.root, a.path),
        findings: [],
      };
      if (!item.findings.includes(f.fingerprint)) item.findings.push(f.fingerprint);
      items.set(a.path, item);
    }
  }
  return items;
}

/** Writes the samples into the password-protected samples.zip; undefined when there are none. */
async function archiveSamples(
  opts: EvidenceOptions,
  files: BundleFile[],
  notGathered: BundleManifest['notGathered'],
): Promise<BundleManifest['samples']> {
  const items = await sampleItems(opts);
  if (items.size === 0) return undefined;
  const archive = path.join(opts.outDir, 'samples.zip');
  const m = await writeQuarantine(archive, [...items.values()], {
    password: opts.password,
    zipCrypto: opts.zipCrypto,
    toolVersion: opts.toolVersion,
    root: opts.root,
    now: opts.now,
    ...(opts.report.host.hostname ? { hostname: opts.report.host.hostname } : {}),
  });
  const bytes = await readFile(archive);
  files.push({ name: 'samples.zip', sha256: sha(bytes), size: bytes.length });
  for (const u of m.unreadable) notGathered.push({ what: `sample ${u.path}`, why: u.error });
  return {
    archive: 'samples.zip',
    password: opts.password,
    encryption: m.encryption,
    files: m.files.map((f) => ({ path: f.path, sha256: f.sha256 })),
  };
}

/**
 * A live page check's scripts, documents and WebAssembly modules as `sha256  URL` lines (the format
 * of sha256sum): the check keeps hashes, not bytes, so these are what a copy fetched from the
 * server, or one found in its web root, is checked against.
 */
async function putPageHashes(snapshot: Snapshot, put: Put): Promise<void> {
  const lines = new Set<string>();
  for (const page of snapshot.page?.pages ?? []) {
    for (const s of page.scripts) if (s.sha256) lines.add(`${s.sha256}  ${s.url}`);
    for (const w of page.wasm) lines.add(`${w.sha256}  ${w.url ?? `${page.url} (WebAssembly, ${w.via})`}`);
  }
  if (lines.size === 0) return;
  // URLs are the page's text: one per line, never a line break of its own.
  const text = [...lines].map((l) => l.replace(/[\r\n]/g, ' ')).join('\n');
  await put('pages/hashes.txt', `${text}\n`, { source: 'minehunter web (page section of snapshot.json)' });
}

export async function collectEvidence(opts: EvidenceOptions): Promise<BundleManifest> {
  await mkdir(opts.outDir, { recursive: true, mode: 0o700 });
  const files: BundleFile[] = [];
  const notGathered: BundleManifest['notGathered'] = [];
  const put: Put = async (name, data, extra = {}) => {
    const full = path.join(opts.outDir, name);
    await mkdir(path.dirname(full), { recursive: true, mode: 0o700 });
    await writeFile(full, data, { mode: 0o600 });
    files.push({ name, sha256: sha(data), size: Buffer.byteLength(data), ...extra });
  };

  await put('snapshot.json', JSON.stringify(opts.snapshot, null, 2) + '\n');
  await put('report.json', JSON.stringify(opts.report, null, 2) + '\n');

  const seen = firstSeen(opts.report);
  let samples: BundleManifest['samples'];
  if (opts.snapshot.target.kind === 'web-page') {
    // A live page check read no host: this machine's logs and histories are not the incident's.
    await putPageHashes(opts.snapshot, put);
    notGathered.push({
      what: 'logs, shell histories and samples',
      why: 'a live page check reads no host: collect them on the web server (minehunter evidence there); the hashes of what the pages loaded are in pages/hashes.txt',
    });
  } else {
    await gatherLogs(opts, seen, put, notGathered);
    await gatherHistories(opts, put);
    samples = await archiveSamples(opts, files, notGathered);
  }

  const manifest: BundleManifest = {
    tool: { name: 'minehunter', version: opts.toolVersion },
    host: { root: opts.root, ...(opts.report.host.hostname ? { hostname: opts.report.host.hostname } : {}) },
    createdAt: opts.now.toISOString(),
    ...(seen ? { firstSeen: seen } : {}),
    files: files.sort((a, b) => a.name.localeCompare(b.name)),
    ...(samples ? { samples } : {}),
    notGathered,
  };
  await writeFile(path.join(opts.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n', {
    mode: 0o600,
  });
  return manifest;
}
