// The folders miners hide in on a Windows volume (source §4.3 and §4.5, issue 14 "Files"): every
// subfolder of Windows\Fonts (ProtectionX's arial, Logs, temp, ttf) with its contents, programs
// (the `MZ` magic, whatever the extension) in Fonts, Temp, ProgramData, the Recycle Bin,
// Users\Public and the profiles' AppData, and programs anywhere under Windows, ProgramData and the
// profiles whose name imitates a system binary's (win1logon.exe) or is one outside its home
// (ProgramData\svchost.exe). Facts only, with PE header facts, sha256 and DOS attributes when the
// copy carries them: the detectors judge. Every walk is bounded and follows no link.
import type { CollectContext } from '../context.js';
import type { CollectionRecord } from '../../snapshot/schema.js';
import type { FilePlace, VolumeLimit, WindowsFile } from '../../snapshot/windows.js';
import type { TargetFs } from '../../target/fs.js';
import { judgeBinaryPath } from '../../target/windows/typosquat.js';
import { findOnVolume } from '../../target/windows/volume.js';
import { CollectorLog, mapLimit } from '../support.js';
import { attributeReader } from './files-attrs.js';
import { fileFacts, folderFacts, isExecutable, placeOf } from './files-facts.js';
import { PLACE_LIMITS, walkFolder, type WalkLimits, type WalkedEntry } from './files-walk.js';

/** The most files and folders listed; the rest is counted in the record's note. */
export const MAX_FILES = 2000;
/** Files read at once while checking magic and reading facts. */
const PARALLEL = 8;

export const NO_ATTRIBUTES_LIMIT: VolumeLimit = 'no-attributes';
export const NO_RUNNING_STATE_LIMIT: VolumeLimit = 'no-running-state';

/** Where programs are looked for by their magic; `*` is every profile under Users. */
const PROGRAM_PLACES: { rel: string; place: FilePlace; maxDepth: number; skip?: RegExp }[] = [
  { rel: 'Windows/Temp', place: 'temp', maxDepth: 8 },
  // ProgramData is large: its top three levels, without Defender's platform and installer caches.
  {
    rel: 'ProgramData',
    place: 'programdata',
    maxDepth: 3,
    skip: /^(?:microsoft\/windows defender|package cache)$/,
  },
  { rel: '$Recycle.Bin', place: 'recycle-bin', maxDepth: 8 },
  { rel: 'RECYCLER', place: 'recycle-bin', maxDepth: 8 },
  { rel: 'Users/Public', place: 'users-public', maxDepth: 8 },
  { rel: 'Users/*/AppData/Local/Temp', place: 'appdata', maxDepth: 3 },
  { rel: 'Users/*/AppData/Roaming', place: 'appdata', maxDepth: 3 },
];

/**
 * Windows' own stores of copies of its files under their own names (tens of thousands in WinSxS):
 * not walked for look-alike names, as typosquat.ts does not judge copies there either.
 */
const WINDOWS_STORES = /^(?:winsxs|servicing|softwaredistribution)$/;

/** Extensions of programs a look-alike name is checked on. */
const BINARY_EXT = /\.(?:exe|dll|sys|com|scr|cpl|ocx|pif)$/i;

/** The files gathered so far, one per path, capped at MAX_FILES; past the cap paths are only counted. */
class FileList {
  constructor(private readonly max: number) {}
  readonly byPath = new Map<string, WindowsFile>();
  readonly dropped = new Set<string>();
  readonly notes: string[] = [];

  has(p: string): boolean {
    return this.byPath.has(p) || this.dropped.has(p);
  }
  /** Adds what `facts` gives for each new path (read a few at a time); past the cap, counts it. */
  async addAll(paths: string[], facts: (p: string) => Promise<WindowsFile>): Promise<void> {
    const fresh = [...new Set(paths)].filter((p) => !this.has(p));
    const room = Math.max(0, this.max - this.byPath.size);
    for (const p of fresh.slice(room)) this.dropped.add(p);
    for (const f of await mapLimit(fresh.slice(0, room), PARALLEL, facts)) this.byPath.set(f.file, f);
  }
}

interface Run {
  fs: TargetFs;
  list: FileList;
  log: CollectorLog;
}

async function walk(run: Run, root: string, limits: WalkLimits) {
  const result = await walkFolder(run.fs, root, limits, run.log);
  if (result.cut) run.list.notes.push(`${root}: walk stopped at ${limits.maxEntries} entries`);
  return result;
}

async function executable(run: Run, p: string): Promise<boolean> {
  try {
    return await isExecutable(run.fs, p);
  } catch (err) {
    run.log.add(p, err);
    return false;
  }
}

/** The regular files among `entries` not listed yet that are programs (by their magic). */
async function programsAmong(run: Run, entries: WalkedEntry[]): Promise<string[]> {
  const files = entries.filter((e) => e.isFile && !e.isLink && !run.list.has(e.path)).map((e) => e.path);
  const flags = await mapLimit(files, PARALLEL, (p) => executable(run, p));
  return files.filter((_, i) => flags[i]);
}

/** Fonts: each subfolder (with its executables counted), and each program anywhere under Fonts. */
async function collectFonts(run: Run): Promise<void> {
  const fonts = await findOnVolume(run.fs, 'Windows/Fonts');
  if (fonts === undefined) return;
  const { entries } = await walk(run, fonts, PLACE_LIMITS);
  const programs = await programsAmong(run, entries);
  const dirs = entries.filter((e) => e.depth === 1 && e.isDir && !e.isLink).map((e) => e.path);
  await run.list.addAll(dirs, (dir) => {
    const inside = programs.filter((p) => p.startsWith(`${dir}/`)).length;
    return folderFacts(run.fs, dir, inside, run.log);
  });
  await run.list.addAll(programs, (p) => fileFacts(run.fs, p, 'fonts', run.log));
}

/** The target paths of the profile folders under Users (links such as `All Users` are not profiles). */
async function profiles(fs: TargetFs): Promise<string[]> {
  const users = await findOnVolume(fs, 'Users');
  if (users === undefined) return [];
  const entries = await fs.list(users).catch(() => []);
  return entries.filter((e) => e.isDir && !e.isLink).map((e) => e.path);
}

/** Programs (by magic) in Temp, ProgramData, the Recycle Bin, Users\Public and AppData. */
async function collectPrograms(run: Run, users: string[]): Promise<void> {
  for (const spec of PROGRAM_PLACES) {
    const rels = spec.rel.includes('*')
      ? users.map((u) => `${u.slice(1)}/${spec.rel.split('/*/')[1]}`)
      : [spec.rel];
    for (const rel of rels) {
      const root = await findOnVolume(run.fs, rel);
      if (root === undefined) continue;
      const skip = spec.skip;
      const { entries } = await walk(run, root, {
        ...PLACE_LIMITS,
        maxDepth: spec.maxDepth,
        ...(skip ? { skip: (r: string) => skip.test(r) } : {}),
      });
      const programs = await programsAmong(run, entries);
      await run.list.addAll(programs, (p) => fileFacts(run.fs, p, spec.place, run.log));
    }
  }
}

/** Programs under Windows, ProgramData and the profiles named like a system binary (see typosquat.ts). */
async function collectLookalikes(run: Run, users: string[]): Promise<void> {
  const roots = [await findOnVolume(run.fs, 'Windows'), await findOnVolume(run.fs, 'ProgramData'), ...users];
  for (const root of roots) {
    if (root === undefined) continue;
    const { entries } = await walk(run, root, { ...PLACE_LIMITS, skip: (r) => WINDOWS_STORES.test(r) });
    const named = entries.filter(
      (e) => e.isFile && !e.isLink && BINARY_EXT.test(e.name) && judgeBinaryPath(e.path) !== undefined,
    );
    await run.list.addAll(
      named.map((e) => e.path),
      (p) => fileFacts(run.fs, p, placeOf(p), run.log),
    );
  }
}

/** Adds DOS attributes to each file when the mount carries them; false when it does not. */
async function addAttributes(ctx: CollectContext, files: WindowsFile[]): Promise<boolean> {
  const read = await attributeReader(ctx.root);
  if (!read) return false;
  // The Windows folder always has attributes on NTFS: none there means none anywhere.
  const windows = await findOnVolume(ctx.fs, 'Windows');
  if (!windows || !(await read(await ctx.fs.hostPath(windows)))) return false;
  for (const f of files) {
    const attributes = await read(await ctx.fs.hostPath(f.file));
    if (attributes) f.attributes = attributes;
  }
  return true;
}

function summary(files: WindowsFile[], list: FileList, max: number): string {
  const dirs = files.filter((f) => f.type === 'dir').length;
  const parts = [
    `${dirs} Fonts subfolder(s), ${files.length - dirs} program(s) in hiding places or with look-alike names`,
  ];
  if (list.dropped.size > 0) parts.push(`list cut at ${max} entries (${list.dropped.size} more not listed)`);
  return [...parts, ...list.notes].join('; ');
}

export interface WindowsFilesOptions {
  /** The most files and folders listed (MAX_FILES). */
  maxFiles?: number;
}

export async function collectWindowsFiles(
  ctx: CollectContext,
  opts: WindowsFilesOptions = {},
): Promise<{
  files?: WindowsFile[];
  limits?: VolumeLimit[];
  record: CollectionRecord;
}> {
  const log = new CollectorLog('windows.files', ['windows-files']);
  const max = opts.maxFiles ?? MAX_FILES;
  const run: Run = { fs: ctx.fs, list: new FileList(max), log };
  const users = await profiles(ctx.fs);
  await collectFonts(run);
  await collectPrograms(run, users);
  await collectLookalikes(run, users);
  const files = [...run.list.byPath.values()];
  const limits: VolumeLimit[] = [NO_RUNNING_STATE_LIMIT];
  if (!(await addAttributes(ctx, files))) limits.unshift(NO_ATTRIBUTES_LIMIT);
  const partial = log.errorCount > 0 || run.list.dropped.size > 0 || run.list.notes.length > 0;
  return { files, limits, record: log.record(partial ? 'partial' : 'ok', summary(files, run.list, max)) };
}
