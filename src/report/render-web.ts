// The report of `minehunter web`: one entry per page checked live (its verdict, findings and what
// the browser observed), as JSON for scripts and as text for a person. The text answers, per page,
// the questions a responder asks of a suspect page: which scripts it loaded (with their hashes),
// which WebSockets it opened and whether they spoke a miner protocol, which WebAssembly modules it
// compiled, which workers it started and how much CPU it burned; then the findings and, for an
// infected page, the web-script playbook. Everything the page controls passes through
// inertForTerminal before it reaches a terminal.
import { createColors } from 'picocolors';
import { PLAYBOOKS } from '../classify/playbooks.js';
import type { MinerFrame, PageObservation, PageStatus, WebRuleMatch } from '../detect/web-live.js';
import { levelRank, type Finding, type Lang, type Level, type Localized } from '../model/finding.js';
import { fill, levelName, t } from './i18n.js';
import { inertForTerminal as safe } from './sanitize.js';

export interface WebPageReport {
  url: string;
  status: PageStatus;
  findings: Finding[];
  minerFrames: MinerFrame[];
  observation: PageObservation;
}

export interface WebReport {
  schemaVersion: 1;
  tool: { name: 'minehunter'; version: string };
  generatedAt: string;
  browser: { executable: string; version: string; startMs: number };
  options: {
    cpuWindowMs: number;
    pageTimeoutMs: number;
    crawl: number;
    maxPages: number;
    blockExternal: boolean;
  };
  /** Why some rule matching did not happen (the engine missing, a rule file left out). */
  notes: Localized[];
  summary: Record<PageStatus, number> & { pages: number; msPerPage: number };
  pages: WebPageReport[];
}

/** True when a page has a finding at or above `threshold` (the exit code of --fail-on). */
export function webFailsAt(report: WebReport, threshold: Level | 'none'): boolean {
  if (threshold === 'none') return false;
  return report.pages.some((p) => p.findings.some((f) => levelRank(f.level) >= levelRank(threshold)));
}

const W = {
  title: {
    en: 'minehunter {version}: live check of {count} page(s) in {browser}',
    'zh-CN': 'minehunter {version}：在 {browser} 中实时检查了 {count} 个页面',
  },
  settings: {
    en: 'CPU window {window} ms · at most {timeout} ms per page{block}',
    'zh-CN': 'CPU 采样窗口 {window} 毫秒 · 每个页面最多 {timeout} 毫秒{block}',
  },
  blockOn: { en: ' · only each page’s own origin reachable', 'zh-CN': ' · 仅允许访问页面自身的源' },
  loaded: {
    en: 'checked in {ms} ms · loaded (HTTP {status}) · {requests} request(s){depth}',
    'zh-CN': '检查用时 {ms} 毫秒 · 已加载（HTTP {status}）· {requests} 个请求{depth}',
  },
  notLoaded: {
    en: 'checked in {ms} ms · still loading when its time was up, observed as it stood · {requests} request(s){depth}',
    'zh-CN': '检查用时 {ms} 毫秒 · 超时仍未加载完成，按当时状态观察 · {requests} 个请求{depth}',
  },
  failed: { en: 'could not be checked: {error}', 'zh-CN': '无法检查：{error}' },
  depth: { en: ' · {depth} link(s) from the start page', 'zh-CN': ' · 距起始页 {depth} 层链接' },
  cpu: {
    en: 'CPU: {ms} ms over {window} ms ({percent}% of one core) · main thread {main} ms · workers {workers} ms',
    'zh-CN':
      'CPU：{window} 毫秒内使用 {ms} 毫秒（单核的 {percent}%）· 主线程 {main} 毫秒 · Worker {workers} 毫秒',
  },
  cpuNone: { en: 'CPU: not sampled', 'zh-CN': 'CPU：未采样' },
  scripts: { en: 'Scripts and documents ({count})', 'zh-CN': '脚本与文档（{count}）' },
  sockets: { en: 'WebSockets ({count})', 'zh-CN': 'WebSocket 连接（{count}）' },
  socketLine: {
    en: '{url}  {state} · {sent} frame(s) sent, {received} received',
    'zh-CN': '{url}  {state} · 发送 {sent} 帧，接收 {received} 帧',
  },
  minerFrames: { en: 'miner protocol: {list}', 'zh-CN': '挖矿协议：{list}' },
  wasm: { en: 'WebAssembly modules ({count})', 'zh-CN': 'WebAssembly 模块（{count}）' },
  wasmLine: {
    en: 'sha256 {sha256}  {size} bytes · {via} in {scope}',
    'zh-CN': 'sha256 {sha256}  {size} 字节 · 由 {via} 在 {scope} 中编译',
  },
  exports: { en: 'exports: {list}', 'zh-CN': '导出：{list}' },
  imports: { en: 'imports: {list}', 'zh-CN': '导入：{list}' },
  workers: { en: 'Workers ({count})', 'zh-CN': 'Worker（{count}）' },
  blocked: { en: 'Refused: other origins ({count})', 'zh-CN': '已拦截：其他源（{count}）' },
  browserRefused: {
    en: 'the browser’s own background requests refused: {count}',
    'zh-CN': '已拒绝浏览器自身的后台请求：{count} 个',
  },
  truncated: { en: 'lists cut at their bounds: {list}', 'zh-CN': '以下列表已截断：{list}' },
  match: { en: 'MATCH {rules}', 'zh-CN': '命中 {rules}' },
  noMatch: { en: 'no rule matched', 'zh-CN': '未命中规则' },
  decoded: { en: 'decoded ({chain}): {text}', 'zh-CN': '解码后（{chain}）：{text}' },
  findings: { en: 'Findings', 'zh-CN': '检测结果' },
  playbook: { en: 'What to do, in order', 'zh-CN': '处置步骤（按顺序）' },
  summary: {
    en: '{pages} page(s): {infected} infected, {suspicious} suspicious, {clean} clean, {incomplete} not checked · browser start {start} ms · {perPage} ms per page',
    'zh-CN':
      '共 {pages} 个页面：{infected} 个已感染，{suspicious} 个可疑，{clean} 个未发现威胁，{incomplete} 个未能检查 · 浏览器启动 {start} 毫秒 · 平均每页 {perPage} 毫秒',
  },
  viaDebugger: { en: 'a WebAssembly call seen by the debugger', 'zh-CN': '调试器发现的 WebAssembly 调用' },
  scopePage: { en: 'the page', 'zh-CN': '页面' },
  scopeWorker: { en: 'a worker', 'zh-CN': 'Worker' },
  scopeFrame: { en: 'a frame', 'zh-CN': '子框架' },
  notes: { en: 'Notes', 'zh-CN': '说明' },
} satisfies Record<string, Localized>;

const w = (lang: Lang, key: keyof typeof W, params: Record<string, string | number> = {}): string =>
  fill(W[key][lang], params);

const STATUS_KEY = {
  infected: 'status.infected',
  suspicious: 'status.suspicious',
  clean: 'status.clean',
  incomplete: 'status.incomplete',
} as const;

type Colors = ReturnType<typeof createColors>;

function statusText(c: Colors, lang: Lang, status: PageStatus): string {
  const text = t(lang, STATUS_KEY[status]);
  if (status === 'infected') return c.bold(c.red(text));
  if (status === 'suspicious') return c.bold(c.yellow(text));
  if (status === 'incomplete') return c.yellow(text);
  return c.green(text);
}

const ruleNames = (ms: readonly WebRuleMatch[]): string =>
  ms.map((m) => `${m.namespace}.${m.rule}${m.level ? ` (${m.level})` : ''}`).join(', ');

function scopeWord(lang: Lang, scope: string): string {
  return w(lang, scope === 'worker' ? 'scopeWorker' : scope === 'frame' ? 'scopeFrame' : 'scopePage');
}

function codeLines(c: Colors, lang: Lang, o: PageObservation): string[] {
  const out: string[] = [];
  if (o.scripts.length > 0) {
    out.push(`  ${c.bold(w(lang, 'scripts', { count: o.scripts.length }))}`);
    for (const s of o.scripts) {
      const where = s.scope === 'page' ? '' : ` [${scopeWord(lang, s.scope)}]`;
      const verdict = s.matches.length
        ? c.red(w(lang, 'match', { rules: ruleNames(s.matches) }))
        : c.dim(w(lang, 'noMatch'));
      out.push(`    ${safe(s.url)}${where}  sha256 ${s.sha256 ?? '-'}  ${verdict}`);
      if (s.note) out.push(`      ${c.dim(safe(s.note))}`);
      for (const m of s.matches)
        if (m.decodedExcerpt)
          out.push(
            `      ${w(lang, 'decoded', { chain: safe((m.chain ?? []).join(' → ')), text: safe(m.decodedExcerpt) })}`,
          );
    }
  }
  if (o.wasm.length > 0) {
    out.push(`  ${c.bold(w(lang, 'wasm', { count: o.wasm.length }))}`);
    for (const m of o.wasm) {
      const line = w(lang, 'wasmLine', {
        sha256: m.sha256,
        size: m.size,
        via: m.via === 'debugger' ? w(lang, 'viaDebugger') : safe(m.via),
        scope: scopeWord(lang, m.scope),
      });
      const verdict = m.matches.length
        ? c.red(w(lang, 'match', { rules: ruleNames(m.matches) }))
        : c.dim(w(lang, 'noMatch'));
      out.push(`    ${line}  ${verdict}`);
      const ex = m.exports.slice(0, 12).map((e) => e.name);
      const im = m.imports.slice(0, 12).map((i) => `${i.module}.${i.name}`);
      if (ex.length) out.push(`      ${w(lang, 'exports', { list: safe(ex.join(', ')) })}`);
      if (im.length) out.push(`      ${w(lang, 'imports', { list: safe(im.join(', ')) })}`);
    }
  }
  if (o.workers.length > 0) {
    out.push(`  ${c.bold(w(lang, 'workers', { count: o.workers.length }))}`);
    for (const wk of o.workers) out.push(`    ${safe(wk.url)} (${safe(wk.type)})`);
  }
  return out;
}

function socketLines(c: Colors, lang: Lang, o: PageObservation, frames: MinerFrame[]): string[] {
  if (o.sockets.length === 0) return [];
  const out = [`  ${c.bold(w(lang, 'sockets', { count: o.sockets.length }))}`];
  for (const s of o.sockets) {
    const state = s.error ? `error: ${s.error}` : s.status !== undefined ? `HTTP ${s.status}` : '-';
    out.push(
      `    ${w(lang, 'socketLine', { url: safe(s.url), state: safe(state), sent: s.sent, received: s.received })}`,
    );
    const mine = frames.filter((f) => f.socket === s.url);
    if (mine.length > 0) {
      const list = [
        ...new Set(mine.map((f) => `${f.dir === 'sent' ? '→' : '←'} ${f.message} (${f.protocol})`)),
      ];
      out.push(`      ${c.red(w(lang, 'minerFrames', { list: safe(list.join(', ')) }))}`);
    }
    for (const f of s.frames.slice(0, 6))
      out.push(`      ${c.dim(`${f.dir === 'sent' ? '→' : '←'} ${safe(f.text.slice(0, 160))}`)}`);
  }
  return out;
}

function headLines(c: Colors, lang: Lang, o: PageObservation): string[] {
  const depth = o.depth > 0 ? w(lang, 'depth', { depth: o.depth }) : '';
  const out: string[] = [];
  if (o.error !== undefined) out.push(`  ${c.yellow(w(lang, 'failed', { error: safe(o.error) }))}`);
  else
    out.push(
      `  ${w(lang, o.loaded ? 'loaded' : 'notLoaded', { ms: o.durationMs, status: o.status ?? '-', requests: o.requests, depth })}`,
    );
  const { cpu } = o;
  if (cpu.cpuMs !== undefined && cpu.windowMs > 0)
    out.push(
      `  ${w(lang, 'cpu', {
        ms: cpu.cpuMs,
        window: cpu.windowMs,
        percent: Math.round((cpu.cpuMs / cpu.windowMs) * 100),
        main: cpu.mainThreadMs ?? '-',
        workers: cpu.workerMs ?? '-',
      })}`,
    );
  else if (o.error === undefined) out.push(`  ${c.dim(w(lang, 'cpuNone'))}`);
  return out;
}

function findingLines(c: Colors, lang: Lang, findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [];
  const out = [`  ${c.bold(w(lang, 'findings'))}`];
  for (const f of findings) {
    const level = `[${levelName(lang, f.level)}]`;
    out.push(
      `    ${levelRank(f.level) >= levelRank('high') ? c.red(level) : c.yellow(level)} ${f.title[lang]}`,
    );
    out.push(`      ${safe(f.message[lang])}`);
    out.push(`      ${c.dim(`${t(lang, 'verify')}: ${f.verify[lang]}`)}`);
  }
  return out;
}

function pageLines(c: Colors, lang: Lang, p: WebPageReport): string[] {
  const o = p.observation;
  const title = o.title ? c.dim(`  “${safe(o.title.slice(0, 80))}”`) : '';
  const out = [`${c.bold(safe(o.url))} — ${statusText(c, lang, p.status)}${title}`];
  out.push(...headLines(c, lang, o));
  out.push(...codeLines(c, lang, o), ...socketLines(c, lang, o, p.minerFrames));
  const origin = o.blocked.filter((b) => b.by === 'origin');
  if (origin.length > 0) {
    out.push(`  ${c.bold(w(lang, 'blocked', { count: origin.length }))}`);
    for (const b of origin) out.push(`    ${safe(b.url)}`);
  }
  const own = o.blocked.length - origin.length;
  if (own > 0) out.push(`  ${c.dim(w(lang, 'browserRefused', { count: own }))}`);
  if (o.truncated?.length) out.push(`  ${c.dim(w(lang, 'truncated', { list: o.truncated.join(', ') }))}`);
  out.push(...findingLines(c, lang, p.findings));
  if (p.status === 'infected') {
    out.push(`  ${c.bold(w(lang, 'playbook'))}`);
    PLAYBOOKS['web-script'].forEach((step, i) => out.push(`    ${i + 1}. ${step[lang]}`));
  }
  return out;
}

export function renderWebText(report: WebReport, opts: { lang: Lang; color: boolean }): string {
  const c = createColors(opts.color);
  const { lang } = opts;
  const out = [
    c.bold(
      w(lang, 'title', {
        version: report.tool.version,
        count: report.pages.length,
        browser: `Chromium ${report.browser.version}`,
      }),
    ),
    c.dim(
      w(lang, 'settings', {
        window: report.options.cpuWindowMs,
        timeout: report.options.pageTimeoutMs,
        block: report.options.blockExternal ? w(lang, 'blockOn') : '',
      }),
    ),
    '',
  ];
  for (const p of report.pages) out.push(...pageLines(c, lang, p), '');
  if (report.notes.length > 0) {
    out.push(c.bold(w(lang, 'notes')));
    for (const n of report.notes) out.push(`  ${safe(n[lang])}`);
    out.push('');
  }
  const s = report.summary;
  out.push(
    w(lang, 'summary', {
      pages: s.pages,
      infected: s.infected,
      suspicious: s.suspicious,
      clean: s.clean,
      incomplete: s.incomplete,
      start: report.browser.startMs,
      perPage: s.msPerPage,
    }),
  );
  return `${out.join('\n')}\n`;
}
