// Names for paths past PATH_MAX, for the commands that act on files the scan found there (respond
// archives, removes and restores them; evidence copies them). The kernel refuses a path longer
// than 4096 bytes (ENAMETOOLONG), and a few dozen long directory names put a miner there; the
// content scan reads it through open directories (engine/short-paths.ts), and so does this: the
// path's ancestors are opened one stretch at a time, each stretch named through the descriptor of
// the one before, so every name handed to the kernel stays short.
import { closeSync, constants, mkdirSync, openSync } from 'node:fs';

/** A path longer than this (bytes) is named through its ancestors' descriptors instead. */
export const SHORT_PATH_BYTES = 3500;

/** Whether a path is longer than SHORT_PATH_BYTES as the kernel counts it (UTF-8 bytes). */
export function tooLongToName(p: string | Buffer): boolean {
  if (typeof p !== 'string') return p.length > SHORT_PATH_BYTES;
  // A UTF-16 unit is at most 3 bytes of UTF-8: most paths are ruled out without counting.
  return p.length * 3 > SHORT_PATH_BYTES && Buffer.byteLength(p) > SHORT_PATH_BYTES;
}

export interface OpenableOptions {
  /** Create the directories of each stretch that do not exist (undo puts a file back where it was). */
  createDirs?: boolean;
}

/**
 * Runs `use` with a name for the absolute path `p` that the kernel can open however long `p` is:
 * `p` itself when it is short enough, else `/proc/PID/fd/N/rest`, N being the deepest of its
 * ancestors opened one stretch at a time (closed when `use` is done). The PID is this process's,
 * not `self`, so a program started on the name (lsattr, chattr) reaches the same directory. A
 * directory at the end of a stretch is opened without following a symlink there.
 */
export async function withOpenablePath<T>(
  p: string,
  use: (name: string) => Promise<T>,
  opts: OpenableOptions = {},
): Promise<T> {
  if (!tooLongToName(p)) return use(p);
  const fds: number[] = [];
  try {
    let base = '';
    let rest = p;
    while (tooLongToName(base ? `${base}/${rest}` : rest)) {
      const stretch = leadingStretch(rest, SHORT_PATH_BYTES - Buffer.byteLength(base) - 1);
      const dir = base ? `${base}/${stretch}` : stretch;
      if (opts.createDirs) mkdirSync(dir, { recursive: true });
      fds.push(openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
      base = `/proc/${process.pid}/fd/${fds[fds.length - 1]}`;
      rest = rest.slice(stretch.length + 1);
    }
    return await use(base ? `${base}/${rest}` : rest);
  } finally {
    for (const fd of fds) closeSync(fd);
  }
}

/**
 * The longest run of whole leading components of `rel` that fits in `budget` bytes and leaves at
 * least one component after it; at least its first component (with its leading "/", if any).
 */
function leadingStretch(rel: string, budget: number): string {
  let end = rel.indexOf('/', 1);
  if (end < 0)
    throw Object.assign(new Error(`cannot shorten ${rel.slice(0, 80)}…`), { code: 'ENAMETOOLONG' });
  for (;;) {
    const next = rel.indexOf('/', end + 1);
    if (next < 0 || Buffer.byteLength(rel.slice(0, next)) > budget) break;
    end = next;
  }
  return rel.slice(0, end);
}
