// Autostart places of the registry and the Startup folders (source §4.2, §4.3): Run, RunOnce and
// the policy Run key (HKLM, its WOW6432Node view, each user's HKCU), Winlogon Shell and Userinit
// (always recorded: the detector compares them with Windows' defaults), IFEO debuggers, AppInit_DLLs,
// and the files of the all-users and per-user Startup folders. Each with the program it starts,
// resolved on the volume (a user's %APPDATA% in that user's profile).
import type { Hive, RegKey } from '../../target/windows/registry/index.js';
import { windowsPathOf } from '../../target/windows/volume.js';
import type { AutostartPlace, WindowsAutostart } from '../../snapshot/windows.js';
import type { ImageResolver } from './registry-image.js';
import type { Profile } from './registry-hives.js';
import { iso, textOf, valueLabel, Values } from './registry-read.js';

const CV = 'Microsoft\\Windows\\CurrentVersion';
const NTCV = 'Microsoft\\Windows NT\\CurrentVersion';
/** The Run-like keys, relative to SOFTWARE (HKLM) or to Software (HKCU). */
const RUN_KEYS: Array<[AutostartPlace, string]> = [
  ['run', `${CV}\\Run`],
  ['runonce', `${CV}\\RunOnce`],
  ['run-policy', `${CV}\\Policies\\Explorer\\Run`],
];
/** 32-bit programs' view of SOFTWARE: the same places again. */
const VIEWS = ['', 'WOW6432Node\\'];
const MAX_PER_KEY = 1000;
const MAX_STARTUP_FILES = 500;

/** Which hive a key is read from, and how its key paths are written. */
export interface HiveView {
  hive: Hive;
  kind: 'HKLM' | 'HKCU';
  /** `HKLM\SOFTWARE` or `HKCU`. */
  prefix: string;
  user?: string;
}

/** An autostart read from a hive, its program not yet resolved on the volume. */
export type AutostartDraft = Omit<WindowsAutostart, 'image'>;
type Draft = AutostartDraft;

function draft(view: HiveView, place: AutostartPlace, key: RegKey, value: string, data: string): Draft {
  const out: Draft = { place, hive: view.kind, key: `${view.prefix}\\${key.path}`, value, data };
  if (view.user !== undefined) out.user = view.user;
  const lastWrite = iso(key.lastWritten);
  if (lastWrite) out.lastWrite = lastWrite;
  return out;
}

/** Every non-empty string value of a Run-like key. */
function runValues(view: HiveView, place: AutostartPlace, path: string): Draft[] {
  const key = view.hive.lookup(path);
  if (!key) return [];
  const out: Draft[] = [];
  for (const v of new Values(key).list.slice(0, MAX_PER_KEY)) {
    const data = textOf(v);
    // Windows runs only string values; an empty one starts nothing.
    if (data === undefined || data.trim() === '') continue;
    out.push(draft(view, place, key, valueLabel(v.name), data));
  }
  return out;
}

/** Named values of one key, when present (an empty one too: Winlogon's are judged as written). */
function namedValues(view: HiveView, place: AutostartPlace, path: string, name: string): Draft[] {
  const key = view.hive.lookup(path);
  const data = key ? new Values(key).text(name) : undefined;
  return key && data !== undefined ? [draft(view, place, key, name, data)] : [];
}

/** IFEO subkeys with a Debugger: the value is the program name whose start is hijacked. */
function ifeoDebuggers(view: HiveView, path: string): Draft[] {
  const ifeo = view.hive.lookup(path);
  const out: Draft[] = [];
  for (const key of ifeo?.subkeys().slice(0, MAX_PER_KEY) ?? []) {
    const debuggerCmd = new Values(key).text('Debugger');
    if (debuggerCmd && debuggerCmd.trim() !== '')
      out.push(draft(view, 'ifeo-debugger', key, key.name, debuggerCmd));
  }
  return out;
}

/** AppInit_DLLs when it names something, with whether LoadAppInit_DLLs turns it on. */
function appInit(view: HiveView, path: string): Draft[] {
  const key = view.hive.lookup(path);
  if (!key) return [];
  const v = new Values(key);
  const dlls = v.text('AppInit_DLLs');
  if (!dlls || dlls.trim() === '') return [];
  const out = draft(view, 'appinit-dlls', key, 'AppInit_DLLs', dlls);
  const load = v.number('LoadAppInit_DLLs');
  if (load !== undefined) out.enabled = load !== 0;
  return [out];
}

/** The registry autostarts of SOFTWARE (HKLM) or a user's NTUSER.DAT (HKCU). */
export function registryAutostarts(view: HiveView): Draft[] {
  const root = view.kind === 'HKLM' ? '' : 'Software\\';
  const out: Draft[] = [];
  for (const wow of VIEWS)
    for (const [place, path] of RUN_KEYS) out.push(...runValues(view, place, `${root}${wow}${path}`));
  out.push(...namedValues(view, 'winlogon-shell', `${root}${NTCV}\\Winlogon`, 'Shell'));
  if (view.kind === 'HKCU') return out;
  out.push(...namedValues(view, 'winlogon-userinit', `${NTCV}\\Winlogon`, 'Userinit'));
  for (const wow of VIEWS) {
    out.push(...ifeoDebuggers(view, `${wow}${NTCV}\\Image File Execution Options`));
    out.push(...appInit(view, `${wow}${NTCV}\\Windows`));
  }
  return out;
}

/** The files of one Startup folder (desktop.ini, which every one holds, left out). */
async function startupFolder(images: ImageResolver, rel: string, user?: string): Promise<WindowsAutostart[]> {
  const { lookup } = images;
  const folder = await lookup.find(rel);
  if (folder === undefined) return [];
  const entries = await lookup.fs.list(folder).catch(() => []);
  const out: WindowsAutostart[] = [];
  for (const e of entries.slice(0, MAX_STARTUP_FILES)) {
    if (e.isDir || e.name.toLowerCase() === 'desktop.ini') continue;
    const st = await lookup.fs.lstat(e.path).catch(() => undefined);
    const entry: WindowsAutostart = {
      place: 'startup-folder',
      hive: 'file',
      key: windowsPathOf(folder),
      value: e.name,
      data: windowsPathOf(e.path),
      image: await images.file(e.path),
    };
    if (user !== undefined) entry.user = user;
    const mtime = iso(st?.mtime);
    if (mtime) entry.lastWrite = mtime;
    out.push(entry);
  }
  return out;
}

const STARTUP_ALL = 'ProgramData/Microsoft/Windows/Start Menu/Programs/StartUp';
const STARTUP_USER = 'AppData/Roaming/Microsoft/Windows/Start Menu/Programs/Startup';

/** The all-users Startup folder and each profile's. */
export async function startupFolders(
  images: ImageResolver,
  profiles: Profile[],
): Promise<WindowsAutostart[]> {
  const out = await startupFolder(images, STARTUP_ALL);
  for (const p of profiles)
    out.push(...(await startupFolder(images, `${p.profile.slice(1)}/${STARTUP_USER}`, p.name)));
  return out;
}

/** The first program an autostart's data names (AppInit_DLLs: the first DLL of its list). */
function programText(a: Draft): string {
  if (a.place === 'appinit-dlls') return a.data.trim().split(/[,\s]+/)[0] ?? '';
  return a.data;
}

/** Resolves each draft's program on the volume (user-aware for HKCU). */
export async function withImages(drafts: Draft[], images: ImageResolver): Promise<WindowsAutostart[]> {
  const out: WindowsAutostart[] = [];
  for (const a of drafts) {
    const image = await images.command(programText(a), a.hive === 'HKCU' ? a.user : undefined);
    out.push(image ? { ...a, image } : a);
  }
  return out;
}
