// A file's times as the snapshot records them: its modification time, and its birth time where the
// filesystem keeps one. Node's stat asks the kernel through statx on Linux; a filesystem without a
// birth time answers 0, which means "unknown", never 1970. The birth time says when the file landed
// on this system, which a dropper that copies its miner with the original mtime cannot hide.
import type { Stats } from 'node:fs';

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
