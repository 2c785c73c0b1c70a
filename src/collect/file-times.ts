// A file's times as the snapshot records them: its modification time, and its birth time where the
// filesystem keeps one. Node's stat asks the kernel through statx on Linux; a filesystem without a
// birth time answers 0, which means "unknown", never 1970. The birth time says when the file landed
// on this system, which a dropper that copies its miner with the original mtime cannot hide. Which
// files get times: those the content scan matched (a miner's binary, its config), and every running
// program with the files its command line names as its configuration, so a miner found by its
// behaviour alone is dated too.
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ProcessInfo } from '../snapshot/schema.js';
import type { CollectContext } from './context.js';

export interface FileTimes {
  /** ISO 8601 modification time. */
  mtime: string;
  /** ISO 8601 birth (creation) time; absent where the filesystem does not keep one. */
  birthtime?: string;
}

export function fileTimes(st: Pick<Stats, 'mtimeMs' | 'birthtimeMs'>): FileTimes {
  const times: FileTimes = { mtime: new Date(st.mtimeMs).toISOString() };
  if (st.birthtimeMs > 0) times.birthtime = new Date(st.birthtimeMs).toISOString();
  return times;
}

/**
 * Stamps the content scan's files with a match (a miner's binary, its config) with their times, read
 * through `lstat` (the target's own view of its paths). Archive entries (`a.zip!x`) and files of other
 * systems (`container:/path`) have no file of their own here and are left as they are; a file gone
 * since it was scanned too.
 */
export async function stampMatchedFiles(
  files: { path: string; matches: unknown[]; mtime?: string; birthtime?: string }[],
  lstat: (p: string) => Promise<Stats>,
): Promise<void> {
  for (const f of files) {
    if (f.matches.length === 0 || !f.path.startsWith('/') || f.path.includes('!')) continue;
    const st = await lstat(f.path).catch(() => undefined);
    if (st?.isFile()) Object.assign(f, fileTimes(st));
  }
}

/**
 * Programs whose `-c` is code, not a file: shells and script interpreters (`sh -c CMD`, `python -c
 * CODE`). Judged by the executable's name where known (argv[0] is whatever the process says).
 */
const CODE_AFTER_C =
  /^(?:(?:ba|da|z|k|c|tc|fi|a|mk)?sh|busybox|(?:python|perl|ruby|node|php|lua|tclsh)[\d.]*|[gm]?awk)$/;
/** More than this many config arguments is not a miner's command line; the first are kept. */
const MAX_CONFIGS = 4;

/** The paths a command line names as its configuration: `-c FILE`, `--config FILE`, `--config=FILE`, `--config-file …`. */
export function configArgs(argv: readonly string[], exe?: string): string[] {
  const program = path.posix.basename(exe ?? argv[0] ?? '');
  const found: string[] = [];
  for (let i = 1; i < argv.length && found.length < MAX_CONFIGS; i++) {
    const arg = argv[i]!;
    const eq = /^--config(?:-file)?=(.+)$/.exec(arg);
    if (eq) found.push(eq[1]!);
    else if (arg === '--config' || arg === '--config-file' || (arg === '-c' && !CODE_AFTER_C.test(program))) {
      const next = argv[i + 1];
      if (next && !next.startsWith('-')) found.push(next);
      i++;
    }
  }
  return found;
}

/**
 * Stamps each process with its executable's times and those of the config files its argv names
 * (regular files only). On a live /proc through the kernel's view of the process: the executable by
 * /proc/PID/exe (the running file, even deleted or in a container), a config by /proc/PID/root or
 * /proc/PID/cwd, so a container's paths mean what they mean to it; where those links are closed to
 * us (another user's process, not root), a host process's paths are read as they are. Offline,
 * through the root's door; a deleted or memory-only executable has no file there. What cannot be
 * read is left without times.
 */
export async function stampProcessFiles(
  processes: ProcessInfo[],
  ctx: Pick<CollectContext, 'proc' | 'procDir' | 'fs'>,
): Promise<void> {
  const live = ctx.proc === 'live';
  // Each candidate in turn: [path, through the target's door]; the first regular file wins.
  const first = async (candidates: [string, boolean][]): Promise<Stats | undefined> => {
    for (const [p, viaTarget] of candidates) {
      const st = await (viaTarget ? ctx.fs.stat(p) : stat(p)).catch(() => undefined);
      if (st?.isFile()) return st;
    }
    return undefined;
  };
  await Promise.all(
    processes.map(async (p) => {
      if (p.kernelThread || !p.exe) return;
      const dir = path.join(ctx.procDir, String(p.pid));
      const onDisk = !p.exeDeleted && !p.exeMemfd;
      const hostView = onDisk && !p.container;
      // Usually set already by the process walk's executable hasher, from the stat it keys on.
      if (!p.exeTimes) {
        const exe = await first([
          ...(live ? [[path.join(dir, 'exe'), false] as [string, boolean]] : []),
          ...((live ? hostView : onDisk) ? [[p.exe, true] as [string, boolean]] : []),
        ]);
        if (exe) p.exeTimes = fileTimes(exe);
      }
      const configs: NonNullable<ProcessInfo['configFiles']> = [];
      for (const arg of configArgs(p.argv, p.exe)) {
        const absolute = path.posix.isAbsolute(arg);
        if (!absolute && !p.cwd) continue;
        const shown = absolute ? path.posix.normalize(arg) : path.posix.join(p.cwd!, arg);
        const st = await first([
          ...(live ? [[path.join(dir, absolute ? 'root' : 'cwd', arg), false] as [string, boolean]] : []),
          ...(!live || !p.container ? [[shown, true] as [string, boolean]] : []),
        ]);
        if (st) configs.push({ path: shown, ...fileTimes(st) });
      }
      if (configs.length > 0) p.configFiles = configs;
    }),
  );
}
