// Detector: a Windows service (not a driver) that runs a program from where no service is installed
// (Temp, Fonts, ProgramData outside Microsoft's folders, a user folder, the Recycle Bin), under a
// look-alike or documented name, with a command line that carries miner arguments or an encoded
// PowerShell payload, or with a FailureCommand that runs something when the service fails.
import type { Ruleset } from '../../iocs/types.js';
import type { Level } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { WindowsService } from '../../snapshot/windows.js';
import { normalizeWindowsPath } from '../../target/windows/typosquat.js';
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
  serviceRemoval,
  serviceSubject,
  signalList,
  signalsKind,
  signalsLevel,
  windowsIocRef,
  windowsName,
  type CommandSignal,
  type PlaceLevels,
} from '../windows.js';

/** Services are installed under Program Files or Windows; Microsoft's own live in ProgramData\Microsoft too. */
const servicePlaces: PlaceLevels = (odd, path) => {
  const norm = normalizeWindowsPath(path);
  if (/^\/programdata\/microsoft\//.test(norm)) return undefined;
  if (/^\/users\//.test(norm)) return 'high';
  return odd.level === 'high' ? 'high' : 'medium';
};

function nameSignal(s: WindowsService, ruleset: Ruleset): CommandSignal | undefined {
  const ioc = windowsName(ruleset, { type: 'service', name: s.name });
  if (!ioc) return undefined;
  return {
    level: 'critical',
    ...(ioc.kind === 'driver' || ioc.kind === 'open-source-miner' ? { kind: ioc.kind } : {}),
    label: t(
      `the service name ${s.name} is one ${ioc.family ?? 'a documented family'} uses`,
      `服务名 ${s.name} 是${ioc.family ?? '已知家族'}使用的名称`,
    ),
    evidence: objectEvidence(s.key, s.name, windowsIocRef(ioc)),
  };
}

function failureSignals(s: WindowsService, ruleset: Ruleset): CommandSignal[] {
  if (!s.failureCommand) return [];
  const field = `${s.key}\\FailureCommand`;
  const judged = commandSignals(s.failureCommand, field, ruleset, servicePlaces).signals;
  // Windows' own services never set one: low alone, the command's own signals weigh more.
  return [
    {
      level: 'low',
      label: t(`it runs ${s.failureCommand} when it fails`, `服务失败时运行 ${s.failureCommand}`),
      evidence: objectEvidence(field, s.failureCommand, 'service FailureCommand'),
    },
    ...judged,
  ];
}

function serviceSignals(
  s: WindowsService,
  ruleset: Ruleset,
): { signals: CommandSignal[]; decoded: string[] } {
  const field = `${s.key}\\${s.serviceDll ? 'Parameters\\ServiceDll' : 'ImagePath'}`;
  const text = s.serviceDll ?? s.imagePath ?? '';
  const judged = text ? commandSignals(text, field, ruleset, servicePlaces) : { signals: [], decoded: [] };
  // A shared-process service's ImagePath is svchost; its arguments are still read for a payload.
  const host =
    s.serviceDll && s.imagePath
      ? commandSignals(s.imagePath, `${s.key}\\ImagePath`, ruleset, servicePlaces)
      : undefined;
  const name = nameSignal(s, ruleset);
  return {
    signals: [
      ...(name ? [name] : []),
      ...judged.signals,
      ...(host?.signals ?? []),
      ...failureSignals(s, ruleset),
    ],
    decoded: [...judged.decoded, ...(host?.decoded ?? [])],
  };
}

function serviceHit(s: WindowsService, signals: CommandSignal[], level: Level): Hit {
  const file = plantedFile(s.image);
  const kind = signalsKind(signals);
  return {
    subject: objectSubject(s.image, serviceSubject(s.name)),
    level,
    ...(kind ? { kind } : {}),
    messageId: 'oddService',
    data: {
      service: s.name,
      key: s.key,
      type: s.type,
      start: s.start,
      command: s.serviceDll ?? s.imagePath ?? '',
      reasons: signalList(bySeverity(signals)),
      ...(s.objectName ? { account: s.objectName } : {}),
      ...(s.lastWrite ? { lastWrite: s.lastWrite } : {}),
    },
    evidence: [...signals.map((x) => x.evidence), ...imageEvidence(s.image)],
    remediate: [serviceRemoval(s.name), ...(file ? fileActions(file) : [])],
    fingerprint: [
      'windows-service-odd',
      s.name.toLowerCase(),
      (s.serviceDll ?? s.imagePath ?? '').toLowerCase(),
    ],
  };
}

function oddServiceHits(snapshot: Snapshot, ruleset: Ruleset): Hit[] {
  const hits: Hit[] = [];
  for (const s of snapshot.windows?.services ?? []) {
    if (s.type === 'kernel-driver' || s.type === 'fs-driver') continue;
    const signals = counted(serviceSignals(s, ruleset).signals);
    const level = signalsLevel(signals);
    if (level) hits.push(serviceHit(s, signals, level));
  }
  return hits;
}

export const windowsServiceOdd: Detector = {
  id: 'windows-service-odd',
  category: 'persistence',
  level: 'high',
  title: t('Windows service runs a suspicious program', 'Windows 服务运行可疑程序'),
  description: t(
    "Reads the services (own-process, shared-process and per-user; drivers are windows-driver-service's) of the volume's SYSTEM hive and judges what each runs — its ImagePath, or its ServiceDll for a svchost service — and its FailureCommand: a program in Temp, Fonts, a user folder or the Recycle Bin (high) or in ProgramData outside Microsoft's folders (medium; Windows Defender's platform lives in ProgramData\\Microsoft); a program named like a Windows binary it is not (win1logon.exe, svch0st.exe) or a true system name outside its folder (high); a service or file name from iocs/windows-names.json (critical, with provenance); an encoded PowerShell payload (decoded and shown), a download cradle or a LOLBin download (high, kind fileless); miner arguments, pool URLs or wallets (kind open-source-miner; critical when a decoded payload delivers them). A FailureCommand alone is low: Windows' own services do not set one. When the program is a file in an odd place, the finding is about that file, so the service and the file make one finding.",
    '读取卷中 SYSTEM 配置单元的服务（独立进程、共享进程和按用户服务；驱动由 windows-driver-service 负责），判断每个服务运行的内容——ImagePath，svchost 服务则为 ServiceDll——以及 FailureCommand：程序位于 Temp、Fonts、用户目录或回收站（高危），或位于 Microsoft 目录以外的 ProgramData（中危；Windows Defender 平台位于 ProgramData\\Microsoft）；程序名仿冒 Windows 系统程序（win1logon.exe、svch0st.exe），或真实系统程序名却不在其系统目录（高危）；服务名或文件名出现在 iocs/windows-names.json 中（严重，并给出出处）；编码的 PowerShell 载荷（解码后展示）、下载执行或 LOLBin 下载（高危，类型为无文件）；挖矿参数、矿池 URL 或钱包（类型为开源矿机；由解码后的载荷投递时为严重）。仅有 FailureCommand 为低危：Windows 自带服务不会设置它。程序是异常位置的文件时，发现以该文件为对象，服务与文件合并为同一条发现。',
  ),
  tags: ['attack.t1543.003', 'attack.t1036.005', 'attack.t1059.001'],
  needs: ['windows-registry'],
  verify: t(
    'On the Windows host: `sc.exe qc <service>` shows the binary path and account, `sc.exe qfailure <service>` the failure actions; `Get-CimInstance Win32_Service -Filter "Name=\'<service>\'" | Format-List *` the rest; `Get-AuthenticodeSignature` and `Get-FileHash` on the program. Offline: `reg query` on the loaded SYSTEM hive (`reg load HKLM\\X <volume>\\Windows\\System32\\config\\SYSTEM`).',
    '在 Windows 主机上：`sc.exe qc <服务名>` 显示程序路径和账户，`sc.exe qfailure <服务名>` 显示失败操作；`Get-CimInstance Win32_Service -Filter "Name=\'<服务名>\'" | Format-List *` 显示其余信息；对程序执行 `Get-AuthenticodeSignature` 和 `Get-FileHash`。离线时：加载 SYSTEM 配置单元后用 `reg query` 查看（`reg load HKLM\\X <卷>\\Windows\\System32\\config\\SYSTEM`）。',
  ),
  remediation: t(
    'On the host, as an administrator: stop the processes of the program, `sc.exe stop <service>; sc.exe delete <service>`, and quarantine the program. On a mounted volume `respond --apply` only quarantines the program file; it never edits the hive.',
    '在主机上以管理员身份：结束该程序的进程，执行 `sc.exe stop <服务名>; sc.exe delete <服务名>`，并隔离该程序。对挂载的卷，`respond --apply` 只隔离程序文件，绝不修改注册表配置单元。',
  ),
  messages: {
    oddService: t(
      'Service {service} ({type}, start {start}) runs {command}: {reasons}',
      '服务 {service}（{type}，启动方式 {start}）运行 {command}：{reasons}',
    ),
  },
  detect(snapshot, ruleset) {
    return oddServiceHits(snapshot, ruleset);
  },
};
