// The --help texts of every command and option, in English and Simplified Chinese, with examples
// that teach the common workflows.
import type { Lang, Localized } from '../model/finding.js';

const help = {
  program: {
    en: 'Find, classify and clean up cryptomining trojans on this machine or an offline copy of one.',
    'zh-CN': '发现、识别并清理本机（或离线磁盘副本）上的挖矿木马。',
  },
  programAfter: {
    en: `
Examples:
  minehunter scan                          scan this machine (run as root to see every process)
  minehunter scan --format json > r.json   the versioned JSON report, for scripts
  minehunter collect -o snap.json          save the facts on a suspect box...
  minehunter analyze snap.json             ...and analyse them on another machine
  minehunter scan --root /mnt/disk         scan a mounted disk or copied tree

Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage error, 3 internal error.`,
    'zh-CN': `
示例：
  minehunter scan                          扫描本机（以 root 运行才能看到全部进程）
  minehunter scan --format json > r.json   输出带版本号的 JSON 报告，便于脚本处理
  minehunter collect -o snap.json          在可疑主机上保存采集到的事实……
  minehunter analyze snap.json             ……在另一台机器上分析
  minehunter scan --root /mnt/disk         扫描挂载的磁盘或拷贝出的目录树

退出码：0 没有达到 --fail-on 级别的发现，1 有达到该级别的发现，2 用法错误，3 内部错误。`,
  },
  helpHint: { en: '(add --help for usage and examples)', 'zh-CN': '（加 --help 查看用法和示例）' },
  lang: {
    en: 'language of the output: en or zh-CN (default: from the locale)',
    'zh-CN': '输出语言：en 或 zh-CN（默认取自系统区域设置）',
  },
  noColor: {
    en: 'no colours (also: NO_COLOR=1; output that is not a terminal has none)',
    'zh-CN': '不使用颜色（也可设置 NO_COLOR=1；非终端输出自动无颜色）',
  },
  quiet: { en: 'no progress messages', 'zh-CN': '不显示进度信息' },
  scan: {
    en: 'collect facts from this machine (or --root) and report mining trojans',
    'zh-CN': '采集本机（或 --root 指定目录）的信息并报告挖矿木马',
  },
  scanAfter: {
    en: `
What it reads: every process in /proc (argv, exe, CPU use, loader variables, mapped libraries), the
sockets in /proc/net joined to their processes, /etc/hosts, and host facts. It changes nothing.
A part it cannot read is reported as "not collected", never as clean.

Examples:
  minehunter scan --lang zh-CN
  minehunter scan --fail-on medium         exit 1 when anything medium or worse is found
  minehunter scan --allow ./allow.yml      show sanctioned miners as allowed instead of alerting
  minehunter scan --path /var/www          report on this directory only (add --host for the host too)
  minehunter scan --format jsonl           one JSON line per finding and a summary line, for a log pipeline
  minehunter scan --format stix -o b.json  a STIX 2.1 bundle (also: ecs for Elastic, splunk-hec for Splunk)`,
    'zh-CN': `
读取内容：/proc 中的每个进程（命令行参数、可执行文件、CPU 占用、动态链接器环境变量、加载的库），
/proc/net 中的网络连接及其所属进程、/etc/hosts 以及主机信息。不做任何修改。
无法读取的部分会标为"未采集"，绝不当作干净。

示例：
  minehunter scan --lang en
  minehunter scan --fail-on medium         发现中危及以上时以退出码 1 结束
  minehunter scan --allow ./allow.yml      将获准运行的矿机标记为已放行而不告警
  minehunter scan --path /var/www          只报告此目录（加 --host 同时扫描本机）
  minehunter scan --format jsonl           每条发现输出一行 JSON，最后一行为汇总，供日志管道采集
  minehunter scan --format stix -o b.json  STIX 2.1 数据包（另有 ecs 供 Elastic、splunk-hec 供 Splunk）`,
  },
  collect: {
    en: 'collect a snapshot (facts only, JSON) for analysis elsewhere',
    'zh-CN': '采集快照（仅事实，JSON 格式）以便在别处分析',
  },
  collectAfter: {
    en: `
Example:
  minehunter collect -o /tmp/snap.json && minehunter analyze /tmp/snap.json`,
    'zh-CN': `
示例：
  minehunter collect -o /tmp/snap.json && minehunter analyze /tmp/snap.json`,
  },
  collectOutput: {
    en: 'write the snapshot to this file (default: standard output)',
    'zh-CN': '将快照写入此文件（默认：标准输出）',
  },
  analyze: {
    en: 'analyse a snapshot written by `minehunter collect` (on any machine)',
    'zh-CN': '分析由 `minehunter collect` 生成的快照（可在任意机器上）',
  },
  analyzeAfter: {
    en: `
The same detectors, IOC data and allowlist as scan: analysing a snapshot gives the findings a scan
would have given on the machine it came from.`,
    'zh-CN': `
与 scan 使用相同的检测器、IOC 数据和白名单：分析快照得到的结果与在原机器上扫描的结果一致。`,
  },
  snapshotArg: { en: 'snapshot JSON file', 'zh-CN': '快照 JSON 文件' },
  root: {
    en: 'treat this directory as / (a mounted disk, a copied tree); default: this machine',
    'zh-CN': '将此目录视为根目录（挂载的磁盘、拷贝的目录树）；默认：本机',
  },
  cpuWindow: { en: 'CPU sampling window in milliseconds', 'zh-CN': 'CPU 采样时长（毫秒）' },
  noHash: { en: 'do not compute sha256 of process executables', 'zh-CN': '不计算进程可执行文件的 sha256' },
  format: { en: 'output format', 'zh-CN': '输出格式' },
  reportFormat: {
    en: 'output format: text for a person, json the versioned report, jsonl one JSON object per finding and a summary line (for log pipelines)',
    'zh-CN':
      '输出格式：text 供人阅读，json 为带版本号的报告，jsonl 每条发现一行 JSON 对象，最后一行为汇总（供日志管道采集）',
  },
  exportFormat: {
    en: 'ecs Elastic Common Schema events (NDJSON), splunk-hec Splunk HTTP Event Collector events, stix a STIX 2.1 bundle',
    'zh-CN':
      'ecs 为 Elastic 通用模式（ECS）事件（NDJSON），splunk-hec 为 Splunk HEC 事件，stix 为 STIX 2.1 数据包',
  },
  failOn: {
    en: 'exit with 1 when a finding (not allowed) is at or above this level',
    'zh-CN': '存在达到此级别（且未被放行）的发现时以退出码 1 结束',
  },
  allow: {
    en: 'allowlist file (YAML; repeatable); the per-user default ~/.config/minehunter/allow.yml is read too',
    'zh-CN': '白名单文件（YAML，可多次指定）；同时读取用户默认文件 ~/.config/minehunter/allow.yml',
  },
  noDefaultAllow: { en: 'ignore the per-user default allowlist', 'zh-CN': '忽略用户默认白名单' },
  iocs: {
    en: 'extra IOC directory loaded beside the bundled one (repeatable)',
    'zh-CN': '额外的 IOC 目录，与内置目录一同加载（可多次指定）',
  },
  output: {
    en: 'write the report to this file instead of standard output',
    'zh-CN': '将报告写入此文件而非标准输出',
  },
} satisfies Record<string, Localized>;

export type HelpKey = keyof typeof help;

export function helpText(lang: Lang, key: HelpKey): string {
  return help[key][lang];
}
