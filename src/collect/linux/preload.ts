// The dynamic loader's preload configuration and the libraries it brings in: /etc/ld.so.preload,
// ld.so.conf, LD_PRELOAD/LD_AUDIT of every process, and every shared object a process has mapped,
// with its package (dpkg's file lists, the rpm or apk database), hash and the libc functions it
// overrides (our own ELF reader); for mapped objects in a language or toolchain manager's tree, also
// their owner and mode; for mapped objects a package owns, their content against the package's record.
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { CollectionRecord, ProcessInfo } from '../../snapshot/schema.js';
import type { Preload, SharedObject } from '../../snapshot/stealth.js';
import type { CollectContext } from '../context.js';
import { CollectorLog, errnoCode, errorMessage, isGone, mapLimit } from '../support.js';
import type { TargetFs } from '../../target/fs.js';
import { oddLibraryPlace } from '../../detect/places.js';
import { toolchainOf } from '../../detect/toolchains.js';
import { exportedFunctions } from './elf.js';
import { parseLinkTarget } from './processes.js';
import { ownNativeAddons } from '../../util/paths.js';
import { fileStamp, StampCache } from '../../util/stamp-cache.js';
import { verifyMappedLibraries } from './packages/mapped-integrity.js';
import { loadOwnership } from './packages/ownership.js';

/** Libraries larger than this are not hashed or parsed: preload hiders are a few kilobytes. */
const MAX_LIB_BYTES = 64 * 1024 * 1024;
/** Where the loader looks for a bare LD_PRELOAD name when ld.so.conf says nothing more. */
const DEFAULT_LIB_DIRS = [
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib64',
  '/usr/lib64',
  '/lib',
  '/usr/lib',
];

/** ld.so.preload entries: separated by whitespace or colons; `#` starts a comment (glibc ≥ 2.x). */
export function parseLdSoPreload(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .flatMap((line) => line.split(/[\s:]+/))
    .filter((entry) => entry !== '');
}

/** LD_PRELOAD and LD_AUDIT hold lists separated by colons or spaces. */
export function splitLdList(value: string): string[] {
  return value.split(/[\s:]+/).filter((e) => e !== '');
}

export { ownersOf, pathVariants } from './packages/dpkg.js';

/** ld.so.conf with its `include` globs (only `*` in the last component, as distributions use). */
function readLdSoConf(fs: TargetFs, log: CollectorLog): Preload['ldSoConf'] {
  const out: Preload['ldSoConf'] = [];
  const seen = new Set<string>();
  const visit = (file: string, depth: number): void => {
    if (seen.has(file) || depth > 4) return;
    seen.add(file);
    let text: string;
    try {
      text = fs.textSync(file);
    } catch (err) {
      if (!isGone(err)) log.add(file, err);
      return;
    }
    const dirs: string[] = [];
    const includes: string[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') continue;
      const inc = /^include\s+(.+)$/.exec(line);
      if (inc?.[1]) includes.push(...inc[1].split(/\s+/));
      else if (!line.startsWith('hwcap')) dirs.push(...line.split(/[\s:,]+/).filter((d) => d !== ''));
    }
    out.push({ file, dirs });
    for (const pattern of includes) {
      const abs = pattern.startsWith('/') ? pattern : path.posix.join(path.posix.dirname(file), pattern);
      const dir = path.posix.dirname(abs);
      const glob = path.posix.basename(abs);
      const re = new RegExp(
        `^${glob
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
      );
      let names: string[] = [];
      try {
        names = fs.namesSync(dir).filter((n) => re.test(n));
      } catch (err) {
        if (!isGone(err)) log.add(dir, err);
      }
      for (const n of names) visit(path.posix.join(dir, n), depth + 1);
    }
  };
  visit('/etc/ld.so.conf', 0);
  return out;
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * libc's exported functions, read and parsed (2 MB, 20–30 ms) only when some library's overrides
 * are asked for: on a host whose mapped libraries are all packaged, none is (issue 17). The note
 * says why they are missing, as it did when they were always read; when nobody asked, a libc that
 * is not there is still named.
 */
function libcExportsOnDemand(
  fs: TargetFs,
  libcPath: string,
): { exports: () => Set<string> | undefined; note: () => string | undefined } {
  let exports: Set<string> | undefined;
  let failure: string | undefined;
  let read = false;
  return {
    exports() {
      if (read) return exports;
      read = true;
      try {
        exports = new Set(exportedFunctions(fs.readSync(libcPath)));
      } catch (err) {
        failure = errnoCode(err) ?? errorMessage(err);
      }
      return exports;
    },
    note() {
      if (!read) {
        try {
          if (fs.statSync(libcPath) === undefined) failure = 'ENOENT';
        } catch (err) {
          failure = errnoCode(err) ?? errorMessage(err);
        }
      }
      return failure === undefined ? undefined : `libc exports not read (${failure})`;
    },
  };
}

/**
 * What examining an unpackaged library found, kept between scans by the file's stamp: its sha256 and
 * the libc functions it overrides (with libc's stamp, since those depend on libc too). A host that
 * maps the same unpackaged objects scan after scan (a Node addon, a Python wheel's .so, an /opt
 * application: tens of MB) read and hashed them every time (issue 17).
 */
interface LibraryFacts {
  sha256: string;
  overrides: string[];
  libc: string;
}

const LIBRARY_FACTS_FORMAT = 1;

function isLibraryFacts(v: unknown): v is LibraryFacts {
  const f = v as LibraryFacts;
  return (
    typeof f?.sha256 === 'string' &&
    typeof f.libc === 'string' &&
    Array.isArray(f.overrides) &&
    f.overrides.every((o) => typeof o === 'string')
  );
}

/** The libc exports on demand, with the libc stamp the library facts are cached against. */
interface LibcLookup {
  exports: () => Set<string> | undefined;
  stamp: () => string | undefined;
  facts?: StampCache<LibraryFacts>;
}

/** libc's stamp, taken once: a cached override list holds only while libc is the same file. */
function libcStampOnce(fs: TargetFs, libcPath: string): () => string | undefined {
  let done = false;
  let stamp: string | undefined;
  return () => {
    if (!done) {
      done = true;
      try {
        const st = fs.statSync(libcPath);
        stamp = st ? fileStamp(st) : undefined;
      } catch {
        stamp = undefined;
      }
    }
    return stamp;
  };
}

/** Sets the library's sha256 and overrides from `buf`, or from the cache when its file is unchanged. */
function hashAndOverrides(
  lib: SharedObject,
  file: string,
  stamp: string,
  libc: LibcLookup,
  read: () => Buffer,
): void {
  const hit = libc.facts?.get(file, stamp);
  if (hit && hit.libc === libc.stamp()) {
    lib.sha256 = hit.sha256;
    lib.overrides = [...hit.overrides];
    return;
  }
  const buf = read();
  lib.sha256 = sha256(buf);
  try {
    const fns = exportedFunctions(buf);
    const exports = libc.exports();
    if (exports) {
      lib.overrides = fns.filter((f) => exports.has(f));
      const libcStamp = libc.stamp();
      if (libcStamp !== undefined)
        libc.facts?.set(file, stamp, { sha256: lib.sha256, overrides: lib.overrides, libc: libcStamp });
    }
  } catch (err) {
    lib.readError = errorMessage(err);
  }
}

export interface PreloadCollection {
  preload?: Preload;
  record: CollectionRecord;
}

/**
 * Every library named by ld.so.preload, a process's LD_PRELOAD/LD_AUDIT or its mapped objects, and
 * the paths some process maps without " (deleted)" (the only ones whose file on disk is what runs).
 */
function gatherLibraries(
  ctx: CollectContext,
  ldSoPreload: Preload['ldSoPreload'],
  procs: ProcessInfo[] | undefined,
): { libs: Map<string, SharedObject>; live: Set<string> } {
  const ownAddons = new Set(ownNativeAddons());
  const libs = new Map<string, SharedObject>();
  const live = new Set<string>();
  const add = (p: string, source: SharedObject['sources'][number]): void => {
    const lib = libs.get(p) ?? { path: p, sources: [], exists: false };
    if (!lib.sources.includes(source)) lib.sources.push(source);
    libs.set(p, lib);
  };
  for (const entry of ldSoPreload.entries) add(entry, 'ld.so.preload');
  for (const p of procs ?? []) {
    for (const [name, source] of [
      ['LD_PRELOAD', 'LD_PRELOAD'],
      ['LD_AUDIT', 'LD_AUDIT'],
    ] as const) {
      const value = p.env[name];
      if (value !== undefined) for (const entry of splitLdList(value)) add(entry, source);
    }
    for (const m of p.maps) {
      const { path: mapped, deleted } = parseLinkTarget(m);
      // This installation's own addons, mapped by minehunter's processes (a copy run from /tmp on a
      // suspect host, or a second scan): ours, as its reports are; a copy anywhere else is judged.
      // The executable's unpacked YARA-X is mapped once a scan worker has loaded it: before or after
      // the walk reads the maps, so a first run reported itself as a library from /tmp (high).
      if (ctx.live && ownAddons.has(mapped)) continue;
      add(mapped, 'maps');
      if (!deleted) live.add(mapped);
    }
  }
  return { libs, live };
}

/**
 * Finds each library's file the way the loader does: a bare name through the configured directories.
 * A stat each, on the spot: a few hundred of them through the busy thread pool cost most of this
 * collector's wall time (issue 17).
 */
function resolveLibraries(ctx: CollectContext, names: string[], searchDirs: string[]): Map<string, string> {
  const resolved = new Map<string, string>();
  const exists = (p: string): boolean => {
    try {
      return ctx.fs.statSync(p) !== undefined;
    } catch {
      return false;
    }
  };
  for (const p of names) {
    const candidates = p.startsWith('/') ? [p] : p.includes('/') ? [] : searchDirs.map((d) => `${d}/${p}`);
    const found = candidates.find(exists);
    if (found !== undefined) resolved.set(p, found);
  }
  return resolved;
}

/** Fills in one library's file facts: package, and for unpackaged or preloaded ones size, hash, overrides. */
async function examineLibrary(
  ctx: CollectContext,
  lib: SharedObject,
  file: string | undefined,
  owners: Map<string, string>,
  haveLists: boolean,
  libc: LibcLookup,
): Promise<void> {
  if (file === undefined) return;
  lib.exists = true;
  if (file !== lib.path) lib.path = file;
  const pkg = owners.get(file);
  if (pkg !== undefined) lib.package = pkg;
  // Packaged libraries are the package manager's to verify; ours to read are the rest and preloads.
  const preloaded = lib.sources.some((s) => s !== 'maps');
  // A mapped object in a toolchain tree that odd-shared-object would otherwise report is ordinary
  // only for the right owner and mode: record them for exactly those (other snapshots stay as they were).
  const wantsOwner =
    lib.sources.includes('maps') &&
    !preloaded &&
    toolchainOf(file) !== undefined &&
    oddLibraryPlace(file, { exists: true, package: pkg }, haveLists) !== undefined;
  if (pkg !== undefined && !preloaded && !wantsOwner) return;
  let owner: { uid: number; mode: number } | undefined;
  try {
    // The door's own error when it is gone (the record names its code).
    const st = ctx.fs.statSync(file) ?? (await ctx.fs.stat(file));
    if (wantsOwner && st.isFile()) owner = { uid: st.uid, mode: st.mode & 0o7777 };
    if (pkg !== undefined && !preloaded) return;
    lib.size = st.size;
    if (!st.isFile() || st.size > MAX_LIB_BYTES) return;
    hashAndOverrides(lib, file, fileStamp(st), libc, () => ctx.fs.readSync(file));
  } catch (err) {
    lib.readError = errnoCode(err) ?? errorMessage(err);
  } finally {
    if (owner) {
      lib.uid = owner.uid;
      lib.mode = owner.mode;
    }
  }
}

/**
 * Collects the preload facts. `processes` is the process walk still in flight: its env and maps name
 * the libraries, so the file-list reading starts now and the matching waits for it.
 */
export async function collectPreload(
  ctx: CollectContext,
  processes: Promise<ProcessInfo[] | undefined>,
): Promise<PreloadCollection> {
  const log = new CollectorLog('linux.preload', ['preload']);
  const notes: string[] = [];
  const listsRun = loadOwnership(ctx.fs, log);
  const ldSoConfRead = readLdSoConf(ctx.fs, log);

  const ldSoPreload: Preload['ldSoPreload'] = { path: '/etc/ld.so.preload', exists: false, entries: [] };
  try {
    const buf = ctx.fs.readSync('etc/ld.so.preload');
    ldSoPreload.exists = true;
    ldSoPreload.entries = parseLdSoPreload(buf.toString('utf8'));
    ldSoPreload.sha256 = sha256(buf);
  } catch (err) {
    if (!isGone(err)) {
      log.add('/etc/ld.so.preload', err);
      return { record: log.record('failed', 'cannot read /etc/ld.so.preload') };
    }
  }

  const [lists, procs] = await Promise.all([listsRun, processes]);
  const ldSoConf = ldSoConfRead;
  const searchDirs = [...ldSoConf.flatMap((c) => c.dirs), ...DEFAULT_LIB_DIRS];

  const { libs, live } = gatherLibraries(ctx, ldSoPreload, procs);
  if (!procs) notes.push('no process list: mapped libraries and LD_* variables not read');

  const resolved = resolveLibraries(ctx, [...libs.keys()], searchDirs);

  // One ownership question for dpkg, rpm and apk targets alike (packages/ownership.ts).
  const owners = lists ? lists.ownersOf([...resolved.values()]) : new Map<string, string>();
  if (!lists) notes.push('no package database (dpkg, rpm or apk): package ownership not collected');
  else if (lists.note) notes.push(lists.note);

  // libc's own exports tell which of a library's functions are overrides.
  const libcPath =
    [...resolved.values()].find((p) => /\/libc\.so\.6$/.test(p)) ?? '/lib/x86_64-linux-gnu/libc.so.6';
  const libc = libcExportsOnDemand(ctx.fs, libcPath);
  const facts = StampCache.open('libraries', ctx.fs.hostPathSync('/'), LIBRARY_FACTS_FORMAT, isLibraryFacts);
  const lookup: LibcLookup = { exports: libc.exports, stamp: libcStampOnce(ctx.fs, libcPath) };
  if (facts) lookup.facts = facts;

  await mapLimit([...libs.values()], 4, (lib) =>
    examineLibrary(ctx, lib, resolved.get(lib.path), owners, lists !== undefined, lookup),
  );
  facts?.save();
  const libcNote = libc.note();
  if (libcNote) notes.push(libcNote);

  // Same library reached by a bare name and a full path: one entry.
  const merged = new Map<string, SharedObject>();
  for (const lib of libs.values()) {
    const prev = merged.get(lib.path);
    if (!prev) merged.set(lib.path, lib);
    else for (const s of lib.sources) if (!prev.sources.includes(s)) prev.sources.push(s);
  }
  const libraries = [...merged.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // Like `rpm -V` for every packaged library a process maps (a patched libc keeps its package).
  if (lists) {
    const checked = await verifyMappedLibraries(ctx.fs, libraries, live, lists, log);
    if (checked) notes.push(checked);
  }
  const preload: Preload = {
    ldSoPreload,
    ldSoConf,
    libraries,
    packageDb: lists ? lists.manager : 'none',
  };
  notes.unshift(
    ldSoPreload.exists
      ? `/etc/ld.so.preload has ${ldSoPreload.entries.length} entries`
      : 'no /etc/ld.so.preload',
    `${libraries.length} shared objects`,
  );
  return { preload, record: log.record(log.errorCount > 0 ? 'partial' : 'ok', notes.join('; ')) };
}
