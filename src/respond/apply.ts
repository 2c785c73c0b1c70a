// Carries out a plan against a target root: the only code in respond/ that changes anything. Every step
// is journaled as it ends; every file is in the verified archive before a step edits or removes it,
// and a step whose file could not be archived does not run.
import { execFile } from 'node:child_process';
import {
  chmod,
  chown,
  lstat,
  readFile,
  readdir,
  readlink,
  rename,
  unlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Action } from '../model/finding.js';
import { resolveInRoot } from '../target/fs.js';
import { withOpenablePath } from '../util/long-paths.js';
import type { PlanStep } from './plan.js';
import { appendJournal, type JournalFile, type JournalProcess, type JournalStep } from './journal.js';
import { sha256, verifyQuarantine, writeQuarantine, type ArchiveItem, type Manifest } from './quarantine.js';
import { blockAddress } from './firewall.js';

const execFileP = promisify(execFile);

export interface ApplyOptions {
  root: string;
  /** The target is the running system (`/`). */
  live: boolean;
  outDir: string;
  password: string;
  zipCrypto: boolean;
  toolVersion: string;
  hostname?: string;
  now: () => Date;
  /** Scans the target again; returns counts of remaining (not allowed) findings. */
  rescan: () => Promise<{ findings: number; serious: number }>;
  /** One line per step as it ends, for the terminal. */
  onStep?: (step: JournalStep) => void;
  /**
   * Processes never signalled, even inside a tree being frozen or killed: minehunter's parent chain
   * (its own pid is always spared). Their subtrees are left alone too, since minehunter is in one.
   */
  spare?: readonly number[];
}

export interface ApplyResult {
  journal: string;
  archive: string;
  manifest?: Manifest;
  steps: JournalStep[];
}

export const JOURNAL_NAME = 'journal.jsonl';
export const ARCHIVE_NAME = 'quarantine.zip';

interface ProcEntry {
  pid: number;
  ppid: number;
  exe?: string;
  argv: string[];
}

/** Applies `steps` in order. Throws only when the journal or archive cannot be written at all. */
export async function applyPlan(steps: PlanStep[], opts: ApplyOptions): Promise<ApplyResult> {
  const journal = path.join(opts.outDir, JOURNAL_NAME);
  const archive = path.join(opts.outDir, ARCHIVE_NAME);
  const procDir = path.join(opts.root, 'proc');
  await appendJournal(journal, {
    type: 'header',
    tool: { name: 'minehunter', version: opts.toolVersion },
    root: opts.root,
    archive: ARCHIVE_NAME,
    encryption: opts.zipCrypto ? 'zipcrypto' : 'aes-256',
    ...(opts.hostname ? { hostname: opts.hostname } : {}),
    startedAt: opts.now().toISOString(),
  });
  const spared = new Set([process.pid, ...(opts.spare ?? [])]);
  const frozen = new Map<number, ProcEntry[]>();
  const archived = new Map<string, string>(); // target path → sha256 in the archive
  let manifest: Manifest | undefined;
  const done: JournalStep[] = [];

  for (const step of steps) {
    const record: JournalStep = {
      type: 'step',
      n: step.n,
      kind: step.kind,
      ...(step.action ? { action: step.action } : {}),
      status: 'done',
      startedAt: opts.now().toISOString(),
      endedAt: '',
      files: [],
      processes: [],
      links: [],
    };
    try {
      if (step.skip) {
        record.status = 'skipped';
        record.message = step.skip.en;
      } else if (step.kind === 'archive') {
        const items = await archiveItems(steps, step.touches, frozen, opts.root, procDir);
        manifest = await writeQuarantine(archive, items, {
          password: opts.password,
          zipCrypto: opts.zipCrypto,
          toolVersion: opts.toolVersion,
          ...(opts.hostname ? { hostname: opts.hostname } : {}),
          root: opts.root,
          now: opts.now(),
        });
        await verifyQuarantine(archive, opts.password, manifest);
        for (const f of manifest.files) archived.set(f.path, f.sha256);
        record.files = manifest.files.map((f) => ({
          path: f.path,
          before: f.sha256,
          after: f.sha256,
          entry: f.entry,
        }));
        record.message =
          `${manifest.files.length} file(s) archived and verified` +
          (manifest.unreadable.length
            ? `; not archived: ${manifest.unreadable.map((u) => `${u.path} (${u.error})`).join(', ')}`
            : '');
      } else if (step.kind === 'rescan') {
        record.rescan = await opts.rescan();
        record.message = `${record.rescan.findings} finding(s) left, ${record.rescan.serious} high or critical`;
      } else if (step.action) {
        const missing = step.touches.filter((t) => !archived.has(t));
        if (missing.length) throw new Error(`not archived, so not touched: ${missing.join(', ')}`);
        await runAction(step, step.action, record, { ...opts, procDir, frozen, archived, spared });
        record.message ??= record.files
          .map(
            (f) =>
              `${f.path}: ${f.before?.slice(0, 12) ?? '-'} → ${f.after ? f.after.slice(0, 12) : 'removed'}`,
          )
          .join('; ');
      }
    } catch (error) {
      record.status = 'failed';
      record.message = (error as Error).message;
    }
    record.endedAt = opts.now().toISOString();
    await appendJournal(journal, record);
    done.push(record);
    opts.onStep?.(record);
    // Without a verified archive nothing destructive may follow.
    if (step.kind === 'archive' && record.status === 'failed') {
      for (const rest of steps.slice(steps.indexOf(step) + 1)) {
        const skipped: JournalStep = {
          ...record,
          n: rest.n,
          kind: rest.kind,
          ...(rest.action ? { action: rest.action } : {}),
          status: 'skipped',
          message: 'the quarantine archive could not be written and verified',
          files: [],
        };
        await appendJournal(journal, skipped);
        done.push(skipped);
        opts.onStep?.(skipped);
      }
      break;
    }
  }
  return { journal, archive, ...(manifest ? { manifest } : {}), steps: done };
}

async function archiveItems(
  steps: PlanStep[],
  touches: string[],
  frozen: Map<number, ProcEntry[]>,
  root: string,
  procDir: string,
): Promise<ArchiveItem[]> {
  const byPath = new Map<string, Set<string>>();
  for (const s of steps)
    for (const t of s.touches)
      for (const f of s.findings) (byPath.get(t) ?? byPath.set(t, new Set()).get(t)!).add(f);
  const items: ArchiveItem[] = [];
  for (const t of touches) {
    items.push({
      path: t,
      source: await resolveInRoot(root, t),
      findings: [...(byPath.get(t) ?? [])].sort(),
    });
  }
  // A binary deleted from disk survives only as /proc/PID/exe: keep it as a sample.
  for (const [pid, tree] of frozen) {
    const head = tree.find((p) => p.pid === pid);
    if (!head?.exe || !head.exe.endsWith(' (deleted)')) continue;
    const findings = steps
      .filter((s) => s.action?.type === 'kill-process-tree' && s.action.pid === pid)
      .flatMap((s) => s.findings);
    items.push({ path: `/proc/${pid}/exe`, source: path.join(procDir, String(pid), 'exe'), findings });
  }
  return items;
}

interface RunContext extends ApplyOptions {
  procDir: string;
  spared: ReadonlySet<number>;
  frozen: Map<number, ProcEntry[]>;
  archived: Map<string, string>;
}

async function runAction(
  step: PlanStep,
  action: Action,
  record: JournalStep,
  ctx: RunContext,
): Promise<void> {
  switch (action.type) {
    case 'kill-process-tree':
      if (step.kind === 'freeze') {
        const tree = await freezeTree(action.pid, action.exe, ctx.procDir, ctx.spared);
        ctx.frozen.set(action.pid, tree);
        record.processes = tree.map(journalProcess);
        record.message = `stopped ${tree.length} process(es) with SIGSTOP`;
      } else {
        const tree =
          ctx.frozen.get(action.pid) ?? (await freezeTree(action.pid, action.exe, ctx.procDir, ctx.spared));
        const killed = await killTree(tree, ctx.procDir, ctx.spared);
        record.processes = killed.map(journalProcess);
        record.message = `killed ${killed.length} process(es)`;
      }
      return;
    case 'quarantine-file':
      record.files.push(await changeFile(ctx, action.path, () => null));
      return;
    case 'remove-cron-line':
    case 'remove-authorized-key':
    case 'remove-line':
      record.files.push(
        await changeFile(ctx, action.path, (text) => removeLine(text, action.line, action.path)),
      );
      return;
    case 'restore-ld-preload':
      record.files.push(await changeFile(ctx, action.path, (text) => removePreloads(text, action.remove)));
      return;
    case 'clear-immutable': {
      const host = await resolveInRoot(ctx.root, action.path);
      const cleared = await clearAttributes(host);
      record.files.push({
        path: action.path,
        after: ctx.archived.get(action.path) ?? null,
        ...(cleared ? { clearedAttributes: cleared } : {}),
      });
      record.message = cleared ? `cleared +${cleared}` : 'no immutable or append-only attribute set';
      return;
    }
    case 'disable-unit': {
      record.links = await removeUnitLinks(ctx.root, action.unit);
      if (ctx.live) {
        // Best effort: the process itself is killed by its own step; this stops systemd restarting it.
        await execFileP('systemctl', ['stop', action.unit]).catch(() => undefined);
      }
      record.files.push(await changeFile(ctx, action.path, () => null));
      if (ctx.live) await execFileP('systemctl', ['daemon-reload']).catch(() => undefined);
      return;
    }
    case 'block-address': {
      if (action.domain) {
        const line = `0.0.0.0 ${action.domain} # minehunter sinkhole`;
        record.files.push(
          await changeFile(
            ctx,
            '/etc/hosts',
            (text) => (text.endsWith('\n') || text === '' ? text : `${text}\n`) + `${line}\n`,
          ),
        );
      }
      if (ctx.live)
        record.firewall = await blockAddress(
          action.address,
          action.port,
          `minehunter-${step.n}-${Date.now()}`,
        );
      return;
    }
  }
}

function journalProcess(p: ProcEntry): JournalProcess {
  return { pid: p.pid, ppid: p.ppid, ...(p.exe ? { exe: p.exe } : {}), argv: p.argv };
}

async function readProc(procDir: string, pid: number): Promise<ProcEntry | undefined> {
  try {
    const stat = await readFile(path.join(procDir, String(pid), 'stat'), 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // already dead, waiting to be reaped
    const argv = (await readFile(path.join(procDir, String(pid), 'cmdline'), 'utf8').catch(() => ''))
      .split('\0')
      .filter((a, i, all) => i < all.length - 1 || a !== '');
    const exe = await readlink(path.join(procDir, String(pid), 'exe')).catch(() => undefined);
    return { pid, ppid: Number(fields[1]), argv, ...(exe ? { exe } : {}) };
  } catch {
    return undefined;
  }
}

async function allProcs(procDir: string): Promise<ProcEntry[]> {
  const pids = (await readdir(procDir)).filter((n) => /^\d+$/.test(n)).map(Number);
  return (await Promise.all(pids.map((p) => readProc(procDir, p)))).filter((p): p is ProcEntry => !!p);
}

const stripDeleted = (exe: string | undefined): string | undefined => exe?.replace(/ \(deleted\)$/, '');

/**
 * The process, its descendants, and ancestors running the same executable (a fork-based watchdog that
 * would start it again), frozen top-down with SIGSTOP. Refuses a pid that now runs another program.
 */
async function freezeTree(
  pid: number,
  exe: string | undefined,
  procDir: string,
  spared: ReadonlySet<number>,
): Promise<ProcEntry[]> {
  if (spared.has(pid)) throw new Error(`process ${pid} is minehunter or runs it: not signalled`);
  const head = await readProc(procDir, pid);
  if (!head) throw new Error(`process ${pid} is gone`);
  if (exe && stripDeleted(head.exe) !== exe)
    throw new Error(`process ${pid} now runs ${head.exe ?? '(unknown)'}, not ${exe}: not touched`);
  let top = head;
  const procs = await allProcs(procDir);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  for (
    let parent = byPid.get(top.ppid);
    parent &&
    parent.pid > 1 &&
    !spared.has(parent.pid) &&
    stripDeleted(parent.exe) === stripDeleted(head.exe);
    parent = byPid.get(parent.ppid)
  ) {
    top = parent;
  }
  const tree: ProcEntry[] = [];
  const visit = async (p: ProcEntry): Promise<void> => {
    signal(p.pid, 'SIGSTOP');
    tree.push(p);
    // Re-read the children after stopping the parent: it can no longer fork new ones.
    for (const child of (await allProcs(procDir)).filter((c) => c.ppid === p.pid && !spared.has(c.pid)))
      await visit(child);
  };
  await visit(top);
  return tree;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** SIGKILL to every frozen process, repeated for children that appeared, until none is left. */
async function killTree(
  tree: ProcEntry[],
  procDir: string,
  spared: ReadonlySet<number>,
): Promise<ProcEntry[]> {
  const killed = new Map<number, ProcEntry>();
  let pending = tree;
  for (let round = 0; round < 5 && pending.length; round++) {
    for (const p of pending) {
      signal(p.pid, 'SIGKILL');
      killed.set(p.pid, p);
    }
    const procs = await allProcs(procDir);
    pending = procs.filter((p) => killed.has(p.ppid) && !killed.has(p.pid) && !spared.has(p.pid));
  }
  const deadline = Date.now() + 3000;
  for (;;) {
    const alive = (await Promise.all([...killed.keys()].map((pid) => readProc(procDir, pid)))).filter(
      Boolean,
    );
    if (alive.length === 0) break;
    if (Date.now() > deadline)
      throw new Error(`still running after SIGKILL: ${alive.map((p) => p!.pid).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return [...killed.values()];
}

/**
 * Changes one file: `edit` gets its text and returns the new text, or null to remove it. The file must
 * still hold the bytes that were archived, so an edit never works on something we have no copy of.
 */
async function changeFile(
  ctx: RunContext,
  target: string,
  edit: (text: string) => string | null,
): Promise<JournalFile> {
  const host = await resolveInRoot(ctx.root, target);
  // Through its directory's descriptors when the path is past PATH_MAX (the scan finds files there).
  return withOpenablePath(path.dirname(host), (dir) => changeFileIn(dir, path.basename(host), target, edit));
}

/** changeFile on the file `name` of the directory `dir` (a name the kernel opens). */
async function changeFileIn(
  dir: string,
  name: string,
  target: string,
  edit: (text: string) => string | null,
): Promise<JournalFile> {
  const file = path.join(dir, name);
  const st = await lstat(file);
  if (!st.isFile()) throw new Error(`${target} is not a regular file`);
  const cleared = await clearAttributes(file);
  const bytes = await readFile(file);
  const before = sha256(bytes);
  const entry: JournalFile = {
    path: target,
    before,
    after: null,
    mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
    uid: st.uid,
    gid: st.gid,
    atime: st.atime.toISOString(),
    mtime: st.mtime.toISOString(),
    ...(cleared ? { clearedAttributes: cleared } : {}),
  };
  const next = edit(bytes.toString('utf8'));
  if (next === null) {
    await unlink(file);
    return entry;
  }
  const tmp = path.join(dir, `.${name}.minehunter.tmp`);
  await writeFile(tmp, next, { mode: st.mode & 0o7777 });
  await chown(tmp, st.uid, st.gid).catch(() => undefined);
  await chmod(tmp, st.mode & 0o7777);
  await rename(tmp, file);
  entry.after = sha256(Buffer.from(next));
  return entry;
}

export function removeLine(text: string, line: string, file: string): string {
  const lines = text.split('\n');
  const kept = lines.filter((l) => l.trim() !== line.trim());
  if (kept.length === lines.length) throw new Error(`${file} no longer holds the line: ${line}`);
  return kept.join('\n');
}

/** /etc/ld.so.preload lists libraries separated by white space; the named ones are dropped. */
export function removePreloads(text: string, remove: string[]): string | null {
  const drop = new Set(remove);
  let removed = 0;
  const lines = text.split('\n').map((l) => {
    if (l.trim().startsWith('#')) return l;
    const words = l.split(/\s+/).filter((w) => w !== '');
    const kept = words.filter((w) => !drop.has(w));
    removed += words.length - kept.length;
    return kept.join(' ');
  });
  if (removed === 0) throw new Error(`none of ${remove.join(', ')} is listed any more`);
  const result = lines.filter((l) => l.trim() !== '').join('\n');
  return result.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#')) ? `${result}\n` : null;
}

/** Clears `i` and `a` (chattr) when set; returns the letters cleared. Filesystems without them: ''. */
async function clearAttributes(host: string): Promise<string> {
  let attrs: string;
  try {
    const { stdout } = await execFileP('lsattr', ['-d', host]);
    attrs = stdout.split(/\s+/)[0] ?? '';
  } catch {
    return '';
  }
  const set = ['i', 'a'].filter((a) => attrs.includes(a)).join('');
  if (set) await execFileP('chattr', [...set].map((a) => `-${a}`).concat(host));
  return set;
}

/** Removes the links that enable `unit` (…/*.wants/unit, …/*.requires/unit) under /etc/systemd. */
async function removeUnitLinks(root: string, unit: string): Promise<{ path: string; target: string }[]> {
  const removed: { path: string; target: string }[] = [];
  for (const base of ['/etc/systemd/system', '/etc/systemd/user']) {
    const dir = await resolveInRoot(root, base);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => n.endsWith('.wants') || n.endsWith('.requires'))) {
      const link = path.join(dir, name, unit);
      try {
        const target = await readlink(link);
        await unlink(link);
        removed.push({ path: path.posix.join(base, name, unit), target });
      } catch {
        // not enabled from this target
      }
    }
  }
  return removed;
}
