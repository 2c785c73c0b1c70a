// Detector: live web pages that run a browser miner (source §4.4), read from the snapshot's `page`
// section that `minehunter web URL --save-snapshot FILE` writes. The judgement is the one the `web`
// command prints (detect/web-live.ts): a WebSocket speaking a mining protocol, a WebAssembly module
// or a script the miner rules match (with the decoded excerpt), workers holding the CPU beside an
// unknown module. Through the rule runner the same facts reach `analyze`, `report` and `evidence`.
import { pageHits, WEB_LIVE_RULES, type WebLiveRule } from '../web-live.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

/** The message of each thing a page is judged on (the `messageId: '…'` literals the meta test reads). */
const MESSAGE_ID: Record<WebLiveRule, Hit['messageId']> = {
  protocol: 'protocol',
  wasm: 'wasm',
  script: 'script',
  cpu: 'cpu',
};

export const webLivePage: Detector = {
  id: 'web-live-page',
  kind: 'web-script',
  category: 'miner',
  level: 'high',
  title: t('Live web page runs a browser miner', '在线网页运行浏览器挖矿脚本'),
  description: t(
    'A page opened in a headless Chromium by `minehunter web` (its snapshot saved with --save-snapshot) and judged on what it did there: a WebSocket whose frames speak a mining protocol (CoinHive-style auth/job/submit, Stratum login/job/submit; critical when messages go both ways, a job received and a share submitted), a WebAssembly module or a script (as written or as decoded) that the miner rules match, at the rule’s level, and, only when nothing else explains the page, workers that used at least half a core over the CPU window beside a WebAssembly module no rule knows (medium). Every finding names the page, the script with its sha256, the decoded excerpt, the WebSocket endpoint and its frames, the module’s hash and exports.',
    '由 `minehunter web` 在无头 Chromium 中打开的页面（用 --save-snapshot 保存快照），按其实际行为判断：WebSocket 帧使用挖矿协议（CoinHive 式 auth/job/submit、Stratum login/job/submit；双向都有消息即收到任务并提交结果时为严重）；WebAssembly 模块或脚本（原文或解码后）命中挖矿规则，按规则级别报告；仅在没有其他解释时，Worker 在一个无规则命中的 WebAssembly 模块旁于 CPU 采样窗口内占用至少半个核心（中危）。每条发现都列出页面、脚本及其 sha256、解码后的片段、WebSocket 端点及其帧、模块的哈希和导出函数。',
  ),
  tags: ['attack.t1496', 'attack.t1189'],
  needs: ['page'],
  verify: t(
    'Open the page with the browser’s developer tools: the Network tab filtered on WS shows the pool’s jobs and the submitted hashes; Sources shows the script (decode it if obfuscated) and the wasm module with its hash functions; the task manager (Shift+Esc) shows the CPU the page holds while it sits idle.',
    '用浏览器开发者工具打开页面：“网络”标签筛选 WS 可见矿池下发的任务和提交的哈希；“源代码”中可见脚本（若经混淆先解码）以及带哈希函数的 wasm 模块；任务管理器（Shift+Esc）可见页面空闲时仍占用的 CPU。',
  ),
  remediation: t(
    'The page is on a web server, not on this machine: minehunter changes nothing there. Follow the web-script playbook: take the page offline, remove the injected script tags and files the findings name (compare with a known-good copy, and scan the server’s web root with `minehunter scan --path`), find how they were injected and rotate those credentials, and block the pool endpoint the WebSocket named.',
    '页面位于 Web 服务器上而不在本机：minehunter 不会修改它。按网页脚本挖矿的处置步骤：将页面下线，删除发现中列出的被注入的脚本标签和文件（与可信副本比对，并用 `minehunter scan --path` 扫描服务器的网站根目录），查明注入途径并更换相关凭据，封禁 WebSocket 连接的矿池端点。',
  ),
  messages: {
    protocol: WEB_LIVE_RULES.protocol.message,
    wasm: WEB_LIVE_RULES.wasm.message,
    script: WEB_LIVE_RULES.script.message,
    cpu: WEB_LIVE_RULES.cpu.message,
  },
  detect(snapshot) {
    const hits: Hit[] = [];
    for (const page of snapshot.page?.pages ?? [])
      for (const h of pageHits(page).hits)
        hits.push({
          subject: h.subject,
          level: h.level,
          messageId: MESSAGE_ID[h.rule],
          data: h.data,
          evidence: h.evidence,
          // A page on someone's server is not minehunter's to change: the playbook says what to do.
          remediate: [],
          fingerprint: h.fingerprint,
          // What the page's visitors' browsers were running when it was checked.
          basis: 'running',
        });
    return hits;
  },
};
