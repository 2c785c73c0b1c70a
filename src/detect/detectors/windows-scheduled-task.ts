// Detector: scheduled tasks of a Windows volume (source §4.3): a task XML whose action runs an
// encoded PowerShell payload (decoded and shown), a download cradle, a LOLBin, a program in an odd
// place or under a look-alike name, or miner arguments; and tasks the registry's TaskCache knows but
// the Task Scheduler cannot show (no SD: hidden) or that have no XML file.
import type { Ruleset } from '../../iocs/types.js';
import type { Action, Level } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { ScheduledTask, TaskCacheEntry } from '../../snapshot/windows.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';
import {
  bySeverity,
  commandSignals,
  counted,
  fileActions,
  hiddenTaskRemoval,
  imageEvidence,
  objectEvidence,
  objectSubject,
  plantedFile,
  raise,
  signalList,
  signalsKind,
  signalsLevel,
  strongest,
  taskRemoval,
  taskSubject,
  type CommandSignal,
} from '../windows.js';

type TaskAction = ScheduledTask['actions'][number];

const SYSTEM_ACCOUNT = /^(?:s-1-5-18|system|nt authority\\system|localsystem)$/i;

function clip(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function actionText(a: TaskAction): string {
  return [a.command ?? '', a.arguments ?? ''].filter((x) => x !== '').join(' ');
}

/** The action's signals, with the collector's decoded scripts shown as evidence when it decoded more. */
function actionSignals(task: ScheduledTask, a: TaskAction, ruleset: Ruleset): CommandSignal[] {
  const field = `task ${task.path} Exec`;
  const { signals, decoded } = commandSignals(actionText(a), field, ruleset);
  const extra = (a.decoded ?? []).filter((d) => !decoded.includes(d.text));
  for (const d of extra.slice(0, 2))
    signals.push({
      level: 'high',
      kind: 'fileless',
      label: t('an encoded script', '编码的脚本'),
      evidence: objectEvidence(`${field} (decoded, ${d.how})`, clip(d.text), 'decoded by the task reader'),
    });
  return signals;
}

/** Hidden, or run as SYSTEM at boot: what makes an already suspicious task worse. */
function aggravations(task: ScheduledTask): string[] {
  const out: string[] = [];
  if (task.hidden) out.push('hidden');
  const boot = task.triggers.some((x) => x.kind === 'boot' || x.kind === 'logon');
  if (boot && task.userId !== undefined && SYSTEM_ACCOUNT.test(task.userId)) out.push('SYSTEM at boot');
  return out;
}

function taskHit(task: ScheduledTask, a: TaskAction, signals: CommandSignal[], level: Level): Hit {
  const file = plantedFile(a.image);
  const kind = signalsKind(signals);
  const worse = aggravations(task);
  return {
    subject: objectSubject(a.image, taskSubject(task.path)),
    level: worse.length > 0 ? raise(level) : level,
    ...(kind ? { kind } : {}),
    messageId: 'taskRuns',
    data: {
      task: task.path,
      command: actionText(a),
      reasons: signalList(bySeverity(signals)),
      file: task.file,
      ...(task.userId ? { account: task.userId } : {}),
      ...(worse.length > 0 ? { aggravated: worse.join(', ') } : {}),
      ...(task.author ? { author: task.author } : {}),
      triggers: task.triggers.map((x) => x.kind).join(', '),
    },
    evidence: [
      objectEvidence(`task ${task.path}`, task.file, worse.length > 0 ? worse.join(', ') : undefined),
      ...signals.map((x) => x.evidence),
      ...imageEvidence(a.image),
    ],
    remediate: [taskRemoval(task.path), ...(file ? fileActions(file) : [])],
    fingerprint: ['windows-scheduled-task', task.path.toLowerCase(), actionText(a)],
  };
}

function xmlTaskHits(snapshot: Snapshot, ruleset: Ruleset): Hit[] {
  const hits: Hit[] = [];
  for (const task of snapshot.windows?.tasks ?? []) {
    for (const a of task.actions) {
      if (a.type !== 'exec') continue;
      const signals = counted(actionSignals(task, a, ruleset));
      const level = signalsLevel(signals);
      if (level && level !== 'info') hits.push(taskHit(task, a, signals, level));
    }
  }
  return hits;
}

function cacheHit(entry: TaskCacheEntry, ruleset: Ruleset): Hit | undefined {
  if (!entry.sdMissing && entry.xmlExists) return undefined;
  const judged = (entry.actions ?? []).flatMap(
    (c) => commandSignals(c, `TaskCache ${entry.path} Actions`, ruleset).signals,
  );
  const own: Level = entry.sdMissing ? 'high' : 'medium';
  const level = strongest([...judged.map((x) => x.level), own]) ?? own;
  const kind = signalsKind(judged);
  const remediate: Action[] = [
    entry.sdMissing ? hiddenTaskRemoval(entry.path, entry.id) : taskRemoval(entry.path),
  ];
  return {
    subject: taskSubject(entry.path),
    level,
    ...(kind ? { kind } : {}),
    messageId: entry.sdMissing ? 'hiddenTask' : 'noXml',
    data: {
      task: entry.path,
      ...(entry.id ? { id: entry.id } : {}),
      actions: (entry.actions ?? []).join(' | ') || '?',
      ...(entry.lastWrite ? { lastWrite: entry.lastWrite } : {}),
    },
    evidence: [
      objectEvidence(
        `HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree${entry.path}`,
        entry.id ?? entry.path,
        entry.sdMissing ? 'Tree key without SD (hidden task)' : 'no task XML under System32\\Tasks',
      ),
      ...bySeverity(judged).map((x) => x.evidence),
    ],
    remediate,
    fingerprint: ['windows-task-cache', entry.path.toLowerCase(), entry.sdMissing ? 'hidden' : 'no-xml'],
  };
}

export const windowsScheduledTask: Detector = {
  id: 'windows-scheduled-task',
  category: 'persistence',
  level: 'high',
  title: t('Suspicious Windows scheduled task', '可疑的 Windows 计划任务'),
  description: t(
    "Reads every task XML under Windows\\System32\\Tasks (UTF-16 or UTF-8) and judges each Exec action's command and arguments: an encoded PowerShell payload (-EncodedCommand, FromBase64String; decoded and shown in the evidence) or a download cradle (high, kind fileless), a LOLBin fetching or running code (mshta, regsvr32 /i:http, certutil -urlcache, bitsadmin, rundll32 javascript:), a program in Temp, Fonts, Users\\Public or the Recycle Bin (high), a look-alike of a Windows binary (win1logon.exe) or a documented name (critical), miner arguments, pools or wallets (kind open-source-miner; critical when a decoded payload delivers them). A hidden task, or one run as SYSTEM at boot or logon, is one level worse. From the SOFTWARE hive's TaskCache: a task whose Tree key lost its SD value is hidden from schtasks and the Task Scheduler (high), and a task registered without an XML file is medium; the actions the cache holds are judged too. Microsoft's own tasks, which run programs from System32, give nothing.",
    '读取 Windows\\System32\\Tasks 下的每个任务 XML（UTF-16 或 UTF-8），判断每个 Exec 操作的命令和参数：编码的 PowerShell 载荷（-EncodedCommand、FromBase64String；解码后在证据中展示）或下载执行（高危，类型为无文件）、借用系统程序下载或执行代码（mshta、regsvr32 /i:http、certutil -urlcache、bitsadmin、rundll32 javascript:）、位于 Temp、Fonts、Users\\Public 或回收站的程序（高危）、仿冒 Windows 系统程序（win1logon.exe）或已知恶意名称（严重）、挖矿参数、矿池或钱包（类型为开源矿机；由解码后的载荷投递时为严重）。隐藏的任务，或在开机、登录时以 SYSTEM 身份运行的任务，级别提高一级。来自 SOFTWARE 配置单元的 TaskCache：Tree 键丢失 SD 值的任务对 schtasks 和任务计划程序不可见（高危），没有 XML 文件的已注册任务为中危；缓存中的操作同样会被判断。Microsoft 自带的任务从 System32 运行程序，不会被报告。',
  ),
  tags: ['attack.t1053.005', 'attack.t1059.001', 'attack.t1027', 'attack.t1564'],
  needs: ['windows-tasks'],
  verify: t(
    'On the Windows host: `schtasks /query /tn "<task path>" /v /fo list` and `Get-ScheduledTask -TaskPath <folder> -TaskName <name> | Select-Object -ExpandProperty Actions`; decode an -EncodedCommand with `[Text.Encoding]::Unicode.GetString([Convert]::FromBase64String(\'<payload>\'))` (never run it). A hidden task does not show there: `reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\<name>"` as SYSTEM shows its keys.',
    '在 Windows 主机上：`schtasks /query /tn "<任务路径>" /v /fo list` 和 `Get-ScheduledTask -TaskPath <文件夹> -TaskName <名称> | Select-Object -ExpandProperty Actions`；用 `[Text.Encoding]::Unicode.GetString([Convert]::FromBase64String(\'<载荷>\'))` 解码 -EncodedCommand（切勿执行）。隐藏任务在这些命令中不可见：以 SYSTEM 身份执行 `reg query "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache\\Tree\\<名称>"` 查看其注册表键。',
  ),
  remediation: t(
    'On the host, as an administrator: `Unregister-ScheduledTask -TaskPath <folder> -TaskName <name> -Confirm:$false`; a hidden task is removed by deleting its TaskCache Tree and Tasks keys and its XML as SYSTEM. Stop and quarantine the program the task started. On a mounted volume `respond --apply` only quarantines that program; it never edits the hive.',
    '在主机上以管理员身份：`Unregister-ScheduledTask -TaskPath <文件夹> -TaskName <名称> -Confirm:$false`；隐藏任务需以 SYSTEM 身份删除其 TaskCache 中的 Tree 和 Tasks 键以及 XML 文件。结束并隔离该任务启动的程序。对挂载的卷，`respond --apply` 只隔离该程序，绝不修改注册表配置单元。',
  ),
  messages: {
    taskRuns: t(
      'Scheduled task {task} runs {command}: {reasons}',
      '计划任务 {task} 运行 {command}：{reasons}',
    ),
    hiddenTask: t(
      'Scheduled task {task} is hidden: its TaskCache Tree key has no SD value (actions: {actions})',
      '计划任务 {task} 被隐藏：其 TaskCache Tree 键没有 SD 值（操作：{actions}）',
    ),
    noXml: t(
      'Scheduled task {task} is registered in the TaskCache without a task file (actions: {actions})',
      '计划任务 {task} 在 TaskCache 中注册，但没有任务文件（操作：{actions}）',
    ),
  },
  detect(snapshot, ruleset) {
    const cached = (snapshot.windows?.taskCache ?? []).map((e) => cacheHit(e, ruleset));
    return [...xmlTaskHits(snapshot, ruleset), ...cached.filter((h): h is Hit => h !== undefined)];
  },
};
