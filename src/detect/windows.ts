// Building blocks the Windows detectors share (issue 14): one subject per planted object (a program
// file on the volume when the object starts one from an odd place, so the service, task or Run
// value and the file itself merge into one finding; else the service, task, Run value or WMI
// consumer), evidence that names the Windows object, the PowerShell an administrator runs on the
// host to remove it (every argument single-quoted by psQuote), and the judgment of a Windows
// command line that autostarts, tasks, services and WMI consumers all run.
import type { Ruleset } from '../iocs/types.js';
import type { WindowsNameEntry } from '../iocs/windows-names.js';
import { matchWindowsName } from '../iocs/windows-names.js';
import {
  LEVELS,
  isMinerKind,
  levelRank,
  type Action,
  type Evidence,
  type Level,
  type Localized,
  type MinerKind,
} from '../model/finding.js';
import type { VolumeFile, WmiSubscription } from '../snapshot/windows.js';
import { classifyCommandLine } from '../target/windows/lolbins.js';
import {
  analyzePowerShell,
  decodedScripts,
  scriptWords,
  splitWindowsArgs,
} from '../target/windows/powershell.js';
import {
  judgeBinaryPath,
  normalizeWindowsPath,
  oddWindowsLocation,
  windowsBasename,
} from '../target/windows/typosquat.js';
import { programOf, windowsPathOf } from '../target/windows/volume.js';
import { argvSignals, judgeSignals } from './detectors/miner-command-line.js';
import { iocRef, t } from './util.js';

export { windowsPathOf };

// ----- subjects -----

export const serviceSubject = (name: string): string => `winsvc:${name}`;
export const runSubject = (key: string, value: string): string => `winrun:${key}\\${value}`;
export const taskSubject = (path: string): string => `wintask:${path}`;
export const wmiSubject = (consumer: string): string => `wmi:${consumer}`;
export const fileSubject = (file: string): string => `file:${file}`;

/** Windows' own and installed programs' folders: a program there runs many things, never the planted object. */
const HOST_DIRS =
  /^\/(?:windows\/(?:system32|syswow64|winsxs)\/|windows\/[^/]+$|program files(?: \(x86\))?\/)/;

/** The volume file an object starts when it is a planted one (present, outside Windows and Program Files). */
export function plantedFile(image: VolumeFile | undefined): string | undefined {
  if (!image?.file || image.exists === false) return undefined;
  return HOST_DIRS.test(normalizeWindowsPath(image.file)) ? undefined : image.file;
}

/** The subject of a hit on an object: the planted file it starts, else the object itself. */
export function objectSubject(image: VolumeFile | undefined, own: string): string {
  const file = plantedFile(image);
  return file ? fileSubject(file) : own;
}

// ----- levels -----

/** `steps` levels up (never above critical). */
export function raise(level: Level, steps = 1): Level {
  return LEVELS[Math.max(0, LEVELS.indexOf(level) - steps)] ?? 'critical';
}

export function strongest(levels: Level[]): Level | undefined {
  return levels.reduce<Level | undefined>(
    (a, b) => (a === undefined || levelRank(b) > levelRank(a) ? b : a),
    undefined,
  );
}

// ----- PowerShell -----

// Characters PowerShell takes as single quotes (it accepts the typographic ones too).
const PS_SINGLE_QUOTES = /['\u2018\u2019\u201a\u201b]/g;
// eslint-disable-next-line no-control-regex -- control characters are what is replaced
const PS_UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A PowerShell string literal holding `text` exactly: single-quoted (nothing inside is expanded: `$`,
 * backticks and double quotes stay literal), each single quote doubled. Control characters and bidi
 * overrides, which a terminal would act on or hide, are joined in as `[char]N` inside parentheses,
 * so the command is safe to print and to paste.
 */
export function psQuote(text: string): string {
  const quote = (s: string) => `'${s.replace(PS_SINGLE_QUOTES, (q) => q + q)}'`;
  if (!PS_UNPRINTABLE.test(text)) return quote(text);
  const parts: string[] = [];
  let run = '';
  for (const ch of text) {
    if (!PS_UNPRINTABLE.test(ch)) {
      run += ch;
      continue;
    }
    if (run !== '') parts.push(quote(run));
    run = '';
    parts.push(`[char]${ch.codePointAt(0) ?? 0}`);
  }
  if (run !== '') parts.push(quote(run));
  return `(${parts.join('+')})`;
}

/** A registry key as a PowerShell provider path: `HKLM\SOFTWARE\…` → `HKLM:\SOFTWARE\…`. */
export function psRegistryPath(key: string): string {
  const m = /^(HKLM|HKCU|HKU|HKEY_LOCAL_MACHINE|HKEY_CURRENT_USER|HKEY_USERS)\\(.*)$/i.exec(key);
  if (!m) return `Registry::${key}`;
  const hive = m[1]!.toUpperCase();
  if (hive === 'HKU' || hive === 'HKEY_USERS') return `Registry::HKEY_USERS\\${m[2]}`;
  return `${hive.startsWith('HKEY_L') ? 'HKLM' : hive.startsWith('HKEY_C') ? 'HKCU' : hive}:\\${m[2]}`;
}

type CommandObject = Extract<Action, { type: 'windows-command' }>['object'];

export function windowsCommand(
  object: CommandObject,
  name: string,
  description: Localized,
  command: string,
): Action {
  return { type: 'windows-command', object, name, description, command };
}

/** Stops and deletes a service or driver (`sc.exe` works on both; a running driver may need a reboot). */
export function serviceRemoval(name: string): Action {
  const q = psQuote(name);
  return windowsCommand(
    'service',
    name,
    t(`Stop and delete the service ${name}`, `停止并删除服务 ${name}`),
    `sc.exe stop ${q}; sc.exe delete ${q}`,
  );
}

/** `\Folder\Name` → Unregister-ScheduledTask with its TaskPath and TaskName. */
export function taskRemoval(path: string): Action {
  const i = path.lastIndexOf('\\');
  const folder = i <= 0 ? '\\' : path.slice(0, i + 1);
  const name = path.slice(i + 1);
  return windowsCommand(
    'task',
    path,
    t(`Stop and unregister the scheduled task ${path}`, `停止并注销计划任务 ${path}`),
    `Stop-ScheduledTask -TaskPath ${psQuote(folder)} -TaskName ${psQuote(name)}; Unregister-ScheduledTask -TaskPath ${psQuote(folder)} -TaskName ${psQuote(name)} -Confirm:$false`,
  );
}

const TASK_CACHE = 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache';

/** A task hidden from the Task Scheduler (no SD): only its registry keys and file can be removed, as SYSTEM. */
export function hiddenTaskRemoval(path: string, id: string | undefined): Action {
  const parts = [`Remove-Item -LiteralPath ${psQuote(`${TASK_CACHE}\\Tree${path}`)} -Recurse -Force`];
  if (id) parts.push(`Remove-Item -LiteralPath ${psQuote(`${TASK_CACHE}\\Tasks\\${id}`)} -Recurse -Force`);
  parts.push(
    `Remove-Item -LiteralPath ${psQuote(`C:\\Windows\\System32\\Tasks${path}`)} -Force -ErrorAction SilentlyContinue`,
  );
  return windowsCommand(
    'task',
    path,
    t(
      `Remove the hidden task ${path} from the TaskCache (run as SYSTEM, e.g. psexec -s; the Task Scheduler cannot see it)`,
      `从 TaskCache 中删除隐藏任务 ${path}（需以 SYSTEM 身份运行，例如 psexec -s；任务计划程序看不到它）`,
    ),
    parts.join('; '),
  );
}

function userNote(user: string | undefined): Localized {
  return user
    ? t(
        ` (as ${user}, or in that user's loaded hive)`,
        `（以 ${user} 身份运行，或在加载的该用户配置单元中执行）`,
      )
    : t('', '');
}

/** Removes one registry value (a Run entry, an IFEO Debugger). */
export function registryValueRemoval(key: string, value: string, user?: string): Action {
  const note = userNote(user);
  return windowsCommand(
    'registry-value',
    `${key}\\${value}`,
    t(`Remove the value ${value} of ${key}${note.en}`, `删除 ${key} 中的值 ${value}${note['zh-CN']}`),
    `Remove-ItemProperty -LiteralPath ${psQuote(psRegistryPath(key))} -Name ${psQuote(value)}`,
  );
}

/** Puts a value back to Windows' default (Winlogon Shell and Userinit, AppInit_DLLs). */
export function registryValueReset(key: string, value: string, data: string): Action {
  return windowsCommand(
    'registry-value',
    `${key}\\${value}`,
    t(
      `Set ${value} of ${key} back to ${data || '(empty)'}`,
      `将 ${key} 中的 ${value} 恢复为 ${data || '（空）'}`,
    ),
    `Set-ItemProperty -LiteralPath ${psQuote(psRegistryPath(key))} -Name ${psQuote(value)} -Value ${psQuote(data)}`,
  );
}

const WMI_NS = 'root\\subscription';

/** Removes a permanent WMI subscription: its binding first, then the consumer and its filter. */
export function wmiRemoval(sub: WmiSubscription): Action[] {
  const c = sub.consumer;
  const cls = c.class === 'other' ? '__EventConsumer' : c.class;
  const name = psQuote(c.name);
  const out = [
    windowsCommand(
      'wmi-subscription',
      c.name,
      t(`Remove the bindings of the WMI consumer ${c.name}`, `删除 WMI 消费者 ${c.name} 的绑定`),
      `Get-CimInstance -Namespace ${WMI_NS} -ClassName __FilterToConsumerBinding | Where-Object { $_.Consumer.Name -eq ${name} } | Remove-CimInstance`,
    ),
    windowsCommand(
      'wmi-subscription',
      c.name,
      t(`Remove the WMI consumer ${c.name}`, `删除 WMI 消费者 ${c.name}`),
      `Get-CimInstance -Namespace ${WMI_NS} -ClassName ${cls} | Where-Object Name -eq ${name} | Remove-CimInstance`,
    ),
  ];
  if (sub.filter)
    out.push(
      windowsCommand(
        'wmi-subscription',
        sub.filter.name,
        t(`Remove the WMI event filter ${sub.filter.name}`, `删除 WMI 事件筛选器 ${sub.filter.name}`),
        `Get-CimInstance -Namespace ${WMI_NS} -ClassName __EventFilter | Where-Object Name -eq ${psQuote(sub.filter.name)} | Remove-CimInstance`,
      ),
    );
  return out;
}

/** Stops the processes running one program file (by full path: a look-alike name must not stop the real one). */
export function processStop(windowsPath: string): Action {
  return windowsCommand(
    'process',
    windowsPath,
    t(`Stop every process running ${windowsPath}`, `结束所有运行 ${windowsPath} 的进程`),
    `Get-Process | Where-Object Path -eq ${psQuote(windowsPath)} | Stop-Process -Force`,
  );
}

/** The clean-up of a planted program file: stop what runs it, then quarantine it. */
export function fileActions(file: string, executable = true): Action[] {
  const out: Action[] = [];
  if (executable && /\.(?:exe|com|scr)$/i.test(file)) out.push(processStop(windowsPathOf(file)));
  out.push({ type: 'quarantine-file', path: file });
  return out;
}

/** A folder: archived and removed by the administrator (quarantine takes files only). */
export function folderRemoval(targetDir: string, archive: string): Action {
  const win = windowsPathOf(targetDir);
  return windowsCommand(
    'folder',
    win,
    t(`Archive the folder ${win}, then delete it`, `先归档文件夹 ${win}，再删除它`),
    `Compress-Archive -LiteralPath ${psQuote(win)} -DestinationPath ${psQuote(archive)}; Remove-Item -LiteralPath ${psQuote(win)} -Recurse -Force`,
  );
}

// ----- evidence -----

/** Evidence naming a Windows object and the value that gave it away. */
export function objectEvidence(field: string, value: string, ioc?: string): Evidence {
  return { type: 'match', field, value, ...(ioc !== undefined ? { ioc } : {}) };
}

/** The program file an object starts, when it is on the volume. */
export function imageEvidence(image: VolumeFile | undefined): Evidence[] {
  if (!image?.file || image.exists === false) return [];
  return [{ type: 'file', path: image.file, ...(image.sha256 ? { sha256: image.sha256 } : {}) }];
}

/** Provenance of a Windows name indicator: file, value, family and where it is documented. */
export function windowsIocRef(entry: WindowsNameEntry): string {
  return `${iocRef(entry)}${entry.family ? ` (${entry.family})` : ''} — ${entry.source}`;
}

export function windowsName(
  ruleset: Ruleset,
  query: { type: WindowsNameEntry['type']; name: string; parent?: string },
): WindowsNameEntry | undefined {
  return matchWindowsName(ruleset.windowsNames ?? [], query);
}

// ----- the judgment of a command line -----

/** One reason a command (or the program it starts) is suspicious. */
export interface CommandSignal {
  level: Level;
  kind?: MinerKind;
  label: Localized;
  evidence: Evidence;
}

/** How a caller weighs a program in an odd place (services: stricter than Run values). */
export type PlaceLevels = (
  odd: { label: string; level: 'high' | 'medium' },
  path: string,
) => Level | undefined;

/** Where Microsoft and per-user installers put programs that start at logon (OneDrive, Teams, VS Code). */
const INSTALLED_IN_PROFILE =
  /^\/(?:users\/[^/]+\/appdata\/local\/(?:microsoft|programs)\/|programdata\/microsoft\/)/;

/**
 * Run values, tasks, WMI: Temp, Fonts, Users\Public and the Recycle Bin are high; AppData and
 * ProgramData only low (per-user installs live there), and nothing in Microsoft's and per-user
 * program folders.
 */
export const startPlaceLevels: PlaceLevels = (odd, path) => {
  if (odd.level === 'high') return 'high';
  return INSTALLED_IN_PROFILE.test(normalizeWindowsPath(path)) ? undefined : 'low';
};

function clip(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What the program's name and place say: an IOC name, a look-alike of a system name, an odd folder. */
export function programSignals(
  program: string,
  field: string,
  ruleset: Ruleset,
  places: PlaceLevels,
): CommandSignal[] {
  const out: CommandSignal[] = [];
  const name = windowsBasename(program);
  if (name === '') return out;
  const ioc = windowsName(ruleset, { type: 'file', name });
  if (ioc)
    out.push({
      level: 'critical',
      ...(isMinerKind(ioc.kind) ? { kind: ioc.kind } : {}),
      label: t(
        `${name}, a name ${ioc.family ?? 'a documented family'} uses`,
        `${name}（${ioc.family ?? '已知家族'}使用的名称）`,
      ),
      evidence: objectEvidence(field, program, windowsIocRef(ioc)),
    });
  const verdict = judgeBinaryPath(program);
  if (verdict?.kind === 'typosquat')
    out.push({
      level: 'high',
      label: t(`${name} imitates ${verdict.imitates}`, `${name} 仿冒 ${verdict.imitates}`),
      evidence: objectEvidence(field, program, `look-alike of ${verdict.imitates}`),
    });
  else if (verdict?.kind === 'masquerade')
    out.push({
      level: 'high',
      label: t(`${name} outside its Windows folder`, `${name} 不在其 Windows 系统目录中`),
      evidence: objectEvidence(field, program, `system name outside ${verdict.expectedDirs.join(', ')}`),
    });
  const minerName = ruleset.minerNames.find((m) => m.value === name.toLowerCase().replace(/\.exe$/, ''));
  if (minerName)
    out.push({
      level: 'high',
      kind: 'open-source-miner',
      label: t(`${name} is a miner's name`, `${name} 是挖矿程序的名称`),
      evidence: objectEvidence(field, program, iocRef(minerName)),
    });
  const odd = /[\\/]/.test(program) ? oddWindowsLocation(program) : undefined;
  const level = odd ? places(odd, program) : undefined;
  if (odd && level)
    out.push({
      level,
      label: t(`${program} in ${odd.label}`, `${program} 位于 ${odd.label}`),
      evidence: objectEvidence(field, program, `odd place: ${odd.label}`),
    });
  return out;
}

const PS_LEVEL: Record<string, Level> = {
  'cradle-download-iex': 'high',
  'cradle-download-run': 'high',
  'cradle-bits-transfer': 'high',
  'reflective-load': 'high',
  'defender-tamper': 'high',
  'invoke-expression': 'medium',
  'download-file': 'medium',
};

/** PowerShell in the command: encoded payloads (decoded and shown), cradles, hidden launches. */
function powershellSignals(text: string, field: string): { signals: CommandSignal[]; decoded: string[] } {
  const analysis = analyzePowerShell(text, { maxDepth: 4, maxLayers: 16, maxLayerChars: 256 * 1024 });
  const decoded = decodedScripts(analysis).map((l) => l.text);
  const out: CommandSignal[] = [];
  const first = decoded[0];
  if (first !== undefined)
    out.push({
      level: 'high',
      kind: 'fileless',
      label: t('an encoded PowerShell script', '编码的 PowerShell 脚本'),
      evidence: objectEvidence(
        `${field} (decoded)`,
        clip(first),
        'PowerShell -EncodedCommand / FromBase64String',
      ),
    });
  for (const tech of analysis.techniques.slice(0, 5)) {
    const level = PS_LEVEL[tech.id];
    if (!level) continue;
    out.push({
      level,
      kind: 'fileless',
      label: tech.name,
      evidence: objectEvidence(field, clip(tech.text), `PowerShell: ${tech.id}`),
    });
  }
  const hidden = analysis.invocations.find(
    (i) => i.hiddenWindow && (i.noProfile || i.policyBypass !== undefined),
  );
  if (hidden)
    out.push({
      level: 'medium',
      kind: 'fileless',
      label: t('PowerShell started hidden', '隐藏窗口启动的 PowerShell'),
      evidence: objectEvidence(
        field,
        hidden.flags.map((f) => f.text).join(' '),
        'PowerShell -WindowStyle Hidden',
      ),
    });
  return { signals: out, decoded };
}

function lolbinSignals(texts: string[], field: string): CommandSignal[] {
  return texts.flatMap((text) =>
    classifyCommandLine(text)
      .slice(0, 5)
      .map((h) => ({
        level: h.level,
        kind: 'fileless' as const,
        label: h.name,
        evidence: objectEvidence(field, clip(h.indicator), `LOLBin ${h.id} (${h.attack})`),
      })),
  );
}

function minerSignals(texts: string[], decoded: string[], field: string, ruleset: Ruleset): CommandSignal[] {
  const words = [
    ...texts.flatMap((x) => splitWindowsArgs(x).map((a) => a.value)),
    ...decoded.flatMap(scriptWords),
  ];
  const judged = judgeSignals(argvSignals(['', ...words], ruleset));
  if (!judged) return [];
  return judged.ordered.slice(0, 4).map((s) => ({
    level: judged.level,
    kind: 'open-source-miner' as const,
    label: s.label,
    evidence: s.evidence.type === 'match' ? { ...s.evidence, field } : s.evidence,
  }));
}

/**
 * Every signal of a command line (a Run value, a task action, a service ImagePath, a WMI consumer):
 * its program's name and place, PowerShell payloads and cradles, LOLBin uses and miner arguments,
 * the decoded scripts read like the command itself. A miner started by a decoded cradle is critical.
 */
export function commandSignals(
  text: string,
  field: string,
  ruleset: Ruleset,
  places: PlaceLevels = startPlaceLevels,
): { signals: CommandSignal[]; decoded: string[] } {
  const ps = powershellSignals(text, field);
  const program = programOf(text);
  const signals = [
    ...programSignals(program, field, ruleset, places),
    ...ps.signals,
    ...lolbinSignals([text, ...ps.decoded], field),
  ];
  const miner = minerSignals([text], ps.decoded, field, ruleset);
  const delivered = ps.decoded.length > 0 || signals.some((s) => s.kind === 'fileless' && s.level === 'high');
  signals.push(...miner.map((s) => (delivered ? { ...s, level: 'critical' as const } : s)));
  return { signals, decoded: ps.decoded };
}

/** The level of a set of signals: the strongest. */
export function signalsLevel(signals: CommandSignal[]): Level | undefined {
  return strongest(signals.map((s) => s.level));
}

/** The kind the signals point to: a miner first, then fileless delivery, then an IOC's kind. */
export function signalsKind(signals: CommandSignal[]): MinerKind | undefined {
  const kinds = signals.map((s) => s.kind);
  for (const k of ['open-source-miner', 'driver', 'fileless', 'hidden-directory'] as const)
    if (kinds.includes(k)) return k;
  return undefined;
}

/** Most severe first (stable among equals). */
export function bySeverity(signals: CommandSignal[]): CommandSignal[] {
  return [...signals].sort((a, b) => levelRank(b.level) - levelRank(a.level));
}

/** The signals' labels joined for a message ("a, b, c and 2 more"). */
export function signalList(signals: CommandSignal[]): Localized {
  const shown = signals.slice(0, 3).map((s) => s.label);
  const more = signals.length - shown.length;
  return t(
    shown.map((l) => l.en).join(', ') + (more > 0 ? ` and ${more} more` : ''),
    shown.map((l) => l['zh-CN']).join('，') + (more > 0 ? `，另有 ${more} 项` : ''),
  );
}

/** Only the signals that count (medium and above, or low when nothing else is there). */
export function counted(signals: CommandSignal[]): CommandSignal[] {
  const strong = signals.filter((s) => levelRank(s.level) >= levelRank('medium'));
  return strong.length > 0 ? strong : signals;
}
