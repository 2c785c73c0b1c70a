// The user-facing strings of the report and CLI in English and Simplified Chinese, and the choice of
// language from --lang or the locale. Detector texts live with their detectors; these are the frame.
import type { Lang, Level, Localized, MinerKind } from '../model/finding.js';

/** --lang wins; otherwise the POSIX locale variables in their order of precedence. */
export function detectLang(env: NodeJS.ProcessEnv = process.env): Lang {
  for (const name of ['LC_ALL', 'LC_MESSAGES', 'LANG', 'LANGUAGE'] as const) {
    const value = env[name];
    if (value) return /^zh/i.test(value) ? 'zh-CN' : 'en';
  }
  return 'en';
}

export function parseLang(value: string): Lang | undefined {
  const v = value.toLowerCase();
  if (v === 'en' || v.startsWith('en-') || v.startsWith('en_')) return 'en';
  if (v === 'zh' || v === 'zh-cn' || v === 'zh_cn' || v === 'zh-hans') return 'zh-CN';
  return undefined;
}

const messages = {
  scanTitle: {
    en: 'minehunter {version}: scan of {host}',
    'zh-CN': 'minehunter {version}：{host} 的扫描结果',
  },
  scannedAt: {
    en: 'Collected {time} · kernel {kernel} · {distro}',
    'zh-CN': '采集时间 {time} · 内核 {kernel} · {distro}',
  },
  verdict: { en: 'Verdict', 'zh-CN': '结论' },
  'status.infected': { en: 'INFECTED', 'zh-CN': '已感染' },
  'status.suspicious': { en: 'SUSPICIOUS', 'zh-CN': '可疑' },
  'status.clean': { en: 'CLEAN', 'zh-CN': '未发现威胁' },
  'status.incomplete': {
    en: 'NOTHING FOUND, BUT THE SCAN WAS INCOMPLETE',
    'zh-CN': '未发现威胁，但扫描不完整',
  },
  confidence: { en: 'confidence {value}', 'zh-CN': '置信度 {value}' },
  'confidence.high': { en: 'high', 'zh-CN': '高' },
  'confidence.medium': { en: 'medium', 'zh-CN': '中' },
  'confidence.low': { en: 'low', 'zh-CN': '低' },
  noFindings: { en: 'No findings.', 'zh-CN': '没有发现。' },
  evidenceChain: { en: 'Evidence chain', 'zh-CN': '证据链' },
  playbook: { en: 'What to do, in order', 'zh-CN': '处置步骤（按顺序）' },
  evidence: { en: 'Evidence', 'zh-CN': '证据' },
  signals: { en: 'Signals', 'zh-CN': '关联信号' },
  verify: { en: 'Verify by hand', 'zh-CN': '人工核实' },
  remediate: { en: 'What to do', 'zh-CN': '处置建议' },
  fingerprint: { en: 'Fingerprint', 'zh-CN': '指纹' },
  allowedSection: { en: 'Allowed by your allowlist', 'zh-CN': '已被白名单放行' },
  allowedBy: { en: 'allowed by {by} {value} ({source})', 'zh-CN': '已放行：{by} {value}（{source}）' },
  skippedSection: { en: 'Detectors skipped (input not collected)', 'zh-CN': '跳过的检测项（输入未采集）' },
  notCollectedSection: { en: 'Not collected', 'zh-CN': '未能采集' },
  collectionProblems: { en: 'Collection problems', 'zh-CN': '采集问题' },
  summary: { en: 'Summary', 'zh-CN': '汇总' },
  allowedCount: { en: 'allowed', 'zh-CN': '已放行' },
  'action.kill-process-tree': {
    en: 'Stop process tree {pid} (freeze with SIGSTOP, then kill, children included)',
    'zh-CN': '终止进程树 {pid}（先 SIGSTOP 冻结，再结束，包括子进程）',
  },
  'action.quarantine-file': {
    en: 'Quarantine {path} (copy to the evidence archive, then remove)',
    'zh-CN': '隔离 {path}（先复制到证据压缩包，再删除）',
  },
  'action.block-address': {
    en: 'Block outbound traffic to {address}',
    'zh-CN': '阻断到 {address} 的出站连接',
  },
  'action.remove-cron-line': {
    en: 'Remove one line from {path}: {line}',
    'zh-CN': '从 {path} 中删除一行：{line}',
  },
  'action.disable-unit': {
    en: 'Disable systemd unit {unit} and quarantine {path}',
    'zh-CN': '禁用 systemd 单元 {unit} 并隔离 {path}',
  },
  'action.remove-authorized-key': {
    en: 'Remove one key from {path}: {line}',
    'zh-CN': '从 {path} 中删除一个公钥：{line}',
  },
  'action.restore-ld-preload': {
    en: 'Take {libs} out of {path}',
    'zh-CN': '从 {path} 中移除 {libs}',
  },
  'action.clear-immutable': {
    en: 'Clear the immutable/append-only attributes of {path} (chattr -i -a)',
    'zh-CN': '清除 {path} 的不可修改/仅追加属性（chattr -i -a）',
  },
  'action.remove-line': {
    en: 'Remove one line from {path}: {line}',
    'zh-CN': '从 {path} 中删除一行：{line}',
  },
  'evidence.process': { en: 'process', 'zh-CN': '进程' },
  'evidence.socket': { en: 'socket', 'zh-CN': '连接' },
  'evidence.file': { en: 'file', 'zh-CN': '文件' },
  'evidence.match': { en: 'match', 'zh-CN': '匹配' },
  deleted: { en: 'deleted', 'zh-CN': '已删除' },
  'level.critical': { en: 'CRITICAL', 'zh-CN': '严重' },
  'level.high': { en: 'HIGH', 'zh-CN': '高危' },
  'level.medium': { en: 'MEDIUM', 'zh-CN': '中危' },
  'level.low': { en: 'LOW', 'zh-CN': '低危' },
  'level.info': { en: 'INFO', 'zh-CN': '提示' },
  'kind.open-source-miner': { en: 'open-source miner', 'zh-CN': '开源矿机程序' },
  'kind.fileless': { en: 'fileless miner', 'zh-CN': '无文件挖矿' },
  'kind.hidden-directory': { en: 'directory-hiding miner', 'zh-CN': '隐藏目录挖矿' },
  'kind.web-script': { en: 'web-page script miner', 'zh-CN': '网页脚本挖矿' },
  'kind.driver': { en: 'driver miner', 'zh-CN': '驱动挖矿' },
  'kind.preload': { en: 'dynamic-linker preload miner', 'zh-CN': '动态链接库预加载挖矿' },
  'kind.container-image': { en: 'container-image miner', 'zh-CN': '容器镜像挖矿' },
  'progress.linux.processes': { en: 'reading processes…', 'zh-CN': '正在读取进程……' },
  'progress.linux.host': { en: 'reading host facts…', 'zh-CN': '正在读取主机信息……' },
  'progress.linux.hosts-file': { en: 'reading /etc/hosts…', 'zh-CN': '正在读取 /etc/hosts……' },
  'progress.linux.sockets': { en: 'reading sockets…', 'zh-CN': '正在读取网络连接……' },
  'progress.content.scan': {
    en: 'scanning file contents and process memory…',
    'zh-CN': '正在扫描文件内容和进程内存……',
  },
} satisfies Record<string, Localized>;

export type MessageKey = keyof typeof messages;

export function t(lang: Lang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return fill(messages[key][lang], params);
}

export function fill(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

export function levelName(lang: Lang, level: Level): string {
  return t(lang, `level.${level}`);
}

export function kindName(lang: Lang, kind: MinerKind): string {
  return t(lang, `kind.${kind}`);
}

/** Collector ids from collect/ as a progress line; an id without a message shows as itself. */
export function progressText(lang: Lang, collectorId: string): string {
  const key = `progress.${collectorId}`;
  return key in messages ? t(lang, key as MessageKey) : `${collectorId}…`;
}
