// `minehunter respond` (show the clean-up plan; --apply carries it out) and `minehunter undo JOURNAL`.
// The plan comes from a fresh scan of --root or from a JSON report (--report); applying needs a
// confirmation on a terminal or --yes.
import { readFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Command, Option } from 'commander';
import type { Lang, Localized } from '../model/finding.js';
import { levelRank } from '../model/finding.js';
import type { Report } from '../report/model.js';
import type { Snapshot } from '../snapshot/schema.js';
import {
  buildPlan,
  parentChain,
  parseSelection,
  selectSteps,
  type Plan,
  type PlanStep,
  type ProcessFacts,
  type Selection,
} from '../respond/plan.js';
import { applyPlan } from '../respond/apply.js';
import { DEFAULT_PASSWORD } from '../respond/quarantine.js';
import {
  renderApplyFooter,
  renderJournalStep,
  renderKillList,
  renderNothingByDefault,
  renderPlan,
  renderUndo,
} from '../respond/render.js';
import { PF_KTHREAD, isNamespaceInit, parseStat, parseStatus } from '../collect/linux/processes.js';
import { undoJournal } from '../respond/undo.js';
import { toolVersion } from '../util/paths.js';
import { EXIT, UsageError } from './errors.js';
import { registerOutputs, writeOutput } from './output.js';
import { registerEvidenceCommand } from './evidence.js';
import { readReport, type RespondDeps } from './deps.js';
import { registerReportCommand } from './report.js';

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

Safe by default: --apply runs only the steps asked for by high or critical findings. Steps asked for
only by medium, low or info findings are review steps: listed and numbered, but run only when
--select names them, by step number or by finding fingerprint (16 hex digits: every step that
finding asked for); --select replaces the default choice, so name every step to run. Selecting a
kill step also selects the freeze step of the same process. Pid 1, kernel threads, minehunter
itself, its parent shell and session, and a container's init are never signalled (kernel threads
and containers' inits only when a critical finding is about them). Before anything is killed, the
processes are listed: pid, user, exe and argv.

Examples:
  minehunter respond                                  show the plan
  minehunter respond --apply                          carry it out after a confirmation
  minehunter respond --apply --yes --select 1-3,5     only some steps, no question (scripts)
  minehunter respond --apply --select 0123456789abcdef  only the steps that finding asked for
  minehunter respond --format json                    the plan for scripts (review, skip, processes)
  minehunter respond --report r.json --root /mnt/disk plan from a saved report, act on a mounted disk`,
    'zh-CN': `
不加 --apply 不做任何修改。删除或修改任何文件之前，先把它复制进加密 zip（AES-256，默认密码
"infected"，可用 --password 指定）并校验 sha256；每一步都写入 journal.jsonl，可用
\`minehunter undo\` 撤销。

默认安全：--apply 只执行高危或严重级发现提出的步骤。仅由中危、低危或提示级发现提出的步骤是
"待复核"步骤：会列出并编号，但只有用 --select 按步骤编号或发现指纹（16 位十六进制，选中该发现
提出的所有步骤）选择后才执行；--select 取代默认选择，需列出所有要执行的步骤。选择某进程的终止
步骤时，同时选择其冻结步骤。1 号进程、内核线程、minehunter 自身、运行它的 shell 和会话、容器的
init 进程绝不发送信号（内核线程和容器 init 仅在有针对其本身的严重级发现时例外）。终止任何进程
之前，先列出这些进程：pid、用户、程序和命令行。

示例：
  minehunter respond                                  显示计划
  minehunter respond --apply                          确认后执行
  minehunter respond --apply --yes --select 1-3,5     只执行部分步骤，不询问（脚本用）
  minehunter respond --apply --select 0123456789abcdef  只执行该发现提出的步骤
  minehunter respond --format json                    供脚本使用的计划（待复核、跳过原因、进程）
  minehunter respond --report r.json --root /mnt/disk 根据保存的报告，对挂载的磁盘执行`,
  },
  apply: { en: 'carry out the plan (asks for confirmation)', 'zh-CN': '执行计划（会先确认）' },
  yes: { en: 'do not ask (for scripts)', 'zh-CN': '不询问（脚本用）' },
  select: {
    en: 'only these steps: numbers and ranges (1,3 or 2-5) and finding fingerprints (16 hex digits: every step that finding asked for); review steps run only when selected',
    'zh-CN':
      '只执行这些步骤：编号和范围（1,3 或 2-5）以及发现指纹（16 位十六进制：该发现提出的所有步骤）；待复核步骤只有被选择时才执行',
  },
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
    await respondAction(cmd.optsWithGlobals<RespondOptions & Record<string, unknown>>(), deps);
  });
  registerUndoCommand(program, deps);
  registerEvidenceCommand(program, deps);
  registerReportCommand(program, deps);
}

/** `respond`: builds the plan, shows it, and with --apply confirms and carries it out. */
async function respondAction(
  opts: RespondOptions & Record<string, unknown>,
  deps: RespondDeps,
): Promise<void> {
  const { lang } = deps;
  const root = path.resolve(opts.root);
  const scanned = opts.report ? undefined : await deps.scan(opts);
  const report = scanned ? scanned.report : await readReport(opts.report!);
  const live = root === '/';
  // Signals go to this host's pids whatever the target: minehunter's own chain is always read here.
  const ancestors = ownParentChain(scanned?.snapshot);
  const plan = buildPlan(report.findings, {
    live,
    processes: processFactsFor(report, scanned?.snapshot, path.join(root, 'proc')),
    self: process.pid,
    ancestors,
    // A Windows volume's plan is PowerShell for its administrator; only file quarantine is applied here.
    target: report.target.kind,
  });
  const selected = opts.select ? parseSelectionOrUsage(opts.select, plan) : undefined;
  const steps = selectSteps(plan, selected);
  if (!opts.apply) {
    await writeOutput(
      opts.output,
      opts.format === 'json'
        ? JSON.stringify({ plan: plan.steps, selected: steps.map((s) => s.n) }, null, 2) + '\n'
        : renderPlan(plan, lang),
      `respond plan (${opts.format})`,
    );
    deps.setExit(EXIT.clean);
    return;
  }
  if (steps.length === 0 && plan.steps.length > 0) {
    // Every step is a review step and none was selected: say so rather than "nothing to do".
    (opts.format === 'text' ? process.stdout : process.stderr).write(renderNothingByDefault(lang));
    deps.setExit(EXIT.clean);
    return;
  }
  if (opts.format === 'text') process.stdout.write(renderPlan({ steps }, lang, true));
  if (steps.length === 0) return;
  if (!(await confirmApply(opts, steps, lang))) return;
  await applySteps(opts, deps, { root, live, steps, report, ancestors });
}

/** Lists the processes to kill and, without --yes, asks on the terminal; false when declined. */
async function confirmApply(opts: RespondOptions, steps: PlanStep[], lang: Lang): Promise<boolean> {
  const killList = renderKillList(steps, lang);
  if (!opts.yes) {
    if (!process.stdin.isTTY) throw new UsageError('--apply needs a terminal to confirm, or --yes');
    if (killList) process.stderr.write('\n' + killList + '\n');
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(H.confirm[lang].replace('{count}', String(steps.length)));
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim()) && answer.trim() !== '是') {
      process.stderr.write(H.declined[lang] + '\n');
      return false;
    }
  } else if (killList) {
    // No question asked: the log still shows which processes were killed.
    process.stderr.write(killList);
  }
  return true;
}

/** `respond --apply` once confirmed: runs the steps into --out, reports the result and sets the exit code. */
async function applySteps(
  opts: RespondOptions & Record<string, unknown>,
  deps: RespondDeps,
  run: { root: string; live: boolean; steps: PlanStep[]; report: Report; ancestors: number[] },
): Promise<void> {
  const { lang } = deps;
  const { root, live, steps, report, ancestors } = run;
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
    spare: ancestors,
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
  // The journal and the archive quote the miner (its argv, its files): a later scan must know them.
  await registerOutputs([
    { path: result.journal, what: 'respond journal' },
    ...(result.manifest ? [{ path: result.archive, what: 'respond quarantine archive' }] : []),
  ]);
  if (opts.format === 'json') {
    await writeOutput(opts.output, JSON.stringify(result, null, 2) + '\n', 'respond result (json)');
  } else {
    process.stdout.write(
      '\n' +
        renderApplyFooter(lang, result.journal, result.manifest ? result.archive : undefined, opts.password),
    );
  }
  const failed = result.steps.some((s) => s.status === 'failed');
  const left = result.steps.find((s) => s.kind === 'rescan')?.rescan?.serious ?? 0;
  deps.setExit(failed || left > 0 ? EXIT.findings : EXIT.clean);
}

/** `minehunter undo JOURNAL`: replays a respond journal backwards. */
function registerUndoCommand(program: Command, deps: RespondDeps): void {
  const { lang } = deps;
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
}

function parseSelectionOrUsage(text: string, plan: Plan): Selection {
  try {
    return parseSelection(text, plan);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** /proc/PID/stat of this host, parsed; undefined when the process is gone or unreadable. */
function readStat(procDir: string, pid: number): ReturnType<typeof parseStat> {
  try {
    return parseStat(readFileSync(path.join(procDir, String(pid), 'stat'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * minehunter's parents up to pid 1 (its shell, session, sshd…): from the snapshot of this host when
 * there is one, and /proc for whatever it does not hold (a plan from --report).
 */
function ownParentChain(snapshot: Snapshot | undefined): number[] {
  const fromSnapshot = new Map(
    snapshot?.target.live ? (snapshot.processes ?? []).map((p) => [p.pid, p.ppid] as const) : [],
  );
  return parentChain(process.pid, (pid) => fromSnapshot.get(pid) ?? readStat('/proc', pid)?.ppid);
}

/**
 * What the plan needs to know about the processes the findings ask to kill. From a fresh scan: the
 * snapshot. From a saved report: the report's evidence describes them (plan.ts reads it), and the
 * target's /proc, when there is one, tells which are kernel threads or containers' inits now.
 */
function processFactsFor(report: Report, snapshot: Snapshot | undefined, procDir: string): ProcessFacts[] {
  const pids = new Set(
    report.findings.flatMap((f) =>
      f.remediate.flatMap((a) => (a.type === 'kill-process-tree' ? [a.pid] : [])),
    ),
  );
  if (snapshot?.processes) {
    return snapshot.processes
      .filter((p) => pids.has(p.pid))
      .map((p) => ({
        pid: p.pid,
        ppid: p.ppid,
        ...(p.user !== undefined ? { user: p.user } : p.uid !== undefined ? { user: String(p.uid) } : {}),
        ...(p.exe !== undefined ? { exe: p.exe } : {}),
        argv: p.argv,
        ...(p.kernelThread ? { kernelThread: true } : {}),
        ...(p.containerInit ? { containerInit: true } : {}),
      }));
  }
  const facts: ProcessFacts[] = [];
  for (const pid of pids) {
    if (pid <= 0) continue;
    const st = readStat(procDir, pid);
    if (!st) continue;
    let nsPid: number[] | undefined;
    try {
      nsPid = parseStatus(readFileSync(path.join(procDir, String(pid), 'status'), 'utf8')).nsPid;
    } catch {
      nsPid = undefined;
    }
    // The flag, not the pid: inside a container pid 2 is an ordinary process.
    const kernelThread = (st.flags & PF_KTHREAD) !== 0;
    facts.push({
      pid,
      ...(kernelThread ? { kernelThread: true } : {}),
      ...(isNamespaceInit(nsPid) ? { containerInit: true } : {}),
    });
  }
  return facts;
}
