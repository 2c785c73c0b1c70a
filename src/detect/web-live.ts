// What a live page check (`minehunter web URL`) observed in a headless browser, and the pure
// judgement of it: which WebSocket frames speak a miner protocol (CoinHive-style auth/job/submit,
// Stratum login/job/submit), which scripts and WebAssembly modules matched the rules, whether
// workers burned CPU beside a WebAssembly module, and the page's verdict with its findings. The
// browser driver (collect/web/) fills these types; nothing here touches the host or the network,
// so a saved observation is judged the same way anywhere.
import type { Evidence, Finding, Level, Localized, MinerKind } from '../model/finding.js';
import { levelRank } from '../model/finding.js';
import { formatMessage, type MessageData } from '../model/localized.js';
import { fingerprintOf } from './run.js';

/** Where in the page something ran: the page's own document, a frame of it, or a worker. */
export type WebScope = 'page' | 'frame' | 'worker';

/** A rule match on a script's text (as written or decoded) or a WebAssembly module's bytes. */
export interface WebRuleMatch {
  rule: string;
  namespace: string;
  level?: Level;
  kind?: MinerKind;
  description?: string;
  strings: { identifier: string; excerpt: string }[];
  /** Techniques undone to reach the text that matched (empty or absent: as written). */
  chain?: string[];
  decodedExcerpt?: string;
}

/** A document or script the page loaded (inline scripts are scanned with their document). */
export interface LoadedScript {
  url: string;
  type: 'document' | 'script';
  scope: WebScope;
  status?: number;
  size: number;
  sha256?: string;
  matches: WebRuleMatch[];
  /** Why the body was not scanned (or only in part): body unavailable, too large, engine error. */
  note?: string;
}

export interface WsFrame {
  dir: 'sent' | 'received';
  /** 1 text, 2 binary (RFC 6455). */
  opcode: number;
  /** The payload as text (binary frames base64), cut to a bound; `size` is the whole length. */
  text: string;
  size: number;
  /** Milliseconds since the page check started. */
  atMs: number;
}

export interface WebSocketSeen {
  url: string;
  scope: WebScope;
  /** HTTP status of the handshake (101 when it opened). */
  status?: number;
  error?: string;
  /** The first frames in each direction (bounded); the counts hold all of them. */
  frames: WsFrame[];
  sent: number;
  received: number;
}

export interface WasmModuleSeen {
  sha256: string;
  size: number;
  /**
   * The API that compiled it (compile, instantiate, compileStreaming, instantiateStreaming, Module),
   * or `debugger` for a worker's module found through the debugger when the hook came too late.
   */
  via: string;
  scope: WebScope;
  /** The response a streaming compile read it from. */
  url?: string;
  exports: { name: string; kind: string }[];
  imports: { module: string; name: string; kind: string }[];
  matches: WebRuleMatch[];
  /** True when only the first bytes were handed over (a module above the size bound). */
  partial?: boolean;
}

export interface WorkerSeen {
  url: string;
  type: string;
}

/**
 * CPU the page used over the sampling window after it loaded: its main thread (the page's own
 * task time) and its workers' threads. The browser's own renderers (its omnibox and other
 * built-in pages, which keep a core busy in headless mode) are not the page's and not counted.
 */
export interface CpuSample {
  windowMs: number;
  /** mainThreadMs + workerMs, when both are known. */
  cpuMs?: number;
  /** The page's main thread (Performance.getMetrics TaskDuration). */
  mainThreadMs?: number;
  /** The page's worker threads (dedicated and shared), read from the renderers' threads. */
  workerMs?: number;
}

/** A request the browser was refused: another origin under --block-external, or its own services. */
export interface BlockedRequest {
  url: string;
  /** origin: the page reached for another origin; browser: the browser's own background service. */
  by: 'origin' | 'browser';
  atMs: number;
}

export interface PageObservation {
  url: string;
  /** Where the page ended after redirects. */
  finalUrl?: string;
  /** Links followed from the first URL to reach this one (0 for a URL the user named). */
  depth: number;
  title?: string;
  status?: number;
  /** The load event fired within the time allowed. */
  loaded: boolean;
  /** Why the page could not be checked (then nothing else is known about it). */
  error?: string;
  startedAt: string;
  durationMs: number;
  requests: number;
  scripts: LoadedScript[];
  sockets: WebSocketSeen[];
  wasm: WasmModuleSeen[];
  workers: WorkerSeen[];
  cpu: CpuSample;
  blocked: BlockedRequest[];
  /** Observations dropped at a bound (frames, scripts, modules), so a reader knows the lists are cut. */
  truncated?: string[];
}

// ---- Miner protocols over WebSocket ----

export type MinerProtocol = 'coinhive' | 'stratum';

export interface MinerFrame {
  socket: string;
  dir: WsFrame['dir'];
  protocol: MinerProtocol;
  /** The protocol message: auth, authed, job, submit, hash_accepted, login, mining.notify… */
  message: string;
  text: string;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: unknown, ...keys: string[]): boolean => isObj(o) && keys.some((k) => k in o);

/**
 * CoinHive's protocol and its forks' (CryptoNoter, deepMiner, Minero, CryptoLoot): `{type, params}`.
 * A bare type is not enough (chat apps send `{type:"auth"}` too): the params a miner carries are.
 */
function coinhiveMessage(m: Json): string | undefined {
  const type = m.type;
  const p = m.params;
  if (typeof type !== 'string') return undefined;
  switch (type) {
    case 'auth':
      return has(p, 'site_key', 'sitekey') ? type : undefined;
    case 'authed':
      return has(p, 'token', 'hashes') ? type : undefined;
    case 'job':
      return has(p, 'blob') && has(p, 'job_id', 'target') ? type : undefined;
    case 'submit':
      return has(p, 'nonce') && has(p, 'job_id', 'result') ? type : undefined;
    case 'hash_accepted':
      return has(p, 'hashes') ? type : undefined;
    default:
      return undefined;
  }
}

/** Stratum as JSON-RPC: Monero pools' login/job/submit and the Bitcoin-style mining.* methods. */
function stratumMessage(m: Json): string | undefined {
  const method = m.method;
  const p = m.params;
  if (typeof method === 'string') {
    if (method === 'login') return has(p, 'login') ? method : undefined;
    if (method === 'job') return has(p, 'blob') && has(p, 'job_id', 'target') ? method : undefined;
    if (method === 'submit') return has(p, 'nonce') && has(p, 'job_id', 'result') ? method : undefined;
    if (/^mining\.(?:subscribe|authorize|notify|submit|set_difficulty|set_target)$/.test(method))
      return method;
    return undefined;
  }
  // A pool's answer to login carries the first job: `{id, result: {id, job: {blob, job_id, target}}}`.
  const r = m.result;
  if (isObj(r) && isObj(r.job) && has(r.job, 'blob') && has(r.job, 'job_id', 'target')) return 'login-result';
  return undefined;
}

/** The miner messages in one frame: one JSON message, or several separated by newlines (Stratum). */
export function minerMessages(text: string): { protocol: MinerProtocol; message: string }[] {
  const out: { protocol: MinerProtocol; message: string }[] = [];
  for (const line of text.split('\n')) {
    const s = line.trim();
    if (!s.startsWith('{')) continue;
    let m: unknown;
    try {
      m = JSON.parse(s);
    } catch {
      continue;
    }
    if (!isObj(m)) continue;
    const ch = coinhiveMessage(m);
    if (ch) out.push({ protocol: 'coinhive', message: ch });
    const st = stratumMessage(m);
    if (st) out.push({ protocol: 'stratum', message: st });
  }
  return out;
}

/** Every frame of the page's WebSockets that carries a miner message, in the order seen. */
export function minerFrames(sockets: readonly WebSocketSeen[]): MinerFrame[] {
  const out: MinerFrame[] = [];
  for (const s of sockets)
    for (const f of s.frames) {
      if (f.opcode !== 1) continue;
      for (const m of minerMessages(f.text))
        out.push({ socket: s.url, dir: f.dir, protocol: m.protocol, message: m.message, text: f.text });
    }
  return out;
}

// ---- The verdict ----

export type PageStatus = 'infected' | 'suspicious' | 'clean' | 'incomplete';

export interface PageVerdict {
  status: PageStatus;
  findings: Finding[];
  minerFrames: MinerFrame[];
}

export interface WebLiveThresholds {
  /** Share of one core the workers must use over the window to count as sustained load. */
  workerCpuShare: number;
}
export const DEFAULT_THRESHOLDS: WebLiveThresholds = { workerCpuShare: 0.5 };

/** A rule without a level counts at this one (as the content scan does). */
const DEFAULT_RULE_LEVEL: Level = 'medium';
const TAGS = ['attack.t1496'];

const RULES = {
  protocol: {
    id: 'web-live-miner-protocol',
    title: { en: 'Page speaks a mining protocol over WebSocket', 'zh-CN': '页面通过 WebSocket 使用挖矿协议' },
    message: {
      en: '{page} opened {socket} and exchanged {protocol} mining messages ({messages})',
      'zh-CN': '{page} 连接了 {socket}，并交换了 {protocol} 挖矿协议消息（{messages}）',
    },
    verify: {
      en: 'Open the page with the browser’s developer tools, Network tab, filter WS: the frames show the pool’s jobs and the page’s submitted hashes.',
      'zh-CN':
        '用浏览器开发者工具打开该页面，在“网络”标签中筛选 WS：帧中可见矿池下发的任务和页面提交的哈希。',
    },
  },
  wasm: {
    id: 'web-live-wasm-miner',
    title: { en: 'Page compiles a WebAssembly mining core', 'zh-CN': '页面编译了 WebAssembly 挖矿核心' },
    message: {
      en: '{page} compiled a WebAssembly module (sha256 {sha256}, {size} bytes) that matches {rules}',
      'zh-CN': '{page} 编译了一个 WebAssembly 模块（sha256 {sha256}，{size} 字节），命中规则 {rules}',
    },
    verify: {
      en: 'Save the module (developer tools, Sources, the wasm entry) and list its exports: hash functions such as cryptonight_hash give it away.',
      'zh-CN':
        '保存该模块（开发者工具“源代码”中的 wasm 条目）并查看其导出函数：cryptonight_hash 等哈希函数即可确认。',
    },
  },
  script: {
    id: 'web-live-script-rule',
    title: { en: 'Page loads a script that matches miner rules', 'zh-CN': '页面加载的脚本命中挖矿规则' },
    message: {
      en: '{page} loaded {script} (sha256 {sha256}), which matches {rules}',
      'zh-CN': '{page} 加载了 {script}（sha256 {sha256}），命中规则 {rules}',
    },
    verify: {
      en: 'Fetch the script and read it (decode it first if it is obfuscated): look for a miner library, its site key and the pool proxy it connects to.',
      'zh-CN': '下载并阅读该脚本（若经过混淆，先解码）：查找挖矿库、站点密钥以及其连接的矿池代理。',
    },
  },
  cpu: {
    id: 'web-live-worker-cpu',
    title: {
      en: 'Page keeps workers busy beside a WebAssembly module',
      'zh-CN': '页面在使用 WebAssembly 模块的同时让 Worker 持续占用 CPU',
    },
    message: {
      en: '{page} used {percent}% of a core in workers over {window} ms with {workers} worker(s) and {modules} WebAssembly module(s), none matching a miner rule',
      'zh-CN':
        '{page} 在 {window} 毫秒内由 Worker 占用了单核 {percent}% 的 CPU，共 {workers} 个 Worker、{modules} 个 WebAssembly 模块，均未命中挖矿规则',
    },
    verify: {
      en: 'Open the page with the task manager (Shift+Esc in Chromium) beside it: a miner holds the CPU while the page sits idle; the developer tools’ Performance panel shows the workers’ hashing loop.',
      'zh-CN':
        '打开页面并同时查看任务管理器（Chromium 中按 Shift+Esc）：挖矿脚本在页面空闲时仍占满 CPU；开发者工具的“性能”面板可见 Worker 中的哈希循环。',
    },
  },
} as const;

interface RuleText {
  id: string;
  title: Localized;
  message: Localized;
  verify: Localized;
}

function finding(
  rule: RuleText,
  level: Level,
  data: MessageData,
  evidence: Evidence[],
  fingerprint: string[],
): Finding {
  return {
    ruleId: rule.id,
    kind: 'web-script',
    category: 'miner',
    level,
    title: { ...rule.title },
    message: formatMessage(rule.message, data),
    messageId: 'default',
    data,
    evidence,
    tags: [...TAGS],
    verify: { ...rule.verify },
    // A page on someone's server is not minehunter's to change: the playbook says what to do.
    remediate: [],
    fingerprint: fingerprintOf([rule.id, ...fingerprint]),
    signals: [],
    basis: 'running',
  };
}

const match = (field: string, value: string): Evidence => ({ type: 'match', field, value });

function strongestLevel(matches: readonly WebRuleMatch[]): Level {
  return matches
    .map((m) => m.level ?? DEFAULT_RULE_LEVEL)
    .reduce<Level>((a, b) => (levelRank(b) > levelRank(a) ? b : a), 'info');
}

const ruleList = (matches: readonly WebRuleMatch[]): string =>
  [...new Set(matches.map((m) => `${m.namespace}.${m.rule}`))].join(', ');

function protocolFinding(page: string, frames: MinerFrame[]): Finding[] {
  const bySocket = new Map<string, MinerFrame[]>();
  for (const f of frames) bySocket.set(f.socket, [...(bySocket.get(f.socket) ?? []), f]);
  return [...bySocket].map(([socket, fs]) => {
    const protocols = [...new Set(fs.map((f) => f.protocol))];
    const messages = [...new Set(fs.map((f) => `${f.dir === 'sent' ? '→' : '←'} ${f.message}`))];
    const evidence = [
      match('page', page),
      match('websocket', socket),
      ...fs.slice(0, 6).map((f) => match(`frame ${f.dir}`, f.text.slice(0, 300))),
    ];
    const data = {
      page,
      socket,
      protocol: protocols.join('/'),
      messages: messages.join(', '),
    };
    // Messages both ways (a job received, a share submitted) are mining under way, not a probe.
    const both = fs.some((f) => f.dir === 'sent') && fs.some((f) => f.dir === 'received');
    return finding(RULES.protocol, both ? 'critical' : 'high', data, evidence, [page, socket]);
  });
}

function wasmFindings(page: string, wasm: readonly WasmModuleSeen[]): Finding[] {
  return wasm
    .filter((w) => w.matches.length > 0)
    .map((w) => {
      const exports = w.exports.map((e) => e.name).slice(0, 12);
      const evidence = [
        match('page', page),
        match('wasm sha256', w.sha256),
        ...(exports.length ? [match('wasm exports', exports.join(', '))] : []),
        ...w.matches.flatMap((m) =>
          m.strings.slice(0, 2).map((s) => match(`${m.rule} ${s.identifier}`, s.excerpt)),
        ),
      ];
      const data = { page, sha256: w.sha256, size: w.size, rules: ruleList(w.matches) };
      return finding(RULES.wasm, strongestLevel(w.matches), data, evidence, [page, w.sha256]);
    });
}

function scriptFindings(page: string, scripts: readonly LoadedScript[]): Finding[] {
  return scripts
    .filter((s) => s.matches.length > 0)
    .map((s) => {
      const evidence = [
        match('page', page),
        match(s.type === 'document' ? 'document' : 'script', s.url),
        ...(s.sha256 ? [match('sha256', s.sha256)] : []),
        ...s.matches.flatMap((m) => [
          ...m.strings.slice(0, 2).map((x) => match(`${m.rule} ${x.identifier}`, x.excerpt)),
          ...(m.decodedExcerpt
            ? [match(`${m.rule} decoded (${(m.chain ?? []).join(' → ')})`, m.decodedExcerpt)]
            : []),
        ]),
      ];
      const data = { page, script: s.url, sha256: s.sha256 ?? '-', rules: ruleList(s.matches) };
      return finding(RULES.script, strongestLevel(s.matches), data, evidence, [page, s.url, s.sha256 ?? '']);
    });
}

function cpuFinding(page: string, obs: PageObservation, th: WebLiveThresholds): Finding[] {
  const { workerMs, windowMs } = obs.cpu;
  if (workerMs === undefined || windowMs <= 0) return [];
  if (obs.workers.length === 0 || obs.wasm.length === 0) return [];
  if (workerMs / windowMs < th.workerCpuShare) return [];
  const data = {
    page,
    percent: Math.round((workerMs / windowMs) * 100),
    window: windowMs,
    workers: obs.workers.length,
    modules: obs.wasm.length,
  };
  const evidence = [
    match('page', page),
    ...obs.workers.slice(0, 4).map((w) => match('worker', w.url)),
    ...obs.wasm.slice(0, 4).map((w) => match('wasm sha256', w.sha256)),
  ];
  return [finding(RULES.cpu, 'medium', data, evidence, [page])];
}

/**
 * The page's verdict: infected when it speaks a miner protocol, compiles a WebAssembly module or
 * loads a script that the rules call high or critical; suspicious for a lesser rule match, or for
 * workers that hold the CPU beside WebAssembly without any match; incomplete when the page could
 * not be checked (never "clean"); clean otherwise.
 */
export function judgePage(obs: PageObservation, th: WebLiveThresholds = DEFAULT_THRESHOLDS): PageVerdict {
  const page = obs.url;
  const frames = minerFrames(obs.sockets);
  const findings = [
    ...protocolFinding(page, frames),
    ...wasmFindings(page, obs.wasm),
    ...scriptFindings(page, obs.scripts),
  ];
  // Load alone is judged only when nothing else explains the page.
  if (findings.length === 0) findings.push(...cpuFinding(page, obs, th));
  findings.sort(
    (a, b) => levelRank(b.level) - levelRank(a.level) || (a.fingerprint < b.fingerprint ? -1 : 1),
  );
  const worst = findings.reduce((n, f) => Math.max(n, levelRank(f.level)), 0);
  let status: PageStatus;
  if (frames.length > 0 || worst >= levelRank('high')) status = 'infected';
  else if (findings.length > 0) status = 'suspicious';
  else status = obs.error !== undefined ? 'incomplete' : 'clean';
  return { status, findings, minerFrames: frames };
}
