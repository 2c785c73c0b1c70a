// Replays a respond journal backwards: files come back byte-identical from the quarantine archive with
// their mode, owner, times and chattr attributes; links and firewall rules are restored; frozen
// processes are continued. What cannot come back (a killed process) is said plainly, never glossed.
import { execFile } from 'node:child_process';
import { chown, mkdir, readFile, rename, symlink, utimes, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveInRoot } from '../target/fs.js';
import { withOpenablePath } from '../util/long-paths.js';
import { readJournal, type JournalFile } from './journal.js';
import { readQuarantine, sha256 } from './quarantine.js';
import { unblock } from './firewall.js';

const execFileP = promisify(execFile);

export interface UndoOutcome {
  status: 'restored' | 'not-restorable' | 'conflict' | 'failed';
  what: string;
  detail?: string;
}

export interface UndoOptions {
  password: string;
  /** Restore even when a file changed after respond edited it. */
  force: boolean;
}

type Journal = Awaited<ReturnType<typeof readJournal>>;
type Step = Journal['steps'][number];

/** Per file: the first change holds the original bytes (in the archive), the last the current hash. */
function touchedFiles(steps: Step[]): Map<string, { first: JournalFile; last: JournalFile }> {
  const files = new Map<string, { first: JournalFile; last: JournalFile }>();
  for (const step of steps.filter((s) => s.status === 'done' && s.kind !== 'archive')) {
    for (const f of step.files) {
      if (f.before === undefined) continue;
      const seen = files.get(f.path);
      files.set(f.path, { first: seen?.first ?? f, last: f });
    }
  }
  return files;
}

/** Undoes what one step did besides editing files: firewall rules, links, frozen processes. */
async function undoStep(step: Step, steps: Step[], root: string): Promise<UndoOutcome[]> {
  const outcomes: UndoOutcome[] = [];
  if (step.firewall) {
    try {
      await unblock(step.firewall);
      outcomes.push({ status: 'restored', what: `firewall rule ${step.firewall.comment} removed` });
    } catch (error) {
      outcomes.push({
        status: 'failed',
        what: `firewall rule ${step.firewall.comment}`,
        detail: (error as Error).message,
      });
    }
  }
  for (const link of step.links) {
    try {
      const host = await resolveInRoot(root, link.path);
      await mkdir(path.dirname(host), { recursive: true });
      await symlink(link.target, host);
      outcomes.push({ status: 'restored', what: `link ${link.path} -> ${link.target}` });
    } catch (error) {
      outcomes.push({ status: 'failed', what: `link ${link.path}`, detail: (error as Error).message });
    }
  }
  if (step.kind === 'kill') {
    for (const p of step.processes)
      outcomes.push({
        status: 'not-restorable',
        what: `process ${p.pid} (${p.argv.join(' ') || p.exe || '?'}) was killed`,
        detail: 'a killed process cannot be brought back; start it again yourself if it was wanted',
      });
  }
  if (step.kind === 'freeze') {
    const killed = new Set(
      steps
        .filter((s) => s.kind === 'kill' && s.status === 'done')
        .flatMap((s) => s.processes.map((p) => p.pid)),
    );
    for (const p of step.processes.filter((p) => !killed.has(p.pid))) {
      try {
        process.kill(p.pid, 'SIGCONT');
        outcomes.push({ status: 'restored', what: `process ${p.pid} continued (SIGCONT)` });
      } catch {
        outcomes.push({ status: 'not-restorable', what: `process ${p.pid} is gone` });
      }
    }
  }
  return outcomes;
}

/**
 * Puts one file back byte-identical with its mode, owner, times and attributes, unless it changed
 * after respond touched it (a conflict, overridden by --force).
 */
async function restoreFile(
  target: string,
  { first, last }: { first: JournalFile; last: JournalFile },
  bytes: Uint8Array | undefined,
  root: string,
  force: boolean,
): Promise<UndoOutcome> {
  if (!bytes || sha256(bytes) !== first.before)
    return { status: 'failed', what: target, detail: 'the archive does not hold its original bytes' };
  try {
    const host = await resolveInRoot(root, target);
    // Through its directory's descriptors when the path is past PATH_MAX (the scan finds files there).
    return await withOpenablePath(
      path.dirname(host),
      (dir) => restoreFileIn(dir, path.basename(host), target, first, last, bytes, force),
      { createDirs: true },
    );
  } catch (error) {
    return { status: 'failed', what: target, detail: (error as Error).message };
  }
}

/** restoreFile into the directory `dir` (a name the kernel opens) as `name`. */
async function restoreFileIn(
  dir: string,
  name: string,
  target: string,
  first: JournalFile,
  last: JournalFile,
  bytes: Uint8Array,
  force: boolean,
): Promise<UndoOutcome> {
  const host = path.join(dir, name);
  const current = await readFile(host).then(sha256, () => null);
  if (current !== last.after && !force) {
    return {
      status: 'conflict',
      what: target,
      detail: 'changed since respond touched it; not overwritten (use --force to restore anyway)',
    };
  }
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${name}.minehunter-undo.tmp`);
  const mode = first.mode ? parseInt(first.mode, 8) : 0o644;
  await writeFile(tmp, bytes, { mode });
  await chmod(tmp, mode);
  if (first.uid !== undefined && first.gid !== undefined)
    await chown(tmp, first.uid, first.gid).catch(() => undefined);
  if (first.atime && first.mtime) await utimes(tmp, new Date(first.atime), new Date(first.mtime));
  await rename(tmp, host);
  if (first.clearedAttributes)
    await execFileP('chattr', [...first.clearedAttributes].map((a) => `+${a}`).concat(host)).catch(
      () => undefined,
    );
  const restored = sha256(await readFile(host));
  return restored === first.before
    ? { status: 'restored', what: target, detail: `sha256 ${restored}` }
    : { status: 'failed', what: target, detail: `restored bytes hash to ${restored}, not ${first.before}` };
}

export async function undoJournal(journalFile: string, opts: UndoOptions): Promise<UndoOutcome[]> {
  const { header, steps } = await readJournal(journalFile);
  const archive = path.resolve(path.dirname(journalFile), header.archive);
  const outcomes: UndoOutcome[] = [];
  const reversed = [...steps].reverse().filter((s) => s.status === 'done' && s.kind !== 'archive');
  const files = touchedFiles(steps);
  const archivedEntries = new Map<string, string>();
  for (const s of steps.filter((s) => s.kind === 'archive'))
    for (const f of s.files) if (f.entry) archivedEntries.set(f.path, f.entry);

  let contents: Map<string, Uint8Array> | undefined;
  if (files.size > 0) contents = await readQuarantine(archive, opts.password);

  for (const step of reversed) outcomes.push(...(await undoStep(step, steps, header.root)));
  for (const [target, change] of [...files.entries()].reverse()) {
    const entry = change.first.entry ?? archivedEntries.get(target);
    const bytes = entry ? contents?.get(entry) : undefined;
    outcomes.push(await restoreFile(target, change, bytes, header.root, opts.force));
  }
  return outcomes;
}
