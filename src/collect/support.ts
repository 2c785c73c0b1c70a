// Shared plumbing for collectors: error bookkeeping for collection records, bounded concurrency, and
// reading files of an offline root without letting its absolute symlinks escape to the host.
import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { CollectionError, CollectionRecord, Section } from '../snapshot/schema.js';

/** A hostile or broken tree can produce thousands of errors; the snapshot keeps the first few. */
export const MAX_RECORDED_ERRORS = 20;

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The process (or file) went away while we read it: normal on a live system, not an error. */
export function isGone(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ESRCH';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Collects a collector's errors with a cap, then turns them into a `collection[]` record. */
export class CollectorLog {
  readonly errors: CollectionError[] = [];
  dropped = 0;
  private readonly started = performance.now();

  constructor(
    readonly collector: string,
    readonly sections: Section[],
  ) {}

  add(filePath: string | undefined, err: unknown): void {
    if (this.errors.length >= MAX_RECORDED_ERRORS) {
      this.dropped++;
      return;
    }
    const entry: CollectionError = { message: errorMessage(err) };
    if (filePath !== undefined) entry.path = filePath;
    const code = errnoCode(err);
    if (code !== undefined) entry.code = code;
    this.errors.push(entry);
  }

  get errorCount(): number {
    return this.errors.length + this.dropped;
  }

  record(status: CollectionRecord['status'], note?: string): CollectionRecord {
    const rec: CollectionRecord = {
      collector: this.collector,
      sections: this.sections,
      status,
      durationMs: Math.max(0, Math.round((performance.now() - this.started) * 10) / 10),
      errors: this.errors,
    };
    if (this.dropped > 0) rec.droppedErrors = this.dropped;
    if (note !== undefined && note !== '') rec.note = note;
    return rec;
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const MAX_SYMLINK_HOPS = 40;

/**
 * Maps a path inside the target to a host path. On a live root that is the path itself; on an offline
 * root every symlink is followed inside the root, as a chroot would, because a mounted disk's
 * `/etc/os-release -> /usr/lib/os-release` must not read the analyst's own file.
 */
export async function resolveInRoot(root: string, targetPath: string): Promise<string> {
  if (path.resolve(root) === '/') return path.resolve('/', targetPath);
  const pending = targetPath.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = path.join(root, ...resolved, part);
    let isLink = false;
    try {
      isLink = (await lstat(hostPath)).isSymbolicLink();
    } catch {
      // A missing component: the caller's read reports ENOENT on the same path.
      resolved.push(part, ...pending);
      break;
    }
    if (!isLink) {
      resolved.push(part);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) {
      throw Object.assign(new Error(`too many levels of symbolic links: ${targetPath}`), { code: 'ELOOP' });
    }
    const link = await readlink(hostPath);
    const linkParts = link.split('/').filter((p) => p !== '' && p !== '.');
    if (link.startsWith('/')) resolved.length = 0;
    pending.unshift(...linkParts);
  }
  return path.join(root, ...resolved);
}

/** Reads a text file of the target (e.g. `etc/passwd`), following its symlinks inside the root. */
export async function readRootText(root: string, targetPath: string): Promise<string> {
  return readFile(await resolveInRoot(root, targetPath), 'utf8');
}

/** Parses /etc/passwd into uid → user name; the first entry for a uid wins, as getpwuid does. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    const name = fields[0];
    const uid = Number(fields[2]);
    if (name && fields[2] !== '' && Number.isInteger(uid) && uid >= 0 && !users.has(uid))
      users.set(uid, name);
  }
  return users;
}
