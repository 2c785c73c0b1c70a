// File access for the persistence collectors: a thin wrapper over the target's door (ctx.fs) whose
// reads, listings and stats treat a missing file as absent and log other errors, plus the
// logical-line splitter every line-based format here shares.
import type { Stats } from 'node:fs';
import type { CollectContext } from '../../context.js';
import { CollectorLog, errnoCode, isGone } from '../../support.js';

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
    return this.ctx.fs.hostPath(targetPath);
  }

  private note(targetPath: string, err: unknown): void {
    // ENOTDIR: a path component is a file; as good as missing for a reader of fixed locations.
    if (!isGone(err) && errnoCode(err) !== 'ENOTDIR') this.log.add(targetPath, err);
  }

  /** The file's text (its first MAX_TEXT_BYTES), or undefined when it is not a file (other errors are logged). */
  async text(targetPath: string): Promise<string | undefined> {
    try {
      if (!(await this.ctx.fs.stat(targetPath)).isFile()) return undefined;
      return await this.ctx.fs.text(targetPath, { maxBytes: MAX_TEXT_BYTES });
    } catch (err) {
      this.note(targetPath, err);
      return undefined;
    }
  }

  /** A directory's entries sorted by name, a link counted as a directory when it leads to one; [] when it does not exist. */
  async list(dir: string): Promise<DirEntry[]> {
    try {
      const out: DirEntry[] = [];
      for (const e of await this.ctx.fs.list(dir)) {
        let isDir = e.isDir;
        if (e.isLink)
          isDir = await this.ctx.fs.stat(e.path).then(
            (st) => st.isDirectory(),
            () => false,
          );
        out.push({ name: e.name, path: e.path, isDir, isLink: e.isLink });
      }
      return out;
    } catch (err) {
      this.note(dir, err);
      return [];
    }
  }

  /** The raw link text of a symlink inside the target (not followed). */
  async linkTarget(targetPath: string): Promise<string | undefined> {
    try {
      return await this.ctx.fs.readlink(targetPath);
    } catch {
      return undefined;
    }
  }

  async stat(targetPath: string): Promise<Stats | undefined> {
    try {
      return await this.ctx.fs.stat(targetPath);
    } catch (err) {
      this.note(targetPath, err);
      return undefined;
    }
  }

  /** Something is at the path, its links followed inside the root. */
  exists(targetPath: string): Promise<boolean> {
    return this.ctx.fs.exists(targetPath);
  }

  async sha256(targetPath: string): Promise<string | undefined> {
    try {
      return await this.ctx.fs.hash(targetPath);
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
