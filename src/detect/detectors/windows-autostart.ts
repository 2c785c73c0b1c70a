// Detector: what a Windows volume starts at logon — Run, RunOnce and the policy Run key (HKLM, its
// 32-bit view, each user's HKCU), Winlogon Shell and Userinit beyond their defaults, IFEO debuggers,
// AppInit_DLLs and the Startup folders — judged by the command: an encoded PowerShell payload or a
// download cradle, a LOLBin, a program in an odd place or under a look-alike name, miner arguments.
// A plain program under Program Files gives nothing.
import type { Ruleset } from '../../iocs/types.js';
import type { Action, Level } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { WindowsAutostart } from '../../snapshot/windows.js';
import { isSystemBinaryName, windowsBasename } from '../../target/windows/typosquat.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';
import {
  bySeverity,
  commandSignals,
  counted,
  fileActions,
  imageEvidence,
  objectEvidence,
  objectSubject,
  plantedFile,
  programSignals,
  registryValueRemoval,
  registryValueReset,
  runSubject,
  signalList,
  signalsKind,
  signalsLevel,
  startPlaceLevels,
  type CommandSignal,
} from '../windows.js';

/** Programs a security-minded user points an IFEO debugger at (Process Explorer replacing Task Manager, Visual Studio). */
const KNOWN_DEBUGGERS = /^(?:procexp(?:64)?|vsjitdebugger|windbg|ntsd|cdb)\.exe$/i;
/** Security tools a miner keeps from starting by giving them a debugger that does nothing. */
const SECURITY_TOOLS =
  /^(?:msmpeng|mpcmdrun|msascui|msseces|procexp(?:64)?|procmon(?:64)?|autoruns(?:64)?|tcpview|processhacker|mbam|avp|avgui|avastui|ekrn|egui|bdagent|360tray|360sd|zhudongfangyu|hrsword|pchunter(?:32|64)?|kvmonxp|rstray)\.exe$/i;
/** The accessibility programs the logon screen starts: a debugger on them is a SYSTEM shell before logon. */
const ACCESSIBILITY = /^(?:sethc|utilman|osk|magnify|narrator|displayswitch|atbroker)\.exe$/i;
const SCRIPT_EXT = /\.(?:bat|cmd|vbs|vbe|js|jse|wsf|wsh|ps1|hta|scr|pif|exe|com)$/i;

function extraEntries(data: string, def: RegExp): string[] {
  return data
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '' && !def.test(x));
}

/** Winlogon Shell and Userinit: only the entries beyond Windows' default are the signal. */
function winlogonSignals(a: WindowsAutostart, field: string, ruleset: Ruleset): CommandSignal[] {
  const def =
    a.place === 'winlogon-shell'
      ? /^(?:c:\\windows\\)?explorer\.exe$/i
      : /^(?:c:\\windows\\system32\\)?userinit\.exe$/i;
  const extra = extraEntries(a.data, def);
  // An HKCU Shell value at all replaces the desktop for that user.
  if (extra.length === 0 && !(a.hive === 'HKCU' && a.data.trim() !== '')) return [];
  const added = extra.length > 0 ? extra : [a.data];
  return [
    {
      level: 'high',
      label: t(
        `Winlogon ${a.value} also starts ${added.join(', ')}`,
        `Winlogon ${a.value} 还启动了 ${added.join('，')}`,
      ),
      evidence: objectEvidence(field, a.data, `Winlogon ${a.value} beyond the default`),
    },
    ...added.flatMap((x) => commandSignals(x, field, ruleset).signals),
  ];
}

function ifeoSignals(a: WindowsAutostart, field: string, ruleset: Ruleset): CommandSignal[] {
  const judged = commandSignals(a.data, field, ruleset).signals;
  const debuggerName = windowsBasename(a.data.replace(/^"([^"]*)".*$/, '$1').split(/\s+/)[0] ?? '');
  if (KNOWN_DEBUGGERS.test(debuggerName) && judged.length === 0) return [];
  const target = a.value;
  const critical = isSystemBinaryName(target) || ACCESSIBILITY.test(target) || SECURITY_TOOLS.test(target);
  return [
    {
      level: critical ? 'high' : 'medium',
      label: t(`starting ${target} runs ${a.data} instead`, `启动 ${target} 时改为运行 ${a.data}`),
      evidence: objectEvidence(
        field,
        a.data,
        critical ? 'IFEO debugger on a system or security program' : 'IFEO debugger',
      ),
    },
    ...judged,
  ];
}

function appInitSignals(a: WindowsAutostart, field: string, ruleset: Ruleset): CommandSignal[] {
  const dlls = a.data.split(/[,\s]+/).filter((x) => x !== '');
  return [
    {
      level: 'medium',
      label: t(`every GUI program loads ${dlls.join(', ')}`, `所有图形界面程序都会加载 ${dlls.join('，')}`),
      evidence: objectEvidence(field, a.data, 'AppInit_DLLs'),
    },
    ...dlls.flatMap((d) => programSignals(d, field, ruleset, startPlaceLevels)),
  ];
}

function startupSignals(a: WindowsAutostart, field: string, ruleset: Ruleset): CommandSignal[] {
  // The Startup folder itself is in ProgramData or AppData: only the entry's name and type count.
  const own = programSignals(a.value, field, ruleset, () => undefined);
  if (!SCRIPT_EXT.test(a.value)) return own;
  return [
    {
      level: 'medium',
      label: t(`the Startup folder holds the program ${a.value}`, `启动文件夹中有程序 ${a.value}`),
      evidence: objectEvidence(field, a.data, 'program or script in a Startup folder'),
    },
    ...own,
  ];
}

function autostartSignals(a: WindowsAutostart, ruleset: Ruleset): CommandSignal[] {
  const field = `${a.key}\\${a.value}`;
  switch (a.place) {
    case 'winlogon-shell':
    case 'winlogon-userinit':
      return winlogonSignals(a, field, ruleset);
    case 'ifeo-debugger':
      return ifeoSignals(a, `${a.key}\\Debugger`, ruleset);
    case 'appinit-dlls':
      return appInitSignals(a, field, ruleset);
    case 'startup-folder':
      return startupSignals(a, field, ruleset);
    default:
      return commandSignals(a.data, field, ruleset).signals;
  }
}

function removal(a: WindowsAutostart): Action[] {
  switch (a.place) {
    case 'winlogon-shell':
      return a.hive === 'HKCU'
        ? [registryValueRemoval(a.key, a.value, a.user)]
        : [registryValueReset(a.key, a.value, 'explorer.exe')];
    case 'winlogon-userinit':
      return [registryValueReset(a.key, a.value, 'C:\\Windows\\system32\\userinit.exe,')];
    case 'ifeo-debugger':
      return [registryValueRemoval(a.key, 'Debugger')];
    case 'appinit-dlls':
      return [registryValueReset(a.key, a.value, '')];
    case 'startup-folder':
      return [];
    default:
      return [registryValueRemoval(a.key, a.value, a.user)];
  }
}

function autostartHit(a: WindowsAutostart, signals: CommandSignal[], level: Level): Hit {
  const file = plantedFile(a.image);
  const kind = signalsKind(signals);
  return {
    subject: objectSubject(a.image, runSubject(a.key, a.value)),
    level,
    ...(kind ? { kind } : {}),
    messageId: 'autostart',
    data: {
      place: a.place,
      key: a.key,
      value: a.value,
      command: a.data,
      reasons: signalList(bySeverity(signals)),
      ...(a.user ? { user: a.user } : {}),
      ...(a.lastWrite ? { lastWrite: a.lastWrite } : {}),
    },
    evidence: [...signals.map((x) => x.evidence), ...imageEvidence(a.image)],
    remediate: [...removal(a), ...(file ? fileActions(file) : [])],
    fingerprint: ['windows-autostart', a.key.toLowerCase(), a.value.toLowerCase(), a.data],
  };
}

function autostartHits(snapshot: Snapshot, ruleset: Ruleset): Hit[] {
  const hits: Hit[] = [];
  for (const a of snapshot.windows?.autostarts ?? []) {
    const signals = counted(autostartSignals(a, ruleset));
    const level = signalsLevel(signals);
    if (level) hits.push(autostartHit(a, signals, level));
  }
  return hits;
}

export const windowsAutostart: Detector = {
  id: 'windows-autostart',
  category: 'persistence',
  level: 'high',
  title: t('Windows autostart runs something suspicious', 'Windows 自启动项运行可疑内容'),
  description: t(
    "Reads the autostart places of the volume's SOFTWARE hive and each user's NTUSER.DAT — Run, RunOnce and the policy Run key (with their WOW6432Node views), Winlogon Shell and Userinit, Image File Execution Options debuggers, AppInit_DLLs — and the Startup folders, and judges each command: an encoded PowerShell payload (decoded and shown) or a download cradle, a LOLBin fetching or running code (mshta, regsvr32 /i:http, certutil -urlcache, bitsadmin, rundll32 javascript:), a program in Temp, Fonts, Users\\Public or the Recycle Bin (high; AppData and ProgramData only low, since per-user installs such as OneDrive live there), a look-alike or documented name (high, critical for a name from iocs/windows-names.json), miner arguments, pools or wallets (critical when a decoded payload delivers them). Winlogon Shell and Userinit count only for what they start beyond explorer.exe and userinit.exe; any IFEO debugger is medium, high on a system binary, an accessibility program the logon screen starts (sethc.exe, utilman.exe…) or a security tool (a Process Explorer or Visual Studio debugger is left alone); AppInit_DLLs that name a DLL are medium; a program or script dropped in a Startup folder is medium. A plain program under Program Files gives nothing.",
    '读取卷中 SOFTWARE 配置单元和每个用户 NTUSER.DAT 的自启动位置——Run、RunOnce 和策略 Run 键（含 WOW6432Node 视图）、Winlogon 的 Shell 和 Userinit、映像劫持（IFEO）调试器、AppInit_DLLs——以及启动文件夹，并逐条判断命令：编码的 PowerShell 载荷（解码后展示）或下载执行、借用系统程序下载或执行代码（mshta、regsvr32 /i:http、certutil -urlcache、bitsadmin、rundll32 javascript:）、位于 Temp、Fonts、Users\\Public 或回收站的程序（高危；AppData 和 ProgramData 仅为低危，因为 OneDrive 等按用户安装的程序就在那里）、仿冒或已知的恶意名称（高危，iocs/windows-names.json 中的名称为严重）、挖矿参数、矿池或钱包（由解码后的载荷投递时为严重）。Winlogon 的 Shell 和 Userinit 只计 explorer.exe 和 userinit.exe 之外额外启动的内容；任何 IFEO 调试器为中危，针对系统程序、登录界面可启动的辅助功能程序（sethc.exe、utilman.exe 等）或安全工具时为高危（Process Explorer 或 Visual Studio 的调试器不计）；AppInit_DLLs 指定了 DLL 为中危；启动文件夹中放置的程序或脚本为中危。Program Files 下的普通程序不会被报告。',
  ),
  tags: ['attack.t1547.001', 'attack.t1547.004', 'attack.t1546.012', 'attack.t1546.010', 'attack.t1059.001'],
  needs: ['windows-registry'],
  verify: t(
    'On the Windows host: `reg query "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"` (and RunOnce, HKCU, WOW6432Node), `reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon" /v Shell`, `reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options" /s /v Debugger`; Sysinternals Autoruns shows all of them with signatures. Offline: `reg load` the hive first.',
    '在 Windows 主机上：`reg query "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"`（以及 RunOnce、HKCU、WOW6432Node），`reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon" /v Shell`，`reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options" /s /v Debugger`；Sysinternals Autoruns 可连同签名一并显示。离线时先用 `reg load` 加载配置单元。',
  ),
  remediation: t(
    'On the host, as an administrator: `Remove-ItemProperty` the Run value (for HKCU as that user, or in the loaded hive), set Winlogon Shell and Userinit and AppInit_DLLs back to their defaults, remove the IFEO Debugger value, stop the program and quarantine it. On a mounted volume `respond --apply` only quarantines the program file; it never edits a hive.',
    '在主机上以管理员身份：用 `Remove-ItemProperty` 删除 Run 值（HKCU 需以该用户身份或在加载的配置单元中操作），将 Winlogon 的 Shell、Userinit 和 AppInit_DLLs 恢复为默认值，删除 IFEO 的 Debugger 值，结束该程序并隔离它。对挂载的卷，`respond --apply` 只隔离程序文件，绝不修改注册表配置单元。',
  ),
  messages: {
    autostart: t('{key}\\{value} starts {command}: {reasons}', '{key}\\{value} 启动 {command}：{reasons}'),
  },
  detect(snapshot, ruleset) {
    return autostartHits(snapshot, ruleset);
  },
};
