// A Windows volume read from Linux: recognising one (`Windows/System32/config/SYSTEM` in any case),
// finding a path on it whatever case the copy kept (NTFS is case-insensitive, a copied tree on ext4
// is not), and turning the paths Windows writes (`%SystemRoot%\…`, `\SystemRoot\…`, `\??\C:\…`,
// `system32\drivers\x.sys`, a quoted program with arguments) into paths of the volume.
import type { TargetFs } from '../fs.js';

/** The hive whose presence makes a root a Windows system volume. */
export const WINDOWS_MARKER = 'Windows/System32/config/SYSTEM';

/**
 * Finds `rel` (slash-separated, relative to the root) on the volume matching each component without
 * regard to case; an exact match is preferred. Returns the target path (`/Windows/…`) or undefined.
 */
export async function findOnVolume(fs: TargetFs, rel: string): Promise<string | undefined> {
  let dir = '/';
  for (const part of rel.split('/').filter((p) => p !== '' && p !== '.')) {
    if (part === '..') return undefined;
    let names: string[];
    try {
      names = await fs.names(dir);
    } catch {
      return undefined;
    }
    const found = names.includes(part) ? part : names.find((n) => n.toLowerCase() === part.toLowerCase());
    if (found === undefined) return undefined;
    dir = dir === '/' ? `/${found}` : `${dir}/${found}`;
  }
  return dir;
}

/** Whether the root holds a Windows system (its SYSTEM hive, in any case). */
export async function isWindowsVolume(fs: TargetFs): Promise<boolean> {
  return (await findOnVolume(fs, WINDOWS_MARKER)) !== undefined;
}

/** Environment variables a registry or task path may use, as their usual values on a system drive. */
const ENV: Record<string, string> = {
  systemroot: 'C:\\Windows',
  windir: 'C:\\Windows',
  systemdrive: 'C:',
  programfiles: 'C:\\Program Files',
  'programfiles(x86)': 'C:\\Program Files (x86)',
  programw6432: 'C:\\Program Files',
  commonprogramfiles: 'C:\\Program Files\\Common Files',
  programdata: 'C:\\ProgramData',
  allusersprofile: 'C:\\ProgramData',
  public: 'C:\\Users\\Public',
  temp: 'C:\\Windows\\Temp',
  tmp: 'C:\\Windows\\Temp',
};

/**
 * Expands `%VAR%` with the usual values; `%USERPROFILE%`, `%APPDATA%`, `%LOCALAPPDATA%` and `%TEMP%`
 * of a user's hive resolve in that user's profile when `user` is given.
 */
export function expandWindowsEnv(text: string, user?: string): string {
  return text.replace(/%([^%\s]{1,40})%/g, (whole, name: string) => {
    const key = name.toLowerCase();
    if (user !== undefined) {
      const profile = `C:\\Users\\${user}`;
      if (key === 'userprofile') return profile;
      if (key === 'appdata') return `${profile}\\AppData\\Roaming`;
      if (key === 'localappdata') return `${profile}\\AppData\\Local`;
      if (key === 'temp' || key === 'tmp') return `${profile}\\AppData\\Local\\Temp`;
    }
    return ENV[key] ?? whole;
  });
}

/**
 * The program a command line starts: the quoted first token, or the longest unquoted prefix that
 * ends in an executable extension (`C:\Program Files\x\a.exe -k` has spaces in its path), or the
 * first word.
 */
export function programOf(commandLine: string): string {
  const s = commandLine.trim();
  if (s.startsWith('"')) {
    const end = s.indexOf('"', 1);
    return end < 0 ? s.slice(1) : s.slice(1, end);
  }
  const ext = /^.*?\.(exe|dll|sys|com|bat|cmd|ps1|vbs|js|scr|cpl|ocx|msc|hta)(?=\s|$|,)/i.exec(s);
  if (ext) return ext[0];
  return s.split(/\s+/)[0] ?? '';
}

/**
 * A Windows path as the volume's relative path (`Windows/System32/drivers/x.sys`), or undefined when
 * it names another drive, a UNC share or a bare program name searched on PATH. Forms handled:
 * `C:\…`, `\??\C:\…`, `\\?\C:\…`, `\SystemRoot\…`, `%SystemRoot%\…`, `System32\…` (relative to the
 * Windows directory, as ImagePath of drivers is), `\Windows\…` (root-relative).
 */
export function volumeRelative(windowsPath: string, user?: string): string | undefined {
  let p = expandWindowsEnv(windowsPath.trim().replace(/^"|"$/g, ''), user);
  p = p.replace(/^\\\?\?\\/, '').replace(/^\\\\\?\\/, '');
  if (/^\\systemroot\\/i.test(p)) p = `C:\\Windows\\${p.slice('\\SystemRoot\\'.length)}`;
  else if (/^system32\\/i.test(p) || /^syswow64\\/i.test(p)) p = `C:\\Windows\\${p}`;
  else if (/^\\(?!\\)/.test(p)) p = `C:${p}`;
  const drive = /^([a-z]):\\/i.exec(p);
  if (!drive) return undefined;
  if (drive[1]?.toLowerCase() !== 'c') return undefined;
  const rel = p
    .slice(3)
    .split('\\')
    .filter((x) => x !== '' && x !== '.');
  if (rel.includes('..')) return undefined;
  return rel.join('/');
}

/** The `C:\…` form of a volume path (`/Windows/Fonts/arial` → `C:\Windows\Fonts\arial`). */
export function windowsPathOf(targetPath: string): string {
  return `C:\\${targetPath.replace(/^\/+/, '').split('/').join('\\')}`;
}

/** Resolves a Windows path on the volume: the target path, when something is there. */
export async function resolveWindowsPath(
  fs: TargetFs,
  windowsPath: string,
  user?: string,
): Promise<string | undefined> {
  const rel = volumeRelative(windowsPath, user);
  return rel === undefined ? undefined : findOnVolume(fs, rel);
}
