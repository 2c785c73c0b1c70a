// The plan and the journal as a person reads them at a terminal: numbered steps in the plan's order,
// each with the findings behind it. Attacker-controlled text (paths, argv) passes through the
// terminal sanitizer.
import type { Lang, Level, Localized } from '../model/finding.js';
import { levelName } from '../report/i18n.js';
import { describeAction } from '../report/render-text.js';
import { formatArgv, inertForTerminal as safe } from '../report/sanitize.js';
import { ACT_LEVEL, type Plan, type PlanStep, type ProcessFacts } from './plan.js';
import type { JournalStep } from './journal.js';
import type { UndoOutcome } from './undo.js';

const T = {
  planTitle: {
    en: 'Clean-up plan ({count} steps); nothing has been changed',
    'zh-CN': '清理计划（共 {count} 步）；尚未做任何修改',
  },
  applyTitle: { en: 'Applying {count} steps:', 'zh-CN': '正在执行 {count} 个步骤：' },
  emptyPlan: {
    en: 'Nothing to do: no finding asks for a clean-up step.',
    'zh-CN': '无需处置：没有发现需要清理的项目。',
  },
  freeze: {
    en: 'Freeze process tree {pid} with SIGSTOP (children and same-program parents too), so nothing can respawn',
    'zh-CN': '用 SIGSTOP 冻结进程树 {pid}（含子进程及同一程序的父进程），使其无法重新拉起',
  },
  archive: {
    en: 'Copy {count} file(s) into the password-protected quarantine archive and verify each sha256',
    'zh-CN': '将 {count} 个文件复制到加密隔离压缩包并逐一校验 sha256',
  },
  rescan: { en: 'Scan again to verify nothing is left', 'zh-CN': '重新扫描，确认已清理干净' },
  skipped: { en: 'will be skipped: {why}', 'zh-CN': '将跳过：{why}' },
  review: {
    en: 'review — not run unless selected: asked for only by findings below {level}',
    'zh-CN': '待复核 — 未选择则不执行：仅由低于{level}级的发现提出',
  },
  reviewSelected: {
    en: 'review step — runs because it was selected',
    'zh-CN': '待复核步骤 — 已被选择，将执行',
  },
  askedBy: { en: 'asked for by: {list}', 'zh-CN': '提出者：{list}' },
  processLine: {
    en: 'process: pid {pid}, user {user}, exe {exe}',
    'zh-CN': '进程：pid {pid}，用户 {user}，程序 {exe}',
  },
  argvLine: { en: 'argv: {argv}', 'zh-CN': '命令行：{argv}' },
  unknown: { en: '?', 'zh-CN': '未知' },
  reviewHint: {
    en: '{count} review step(s) are listed but not run by --apply unless selected, by step number or by finding fingerprint: e.g. --select {n}{fp}.',
    'zh-CN':
      '列出的 {count} 个待复核步骤不会被 --apply 执行，除非按步骤编号或发现指纹选择它们：例如 --select {n}{fp}。',
  },
  orSelect: { en: ' or --select <fingerprint>', 'zh-CN': ' 或 --select <发现指纹>' },
  supportReview: {
    en: 'runs only when a selected step needs it',
    'zh-CN': '仅在所选步骤需要时执行',
  },
  nothingByDefault: {
    en: 'Nothing runs by default: every step of the plan is a review step (asked for only by findings below {level}). Select steps with --select, by number or by finding fingerprint, to run them.',
    'zh-CN':
      '默认不执行任何步骤：计划中的每一步都是待复核步骤（仅由低于{level}级的发现提出）。如需执行，请用 --select 按步骤编号或发现指纹选择。',
  },
  killList: {
    en: 'These processes will be killed (SIGKILL, with their process trees):',
    'zh-CN': '以下进程将被终止（SIGKILL，连同其进程树）：',
  },
  applyHint: {
    en: 'Run `minehunter respond --apply` to carry it out (asks first; --yes for scripts; --select 1,3 for some steps).',
    'zh-CN':
      '运行 `minehunter respond --apply` 执行（会先确认；脚本中用 --yes；用 --select 1,3 只执行部分步骤）。',
  },
  done: { en: 'done', 'zh-CN': '完成' },
  failed: { en: 'FAILED', 'zh-CN': '失败' },
  skippedStatus: { en: 'skipped', 'zh-CN': '跳过' },
  journal: {
    en: 'Journal: {file}  (undo: minehunter undo {file})',
    'zh-CN': '日志：{file}（撤销：minehunter undo {file}）',
  },
  archiveAt: {
    en: 'Quarantine archive: {file} (password: {password})',
    'zh-CN': '隔离压缩包：{file}（密码：{password}）',
  },
  restored: { en: 'restored', 'zh-CN': '已恢复' },
  'not-restorable': { en: 'CANNOT RESTORE', 'zh-CN': '无法恢复' },
  conflict: { en: 'not restored', 'zh-CN': '未恢复' },
} satisfies Record<string, Localized>;

function tr(lang: Lang, key: keyof typeof T, params: Record<string, string | number> = {}): string {
  return T[key][lang].replace(/\{(\w+)\}/g, (w, n: string) => (n in params ? String(params[n]) : w));
}

export function describeStep(step: PlanStep, lang: Lang): string {
  switch (step.kind) {
    case 'freeze':
      return tr(lang, 'freeze', { pid: step.action?.type === 'kill-process-tree' ? step.action.pid : '?' });
    case 'archive':
      return tr(lang, 'archive', { count: step.touches.length });
    case 'rescan':
      return tr(lang, 'rescan');
    case 'host-command':
      // The command itself follows on its own line (renderPlan), ready to copy.
      return step.action?.type === 'windows-command' ? safe(step.action.description[lang]) : step.kind;
    default:
      return step.action ? describeAction(step.action, lang) : step.kind;
  }
}

const levelText = (level: Level, lang: Lang): string => levelName(lang, level);

/** The plan shortens a long argv; the list of processes about to be killed never does. */
const PLAN_ARGV_CHARS = 200;

/**
 * One process as the kill list and the plan show it: pid, user, exe, and argv with control characters
 * escaped, cut after `maxArgv` characters when given.
 */
export function describeProcess(p: ProcessFacts, lang: Lang, maxArgv?: number): string[] {
  const unknown = tr(lang, 'unknown');
  let argv = p.argv && p.argv.length > 0 ? formatArgv(p.argv) : unknown;
  if (maxArgv !== undefined && argv.length > maxArgv) argv = `${argv.slice(0, maxArgv)}…`;
  return [
    tr(lang, 'processLine', {
      pid: p.pid,
      user: p.user !== undefined ? safe(p.user) : unknown,
      exe: p.exe !== undefined ? safe(p.exe) : unknown,
    }),
    tr(lang, 'argvLine', { argv }),
  ];
}

export function renderPlan(plan: Plan, lang: Lang, applying = false): string {
  if (plan.steps.length === 0) return tr(lang, 'emptyPlan') + '\n';
  const out = [tr(lang, applying ? 'applyTitle' : 'planTitle', { count: plan.steps.length }), ''];
  for (const s of plan.steps) {
    out.push(`${String(s.n).padStart(3)}. ${describeStep(s, lang)}`);
    if (s.skip) out.push(`     (${tr(lang, 'skipped', { why: s.skip[lang] })})`);
    else if (s.review && s.action)
      out.push(
        `     (${applying ? tr(lang, 'reviewSelected') : tr(lang, 'review', { level: levelText(ACT_LEVEL, lang) })})`,
      );
    else if (s.review && !applying) out.push(`     (${tr(lang, 'supportReview')})`);
    if (s.command !== undefined) out.push(`     PS> ${safe(s.command)}`);
    if (s.kind === 'kill' && s.process)
      for (const l of describeProcess(s.process, lang, applying ? undefined : PLAN_ARGV_CHARS))
        out.push(`     ${l}`);
    if (s.action && s.requestedBy.length > 0 && s.kind !== 'freeze')
      out.push(
        `     ${tr(lang, 'askedBy', {
          list: s.requestedBy.map((r) => `${safe(r.fingerprint)} (${levelText(r.level, lang)})`).join(', '),
        })}`,
      );
  }
  if (!applying) {
    const review = plan.steps.filter((s) => s.review && s.action && !s.skip);
    const example = review.find((s) => s.kind === 'kill') ?? review[0];
    if (example)
      out.push(
        '',
        tr(lang, 'reviewHint', {
          count: review.length,
          n: example.n,
          fp: tr(lang, 'orSelect'),
        }),
      );
    out.push('', tr(lang, 'applyHint'));
  }
  return out.join('\n') + '\n';
}

/** Said by `--apply` when the plan has steps but none runs without --select. */
export function renderNothingByDefault(lang: Lang): string {
  return tr(lang, 'nothingByDefault', { level: levelText(ACT_LEVEL, lang) }) + '\n';
}

/**
 * The processes `--apply` will kill, listed before the confirmation (and on stderr with --yes, so a
 * log shows what was killed). Empty when no kill step runs.
 */
export function renderKillList(steps: PlanStep[], lang: Lang): string {
  const kills = steps.filter((s) => s.kind === 'kill' && !s.skip && s.action?.type === 'kill-process-tree');
  if (kills.length === 0) return '';
  const out = [tr(lang, 'killList')];
  for (const s of kills) {
    const p = s.process ?? { pid: s.action?.type === 'kill-process-tree' ? s.action.pid : 0 };
    const [head, argv] = describeProcess(p, lang);
    out.push(`  ${String(s.n).padStart(3)}. ${head}`, `       ${argv}`);
  }
  return out.join('\n') + '\n';
}

export function renderJournalStep(step: JournalStep, lang: Lang): string {
  const status =
    step.status === 'done'
      ? tr(lang, 'done')
      : step.status === 'failed'
        ? tr(lang, 'failed')
        : tr(lang, 'skippedStatus');
  return `${String(step.n).padStart(3)}. [${status}] ${step.kind}${step.message ? `: ${safe(step.message)}` : ''}`;
}

/** The journal, and the archive when one was written (no selected step needed it otherwise). */
export function renderApplyFooter(
  lang: Lang,
  journal: string,
  archive: string | undefined,
  password: string,
): string {
  const archiveLine = archive ? `${tr(lang, 'archiveAt', { file: archive, password })}\n` : '';
  return `${archiveLine}${tr(lang, 'journal', { file: journal })}\n`;
}

export function renderUndo(outcomes: UndoOutcome[], lang: Lang): string {
  return (
    outcomes
      .map(
        (o) =>
          `[${tr(lang, o.status === 'failed' ? 'failed' : o.status)}] ${safe(o.what)}${o.detail ? ` — ${safe(o.detail)}` : ''}`,
      )
      .join('\n') + '\n'
  );
}
