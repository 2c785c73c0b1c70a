// What a live page check (`minehunter web URL`) observed in a headless browser, and the pure
// judgement of it: which WebSocket frames speak a miner protocol (CoinHive-style auth/job/submit,
// Stratum login/job/submit), which scripts and WebAssembly modules matched the rules, whether
// workers burned CPU beside a WebAssembly module, and the page's verdict with its findings. The
// browser driver (collect/web/) fills these types; nothing here touches the host or the network,
// so a saved observation is judged the same way anywhere.
import type { Evidence, Finding, Level, Localized } from '../model/finding.js';
import { levelRank } from '../model/finding.js';
import { formatMessage, type MessageData } from '../model/localized.js';
import { createHash } from 'node:crypto';
import type {
  LoadedScript,
  PageObservation,
  WasmModuleSeen,
  WebRuleMatch,
  WebSocketSeen,
  WsFrame,
} from '../snapshot/page.js';

// The observation's shapes are the snapshot's `page` section (snapshot/page.ts): one schema for what
// the browser driver fills, what a saved snapshot holds and what is judged here.
export type {
  BlockedRequest,
  CpuSample,
  LoadedScript,
  PageObservation,
  WasmModuleSeen,
  WebRuleMatch,
  WebScope,
  WebSocketSeen,
  WorkerSeen,
  WsFrame,
} from '../snapshot/page.js';

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

/** The four things a page is judged on, each a message of the web-live-page detector. */
export const WEB_LIVE_RULES = {
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

export type WebLiveRule = keyof typeof WEB_LIVE_RULES;

/**
 * One thing found on a page, before it is a Finding: the `web` command makes it one directly, the
 * web-live-page detector hands it to the rule runner (so `analyze`, `report` and `evidence` read a
 * saved check the same way). Same facts, same fingerprint either way.
 */
export interface PageHit {
  rule: WebLiveRule;
  /** What it is about, unique within the page: the page's socket, module, script or workers. */
  subject: string;
  level: Level;
  data: MessageData;
  evidence: Evidence[];
  /** Parts that identify it across runs (the rule's id first), never times or counts. */
  fingerprint: string[];
}

/** sha256 of the parts, shortened, as the rule runner computes a finding's (detect/run.ts). */
function fingerprintOf(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

function hit(
  rule: WebLiveRule,
  subject: string,
  level: Level,
  data: MessageData,
  evidence: Evidence[],
  parts: string[],
): PageHit {
  return { rule, subject, level, data, evidence, fingerprint: [WEB_LIVE_RULES[rule].id, ...parts] };
}

function finding(h: PageHit): Finding {
  const rule: RuleText = WEB_LIVE_RULES[h.rule];
  return {
    ruleId: rule.id,
    kind: 'web-script',
    category: 'miner',
    level: h.level,
    title: { ...rule.title },
    message: formatMessage(rule.message, h.data),
    messageId: 'default',
    data: h.data,
    evidence: h.evidence,
    tags: [...TAGS],
    verify: { ...rule.verify },
    // A page on someone's server is not minehunter's to change: the playbook says what to do.
    remediate: [],
    fingerprint: fingerprintOf(h.fingerprint),
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

function protocolHits(page: string, frames: MinerFrame[]): PageHit[] {
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
    const level = both ? 'critical' : 'high';
    return hit('protocol', `page:${page}#websocket:${socket}`, level, data, evidence, [page, socket]);
  });
}

function wasmHits(page: string, wasm: readonly WasmModuleSeen[]): PageHit[] {
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
      const level = strongestLevel(w.matches);
      return hit('wasm', `page:${page}#wasm:${w.sha256}`, level, data, evidence, [page, w.sha256]);
    });
}

function scriptHits(page: string, scripts: readonly LoadedScript[]): PageHit[] {
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
      const sha = s.sha256 ?? '-';
      const data = { page, script: s.url, sha256: sha, rules: ruleList(s.matches) };
      const subject = `page:${page}#script:${s.url}#${sha}`;
      return hit('script', subject, strongestLevel(s.matches), data, evidence, [page, s.url, s.sha256 ?? '']);
    });
}

function cpuHits(page: string, obs: PageObservation, th: WebLiveThresholds): PageHit[] {
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
  return [hit('cpu', `page:${page}#cpu`, 'medium', data, evidence, [page])];
}

/**
 * What one page gives away, strongest first: its miner-protocol sockets, the WebAssembly modules and
 * scripts the rules match, and (only when nothing else explains the page) workers that hold the CPU
 * beside a WebAssembly module.
 */
export function pageHits(
  obs: PageObservation,
  th: WebLiveThresholds = DEFAULT_THRESHOLDS,
): { hits: PageHit[]; minerFrames: MinerFrame[] } {
  const page = obs.url;
  const frames = minerFrames(obs.sockets);
  const hits = [...protocolHits(page, frames), ...wasmHits(page, obs.wasm), ...scriptHits(page, obs.scripts)];
  // Load alone is judged only when nothing else explains the page.
  if (hits.length === 0) hits.push(...cpuHits(page, obs, th));
  return { hits, minerFrames: frames };
}

/**
 * The page's verdict: infected when it speaks a miner protocol, compiles a WebAssembly module or
 * loads a script that the rules call high or critical; suspicious for a lesser rule match, or for
 * workers that hold the CPU beside WebAssembly without any match; incomplete when the page could
 * not be checked (never "clean"); clean otherwise.
 */
export function judgePage(obs: PageObservation, th: WebLiveThresholds = DEFAULT_THRESHOLDS): PageVerdict {
  const { hits, minerFrames: frames } = pageHits(obs, th);
  const findings = hits.map(finding);
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
