// The target's file system, read as the target sees itself: paths of an offline root (a mounted
// disk, a copied tree) resolve inside it, absolute symlinks start again at the root and `..` never
// climbs above it, so a hostile link on a suspect disk cannot make minehunter read, report or touch
// the analyst's own files. The collectors read the target through one door, TargetFs; the content
// engine, respond and evidence use the primitives it is built on (resolveInRoot, lookupInRoot).
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  readSync,
  statSync,
  type Dirent,
  type Stats,
} from 'node:fs';
import { lstat, open, readdir, readlink, stat, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errnoCode } from '../util/errors.js';

const MAX_SYMLINK_HOPS = 40;

/** A symbolic link of an offline root, as the target sees it. */
export interface RootLink {
  /** Where the link is, e.g. `/opt`. */
  path: string;
  /** Its text, e.g. `/root/tools` or `../../..`. */
  target: string;
}

/** Where a path of an offline root leads (see lookupInRoot). */
export interface InRootLookup {
  /** The host path, always inside the root (chroot-style resolution). */
  hostPath: string;
  /** A component does not exist (or could not be looked at): nothing is at hostPath. */
  missing: boolean;
  /**
   * The first symbolic link on the way that leads outside the root as this machine would follow it
   * and to nothing inside it: a relative one whose `..` climb above the root, or an absolute one
   * whose target the root does not hold. Read in the target's terms it would be the root itself or
   * nothing; read on this machine it is the analyst's own file. Callers that must not read either
   * leave the path alone.
   */
  outside?: RootLink;
}

/** What the resolution asks about one host path: a symlink (with its text), something else, or nothing. */
type Probe = { link: string } | 'other' | 'missing' | 'error';

interface Part {
  name: string;
  /** The link whose text this component came from. */
  from?: RootLink & { absolute: boolean };
}

const partsOf = (p: string, from?: Part['from']): Part[] =>
  p
    .split('/')
    .filter((n) => n !== '' && n !== '.')
    .map((name) => (from ? { name, from } : { name }));

/**
 * The chroot-style walk of resolveInRoot and lookupInRoot, written once: it yields each host path it
 * needs looked at and is told what is there, so a synchronous and an asynchronous driver share it.
 * Absolute links restart from the root, `..` never climbs above it, and after a missing component
 * the rest is appended without its `..`, so even the path of nothing stays inside the root.
 */
function* resolution(root: string, targetPath: string): Generator<string, InRootLookup, Probe> {
  const pending = partsOf(targetPath);
  const resolved: string[] = [];
  let outside: RootLink | undefined;
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as Part;
    if (part.name === '..') {
      // Only a relative link's own `..` can mean "above the root"; the caller's `/..` is `/`.
      if (resolved.length === 0 && part.from && !part.from.absolute)
        outside ??= { path: part.from.path, target: part.from.target };
      resolved.pop();
      continue;
    }
    const hostPath = path.join(root, ...resolved, part.name);
    const probe = yield hostPath;
    if (probe === 'missing' || probe === 'error') {
      if (probe === 'missing' && part.from?.absolute)
        outside ??= { path: part.from.path, target: part.from.target };
      const rest = pending.filter((p) => p.name !== '..').map((p) => p.name);
      return { hostPath: path.join(hostPath, ...rest), missing: true, ...(outside ? { outside } : {}) };
    }
    if (probe === 'other') {
      resolved.push(part.name);
      continue;
    }
    if (++hops > MAX_SYMLINK_HOPS) {
      throw Object.assign(new Error(`too many levels of symbolic links: ${targetPath}`), {
        code: 'ELOOP',
        errno: -os.constants.errno.ELOOP,
      });
    }
    const absolute = probe.link.startsWith('/');
    const from = { path: `/${[...resolved, part.name].join('/')}`, target: probe.link, absolute };
    if (absolute) resolved.length = 0;
    pending.unshift(...partsOf(probe.link, from));
  }
  return { hostPath: path.join(root, ...resolved), missing: false, ...(outside ? { outside } : {}) };
}

function probeError(err: unknown): Probe {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'error';
}

function probeSync(hostPath: string): Probe {
  try {
    if (!lstatSync(hostPath).isSymbolicLink()) return 'other';
  } catch (err) {
    return probeError(err);
  }
  return { link: readlinkSync(hostPath) };
}

async function probe(hostPath: string): Promise<Probe> {
  try {
    if (!(await lstat(hostPath)).isSymbolicLink()) return 'other';
  } catch (err) {
    return probeError(err);
  }
  return { link: await readlink(hostPath) };
}

function lookupSync(root: string, targetPath: string): InRootLookup {
  const walk = resolution(root, targetPath);
  let step = walk.next();
  while (!step.done) step = walk.next(probeSync(step.value));
  return step.value;
}

/**
 * Where `targetPath` of the offline root `root` leads, with every symlink followed inside the root
 * as a chroot would, and the first link on the way that leads out of it (see InRootLookup.outside).
 */
export async function lookupInRoot(root: string, targetPath: string): Promise<InRootLookup> {
  const walk = resolution(root, targetPath);
  let step = walk.next();
  while (!step.done) step = walk.next(await probe(step.value));
  return step.value;
}

/**
 * Maps a path inside the target to a host path. On a live root that is the path itself; on an offline
 * root every symlink is followed inside the root, as a chroot would, because a mounted disk's
 * `/etc/os-release -> /usr/lib/os-release` must not read the analyst's own file.
 */
export async function resolveInRoot(root: string, targetPath: string): Promise<string> {
  if (path.resolve(root) === '/') return path.resolve('/', targetPath);
  return (await lookupInRoot(root, targetPath)).hostPath;
}

/** resolveInRoot without awaiting, for the content scan's walker (a few roots per scan). */
export function resolveInRootSync(root: string, targetPath: string): string {
  if (path.resolve(root) === '/') return path.resolve('/', targetPath);
  return lookupSync(root, targetPath).hostPath;
}

/** One entry of a target directory (TargetFs.list), typed as readdir saw it: a link is not followed. */
export interface TargetEntry {
  name: string;
  /** Path inside the target: the listed directory joined with the name. */
  path: string;
  isDir: boolean;
  isFile: boolean;
  isLink: boolean;
}

export interface ReadOptions {
  /** Read at most this many bytes from the start of the file (the rest is left unread). */
  maxBytes?: number;
}

/** Opened for reading without blocking on a FIFO a hostile root put where a file was expected. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

async function readHead(fh: FileHandle, maxBytes: number): Promise<Buffer> {
  const { size } = await fh.stat();
  if (size < maxBytes) {
    const all = await fh.readFile();
    return all.length > maxBytes ? all.subarray(0, maxBytes) : all;
  }
  const buf = Buffer.alloc(maxBytes);
  let got = 0;
  while (got < maxBytes) {
    const { bytesRead } = await fh.read(buf, got, maxBytes - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buf.subarray(0, got);
}

/**
 * The one door to a target's file system: every path is a path of the target (`/etc/passwd`, or
 * relative to its root), mapped to a host path as resolveInRoot does. On the live root (`/`) a path
 * is itself; on an offline root every symlink on the way is followed inside the root, so nothing read
 * through the door is outside it. Errors are the file system's own (ENOENT, EACCES, ELOOP…).
 */
export class TargetFs {
  /** Absolute path of the directory treated as `/`. */
  readonly root: string;
  /** The root is this running system's own `/`: paths mean what they say. */
  readonly live: boolean;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.live = this.root === '/';
  }

  /** The host path of `p`, every symlink followed (inside the root when offline). */
  hostPath(p: string): Promise<string> {
    return resolveInRoot(this.root, p);
  }

  /** hostPath without awaiting. */
  hostPathSync(p: string): string {
    return resolveInRootSync(this.root, p);
  }

  /** Where `p` leads, with the first link on the way that leads out of the root (see lookupInRoot). */
  lookup(p: string): Promise<InRootLookup> {
    return lookupInRoot(this.root, p);
  }

  /** The host path of the directory entry `p` itself: its directory resolved, its last component not followed. */
  private async entryPath(p: string): Promise<string> {
    const base = path.posix.basename(p);
    if (this.live || base === '' || base === '.' || base === '..') return this.hostPath(p);
    return path.join(await this.hostPath(path.posix.dirname(p)), base);
  }

  /** The file's bytes (its first `maxBytes` when given). */
  async read(p: string, opts: ReadOptions = {}): Promise<Buffer> {
    const fh = await open(await this.hostPath(p), READ_FLAGS);
    try {
      return opts.maxBytes === undefined ? await fh.readFile() : await readHead(fh, opts.maxBytes);
    } finally {
      await fh.close();
    }
  }

  /** The file's text, read as UTF-8 (its first `maxBytes` bytes when given). */
  async text(p: string, opts: ReadOptions = {}): Promise<string> {
    return (await this.read(p, opts)).toString('utf8');
  }

  /** The entries of directory `dir`, sorted by name, as readdir types them (links not followed). */
  async list(dir: string): Promise<TargetEntry[]> {
    return entriesOf(dir, await readdir(await this.hostPath(dir), { withFileTypes: true }));
  }

  /** The names in directory `dir`, sorted. */
  async names(dir: string): Promise<string[]> {
    return (await this.list(dir)).map((e) => e.name);
  }

  /** stat of what `p` leads to (links followed, inside the root when offline). */
  async stat(p: string): Promise<Stats> {
    return stat(await this.hostPath(p));
  }

  /** lstat of `p` itself: a link at its last component is described, not followed. */
  async lstat(p: string): Promise<Stats> {
    return lstat(await this.entryPath(p));
  }

  /** Whether something is at `p` (stat succeeds): a link to nothing (inside the root) is not. */
  async exists(p: string): Promise<boolean> {
    return this.stat(p).then(
      () => true,
      () => false,
    );
  }

  /** The text of the symlink `p` (not followed). */
  async readlink(p: string): Promise<string> {
    return readlink(await this.entryPath(p));
  }

  /** Opens what `p` leads to, for reading only (collecting never changes the target); the caller closes it. */
  async open(p: string): Promise<FileHandle> {
    return open(await this.hostPath(p), 'r');
  }

  /** The sha256 of the file's content, in hex, read as a stream. */
  async hash(p: string): Promise<string> {
    const fh = await open(await this.hostPath(p), READ_FLAGS);
    try {
      const hash = createHash('sha256');
      for await (const chunk of fh.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
      return hash.digest('hex');
    } finally {
      await fh.close();
    }
  }

  // Synchronous twins, for collectors that read many small fixed files (cron lines, unit files,
  // /proc and /sys facts, a few dozen binaries to hash): each call above is a round trip through
  // libuv's four threads, queued behind the process walk and the content scan, where a small read
  // done on the spot costs microseconds (issue 17). Same paths, same root rules, same errors, except
  // that statSync and lstatSync answer `undefined` where nothing is (no exception to build and catch).

  /** stat of what `p` leads to, or undefined when nothing is there (ENOENT). */
  statSync(p: string): Stats | undefined {
    return statSync(this.hostPathSync(p), { throwIfNoEntry: false });
  }

  /** lstat of `p` itself, or undefined when nothing is there (ENOENT). */
  lstatSync(p: string): Stats | undefined {
    return lstatSync(this.entryPathSync(p), { throwIfNoEntry: false });
  }

  /** readlink without awaiting. */
  readlinkSync(p: string): string {
    return readlinkSync(this.entryPathSync(p));
  }

  private entryPathSync(p: string): string {
    const base = path.posix.basename(p);
    if (this.live || base === '' || base === '.' || base === '..') return this.hostPathSync(p);
    return path.join(this.hostPathSync(path.posix.dirname(p)), base);
  }

  /** read without awaiting. */
  readSync(p: string, opts: ReadOptions = {}): Buffer {
    const fd = openSync(this.hostPathSync(p), READ_FLAGS);
    try {
      return opts.maxBytes === undefined ? readFileSync(fd) : readHeadSync(fd, opts.maxBytes);
    } finally {
      closeSync(fd);
    }
  }

  /** text without awaiting. */
  textSync(p: string, opts: ReadOptions = {}): string {
    return this.readSync(p, opts).toString('utf8');
  }

  /** list without awaiting. */
  listSync(dir: string): TargetEntry[] {
    return entriesOf(dir, readdirSync(this.hostPathSync(dir), { withFileTypes: true }));
  }

  /** names without awaiting. */
  namesSync(dir: string): string[] {
    return this.listSync(dir).map((e) => e.name);
  }

  /**
   * The file's digest in each algorithm asked for (`md5`, `sha256`…), in hex and in that order, in
   * one read pass through a reused scratch buffer: a binary is never held whole in memory.
   */
  digestsSync(p: string, algorithms: readonly string[]): string[] {
    const hashes = algorithms.map((a) => createHash(a));
    const fd = openSync(this.hostPathSync(p), READ_FLAGS);
    try {
      scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES);
      for (;;) {
        const got = readSync(fd, scratch, 0, scratch.length, null);
        if (got === 0) break;
        const view = scratch.subarray(0, got);
        for (const h of hashes) h.update(view);
      }
    } finally {
      closeSync(fd);
    }
    return hashes.map((h) => h.digest('hex'));
  }
}

/** The listing's entries, typed as readdir saw them and sorted by name. */
function entriesOf(dir: string, entries: Dirent[]): TargetEntry[] {
  return entries
    .map((e) => ({
      name: e.name,
      path: path.posix.join(dir, e.name),
      isDir: e.isDirectory(),
      isFile: e.isFile(),
      isLink: e.isSymbolicLink(),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function readHeadSync(fd: number, maxBytes: number): Buffer {
  const { size } = fstatSync(fd);
  if (size < maxBytes) {
    const all = readFileSync(fd);
    return all.length > maxBytes ? all.subarray(0, maxBytes) : all;
  }
  const buf = Buffer.alloc(maxBytes);
  let got = 0;
  while (got < maxBytes) {
    const n = readSync(fd, buf, got, maxBytes - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** digestsSync's read buffer: one for the process (the reads are synchronous, so never shared). */
const SCRATCH_BYTES = 256 * 1024;
let scratch: Buffer | undefined;

/** The door to the target whose root is `root` (see TargetFs). */
export function targetFs(root: string): TargetFs {
  return new TargetFs(root);
}
