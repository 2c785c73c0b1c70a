// File access for the persistence collectors: a thin wrapper over the target's door (ctx.fs) whose
// reads, listings and stats treat a missing file as absent and log other errors, plus the
// logical-line splitter every line-based format here shares.
import type { Stats } from 'node:fs';
import type { CollectContext } from '../../context.js';
import { CollectorLog, errnoCode, isGone } from '../../support.js';

/** Config and script files bigger than this are not read as text (a crontab is a few hundred bytes). */
export const MAX_TEXT_BYTES = 1024 * 1024;
/** Milliseconds of synchronous reading between two turns of the event loop. */
const SLICE_MS = 4;

export interface DirEntry {
  name: string;
  /** Path inside the target. */
  path: string;
  isDir: boolean;
  isLink: boolean;
}

/**
 * Reads the target synchronously (TargetFs's *Sync twins): persistence reads a few hundred small
 * files (unit files, cron lines, profiles), and a thread-pool round trip for each, queued behind the
 * process walk and the content scan, cost over a second of the scan's wall time (issue 17). The
 * methods stay async, so a caller reads the same either way.
 */
export class RootReader {
  private sliceStart = performance.now();

  constructor(
    readonly ctx: CollectContext,
    readonly log: CollectorLog,
  ) {}

  /**
   * Gives the event loop a turn after each few milliseconds of reading on the spot, so the process
   * walk that runs beside this collector (the scan's longest path) gets its reads answered.
   */
  private async pace(): Promise<void> {
    if (performance.now() - this.sliceStart < SLICE_MS) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.sliceStart = performance.now();
  }

  host(targetPath: string): Promise<string> {
    return Promise.resolve(this.ctx.fs.hostPathSync(targetPath));
  }

  private note(targetPath: string, err: unknown): void {
    // ENOTDIR: a path component is a file; as good as missing for a reader of fixed locations.
    if (!isGone(err) && errnoCode(err) !== 'ENOTDIR') this.log.add(targetPath, err);
  }

  /** The file's text (its first MAX_TEXT_BYTES), or undefined when it is not a file (other errors are logged). */
  async text(targetPath: string): Promise<string | undefined> {
    await this.pace();
    return this.textNow(targetPath);
  }

  private textNow(targetPath: string): string | undefined {
    try {
      if (!this.ctx.fs.statSync(targetPath)?.isFile()) return undefined;
      return this.ctx.fs.textSync(targetPath, { maxBytes: MAX_TEXT_BYTES });
    } catch (err) {
      this.note(targetPath, err);
      return undefined;
    }
  }

  /** A directory's entries sorted by name, a link counted as a directory when it leads to one; [] when it does not exist. */
  async list(dir: string): Promise<DirEntry[]> {
    await this.pace();
    return this.listNow(dir);
  }

  private listNow(dir: string): DirEntry[] {
    try {
      const out: DirEntry[] = [];
      for (const e of this.ctx.fs.listSync(dir)) {
        let isDir = e.isDir;
        if (e.isLink) {
          try {
            isDir = this.ctx.fs.statSync(e.path)?.isDirectory() ?? false;
          } catch {
            isDir = false;
          }
        }
        out.push({ name: e.name, path: e.path, isDir, isLink: e.isLink });
      }
      return out;
    } catch (err) {
      this.note(dir, err);
      return [];
    }
  }

  /** The raw link text of a symlink inside the target (not followed). */
  linkTarget(targetPath: string): Promise<string | undefined> {
    try {
      return Promise.resolve(this.ctx.fs.readlinkSync(targetPath));
    } catch {
      return Promise.resolve(undefined);
    }
  }

  stat(targetPath: string): Promise<Stats | undefined> {
    return Promise.resolve(this.statNow(targetPath));
  }

  /** stat without awaiting; undefined when nothing is there (other errors are logged). */
  statNow(targetPath: string): Stats | undefined {
    try {
      return this.ctx.fs.statSync(targetPath);
    } catch (err) {
      this.note(targetPath, err);
      return undefined;
    }
  }

  /** The device and inode of what the path leads to (`dev:ino`), or undefined when it cannot be seen; never logged. */
  identity(targetPath: string): string | undefined {
    try {
      const st = this.ctx.fs.statSync(targetPath);
      return st ? `${st.dev}:${st.ino}` : undefined;
    } catch {
      return undefined;
    }
  }

  /** Something is at the path, its links followed inside the root. */
  exists(targetPath: string): Promise<boolean> {
    try {
      return Promise.resolve(this.ctx.fs.statSync(targetPath) !== undefined);
    } catch {
      return Promise.resolve(false);
    }
  }

  sha256(targetPath: string): Promise<string | undefined> {
    try {
      return Promise.resolve(this.ctx.fs.digestsSync(targetPath, ['sha256'])[0]);
    } catch (err) {
      this.note(targetPath, err);
      return Promise.resolve(undefined);
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
