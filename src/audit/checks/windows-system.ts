// Windows audit checks of source §3.6, §3.7 and §3.9 (issue 22): Windows Update not turned off by
// policy and updates installed recently (build and UBR shown), Remote Desktop only with Network Level
// Authentication, no autologon password stored in the registry, and the scheduled tasks reviewed —
// hidden ones, SYSTEM tasks running a script host, encoded commands, programs in user-writable folders.
import type { Action, Evidence } from '../../model/finding.js';
import type { ScheduledTask, TaskCacheEntry } from '../../snapshot/windows.js';
import type { Snapshot } from '../../snapshot/schema.js';
import { hiddenTaskRemoval, taskRemoval } from '../../detect/windows.js';
import type { AuditCheck } from '../types.js';
import { daysBetween, fact, fail, listSome, pass, t, unknown } from '../util.js';
import {
  commentSafe,
  dwordStep,
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

/** Updates installed longer ago than this (before the volume's last shutdown) fail. */
export const WINDOWS_PATCH_MAX_AGE_DAYS = 45;

// ---- Windows Update policy ----

const updatePolicySteps: FixSteps = (s) => {
  const wu = windowsFacts(s).windowsUpdate;
  if (!wu) return [];
  const steps: FixStep[] = [];
  if (wu.noAutoUpdate === 1)
    steps.push(
      removeValueStep(
        wu.key,
        'NoAutoUpdate',
        t('Remove the policy that turns automatic updates off', '删除关闭自动更新的策略'),
      ),
    );
  if (wu.auOptions === 1)
    steps.push(
      removeValueStep(
        wu.key,
        'AUOptions',
        t('Remove the policy that never checks for updates', '删除从不检查更新的策略'),
      ),
    );
  return steps;
};

function osEvidence(s: Snapshot): Evidence[] {
  const os = windowsFacts(s).os;
  if (!os) return [];
  return [
    regFact(os.key, 'ProductName', os.productName),
    regFact(os.key, 'CurrentBuild', os.currentBuild),
    regFact(os.key, 'UBR', os.ubr),
  ];
}

function buildText(s: Snapshot): string {
  const os = windowsFacts(s).os;
  if (!os?.currentBuild) return 'build unknown';
  return `${os.productName ?? 'Windows'} build ${os.currentBuild}${os.ubr !== undefined ? `.${os.ubr}` : ''}`;
}

export const windowsUpdatePolicy: AuditCheck = {
  id: 'windows-update-policy',
  area: 'patches',
  level: 'high',
  title: t('Windows Update is not turned off by policy', 'Windows 更新未被策略关闭'),
  description: t(
    'Reads NoAutoUpdate and AUOptions under Policies\\Microsoft\\Windows\\WindowsUpdate\\AU and shows the OS build and update revision (CurrentBuild, UBR). NoAutoUpdate=1 or AUOptions=1 fail: the host stops receiving the fixes for the flaws (EternalBlue, BlueKeep) miners use to spread.',
    '读取 Policies\\Microsoft\\Windows\\WindowsUpdate\\AU 下的 NoAutoUpdate 和 AUOptions，并显示系统版本号和更新修订号（CurrentBuild、UBR）。NoAutoUpdate=1 或 AUOptions=1 判为不通过：主机将收不到挖矿木马用于传播的漏洞（永恒之蓝、BlueKeep）的补丁。',
  ),
  fix: {
    command:
      "Remove-ItemProperty -Path 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU' -Name NoAutoUpdate",
    text: t(
      'Removes the policy value (PowerShell as Administrator); with a domain GPO, change the GPO. Then install the pending updates from Settings > Windows Update.',
      '删除该策略值（以管理员身份运行 PowerShell）；若来自域组策略则修改组策略。然后在“设置 > Windows 更新”中安装待装的更新。',
    ),
  },
  tags: ['windows', 'patches', 'source-3.6'],
  needs: ['windows'],
  run(s) {
    const wu = windowsFacts(s).windowsUpdate;
    if (!wu) return notRead('The Windows Update policy', 'Windows 更新策略');
    const ev = [
      regFact(wu.key, 'NoAutoUpdate', wu.noAutoUpdate),
      regFact(wu.key, 'AUOptions', wu.auOptions),
      ...osEvidence(s),
    ];
    if (wu.noAutoUpdate === 1 || wu.auOptions === 1)
      return fail(
        `Automatic updates are turned off by policy (${buildText(s)}).`,
        `自动更新被策略关闭（${buildText(s)}）。`,
        ev,
        fixCommandOf(updatePolicySteps(s)),
      );
    return pass(
      `Windows Update is not turned off by policy (${buildText(s)}).`,
      `Windows 更新未被策略关闭（${buildText(s)}）。`,
      ev,
    );
  },
};

const patchAgeSteps: FixSteps = () => [
  {
    key: 'windows-update-scan',
    what: t(
      'Start a Windows Update scan and install (then restart when asked)',
      '开始 Windows 更新扫描并安装（按提示重启）',
    ),
    body: 'Start-Process -FilePath UsoClient.exe -ArgumentList StartInteractiveScan -NoNewWindow',
  },
];

export const windowsPatchAge: AuditCheck = {
  id: 'windows-patch-age',
  area: 'patches',
  level: 'medium',
  title: t('Updates were installed recently', '近期安装过更新'),
  description: t(
    `Takes the newest install time of a Component Based Servicing package (SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages) and compares it with the volume's last shutdown: more than ${WINDOWS_PATCH_MAX_AGE_DAYS} days without an update fails (monthly updates were missed).`,
    `取组件服务包（SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages）中最新的安装时间，与该卷的上次关机时间比较：超过 ${WINDOWS_PATCH_MAX_AGE_DAYS} 天未安装更新即判为不通过（错过了每月更新）。`,
  ),
  fix: {
    command: 'UsoClient.exe StartInteractiveScan',
    text: t(
      "Starts a Windows Update scan (as Administrator); install what it finds and restart. On a server, use the organisation's WSUS or update tool.",
      '启动 Windows 更新扫描（需管理员权限），安装找到的更新并重启。服务器请使用单位的 WSUS 或更新工具。',
    ),
  },
  tags: ['windows', 'patches', 'source-3.6'],
  needs: ['windows'],
  run(s) {
    const w = windowsFacts(s);
    if (!w.os) return notRead('The servicing history', '系统更新记录');
    const clock = w.clock?.lastShutdown;
    const ev = [
      fact('newest servicing package installed', w.os.lastUpdateInstalled ?? '(none found)'),
      regFact(w.clock?.key ?? 'HKLM\\SYSTEM\\ControlSet001\\Control\\Windows', 'ShutdownTime', clock),
      ...osEvidence(s),
    ];
    if (!w.os.lastUpdateInstalled || !clock)
      return unknown(
        'The last update or the last shutdown time is not recorded.',
        '未记录最近的更新时间或上次关机时间。',
        ev,
      );
    const age = Math.floor(daysBetween(w.os.lastUpdateInstalled, clock));
    if (age > WINDOWS_PATCH_MAX_AGE_DAYS)
      return fail(
        `The last update was installed ${age} days before the last shutdown (${buildText(s)}).`,
        `上次关机前 ${age} 天才安装过最近一次更新（${buildText(s)}）。`,
        ev,
        fixCommandOf(patchAgeSteps(s)),
      );
    return pass(
      `The last update was installed ${Math.max(age, 0)} days before the last shutdown (${buildText(s)}).`,
      `最近一次更新安装于上次关机前 ${Math.max(age, 0)} 天（${buildText(s)}）。`,
      ev,
    );
  },
};

// ---- Remote Desktop ----

const rdpSteps: FixSteps = (s) => {
  const r = windowsFacts(s).rdp;
  return r
    ? [
        dwordStep(
          r.rdpTcpKey,
          'UserAuthentication',
          1,
          t('Require Network Level Authentication for Remote Desktop', '远程桌面要求网络级别身份验证（NLA）'),
        ),
      ]
    : [];
};

export const windowsRdpNla: AuditCheck = {
  id: 'windows-rdp-nla',
  area: 'credentials',
  level: 'high',
  title: t('Remote Desktop is off or requires NLA', '远程桌面已关闭或要求 NLA'),
  description: t(
    'Reads fDenyTSConnections under Control\\Terminal Server and UserAuthentication under WinStations\\RDP-Tcp. Remote Desktop without Network Level Authentication shows a logon screen to anyone: brute-forced RDP passwords are a common way in for miners, and BlueKeep needs no password at all.',
    '读取 Control\\Terminal Server 下的 fDenyTSConnections 和 WinStations\\RDP-Tcp 下的 UserAuthentication。未启用网络级别身份验证的远程桌面会向任何人显示登录界面：暴力破解 RDP 口令是挖矿木马常见的入侵途径，BlueKeep 更是无需口令。',
  ),
  fix: {
    command:
      "Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Terminal Server\\WinStations\\RDP-Tcp' -Name UserAuthentication -Value 1",
    text: t(
      'Requires NLA for new connections (PowerShell as Administrator). If nobody uses Remote Desktop, turn it off instead (fDenyTSConnections = 1) and keep 3389 closed in the firewall.',
      '新连接将要求 NLA（以管理员身份运行 PowerShell）。若无人使用远程桌面，应直接关闭（fDenyTSConnections = 1），并在防火墙中关闭 3389 端口。',
    ),
  },
  tags: ['windows', 'rdp', 'source-3.7'],
  needs: ['windows'],
  run(s) {
    const r = windowsFacts(s).rdp;
    if (!r) return notRead('The Remote Desktop settings', '远程桌面设置');
    const ev = [
      regFact(r.key, 'fDenyTSConnections', r.fDenyTSConnections),
      regFact(r.rdpTcpKey, 'UserAuthentication', r.userAuthentication),
    ];
    // Unset fDenyTSConnections means denied (Windows' default); unset UserAuthentication means NLA on.
    if (r.fDenyTSConnections === undefined || r.fDenyTSConnections !== 0)
      return pass('Remote Desktop is off.', '远程桌面已关闭。', ev);
    if (r.userAuthentication === 0)
      return fail(
        'Remote Desktop is on without Network Level Authentication.',
        '远程桌面已开启，但未要求网络级别身份验证。',
        ev,
        fixCommandOf(rdpSteps(s)),
      );
    return pass('Remote Desktop is on and requires NLA.', '远程桌面已开启并要求 NLA。', ev);
  },
};

// ---- autologon ----

const autologonSteps: FixSteps = (s) => {
  const w = windowsFacts(s).winlogon;
  if (!w) return [];
  return [
    removeValueStep(
      w.key,
      'DefaultPassword',
      t('Delete the autologon password stored in clear text', '删除以明文保存的自动登录口令'),
    ),
    {
      key: 'autoadminlogon-off',
      what: t('Turn autologon off', '关闭自动登录'),
      guard: `(Get-ItemProperty -LiteralPath ${psQuote('HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon')} -Name 'AutoAdminLogon' -ErrorAction SilentlyContinue).AutoAdminLogon -ne '0'`,
      body: `Set-ItemProperty -LiteralPath ${psQuote('HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon')} -Name 'AutoAdminLogon' -Value '0'`,
    },
  ];
};

export const windowsAutologonPassword: AuditCheck = {
  id: 'windows-autologon-password',
  area: 'credentials',
  level: 'high',
  title: t('No autologon password is stored in the registry', '注册表中没有保存自动登录口令'),
  description: t(
    "Reads AutoAdminLogon, DefaultUserName and whether DefaultPassword is set under Winlogon (minehunter never reads the password itself). A DefaultPassword is an account's password in clear text, readable by any administrator and any malware running as one.",
    '读取 Winlogon 下的 AutoAdminLogon、DefaultUserName，以及是否设置了 DefaultPassword（minehunter 从不读取口令本身）。DefaultPassword 是以明文保存的账户口令，任何管理员及以管理员身份运行的恶意软件都能读取。',
  ),
  fix: {
    command:
      "Remove-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon' -Name DefaultPassword; Set-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Winlogon' -Name AutoAdminLogon -Value 0",
    text: t(
      "Deletes the stored password and turns autologon off (PowerShell as Administrator), then change that account's password: it must be taken as known.",
      '删除保存的口令并关闭自动登录（以管理员身份运行 PowerShell），然后修改该账户的口令：应视为已泄露。',
    ),
  },
  tags: ['windows', 'credentials', 'source-3.7'],
  needs: ['windows'],
  run(s) {
    const w = windowsFacts(s).winlogon;
    if (!w) return notRead('The Winlogon settings', 'Winlogon 设置');
    const ev = [
      regFact(w.key, 'AutoAdminLogon', w.autoAdminLogon),
      regFact(w.key, 'DefaultUserName', w.defaultUserName),
      regFact(w.key, 'DefaultPassword', w.defaultPasswordStored ? '(set; not read)' : undefined),
    ];
    if (w.defaultPasswordStored)
      return fail(
        `A logon password is stored in clear text${w.defaultUserName ? ` for ${w.defaultUserName}` : ''}${w.autoAdminLogon === '1' ? ' and autologon is on' : ''}.`,
        `以明文保存了${w.defaultUserName ? ` ${w.defaultUserName} 的` : ''}登录口令${w.autoAdminLogon === '1' ? '，且已开启自动登录' : ''}。`,
        ev,
        fixCommandOf(autologonSteps(s)),
      );
    return pass('No autologon password is stored.', '没有保存自动登录口令。', ev);
  },
};

// ---- scheduled tasks ----

const SCRIPT_HOST = /(^|[\\/])(powershell|pwsh|cmd|wscript|cscript|mshta|rundll32|regsvr32)(\.exe)?$/i;
const SYSTEM_ACCOUNT = /^(s-1-5-18|system|nt authority\\system|localsystem)$/i;

interface TaskReview {
  path: string;
  reasons: string[];
  hiddenFromScheduler: boolean;
  id?: string;
  where: string;
}

/**
 * PowerShell's `-EncodedCommand` in any abbreviation it accepts (`-e`, `-ec`, `-enc`, `-encodedc`…,
 * also with `/`); `-ExecutionPolicy` and other `-e…` words are not it.
 */
export function hasEncodedFlag(commandLine: string): boolean {
  return commandLine
    .split(/\s+/)
    .map((w) => /^[-/\u2013\u2014]([a-z]+)$/i.exec(w)?.[1]?.toLowerCase())
    .some((w) => w !== undefined && (w === 'ec' || 'encodedcommand'.startsWith(w)));
}

function taskReasons(task: ScheduledTask): string[] {
  const reasons: string[] = [];
  // Many of Microsoft's own tasks are hidden; hidden counts outside \Microsoft\ only.
  const microsoft = /^\\microsoft\\/i.test(task.path);
  if (task.hidden && !microsoft) reasons.push('hidden');
  const system = task.userId !== undefined && SYSTEM_ACCOUNT.test(task.userId.trim());
  for (const a of task.actions) {
    if (a.type !== 'exec' || !a.command) continue;
    const program = a.command.trim().replace(/^"|"$/g, '');
    // Microsoft's own tasks run rundll32 and regsvr32 as SYSTEM; a script engine there still counts.
    const dllHost = /(^|[\\/])(rundll32|regsvr32)(\.exe)?$/i.test(program);
    if (system && SCRIPT_HOST.test(program) && !(dllHost && microsoft))
      reasons.push(`SYSTEM runs ${program.split(/[\\/]/).pop()}`);
    if (a.decoded?.length || hasEncodedFlag(a.arguments ?? '')) reasons.push('encoded command');
    const place = userWritablePlace(program);
    if (place) reasons.push(`runs from ${place}`);
  }
  return [...new Set(reasons)];
}

function reviewTasks(tasks: ScheduledTask[], cache: TaskCacheEntry[]): TaskReview[] {
  const out = new Map<string, TaskReview>();
  for (const task of tasks) {
    const reasons = taskReasons(task);
    if (reasons.length)
      out.set(task.path.toLowerCase(), {
        path: task.path,
        reasons,
        hiddenFromScheduler: false,
        where: task.file,
      });
  }
  for (const c of cache) {
    const reasons: string[] = [];
    if (c.sdMissing) reasons.push('hidden (no SD in TaskCache)');
    if (!c.xmlExists) reasons.push('no task file');
    for (const cmd of c.actions ?? []) {
      if (hasEncodedFlag(cmd)) reasons.push('encoded command');
      const place = userWritablePlace(
        cmd
          .trim()
          .replace(/^"([^"]*)".*$/, '$1')
          .split(' ')[0] ?? '',
      );
      if (place) reasons.push(`runs from ${place}`);
    }
    if (!c.sdMissing) continue;
    const prev = out.get(c.path.toLowerCase());
    const merged = [...new Set([...(prev?.reasons ?? []), ...reasons])];
    out.set(c.path.toLowerCase(), {
      path: c.path,
      reasons: merged,
      hiddenFromScheduler: true,
      ...(c.id ? { id: c.id } : {}),
      where: `HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree${c.path}`,
    });
  }
  return [...out.values()].sort((a, b) => a.path.localeCompare(b.path));
}

/** The command of the scan's windows-command action (the same removal `respond` plans). */
function commandOf(a: Action): string {
  return a.type === 'windows-command' ? a.command : '';
}

function taskStep(r: TaskReview): FixStep {
  const what = t(
    `Remove the scheduled task ${commentSafe(r.path)} (${r.reasons.join(', ')}) after checking it is not yours`,
    `确认不是自己创建的之后，删除计划任务 ${commentSafe(r.path)}（${r.reasons.join('、')}）`,
  );
  if (r.hiddenFromScheduler) {
    const tree = psQuote(
      `HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree${r.path}`,
    );
    return {
      key: `task:${r.path}`,
      what,
      guard: `Test-Path -LiteralPath ${tree}`,
      body: commandOf(hiddenTaskRemoval(r.path, r.id)),
    };
  }
  const i = r.path.lastIndexOf('\\');
  const folder = psQuote(i <= 0 ? '\\' : r.path.slice(0, i + 1));
  const name = psQuote(r.path.slice(i + 1));
  return {
    key: `task:${r.path}`,
    what,
    guard: `Get-ScheduledTask -TaskPath ${folder} -TaskName ${name} -ErrorAction SilentlyContinue`,
    body: commandOf(taskRemoval(r.path)),
  };
}

const tasksSteps: FixSteps = (s) =>
  reviewTasks(s.windows?.tasks ?? [], s.windows?.taskCache ?? []).map(taskStep);

export const windowsScheduledTasks: AuditCheck = {
  id: 'windows-scheduled-tasks',
  area: 'scheduled-tasks',
  level: 'high',
  title: t('No suspicious scheduled task', '没有可疑的计划任务'),
  description: t(
    "Reviews the task files under System32\\Tasks and the registry's TaskCache (source §3.9). Fails on a task hidden from Task Scheduler (its TaskCache key has no SD) or marked hidden outside \\Microsoft\\, a SYSTEM task running a script host (PowerShell, cmd, wscript, mshta…), an encoded command (-EncodedCommand), or a program in a folder users can write to (Temp, Fonts, ProgramData, a profile). These are how the source's miners come back after a reboot.",
    '审查 System32\\Tasks 下的任务文件和注册表 TaskCache（来源 §3.9）。以下情况判为不通过：对任务计划程序隐藏的任务（TaskCache 键缺少 SD），或位于 \\Microsoft\\ 之外且标记为隐藏的任务；以 SYSTEM 身份运行脚本宿主（PowerShell、cmd、wscript、mshta 等）的任务；带编码命令（-EncodedCommand）的任务；程序位于用户可写目录（Temp、Fonts、ProgramData、用户目录）的任务。来源中的挖矿木马正是借此在重启后重新运行。',
  ),
  fix: {
    command: "Unregister-ScheduledTask -TaskPath '\\' -TaskName 'NAME' -Confirm:$false",
    text: t(
      "Check each task named in the result (Get-ScheduledTask, its XML under C:\\Windows\\System32\\Tasks), then unregister the ones that are not yours; a hidden task's TaskCache keys are removed as SYSTEM. `minehunter scan --root` tells what the task runs.",
      '逐一核查结果中列出的任务（Get-ScheduledTask，以及 C:\\Windows\\System32\\Tasks 下的 XML），注销不是自己创建的任务；隐藏任务的 TaskCache 键需以 SYSTEM 身份删除。`minehunter scan --root` 可显示任务运行的内容。',
    ),
  },
  tags: ['windows', 'scheduled-tasks', 'source-3.9'],
  needs: ['windows'],
  run(s) {
    const tasks = s.windows?.tasks;
    const cache = s.windows?.taskCache;
    if (tasks === undefined && cache === undefined)
      return unknown('The scheduled tasks were not collected.', '未采集计划任务。');
    const review = reviewTasks(tasks ?? [], cache ?? []);
    const ev = review.map((r) => fact(r.where, `${r.path}: ${r.reasons.join(', ')}`));
    const total = (tasks ?? []).length;
    if (review.length)
      return fail(
        `Suspicious tasks: ${listSome(
          review.map((r) => `${r.path} (${r.reasons.join(', ')})`),
          5,
        )}.`,
        `可疑的计划任务：${listSome(
          review.map((r) => `${r.path}（${r.reasons.join('、')}）`),
          5,
        )}。`,
        ev,
        fixCommandOf(tasksSteps(s)),
      );
    return pass(
      `${total} task file(s) reviewed; none suspicious.`,
      `已审查 ${total} 个任务文件，均无可疑。`,
      ev,
    );
  },
};

export const windowsSystemChecks: AuditCheck[] = [
  windowsUpdatePolicy,
  windowsPatchAge,
  windowsRdpNla,
  windowsAutologonPassword,
  windowsScheduledTasks,
];

export const windowsSystemFixes: Record<string, FixSteps> = {
  'windows-update-policy': updatePolicySteps,
  'windows-patch-age': patchAgeSteps,
  'windows-rdp-nla': rdpSteps,
  'windows-autologon-password': autologonSteps,
  'windows-scheduled-tasks': tasksSteps,
};
