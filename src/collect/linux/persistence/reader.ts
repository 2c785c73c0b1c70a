// File access for the persistence collectors: a thin wrapper over the target's door (ctx.fs) whose
// reads, listings and stats treat a missing file as absent and log other errors, plus the
// logical-line splitter every line-based format here shares.
import type { Stats } from 'node:fs';
import type { TargetFs } from '../../../target/fs.js';
import { fileStamp } from '../../../util/stamp-cache.js';
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
 * How a look at the target is replayed to see whether it would still see the same (see Recorder):
 * `stat` and `lstat` compare the whole stamp (a file's or directory's content, type, owner, times),
 * `list` the listed directory's stamp (an entry added, removed or renamed moves its mtime), `exists`
 * only whether something is there, `id` only device and inode, `isdir` only whether a path leads to
 * a directory.
 */
export type LookKind = 'stat' | 'lstat' | 'list' | 'exists' | 'id' | 'isdir';

/** A file or directory changed this recently may change again within the same clock tick, unseen. */
const SETTLED_MS = 2000;

/** What a look of `kind` at `targetPath` sees now: a stamp, '' for nothing there, '!CODE' for an error. */
export function lookNow(fs: TargetFs, kind: LookKind, targetPath: string): string {
  let st: Stats | undefined;
  try {
    st = kind === 'lstat' ? fs.lstatSync(targetPath) : fs.statSync(targetPath);
  } catch (err) {
    return `!${errnoCode(err) ?? 'error'}`;
  }
  return st ? seenIn(kind, st) : '';
}

/** What a look of `kind` keeps of a stat. */
function seenIn(kind: LookKind, st: Stats): string {
  switch (kind) {
    case 'exists':
      return 'y';
    case 'id':
      return `${st.dev}:${st.ino}`;
    case 'isdir':
      return st.isDirectory() ? 'd' : '-';
    case 'stat':
      // Of anything but a regular file the persistence collectors use only its type (a directory a
      // script names, such as /tmp, changes all the time).
      if (!st.isFile()) return `type ${st.mode & 0o170000}`;
      return `${st.mode}:${st.uid}:${st.gid}:${fileStamp(st)}`;
    default:
      return `${st.mode}:${st.uid}:${st.gid}:${fileStamp(st)}`;
  }
}

/**
 * Every look a collection took at the target, with what it saw, so a later scan can tell, by looking
 * again (a stat each), that everything it depended on is as it was (collect/linux/persistence/
 * index.ts). A look at something changed in the last SETTLED_MS makes the collection unfit to keep:
 * a write in the same clock tick would not move the stamp.
 */
export class Recorder {
  readonly looks = new Map<string, string>();
  settled = true;

  constructor(
    private readonly fs: TargetFs,
    private readonly startedMs: number,
  ) {}

  /** Records a look: `st` is the stat a `stat` look already took, else the look is taken now. */
  look(kind: LookKind, targetPath: string, st?: Stats): void {
    const key = `${kind}\0${targetPath}`;
    if (this.looks.has(key)) return;
    const seen = st && kind === 'stat' ? seenIn(kind, st) : lookNow(this.fs, kind, targetPath);
    this.looks.set(key, seen);
    // Only a look that keeps a whole stamp (mode:uid:gid:dev:…) can miss a write in the same clock tick.
    if (kind === 'id' || !/^\d+:\d+:\d+:/.test(seen)) return;
    const s = st ?? this.statFor(kind, targetPath);
    if (s && Math.max(s.mtimeMs, s.ctimeMs) > this.startedMs - SETTLED_MS) this.settled = false;
  }

  private statFor(kind: LookKind, targetPath: string): Stats | undefined {
    try {
      return kind === 'lstat' ? this.fs.lstatSync(targetPath) : this.fs.statSync(targetPath);
    } catch {
      return undefined;
    }
  }

  /** The looks as flat [kind\0path, seen, …] pairs, for the cache. */
  flat(): string[] {
    return [...this.looks].flat();
  }
}

/** Whether every look in `looks` (Recorder.flat) sees the same now. */
export function stillSeen(fs: TargetFs, looks: readonly string[]): boolean {
  for (let i = 0; i + 1 < looks.length; i += 2) {
    const key = looks[i]!;
    const cut = key.indexOf('\0');
    if (lookNow(fs, key.slice(0, cut) as LookKind, key.slice(cut + 1)) !== looks[i + 1]) return false;
  }
  return true;
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
    /** Where the looks are recorded, when the collection may be kept for the next scan. */
    readonly recorder?: Recorder,
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
      const st = this.ctx.fs.statSync(targetPath);
      this.recorder?.look('stat', targetPath, st);
      if (!st?.isFile()) return undefined;
      return this.ctx.fs.textSync(targetPath, { maxBytes: MAX_TEXT_BYTES });
    } catch (err) {
      this.recorder?.look('stat', targetPath);
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
    this.recorder?.look('list', dir);
    try {
      const out: DirEntry[] = [];
      for (const e of this.ctx.fs.listSync(dir)) {
        let isDir = e.isDir;
        if (e.isLink) {
          this.recorder?.look('isdir', e.path);
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
    this.recorder?.look('lstat', targetPath);
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
      const st = this.ctx.fs.statSync(targetPath);
      this.recorder?.look('stat', targetPath, st);
      return st;
    } catch (err) {
      this.recorder?.look('stat', targetPath);
      this.note(targetPath, err);
      return undefined;
    }
  }

  /** The device and inode of what the path leads to (`dev:ino`), or undefined when it cannot be seen; never logged. */
  identity(targetPath: string): string | undefined {
    this.recorder?.look('id', targetPath);
    try {
      const st = this.ctx.fs.statSync(targetPath);
      return st ? `${st.dev}:${st.ino}` : undefined;
    } catch {
      return undefined;
    }
  }

  /** Something is at the path, its links followed inside the root. */
  exists(targetPath: string): Promise<boolean> {
    this.recorder?.look('exists', targetPath);
    try {
      return Promise.resolve(this.ctx.fs.statSync(targetPath) !== undefined);
    } catch {
      return Promise.resolve(false);
    }
  }

  sha256(targetPath: string): Promise<string | undefined> {
    this.recorder?.look('stat', targetPath);
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
    // Parts joined once at the end: cutting the backslash off a growing string copied it whole for
    // every continued line (5 s for 400 KB of " \\" lines in a hostile rc file).
    let part = lines[i]!.replace(/\r$/, '');
    const parts: string[] = [];
    const raws = [part];
    while (part.endsWith('\\') && i + 1 < lines.length) {
      i++;
      parts.push(part.slice(0, -1));
      part = lines[i]!.replace(/\r$/, '');
      raws.push(part);
    }
    parts.push(part);
    const raw = raws.join('\n');
    const trimmed = parts.join('').trim();
    if (trimmed === '' || (!keepComments && trimmed.startsWith('#'))) continue;
    out.push({ line: start + 1, text: trimmed, raw });
  }
  return out;
}
