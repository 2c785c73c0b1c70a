// The user-facing strings of the report and CLI in English and Simplified Chinese, and the choice of
// language from --lang or the locale. Detector texts live with their detectors; these are the frame.
// None quotes a dropper's one-liner (a download piped into a shell): a saved report must not match
// minehunter's own dropper rules.
import type { Lang, Level, Localized, MinerKind } from '../model/finding.js';
import type { RunningProcess } from '../classify/verdict.js';
import type { Target } from '../snapshot/schema.js';

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

export const messages = {
  scanTitle: {
    en: 'minehunter {version}: scan of {host}',
    'zh-CN': 'minehunter {version}：{host} 的扫描结果',
  },
  scannedAt: {
    en: 'Collected {time} · kernel {kernel} · {distro}',
    'zh-CN': '采集时间 {time} · 内核 {kernel} · {distro}',
  },
  'scope.live': { en: 'Scope: this host (live)', 'zh-CN': '范围：本机（正在运行的系统）' },
  'scope.offline': { en: 'Scope: offline root {root}', 'zh-CN': '范围：离线根目录 {root}' },
  'scope.image': { en: 'Scope: container images in {root}', 'zh-CN': '范围：{root} 中的容器镜像' },
  'scope.paths': {
    en: "Scope: paths {paths} (this host's processes were not scanned; add --host to include them)",
    'zh-CN': '范围：路径 {paths}（未扫描本机的进程；加上 --host 可一并扫描）',
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
  playbookFor: { en: 'What to do, in order: {kind}', 'zh-CN': '处置步骤（按顺序）：{kind}' },
  'running.title': { en: 'What is running now', 'zh-CN': '正在运行' },
  'running.pid': { en: 'PID {pid}', 'zh-CN': '进程 {pid}' },
  'running.user': { en: 'user {user}', 'zh-CN': '用户 {user}' },
  'running.cpu': { en: 'CPU {cpu}%', 'zh-CN': 'CPU {cpu}%' },
  'running.pool': { en: 'pool {value}', 'zh-CN': '矿池 {value}' },
  'running.pools': { en: 'pools {value}', 'zh-CN': '矿池 {value}' },
  'running.wallet': { en: 'wallet {value}', 'zh-CN': '钱包 {value}' },
  'running.wallets': { en: 'wallets {value}', 'zh-CN': '钱包 {value}' },
  'running.more': {
    en: '… and {count} more running: see the findings below',
    'zh-CN': '……另有 {count} 个正在运行，见下方检测结果',
  },
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
    en: 'Clear the immutable/append-only attributes of {path} (with chattr)',
    'zh-CN': '清除 {path} 的不可修改/仅追加属性（使用 chattr）',
  },
  'action.remove-line': {
    en: 'Remove one line from {path}: {line}',
    'zh-CN': '从 {path} 中删除一行：{line}',
  },
  'evidence.process': { en: 'process', 'zh-CN': '进程' },
  'evidence.socket': { en: 'socket', 'zh-CN': '连接' },
  'evidence.file': { en: 'file', 'zh-CN': '文件' },
  'evidence.match': { en: 'match', 'zh-CN': '匹配' },
  'evidence.image': { en: 'image', 'zh-CN': '镜像' },
  'evidence.container': { en: 'container', 'zh-CN': '容器' },
  'evidence.layer': { en: 'layer', 'zh-CN': '层' },
  'evidence.step': { en: 'build step', 'zh-CN': '构建步骤' },
  'evidence.historyOnly': {
    en: 'only in the image history: deleted or replaced by layer {layer}',
    'zh-CN': '仅存在于镜像历史中：已被第 {layer} 层删除或替换',
  },
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

/** A list in running text: "a, b" in English, "a、b" in Chinese. */
export function listText(lang: Lang, items: string[]): string {
  return items.join(lang === 'zh-CN' ? '、' : ', ');
}

/**
 * The report's first line after its title: what was scanned. Plain text: the renderer escapes it
 * for its medium (the root and paths come from the command line).
 */
export function scopeText(lang: Lang, target: Target): string {
  if (target.scope === 'paths') {
    return t(lang, 'scope.paths', {
      paths: listText(lang, target.paths?.length ? target.paths : [target.root]),
    });
  }
  // An image archive is not a root directory: say what it is, so the report names it as such.
  if (target.kind === 'container-image') return t(lang, 'scope.image', { root: target.root });
  return target.live ? t(lang, 'scope.live') : t(lang, 'scope.offline', { root: target.root });
}

/** At most this many pools or wallets per process on the first screen; the findings have them all. */
const SHOWN = 2;

/**
 * One running miner process in one or two lines of plain text (the renderer escapes them): who runs
 * what and how hard, then the pools and wallets its evidence names.
 */
export function runningText(lang: Lang, p: RunningProcess): { head: string; detail?: string } {
  const exe = p.exe ?? p.comm;
  const head = [
    t(lang, 'running.pid', { pid: p.pid }),
    ...(p.user !== undefined ? [t(lang, 'running.user', { user: p.user })] : []),
    ...(p.cpuPercent !== undefined ? [t(lang, 'running.cpu', { cpu: p.cpuPercent.toFixed(0) })] : []),
    `${exe}${p.exeDeleted ? ` (${t(lang, 'deleted')})` : ''}`,
  ].join(' · ');
  const some = (items: string[], one: MessageKey, many: MessageKey): string[] => {
    if (items.length === 0) return [];
    const shown = listText(lang, items.slice(0, SHOWN));
    const more = items.length > SHOWN ? ` (+${items.length - SHOWN})` : '';
    return [t(lang, items.length > 1 ? many : one, { value: shown + more })];
  };
  const detail = [
    ...some(p.pools, 'running.pool', 'running.pools'),
    ...some(p.wallets, 'running.wallet', 'running.wallets'),
  ].join(' · ');
  return detail ? { head, detail } : { head };
}
