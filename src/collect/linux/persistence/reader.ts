// File access for the persistence collectors: reads, listings and stats of paths inside the target
// root (symlinks followed inside it), with missing files treated as absent and other errors logged,
// plus the logical-line splitter every line-based format here shares.
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CollectContext } from '../../context.js';
import { CollectorLog, errnoCode, isGone, resolveInRoot } from '../../support.js';

/** Config and script files bigger than this are not read as text (a crontab is a few hundred bytes). */
export const MAX_TEXT_BYTES = 1024 * 1024;

export interface DirEntry {
  name: string;
  /** Path inside the target. */
  path: string;
  isDir: boolean;
  isLink: boolean;
}

export class RootReader {
  constructor(
    readonly ctx: CollectContext,
    readonly log: CollectorLog,
  ) {}

  host(targetPath: string): Promise<string> {
    return resolveInRoot(this.ctx.root, targetPath);
  }

  private note(targetPath: string, err: unknown): void {
    // ENOTDIR: a path component is a file; as good as missing for a reader of fixed locations.
    if (!isGone(err) && errnoCode(err) !== 'ENOTDIR') this.log.add(targetPath, err);
  }

  /** The file's text, or undefined when it does not exist (other errors are logged). */
  async text(targetPath: string): Promise<string | undefined> {
    try {
      const file = await this.host(targetPath);
      const st = await stat(file);
      if (!st.isFile()) return undefined;
      if (st.size > MAX_TEXT_BYTES) {
        const fd = await readFile(file);
        return fd.subarray(0, MAX_TEXT_BYTES).toString('utf8');
      }
      return await readFile(file, 'utf8');
    } catch (err) {
      this.note(targetPath, err);
      return undefined;
    }
  }

  /** A directory's entries sorted by name; [] when it does not exist. */
  async list(dir: string): Promise<DirEntry[]> {
    try {
      const hostDir = await this.host(dir);
      const entries = await readdir(hostDir, { withFileTypes: true });
      const out: DirEntry[] = [];
      for (const e of entries) {
        const p = path.posix.join(dir, e.name);
        let isDir = e.isDirectory();
        if (e.isSymbolicLink()) {
          try {
            isDir = (await stat(await this.host(p))).isDirectory();
          } catch {
            isDir = false;
          }
        }
        out.push({ name: e.name, path: p, isDir, isLink: e.isSymbolicLink() });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (err) {
      this.note(dir, err);
      return [];
    }
  }

  /** The raw link text of a symlink inside the target (not followed). */
  async linkTarget(targetPath: string): Promise<string | undefined> {
    try {
      const parent = await this.host(path.posix.dirname(targetPath));
      return await readlink(path.join(parent, path.posix.basename(targetPath)));
    } catch {
      return undefined;
    }
  }

  async stat(targetPath: string): Promise<Stats | undefined> {
    try {
      return await stat(await this.host(targetPath));
    } catch (err) {
      this.note(targetPath, err);
      return undefined;
    }
  }

  async exists(targetPath: string): Promise<boolean> {
    try {
      await lstat(await this.host(targetPath));
      return true;
    } catch {
      return false;
    }
  }

  async sha256(targetPath: string): Promise<string | undefined> {
    try {
      const file = await this.host(targetPath);
      const hash = createHash('sha256');
      for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
      return hash.digest('hex');
    } catch (err) {
      this.note(targetPath, err);
      return undefined;
    }
  }
}

export interface LogicalLine {
  /** 1-based number of the first physical line. */
  line: number;
  /** The physical lines joined, continuation backslashes removed. */
  text: string;
  /** The physical lines exactly as written. */
  raw: string;
}

/** Joins backslash-continued lines; drops blank lines and `#` comments (unless `keepComments`). */
export function logicalLines(text: string, keepComments = false): LogicalLine[] {
  const out: LogicalLine[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let joined = lines[i]!.replace(/\r$/, '');
    let raw = joined;
    while (joined.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.replace(/\r$/, '');
      joined = joined.slice(0, -1) + next;
      raw += `\n${next}`;
    }
    const trimmed = joined.trim();
    if (trimmed === '' || (!keepComments && trimmed.startsWith('#'))) continue;
    out.push({ line: start + 1, text: trimmed, raw });
  }
  return out;
}
