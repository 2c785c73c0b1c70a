// The user-facing strings of the report and CLI in English and Simplified Chinese, and the choice of
// language from --lang or the locale. Detector texts live with their detectors; these are the frame.
// None quotes a dropper's one-liner (a download piped into a shell): a saved report must not match
// minehunter's own dropper rules.
import type { Lang, Level, Localized, MinerKind } from '../model/finding.js';
import type { RunningProcess } from '../classify/verdict.js';
import { isPolicySkip } from '../model/skip-policy.js';
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
  /** A target with no kernel of its own to name (a Windows volume, live web pages). */
  scannedAtSystem: { en: 'Collected {time} · {distro}', 'zh-CN': '采集时间 {time} · {distro}' },
  scannedAtOnly: { en: 'Collected {time}', 'zh-CN': '采集时间 {time}' },
  'scope.windows': {
    en: 'Scope: Windows volume {root} (read offline: registry, tasks, WMI, files)',
    'zh-CN': '范围：Windows 卷 {root}（离线读取：注册表、计划任务、WMI、文件）',
  },
  'limit.no-attributes': {
    en: 'This copy keeps no DOS attributes: hidden and system files are found by their place, not by their flags.',
    'zh-CN': '此副本不保留 DOS 属性：隐藏文件和系统文件按所在位置识别，而非按属性标志。',
  },
  'limit.no-running-state': {
    en: 'A volume holds no running processes or connections: what runs is inferred from services, autostarts and tasks.',
    'zh-CN': '磁盘卷中没有正在运行的进程和网络连接：运行情况由服务、自启动项和计划任务推断。',
  },
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
  // The terminal report's first screen (report/render-header.ts), its caps, and the progress line
  // (cli/progress.ts): one block, issue 19.
  'header.persistence': { en: 'What starts it again: {items}', 'zh-CN': '会再次启动它的：{items}' },
  'header.persistenceNone': {
    en: 'What starts it again: no persistence found',
    'zh-CN': '会再次启动它的：未发现持久化项',
  },
  'header.others': { en: 'Other findings ({count}): {levels}', 'zh-CN': '其他检测结果（{count}）：{levels}' },
  'header.allFindings': { en: 'Findings ({count}): {levels}', 'zh-CN': '检测结果（{count}）：{levels}' },
  'header.noKind': { en: 'no kind', 'zh-CN': '未归类' },
  'header.next': { en: 'Next: {what}', 'zh-CN': '下一步：{what}' },
  'next.respond': {
    en: '`minehunter evidence -o DIR{args}` (keep the evidence), then `minehunter respond{args}` (clean-up plan)',
    'zh-CN': '`minehunter evidence -o 目录{args}`（保全证据），再 `minehunter respond{args}`（处置计划）',
  },
  'next.image': {
    en: 'follow the container-image steps below (the images are not running here)',
    'zh-CN': '按下方容器镜像挖矿的处置步骤操作（这些镜像并未在本机运行）',
  },
  'next.review': {
    en: 'read the findings below and check each one by hand',
    'zh-CN': '阅读下方检测结果并逐项人工核实',
  },
  'next.incomplete': {
    en: 'cover what was not read (see above), then scan again',
    'zh-CN': '补上未能读取的部分（见上文），然后重新扫描',
  },
  'kinds.more': { en: '(+{count} more kinds below)', 'zh-CN': '（下方另有 {count} 种类型）' },
  'playbook.common': {
    en: 'Then, for every kind above:',
    'zh-CN': '随后，对以上每种类型：',
  },
  'findings.more': {
    en: '… and {count} more at this level: {rules} (--verbose lists them all)',
    'zh-CN': '……本级别另有 {count} 项：{rules}（加 --verbose 全部列出）',
  },
  'evidence.more': {
    en: '… and {count} more pieces of evidence (--verbose)',
    'zh-CN': '……另有 {count} 条证据（--verbose）',
  },
  'signals.more': {
    en: '… and {count} more signals (--verbose)',
    'zh-CN': '……另有 {count} 条信号（--verbose）',
  },
  'actions.more': {
    en: '… and {count} more actions (--verbose)',
    'zh-CN': '……另有 {count} 项处置（--verbose）',
  },
  'argv.more': { en: '… (+{count} more arguments)', 'zh-CN': '……（另有 {count} 个参数）' },
  'cli.verbose': {
    en: 'show everything in the text report: whole evidence chains, argv and lists, every playbook step per kind',
    'zh-CN': '文本报告中显示全部内容：完整证据链、命令行参数和列表，以及每种类型的全部处置步骤',
  },
  'progress.linux.persistence': { en: 'reading persistence…', 'zh-CN': '正在读取持久化项……' },
  'progress.linux.integrity': { en: 'checking system files…', 'zh-CN': '正在校验系统文件……' },
  'progress.linux.stealth': {
    en: 'looking for hidden processes and files…',
    'zh-CN': '正在查找隐藏的进程和文件……',
  },
  'progress.linux.containers': { en: 'reading containers…', 'zh-CN': '正在读取容器……' },
  'progress.linux.web': { en: 'reading web server configurations…', 'zh-CN': '正在读取 Web 服务器配置……' },
  'progress.files': { en: 'scanning file contents', 'zh-CN': '正在扫描文件内容' },
  'progress.memory': { en: 'scanning process memory…', 'zh-CN': '正在扫描进程内存……' },
  'progress.counts': { en: '{files} files, {bytes}, {rate}/s', 'zh-CN': '{files} 个文件，{bytes}，{rate}/s' },
  'progress.left': { en: 'about {time} left', 'zh-CN': '预计还需 {time}' },
  'progress.estimating': { en: 'estimating the time left…', 'zh-CN': '正在估算剩余时间……' },
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
  'notScanned.title': { en: 'Not scanned ({count})', 'zh-CN': '未扫描（{count}）' },
  'notScanned.gaps': {
    en: '{count} of them leave part of what was asked for unread',
    'zh-CN': '其中 {count} 项使所要求的扫描范围有部分未被读取',
  },
  'notScanned.group': { en: '{reason} ({count}): {what}', 'zh-CN': '{reason}（{count}）：{what}' },
  'notScanned.groupPolicy': {
    en: '{reason} ({count}, by design): {what}',
    'zh-CN': '{reason}（{count}，按设计跳过）：{what}',
  },
  'notScanned.unlisted': { en: '{count} not listed', 'zh-CN': '{count} 项未列出' },
  'notScanned.cover': { en: 'To cover it: {hint}', 'zh-CN': '如需覆盖：{hint}' },
  'notScanned.more': { en: '… and {count} more', 'zh-CN': '……另有 {count} 项' },
  'notScanned.verdict': {
    en: '{count} not scanned ({reason}): {hint}',
    'zh-CN': '{count} 项未扫描（{reason}）：{hint}',
  },
  'skip.too-large': { en: 'larger than the size limit', 'zh-CN': '超过文件大小上限' },
  'skip.partly-scanned': { en: 'a large file scanned only in parts', 'zh-CN': '大文件仅部分被扫描' },
  'skip.archive-bomb': {
    en: 'an archive that expands past the safety limits (a decompression bomb?): its contents were not scanned',
    'zh-CN': '压缩包解压后超出安全上限（疑似解压炸弹）：其内容未扫描',
  },
  'skip.archive-limit': {
    en: 'an archive with more entries or bytes than the limits allow: the rest was not scanned',
    'zh-CN': '压缩包的条目数或解压大小超出上限：其余部分未扫描',
  },
  'skip.archive-depth': {
    en: 'an archive nested deeper than the limit: the inner archive was not opened',
    'zh-CN': '压缩包嵌套层数超出上限：内层压缩包未打开',
  },
  'skip.archive-corrupt': {
    en: 'a damaged archive: its contents could not be read',
    'zh-CN': '压缩包已损坏：无法读取其内容',
  },
  'skip.archive-unsupported': {
    en: 'an archive format or compression method that is not supported',
    'zh-CN': '不支持的压缩包格式或压缩方式',
  },
  'skip.archive-encrypted': { en: 'an encrypted archive entry', 'zh-CN': '加密的压缩包条目' },
  'skip.unreadable': { en: 'permission denied', 'zh-CN': '权限不足，无法读取' },
  'skip.error': { en: 'a read error', 'zh-CN': '读取出错' },
  'skip.scan-error': { en: 'the rule engine failed on it', 'zh-CN': '规则引擎扫描时出错' },
  'skip.timeout': { en: 'the scan timed out', 'zh-CN': '扫描超时' },
  'skip.special-file': {
    en: 'a device, FIFO or socket: no file content',
    'zh-CN': '设备、管道或套接字：没有文件内容',
  },
  'skip.empty': { en: 'an empty file', 'zh-CN': '空文件' },
  'skip.symlink-loop': {
    en: 'a symbolic link loop (links are not followed)',
    'zh-CN': '符号链接循环（不跟随链接）',
  },
  'skip.vanished': { en: 'removed while the scan ran', 'zh-CN': '扫描过程中已被删除' },
  'skip.minehunter-install': {
    en: 'a minehunter installation (its rules would match themselves)',
    'zh-CN': 'minehunter 自身的安装目录（其规则会匹配自身）',
  },
  'skip.minehunter-cache': {
    en: "another user's minehunter scan cache (the tool's own data)",
    'zh-CN': '其他用户的 minehunter 扫描缓存（本工具自身的数据）',
  },
  'skip.package-store': {
    en: 'a package manager store, left out of the default scope (scanned with --full or --path)',
    'zh-CN': '包管理器的存储目录，默认范围不扫描（可用 --full 或 --path 扫描）',
  },
  'skip.archive-not-expanded': {
    en: 'an archive or package, left out of the default scope (scanned with --full or --path)',
    'zh-CN': '压缩包或软件包，默认范围不扫描（可用 --full 或 --path 扫描）',
  },
  'skip.rule-engine-process': {
    en: "the rule engine's own process memory",
    'zh-CN': '规则引擎自身的进程内存',
  },
  'skip.unsafe-archive-path': {
    en: 'an archive entry whose name leaves the extraction directory (its contents were scanned)',
    'zh-CN': '压缩包条目的路径会跳出解压目录（其内容已扫描）',
  },
  'skipHint.size': {
    en: 'raise --max-file-size (in MiB) above its size, or run scan --path on the file',
    'zh-CN': '将 --max-file-size（单位 MiB）调到大于该文件，或对该文件运行 scan --path',
  },
  'skipHint.archive': {
    en: 'unpack it by hand in an isolated place with room to spare, then run scan --path on what it holds',
    'zh-CN': '在隔离且空间充足的位置手动解压，再对解压出的内容运行 scan --path',
  },
  'skipHint.encrypted': {
    en: 'decrypt it, then run scan --path on the result',
    'zh-CN': '解密后对结果运行 scan --path',
  },
  'skipHint.root': { en: 'run minehunter as root', 'zh-CN': '以 root 身份运行 minehunter' },
  'skipHint.other': {
    en: 'check the file, then run scan --path on it',
    'zh-CN': '检查该文件后对其运行 scan --path',
  },
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
  // Live web pages (issue 15, `minehunter web URL --save-snapshot`, then report/analyze/evidence).
  'scope.page': {
    en: 'Scope: live web pages from {root} (opened in a headless browser; no host was read)',
    'zh-CN': '范围：从 {root} 开始的在线网页（在无头浏览器中打开；未读取任何主机）',
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
  if (target.kind === 'web-page') return t(lang, 'scope.page', { root: target.root });
  if (target.kind === 'windows-volume') return t(lang, 'scope.windows', { root: target.root });
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

/** How to cover a skip of each reason that is a gap; any other gap gets `skipHint.other`. */
const SKIP_HINTS: Record<string, MessageKey> = {
  'too-large': 'skipHint.size',
  'partly-scanned': 'skipHint.size',
  'archive-bomb': 'skipHint.archive',
  'archive-limit': 'skipHint.archive',
  'archive-depth': 'skipHint.archive',
  'archive-corrupt': 'skipHint.archive',
  'archive-unsupported': 'skipHint.archive',
  'archive-encrypted': 'skipHint.encrypted',
  unreadable: 'skipHint.root',
};

/** What a content-skip reason means; a reason without a text (a newer one) shows as itself. */
export function skipReasonText(lang: Lang, reason: string): string {
  const key = `skip.${reason}`;
  return key in messages ? t(lang, key as MessageKey) : reason;
}

/** How to scan what a skip left out; undefined for a policy reason (nothing was missed). */
export function skipHint(lang: Lang, reason: string): string | undefined {
  if (isPolicySkip(reason)) return undefined;
  return t(lang, Object.hasOwn(SKIP_HINTS, reason) ? (SKIP_HINTS[reason] as MessageKey) : 'skipHint.other');
}

/** The verdict's line for one kind of gap: how many, why, and how to cover them. */
export function scanGapText(lang: Lang, gap: { reason: string; count: number }): string {
  return t(lang, 'notScanned.verdict', {
    count: gap.count,
    reason: gap.reason,
    hint: skipHint(lang, gap.reason) ?? '',
  });
}

/**
 * The head of one reason's group in "Not scanned" and how to close its list: `… and N more` after
 * the paths shown, or `N not listed` when the snapshot listed none of them (it lists only the first
 * skips). Plain text: the renderer escapes it.
 */
export function notScannedGroupText(
  lang: Lang,
  g: { reason: string; count: number; policy: boolean },
  shown: number,
): { head: string; rest?: string } {
  const head = t(lang, g.policy ? 'notScanned.groupPolicy' : 'notScanned.group', {
    reason: g.reason,
    count: g.count,
    what: skipReasonText(lang, g.reason),
  });
  if (g.count <= shown) return { head };
  const rest = g.count - shown;
  return { head, rest: t(lang, shown === 0 ? 'notScanned.unlisted' : 'notScanned.more', { count: rest }) };
}
