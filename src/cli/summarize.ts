// `minehunter summarize`: many hosts' JSON reports (gathered by any means: Ansible, Velociraptor, scp)
// in, one fleet overview out — HTML readable offline, CSV for spreadsheets, JSON for scripts. A file
// that is not a report is named on stderr and left out, and the exit code says so; snapshots of
// `collect` are analysed first, as `analyze` would.
import { readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { Lang, Localized } from '../model/finding.js';
import type { Analysis } from '../pipeline/analyze.js';
import type { Report } from '../report/model.js';
import { readFleetInput } from '../report/fleet/input.js';
import {
  buildFleet,
  type FleetOverview,
  type FleetReport,
  type SkippedInput,
} from '../report/fleet/model.js';
import { renderFleetHtml } from '../report/fleet/render-html.js';
import { renderFleetHostsCsv, renderFleetMinersCsv } from '../report/fleet/render-csv.js';
import { ft } from '../report/fleet/texts.js';
import { toolVersion } from '../util/paths.js';
import { EXIT, UsageError } from './errors.js';
import { writeOutput } from './output.js';

/** The overview was written, but some files were left out (each named on stderr). */
export const EXIT_SKIPPED = EXIT.skipped;
const FORMATS = ['html', 'csv', 'json'] as const;
type Format = (typeof FORMATS)[number];
/** A report is tens of kilobytes; a file this large is not one, and reading it would cost the run. */
const MAX_INPUT_BYTES = 256 * 1024 * 1024;

const H = {
  summarize: {
    en: 'fleet overview of many hosts’ JSON reports: verdicts, kinds, first/last seen, the same miner across hosts (html, csv, json)',
    'zh-CN':
      '汇总多台主机的 JSON 报告：各主机结论、类型、首次/最近发现时间、跨主机的同一挖矿程序（html、csv、json）',
  },
  after: {
    en: `
Give the JSON reports of \`minehunter scan --format json\` (or \`analyze\`; the array \`image\` writes is
read too), one per host and run, or directories holding them (searched for *.json; in an evidence
bundle only its report.json). Snapshots of \`minehunter collect\` are analysed first with the bundled
IOCs. Several reports of one host (same hostname) merge: its verdict, kinds and counts come from the
latest, "first seen"/"last seen" are the collection times of its first and latest reports. A host's
miners are matched across hosts by file sha256, wallet and pool.

Outputs: html (one self-contained page: no network, works from file://; a chart of infected hosts by
kind, a sortable, filterable host table, the shared miners), csv (hosts; with -o FILE.csv the miner
indicators go beside it to FILE-miners.csv), json (the whole model, fleetSchemaVersion 1). With -o DIR
all of them are written: fleet.html, fleet-hosts.csv, fleet-miners.csv, fleet.json. The format comes
from --format, else from the -o file's extension, else html.

Exit codes: 0 every file was read; 4 the overview was written but some files were left out (each is
named on stderr with the reason); 2 no file could be read, or a usage error.

Examples:
  minehunter summarize reports/*.json -o fleet.html
  minehunter summarize reports/ -o overview/                  # html, both CSVs and json
  minehunter summarize reports/*.json --format csv > hosts.csv
  minehunter summarize reports/*.json -o fleet.html --lang zh-CN`,
    'zh-CN': `
输入 \`minehunter scan --format json\`（或 \`analyze\`；\`image\` 输出的数组也可读取）生成的 JSON 报告，
每台主机每次扫描一份，或包含这些报告的目录（查找其中的 *.json；证据包目录只读取其中的 report.json）。
\`minehunter collect\` 生成的快照会先用内置 IOC 分析。同一主机（主机名相同）的多份报告会合并：结论、
类型和计数取自最新的一份，“首次发现/最近一次”为其最早和最新报告的采集时间。各主机上的挖矿程序按
文件 sha256、钱包地址和矿池地址跨主机关联。

输出：html（单个自包含页面：不联网，可直接从 file:// 打开；含按类型统计已感染主机的图表、可排序和
筛选的主机表、跨主机的同一挖矿程序）、csv（主机表；使用 -o 文件.csv 时，挖矿特征表写入同目录的
文件-miners.csv）、json（完整数据，fleetSchemaVersion 1）。-o 目录 时写出全部：fleet.html、
fleet-hosts.csv、fleet-miners.csv、fleet.json。格式取自 --format，否则取自 -o 文件的扩展名，否则为 html。

退出码：0 所有文件均已读取；4 概览已生成，但有文件被跳过（每个文件及原因都会在标准错误输出中列出）；
2 没有任何文件可读，或用法错误。

示例：
  minehunter summarize reports/*.json -o fleet.html
  minehunter summarize reports/ -o overview/                  # html、两个 CSV 和 json
  minehunter summarize reports/*.json --format csv > hosts.csv
  minehunter summarize reports/*.json -o fleet.html --lang zh-CN`,
  },
  reports: { en: 'JSON report files or directories of them', 'zh-CN': 'JSON 报告文件或包含报告的目录' },
  output: {
    en: 'write to this file, or to this directory (every format)',
    'zh-CN': '写入此文件，或写入此目录（所有格式）',
  },
  format: {
    en: 'output format (default: from the -o extension, else html)',
    'zh-CN': '输出格式（默认取自 -o 的扩展名，否则为 html）',
  },
} satisfies Record<string, Localized>;

interface SummarizeOptions {
  output?: string;
  format?: Format;
  quiet?: boolean;
}

const both = (en: string, zh: string): Localized => ({ en, 'zh-CN': zh });

/** The files the arguments name: files as given, directories searched for *.json (sorted). */
async function inputFiles(args: string[], skipped: SkippedInput[]): Promise<string[]> {
  const files: string[] = [];
  for (const arg of args) {
    const st = await stat(arg).catch((error: Error) => error);
    if (st instanceof Error) {
      skipped.push({
        source: arg,
        reason: both(`cannot be read (${st.message})`, `无法读取（${st.message}）`),
      });
      continue;
    }
    if (!st.isDirectory()) {
      files.push(arg);
      continue;
    }
    const entries = await readdir(arg, { recursive: true, withFileTypes: true });
    const found = entries
      .filter((e) => e.isFile() && e.name.endsWith('.json'))
      .map((e) => path.join(e.parentPath, e.name))
      .sort();
    // An evidence bundle (manifest.json beside report.json): its report only, not its snapshot.
    const named = new Set(found);
    const bundles = new Set(
      found
        .filter(
          (f) => path.basename(f) === 'manifest.json' && named.has(path.join(path.dirname(f), 'report.json')),
        )
        .map((f) => path.dirname(f)),
    );
    files.push(...found.filter((f) => !bundles.has(path.dirname(f)) || path.basename(f) === 'report.json'));
  }
  return files;
}

/**
 * A snapshot analysed as `analyze` would (bundled IOCs, the per-user allowlist), or the reason it
 * cannot be. The detectors and IOC data load only when a snapshot is among the files.
 */
async function analyzeSnapshotData(
  data: unknown,
  analysis: { current?: Promise<Analysis> },
): Promise<Report | Localized> {
  const [{ SnapshotSchema }, { analyzeSnapshot, prepareAnalysis }, { defaultAllowlistPath }] =
    await Promise.all([
      import('../snapshot/schema.js'),
      import('../pipeline/analyze.js'),
      import('../allow/allowlist.js'),
    ]);
  const snap = SnapshotSchema.safeParse(data);
  if (!snap.success) {
    const issue = snap.error.issues[0];
    const where = `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`;
    return both(`is not a valid minehunter snapshot (${where})`, `不是有效的 minehunter 快照（${where}）`);
  }
  analysis.current ??= prepareAnalysis({
    iocDirs: [],
    allowFiles: [],
    optionalAllowFiles: [defaultAllowlistPath()],
  });
  return analyzeSnapshot(snap.data, await analysis.current, { toolVersion: toolVersion(), now: new Date() });
}

/** One file's reports, or none with the reason recorded in `skipped`. */
async function readOne(
  file: string,
  skipped: SkippedInput[],
  analysis: { current?: Promise<Analysis> },
): Promise<FleetReport[]> {
  const skip = (reason: Localized): FleetReport[] => {
    skipped.push({ source: file, reason });
    return [];
  };
  try {
    const size = statSync(file).size;
    if (size > MAX_INPUT_BYTES)
      return skip(both(`is too large for a report (${size} bytes)`, `对报告而言过大（${size} 字节）`));
    const input = readFleetInput(readFileSync(file, 'utf8'));
    if (input.type === 'reports') return input.reports.map((report) => ({ source: file, report }));
    if (input.type === 'skip') return skip(input.reason);
    const report = await analyzeSnapshotData(input.data, analysis);
    return 'zh-CN' in report ? skip(report) : [{ source: file, report }];
  } catch (error) {
    const message = (error as Error).message;
    return skip(both(`cannot be read (${message})`, `无法读取（${message}）`));
  }
}

/**
 * Reads every file; reports and analysed snapshots in, the rest recorded in `skipped`. Reports are
 * small and many: read one after another, synchronously, which costs less than a promise per file.
 */
async function readInputs(files: string[], skipped: SkippedInput[]): Promise<FleetReport[]> {
  const analysis: { current?: Promise<Analysis> } = {};
  const read: FleetReport[] = [];
  for (const file of files) read.push(...(await readOne(file, skipped, analysis)));
  return read;
}

function formatOf(opts: SummarizeOptions): Format {
  if (opts.format) return opts.format;
  const ext = path
    .extname(opts.output ?? '')
    .slice(1)
    .toLowerCase();
  return (FORMATS as readonly string[]).includes(ext) ? (ext as Format) : 'html';
}

/** Writes the overview where -o says; returns the files written. */
async function writeFleet(fleet: FleetOverview, opts: SummarizeOptions, lang: Lang): Promise<string[]> {
  const out = opts.output;
  const html = () => renderFleetHtml(fleet, lang, toolVersion());
  const json = () => JSON.stringify(fleet, null, 2) + '\n';
  const isDir =
    out !== undefined &&
    out !== '-' &&
    (/[/\\]$/.test(out) || ((await stat(out).catch(() => undefined))?.isDirectory() ?? false));
  if (isDir) {
    await mkdir(out, { recursive: true });
    const all = opts.format ? [opts.format] : FORMATS;
    const written: [string, string, string][] = [];
    if (all.includes('html')) written.push(['fleet.html', html(), 'fleet overview (html)']);
    if (all.includes('csv'))
      written.push(
        ['fleet-hosts.csv', renderFleetHostsCsv(fleet), 'fleet overview (csv)'],
        ['fleet-miners.csv', renderFleetMinersCsv(fleet), 'fleet overview (csv)'],
      );
    if (all.includes('json')) written.push(['fleet.json', json(), 'fleet overview (json)']);
    for (const [name, text, what] of written) await writeOutput(path.join(out, name), text, what);
    return written.map(([name]) => path.join(out, name));
  }
  const format = formatOf(opts);
  if (format === 'csv') {
    await writeOutput(out, renderFleetHostsCsv(fleet), 'fleet overview (csv)');
    if (out === undefined || out === '-') return [];
    const miners = out.replace(/(\.csv)?$/i, '-miners.csv');
    await writeOutput(miners, renderFleetMinersCsv(fleet), 'fleet overview (csv)');
    return [out, miners];
  }
  await writeOutput(out, format === 'json' ? json() : html(), `fleet overview (${format})`);
  return out === undefined || out === '-' ? [] : [out];
}

export function registerSummarizeCommand(
  program: Command,
  lang: Lang,
  setExit: (code: number) => void,
): void {
  program
    .command('summarize')
    .description(H.summarize[lang])
    .argument('<reports...>', H.reports[lang])
    .option('-o, --output <path>', H.output[lang])
    .addOption(new Option('-f, --format <format>', H.format[lang]).choices(FORMATS))
    .addHelpText('after', H.after[lang])
    .action(async (args: string[], _o, cmd: Command) => {
      const opts = cmd.optsWithGlobals<SummarizeOptions>();
      const say = (line: string) => process.stderr.write(`minehunter: ${line}\n`);
      const skipped: SkippedInput[] = [];
      const files = await inputFiles(args, skipped);
      const reports = await readInputs(files, skipped);
      for (const s of [...skipped].sort((a, b) => (a.source < b.source ? -1 : 1)))
        say(ft(lang, 'skippedFile', { file: s.source, reason: s.reason[lang] }));
      const total = files.length + skippedArgs(skipped, files);
      if (reports.length === 0)
        throw new UsageError(
          lang === 'en'
            ? `none of the ${total} files given is a minehunter report`
            : `所给的 ${total} 个文件中没有任何 minehunter 报告`,
        );
      const fleet = buildFleet(reports, skipped, new Date());
      const written = await writeFleet(fleet, opts, lang);
      if (!opts.quiet) {
        const s = fleet.totals.byStatus;
        const shared = fleet.totals.shared.sha256 + fleet.totals.shared.wallet + fleet.totals.shared.pool;
        say(
          ft(lang, 'summaryLine', { reports: fleet.totals.reports, hosts: fleet.totals.hosts, ...s, shared }),
        );
        for (const file of written)
          say(ft(lang, 'wrote', { what: lang === 'en' ? 'fleet overview' : '主机群概览', file }));
      }
      if (skipped.length > 0) {
        say(ft(lang, 'skippedCount', { count: skipped.length, total }));
        setExit(EXIT_SKIPPED);
      } else setExit(EXIT.clean);
    });
}

/** Arguments skipped before they became files (missing paths). */
function skippedArgs(skipped: SkippedInput[], files: string[]): number {
  return skipped.filter((s) => !files.includes(s.source)).length;
}
