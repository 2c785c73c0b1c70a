// The headings and labels of the §5 incident report in both languages, shared by the Markdown, HTML
// and PDF renderers so the three always say the same thing.
import type { Lang, Localized } from '../model/finding.js';

export const INCIDENT_TEXTS = {
  title: { en: 'Mining trojan incident report', 'zh-CN': '挖矿木马安全事件报告' },
  generated: {
    en: 'Generated {time} by minehunter {version}',
    'zh-CN': '由 minehunter {version} 于 {time} 生成',
  },
  s1: { en: '1. Reporting organisation', 'zh-CN': '一、报告单位信息' },
  s2: { en: '2. Time, location and related IP addresses', 'zh-CN': '二、事件时间、地点及相关 IP 地址' },
  s3: { en: '3. Symptoms', 'zh-CN': '三、事件现象描述' },
  s4: { en: '4. Systems and assets involved, and estimated loss', 'zh-CN': '四、涉及的系统和资产及损失估算' },
  s5: { en: '5. Attachments: screenshots and logs', 'zh-CN': '五、附件：截图与日志' },
  s6: { en: '6. Malware samples', 'zh-CN': '六、恶意样本' },
  verdict: { en: 'Verdict', 'zh-CN': '判定结论' },
  timeline: { en: 'Timeline', 'zh-CN': '时间线' },
  processes: { en: 'Miner processes', 'zh-CN': '挖矿进程' },
  orgName: { en: 'Organisation', 'zh-CN': '单位名称' },
  address: { en: 'Address', 'zh-CN': '地址' },
  contact: { en: 'Contact person', 'zh-CN': '联系人' },
  phone: { en: 'Phone', 'zh-CN': '电话' },
  email: { en: 'E-mail', 'zh-CN': '电子邮箱' },
  reportedTime: { en: 'Time reported', 'zh-CN': '发现时间（报告人填写）' },
  firstSeen: { en: 'First seen running', 'zh-CN': '最早运行时间' },
  detectedAt: { en: 'Detected', 'zh-CN': '检出时间' },
  location: { en: 'Physical location', 'zh-CN': '物理位置' },
  hostname: { en: 'Host', 'zh-CN': '主机名' },
  hostAddresses: { en: 'Host addresses', 'zh-CN': '主机 IP 地址' },
  relatedIps: { en: 'Related IP addresses', 'zh-CN': '相关 IP 地址' },
  reported: { en: 'As reported', 'zh-CN': '报告人描述' },
  observed: { en: 'Observed by minehunter', 'zh-CN': 'minehunter 观察到的现象' },
  systems: { en: 'Systems and assets', 'zh-CN': '涉及的系统和资产' },
  hostFacts: { en: 'This host', 'zh-CN': '本主机' },
  loss: { en: 'Loss estimate', 'zh-CN': '损失估算' },
  formula: { en: 'Formula', 'zh-CN': '计算公式' },
  formulaText: {
    en: 'stolen CPU core-hours × watts per core ÷ 1000 × price per kWh + your own figures',
    'zh-CN': '被盗用的 CPU 核时 × 每核功耗（瓦）÷ 1000 × 电价（每千瓦时）+ 自行填写的其他损失',
  },
  coreHours: { en: 'CPU core-hours', 'zh-CN': 'CPU 核时' },
  wattsPerCore: { en: 'Watts per core', 'zh-CN': '每核功耗（瓦）' },
  pricePerKwh: { en: 'Price per kWh', 'zh-CN': '电价（每千瓦时）' },
  energy: { en: 'Energy', 'zh-CN': '耗电量' },
  energyCost: { en: 'Electricity cost', 'zh-CN': '电费' },
  otherItems: { en: 'Other losses', 'zh-CN': '其他损失' },
  total: { en: 'Total', 'zh-CN': '合计' },
  defaultMark: { en: '(default)', 'zh-CN': '（默认值）' },
  cpuSource: {
    en: 'CPU time source: {source}',
    'zh-CN': 'CPU 时间来源：{source}',
  },
  archive: { en: 'Archive', 'zh-CN': '压缩包' },
  password: { en: 'Password', 'zh-CN': '解压密码' },
  noSamples: {
    en: 'No sample archive yet: run `minehunter respond --apply` or `minehunter evidence`.',
    'zh-CN': '尚无样本压缩包：请运行 `minehunter respond --apply` 或 `minehunter evidence`。',
  },
  noAttachments: { en: 'None listed.', 'zh-CN': '未列出。' },
  missing: { en: '(to be filled in)', 'zh-CN': '（待填写）' },
  none: { en: 'none', 'zh-CN': '无' },
  status: { en: 'Status', 'zh-CN': '状态' },
  pid: { en: 'PID', 'zh-CN': '进程号' },
  user: { en: 'User', 'zh-CN': '用户' },
  started: { en: 'Started', 'zh-CN': '启动时间' },
  cpuSeconds: { en: 'CPU seconds', 'zh-CN': 'CPU 秒数' },
  commandLine: { en: 'Command line', 'zh-CN': '命令行' },
  time: { en: 'Time', 'zh-CN': '时间' },
  event: { en: 'Event', 'zh-CN': '事件' },
  file: { en: 'File', 'zh-CN': '文件' },
  note: { en: 'Note', 'zh-CN': '说明' },
  images: { en: 'Container images', 'zh-CN': '容器镜像' },
  layer: { en: 'layer', 'zh-CN': '层' },
  buildStep: { en: 'build step', 'zh-CN': '构建步骤' },
  historyOnly: {
    en: 'only in the image history (removed or replaced by layer {layer})',
    'zh-CN': '仅存在于镜像历史中（被第 {layer} 层删除或替换）',
  },
  container: { en: 'Container', 'zh-CN': '容器' },
} satisfies Record<string, Localized>;

export type IncidentTextKey = keyof typeof INCIDENT_TEXTS;

export function it18n(
  lang: Lang,
  key: IncidentTextKey,
  params: Record<string, string | number> = {},
): string {
  return INCIDENT_TEXTS[key][lang].replace(/\{(\w+)\}/g, (w, n: string) =>
    n in params ? String(params[n]) : w,
  );
}
