// Windows audit checks of source §3.2 and §3.9 (issue 22): Microsoft Defender (or another anti-virus)
// on, no exclusion a miner would add (C:\Windows\Fonts, Temp, ProgramData, user folders, script
// hosts, executable extensions), and signatures updated within a week of the volume's own clock.
import type { Evidence } from '../../model/finding.js';
import type { WindowsAuditFacts } from '../../snapshot/audit-windows.js';
import type { AuditCheck } from '../types.js';
import { absent, daysBetween, fact, fail, listSome, pass, t, unknown } from '../util.js';
import {
  commentSafe,
  fixCommandOf,
  notRead,
  psQuote,
  regFact,
  removeValueStep,
  userWritablePlace,
  windowsFacts,
  type FixStep,
  type FixSteps,
} from './windows-util.js';

/** Signatures older than this (days before the volume's last shutdown) fail, as on Linux (ClamAV). */
export const WINDOWS_SIGNATURES_MAX_AGE_DAYS = 7;

const SCRIPT_HOSTS = /(^|\\)(powershell|pwsh|cmd|wscript|cscript|mshta|rundll32|regsvr32|msbuild)(\.exe)?$/i;
const RISKY_EXTENSIONS = new Set(['exe', 'dll', 'sys', 'ps1', 'bat', 'cmd', 'vbs', 'js', 'scr', 'com']);

type Defender = NonNullable<WindowsAuditFacts['defender']>;

function avList(w: WindowsAuditFacts): string[] {
  return [...new Set((w.antivirus ?? []).map((a) => a.product))];
}

/** Why Defender is off, if it is: by policy, by its own key, or its service disabled. */
function defenderOff(w: WindowsAuditFacts, d: Defender): { policy: string[]; local: string[] } {
  const policy: string[] = [];
  const local: string[] = [];
  if (d.policyDisableAntiSpyware === 1) policy.push('DisableAntiSpyware (policy)');
  if (d.policyDisableRealtimeMonitoring === 1) policy.push('DisableRealtimeMonitoring (policy)');
  if (d.disableAntiSpyware === 1) local.push('DisableAntiSpyware');
  if (d.disableRealtimeMonitoring === 1) local.push('DisableRealtimeMonitoring');
  const svc = w.services?.find((x) => x.name === 'WinDefend');
  if (svc?.present && svc.start === 'disabled') local.push('WinDefend service disabled');
  return { policy, local };
}

function defenderEvidence(w: WindowsAuditFacts, d: Defender): Evidence[] {
  const ev = [
    regFact(d.policyKey, 'DisableAntiSpyware', d.policyDisableAntiSpyware),
    regFact(
      `${d.policyKey}\\Real-Time Protection`,
      'DisableRealtimeMonitoring',
      d.policyDisableRealtimeMonitoring,
    ),
    regFact(d.key, 'DisableAntiSpyware', d.disableAntiSpyware),
    regFact(`${d.key}\\Real-Time Protection`, 'DisableRealtimeMonitoring', d.disableRealtimeMonitoring),
  ];
  const svc = w.services?.find((x) => x.name === 'WinDefend');
  if (svc)
    ev.push(regFact(svc.key, 'Start', svc.present ? (svc.startValue ?? 'not set') : '(no such service)'));
  for (const a of w.antivirus ?? []) ev.push(fact('third-party anti-virus', `${a.product} (${a.key})`));
  return ev;
}

const defenderSteps: FixSteps = (s) => {
  const w = windowsFacts(s);
  const d = w.defender;
  if (!d) return [];
  const steps: FixStep[] = [];
  if (d.policyDisableAntiSpyware === 1)
    steps.push(
      removeValueStep(
        d.policyKey,
        'DisableAntiSpyware',
        t('Remove the policy that turns Defender off', '删除关闭 Defender 的策略'),
      ),
    );
  if (d.policyDisableRealtimeMonitoring === 1)
    steps.push(
      removeValueStep(
        `${d.policyKey}\\Real-Time Protection`,
        'DisableRealtimeMonitoring',
        t('Remove the policy that turns real-time protection off', '删除关闭实时保护的策略'),
      ),
    );
  if (
    d.disableRealtimeMonitoring === 1 ||
    d.policyDisableRealtimeMonitoring === 1 ||
    d.disableAntiSpyware === 1
  )
    steps.push({
      key: 'defender-realtime',
      what: t('Turn real-time protection back on', '重新开启实时保护'),
      guard: '(Get-MpPreference).DisableRealtimeMonitoring',
      body: 'Set-MpPreference -DisableRealtimeMonitoring $false',
    });
  return steps;
};

export const windowsDefenderEnabled: AuditCheck = {
  id: 'windows-defender-enabled',
  area: 'antivirus',
  level: 'critical',
  title: t('Microsoft Defender (or another anti-virus) is on', 'Microsoft Defender（或其他杀毒软件）已开启'),
  description: t(
    "Reads DisableAntiSpyware and Real-Time Protection\\DisableRealtimeMonitoring under the Defender policy key and Defender's own key, the WinDefend service's start type, and the services of other anti-virus products (ESET, Kaspersky, Symantec, McAfee, Sophos, 360, Huorong, Tencent…). Miners turn Defender off by policy before they drop their payload. Fails when a policy turns Defender off, or when it is off by its own key or service and no other anti-virus is installed.",
    '读取 Defender 策略键和 Defender 自身键下的 DisableAntiSpyware 及 Real-Time Protection\\DisableRealtimeMonitoring、WinDefend 服务的启动类型，以及其他杀毒产品（ESET、卡巴斯基、赛门铁克、McAfee、Sophos、360、火绒、腾讯等）的服务。挖矿木马常在投放载荷前通过策略关闭 Defender。若有策略关闭 Defender，或 Defender 由其自身键值或服务被关闭且未安装其他杀毒软件，则判为不通过。',
  ),
  fix: {
    command:
      "Remove-ItemProperty -Path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender' -Name DisableAntiSpyware; Set-MpPreference -DisableRealtimeMonitoring $false",
    text: t(
      'Removes the policy value and turns real-time protection on (PowerShell as Administrator). A policy set by a domain GPO comes back until the GPO is changed; find out who set it — on a host without a GPO, the miner did.',
      '删除该策略值并开启实时保护（以管理员身份运行 PowerShell）。若策略来自域组策略，需修改组策略，否则会被重新应用；请查明是谁设置的——未使用组策略的主机上，多半是挖矿木马所为。',
    ),
  },
  tags: ['windows', 'antivirus', 'source-3.2', 'source-3.9'],
  needs: ['windows'],
  run(s) {
    const w = windowsFacts(s);
    const d = w.defender;
    if (!d) return notRead('The Defender settings', 'Defender 设置');
    const ev = defenderEvidence(w, d);
    const off = defenderOff(w, d);
    const others = avList(w);
    const fix = fixCommandOf(defenderSteps(s));
    if (off.policy.length)
      return fail(
        `Defender is turned off by policy: ${off.policy.join(', ')}.`,
        `Defender 被策略关闭：${off.policy.join('、')}。`,
        ev,
        fix,
      );
    if (off.local.length && others.length === 0)
      return fail(
        `Defender is off (${off.local.join(', ')}) and no other anti-virus is installed.`,
        `Defender 已关闭（${off.local.join('、')}），且未安装其他杀毒软件。`,
        ev,
        fix,
      );
    if (off.local.length)
      return pass(
        `Defender is off and ${others.join(', ')} is installed instead.`,
        `Defender 已关闭，改用 ${others.join('、')}。`,
        ev,
      );
    return pass(
      `Defender is on${others.length ? `; also installed: ${others.join(', ')}` : ''}.`,
      `Defender 已开启${others.length ? `；另装有：${others.join('、')}` : ''}。`,
      ev,
    );
  },
};

// ---- exclusions ----

type Exclusion = Defender['exclusions'][number];

/** Why an exclusion is one a miner would add, or undefined. */
export function riskyExclusion(e: Exclusion): string | undefined {
  if (e.kind === 'Extensions') {
    const ext = e.value.replace(/^\*?\./, '').toLowerCase();
    return RISKY_EXTENSIONS.has(ext) ? `every .${ext} file` : undefined;
  }
  if (e.kind === 'Processes' && SCRIPT_HOSTS.test(e.value.trim())) return 'a script host';
  return userWritablePlace(e.value);
}

function exclusionStep(e: Exclusion): FixStep {
  const q = psQuote(e.value);
  const param = { Paths: 'ExclusionPath', Processes: 'ExclusionProcess', Extensions: 'ExclusionExtension' }[
    e.kind
  ];
  const what = t(
    `Remove the Defender exclusion ${commentSafe(e.value)} (${e.kind.toLowerCase()})`,
    `删除 Defender 排除项 ${commentSafe(e.value)}（${e.kind.toLowerCase()}）`,
  );
  // Policy exclusions are registry values Set-MpPreference cannot remove.
  if (/\\Policies\\/i.test(e.key))
    return { ...removeValueStep(e.key, e.value, what), key: `exclusion:${e.key}:${e.value}` };
  return {
    key: `exclusion:${e.kind}:${e.value}`,
    what,
    guard: `(Get-MpPreference).${param} -contains ${q}`,
    body: `Remove-MpPreference -${param} ${q}`,
  };
}

const exclusionsSteps: FixSteps = (s) =>
  (windowsFacts(s).defender?.exclusions ?? []).filter((e) => riskyExclusion(e)).map(exclusionStep);

export const windowsDefenderExclusions: AuditCheck = {
  id: 'windows-defender-exclusions',
  area: 'antivirus',
  level: 'high',
  title: t('Defender has no exclusion a miner would add', 'Defender 没有挖矿木马会添加的排除项'),
  description: t(
    'Reads the Paths, Processes and Extensions exclusions of Defender (its own key and the policy key). Fails on an excluded folder users can write to (C:\\Windows\\Fonts, Temp, ProgramData, a user profile or AppData, a whole drive), an excluded script host (powershell, cmd, wscript, mshta…) or an excluded executable extension: miners add exactly these so their files are never scanned. Other exclusions are listed.',
    '读取 Defender（自身键和策略键）的 Paths、Processes 和 Extensions 排除项。排除了用户可写的目录（C:\\Windows\\Fonts、Temp、ProgramData、用户目录或 AppData、整个驱动器）、脚本宿主（powershell、cmd、wscript、mshta 等）或可执行文件扩展名时判为不通过：挖矿木马正是添加这些排除项来避免其文件被扫描。其他排除项会列出。',
  ),
  fix: {
    command: "Remove-MpPreference -ExclusionPath 'C:\\Windows\\Fonts'",
    text: t(
      'Removes each exclusion named in the result (PowerShell as Administrator), then run a full scan: Start-MpScan -ScanType FullScan. Exclusions set by policy are registry values under HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Exclusions.',
      '删除结果中列出的每个排除项（以管理员身份运行 PowerShell），然后执行全盘扫描：Start-MpScan -ScanType FullScan。由策略设置的排除项是 HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Exclusions 下的注册表值。',
    ),
  },
  tags: ['windows', 'antivirus', 'source-3.2', 'source-3.9'],
  needs: ['windows'],
  run(s) {
    const d = windowsFacts(s).defender;
    if (!d) return notRead('The Defender exclusions', 'Defender 排除项');
    const ev = d.exclusions.map((e) => regFact(e.key, e.value, 0));
    const risky = d.exclusions.filter((e) => riskyExclusion(e));
    if (risky.length) {
      const list = listSome(
        risky.map((e) => `${e.value} (${riskyExclusion(e)})`),
        6,
      );
      return fail(
        `Risky Defender exclusions: ${list}.`,
        `存在危险的 Defender 排除项：${list}。`,
        ev,
        fixCommandOf(exclusionsSteps(s)),
      );
    }
    if (d.exclusions.length)
      return pass(
        `No risky exclusion; others: ${listSome(d.exclusions.map((e) => e.value))}.`,
        `没有危险的排除项；其他排除项：${listSome(d.exclusions.map((e) => e.value))}。`,
        ev,
      );
    return pass('Defender has no exclusions.', 'Defender 没有排除项。', ev);
  },
};

// ---- signatures ----

const signaturesSteps: FixSteps = () => [
  {
    key: 'defender-signatures',
    what: t('Update the Defender signatures', '更新 Defender 病毒库'),
    guard: `((Get-Date) - (Get-MpComputerStatus).AntivirusSignatureLastUpdated).TotalDays -gt ${WINDOWS_SIGNATURES_MAX_AGE_DAYS}`,
    body: 'Update-MpSignature',
  },
];

export const windowsDefenderSignatures: AuditCheck = {
  id: 'windows-defender-signatures',
  area: 'antivirus',
  level: 'high',
  title: t('Defender signatures are current', 'Defender 病毒库为最新'),
  description: t(
    `Compares SignaturesLastUpdated under Windows Defender\\Signature Updates with the volume's own clock (its last shutdown, Control\\Windows\\ShutdownTime): signatures more than ${WINDOWS_SIGNATURES_MAX_AGE_DAYS} days older fail, because they miss the current miner families. Not applicable when another anti-virus replaces Defender.`,
    `将 Windows Defender\\Signature Updates 下的 SignaturesLastUpdated 与该卷自身的时钟（上次关机时间 Control\\Windows\\ShutdownTime）比较：早于其 ${WINDOWS_SIGNATURES_MAX_AGE_DAYS} 天以上即判为不通过，因为旧病毒库识别不了当前的挖矿家族。若由其他杀毒软件取代 Defender，则不适用。`,
  ),
  fix: {
    command: 'Update-MpSignature',
    text: t(
      'Downloads current signatures (PowerShell as Administrator); then find out why updates stopped (Windows Update off, a proxy, a policy).',
      '下载最新病毒库（以管理员身份运行 PowerShell）；然后查明更新为何中断（Windows 更新被关闭、代理、策略等）。',
    ),
  },
  tags: ['windows', 'antivirus', 'source-3.2'],
  needs: ['windows'],
  run(s) {
    const w = windowsFacts(s);
    const d = w.defender;
    if (!d) return notRead('The Defender signatures', 'Defender 病毒库信息');
    const sig = d.signatures;
    const clock = w.clock?.lastShutdown;
    const ev = [
      regFact(sig.key, 'AVSignatureVersion', sig.version),
      regFact(sig.key, 'SignaturesLastUpdated', sig.lastUpdated),
      regFact(w.clock?.key ?? 'HKLM\\SYSTEM\\ControlSet001\\Control\\Windows', 'ShutdownTime', clock),
    ];
    if (!sig.lastUpdated) {
      if (avList(w).length)
        return absent('Defender is replaced by another anti-virus.', 'Defender 已被其他杀毒软件取代。', ev);
      return unknown('No signature update time is recorded.', '未记录病毒库更新时间。', ev);
    }
    if (!clock)
      return unknown(
        "The volume's last shutdown time is not recorded: the signatures' age cannot be told.",
        '该卷未记录上次关机时间，无法判断病毒库的时效。',
        ev,
      );
    const age = Math.floor(daysBetween(sig.lastUpdated, clock));
    if (age > WINDOWS_SIGNATURES_MAX_AGE_DAYS)
      return fail(
        `Signatures ${sig.version ?? ''} were ${age} days old at the last shutdown.`,
        `上次关机时病毒库 ${sig.version ?? ''} 已有 ${age} 天未更新。`,
        ev,
        fixCommandOf(signaturesSteps(s)),
      );
    return pass(
      `Signatures ${sig.version ?? ''} were ${Math.max(age, 0)} days old at the last shutdown.`,
      `上次关机时病毒库 ${sig.version ?? ''} 为 ${Math.max(age, 0)} 天前更新。`,
      ev,
    );
  },
};

export const windowsDefenderChecks: AuditCheck[] = [
  windowsDefenderEnabled,
  windowsDefenderExclusions,
  windowsDefenderSignatures,
];

export const windowsDefenderFixes: Record<string, FixSteps> = {
  'windows-defender-enabled': defenderSteps,
  'windows-defender-exclusions': exclusionsSteps,
  'windows-defender-signatures': signaturesSteps,
};
