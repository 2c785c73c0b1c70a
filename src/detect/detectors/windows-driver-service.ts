// Detector: a kernel or file-system driver service of a Windows volume (source §4.5, ProtectionX):
// a driver loaded from outside System32\drivers (worst from Temp, Fonts, ProgramData or a user
// folder), a random-looking or documented service name (hy5.5), an image missing from the volume,
// and WinRing0, the MSR driver XMRig installs, unless a known hardware tool brought it.
import type { Ruleset } from '../../iocs/types.js';
import { levelRank, type Level, type Localized } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { WindowsService } from '../../snapshot/windows.js';
import { normalizeWindowsPath, oddWindowsLocation, windowsBasename } from '../../target/windows/typosquat.js';
import type { Detector, Hit } from '../types.js';
import {
  fileActions,
  imageEvidence,
  objectEvidence,
  objectSubject,
  plantedFile,
  bySeverity,
  raise,
  serviceRemoval,
  serviceSubject,
  signalList,
  strongest,
  windowsIocRef,
  windowsName,
  type CommandSignal,
} from '../windows.js';
import { t } from '../util.js';

// Defender keeps its platform and its dynamic definition-update drivers (MpKsl…) in ProgramData.
const DRIVER_DIRS =
  /^\/(?:windows\/system32\/(?:drivers|driverstore\/filerepository)|programdata\/microsoft\/windows defender)\//;
const WINDOWS_DIR = /^\/windows\/(?:system32|syswow64)\//;
const PROGRAM_FILES = /^\/program files(?: \(x86\))?\//;
/** Hardware monitors that ship WinRing0 themselves: their copy is expected. */
const HARDWARE_TOOLS =
  /openhardwaremonitor|open hardware monitor|librehardwaremonitor|aida64|hwinfo|core ?temp|throttlestop|fancontrol|speedfan|argus monitor|msi afterburner/i;

/**
 * How random a driver service name looks. `strong`: a short stem with a dotted number (hy5.5) or a
 * long hex string, which no vendor uses. `weak`: letters and digits alternating four times or more
 * (x9k3j7), which a few inbox drivers do too (Broadcom's b57nd60a); real ones such as i8042prt,
 * Wdf01000, b06bdrv or e1i63x64 alternate less once an architecture suffix is taken off.
 */
export function randomLookingName(name: string): 'strong' | 'weak' | undefined {
  if (/^[a-z]{1,4}\d+\.\d+$/i.test(name)) return 'strong';
  if (/^[0-9a-f]{8,}$/i.test(name) && /\d/.test(name) && /[a-f]/i.test(name)) return 'strong';
  const stem = name.replace(/(?:x64|x86|64|32)$/i, '');
  if (!/^[a-z0-9]{4,12}$/i.test(stem)) return undefined;
  let switches = 0;
  for (let i = 1; i < stem.length; i++) if (/\d/.test(stem[i]!) !== /\d/.test(stem[i - 1]!)) switches++;
  return switches >= 4 ? 'weak' : undefined;
}

function isDriver(s: WindowsService): boolean {
  return s.type === 'kernel-driver' || s.type === 'fs-driver';
}

/** The image as Windows names it: ImagePath, or the default `System32\drivers\<name>.sys`. */
function imageText(s: WindowsService): string {
  return s.imagePath ?? `System32\\drivers\\${s.name}.sys`;
}

function placeSignal(s: WindowsService, field: string): CommandSignal | undefined {
  const image = imageText(s);
  const norm = normalizeWindowsPath(image);
  if (DRIVER_DIRS.test(norm) || PROGRAM_FILES.test(norm)) return undefined;
  const odd =
    oddWindowsLocation(image) ??
    (/^\/users\//.test(norm) ? { label: 'a user folder', level: 'high' } : undefined);
  if (odd)
    return {
      level: 'high',
      label: t(`its image ${image} is in ${odd.label}`, `其映像 ${image} 位于 ${odd.label}`),
      evidence: objectEvidence(field, image, `driver outside System32\\drivers: ${odd.label}`),
    };
  return {
    // Windows keeps a few of its own drivers elsewhere in System32: low there, medium anywhere else.
    level: WINDOWS_DIR.test(norm) ? 'low' : 'medium',
    label: t(`its image ${image} is outside System32\\drivers`, `其映像 ${image} 不在 System32\\drivers 中`),
    evidence: objectEvidence(field, image, 'driver outside System32\\drivers'),
  };
}

function nameSignals(s: WindowsService, ruleset: Ruleset): CommandSignal[] {
  const out: CommandSignal[] = [];
  const ioc = windowsName(ruleset, { type: 'service', name: s.name });
  if (ioc)
    out.push({
      level: 'critical',
      kind: 'driver',
      label: t(
        `the service name ${s.name} is one ${ioc.family ?? 'a documented family'} uses`,
        `服务名 ${s.name} 是${ioc.family ?? '已知家族'}使用的名称`,
      ),
      evidence: objectEvidence(s.key, s.name, windowsIocRef(ioc)),
    });
  const file = windowsName(ruleset, { type: 'file', name: windowsBasename(imageText(s)) });
  if (file)
    out.push({
      level: 'critical',
      kind: 'driver',
      label: t(
        `its image is named ${file.value}, a name ${file.family ?? 'a documented family'} uses`,
        `其映像名为 ${file.value}（${file.family ?? '已知家族'}使用的名称）`,
      ),
      evidence: objectEvidence(`${s.key}\\ImagePath`, imageText(s), windowsIocRef(file)),
    });
  const random = ioc ? undefined : randomLookingName(s.name);
  // A weakly random name in Windows' own driver folders is an inbox driver's more often than not.
  const home = DRIVER_DIRS.test(normalizeWindowsPath(imageText(s)));
  if (random === 'strong' || (random === 'weak' && !home))
    out.push({
      level: random === 'strong' ? 'high' : 'medium',
      label: t(`the random-looking name ${s.name}`, `看似随机生成的名称 ${s.name}`),
      evidence: objectEvidence(s.key, s.name, 'random-looking driver service name'),
    });
  return out;
}

const WINRING0 = 'WinRing0 (XMRig MSR access)';

/** WinRing0: medium (its place is weighed by placeSignal); info when a hardware monitor under Program Files brought it. */
function winRing0Signal(s: WindowsService, field: string): CommandSignal | undefined {
  const image = imageText(s);
  if (!/^winring0(?:x64)?$/i.test(s.name) && !/^winring0(?:x64)?\.sys$/i.test(windowsBasename(image)))
    return undefined;
  const norm = normalizeWindowsPath(image);
  const known = PROGRAM_FILES.test(norm) && HARDWARE_TOOLS.test(norm);
  const level: Level = known ? 'info' : 'medium';
  return {
    level,
    label: t('WinRing0, the MSR driver XMRig installs', 'WinRing0（XMRig 安装的 MSR 驱动）'),
    evidence: objectEvidence(field, image, known ? 'WinRing0 of a known hardware tool' : WINRING0),
  };
}

function missingSignal(s: WindowsService, field: string): CommandSignal | undefined {
  if (s.image?.exists !== false) return undefined;
  return {
    level: 'medium',
    label: t(`its image ${imageText(s)} is missing from the volume`, `其映像 ${imageText(s)} 在卷上不存在`),
    evidence: objectEvidence(field, imageText(s), 'image missing'),
  };
}

function serviceHit(s: WindowsService, signals: CommandSignal[]): Hit | undefined {
  const top = strongest(signals.map((x) => x.level));
  if (!top) return undefined;
  // Several independent reasons (name, place, missing file) make a driver more certain; WinRing0 is
  // a known tool's name, which adds nothing to the place it was found in.
  const serious = signals.filter(
    (x) =>
      levelRank(x.level) >= levelRank('medium') &&
      !(x.evidence.type === 'match' && x.evidence.ioc === WINRING0),
  ).length;
  const level = serious >= 2 && top !== 'critical' ? raise(top) : top;
  const file = plantedFile(s.image);
  const list: Localized = signalList(bySeverity(signals));
  return {
    subject: objectSubject(s.image, serviceSubject(s.name)),
    level,
    messageId: 'driverService',
    data: {
      service: s.name,
      key: s.key,
      type: s.type,
      start: s.start,
      image: imageText(s),
      reasons: list,
      ...(s.lastWrite ? { lastWrite: s.lastWrite } : {}),
    },
    evidence: [
      objectEvidence(s.key, `Type=${s.typeValue ?? s.type} Start=${s.startValue ?? s.start}`),
      ...signals.map((x) => x.evidence),
      ...imageEvidence(s.image),
    ],
    remediate: [serviceRemoval(s.name), ...(file ? fileActions(file, false) : [])],
    fingerprint: ['windows-driver-service', s.name.toLowerCase(), imageText(s).toLowerCase()],
  };
}

function driverHits(snapshot: Snapshot, ruleset: Ruleset): Hit[] {
  const hits: Hit[] = [];
  for (const s of snapshot.windows?.services ?? []) {
    if (!isDriver(s)) continue;
    const field = `${s.key}\\ImagePath`;
    const signals = [
      placeSignal(s, field),
      ...nameSignals(s, ruleset),
      winRing0Signal(s, field),
      missingSignal(s, field),
    ].filter((x): x is CommandSignal => x !== undefined);
    // A missing image alone is an uninstalled driver's leftover: it counts only beside another reason.
    const real = signals.some((x) => x.evidence.type === 'match' && x.evidence.ioc !== 'image missing');
    const hit = real ? serviceHit(s, signals) : undefined;
    if (hit) hits.push(hit);
  }
  return hits;
}

export const windowsDriverService: Detector = {
  id: 'windows-driver-service',
  kind: 'driver',
  category: 'miner',
  level: 'high',
  title: t('Suspicious Windows driver service', '可疑的 Windows 驱动服务'),
  description: t(
    "Reads the kernel and file-system driver services (Type 1 and 2) of the volume's SYSTEM hive, in every control set. A driver whose image lies outside System32\\drivers and the DriverStore is medium, and high when it lies in Temp, Fonts, ProgramData, the Recycle Bin or a user folder, where no driver is installed; a random-looking service name is high when no vendor would choose it (a short stem with a dotted number such as hy5.5, a long hex string) and medium when letters and digits alternate four times or more (not counted for a driver in System32\\drivers, where a few inbox drivers are named so), and a name from iocs/windows-names.json (ProtectionX's hy5.5, win1logon.exe, wuauc1t.exe, ProcessExtended.dll) is critical with its provenance. WinRing0, the driver XMRig installs to reach the CPU's model-specific registers, is medium, high from an odd folder, and only informational when a hardware monitor (OpenHardwareMonitor, AIDA64, HWiNFO…) under Program Files brought it. An image missing from the volume counts only beside another reason. Two independent reasons raise the level one step. Drivers in Program Files (VirtualBox, VPN clients) are not reported for their place.",
    '读取卷中 SYSTEM 配置单元所有控制集里的内核驱动和文件系统驱动服务（Type 1 和 2）。映像位于 System32\\drivers 和 DriverStore 之外的驱动为中危，位于 Temp、Fonts、ProgramData、回收站或用户目录（从不安装驱动的地方）时为高危；看似随机的服务名在没有厂商会这样命名时为高危（如 hy5.5 这样带点号数字的短名、长十六进制串），字母与数字交替四次以上时为中危（驱动位于 System32\\drivers 时不计，少数系统自带驱动就是这样命名的），iocs/windows-names.json 中的名称（ProtectionX 的 hy5.5、win1logon.exe、wuauc1t.exe、ProcessExtended.dll）为严重并给出出处。WinRing0 是 XMRig 为访问 CPU 型号特定寄存器（MSR）而安装的驱动，为中危，位于异常目录时为高危，由 Program Files 下的硬件监控工具（OpenHardwareMonitor、AIDA64、HWiNFO 等）带来时仅为提示。映像在卷上缺失只有在另有其他理由时才计入。两个独立理由使级别提高一级。位于 Program Files 的驱动（VirtualBox、VPN 客户端）不会因位置被报告。',
  ),
  tags: ['attack.t1543.003', 'attack.t1014', 'attack.t1068'],
  needs: ['windows-registry'],
  verify: t(
    'On the Windows host: `sc.exe qc <service>` and `Get-ItemProperty HKLM:\\SYSTEM\\CurrentControlSet\\Services\\<service>` show the type and ImagePath; `driverquery /v` lists loaded drivers; `Get-AuthenticodeSignature <image>` and `Get-FileHash <image>` identify the file (look the hash up on VirusTotal). Offline: `reg query` on the loaded SYSTEM hive, or `hivexget`.',
    '在 Windows 主机上：`sc.exe qc <服务名>` 和 `Get-ItemProperty HKLM:\\SYSTEM\\CurrentControlSet\\Services\\<服务名>` 显示类型和 ImagePath；`driverquery /v` 列出已加载的驱动；`Get-AuthenticodeSignature <映像>` 和 `Get-FileHash <映像>` 用于识别文件（可到 VirusTotal 查询哈希）。离线时：对加载的 SYSTEM 配置单元执行 `reg query`，或使用 `hivexget`。',
  ),
  remediation: t(
    'On the host, as an administrator: `sc.exe stop <service>; sc.exe delete <service>`, then reboot (a running driver stays loaded until then) and quarantine the image. A self-protecting driver (ProtectionX) may restore itself: clean from a rescue system in that case. On a mounted volume `respond --apply` only quarantines the image file; it never edits the hive.',
    '在主机上以管理员身份执行：`sc.exe stop <服务名>; sc.exe delete <服务名>`，然后重启（已加载的驱动在重启前不会卸载）并隔离映像文件。带自我保护的驱动（ProtectionX）可能会自行恢复，此时应从救援系统中清理。对挂载的卷，`respond --apply` 只隔离映像文件，绝不修改注册表配置单元。',
  ),
  messages: {
    driverService: t(
      'Driver service {service} ({type}, start {start}) loads {image}: {reasons}',
      '驱动服务 {service}（{type}，启动方式 {start}）加载 {image}：{reasons}',
    ),
  },
  detect(snapshot, ruleset) {
    return driverHits(snapshot, ruleset);
  },
};
