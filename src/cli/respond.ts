// `minehunter respond` (show the clean-up plan; --apply carries it out) and `minehunter undo JOURNAL`.
// The plan comes from a fresh scan of --root or from a JSON report (--report); applying needs a
// confirmation on a terminal or --yes.
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import type { Lang, Localized } from '../model/finding.js';
import { levelRank } from '../model/finding.js';
import { ReportSchema, type Report } from '../report/model.js';
import type { Snapshot } from '../snapshot/schema.js';
import { buildPlan, parseSelection, selectSteps } from '../respond/plan.js';
import { applyPlan } from '../respond/apply.js';
import { DEFAULT_PASSWORD } from '../respond/quarantine.js';
import { renderApplyFooter, renderJournalStep, renderPlan, renderUndo } from '../respond/render.js';
import { undoJournal } from '../respond/undo.js';
import { toolVersion } from '../util/paths.js';
import { EXIT, UsageError } from './errors.js';
import { writeOutput } from './output.js';
import { registerEvidenceCommand } from './evidence.js';
import { registerReportCommand } from './report.js';

/** What main.ts lends the respond commands: its scan pipeline and option helpers. */
export interface RespondDeps {
  lang: Lang;
  /** Collects --root (or /) and analyses it with the user's IOC dirs and allowlists. */
  scan: (opts: Record<string, unknown>) => Promise<{ report: Report; snapshot: Snapshot }>;
  /** Reads and validates a snapshot file (as `analyze` does) and analyses it. */
  analyzeFile: (
    file: string,
    opts: Record<string, unknown>,
  ) => Promise<{ report: Report; snapshot: Snapshot }>;
  addScanOptions: (cmd: Command) => void;
  /** Only --root, --cpu-window, --no-hash: for commands with output formats of their own. */
  addCollectOptions: (cmd: Command) => void;
  setExit: (code: number) => void;
}

const H = {
  respond: {
    en: 'show the clean-up plan for what a scan finds; --apply carries it out (quarantine first, journaled, undoable)',
    'zh-CN': '显示针对扫描结果的清理计划；--apply 执行（先隔离备份、全程记录、可撤销）',
  },
  respondAfter: {
    en: `
Nothing is changed without --apply. Every file removed or edited is first copied into an encrypted
zip (AES-256, password "infected" unless --password) and its sha256 verified; every step is written
to journal.jsonl, which \`minehunter undo\` replays.

Examples:
  minehunter respond                                  show the plan
  minehunter respond --apply                          carry it out after a confirmation
  minehunter respond --apply --yes --select 1-3,5     only some steps, no question (scripts)
  minehunter respond --report r.json --root /mnt/disk plan from a saved report, act on a mounted disk`,
    'zh-CN': `
不加 --apply 不做任何修改。删除或修改任何文件之前，先把它复制进加密 zip（AES-256，默认密码
"infected"，可用 --password 指定）并校验 sha256；每一步都写入 journal.jsonl，可用
\`minehunter undo\` 撤销。

示例：
  minehunter respond                                  显示计划
  minehunter respond --apply                          确认后执行
  minehunter respond --apply --yes --select 1-3,5     只执行部分步骤，不询问（脚本用）
  minehunter respond --report r.json --root /mnt/disk 根据保存的报告，对挂载的磁盘执行`,
  },
  apply: { en: 'carry out the plan (asks for confirmation)', 'zh-CN': '执行计划（会先确认）' },
  yes: { en: 'do not ask (for scripts)', 'zh-CN': '不询问（脚本用）' },
  select: { en: 'only these steps, e.g. 1,3 or 2-5', 'zh-CN': '只执行这些步骤，如 1,3 或 2-5' },
  report: {
    en: 'plan from this JSON report instead of scanning',
    'zh-CN': '根据此 JSON 报告制定计划，而不重新扫描',
  },
  out: {
    en: 'directory for the archive and journal (default: ./minehunter-respond-<time>)',
    'zh-CN': '隔离压缩包和日志的目录（默认：./minehunter-respond-<时间>）',
  },
  password: { en: 'archive password (default: infected)', 'zh-CN': '压缩包密码（默认：infected）' },
  zipcrypto: {
    en: 'ZipCrypto instead of AES-256, for unzip tools without AES (weak: for exchange only)',
    'zh-CN': '使用 ZipCrypto 而非 AES-256，兼容不支持 AES 的解压工具（强度弱，仅用于交换）',
  },
  format: { en: 'output format of the plan', 'zh-CN': '计划的输出格式' },
  confirm: { en: 'Apply these {count} steps? [y/N] ', 'zh-CN': '执行这 {count} 个步骤吗？[y/N] ' },
  declined: { en: 'Nothing changed.', 'zh-CN': '未做任何修改。' },
  undo: {
    en: 'restore what `respond --apply` changed, from its journal and archive',
    'zh-CN': '根据日志和隔离压缩包恢复 `respond --apply` 所做的修改',
  },
  journalArg: {
    en: 'journal.jsonl written by respond --apply',
    'zh-CN': 'respond --apply 写下的 journal.jsonl',
  },
  force: {
    en: 'restore files even when they changed after respond touched them',
    'zh-CN': '即使文件在处置后又被修改，也强制恢复',
  },
} satisfies Record<string, Localized>;

interface RespondOptions {
  root: string;
  report?: string;
  apply?: boolean;
  yes?: boolean;
  select?: string;
  out?: string;
  password: string;
  zipcrypto?: boolean;
  format: 'text' | 'json';
  output?: string;
}

export function registerRespondCommands(program: Command, deps: RespondDeps): void {
  const { lang } = deps;
  const respond = program
    .command('respond')
    .description(H.respond[lang])
    .addHelpText('after', H.respondAfter[lang])
    .option('--apply', H.apply[lang])
    .option('-y, --yes', H.yes[lang])
    .option('--select <steps>', H.select[lang])
    .option('--report <file>', H.report[lang])
    .option('--out <dir>', H.out[lang])
    .option('--password <password>', H.password[lang], DEFAULT_PASSWORD)
    .option('--zipcrypto', H.zipcrypto[lang]);
  deps.addScanOptions(respond);
  respond.action(async (_o, cmd: Command) => {
    const opts = cmd.optsWithGlobals<RespondOptions & Record<string, unknown>>();
    const root = path.resolve(opts.root);
    const report = opts.report ? await readReport(opts.report) : (await deps.scan(opts)).report;
    const live = root === '/';
    const plan = buildPlan(report.findings, { live });
    const selected = opts.select ? parseSelectionOrUsage(opts.select, plan.steps.length) : undefined;
    const steps = selectSteps(plan, selected);
    if (!opts.apply) {
      await writeOutput(
        opts.output,
        opts.format === 'json'
          ? JSON.stringify({ plan: plan.steps, selected: steps.map((s) => s.n) }, null, 2) + '\n'
          : renderPlan(plan, lang),
      );
      deps.setExit(EXIT.clean);
      return;
    }
    if (opts.format === 'text') process.stdout.write(renderPlan({ steps }, lang, true));
    if (steps.length === 0) return;
    if (!opts.yes) {
      if (!process.stdin.isTTY) throw new UsageError('--apply needs a terminal to confirm, or --yes');
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question(H.confirm[lang].replace('{count}', String(steps.length)));
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim()) && answer.trim() !== '是') {
        process.stderr.write(H.declined[lang] + '\n');
        return;
      }
    }
    const outDir = path.resolve(
      opts.out ?? `minehunter-respond-${new Date().toISOString().replace(/[:.]/g, '-')}`,
    );
    await mkdir(outDir, { recursive: true, mode: 0o700 });
    if ((await readdir(outDir)).length > 0) throw new UsageError(`--out ${outDir} is not empty`);
    const result = await applyPlan(steps, {
      root,
      live,
      outDir,
      password: opts.password,
      zipCrypto: Boolean(opts.zipcrypto),
      toolVersion: toolVersion(),
      ...(report.host.hostname ? { hostname: report.host.hostname } : {}),
      now: () => new Date(),
      rescan: async () => {
        const again = (await deps.scan(opts)).report;
        const active = again.findings.filter((f) => !f.allowed);
        return {
          findings: active.length,
          serious: active.filter((f) => levelRank(f.level) >= levelRank('high')).length,
        };
      },
      onStep: (s) => {
        if (opts.format === 'text') process.stdout.write(renderJournalStep(s, lang) + '\n');
      },
    });
    if (opts.format === 'json') {
      await writeOutput(opts.output, JSON.stringify(result, null, 2) + '\n');
    } else {
      process.stdout.write('\n' + renderApplyFooter(lang, result.journal, result.archive, opts.password));
    }
    const failed = result.steps.some((s) => s.status === 'failed');
    const left = result.steps.find((s) => s.kind === 'rescan')?.rescan?.serious ?? 0;
    deps.setExit(failed || left > 0 ? EXIT.findings : EXIT.clean);
  });

  program
    .command('undo')
    .description(H.undo[lang])
    .argument('<journal>', H.journalArg[lang])
    .option('--password <password>', H.password[lang], DEFAULT_PASSWORD)
    .option('--force', H.force[lang])
    .addOption(new Option('-f, --format <format>', H.format[lang]).choices(['text', 'json']).default('text'))
    .action(async (journal: string, _o, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ password: string; force?: boolean; format: string }>();
      let outcomes;
      try {
        outcomes = await undoJournal(journal, { password: opts.password, force: Boolean(opts.force) });
      } catch (error) {
        throw new UsageError(`cannot undo ${journal}: ${(error as Error).message}`);
      }
      process.stdout.write(
        opts.format === 'json' ? JSON.stringify(outcomes, null, 2) + '\n' : renderUndo(outcomes, lang),
      );
      deps.setExit(
        outcomes.some((o) => o.status === 'failed' || o.status === 'conflict') ? EXIT.findings : EXIT.clean,
      );
    });
  registerEvidenceCommand(program, deps);
  registerReportCommand(program, deps);
}

function parseSelectionOrUsage(text: string, max: number): number[] {
  try {
    return parseSelection(text, max);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export async function readReport(file: string): Promise<Report> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read report ${file}: ${(error as Error).message}`);
  }
  const parsed = ReportSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UsageError(
      `${file} is not a minehunter JSON report (${first?.path.join('.') ?? ''}: ${first?.message ?? ''})`,
    );
  }
  return parsed.data;
}
