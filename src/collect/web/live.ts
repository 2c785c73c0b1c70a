// The live page check behind `minehunter web URL`: a headless Chromium (the distribution's, driven by
// playwright-core, with a temporary profile Playwright removes on close) opens each page in a fresh
// browser context, records what it loads and runs (recorder.ts), then samples the CPU its renderer
// uses over a window after the load event. Every page gets a bounded time: the load waits at most
// what the window and the final scan leave of the page's budget, and a page that has not finished
// loading by then is observed as it stands. All traffic goes through the gate (gate.ts), which
// keeps the browser off its vendor's services and, with --block-external, on the page's origin.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { chromium, errors, type Browser, type BrowserContext, type CDPSession } from 'playwright-core';
import type { CpuSample, PageObservation } from '../../detect/web-live.js';
import { CdpSession } from './cdp.js';
import { CHROMIUM_FLAGS, GOOGLE_ENV } from './chromium.js';
import { hostKey, OriginGate, UNREACHABLE_HEADER } from './gate.js';
import { wasmHookSource } from './hook.js';
import { PageRecorder } from './recorder.js';
import type { WebRuleScanner } from './rules.js';

export interface LiveOptions {
  executablePath: string;
  /** How long CPU is sampled after the page loaded. */
  cpuWindowMs: number;
  /** Everything one page may take: load, CPU window, reading and scanning what it loaded. */
  pageTimeoutMs: number;
  blockExternal: boolean;
  rules: WebRuleScanner;
}

export interface PageCheck {
  observation: PageObservation;
  /** Links on the page (absolute URLs), for --crawl. */
  links: string[];
}

export interface LiveBrowser {
  readonly version: string;
  readonly executable: string;
  /** Checks one page; `origins` are the host:port keys it may reach under --block-external. */
  check(url: string, depth: number, origins: string[]): Promise<PageCheck>;
  close(): Promise<void>;
}

/** Chromium did not start (a broken install, a missing library): said with its own words. */
export class BrowserStartError extends Error {
  override name = 'BrowserStartError';
}

/** Time kept back from the load for reading and scanning bodies and listing links. */
const SETTLE_RESERVE_MS = 1_000;
const MIN_LOAD_MS = 1_000;
const LINKS_TIMEOUT_MS = 1_000;
const MAX_LINKS = 1_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const firstLine = (s: string): string => (s.split('\n')[0] ?? s).replace(/^page\.goto:\s*/, '').trim();

/** Renderer threads that run workers: Chromium names them so (comm is cut to 15 characters). */
const WORKER_THREAD = /^(?:Dedicated|Shared|Service)Worker/;
/** USER_HZ: the unit of /proc/PID/task/TID/stat times on Linux. */
const MS_PER_TICK = 10;

/** The renderer processes' ids, or undefined when the browser does not say. */
async function rendererPids(browserSession: CDPSession): Promise<number[] | undefined> {
  try {
    const r = (await browserSession.send('SystemInfo.getProcessInfo')) as {
      processInfo: { type: string; id: number }[];
    };
    return r.processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) used so far by every worker thread of the renderers, by pid/tid, read from /proc.
 * Per thread because the browser's own renderers burn CPU of their own in headless mode, and a
 * process total would put that on the page.
 */
async function workerThreadsMs(browserSession: CDPSession): Promise<Map<string, number> | undefined> {
  const pids = await rendererPids(browserSession);
  if (!pids) return undefined;
  const out = new Map<string, number>();
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        if (!WORKER_THREAD.test(readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8'))) continue;
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        out.set(`${pid}/${tid}`, (Number(f[11]) + Number(f[12])) * MS_PER_TICK);
      } catch {
        // The thread ended between listing and reading: its time is lost, not guessed.
      }
    }
  }
  return out;
}

async function mainThreadMs(session: CdpSession): Promise<number | undefined> {
  const r = await session.trySend<{ metrics: { name: string; value: number }[] }>('Performance.getMetrics');
  const task = r?.metrics.find((m) => m.name === 'TaskDuration');
  return task ? task.value * 1000 : undefined;
}

/**
 * The page's CPU over the window: its main thread's task time from its own metrics, and the time
 * of the renderers' worker threads (only the checked page is open, so they are its workers'; a
 * thread started during the window counts from zero).
 */
async function sampleCpu(browserSession: CDPSession, page: CdpSession, windowMs: number): Promise<CpuSample> {
  if (windowMs <= 0) return { windowMs: 0 };
  const [w0, m0] = await Promise.all([workerThreadsMs(browserSession), mainThreadMs(page)]);
  const t = performance.now();
  await sleep(windowMs);
  const [w1, m1] = await Promise.all([workerThreadsMs(browserSession), mainThreadMs(page)]);
  const cpu: CpuSample = { windowMs: Math.round(performance.now() - t) };
  if (m0 !== undefined && m1 !== undefined) cpu.mainThreadMs = Math.round(Math.max(0, m1 - m0));
  if (w0 && w1) {
    let sum = 0;
    for (const [key, ms] of w1) sum += Math.max(0, ms - (w0.get(key) ?? 0));
    cpu.workerMs = Math.round(sum);
  }
  if (cpu.mainThreadMs !== undefined && cpu.workerMs !== undefined)
    cpu.cpuMs = cpu.mainThreadMs + cpu.workerMs;
  return cpu;
}

async function linksOf(page: import('playwright-core').Page): Promise<string[]> {
  // A string, not a function: the page's DOM types are not this project's (lib has no DOM).
  const read = page.evaluate<string[]>(
    `Array.from(document.querySelectorAll('a[href]'), (a) => String(a.href)).slice(0, ${MAX_LINKS})`,
  );
  const links = await Promise.race([read.catch(() => []), sleep(LINKS_TIMEOUT_MS).then(() => [])]);
  return Array.isArray(links) ? links.filter((l): l is string => typeof l === 'string') : [];
}

async function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([p.catch(() => fallback), sleep(ms).then(() => fallback)]);
}

/** Starts the browser and the gate; close() stops both. */
export async function openBrowser(opts: LiveOptions): Promise<LiveBrowser> {
  const gate = new OriginGate();
  const port = await gate.listen();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !GOOGLE_ENV.includes(k)) env[k] = v;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: opts.executablePath,
      headless: true,
      // Loopback too goes through the gate: "another origin" may well be another local port.
      args: [...CHROMIUM_FLAGS, `--proxy-server=http://127.0.0.1:${port}`, '--proxy-bypass-list=<-loopback>'],
      env,
      timeout: 30_000,
    });
  } catch (err) {
    await gate.close();
    throw new BrowserStartError(
      `${opts.executablePath} did not start: ${firstLine((err as Error).message)}`,
      {
        cause: err,
      },
    );
  }
  const browserSession = await browser.newBrowserCDPSession();
  const marker = `__minehunter_wasm_${randomBytes(8).toString('hex')}`;
  return {
    version: browser.version(),
    executable: opts.executablePath,
    check: (url, depth, origins) =>
      checkPage({ browser, browserSession, gate, marker, opts }, url, depth, origins),
    async close() {
      await browser.close().catch(() => undefined);
      await gate.close();
    },
  };
}

interface Driver {
  browser: Browser;
  browserSession: CDPSession;
  gate: OriginGate;
  marker: string;
  opts: LiveOptions;
}

/** What the driver itself learns of a page, beside what the recorder hears. */
interface PageFacts {
  links: string[];
  title?: string;
  status?: number;
  finalUrl?: string;
  loaded: boolean;
  error?: string;
  cpu: CpuSample;
}

/** Opens the page in `context`, waits out its load (bounded) and the CPU window, reads its links. */
async function visit(
  d: Driver,
  context: BrowserContext,
  recorder: PageRecorder,
  url: string,
  t0: number,
): Promise<PageFacts> {
  const { opts } = d;
  const facts: PageFacts = { links: [], loaded: false, cpu: { windowMs: 0 } };
  await context.addInitScript({ content: wasmHookSource(d.marker) });
  const page = await context.newPage();
  const session = CdpSession.root(await context.newCDPSession(page));
  await recorder.attach(session, 'page');
  await session.trySend('Performance.enable');
  const loadBudget = Math.max(MIN_LOAD_MS, opts.pageTimeoutMs - opts.cpuWindowMs - SETTLE_RESERVE_MS);
  const key = hostKey(new URL(url));
  try {
    const response = await page.goto(url, { waitUntil: 'load', timeout: loadBudget });
    if (response) facts.status = response.status();
    // The gate's own answer for a server it could not reach is no page of that server.
    if (response?.headers()[UNREACHABLE_HEADER])
      facts.error = `cannot connect to ${key}: ${d.gate.unreachable.get(key) ?? 'no answer'}`;
    else facts.loaded = true;
  } catch (err) {
    // Still loading when its time is up: observed as it stands, like a visitor who stays.
    if (!(err instanceof errors.TimeoutError)) {
      const why = d.gate.unreachable.get(key);
      facts.error = `${firstLine((err as Error).message)}${why ? ` (cannot connect to ${key}: ${why})` : ''}`;
    }
  }
  facts.finalUrl = page.url();
  if (facts.error !== undefined) return facts;
  facts.cpu = await sampleCpu(d.browserSession, session, opts.cpuWindowMs);
  await recorder.settle(Math.max(t0 + opts.pageTimeoutMs - LINKS_TIMEOUT_MS, performance.now() + 250));
  facts.links = await linksOf(page);
  const title = await withTimeout(page.title(), 500, undefined);
  if (title) facts.title = title;
  return facts;
}

async function checkPage(d: Driver, url: string, depth: number, origins: string[]): Promise<PageCheck> {
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const recorder = new PageRecorder(d.opts.rules, d.marker);
  d.gate.allowed = d.opts.blockExternal ? new Set(origins) : undefined;
  d.gate.onRefused = (r) => recorder.refused(r.url, r.by);
  d.gate.unreachable.clear();
  // Service workers outlive the page and would escape the budget; the page runs without them.
  const context = await d.browser.newContext({ serviceWorkers: 'block' });
  let facts: PageFacts;
  try {
    facts = await visit(d, context, recorder, url, t0);
  } catch (err) {
    // The browser failed this page (a crashed renderer, a closed target): said, never taken as clean.
    facts = { links: [], loaded: false, cpu: { windowMs: 0 }, error: firstLine((err as Error).message) };
  } finally {
    d.gate.onRefused = () => undefined;
    await context.close().catch(() => undefined);
  }
  const { links, cpu, loaded, title, status, finalUrl, error } = facts;
  const observation = recorder.observation({
    url,
    depth,
    loaded,
    startedAt,
    durationMs: Math.round(performance.now() - t0),
    cpu,
    ...(finalUrl ? { finalUrl } : {}),
    ...(title ? { title } : {}),
    ...(status !== undefined ? { status } : {}),
    ...(error !== undefined ? { error } : {}),
  });
  return { observation, links };
}

/** The URL without its fragment: what identifies a page for the crawl. */
function pageKey(u: URL): string {
  const c = new URL(u.href);
  c.hash = '';
  return c.href;
}

/**
 * Checks `start` and, up to `crawl` links deep, the pages of the same origin it links to (at most
 * `maxPages` in all, breadth first), calling `onPage` as each is done.
 */
export async function checkSite(
  b: LiveBrowser,
  start: string,
  limits: { crawl: number; maxPages: number },
  onPage?: (o: PageObservation) => void,
): Promise<PageObservation[]> {
  const origin = new URL(start);
  const seen = new Set([pageKey(origin)]);
  const queue = [{ url: start, depth: 0 }];
  const out: PageObservation[] = [];
  while (queue.length > 0 && out.length < limits.maxPages) {
    const next = queue.shift()!;
    const { observation, links } = await b.check(next.url, next.depth, [hostKey(origin)]);
    out.push(observation);
    onPage?.(observation);
    if (next.depth >= limits.crawl) continue;
    for (const l of links) {
      let u: URL;
      try {
        u = new URL(l);
      } catch {
        continue;
      }
      if (u.origin !== origin.origin) continue;
      const key = pageKey(u);
      if (seen.has(key)) continue;
      seen.add(key);
      queue.push({ url: key, depth: next.depth + 1 });
    }
  }
  return out;
}
