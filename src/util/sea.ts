// Knows whether minehunter runs as its single executable (Node's SEA, `npm run package`) and, if so,
// unpacks the files embedded in it (rules, IOCs, keys, native addons) into a private directory,
// once per content hash, so that util/paths.ts can hand out real paths and process.dlopen can load
// the addons. A checkout or an npm install never reaches the unpacking code.
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { maskBytes } from './mask.js';

interface SeaModule {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
  getAsset(key: string, encoding: string): string;
}

/** What scripts/package.mjs embeds as the asset `manifest.json`. */
export interface SeaManifest {
  /** sha256 over every unpacked file's name and bytes: the name of the directory they go to. */
  hash: string;
  /** Asset keys written to disk, gunzipped, as paths relative to the directory (rules/x.yar…). */
  files: string[];
  /** Versions of the embedded native packages (the YARA-X binding reports its version). */
  versions: Record<string, string>;
}

/**
 * The main thread puts the unpacked directory here in the source of each worker it starts: a worker
 * evaluates that source and finds the addons without unpacking anything itself.
 */
const WORKER_DIR = Symbol.for('minehunter.sea.dir');
type WorkerGlobal = { [WORKER_DIR]?: string };

let seaModule: SeaModule | null | undefined;

function sea(): SeaModule | null {
  if (seaModule === undefined) {
    try {
      // node:sea exists from Node 20.12 on; an older Node is never the executable we build.
      const mod = createRequire(process.execPath)('node:sea') as SeaModule;
      seaModule = mod.isSea() ? mod : null;
    } catch {
      seaModule = null;
    }
  }
  return seaModule;
}

/** True inside the single executable (its main thread and its workers). */
export function isSea(): boolean {
  return (globalThis as WorkerGlobal)[WORKER_DIR] !== undefined || sea() !== null;
}

/** An embedded text file (the workers' source, the manifest); undefined outside the executable. */
export function seaText(key: string): string | undefined {
  return sea()?.getAsset(key, 'utf8');
}

let manifestCache: SeaManifest | undefined;
/** The embedded manifest; a worker reads the unpacked copy. */
export function seaManifest(): SeaManifest {
  const given = (globalThis as WorkerGlobal)[WORKER_DIR];
  manifestCache ??= JSON.parse(
    given !== undefined
      ? readFileSync(path.join(given, 'manifest.json'), 'utf8')
      : (seaText('manifest.json') ?? '{}'),
  ) as SeaManifest;
  return manifestCache;
}

/** The source a worker of the executable evaluates: the embedded bundle, told where the addons are. */
export function seaWorkerSource(key: string): string | undefined {
  const code = seaText(key);
  if (code === undefined) return undefined;
  return `globalThis[Symbol.for('minehunter.sea.dir')] = ${JSON.stringify(seaDir())};\n${code}`;
}

/** Says something on stderr in both languages the tool speaks. */
export function say(en: string, zh: string): void {
  process.stderr.write(`minehunter: ${en}\nminehunter: ${zh}\n`);
}

// ---- Start-up guard ----

/**
 * A suspect host may plant NODE_OPTIONS (`--require=/tmp/.x.cjs`) to run code inside any Node
 * program. The executable never applies it (scripts/package.mjs renames the variable Node reads in
 * its copy of node, and checks that a preload does not run), and refuses to run while it is set, so
 * the responder sees it and decides: it may be the intruder's. Outside the executable: nothing.
 */
export function seaStartGuard(): void {
  if (!isSea() || (globalThis as WorkerGlobal)[WORKER_DIR] !== undefined) return;
  const planted = process.env.NODE_OPTIONS;
  if (planted !== undefined && planted.trim() !== '') {
    say(
      `NODE_OPTIONS is set (${JSON.stringify(planted)}); it was not applied, and this tool does not run with it: on a suspect host it may have been planted to run code in Node programs. Check where it comes from (/etc/environment, shell profiles), then run: env -u NODE_OPTIONS ${process.argv0} ...`,
      `环境变量 NODE_OPTIONS 已设置（${JSON.stringify(planted)}）；本工具未应用它，也不在它存在时运行：在可疑主机上它可能是被植入的，用来在 Node 程序中执行代码。请查明其来源（/etc/environment、shell 配置文件），然后运行：env -u NODE_OPTIONS ${process.argv0} ...`,
    );
    process.exit(2);
  }
  seaDir();
}

// ---- Unpacking ----

/** The mount options of the filesystem holding `dir`, from /proc/self/mountinfo (empty if unknown). */
function mountOptions(dir: string): string[] {
  let real: string | undefined;
  // A directory not made yet lies on the filesystem of its nearest existing ancestor.
  for (let d = path.resolve(dir); real === undefined; d = path.dirname(d)) {
    try {
      real = realpathSync(d);
    } catch {
      if (d === '/') return [];
    }
  }
  let info: string;
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  let best = '';
  let options: string[] = [];
  for (const line of info.split('\n')) {
    const fields = line.split(' ');
    const at = (fields[4] ?? '').replace(/\\([0-7]{3})/g, (_, o: string) =>
      String.fromCharCode(parseInt(o, 8)),
    );
    const inside = at === '/' || real === at || real.startsWith(`${at}/`);
    // Later lines are mounts made on top of earlier ones: the last longest match is what is seen.
    if (inside && at.length >= best.length) {
      best = at;
      options = (fields[5] ?? '').split(',');
    }
  }
  return options;
}

/** Where to unpack, in order: the user's choice alone, else the runtime dir, /tmp, the user's cache. */
function candidates(): string[] {
  const chosen = process.env.MINEHUNTER_TMP;
  if (chosen) return [path.resolve(chosen)];
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return [process.env.XDG_RUNTIME_DIR, os.tmpdir(), path.join(cache, 'minehunter')].filter(
    (d): d is string => d !== undefined && d !== '',
  );
}

/** Whether `dir` is ours alone: a real directory, owned by us, closed to everyone else. */
function privateDir(dir: string): boolean {
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return false;
  const uid = process.getuid?.() ?? st.uid;
  return st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0;
}

function complete(dir: string, hash: string): boolean {
  try {
    return privateDir(dir) && readFileSync(path.join(dir, '.complete'), 'utf8') === hash;
  } catch {
    return false;
  }
}

/** Writes every embedded file into a fresh private directory next to `final`, then renames it there. */
function unpack(final: string, manifest: SeaManifest): string {
  const api = sea()!;
  // zlib loads only to unpack (the first run of a build), not on every start (issue 17).
  const { gunzipSync } = createRequire(process.execPath)('node:zlib') as typeof import('node:zlib');
  const tmp = mkdtempSync(`${final}.tmp-`);
  try {
    for (const key of manifest.files) {
      const file = path.join(tmp, key);
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const bytes = gunzipSync(new Uint8Array(api.getAsset(key)));
      // Rules and IOC lists are written masked (every reader unmasks): an on-access antivirus would
      // otherwise quarantine a directory full of miner strings, and a scan of /tmp would report them.
      const data = /^(rules|iocs)\//.test(key) ? maskBytes(bytes) : bytes;
      writeFileSync(file, data, { mode: key.endsWith('.node') ? 0o700 : 0o600 });
    }
    writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest), { mode: 0o600 });
    writeFileSync(path.join(tmp, '.complete'), manifest.hash, { mode: 0o600 });
    try {
      renameSync(tmp, final);
      return final;
    } catch {
      // Another run unpacked the same files first: use theirs if they are whole, else our own copy.
      if (complete(final, manifest.hash)) {
        rmSync(tmp, { recursive: true, force: true });
        return final;
      }
      process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
      return tmp;
    }
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/** The unpacked directory under `base`, reused when a run before us left it whole; throws if impossible. */
function unpackUnder(base: string, manifest: SeaManifest): string {
  mkdirSync(base, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.() ?? 0;
  const final = path.join(base, `minehunter-${uid}-${manifest.hash.slice(0, 16)}`);
  if (complete(final, manifest.hash)) return final;
  // Someone else's directory under our name (a shared /tmp): never use it, unpack beside it.
  if (lstatSync(final, { throwIfNoEntry: false }) && !privateDir(final)) {
    const own = mkdtempSync(`${final}-`);
    rmSync(own, { recursive: true, force: true });
    return unpack(own, manifest);
  }
  rmSync(final, { recursive: true, force: true });
  return unpack(final, manifest);
}

let unpacked: string | undefined;

/** The directory holding the unpacked files (unpacking them on first use); exits when none can. */
export function seaDir(): string {
  const given = (globalThis as WorkerGlobal)[WORKER_DIR];
  if (given !== undefined) return given;
  if (unpacked !== undefined) return unpacked;
  const manifest = seaManifest();
  const tried: string[] = [];
  for (const base of candidates()) {
    if (mountOptions(base).includes('noexec')) {
      tried.push(`${base} (noexec)`);
      continue;
    }
    try {
      unpacked = unpackUnder(base, manifest);
    } catch (error) {
      tried.push(`${base} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      continue;
    }
    if (tried.length > 0)
      say(
        `cannot unpack the native parts in ${tried.join(', ')}; using ${unpacked} instead (set MINEHUNTER_TMP to choose).`,
        `无法在 ${tried.join('、')} 解包本地组件；改用 ${unpacked}（可设置 MINEHUNTER_TMP 指定目录）。`,
      );
    return unpacked;
  }
  say(
    `cannot unpack the native parts anywhere: ${tried.join(', ')}. Set MINEHUNTER_TMP to a writable directory on a filesystem mounted without noexec, e.g. MINEHUNTER_TMP=/root/minehunter-tmp ${process.argv0} scan`,
    `无法解包本地组件：${tried.join('、')}。请将 MINEHUNTER_TMP 设为一个可写且所在文件系统未以 noexec 挂载的目录，例如 MINEHUNTER_TMP=/root/minehunter-tmp ${process.argv0} scan`,
  );
  process.exit(2);
}
