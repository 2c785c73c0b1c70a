// A bounded walk of one folder of a Windows volume (Fonts, Temp, ProgramData, a profile…): breadth
// first, so a cut still covers the shallow places miners use; links are listed but never followed
// (a junction loop on a copied volume must not loop the walk); depth and entry count are capped
// because ProgramData and Windows hold hundreds of thousands of files.
import type { TargetFs } from '../../target/fs.js';
import type { CollectorLog } from '../support.js';

export interface WalkLimits {
  /** Entries deeper than this (1 = directly in the folder) are not listed. */
  maxDepth: number;
  /** The walk stops after this many entries. */
  maxEntries: number;
  /** Folders not entered, by their path relative to the walked folder (lower case, `/`-separated). */
  skip?: (relLower: string) => boolean;
}

export interface WalkedEntry {
  /** Target path. */
  path: string;
  name: string;
  /** 1 for an entry directly in the walked folder. */
  depth: number;
  isDir: boolean;
  isFile: boolean;
  isLink: boolean;
}

export interface Walk {
  entries: WalkedEntry[];
  /** The entry cap was reached: the folder holds more than was listed. */
  cut: boolean;
}

export const PLACE_LIMITS: WalkLimits = { maxDepth: 8, maxEntries: 50_000 };

/** Walks `root` (a target path) within `limits`; unreadable folders are logged and passed over. */
export async function walkFolder(
  fs: TargetFs,
  root: string,
  limits: WalkLimits,
  log: CollectorLog,
): Promise<Walk> {
  const entries: WalkedEntry[] = [];
  const queue: { path: string; depth: number }[] = [{ path: root, depth: 0 }];
  for (let next = 0; next < queue.length; next++) {
    const dir = queue[next]!;
    let listed;
    try {
      listed = await fs.list(dir.path);
    } catch (err) {
      log.add(dir.path, err);
      continue;
    }
    for (const e of listed) {
      if (entries.length >= limits.maxEntries) return { entries, cut: true };
      const entry = {
        path: e.path,
        name: e.name,
        depth: dir.depth + 1,
        isDir: e.isDir,
        isFile: e.isFile,
        isLink: e.isLink,
      };
      entries.push(entry);
      if (!e.isDir || e.isLink || entry.depth >= limits.maxDepth) continue;
      const rel = e.path.slice(root.length).replace(/^\/+/, '').toLowerCase();
      if (!limits.skip?.(rel)) queue.push({ path: e.path, depth: entry.depth });
    }
  }
  return { entries, cut: false };
}
