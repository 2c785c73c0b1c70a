// The program a registry value names (a service's ImagePath or ServiceDll, a Run command, a
// debugger), found on the volume: path forms per target/windows/volume.ts, bare names searched where
// Windows finds them, size and sha256 of files outside the Windows directories. Directory listings
// are cached: hundreds of services name files of the same few folders (System32 holds thousands).
import type { TargetFs } from '../../target/fs.js';
import { expandWindowsEnv, programOf, volumeRelative } from '../../target/windows/volume.js';
import type { VolumeFile } from '../../snapshot/windows.js';

/** Files larger than this are not hashed (a miner is a few MB; a 4 GB file is not one). */
export const MAX_HASH_BYTES = 64 * 1024 * 1024;

/** Windows' own folders: nearly every service lives there, and hashing them all is slow for nothing. */
const SYSTEM_DIRS = /^\/windows\/(system32|syswow64|winsxs)\//i;

/** Where a bare program name (`svchost.exe -k …`, `powershell -enc …`) is found, in search order. */
const BARE_NAME_DIRS = [
  'Windows/System32',
  'Windows',
  'Windows/System32/WindowsPowerShell/v1.0',
  'Windows/SysWOW64',
];

/** findOnVolume with each directory listed once: case-insensitive, exact case preferred. */
export class VolumeLookup {
  private readonly listings = new Map<string, Promise<string[] | undefined>>();

  constructor(readonly fs: TargetFs) {}

  private names(dir: string): Promise<string[] | undefined> {
    let got = this.listings.get(dir);
    if (!got) {
      got = this.fs.names(dir).catch(() => undefined);
      this.listings.set(dir, got);
    }
    return got;
  }

  /** The target path of `rel` (slash-separated, relative to the root), or undefined. */
  async find(rel: string): Promise<string | undefined> {
    let dir = '/';
    for (const part of rel.split('/').filter((p) => p !== '' && p !== '.')) {
      if (part === '..') return undefined;
      const names = await this.names(dir);
      if (!names) return undefined;
      const lower = part.toLowerCase();
      const found = names.includes(part) ? part : names.find((n) => n.toLowerCase() === lower);
      if (found === undefined) return undefined;
      dir = dir === '/' ? `/${found}` : `${dir}/${found}`;
    }
    return dir;
  }
}

/** Resolves programs and files to VolumeFile facts, each file looked at once. */
export class ImageResolver {
  private readonly facts = new Map<string, Promise<VolumeFile>>();

  constructor(readonly lookup: VolumeLookup) {}

  /** The program a command line starts, resolved; undefined when it names no file of this volume. */
  async command(commandLine: string, user?: string): Promise<VolumeFile | undefined> {
    const program = programOf(expandWindowsEnv(commandLine, user));
    return program ? this.path(program, user) : undefined;
  }

  /** A Windows path (or a bare program name), resolved; a path of this volume that is not there has `exists: false`. */
  async path(windowsPath: string, user?: string): Promise<VolumeFile | undefined> {
    const rel = volumeRelative(windowsPath, user);
    if (rel === undefined) return this.bareName(windowsPath.trim());
    if (rel === '') return undefined;
    const found = await this.lookup.find(rel);
    return found === undefined ? { file: `/${rel}`, exists: false } : this.file(found);
  }

  /** A name without any directory, searched as Windows would (PATH, `.exe` appended when it has no extension). */
  private async bareName(name: string): Promise<VolumeFile | undefined> {
    if (!name || /[\\/:]/.test(name) || name.length > 255) return undefined;
    const candidates = /\.[a-z0-9]{1,4}$/i.test(name) ? [name] : [`${name}.exe`, name];
    for (const dir of BARE_NAME_DIRS)
      for (const c of candidates) {
        const found = await this.lookup.find(`${dir}/${c}`);
        if (found !== undefined) return this.file(found);
      }
    // Not on the system PATH: it may be in the working directory the registry does not name.
    return undefined;
  }

  /** Existence, size and (outside the Windows folders, up to MAX_HASH_BYTES) sha256 of a target path. */
  file(target: string): Promise<VolumeFile> {
    let got = this.facts.get(target);
    if (!got) {
      got = fileFacts(this.lookup.fs, target);
      this.facts.set(target, got);
    }
    return got;
  }
}

async function fileFacts(fs: TargetFs, file: string): Promise<VolumeFile> {
  let st;
  try {
    st = await fs.stat(file);
  } catch {
    return { file, exists: false };
  }
  if (!st.isFile()) return { file, exists: true };
  const out: VolumeFile = { file, exists: true, size: st.size };
  if (!SYSTEM_DIRS.test(file) && st.size <= MAX_HASH_BYTES) {
    // A file that vanishes or cannot be read between stat and hash keeps its other facts.
    const sha256 = await fs.hash(file).catch(() => undefined);
    if (sha256) out.sha256 = sha256;
  }
  return out;
}
