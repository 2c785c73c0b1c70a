// Things that exist but do not list: PIDs found by probing /proc/N directly that neither our /proc
// listing nor `ps` shows, and files that stat but are missing from a directory listing. A preload
// rootkit hooks libc's readdir, which `ps`, `ls` and `find` use (and perhaps our own process), so
// every answer here compares two independent ways of asking, taken twice to rule out races.
// Node's fs.readdir goes through libuv's scandir(), which reaches glibc's readdir internally and so
// escapes a hook on the exported readdir symbol; `ps` and `find` do not. A rootkit that hooks more (or
// a kernel one) hides from both, which the direct /proc/PID probe still sees.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CollectionRecord, ProcessInfo } from '../../snapshot/schema.js';
import type { Hidden, HiddenFile, HiddenProcess, Preload } from '../../snapshot/stealth.js';
import type { CollectContext } from '../context.js';
import { builtNativeAddon } from '../../util/paths.js';
import { CollectorLog, errnoCode } from '../support.js';
import { listProcPids, listPs, probePidSpace, type PidProbe } from './pid-probe.js';
import { parseLinkTarget, splitNul } from './processes.js';

const execFileP = promisify(execFile);

export interface StatusFields {
  name?: string;
  tgid?: number;
  ppid?: number;
  uid?: number;
}

export function parseStatusIds(text: string): StatusFields {
  const out: StatusFields = {};
  const num = (re: RegExp): number | undefined => {
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const name = /^Name:\t(.*)$/m.exec(text);
  if (name?.[1] !== undefined) out.name = name[1];
  const tgid = num(/^Tgid:\s+(\d+)/m);
  if (tgid !== undefined) out.tgid = tgid;
  const ppid = num(/^PPid:\s+(\d+)/m);
  if (ppid !== undefined) out.ppid = ppid;
  const uid = num(/^Uid:\s+\d+\s+(\d+)/m);
  if (uid !== undefined) out.uid = uid;
  return out;
}

async function describe(
  procDir: string,
  pid: number,
  missingFrom: HiddenProcess['missingFrom'],
): Promise<HiddenProcess | undefined> {
  const dir = path.join(procDir, String(pid));
  let status: StatusFields;
  try {
    status = parseStatusIds(await readFile(path.join(dir, 'status'), 'utf8'));
  } catch {
    return undefined;
  }
  const hp: HiddenProcess = { pid, comm: status.name ?? '', argv: [], threads: [], missingFrom };
  if (status.ppid !== undefined) hp.ppid = status.ppid;
  if (status.uid !== undefined) hp.uid = status.uid;
  const [cmdline, exe, tasks] = await Promise.allSettled([
    readFile(path.join(dir, 'cmdline')),
    readlink(path.join(dir, 'exe')),
    readdir(path.join(dir, 'task')),
  ]);
  if (cmdline.status === 'fulfilled') hp.argv = splitNul(cmdline.value);
  if (exe.status === 'fulfilled') {
    const t = parseLinkTarget(exe.value);
    hp.exe = t.path;
    if (t.deleted) hp.exeDeleted = true;
  }
  if (tasks.status === 'fulfilled') {
    hp.threads = tasks.value
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  }
  if (!hp.threads.includes(pid)) hp.threads.unshift(pid);
  return hp;
}

export interface HiddenProcessResult {
  processes: HiddenProcess[];
  pidProbe: Hidden['pidProbe'];
  notes: string[];
}

/**
 * Probes the PID space and returns the PIDs that exist but were missing from a listing twice.
 * `fromWalk` is the probe the process walk's worker ran (pid-probe.ts); without it, or when that
 * worker failed, the probe runs here.
 */
export async function findHiddenProcesses(
  ctx: CollectContext,
  log: CollectorLog,
  fromWalk?: Promise<PidProbe | undefined>,
): Promise<HiddenProcessResult> {
  const procDir = ctx.procDir;
  const notes: string[] = [];
  const probed =
    (await fromWalk?.catch(() => undefined)) ?? (await probePidSpace(procDir, builtNativeAddon()));
  const t0 = performance.now();
  const { leaders, errors, reached, pidMax } = probed;
  const listedA = new Set(probed.listed);
  const psA = probed.ps ? new Set(probed.ps) : undefined;
  if (!psA) notes.push('ps not available: compared with our own /proc listing only');
  if (reached < pidMax) notes.push(`PIDs probed up to ${reached} of pid_max ${pidMax}`);
  for (const e of errors) {
    log.add(
      path.join(procDir, String(e.pid), 'status'),
      Object.assign(new Error(e.message), { code: e.code }),
    );
  }

  const missing = (
    pid: number,
    listed: Set<number>,
    ps: Set<number> | undefined,
  ): HiddenProcess['missingFrom'] => {
    const out: HiddenProcess['missingFrom'] = [];
    if (!listed.has(pid)) out.push('readdir');
    if (ps && !ps.has(pid)) out.push('ps');
    return out;
  };
  // Every thread has a /proc/TID too, unlisted by design: the probe returned only thread-group
  // leaders. A listed process is a leader too (the /proc listing shows only those): it is a
  // candidate when ps left it out.
  const candidates = [...leaders];
  if (psA) for (const pid of listedA) if (!psA.has(pid)) candidates.push(pid);

  const processes: HiddenProcess[] = [];
  if (candidates.length > 0) {
    // A process that started after the first listing shows up in the second; a hidden one does not.
    const [listedB, psB] = await Promise.all([
      listProcPids(procDir),
      psA ? listPs() : Promise.resolve(undefined),
    ]);
    for (const pid of candidates.sort((a, b) => a - b)) {
      const first = missing(pid, listedA, psA);
      const second = missing(pid, listedB, psB);
      const both = first.filter((m) => second.includes(m));
      if (both.length === 0 || !existsSync(`${procDir}/${pid}`)) continue;
      const hp = await describe(procDir, pid, both);
      if (hp) processes.push(hp);
    }
  }
  return {
    processes,
    notes,
    pidProbe: {
      pidMax,
      probedUpTo: reached,
      listed: listedA.size,
      ...(psA ? { psListed: psA.size } : {}),
      // The probe's own time, and the second look at its candidates.
      durationMs: Math.round((probed.durationMs + performance.now() - t0) * 10) / 10,
    },
  };
}

const SCRIPT_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
const INTERPRETER =
  /^(?:sh|bash|dash|zsh|ksh|ash|busybox|python[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.]*|node|lua[\d.]*)$/;

/** The script an interpreter runs: its first operand, unless the code came inline (-c, -e, -m, -). */
export function scriptOperand(argv: string[]): string | undefined {
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '-c' || a === '-e' || a === '-m' || a === '-' || a === '-E' || a === '-r' || a === '--eval')
      return undefined;
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}

/** The process still exists and its root can be looked through (it did not exit meanwhile). */
function stillRunning(ctx: CollectContext, pid: number): boolean {
  try {
    return (
      statSync(path.join(ctx.procDir, String(pid), 'root', '.'), { throwIfNoEntry: false }) !== undefined
    );
  } catch {
    return false;
  }
}

/**
 * Whether `place` is missing from the process's view (ENOENT or ENOTDIR); any other answer, an
 * error included, counts as present. Asked on the spot: a host runs hundreds of interpreters, and
 * an lstat through the thread pool each, queued behind the process walk, cost more than the
 * lstat (issue 17).
 */
function goneFor(ctx: CollectContext, pid: number, place: string): boolean {
  try {
    // Through the process's own root on a live system: it may live in another mount namespace.
    const st =
      ctx.proc === 'live'
        ? lstatSync(path.join(ctx.procDir, String(pid), 'root', place), { throwIfNoEntry: false })
        : ctx.fs.lstatSync(place);
    return st === undefined;
  } catch (err) {
    return errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR';
  }
}

/** Interpreters whose script file is gone: the dropper ran it and removed it. */
export function findDeletedScripts(
  ctx: CollectContext,
  processes: ProcessInfo[],
): Promise<Hidden['deletedScripts']> {
  const out: Hidden['deletedScripts'] = [];
  for (const p of processes) {
    if (p.kernelThread || !p.exe) continue;
    const interpreter = path.posix.basename(p.exe);
    if (!INTERPRETER.test(interpreter)) continue;
    const script = scriptOperand(p.argv);
    // An empty operand is a program that rewrote its own argv (npm does), not a script.
    if (script === undefined || script === '') continue;
    if (!script.startsWith('/') && (!p.cwd || p.cwdDeleted)) continue;
    const abs = script.startsWith('/') ? script : path.posix.join(p.cwd ?? '/', script);
    // `sh x.sh` may also have found x.sh through PATH: a bare name counts as gone only if it is in neither.
    const places = script.includes('/') ? [abs] : [abs, ...SCRIPT_PATH.map((d) => `${d}/${script}`)];
    if (!places.every((place) => goneFor(ctx, p.pid, place))) continue;
    // A process that ended during the scan takes /proc/PID/root with it: its script is not "gone".
    if (ctx.proc === 'live' && !stillRunning(ctx, p.pid)) continue;
    out.push({ pid: p.pid, interpreter, path: abs });
  }
  return Promise.resolve(out.sort((a, b) => a.pid - b.pid));
}

/** The names in `dir` as our own listing gives them, or undefined when it cannot be listed. */
function namesIn(dir: string): Set<string> | undefined {
  try {
    return new Set(readdirSync(dir));
  } catch {
    return undefined;
  }
}

interface Candidate {
  path: string;
  reason: string;
}

/**
 * Names in each directory as `find` (a separate process, through libc's readdir) lists them. A
 * directory find complained about is left out: an empty set means it listed nothing there.
 */
async function listWithFind(dirs: string[]): Promise<Map<string, Set<string>> | undefined> {
  if (dirs.length === 0) return new Map();
  let stdout: Buffer;
  let stderr = '';
  try {
    ({ stdout } = await execFileP('find', [...dirs, '-mindepth', '1', '-maxdepth', '1', '-print0'], {
      timeout: 10_000,
      maxBuffer: 64 << 20,
      encoding: 'buffer',
    }));
  } catch (err) {
    // find exits 1 when one directory is unreadable; what it did list is still good.
    const e = err as { stdout?: Buffer; stderr?: Buffer; code?: unknown };
    if (!e.stdout || typeof e.code !== 'number') return undefined;
    stdout = e.stdout;
    stderr = e.stderr?.toString('utf8') ?? '';
  }
  const out = new Map<string, Set<string>>();
  for (const d of dirs) if (!stderr.includes(`'${d}'`)) out.set(d, new Set<string>());
  for (const entry of stdout.toString('utf8').split('\0')) {
    if (entry === '') continue;
    out.get(path.posix.dirname(entry))?.add(path.posix.basename(entry));
  }
  return out;
}

/**
 * Files that exist but one listing of their directory leaves out. Candidates are the names a hider
 * wants gone: /etc/ld.so.preload, the preloaded libraries, and the executables and working
 * directories of processes.
 */
export async function findHiddenFiles(
  preload: Preload | undefined,
  processes: ProcessInfo[],
  hiddenProcs: HiddenProcess[],
): Promise<{ files: HiddenFile[]; checkedDirs: string[]; notes: string[] }> {
  const candidates: Candidate[] = [{ path: '/etc/ld.so.preload', reason: 'ld.so.preload' }];
  for (const lib of preload?.libraries ?? []) {
    if (lib.sources.some((s) => s !== 'maps') && lib.path.startsWith('/')) {
      candidates.push({ path: lib.path, reason: 'preload-library' });
    }
  }
  for (const p of [...processes, ...hiddenProcs]) {
    if ('kernelThread' in p && p.kernelThread) continue;
    if (p.exe && !p.exeDeleted && p.exe.startsWith('/') && !p.exe.startsWith('/memfd:')) {
      candidates.push({ path: p.exe, reason: 'exe' });
    }
    if ('cwd' in p && p.cwd && !p.cwdDeleted && p.cwd !== '/')
      candidates.push({ path: p.cwd, reason: 'cwd' });
  }
  const unique = new Map<string, Candidate>();
  for (const c of candidates) if (!unique.has(c.path)) unique.set(c.path, c);
  // On the spot (a few hundred lstats, microseconds each), not through the busy thread pool.
  const existing = [...unique.values()].filter((c) => {
    try {
      return lstatSync(c.path, { throwIfNoEntry: false }) !== undefined;
    } catch {
      return false; // not there to be seen: nothing to hide
    }
  });
  const dirs = [...new Set(existing.map((c) => path.posix.dirname(c.path)))].sort();
  const notes: string[] = [];
  const [byFind, byNode] = await Promise.all([
    listWithFind(dirs),
    Promise.resolve(dirs.map((d) => [d, namesIn(d)] as const)),
  ]);
  if (!byFind) notes.push('find not available: hidden files compared with our own listing only');
  const nodeMap = new Map(byNode);
  const files: HiddenFile[] = [];
  for (const c of existing.sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const dir = path.posix.dirname(c.path);
    const name = path.posix.basename(c.path);
    const missingFrom: HiddenFile['missingFrom'] = [];
    const node = nodeMap.get(dir);
    if (node && !node.has(name)) missingFrom.push('readdir');
    const found = byFind?.get(dir);
    if (found && !found.has(name)) missingFrom.push('find');
    if (missingFrom.length === 0) continue;
    // Listed again a moment later: a file created between the two listings is not hidden.
    const again = namesIn(dir)?.has(name) ?? false;
    if (missingFrom.includes('readdir') && again && missingFrom.length === 1) continue;
    files.push({ path: c.path, reason: c.reason, missingFrom });
  }
  return { files, checkedDirs: dirs, notes };
}

export interface HiddenCollection {
  hidden?: Hidden;
  record: CollectionRecord;
}

/** Assembles the section from the probe (started early) and the later file and script checks. */
export async function collectHidden(
  ctx: CollectContext,
  probeRun: Promise<HiddenProcessResult | Error> | undefined,
  log: CollectorLog,
  processes: ProcessInfo[] | undefined,
  preload: Preload | undefined,
): Promise<HiddenCollection> {
  if (!probeRun) {
    return {
      record: log.record(
        'skipped',
        'not a live /proc: hidden processes and files can only be found on the running system',
      ),
    };
  }
  const probed = await probeRun;
  if (probed instanceof Error) {
    log.add(ctx.procDir, probed);
    return { record: log.record('failed', 'cannot probe /proc') };
  }
  const [filesResult, deletedScripts] = await Promise.all([
    findHiddenFiles(preload, processes ?? [], probed.processes),
    findDeletedScripts(ctx, processes ?? []),
  ]);
  const hidden: Hidden = {
    pidProbe: probed.pidProbe,
    processes: probed.processes,
    files: filesResult.files,
    checkedDirs: filesResult.checkedDirs,
    deletedScripts,
  };
  const notes = [
    `${probed.pidProbe.probedUpTo} PIDs probed in ${Math.round(probed.pidProbe.durationMs)} ms`,
    `${hidden.processes.length} hidden processes`,
    `${hidden.files.length} hidden files in ${hidden.checkedDirs.length} directories`,
    ...probed.notes,
    ...filesResult.notes,
  ];
  return { hidden, record: log.record(log.errorCount > 0 ? 'partial' : 'ok', notes.join('; ')) };
}
