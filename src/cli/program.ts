// The minehunter command line: parses arguments, runs collect/analyze, prints, and maps outcomes to
// exit codes (0 clean, 1 findings at or above --fail-on, 2 usage error, 3 internal error, 130 a scan
// stopped by Ctrl-C). The entry (main.ts) loads it once what must start first has started.
import { startupCpuBaseline } from '../collect/linux/cpu-baseline.js';
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
// Only what every run needs loads before main(): the collectors, the detectors, the report schemas
// and renderers load when a command runs (issue 17: start-up time). See loadReporting below.
import type { Lang, Level } from '../model/finding.js';
import { LEVELS } from '../model/levels.js';
import { CollectRootError } from '../collect/root-error.js';
import type { Analysis } from '../pipeline/analyze.js';
import type * as AnalyzeModule from '../pipeline/analyze.js';
import type { Report } from '../report/model.js';
import type * as ReportModel from '../report/model.js';
import type * as CollectModule from '../collect/index.js';
import type { RuleProblem } from '../engine/yara.js';
import { detectLang, parseLang, t } from '../report/i18n.js';
import { EXPORT_FORMATS, type ExportFormat } from '../report/export-formats.js';
import type { Snapshot } from '../snapshot/schema.js';
import { defaultCachePath, toolVersion } from '../util/paths.js';
import { markPhase, printTimings } from '../util/timings.js';
import { setDerivedCacheDir } from '../util/derived-cache.js';
import { EXIT, UsageError } from './errors.js';
import { requestedCommand } from './command-line.js';
import { InputFileError } from '../util/input-error.js';
import { outputWidth, useColor, writeOutput } from './output.js';
import { ScanProgress, fullScanTotals, progressMode, treeTotals } from './progress.js';
import { onInterrupt } from './interrupt.js';
import { helpText, type HelpKey } from './help.js';
import { addContentOptions, contentOptions, printRuleProblems, type ContentCliOptions } from './content.js';
import type { ImageCliDeps } from './image.js';

/** Commands program.ts defines itself, and the ones other modules register. */
const RESPOND_COMMANDS = ['respond', 'undo', 'evidence', 'report'];
const CORE_COMMANDS = [
  'scan',
  'collect',
  'analyze',
  'image',
  'audit',
  'web',
  'rules',
  'watch',
  'ack',
  'summarize',
  ...RESPOND_COMMANDS,
];

interface CommonOptions {
  lang?: string;
  color: boolean;
  quiet?: boolean;
}
interface AnalyzeCliOptions extends CommonOptions {
  format: 'text' | 'json' | 'jsonl' | ExportFormat;
  failOn: Level | 'none';
  allow: string[];
  defaultAllow: boolean;
  iocs: string[];
  output?: string;
  verbose?: boolean;
}
interface CollectCliOptions extends CommonOptions, ContentCliOptions {
  root: string;
  cpuWindow: number;
  hash: boolean;
}

export async function main(argv: string[]): Promise<number> {
  // MINEHUNTER_TIMINGS=1: Node's start and the static imports end here (util/timings.ts).
  markPhase('start-up');
  const lang = langFromArgv(argv);
  const h = (key: HelpKey) => helpText(lang, key);
  const program = new Command('minehunter')
    .description(h('program'))
    .version(toolVersion(), '-V, --version')
    .addOption(new Option('--lang <lang>', h('lang')).choices(['en', 'zh-CN']))
    .option('--no-color', h('noColor'))
    .option('-q, --quiet', h('quiet'))
    .showHelpAfterError(h('helpHint'))
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) })
    .addHelpText('after', h('programAfter'));

  let exitCode: number = EXIT.clean;

  const scan = program.command('scan').description(h('scan')).addHelpText('after', h('scanAfter'));
  addCollectOptions(scan, h);
  addContentOptions(scan, lang);
  addAnalyzeOptions(scan, h, SCAN_FORMATS, lang);
  scan.action(async (_opts, cmd: Command) => {
    const opts = cmd.optsWithGlobals<AnalyzeCliOptions & CollectCliOptions>();
    const viaImages = await scanImagePaths(opts, lang, h);
    if (viaImages !== undefined) {
      exitCode = viaImages;
      return;
    }
    // The collectors load and start first; the analysis modules, IOC data and allowlists load once
    // they have begun, while the process walk waits out its CPU sampling window (issue 17: start-up
    // time). A bad input file still ends the scan with a usage error before anything is printed.
    // Ctrl-C stops collecting: what was found so far is printed, marked incomplete (cli/interrupt.ts).
    checkIocDirs(opts);
    const interrupt = onInterrupt(lang);
    try {
      const collecting = collect(opts, lang, interrupt.signal);
      // The analysis modules load after the content scan's: it starts as soon as the walk is read,
      // and the analysis runs only at the end.
      const preparing = (opts.content ? loadContentScan() : Promise.resolve())
        .then(() => loadCollectors())
        .then(() => prepare(opts));
      const [analysis, snapshot] = await Promise.all([preparing, collecting]);
      markPhase('collect');
      exitCode = await analyzeAndPrint(snapshot, analysis, opts, lang);
      printTimings(snapshot.collection);
      if (snapshot.incomplete) exitCode = EXIT.interrupted;
    } finally {
      interrupt.dispose();
    }
  });

  const collectCmd = program
    .command('collect')
    .description(h('collect'))
    .option('-o, --output <file>', h('collectOutput'))
    .addHelpText('after', h('collectAfter'));
  addCollectOptions(collectCmd, h);
  addContentOptions(collectCmd, lang);
  collectCmd.action(async (_opts, cmd: Command) => {
    const opts = cmd.optsWithGlobals<CollectCliOptions & { output?: string }>();
    const { collectNamedImage, imagesAmongPaths } = await import('./image.js');
    const named = await imagesAmongPaths(opts);
    const snapshot = named ? await collectNamedImage(named, opts, lang) : await collect(opts, lang);
    await writeOutput(opts.output, JSON.stringify(snapshot, null, 2) + '\n', 'snapshot');
  });

  const analyze = program
    .command('analyze')
    .description(h('analyze'))
    .argument('<snapshot>', h('snapshotArg'))
    .addHelpText('after', h('analyzeAfter'));
  addAnalyzeOptions(analyze, h, SCAN_FORMATS, lang);
  analyze.action(async (file: string, _opts, cmd: Command) => {
    const opts = cmd.optsWithGlobals<AnalyzeCliOptions>();
    const analysis = await prepare(opts);
    const snapshot = await (await import('./snapshot-file.js')).readSnapshot(file);
    exitCode = await analyzeAndPrint(snapshot, analysis, opts, lang);
  });

  await registerLoadedCommands(program, argv, lang, (code) => (exitCode = code));

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return exitCodeOf(error, lang);
  }
}

/**
 * The commands defined in their own modules. A command's modules (database clients, archive and PDF
 * code) cost start-up time and memory, so a run loads only the command it was asked for; help, a
 * typo or a bare `minehunter` load them all.
 */
async function registerLoadedCommands(
  program: Command,
  argv: string[],
  lang: Lang,
  setExit: (code: number) => void,
): Promise<void> {
  const h = (key: HelpKey) => helpText(lang, key);
  const requested = requestedCommand(argv);
  // `--version` alone prints one line: no command module is needed for it.
  const versionOnly = requested === undefined && argv.some((a) => a === '-V' || a === '--version');
  const loads = (names: string[]): boolean =>
    !versionOnly &&
    (requested === undefined || !CORE_COMMANDS.includes(requested) || names.includes(requested));
  if (loads(['image'])) {
    const { registerImageCommand } = await import('./image.js');
    registerImageCommand(program, imageDepsOf(lang, h), setExit);
  }
  if (loads(RESPOND_COMMANDS)) {
    const { registerRespondCommands } = await import('./respond.js');
    registerRespondCommands(program, {
      lang,
      scan: async (opts) => {
        const o = opts as unknown as AnalyzeCliOptions & CollectCliOptions;
        const analysis = await prepare(o);
        const snapshot = await collect(o, lang);
        return { snapshot, report: await analyzeReport(snapshot, analysis) };
      },
      analyzeFile: async (file, opts) => {
        const analysis = await prepare(opts as unknown as AnalyzeCliOptions);
        const snapshot = await (await import('./snapshot-file.js')).readSnapshot(file);
        return { snapshot, report: await analyzeReport(snapshot, analysis) };
      },
      addScanOptions: (cmd) => {
        addCollectOptions(cmd, h);
        addContentOptions(cmd, lang);
        // respond and evidence print a plan, not findings: no jsonl for them.
        addAnalyzeOptions(cmd, h, ['text', 'json']);
      },
      addCollectOptions: (cmd) => {
        addCollectOptions(cmd, h);
        addContentOptions(cmd, lang);
      },
      setExit,
    });
  }

  if (loads(['audit'])) {
    const { registerAuditCommand } = await import('./audit.js');
    registerAuditCommand(program, lang, setExit);
  }
  if (loads(['web'])) (await import('./web.js')).registerWebCommand(program, lang, setExit);
  if (loads(['rules'])) (await import('./rules.js')).registerRulesCommand(program, lang, setExit);
  if (loads(['watch'])) (await import('./watch.js')).registerWatchCommand(program, lang, setExit);
  if (loads(['ack'])) (await import('./ack.js')).registerAckCommand(program, lang, setExit);
  if (loads(['summarize'])) (await import('./summarize.js')).registerSummarizeCommand(program, lang, setExit);
}

/** The one place an error becomes an exit code: the user's mistakes are 2, our own faults 3. */
function exitCodeOf(error: unknown, lang: Lang): number {
  if (error instanceof CommanderError) {
    // --help and --version end through here with exit code 0.
    return error.exitCode === 0 ? EXIT.clean : EXIT.usage;
  }
  if (error instanceof UsageError || error instanceof CollectRootError) {
    process.stderr.write(`minehunter: ${error.message}\n`);
    return EXIT.usage;
  }
  if (error instanceof InputFileError) {
    process.stderr.write(`minehunter: ${error.localized[lang]}\n`);
    return EXIT.usage;
  }
  const err = error as Error;
  process.stderr.write(`minehunter: internal error: ${err.message}\n`);
  if (process.env.MINEHUNTER_DEBUG) process.stderr.write(`${err.stack ?? ''}\n`);
  else process.stderr.write('(set MINEHUNTER_DEBUG=1 for the stack trace)\n');
  return EXIT.internal;
}

function addCollectOptions(cmd: Command, h: (k: HelpKey) => string): void {
  cmd
    .option('--root <dir>', h('root'), '/')
    .addOption(
      new Option('--cpu-window <ms>', h('cpuWindow')).default(300).argParser(positiveInt('--cpu-window')),
    )
    .option('--no-hash', h('noHash'));
}

/** Report formats of scan and analyze; jsonl is one line per finding (report/render-jsonl.ts). */
const REPORT_FORMATS = ['text', 'json', 'jsonl'] as const;
/** scan and analyze also export to SIEMs and threat intelligence (report/render-export.ts). */
const SCAN_FORMATS = [...REPORT_FORMATS, ...EXPORT_FORMATS] as const;

/** With `lang`, the text report's --verbose too (scan, analyze, image; not respond's plan). */
function addAnalyzeOptions(
  cmd: Command,
  h: (k: HelpKey) => string,
  formats: readonly string[] = REPORT_FORMATS,
  lang?: Lang,
): void {
  if (lang) cmd.option('--verbose', t(lang, 'cli.verbose'));
  cmd
    .addOption(new Option('-f, --format <format>', formatHelp(formats, h)).choices(formats).default('text'))
    .addOption(new Option('--fail-on <level>', h('failOn')).choices([...LEVELS, 'none']).default('high'))
    .option('--allow <file>', h('allow'), collectList, [])
    .option('--no-default-allow', h('noDefaultAllow'))
    .option('--iocs <dir>', h('iocs'), collectList, [])
    .option('-o, --output <file>', h('output'));
}

async function collect(opts: CollectCliOptions, lang: Lang, signal?: AbortSignal): Promise<Snapshot> {
  const root = path.resolve(opts.root);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new UsageError(`--root ${opts.root}: not a directory`);
  }
  const progress = new ScanProgress(lang, progressMode(Boolean(opts.quiet)));
  signal?.addEventListener('abort', () => progress.end(), { once: true });
  // What the content scan will read, for its time left: statfs for --full, a walk of --path trees.
  if (opts.content && opts.full) progress.expect((abort) => fullScanTotals(root, abort));
  else if (opts.content && opts.path.length > 0)
    progress.expect((abort) =>
      treeTotals(
        opts.path.map((p) => path.resolve(p)),
        Boolean(opts.crossFs),
        abort,
      ),
    );
  const options = {
    root,
    cpuWindowMs: opts.cpuWindow,
    // This host's processes as the command started, when it is this host that is scanned.
    ...(root === '/' ? { cpuBaseline: startupCpuBaseline() } : {}),
    hashExecutables: opts.hash,
    toolVersion: toolVersion(),
    onProgress: (id: string) => progress.phase(id),
    content: contentOptions(opts, lang, (p) => progress.content(p)),
    // A path scan reports on the paths; the host joins only when asked for.
    // --memory with --path asks for the host's processes too.
    scope:
      opts.path.length > 0 && !opts.host && opts.memory !== true ? ('paths' as const) : ('host' as const),
    onRuleProblems: (problems: readonly RuleProblem[]) =>
      printRuleProblems(problems, lang, Boolean(opts.quiet)),
    ...(signal ? { signal } : {}),
  };
  // What the collectors derive from the target's package databases is kept beside the scan cache,
  // and off with it (util/derived-cache.ts).
  setDerivedCacheDir(
    opts.cache === false ? undefined : path.join(path.dirname(defaultCachePath()), 'derived'),
  );
  // The collectors load once the options are known good: a usage error costs no loading.
  const collecting = loadCollectors().then(({ collectSnapshot }) => collectSnapshot(options));
  if (opts.content) void loadContentScan();
  return collecting.finally(() => progress.end());
}

let collectorsLoad: Promise<typeof CollectModule> | undefined;
/** The collectors' modules, loaded once; scan starts the analysis's loading after them. */
function loadCollectors(): Promise<typeof CollectModule> {
  collectorsLoad ??= import('../collect/index.js');
  return collectorsLoad;
}

let contentScanLoad: Promise<unknown> | undefined;
/**
 * The content scan's modules (~300 KB), loaded beside the collectors' instead of once its collector
 * runs: loaded then, among the other collectors' work on the busy main thread, they took ~0.25 s and
 * held the content scan's start well past the process walk it waits for (issue 17). A failure is
 * the content collector's to report, when it imports them itself.
 */
function loadContentScan(): Promise<unknown> {
  contentScanLoad ??= import('../collect/content/index.js').catch(() => undefined);
  return contentScanLoad;
}

/** What `image` borrows from here: the analysis inputs, the shared options, the report formats. */
function imageDepsOf(lang: Lang, h: (k: HelpKey) => string): ImageCliDeps {
  return {
    lang,
    prepare: (o) => prepare(o as unknown as AnalyzeCliOptions),
    addAnalyzeOptions: (cmd) => addAnalyzeOptions(cmd, h, REPORT_FORMATS, lang),
    render: (report, o) => renderReport(report, o as unknown as AnalyzeCliOptions, lang),
  };
}

/**
 * `scan --path` on image tarballs or OCI layouts: each is read as an image (cli/image.ts), other
 * paths beside them as a path scan; undefined when no --path names an image.
 */
async function scanImagePaths(
  opts: AnalyzeCliOptions & CollectCliOptions,
  lang: Lang,
  h: (k: HelpKey) => string,
): Promise<number | undefined> {
  // No --path, no image (imagesAmongPaths says so too), and the image readers stay unloaded.
  if (opts.path.length === 0) return undefined;
  const { imagesAmongPaths, runImages } = await import('./image.js');
  const named = await imagesAmongPaths(opts);
  if (!named) return undefined;
  const others = named.others;
  const extra = others.length > 0 ? () => collect({ ...opts, path: others }, lang) : undefined;
  return runImages(named.images, opts, imageDepsOf(lang, h), { array: false, ...(extra ? { extra } : {}) });
}

function checkIocDirs(opts: AnalyzeCliOptions): void {
  for (const d of opts.iocs) {
    if (!existsSync(d)) throw new UsageError(`--iocs ${d}: no such directory`);
  }
}

/** The analysis inputs, and the renderer of the report format asked for, loaded. */
function prepare(opts: AnalyzeCliOptions): Promise<Analysis> {
  checkIocDirs(opts);
  return loadReporting(opts.format).then(({ prepareAnalysis, defaultAllowlistPath }) =>
    prepareAnalysis({
      iocDirs: opts.iocs,
      allowFiles: opts.allow,
      optionalAllowFiles: opts.defaultAllow ? [defaultAllowlistPath()] : [],
      // Beside the scan cache, and off with it.
      iocCacheDir:
        (opts as { cache?: unknown }).cache === false
          ? undefined
          : path.join(path.dirname(defaultCachePath()), 'iocs'),
    }),
  );
}

/** The analysis and the report model, which the command line loads at first use. */
interface Reporting {
  prepareAnalysis: typeof AnalyzeModule.prepareAnalysis;
  analyzeSnapshot: typeof AnalyzeModule.analyzeSnapshot;
  defaultAllowlistPath: () => string;
  failsAt: typeof ReportModel.failsAt;
}
let reportingLoad: Promise<Reporting> | undefined;
/** Set once loaded: prepare() loads it, and every report follows a prepare(). */
let reporting: Reporting | undefined;

/** One report format's renderer. */
type Renderer = (report: Report, opts: AnalyzeCliOptions, lang: Lang) => string;
/**
 * The renderers, each loaded with the analysis when its format is asked for: `--format json` loads
 * none, and the text report does not load the SIEM exports (issue 17: start-up time).
 */
const RENDERER_LOADS: Record<string, () => Promise<Renderer>> = {
  json: () => Promise.resolve((report) => JSON.stringify(report, null, 2) + '\n'),
  jsonl: () => import('../report/render-jsonl.js').then((m) => (report) => m.renderJsonl(report)),
  text: () =>
    import('../report/render-text.js').then(
      (m) => (report, opts, lang) =>
        m.renderText(report, {
          lang,
          color: useColor(opts),
          width: outputWidth(opts),
          verbose: Boolean(opts.verbose),
        }),
    ),
  ...Object.fromEntries(
    EXPORT_FORMATS.map((format) => [
      format,
      () =>
        import('../report/render-export.js').then((m) => (report: Report) => m.renderExport(report, format)),
    ]),
  ),
};
const renderers = new Map<string, Renderer>();

function loadAnalysis(): Promise<Reporting> {
  reportingLoad ??= Promise.all([
    import('../pipeline/analyze.js'),
    import('../allow/allowlist.js'),
    import('../report/model.js'),
  ]).then(([analyze, allow, model]) => {
    reporting = {
      prepareAnalysis: analyze.prepareAnalysis,
      analyzeSnapshot: analyze.analyzeSnapshot,
      defaultAllowlistPath: allow.defaultAllowlistPath,
      failsAt: model.failsAt,
    };
    return reporting;
  });
  return reportingLoad;
}

/** The analysis, and the renderer of `format`. */
function loadReporting(format: string): Promise<Reporting> {
  const load = renderers.has(format) ? undefined : RENDERER_LOADS[format];
  const rendering = load ? load().then((render) => void renderers.set(format, render)) : undefined;
  return Promise.all([loadAnalysis(), rendering]).then(([loaded]) => loaded);
}

/** The report of a snapshot, as every command makes it. */
async function analyzeReport(snapshot: Snapshot, analysis: Analysis): Promise<Report> {
  const { analyzeSnapshot } = await loadAnalysis();
  return analyzeSnapshot(snapshot, analysis, { toolVersion: toolVersion(), now: new Date() });
}

async function analyzeAndPrint(
  snapshot: Snapshot,
  analysis: Analysis,
  opts: AnalyzeCliOptions,
  lang: Lang,
): Promise<number> {
  const report = await analyzeReport(snapshot, analysis);
  markPhase('analysis');
  const text = renderReport(report, opts, lang);
  await writeOutput(opts.output, text, `scan report (${opts.format})`);
  markPhase('report');
  return reporting!.failsAt(report, opts.failOn) ? EXIT.findings : EXIT.clean;
}

/** The --format help: the report formats, and the exports where the command takes them. */
function formatHelp(formats: readonly string[], h: (k: HelpKey) => string): string {
  if (!formats.includes('jsonl')) return h('format');
  return formats.includes('stix') ? `${h('reportFormat')}; ${h('exportFormat')}` : h('reportFormat');
}

/** One report in the format asked for: what scan, analyze and image print. */
function renderReport(report: Report, opts: AnalyzeCliOptions, lang: Lang): string {
  // prepare() loaded the renderer of opts.format.
  const render = renderers.get(opts.format);
  if (!render) throw new Error(`no renderer loaded for --format ${opts.format}`);
  return render(report, opts, lang);
}

function langFromArgv(argv: string[]): Lang {
  const i = argv.findIndex((a) => a === '--lang' || a.startsWith('--lang='));
  if (i >= 0) {
    const value = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
    const lang = value ? parseLang(value) : undefined;
    if (lang) return lang;
  }
  return detectLang();
}

function collectList(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function positiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new UsageError(`${flag} takes a whole number of milliseconds, not "${value}"`);
    return n;
  };
}
