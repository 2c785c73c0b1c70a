// `minehunter report`: the §5 incident report in Markdown, HTML, PDF or JSON, zh-CN or en. The tool's
// facts come from a scan, a snapshot, a JSON report or an evidence bundle; the people's facts from
// --intake FILE and, on a terminal, from questions for what is still missing. The same findings also
// export as ECS, Splunk HEC or STIX 2.1 (report/render-export.ts), as scan and analyze write them.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Option, type Command } from 'commander';
import type { Localized } from '../model/finding.js';
import type { BundleManifest } from '../evidence/bundle.js';
import { IntakeError, emptyIntake, promptMissing, readIntake, type Intake } from '../incident/intake.js';
import { buildIncidentReport, type IncidentInput } from '../incident/model.js';
import { renderIncidentMarkdown } from '../incident/render-md.js';
import { renderIncidentHtml } from '../incident/render-html.js';
import { snapshotMarks } from '../incident/charts.js';
import { PdfError, renderPdf } from '../report/render-pdf.js';
import { EXPORT_FORMATS, renderExport, type ExportFormat } from '../report/render-export.js';
import { SnapshotSchema, type Snapshot } from '../snapshot/schema.js';
import type { Report } from '../report/model.js';
import { EXIT, UsageError } from './errors.js';
import { registerOutputs, writeOutput } from './output.js';
import { readReport, type RespondDeps } from './deps.js';
import { writeFile } from 'node:fs/promises';

const H = {
  report: {
    en: 'write the incident report a response team asks for (source §5): md, html, pdf or json',
    'zh-CN': '生成应急响应团队所需的事件报告（原文第五节）：md、html、pdf 或 json',
  },
  reportAfter: {
    en: `
What the tool knows is filled in: host, addresses, first-seen time, timeline, miner processes, CPU
time and the loss estimate. Who you are, where the machine is, what you noticed and your own loss
figures come from --intake (YAML or JSON; see docs/respond.md) or from questions on a terminal.

Loss estimate: stolen CPU core-hours × watts per core ÷ 1000 × price per kWh + your own items
(defaults: 15 W per core, 0.8 CNY per kWh; override in the intake file under loss:).

--format ecs|splunk-hec|stix writes the findings of the same scan, snapshot, JSON report or evidence
bundle for Elastic (ECS NDJSON), Splunk (HEC events) or a threat-intelligence platform (a STIX 2.1
bundle), as scan --format does; no questions are asked for them.

Examples:
  minehunter report --intake case.yml --format pdf -o report.pdf --lang zh-CN
  minehunter report --evidence ./case --format html -o report.html
  minehunter report --from-report host.json --format stix -o host.stix.json`,
    'zh-CN': `
工具已知的信息会自动填写：主机、IP 地址、最早运行时间、时间线、挖矿进程、CPU 时间和损失估算。
单位信息、设备位置、观察到的现象和自行估算的损失来自 --intake（YAML 或 JSON，见 docs/respond.md），
或在终端上逐项询问。

损失估算：被盗用的 CPU 核时 × 每核功耗 ÷ 1000 × 电价 + 自行填写的其他损失
（默认：每核 15 瓦，每千瓦时 0.8 元；可在 intake 文件的 loss: 下修改）。

--format ecs|splunk-hec|stix 将同一次扫描、快照、JSON 报告或证据包中的发现导出给 Elastic（ECS NDJSON）、
Splunk（HEC 事件）或威胁情报平台（STIX 2.1 数据包），与 scan --format 相同；导出时不会询问问题。

示例：
  minehunter report --intake case.yml --format pdf -o report.pdf --lang zh-CN
  minehunter report --evidence ./case --format html -o report.html
  minehunter report --from-report host.json --format stix -o host.stix.json`,
  },
  intake: { en: 'the people’s facts: YAML or JSON file', 'zh-CN': '人工填写的信息：YAML 或 JSON 文件' },
  fromReport: { en: 'use this JSON report instead of scanning', 'zh-CN': '使用此 JSON 报告而不重新扫描' },
  snapshot: { en: 'use this snapshot instead of scanning', 'zh-CN': '使用此快照而不重新扫描' },
  evidence: {
    en: 'an evidence bundle from `minehunter evidence`: its report, attachments and samples',
    'zh-CN': '`minehunter evidence` 生成的证据包：使用其中的报告、附件和样本',
  },
  noPrompt: { en: 'never ask questions, even on a terminal', 'zh-CN': '即使在终端上也不询问' },
  format: {
    en: 'report format; ecs, splunk-hec and stix export the findings',
    'zh-CN': '报告格式；ecs、splunk-hec 和 stix 用于导出发现',
  },
  allow: { en: 'allowlist file (YAML; repeatable)', 'zh-CN': '白名单文件（YAML，可多次指定）' },
  noDefaultAllow: { en: 'ignore the per-user default allowlist', 'zh-CN': '忽略用户默认白名单' },
  iocs: { en: 'extra IOC directory (repeatable)', 'zh-CN': '额外的 IOC 目录（可多次指定）' },
  output: { en: 'write the report to this file', 'zh-CN': '将报告写入此文件' },
} satisfies Record<string, Localized>;

export function registerReportCommand(program: Command, deps: RespondDeps): void {
  const { lang } = deps;
  const cmd = program
    .command('report')
    .description(H.report[lang])
    .addHelpText('after', H.reportAfter[lang])
    .option('--intake <file>', H.intake[lang])
    .option('--from-report <file>', H.fromReport[lang])
    .option('--snapshot <file>', H.snapshot[lang])
    .option('--evidence <dir>', H.evidence[lang])
    .option('--no-prompt', H.noPrompt[lang]);
  deps.addCollectOptions(cmd);
  cmd
    .option('--allow <file>', H.allow[lang], (v: string, p: string[]) => [...p, v], [])
    .option('--no-default-allow', H.noDefaultAllow[lang])
    .option('--iocs <dir>', H.iocs[lang], (v: string, p: string[]) => [...p, v], [])
    .option('-o, --output <file>', H.output[lang]);
  cmd.addOption(
    new Option('-f, --format <format>', H.format[lang])
      .choices(['md', 'html', 'pdf', 'json', ...EXPORT_FORMATS])
      .default('md'),
  );
  cmd.action(async (_o, c: Command) => {
    const opts = c.optsWithGlobals<Record<string, unknown>>();
    const format = String(opts.format);
    if ((EXPORT_FORMATS as readonly string[]).includes(format)) {
      // An export carries the tool's findings only: no intake, no questions.
      const { report } = await gatherInput(opts, deps);
      await writeOutput(
        opts.output as string | undefined,
        renderExport(report, format as ExportFormat),
        `findings export (${format})`,
      );
      deps.setExit(EXIT.clean);
      return;
    }
    let intake: Intake = emptyIntake();
    if (opts.intake) {
      try {
        intake = await readIntake(String(opts.intake));
      } catch (error) {
        if (error instanceof IntakeError) throw new UsageError(error.message);
        throw error;
      }
    }
    const input = await gatherInput(opts, deps);
    if (opts.prompt !== false && process.stdin.isTTY && process.stderr.isTTY) {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        intake = await promptMissing(intake, lang, (q) => rl.question(q));
      } finally {
        rl.close();
      }
    }
    const incident = buildIncidentReport({ ...input, intake, now: new Date() });
    // The HTML/PDF page's findings table and timeline (with the snapshot's file times when there is one).
    const htmlOpts = {
      target: input.report.target,
      findings: input.report.findings,
      ...(input.snapshot ? { marks: snapshotMarks(input.snapshot, input.report.findings, lang) } : {}),
    };
    if (format === 'pdf') {
      let pdf: Buffer;
      try {
        pdf = await renderPdf(renderIncidentHtml(incident, lang, htmlOpts), lang);
      } catch (error) {
        if (error instanceof PdfError) throw new UsageError(error.message);
        throw error;
      }
      if (opts.output) {
        await writeFile(String(opts.output), pdf, { mode: 0o600 });
        await registerOutputs([{ path: String(opts.output), what: 'incident report (pdf)' }]);
      } else process.stdout.write(pdf);
    } else {
      const text =
        format === 'json'
          ? JSON.stringify(incident, null, 2) + '\n'
          : format === 'html'
            ? renderIncidentHtml(incident, lang, htmlOpts)
            : renderIncidentMarkdown(incident, lang, { target: input.report.target });
      await writeOutput(opts.output as string | undefined, text, `incident report (${format})`);
    }
    deps.setExit(EXIT.clean);
  });
}

async function gatherInput(
  opts: Record<string, unknown>,
  deps: RespondDeps,
): Promise<Omit<IncidentInput, 'intake' | 'now'>> {
  let report: Report | undefined;
  let snapshot: Snapshot | undefined;
  let attachments: IncidentInput['attachments'] = [];
  let samples: IncidentInput['samples'];
  if (opts.evidence) {
    const dir = path.resolve(String(opts.evidence));
    let manifest: BundleManifest;
    try {
      manifest = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
    } catch (error) {
      throw new UsageError(`--evidence ${dir}: no readable manifest.json (${(error as Error).message})`);
    }
    report = await readReport(path.join(dir, 'report.json'));
    const snap = SnapshotSchema.safeParse(
      JSON.parse(await readFile(path.join(dir, 'snapshot.json'), 'utf8')),
    );
    if (snap.success) snapshot = snap.data;
    attachments = manifest.files.map((f) => ({
      name: path.join(dir, f.name),
      sha256: f.sha256,
      size: f.size,
      ...(f.source ? { note: f.source } : {}),
    }));
    if (manifest.samples)
      samples = {
        archive: path.join(dir, manifest.samples.archive),
        password: manifest.samples.password,
        files: manifest.samples.files,
      };
  } else if (opts.fromReport) {
    report = await readReport(String(opts.fromReport));
  } else if (opts.snapshot) {
    ({ report, snapshot } = await deps.analyzeFile(String(opts.snapshot), opts));
  } else {
    ({ report, snapshot } = await deps.scan(opts));
  }
  return { report, ...(snapshot ? { snapshot } : {}), attachments, ...(samples ? { samples } : {}) };
}
