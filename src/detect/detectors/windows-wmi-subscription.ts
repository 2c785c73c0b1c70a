// Detector: WMI permanent event subscriptions of a Windows volume (source §4.2, fileless miners): a
// CommandLineEventConsumer or ActiveScriptEventConsumer runs a command or script whenever its
// filter's event fires, with no file in any autostart place. The stock "SCM Event Log Consumer"
// (an NTEventLogEventConsumer) and other logging consumers are left alone.
import type { Ruleset } from '../../iocs/types.js';
import type { Level } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { WmiSubscription } from '../../snapshot/windows.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';
import {
  bySeverity,
  commandSignals,
  objectEvidence,
  raise,
  signalList,
  signalsKind,
  wmiRemoval,
  wmiSubject,
  type CommandSignal,
} from '../windows.js';

const RUNS_CODE = new Set(['CommandLineEventConsumer', 'ActiveScriptEventConsumer']);

function clip(text: string, max = 400): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What the consumer runs: its command line, or its script (inline or the file it names). */
function consumerText(sub: WmiSubscription): string {
  const c = sub.consumer;
  return c.commandLineTemplate ?? c.executablePath ?? c.scriptText ?? c.scriptFileName ?? '';
}

function subscriptionSignals(sub: WmiSubscription, ruleset: Ruleset): CommandSignal[] {
  const field = `WMI ${sub.consumer.class} ${sub.consumer.name}`;
  const judged = commandSignals(consumerText(sub), field, ruleset);
  const signals = [...judged.signals];
  const extra = (sub.decoded ?? []).filter((d) => !judged.decoded.includes(d.text));
  for (const d of extra.slice(0, 2))
    signals.push({
      level: 'high',
      kind: 'fileless',
      label: t('an encoded script', '编码的脚本'),
      evidence: objectEvidence(`${field} (decoded, ${d.how})`, clip(d.text), 'decoded by the WMI reader'),
    });
  return signals;
}

/** High for any consumer that runs code; critical with a decoded payload, a cradle or miner strings. */
function subscriptionLevel(sub: WmiSubscription, signals: CommandSignal[]): Level {
  const strong = signals.some(
    (s) =>
      s.level === 'critical' ||
      (s.level === 'high' && (s.kind === 'fileless' || s.kind === 'open-source-miner')),
  );
  const any = signals.some((s) => s.level !== 'low' && s.level !== 'info');
  if (strong) return 'critical';
  // Bound to a filter, it fires: a consumer that also carries a weaker signal is certain enough.
  return sub.bound && any ? raise('high') : 'high';
}

function subscriptionHit(sub: WmiSubscription, ruleset: Ruleset): Hit {
  const signals = bySeverity(subscriptionSignals(sub, ruleset));
  const c = sub.consumer;
  const kind = signalsKind(signals);
  return {
    subject: wmiSubject(c.name),
    level: subscriptionLevel(sub, signals),
    ...(kind === 'open-source-miner' ? { kind } : {}),
    messageId: sub.mayBeDeleted ? 'consumerMaybeDeleted' : 'consumer',
    data: {
      consumer: c.name,
      class: c.class,
      command: clip(consumerText(sub), 300),
      filter: sub.filter ? `${sub.filter.name}${sub.filter.query ? `: ${sub.filter.query}` : ''}` : '?',
      bound: sub.bound ? 'yes' : 'no',
      reasons:
        signals.length > 0 ? signalList(signals) : t('runs code on a WMI event', '在 WMI 事件发生时运行代码'),
      source: sub.file,
    },
    evidence: [
      objectEvidence(
        `WMI ${c.class} ${c.name}`,
        consumerText(sub),
        `${sub.source} ${sub.file}${sub.bound ? ', bound' : ''}`,
      ),
      ...(sub.filter ? [objectEvidence(`WMI __EventFilter ${sub.filter.name}`, sub.filter.query ?? '')] : []),
      ...signals.map((s) => s.evidence),
    ],
    remediate: wmiRemoval(sub),
    fingerprint: ['windows-wmi-subscription', c.class, c.name, consumerText(sub)],
  };
}

export const windowsWmiSubscription: Detector = {
  id: 'windows-wmi-subscription',
  kind: 'fileless',
  category: 'miner',
  level: 'high',
  title: t('WMI event subscription runs code', 'WMI 事件订阅运行代码'),
  description: t(
    'Reads the WMI permanent subscriptions of the volume (a byte scan of wbem\\Repository\\OBJECTS.DATA and the wbem\\AutoRecover .mof files): every CommandLineEventConsumer and ActiveScriptEventConsumer runs a command or script whenever its event filter fires, with nothing in any autostart place — the fileless miner\'s favourite loader — and is high; critical when its command or script carries an encoded PowerShell payload (decoded and shown), a download cradle or LOLBin download, or miner arguments, pools or wallets; a consumer bound to its filter that carries any other medium signal is critical too. The consumer, its filter\'s query and the binding are named in the evidence. Logging consumers (the stock "SCM Event Log Consumer", an NTEventLogEventConsumer) are not reported. OBJECTS.DATA is scanned byte by byte, so a record may be a deleted one still in the file: the message says so.',
    '读取卷中的 WMI 永久订阅（对 wbem\\Repository\\OBJECTS.DATA 的字节扫描以及 wbem\\AutoRecover 下的 .mof 文件）：每个 CommandLineEventConsumer 和 ActiveScriptEventConsumer 都会在其事件筛选器触发时运行命令或脚本，而任何自启动位置都看不到它——这是无文件挖矿最常用的加载方式——为高危；其命令或脚本带有编码的 PowerShell 载荷（解码后展示）、下载执行或 LOLBin 下载、挖矿参数、矿池或钱包时为严重；已与筛选器绑定且带有其他中危信号的消费者同样为严重。证据中给出消费者、其筛选器查询和绑定。日志类消费者（系统自带的 "SCM Event Log Consumer"，即 NTEventLogEventConsumer）不会被报告。OBJECTS.DATA 是按字节扫描的，记录可能是仍留在文件中的已删除记录：消息中会注明。',
  ),
  tags: ['attack.t1546.003', 'attack.t1059.001', 'attack.t1496'],
  needs: ['windows-wmi'],
  verify: t(
    'On the Windows host: `Get-CimInstance -Namespace root\\subscription -ClassName __EventConsumer`, `Get-CimInstance -Namespace root\\subscription -ClassName __EventFilter` and `Get-CimInstance -Namespace root\\subscription -ClassName __FilterToConsumerBinding` list the subscription; Sysinternals Autoruns shows it on its WMI tab. Offline: python-cim or PyWMIPersistenceFinder on the copied wbem\\Repository.',
    '在 Windows 主机上：`Get-CimInstance -Namespace root\\subscription -ClassName __EventConsumer`、`Get-CimInstance -Namespace root\\subscription -ClassName __EventFilter` 和 `Get-CimInstance -Namespace root\\subscription -ClassName __FilterToConsumerBinding` 列出该订阅；Sysinternals Autoruns 的 WMI 页也会显示。离线时：对复制出的 wbem\\Repository 使用 python-cim 或 PyWMIPersistenceFinder。',
  ),
  remediation: t(
    'On the host, as an administrator: remove the binding, then the consumer and its filter with `Get-CimInstance -Namespace root\\subscription … | Remove-CimInstance` (the plan gives each command), then look for what the command downloaded or started. minehunter never edits the WMI repository of a mounted volume.',
    '在主机上以管理员身份：先删除绑定，再删除消费者及其筛选器，命令为 `Get-CimInstance -Namespace root\\subscription … | Remove-CimInstance`（处置计划会给出每条命令），然后查找该命令下载或启动的内容。minehunter 绝不修改挂载卷上的 WMI 存储库。',
  ),
  messages: {
    consumer: t(
      'WMI {class} {consumer} runs {command} on filter {filter} (bound: {bound}): {reasons}',
      'WMI {class} {consumer} 在筛选器 {filter} 触发时运行 {command}（已绑定：{bound}）：{reasons}',
    ),
    consumerMaybeDeleted: t(
      'WMI {class} {consumer} runs {command} on filter {filter} (bound: {bound}; read from {source}, it may be a deleted record): {reasons}',
      'WMI {class} {consumer} 在筛选器 {filter} 触发时运行 {command}（已绑定：{bound}；读自 {source}，可能是已删除的记录）：{reasons}',
    ),
  },
  detect(snapshot: Snapshot, ruleset: Ruleset) {
    return (snapshot.windows?.wmi ?? [])
      .filter((s) => RUNS_CODE.has(s.consumer.class))
      .map((s) => subscriptionHit(s, ruleset));
  },
};
