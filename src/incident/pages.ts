// The live web pages a §5 incident report names (issue 15): for each page the findings of a live
// check (`minehunter web URL --save-snapshot` → `report --snapshot`) point at, the WebSocket
// endpoints with the mining messages and frames seen, the scripts with their sha256, rule matches and
// decoded excerpts, the WebAssembly modules with their hashes and exports, and the CPU the workers
// held. Read from the findings of detector web-live-page (their `data` and evidence), so a JSON report
// or an evidence bundle gives the same section as a snapshot. Also the bilingual texts the Markdown
// and HTML renderers label it with.
import { z } from 'zod';
import { webLivePage } from '../detect/detectors/web-live-page.js';
import {
  LevelSchema,
  LocalizedSchema,
  levelRank,
  type Finding,
  type Lang,
  type Localized,
} from '../model/finding.js';
import { fill } from '../report/i18n.js';

export const IncidentPageSchema = z.object({
  url: z.string(),
  /** The strongest level among the page's findings. */
  level: LevelSchema,
  websockets: z.array(
    z.object({
      url: z.string(),
      protocol: z.string(),
      /** The mining messages, with their direction: `→ auth, ← job, → submit`. */
      messages: z.string(),
      /** The first frames as seen, cut short. */
      frames: z.array(z.object({ dir: z.enum(['sent', 'received']), text: z.string() })),
    }),
  ),
  scripts: z.array(
    z.object({
      url: z.string(),
      sha256: z.string().optional(),
      rules: z.string(),
      /** What the rules matched after decoding: the techniques undone, and the excerpt. */
      decoded: z.array(z.object({ how: z.string(), text: z.string() })),
    }),
  ),
  wasm: z.array(
    z.object({
      sha256: z.string(),
      size: z.number().optional(),
      rules: z.string(),
      exports: z.string().optional(),
    }),
  ),
  /** Workers holding the CPU beside a WebAssembly module no rule knows: the finding's sentence. */
  cpu: z.array(LocalizedSchema),
});
export type IncidentPage = z.infer<typeof IncidentPageSchema>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Match evidence of a finding as [field, value] pairs. */
const matches = (f: Finding): [string, string][] =>
  f.evidence.flatMap((e) => (e.type === 'match' ? [[e.field, e.value] as [string, string]] : []));

/** The pages the active findings of a live page check name, in the order first named. */
export function collectPages(findings: readonly Finding[]): IncidentPage[] {
  const pages = new Map<string, IncidentPage>();
  for (const f of findings) {
    const data = f.data ?? {};
    const url = f.ruleId === webLivePage.id ? str(data.page) : undefined;
    if (url === undefined) continue;
    const page = pages.get(url) ?? { url, level: f.level, websockets: [], scripts: [], wasm: [], cpu: [] };
    pages.set(url, page);
    if (levelRank(f.level) > levelRank(page.level)) page.level = f.level;
    const ev = matches(f);
    const rules = str(data.rules) ?? '';
    if (f.messageId === 'protocol')
      page.websockets.push({
        url: str(data.socket) ?? '',
        protocol: str(data.protocol) ?? '',
        messages: str(data.messages) ?? '',
        frames: ev.flatMap(([k, text]) =>
          k === 'frame sent' || k === 'frame received'
            ? [{ dir: k === 'frame sent' ? ('sent' as const) : ('received' as const), text }]
            : [],
        ),
      });
    else if (f.messageId === 'script') {
      const sha256 = str(data.sha256);
      page.scripts.push({
        url: str(data.script) ?? '',
        ...(sha256 && sha256 !== '-' ? { sha256 } : {}),
        rules,
        decoded: ev
          .filter(([k]) => / decoded \(/.test(k))
          .map(([k, v]) => ({ how: k.replace(/^.* decoded \((.*)\)$/, '$1'), text: v })),
      });
    } else if (f.messageId === 'wasm') {
      const exports = ev.find(([k]) => k === 'wasm exports')?.[1];
      const size = data.size;
      page.wasm.push({
        sha256: str(data.sha256) ?? '',
        ...(typeof size === 'number' ? { size } : {}),
        rules,
        ...(exports ? { exports } : {}),
      });
    } else page.cpu.push(f.message);
  }
  return [...pages.values()];
}

/** The hosts the pages' miner WebSockets reached: the pools, for the report's related addresses. */
export function pagePoolHosts(pages: readonly IncidentPage[]): string[] {
  const hosts = new Set<string>();
  for (const s of pages.flatMap((p) => p.websockets)) {
    try {
      hosts.add(new URL(s.url).hostname.replace(/^\[|\]$/g, ''));
    } catch {
      // Not a URL (an old or edited report): the endpoint is still listed with its page.
    }
  }
  return [...hosts];
}

const TEXTS = {
  pages: { en: 'Web pages checked live', 'zh-CN': '实时检查的网页' },
  messages: { en: '{protocol} mining messages: {messages}', 'zh-CN': '{protocol} 挖矿协议消息：{messages}' },
  frame: { en: 'frame', 'zh-CN': '帧' },
  sent: { en: 'sent', 'zh-CN': '发送' },
  received: { en: 'received', 'zh-CN': '接收' },
  script: { en: 'script', 'zh-CN': '脚本' },
  matches: { en: 'matches {rules}', 'zh-CN': '命中规则 {rules}' },
  decoded: { en: 'decoded ({how})', 'zh-CN': '解码后（{how}）' },
  wasm: { en: 'WebAssembly module', 'zh-CN': 'WebAssembly 模块' },
  bytes: { en: '{size} bytes', 'zh-CN': '{size} 字节' },
  exports: { en: 'exports: {list}', 'zh-CN': '导出：{list}' },
} satisfies Record<string, Localized>;

/** A label of the pages section, filled: plain text, which each renderer escapes for its medium. */
export function pageText(lang: Lang, key: keyof typeof TEXTS, params: Record<string, string | number> = {}) {
  return fill(TEXTS[key][lang], params);
}
