// The target's file system, read as the target sees itself: paths of an offline root (a mounted
// disk, a copied tree) resolve inside it, absolute symlinks start again at the root and `..` never
// climbs above it, so a hostile link on a suspect disk cannot make minehunter read, report or touch
// the analyst's own files. Collectors, the content engine, respond and evidence all read through it.
import { lstatSync, readlinkSync } from 'node:fs';
import { lstat, readFile, readlink } from 'node:fs/promises';
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

/** Reads a text file of the target (e.g. `etc/passwd`), following its symlinks inside the root. */
export async function readRootText(root: string, targetPath: string): Promise<string> {
  return readFile(await resolveInRoot(root, targetPath), 'utf8');
}
