// Windows system binary names, the directories each really lives in, and the two ways malware hides
// behind them (source §4 item 5: ProtectionX drops win1logon.exe and wuauc1t.exe): a look-alike
// name at a small edit distance (typosquat), or the true name outside its home (masquerade). Also
// the path normalisation and the "odd place to run from" test that the LOLBin and task checks share,
// since all of them compare Windows paths written in many forms. Pure: no I/O.

/** A Windows path in one comparable form: `/windows/system32/svchost.exe` (lower case, no drive). */
export type NormalPath = string;

const ENV_DIRS: Record<string, string> = {
  systemroot: '/windows',
  windir: '/windows',
  systemdrive: '',
  programfiles: '/program files',
  'programfiles(x86)': '/program files (x86)',
  programw6432: '/program files',
  commonprogramfiles: '/program files/common files',
  programdata: '/programdata',
  allusersprofile: '/programdata',
  public: '/users/public',
  // Per-user folders: the user is unknown here, and only the shape matters for the checks below.
  userprofile: '/users/%user%',
  appdata: '/users/%user%/appdata/roaming',
  localappdata: '/users/%user%/appdata/local',
  temp: '/users/%user%/appdata/local/temp',
  tmp: '/users/%user%/appdata/local/temp',
};

function expandEnv(p: string): string {
  const one = (whole: string, name: string) => ENV_DIRS[name.toLowerCase()] ?? whole;
  return p
    .replace(/%([A-Za-z0-9_()]{1,40})%/g, one)
    .replace(/\$env:([A-Za-z0-9_]{1,40}|\{[^}]{1,40}\})/gi, (w, n: string) => one(w, n.replace(/[{}]/g, '')));
}

/**
 * Normalises a path as Windows, a registry value or a task would write it (`C:\Windows\…`,
 * `%SystemRoot%\System32\…`, `\SystemRoot\…`, `\??\C:\…`, `system32\drivers\x.sys`, `$env:TEMP\x`)
 * or as a collector names a file relative to the volume root (`Windows/System32/…`). `.` and `..`
 * are resolved, so `C:\Windows\System32\..\Temp\x.exe` is seen in Temp. A bare file name stays bare.
 */
export function normalizeWindowsPath(path: string): NormalPath {
  let p = path.trim().replace(/^"(.*)"$/s, '$1');
  p = expandEnv(p).replace(/\\/g, '/');
  p = p.replace(/^\/\/[?.]\/|^\/\?\?\//, '');
  p = p.replace(/^\/systemroot(?=\/)/i, '/windows');
  p = p.replace(/^[a-z]:(?=\/|$)/i, '');
  if (/^system32\//i.test(p)) p = `/windows/${p}`;
  if (!p.startsWith('/') && p.includes('/')) p = `/${p}`;
  const parts: string[] = [];
  for (const part of p.toLowerCase().split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  const joined = parts.join('/');
  const abs = p.startsWith('/') ? `/${joined}` : joined;
  return abs.replace(/^\/windows\/sysnative(?=\/|$)/, '/windows/system32');
}

/** The last component of a Windows or normalised path. */
export function windowsBasename(path: string): string {
  const p = path.replace(/["\s]+$/, '');
  return p.slice(Math.max(p.lastIndexOf('\\'), p.lastIndexOf('/')) + 1);
}

function dirOf(norm: NormalPath): string | undefined {
  const i = norm.lastIndexOf('/');
  return i < 0 ? undefined : norm.slice(0, i) || '/';
}

const ODD_PLACES: { re: RegExp; label: string; level: 'high' | 'medium' }[] = [
  { re: /^\/users\/[^/]+\/appdata\/local\/temp\//, label: 'a user Temp folder', level: 'high' },
  { re: /^\/windows\/temp\//, label: 'Windows\\Temp', level: 'high' },
  { re: /^\/windows\/fonts\//, label: 'Windows\\Fonts', level: 'high' },
  { re: /^\/users\/public\//, label: 'Users\\Public', level: 'high' },
  { re: /^\/(?:\$recycle\.bin|recycler)\//, label: 'the Recycle Bin', level: 'high' },
  { re: /^\/perflogs\//, label: 'PerfLogs', level: 'high' },
  {
    re: /^\/windows\/(?:debug|tracing|help|media|cursors|addins|system32\/tasks|tasks)\//,
    label: 'a Windows data folder',
    level: 'high',
  },
  {
    re: /^\/users\/[^/]+\/(?:downloads|desktop|documents|music|videos|pictures)\//,
    label: 'a user document folder',
    level: 'medium',
  },
  { re: /^\/users\/[^/]+\/appdata\//, label: 'a user AppData folder', level: 'medium' },
  // Vendors keep services in ProgramData too, so it is weaker; Defender's platform lives there.
  { re: /^\/programdata\/(?!microsoft\/windows defender\/)/, label: 'ProgramData', level: 'medium' },
];

/** Why a program path is an odd place to run from on Windows (writable, data or hidden folders). */
export function oddWindowsLocation(path: string): { label: string; level: 'high' | 'medium' } | undefined {
  const raw = path.trim().replace(/^"/, '');
  if (/^(?:\\\\|\/\/)(?![?.][\\/])/.test(raw)) return { label: 'a network share', level: 'high' };
  const norm = normalizeWindowsPath(path);
  const hit = ODD_PLACES.find((o) => o.re.test(norm));
  return hit ? { label: hit.label, level: hit.level } : undefined;
}

// ----- system binaries and their homes -----

const S32 = '/windows/system32';
const WOW = '/windows/syswow64';
const PS = 'windowspowershell/v1.0';

/** A binary Windows ships, with every directory it lives in on a normal installation. */
export interface SystemBinary {
  name: string;
  homes: string[];
}

function sys(names: string, homes: string[]): SystemBinary[] {
  return names.split(' ').map((name) => ({ name, homes }));
}

export const SYSTEM_BINARIES: readonly SystemBinary[] = [
  ...sys('winlogon.exe wuauclt.exe lsass.exe lsaiso.exe csrss.exe services.exe smss.exe spoolsv.exe', [S32]),
  ...sys('taskhostw.exe taskhost.exe taskhostex.exe wininit.exe sihost.exe dashost.exe dwm.exe conhost.exe', [
    S32,
  ]),
  ...sys('fontdrvhost.exe runtimebroker.exe searchindexer.exe audiodg.exe logonui.exe sppsvc.exe', [S32]),
  ...sys('svchost.exe dllhost.exe rundll32.exe regsvr32.exe userinit.exe ctfmon.exe', [S32, WOW]),
  ...sys('taskeng.exe searchprotocolhost.exe searchfilterhost.exe msiexec.exe mshta.exe wscript.exe', [
    S32,
    WOW,
  ]),
  ...sys('cscript.exe cmd.exe taskmgr.exe wermgr.exe certutil.exe bitsadmin.exe schtasks.exe', [S32, WOW]),
  ...sys('kernel32.dll ntdll.dll user32.dll advapi32.dll', [S32, WOW]),
  { name: 'explorer.exe', homes: ['/windows', WOW] },
  { name: 'wmiprvse.exe', homes: [`${S32}/wbem`, `${WOW}/wbem`] },
  { name: 'powershell.exe', homes: [`${S32}/${PS}`, `${WOW}/${PS}`] },
  {
    name: 'iexplore.exe',
    homes: ['/program files/internet explorer', '/program files (x86)/internet explorer'],
  },
].filter((b, i, all) => all.findIndex((o) => o.name === b.name) === i);

const BY_NAME = new Map(SYSTEM_BINARIES.map((b) => [b.name, b]));

/**
 * Real programs whose names sit within the distance of a system name: never typosquats. Windows'
 * own (tasklist is two edits from taskhost, wevtutil from certutil, synchost from svchost), and
 * others (`ssms.exe` is SQL Server Management Studio, two letters from smss.exe; `service.exe` is
 * a common vendor service name). Found by running the check over some 300 System32 program names.
 */
const KNOWN_NEIGHBOURS = new Set([
  'secinit.exe',
  'synchost.exe',
  'tasklist.exe',
  'wevtutil.exe',
  'wlrmdr.exe',
  'ssms.exe',
  'service.exe',
]);

/** Copies of system binaries Windows itself keeps elsewhere: component store, updates, old installs. */
const STORES = [
  /^\/windows\/(?:winsxs|servicing|softwaredistribution|system32\/dllcache)\//,
  /^\/windows\.old\//,
  /^\/\$windows\.~(?:bt|ws)\//,
  /^\/\$winreagent\//,
];

const EXE_CLASS = new Set(['exe', 'com', 'scr', 'pif']);
const DLL_CLASS = new Set(['dll', 'ocx', 'cpl']);

function splitName(name: string): { stem: string; ext: string } {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? { stem: name, ext: '' } : { stem: name.slice(0, dot), ext: name.slice(dot + 1) };
}

function extClass(ext: string): 'exe' | 'dll' | undefined {
  return EXE_CLASS.has(ext) ? 'exe' : DLL_CLASS.has(ext) ? 'dll' : undefined;
}

// Characters that look alike in a file listing (digits for letters, Cyrillic and Greek letters for
// Latin ones); a name equal to a system name under this mapping imitates it on purpose.
const CONFUSABLE: Record<string, string> = {
  '1': 'l',
  i: 'l',
  '|': 'l',
  '0': 'o',
  '3': 'e',
  '5': 's',
  '\u0430': 'a',
  '\u0435': 'e',
  '\u043e': 'o',
  '\u0440': 'p',
  '\u0441': 'c',
  '\u0445': 'x',
  '\u0443': 'y',
  '\u0456': 'l',
  '\u0455': 's',
  '\u0501': 'd',
  '\u03bf': 'o',
  '\u03b1': 'a',
};

function skeleton(stem: string): string {
  let out = '';
  for (const ch of stem) out += CONFUSABLE[ch] ?? ch;
  return out.replace(/rn/g, 'm').replace(/vv/g, 'w');
}

/**
 * Damerau-Levenshtein distance (optimal string alignment: adjacent swaps count 1), stopping early
 * once it exceeds `max` (then returns max + 1). Inputs are file names, so short.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (i > 0 && best > max) return max + 1;
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}

/** Each system name split and reduced once: `typosquatOf` runs for every file name a walk meets. */
const TARGETS = SYSTEM_BINARIES.map((bin) => {
  const target = splitName(bin.name);
  return { bin, target, cls: extClass(target.ext), skeleton: skeleton(target.stem) };
});

export interface Typosquat {
  /** The system name it imitates, e.g. `winlogon.exe`. */
  imitates: string;
  distance: number;
  /** The difference is only look-alike characters (`wuauc1t`, Cyrillic `о`): deliberate. */
  homoglyph: boolean;
}

/** Edits allowed for a stem of this length: short names collide with real programs too easily. */
function allowedDistance(stemLength: number): number {
  if (stemLength <= 4) return 0;
  return stemLength <= 5 ? 1 : 2;
}

/**
 * Which system name `name` imitates, if any: a name of the same kind (program or library) within
 * edit distance 1–2 of a system name (1 for five-letter names, only look-alike characters for
 * shorter ones), or a system stem with another executable extension (`svchost.scr`). Real system
 * names and known neighbours (`ssms.exe`, `explorer++.exe`, `services.msc`) are not typosquats.
 */
export function typosquatOf(name: string): Typosquat | undefined {
  const lower = name.toLowerCase().normalize('NFC');
  if (lower.length > 64 || BY_NAME.has(lower) || KNOWN_NEIGHBOURS.has(lower)) return undefined;
  const { stem, ext } = splitName(lower);
  const cls = extClass(ext);
  if (!cls) return undefined;
  let best: Typosquat | undefined;
  const stemSkeleton = skeleton(stem);
  for (const { bin, target, cls: targetCls, skeleton: targetSkeleton } of TARGETS) {
    if (targetCls !== cls) continue;
    // `explorer++.exe`: a vendor tool named after the one it replaces, not an imitation.
    if (stem.startsWith(target.stem) && /^\++$/.test(stem.slice(target.stem.length))) continue;
    const homoglyph = stem !== target.stem && stemSkeleton === targetSkeleton;
    const distance = editDistance(stem, target.stem, 2);
    const sameStemOtherExt = stem === target.stem && ext !== target.ext;
    const close = distance >= 1 && distance <= allowedDistance(target.stem.length);
    if (!homoglyph && !close && !sameStemOtherExt) continue;
    const candidate = { imitates: bin.name, distance, homoglyph };
    if (!best || rank(candidate) < rank(best)) best = candidate;
  }
  return best;
}

function rank(t: Typosquat): number {
  return (t.homoglyph ? 0 : 10) + t.distance;
}

export type NameVerdict =
  | ({ kind: 'typosquat'; name: string; path: NormalPath } & Typosquat)
  | { kind: 'masquerade'; name: string; path: NormalPath; expectedDirs: string[] };

/**
 * Judges a binary by name and place: a look-alike of a system name anywhere (typosquat), or a true
 * system name outside its home directories and Windows' own stores (masquerade). Paths in any form
 * `normalizeWindowsPath` reads; a bare name (no directory) can only be a typosquat.
 */
export function judgeBinaryPath(path: string): NameVerdict | undefined {
  const norm = normalizeWindowsPath(path);
  const name = windowsBasename(norm);
  const squat = typosquatOf(name);
  if (squat) return { kind: 'typosquat', name, path: norm, ...squat };
  const bin = BY_NAME.get(name);
  const dir = dirOf(norm);
  if (!bin || dir === undefined || !norm.startsWith('/')) return undefined;
  if (bin.homes.includes(dir) || STORES.some((re) => re.test(norm))) return undefined;
  return { kind: 'masquerade', name, path: norm, expectedDirs: bin.homes };
}

/** Whether a name is one of the system binaries listed here (case-insensitive). */
export function isSystemBinaryName(name: string): boolean {
  return BY_NAME.has(name.toLowerCase());
}
