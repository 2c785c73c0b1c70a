// Detector: Windows programs in the places droppers write to (Temp, ProgramData, the Recycle Bin,
// Users\Public, AppData, inside Fonts) that give themselves away by their PE facts or name: a
// native-subsystem image (a driver) outside System32\drivers, version information claiming
// Microsoft on an unsigned file outside Windows' folders, a look-alike of a system binary's name
// (win1logon.exe), a documented name. An unsigned program in Temp alone is only noted: installers
// and updaters put thousands there.
import type { Ruleset } from '../../iocs/types.js';
import { levelRank, type Level, type MinerKind } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { WindowsFile } from '../../snapshot/windows.js';
import { windowsBasename } from '../../target/windows/typosquat.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';
import {
  bySeverity,
  fileActions,
  fileSubject,
  objectEvidence,
  programSignals,
  signalList,
  signalsKind,
  signalsLevel,
  type CommandSignal,
} from '../windows.js';

const PLACES = new Set([
  'temp',
  'programdata',
  'recycle-bin',
  'users-public',
  'appdata',
  'fonts',
  'fonts-subdir',
  'other',
]);
/** Where an unsigned program alone is worth a note (never where installers unpack). */
const NOTE_PLACES: Partial<Record<WindowsFile['place'], Level>> = {
  temp: 'info',
  'users-public': 'low',
  'recycle-bin': 'low',
};
const PROGRAM_EXT = /\.(?:exe|dll|sys|scr|com|pif|cpl|ocx|drv)$/i;

function peSignals(f: WindowsFile, field: string): CommandSignal[] {
  const pe = f.pe;
  if (!pe) return [];
  const out: CommandSignal[] = [];
  if (pe.subsystem === 'native' && !/^\/windows\/system32\/drivers\//i.test(f.file))
    out.push({
      level: 'high',
      kind: 'driver',
      label: t(
        'a driver (native subsystem) outside System32\\drivers',
        '位于 System32\\drivers 之外的驱动（native 子系统）',
      ),
      evidence: objectEvidence(field, `subsystem ${pe.subsystem}`, 'native PE outside System32\\drivers'),
    });
  if (/microsoft/i.test(pe.companyName ?? '') && !pe.signed)
    out.push({
      level: 'high',
      label: t(`unsigned, yet claims to be ${pe.companyName}'s`, `未签名，却自称来自 ${pe.companyName}`),
      evidence: objectEvidence(
        field,
        [pe.companyName, pe.productName, pe.originalFilename].filter((x) => x).join(' / '),
        'Microsoft version information on an unsigned file outside Windows folders',
      ),
    });
  return out;
}

function binarySignals(f: WindowsFile, ruleset: Ruleset): CommandSignal[] {
  const field = f.windowsPath;
  // The place is this detector's premise, not a signal: only the name and the PE facts count.
  const signals = [...peSignals(f, field), ...programSignals(f.windowsPath, field, ruleset, () => undefined)];
  const note = NOTE_PLACES[f.place];
  if (signals.length === 0 && note && f.pe && !f.pe.signed && !f.pe.dll)
    signals.push({
      level: note,
      label: t(`an unsigned program in ${f.place}`, `${f.place} 中未签名的程序`),
      evidence: objectEvidence(field, 'unsigned PE', `unsigned program in ${f.place}`),
    });
  return signals;
}

/** The Fonts subfolder a file lies in: the folder is the planted object, and its finding takes the file's hits. */
function hidingFolder(snapshot: Snapshot, f: WindowsFile): string | undefined {
  if (f.place !== 'fonts-subdir' || f.type !== 'file') return undefined;
  return (snapshot.windows?.files ?? []).find(
    (d) => d.type === 'dir' && d.place === 'fonts-subdir' && f.file.startsWith(`${d.file}/`),
  )?.file;
}

function binaryHit(f: WindowsFile, signals: CommandSignal[], level: Level, folder?: string): Hit {
  const kind: MinerKind | undefined = signalsKind(signals);
  return {
    subject: fileSubject(folder ?? f.file),
    level,
    ...(kind ? { kind } : {}),
    messageId: 'oddBinary',
    data: {
      file: f.windowsPath,
      place: f.place,
      reasons: signalList(bySeverity(signals)),
      signed: f.pe ? (f.pe.signed ? 'yes' : 'no') : '?',
      ...(f.pe?.companyName ? { company: f.pe.companyName } : {}),
      ...(f.sha256 ? { sha256: f.sha256 } : {}),
    },
    evidence: [
      { type: 'file', path: f.file, ...(f.sha256 ? { sha256: f.sha256 } : {}) },
      ...signals.map((s) => s.evidence),
    ],
    // A note (an unsigned program in Temp) asks for nothing: installers live there.
    remediate: levelRank(level) >= levelRank('medium') ? fileActions(f.file) : [],
    fingerprint: ['windows-odd-binary', f.windowsPath.toLowerCase(), f.sha256 ?? ''],
  };
}

function isProgram(f: WindowsFile): boolean {
  return f.type === 'file' && (f.pe !== undefined || PROGRAM_EXT.test(windowsBasename(f.windowsPath)));
}

export const windowsOddBinary: Detector = {
  id: 'windows-odd-binary',
  category: 'miner',
  level: 'high',
  title: t('Suspicious program in a Windows drop folder', 'Windows 投放目录中的可疑程序'),
  description: t(
    "Reads the programs the Windows file collector found in the folders droppers write to (Temp, ProgramData, the Recycle Bin, Users\\Public, AppData, inside Fonts) with their PE facts. High: a native-subsystem image — a driver — outside System32\\drivers (kind driver); version information claiming Microsoft on an unsigned file (Microsoft's own programs outside Windows' folders, such as Defender's platform or OneDrive, carry a signature); a name that imitates a Windows binary (win1logon.exe, wuauc1t.exe, svch0st.exe) or a true system name outside its folder; a miner's program name (kind open-source-miner). Critical: a name from iocs/windows-names.json, with its provenance and kind. An unsigned program in Temp alone is informational and one in Users\\Public or the Recycle Bin low: installers and updaters unpack there every day. A driver file that a driver service loads makes one finding with that service.",
    '读取 Windows 文件收集器在投放常用目录（Temp、ProgramData、回收站、Users\\Public、AppData、Fonts 内）中找到的程序及其 PE 信息。高危：native 子系统的映像（即驱动）位于 System32\\drivers 之外（类型为驱动）；未签名却在版本信息中自称 Microsoft（Windows 目录以外的 Microsoft 程序，如 Defender 平台或 OneDrive，都带有签名）；名称仿冒 Windows 系统程序（win1logon.exe、wuauc1t.exe、svch0st.exe），或真实系统程序名却不在其目录；挖矿程序的名称（类型为开源矿机）。严重：iocs/windows-names.json 中的名称，给出其出处和类型。仅仅是 Temp 中未签名的程序只作为提示，Users\\Public 或回收站中的为低危：安装程序和更新程序每天都在那里解包。被驱动服务加载的驱动文件与该服务合并为同一条发现。',
  ),
  tags: ['attack.t1036.005', 'attack.t1014', 'attack.t1036.001'],
  needs: ['windows-files'],
  verify: t(
    "On the Windows host: `Get-AuthenticodeSignature <file>` (signer and status), `(Get-Item <file>).VersionInfo | Format-List`, `Get-FileHash <file>` (look the hash up on VirusTotal); `sigcheck -a <file>` from Sysinternals shows all of it. A file claiming Microsoft without a valid Microsoft signature is not Microsoft's.",
    '在 Windows 主机上：`Get-AuthenticodeSignature <文件>`（签名者和状态）、`(Get-Item <文件>).VersionInfo | Format-List`、`Get-FileHash <文件>`（到 VirusTotal 查询哈希）；Sysinternals 的 `sigcheck -a <文件>` 可一并显示。自称 Microsoft 却没有有效 Microsoft 签名的文件并非来自 Microsoft。',
  ),
  remediation: t(
    'Stop the processes running the file (by its full path: a look-alike name must not stop the real program), quarantine it, and remove the service, task or Run value that starts it. On a mounted volume `respond --apply` quarantines the file, journaled and undoable.',
    '按完整路径结束运行该文件的进程（不能按名称，以免误杀被仿冒的真实程序），隔离该文件，并删除启动它的服务、计划任务或 Run 值。对挂载的卷，`respond --apply` 会隔离该文件，操作有日志且可撤销。',
  ),
  messages: {
    oddBinary: t('{file} in {place}: {reasons}', '{place} 中的 {file}：{reasons}'),
  },
  detect(snapshot: Snapshot, ruleset: Ruleset) {
    const hits: Hit[] = [];
    for (const f of snapshot.windows?.files ?? []) {
      if (!PLACES.has(f.place) || !isProgram(f)) continue;
      const signals = binarySignals(f, ruleset);
      const level = signalsLevel(signals);
      if (level) hits.push(binaryHit(f, signals, level, hidingFolder(snapshot, f)));
    }
    return hits;
  },
};
