// `minehunter web URL...`: opens each page in a headless Chromium (the distribution's; none is
// downloaded), records what it loads and runs (scripts, WebSockets and their frames, WebAssembly
// modules, workers, CPU over a window), judges it (detect/web-live.ts) and prints one report for all
// pages. --crawl follows same-origin links, --block-external keeps the browser on each page's own
// origin. Exit codes as scan's: 0 nothing at or above --fail-on, 1 findings at or above it, 2 usage
// error (a bad URL, no Chromium), 3 internal error.
import { existsSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { BrowserMissingError, findChromium } from '../collect/web/chromium.js';
import { BrowserStartError, checkSite, openBrowser, type LiveBrowser } from '../collect/web/live.js';
import { webRuleScanner, type WebRuleScanner } from '../collect/web/rules.js';
import { pageSnapshot } from '../collect/web/snapshot.js';
import { judgePage, type PageObservation, type PageStatus } from '../detect/web-live.js';
import { defaultCachePath } from '../engine/cache.js';
import { EngineUnavailableError } from '../engine/yara.js';
import { LEVELS, type Lang, type Level, type Localized } from '../model/finding.js';
import { renderWebText, webFailsAt, type WebPageReport, type WebReport } from '../report/render-web.js';
import { toolVersion } from '../util/paths.js';
import { printRuleProblems } from './content.js';
import { EXIT, UsageError } from './errors.js';
import { useColor, writeOutput } from './output.js';

const H = {
  web: {
    en: 'check live web pages in a headless Chromium for in-browser miners: scripts, miner WebSockets, WebAssembly, workers, CPU',
    'zh-CN':
      '在无头 Chromium 中实时检查网页是否含浏览器挖矿脚本：脚本、挖矿 WebSocket、WebAssembly、Worker、CPU 占用',
  },
  after: {
    en: `
Each page opens in a fresh browser context of a headless Chromium (the one your distribution
installs: apt-get install chromium; nothing is downloaded, no profile of yours is used, the
temporary profile is removed afterwards). The report lists, per page: the scripts and documents it
loaded with their sha256 and rule matches (as written and as decoded), the WebSockets it opened and
the frames that speak a miner protocol (CoinHive-style auth/job/submit, Stratum login/job/submit),
the WebAssembly modules it compiled (sha256, size, exports and imports, rule matches on the bytes),
the workers it started, and the CPU its renderer used over --cpu-window after the page loaded.

Verdict per page: INFECTED when it speaks a miner protocol or loads code that the miner rules call
high or critical; SUSPICIOUS for a weaker match, or for workers that hold the CPU beside a
WebAssembly module that no rule knows; a page that could not be loaded is reported as not checked,
never as clean. The browser's own background services are always refused, so a check talks only to
the sites it opens; --block-external narrows that to each page's own origin (scheme, host, port),
for opening a suspect page without letting it reach its pool: every refusal is listed.

Examples:
  minehunter web https://www.example.com/
  minehunter web https://shop.example.com/ --crawl 2 --max-pages 30
  minehunter web http://10.0.0.5/index.php --block-external --format json -o page.json
  minehunter web https://blog.example.com/ --cpu-window 3000 --fail-on medium
  minehunter web https://shop.example.com/ --save-snapshot page.json
  minehunter report --snapshot page.json -o incident.md; minehunter evidence --snapshot page.json -o ./case

Exit codes: 0 nothing at or above --fail-on on any page, 1 findings at or above it, 2 usage error
(a URL that is not http(s), Chromium not installed), 3 internal error.`,
    'zh-CN': `
每个页面都在无头 Chromium 的全新浏览器上下文中打开（使用发行版安装的 Chromium：apt-get install chromium；
不下载任何浏览器，不使用您自己的浏览器配置，临时配置目录用后即删）。报告按页面列出：加载的脚本和文档及其
sha256 与规则命中（原文及解码后）、打开的 WebSocket 及其中符合挖矿协议的帧（CoinHive 式 auth/job/submit、
Stratum login/job/submit）、编译的 WebAssembly 模块（sha256、大小、导出与导入、字节的规则命中）、启动的
Worker，以及页面加载后 --cpu-window 时间内渲染进程的 CPU 占用。

每个页面的结论：使用挖矿协议或加载了被挖矿规则判为高危/严重的代码时为“已感染”；命中较弱规则，或 Worker
在未知 WebAssembly 模块旁持续占用 CPU 时为“可疑”；无法加载的页面报告为未能检查，绝不当作干净。浏览器自身的
后台服务请求一律拒绝，检查只访问所打开的网站；--block-external 进一步限制为每个页面自身的源（协议、主机、端口），
用于安全地打开可疑页面而不让其连上矿池：每次拦截都会列出。

示例：
  minehunter web https://www.example.com/
  minehunter web https://shop.example.com/ --crawl 2 --max-pages 30
  minehunter web http://10.0.0.5/index.php --block-external --format json -o page.json
  minehunter web https://blog.example.com/ --cpu-window 3000 --fail-on medium
  minehunter web https://shop.example.com/ --save-snapshot page.json
  minehunter report --snapshot page.json -o incident.md; minehunter evidence --snapshot page.json -o ./case

退出码：0 所有页面都没有达到 --fail-on 级别的发现，1 有达到该级别的发现，2 用法错误（URL 不是 http(s)、
未安装 Chromium），3 内部错误。`,
  },
  urls: { en: 'page URLs (http or https)', 'zh-CN': '页面 URL（http 或 https）' },
  format: { en: 'output format', 'zh-CN': '输出格式' },
  failOn: {
    en: 'exit with 1 when a page has a finding at or above this level',
    'zh-CN': '任一页面存在达到此级别的发现时以退出码 1 结束',
  },
  output: { en: 'write the report to this file', 'zh-CN': '将报告写入此文件' },
  saveSnapshot: {
    en: 'also save what the browser saw as a snapshot, for `minehunter report --snapshot` and `evidence --snapshot`',
    'zh-CN':
      '同时将浏览器观察到的内容保存为快照，供 `minehunter report --snapshot` 和 `evidence --snapshot` 使用',
  },
  crawl: {
    en: 'also check same-origin pages linked from each URL, up to this many links deep (0-5)',
    'zh-CN': '同时检查每个 URL 链接到的同源页面，最多深入这么多层链接（0-5）',
  },
  maxPages: {
    en: 'pages checked at most per URL given, crawl included',
    'zh-CN': '每个给定 URL 最多检查的页面数，含爬取的页面',
  },
  block: {
    en: 'let each page reach only its own origin (scheme, host, port); every other request is refused and listed',
    'zh-CN': '只允许页面访问自身的源（协议、主机、端口）；其他请求一律拒绝并列出',
  },
  cpuWindow: {
    en: 'how long to sample the page’s CPU after it loaded, in ms',
    'zh-CN': '页面加载后采样 CPU 的时长（毫秒）',
  },
  timeout: {
    en: 'most time one page may take, load and CPU window included, in ms',
    'zh-CN': '单个页面的最长检查时间（毫秒，含加载和 CPU 采样）',
  },
  browser: {
    en: 'the Chromium binary to use (default: /usr/bin/chromium, $MINEHUNTER_CHROMIUM)',
    'zh-CN': '要使用的 Chromium 可执行文件（默认：/usr/bin/chromium 或 $MINEHUNTER_CHROMIUM）',
  },
  rules: {
    en: 'directory of your own YARA rules (*.yar), loaded beside ours (repeatable)',
    'zh-CN': '自定义 YARA 规则目录（*.yar），与内置规则一同加载（可多次指定）',
  },
  noCache: {
    en: 'neither read nor write the compiled-rules cache',
    'zh-CN': '不读取也不写入已编译规则的缓存',
  },
} satisfies Record<string, Localized>;

interface WebCliOptions {
  format: 'text' | 'json';
  failOn: Level | 'none';
  output?: string;
  saveSnapshot?: string;
  crawl: number;
  maxPages: number;
  blockExternal?: boolean;
  cpuWindow: number;
  timeout: number;
  browser?: string;
  rules: string[];
  cache: boolean;
  color: boolean;
  quiet?: boolean;
}

function wholeNumber(flag: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not "${value}"`);
    return n;
  };
}

/** The URLs as given, checked: http and https only, each parsed once here. */
function pageUrls(inputs: readonly string[]): string[] {
  return inputs.map((input) => {
    let u: URL;
    try {
      u = new URL(input);
    } catch {
      throw new UsageError(`${input}: not a URL (give it whole, e.g. https://www.example.com/)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new UsageError(`${input}: only http and https pages can be checked`);
    return u.href;
  });
}

const NO_RULES: WebRuleScanner = { problems: [], scanScript: () => [], scanWasm: () => [] };

function loadRules(opts: WebCliOptions, lang: Lang, notes: Localized[]): WebRuleScanner {
  try {
    const rules = webRuleScanner(opts.rules, opts.cache ? defaultCachePath() : undefined);
    printRuleProblems(rules.problems, lang, Boolean(opts.quiet));
    return rules;
  } catch (err) {
    if (!(err instanceof EngineUnavailableError)) throw err;
    // Frames, WebAssembly hashes, workers and CPU still tell a miner; the report says what is missing.
    notes.push({
      en: `${err.localized.en} Scripts and modules were hashed but not matched against the rules.`,
      'zh-CN': `${err.localized['zh-CN']}脚本和模块只计算了哈希，未进行规则匹配。`,
    });
    return NO_RULES;
  }
}

/** The Chromium to drive; said before anything slow starts, with how to install one. */
function chromiumPath(opts: WebCliOptions, lang: Lang): string {
  try {
    return findChromium(opts.browser);
  } catch (err) {
    if (err instanceof BrowserMissingError) throw new UsageError(err.localized[lang]);
    throw err;
  }
}

async function startBrowser(
  opts: WebCliOptions,
  executablePath: string,
  rules: WebRuleScanner,
): Promise<LiveBrowser> {
  try {
    return await openBrowser({
      executablePath,
      cpuWindowMs: opts.cpuWindow,
      pageTimeoutMs: opts.timeout,
      blockExternal: Boolean(opts.blockExternal),
      rules,
    });
  } catch (err) {
    if (err instanceof BrowserStartError) throw new UsageError(err.message);
    throw err;
  }
}

function progressLine(lang: Lang, o: PageObservation, n: number): string {
  return lang === 'zh-CN' ? `已检查第 ${n} 个页面：${o.url}` : `checked page ${n}: ${o.url}`;
}

async function run(inputs: string[], opts: WebCliOptions, lang: Lang): Promise<number> {
  const urls = pageUrls(inputs);
  if (opts.timeout < opts.cpuWindow + 2_000)
    throw new UsageError(
      `--timeout ${opts.timeout} leaves no time to load a page beside --cpu-window ${opts.cpuWindow}: give at least ${opts.cpuWindow + 2_000}`,
    );
  for (const d of opts.rules) if (!existsSync(d)) throw new UsageError(`--rules ${d}: no such directory`);
  const executablePath = chromiumPath(opts, lang);
  const notes: Localized[] = [];
  const rules = loadRules(opts, lang, notes);
  const startedAt = new Date();
  const t0 = performance.now();
  const browser = await startBrowser(opts, executablePath, rules);
  const startMs = Math.round(performance.now() - t0);
  const progress = !opts.quiet && process.stderr.isTTY;
  const observations: PageObservation[] = [];
  try {
    for (const url of urls)
      observations.push(
        ...(await checkSite(browser, url, { crawl: opts.crawl, maxPages: opts.maxPages }, (o) => {
          if (progress) process.stderr.write(`\r\x1b[K${progressLine(lang, o, observations.length + 1)}`);
        })),
      );
  } finally {
    if (progress) process.stderr.write('\r\x1b[K');
    await browser.close();
  }
  const pages: WebPageReport[] = observations.map((o) => ({ url: o.url, ...judgePage(o), observation: o }));
  const count = (s: PageStatus) => pages.filter((p) => p.status === s).length;
  const options = {
    cpuWindowMs: opts.cpuWindow,
    pageTimeoutMs: opts.timeout,
    crawl: opts.crawl,
    maxPages: opts.maxPages,
    blockExternal: Boolean(opts.blockExternal),
  };
  if (opts.saveSnapshot) {
    const snapshot = pageSnapshot({
      urls,
      pages: observations,
      browser: { executable: browser.executable, version: browser.version },
      options,
      notes,
      toolVersion: toolVersion(),
      collectedAt: startedAt,
      durationMs: performance.now() - t0,
    });
    await writeOutput(opts.saveSnapshot, `${JSON.stringify(snapshot, null, 2)}\n`, 'snapshot');
  }
  const report: WebReport = {
    schemaVersion: 1,
    tool: { name: 'minehunter', version: toolVersion() },
    generatedAt: new Date().toISOString(),
    browser: { executable: browser.executable, version: browser.version, startMs },
    options,
    notes,
    summary: {
      pages: pages.length,
      infected: count('infected'),
      suspicious: count('suspicious'),
      clean: count('clean'),
      incomplete: count('incomplete'),
      msPerPage: pages.length
        ? Math.round(observations.reduce((n, o) => n + o.durationMs, 0) / pages.length)
        : 0,
    },
    pages,
  };
  const text =
    opts.format === 'json'
      ? `${JSON.stringify(report, null, 2)}\n`
      : renderWebText(report, { lang, color: useColor(opts) });
  await writeOutput(opts.output, text, `web report (${opts.format})`);
  return webFailsAt(report, opts.failOn) ? EXIT.findings : EXIT.clean;
}

/** Registers `minehunter web`. */
export function registerWebCommand(program: Command, lang: Lang, setExit: (code: number) => void): void {
  const h = (k: keyof typeof H) => H[k][lang];
  const cmd = program
    .command('web')
    .description(h('web'))
    .argument('<urls...>', h('urls'))
    .addHelpText('after', h('after'))
    .addOption(new Option('-f, --format <format>', h('format')).choices(['text', 'json']).default('text'))
    .addOption(new Option('--fail-on <level>', h('failOn')).choices([...LEVELS, 'none']).default('high'))
    .option('-o, --output <file>', h('output'))
    .option('--save-snapshot <file>', h('saveSnapshot'))
    .addOption(new Option('--crawl <depth>', h('crawl')).default(0).argParser(wholeNumber('--crawl', 0, 5)))
    .addOption(
      new Option('--max-pages <n>', h('maxPages')).default(20).argParser(wholeNumber('--max-pages', 1, 500)),
    )
    .option('--block-external', h('block'))
    .addOption(
      new Option('--cpu-window <ms>', h('cpuWindow'))
        .default(5_000)
        .argParser(wholeNumber('--cpu-window', 0, 60_000)),
    )
    .addOption(
      new Option('--timeout <ms>', h('timeout'))
        .default(10_000)
        .argParser(wholeNumber('--timeout', 2_000, 120_000)),
    )
    .option('--browser <path>', h('browser'))
    .option('--rules <dir>', h('rules'), (v: string, p: string[]) => [...p, v], [])
    .option('--no-cache', h('noCache'));
  cmd.action(async (inputs: string[], _o, c: Command) => {
    setExit(await run(inputs, c.optsWithGlobals<WebCliOptions>(), lang));
  });
}
