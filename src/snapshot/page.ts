// The snapshot's `page` section (issue 15): what a live page check (`minehunter web URL`) saw in a
// headless browser, page by page: the documents and scripts it loaded (hashes, rule matches with the
// decoded excerpt), its WebSockets and their first frames, the WebAssembly modules it compiled, its
// workers, the CPU it used over a window, and the requests the gate refused. Facts only: the
// detector web-live-page (detect/web-live.ts) judges them, so a saved check is judged the same way
// by `analyze`, `report` and `evidence` on any machine.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { LevelSchema, LocalizedSchema, MinerKindSchema } from '../model/finding.js';

/** Where in the page something ran: the page's own document, a frame of it, or a worker. */
export const WebScopeSchema = builtOnFirstUse(() => z.enum(['page', 'frame', 'worker']));

/** A rule match on a script's text (as written or decoded) or a WebAssembly module's bytes. */
export const WebRuleMatchSchema = builtOnFirstUse(() =>
  z.object({
    rule: z.string(),
    namespace: z.string(),
    level: LevelSchema.optional(),
    kind: MinerKindSchema.optional(),
    description: z.string().optional(),
    strings: z.array(z.object({ identifier: z.string(), excerpt: z.string() })),
    /** Techniques undone to reach the text that matched (empty or absent: as written). */
    chain: z.array(z.string()).optional(),
    decodedExcerpt: z.string().optional(),
  }),
);

/** A document or script the page loaded (inline scripts are scanned with their document). */
export const LoadedScriptSchema = builtOnFirstUse(() =>
  z.object({
    url: z.string(),
    type: z.enum(['document', 'script']),
    scope: WebScopeSchema,
    status: z.number().int().optional(),
    size: z.number().int().nonnegative(),
    sha256: z.string().optional(),
    matches: z.array(WebRuleMatchSchema),
    /** Why the body was not scanned (or only in part): body unavailable, too large, engine error. */
    note: z.string().optional(),
  }),
);

export const WsFrameSchema = builtOnFirstUse(() =>
  z.object({
    dir: z.enum(['sent', 'received']),
    /** 1 text, 2 binary (RFC 6455). */
    opcode: z.number().int(),
    /** The payload as text (binary frames base64), cut to a bound; `size` is the whole length. */
    text: z.string(),
    size: z.number().int().nonnegative(),
    /** Milliseconds since the page check started. */
    atMs: z.number().nonnegative(),
  }),
);

export const WebSocketSeenSchema = builtOnFirstUse(() =>
  z.object({
    url: z.string(),
    scope: WebScopeSchema,
    /** HTTP status of the handshake (101 when it opened). */
    status: z.number().int().optional(),
    error: z.string().optional(),
    /** The first frames in each direction (bounded); the counts hold all of them. */
    frames: z.array(WsFrameSchema),
    sent: z.number().int().nonnegative(),
    received: z.number().int().nonnegative(),
  }),
);

export const WasmModuleSeenSchema = builtOnFirstUse(() =>
  z.object({
    sha256: z.string(),
    size: z.number().int().nonnegative(),
    /**
     * The API that compiled it (compile, instantiate, compileStreaming, instantiateStreaming, Module),
     * or `debugger` for a worker's module found through the debugger when the hook came too late.
     */
    via: z.string(),
    scope: WebScopeSchema,
    /** The response a streaming compile read it from. */
    url: z.string().optional(),
    exports: z.array(z.object({ name: z.string(), kind: z.string() })),
    imports: z.array(z.object({ module: z.string(), name: z.string(), kind: z.string() })),
    matches: z.array(WebRuleMatchSchema),
    /** True when only the first bytes were handed over (a module above the size bound). */
    partial: z.boolean().optional(),
  }),
);

export const WorkerSeenSchema = builtOnFirstUse(() => z.object({ url: z.string(), type: z.string() }));

/**
 * CPU the page used over the sampling window after it loaded: its main thread (the page's own task
 * time) and its workers' threads. The browser's own renderers are not the page's and not counted.
 */
export const CpuSampleSchema = builtOnFirstUse(() =>
  z.object({
    windowMs: z.number().nonnegative(),
    /** mainThreadMs + workerMs, when both are known. */
    cpuMs: z.number().nonnegative().optional(),
    /** The page's main thread (Performance.getMetrics TaskDuration). */
    mainThreadMs: z.number().nonnegative().optional(),
    /** The page's worker threads (dedicated and shared), read from the renderers' threads. */
    workerMs: z.number().nonnegative().optional(),
  }),
);

/** A request the browser was refused: another origin under --block-external, or its own services. */
export const BlockedRequestSchema = builtOnFirstUse(() =>
  z.object({
    url: z.string(),
    /** origin: the page reached for another origin; browser: the browser's own background service. */
    by: z.enum(['origin', 'browser']),
    atMs: z.number().nonnegative(),
  }),
);

/** One page as the check observed it. */
export const PageObservationSchema = builtOnFirstUse(() =>
  z.object({
    url: z.string(),
    /** Where the page ended after redirects. */
    finalUrl: z.string().optional(),
    /** Links followed from the first URL to reach this one (0 for a URL the user named). */
    depth: z.number().int().nonnegative(),
    title: z.string().optional(),
    status: z.number().int().optional(),
    /** The load event fired within the time allowed. */
    loaded: z.boolean(),
    /** Why the page could not be checked (then nothing else is known about it). */
    error: z.string().optional(),
    startedAt: z.string(),
    durationMs: z.number().nonnegative(),
    requests: z.number().int().nonnegative(),
    scripts: z.array(LoadedScriptSchema),
    sockets: z.array(WebSocketSeenSchema),
    wasm: z.array(WasmModuleSeenSchema),
    workers: z.array(WorkerSeenSchema),
    cpu: CpuSampleSchema,
    blocked: z.array(BlockedRequestSchema),
    /** Observations dropped at a bound (frames, scripts, modules), so a reader knows the lists are cut. */
    truncated: z.array(z.string()).optional(),
  }),
);

/** The whole check: the browser that ran it, its options, notes on what it could not do, the pages. */
export const PageSchema = builtOnFirstUse(() =>
  z.object({
    browser: z.object({ executable: z.string(), version: z.string() }),
    options: z.object({
      cpuWindowMs: z.number().int().nonnegative(),
      pageTimeoutMs: z.number().int().nonnegative(),
      crawl: z.number().int().nonnegative(),
      maxPages: z.number().int().positive(),
      blockExternal: z.boolean(),
    }),
    /** The URLs as the user gave them; `pages` adds those the crawl reached. */
    urls: z.array(z.string()),
    /** What the check could not do (e.g. no rule engine: hashes without matches), in both languages. */
    notes: z.array(LocalizedSchema),
    pages: z.array(PageObservationSchema),
  }),
);

export type WebScope = z.infer<typeof WebScopeSchema>;
export type WebRuleMatch = z.infer<typeof WebRuleMatchSchema>;
export type LoadedScript = z.infer<typeof LoadedScriptSchema>;
export type WsFrame = z.infer<typeof WsFrameSchema>;
export type WebSocketSeen = z.infer<typeof WebSocketSeenSchema>;
export type WasmModuleSeen = z.infer<typeof WasmModuleSeenSchema>;
export type WorkerSeen = z.infer<typeof WorkerSeenSchema>;
export type CpuSample = z.infer<typeof CpuSampleSchema>;
export type BlockedRequest = z.infer<typeof BlockedRequestSchema>;
export type PageObservation = z.infer<typeof PageObservationSchema>;
export type Page = z.infer<typeof PageSchema>;
