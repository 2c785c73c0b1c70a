// The headings and labels of the fleet overview in both languages, for its HTML page and the CLI's
// summary line, so the two always say the same thing.
import type { Lang, Localized } from '../../model/finding.js';

export const FLEET_TEXTS = {
  title: { en: 'Fleet overview: mining trojans across hosts', 'zh-CN': '主机群概览：挖矿木马分布' },
  generated: {
    en: 'Generated {time} by minehunter {version} from {reports} reports of {hosts} hosts',
    'zh-CN': '由 minehunter {version} 于 {time} 根据 {hosts} 台主机的 {reports} 份报告生成',
  },
  skippedNote: {
    en: '{count} files could not be read and are left out (listed at the end).',
    'zh-CN': '有 {count} 个文件无法读取，未计入（列在页末）。',
  },
  totals: { en: 'Hosts by verdict', 'zh-CN': '按结论统计主机' },
  chart: { en: 'Infected and suspicious hosts by kind', 'zh-CN': '按类型统计的已感染和可疑主机' },
  chartEmpty: { en: 'No host is infected or suspicious.', 'zh-CN': '没有已感染或可疑的主机。' },
  'status.infected': { en: 'infected', 'zh-CN': '已感染' },
  'status.suspicious': { en: 'suspicious', 'zh-CN': '可疑' },
  'status.incomplete': { en: 'incomplete', 'zh-CN': '扫描不完整' },
  'status.clean': { en: 'clean', 'zh-CN': '未发现威胁' },
  hosts: { en: 'Hosts', 'zh-CN': '主机' },
  host: { en: 'Host', 'zh-CN': '主机' },
  status: { en: 'Verdict', 'zh-CN': '结论' },
  kinds: { en: 'Kinds', 'zh-CN': '类型' },
  findings: { en: 'Findings', 'zh-CN': '发现' },
  running: { en: 'Running miners', 'zh-CN': '运行中的挖矿进程' },
  firstSeen: { en: 'First seen', 'zh-CN': '首次发现' },
  lastSeen: { en: 'Last seen', 'zh-CN': '最近一次' },
  reports: { en: 'Reports', 'zh-CN': '报告数' },
  earlier: { en: 'earlier: {list}', 'zh-CN': '此前：{list}' },
  all: { en: 'all', 'zh-CN': '全部' },
  filterHost: { en: 'Host, pool, wallet or hash contains', 'zh-CN': '主机、矿池、钱包或哈希包含' },
  shownCount: { en: '{shown} of {total} hosts shown', 'zh-CN': '显示 {shown} / {total} 台主机' },
  sortHint: { en: 'Click a column heading to sort.', 'zh-CN': '点击列标题排序。' },
  shared: { en: 'The same miner on several hosts', 'zh-CN': '出现在多台主机上的同一挖矿程序' },
  sharedNone: {
    en: 'No file hash, wallet or pool is shared by two hosts.',
    'zh-CN': '没有任何文件哈希、钱包或矿池同时出现在两台主机上。',
  },
  sharedOnOne: {
    en: '{count} more indicators are seen on one host only (in the CSV and JSON outputs).',
    'zh-CN': '另有 {count} 个特征只出现在一台主机上（见 CSV 和 JSON 输出）。',
  },
  sharedShown: {
    en: 'The {shown} indicators on most hosts are listed; all {total} are in the CSV and JSON outputs.',
    'zh-CN': '列出涉及主机最多的 {shown} 个特征；全部 {total} 个见 CSV 和 JSON 输出。',
  },
  by: { en: 'By', 'zh-CN': '依据' },
  value: { en: 'Value', 'zh-CN': '值' },
  hostCount: { en: 'Hosts', 'zh-CN': '主机数' },
  seenAs: { en: 'Seen as', 'zh-CN': '出现位置' },
  hostList: { en: 'Which hosts', 'zh-CN': '涉及主机' },
  'type.sha256': { en: 'file sha256', 'zh-CN': '文件 sha256' },
  'type.wallet': { en: 'wallet', 'zh-CN': '钱包地址' },
  'type.pool': { en: 'pool', 'zh-CN': '矿池' },
  skipped: { en: 'Files left out', 'zh-CN': '未计入的文件' },
  file: { en: 'File', 'zh-CN': '文件' },
  why: { en: 'Why', 'zh-CN': '原因' },
  summaryLine: {
    en: '{reports} reports of {hosts} hosts: {infected} infected, {suspicious} suspicious, {incomplete} incomplete, {clean} clean; {shared} indicators shared by several hosts',
    'zh-CN':
      '{hosts} 台主机的 {reports} 份报告：已感染 {infected}，可疑 {suspicious}，扫描不完整 {incomplete}，未发现威胁 {clean}；{shared} 个特征出现在多台主机上',
  },
  skippedFile: { en: 'skipped {file}: {reason}', 'zh-CN': '已跳过 {file}：{reason}' },
  skippedCount: {
    en: '{count} of {total} files skipped; the overview is made of the others',
    'zh-CN': '{total} 个文件中有 {count} 个被跳过；概览由其余文件生成',
  },
  wrote: { en: 'wrote {what}: {file}', 'zh-CN': '已写入{what}：{file}' },
} satisfies Record<string, Localized>;

export type FleetTextKey = keyof typeof FLEET_TEXTS;

export function ft(lang: Lang, key: FleetTextKey, params: Record<string, string | number> = {}): string {
  return FLEET_TEXTS[key][lang].replace(/\{(\w+)\}/g, (w, n: string) =>
    n in params ? String(params[n]) : w,
  );
}
