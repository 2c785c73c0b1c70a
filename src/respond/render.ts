// The plan and the journal as a person reads them at a terminal: numbered steps in the plan's order,
// each with the findings behind it. Attacker-controlled text (paths, argv) passes through the
// terminal sanitizer.
import type { Lang, Localized } from '../model/finding.js';
import { describeAction } from '../report/render-text.js';
import { inertForTerminal as safe } from '../report/sanitize.js';
import type { Plan, PlanStep } from './plan.js';
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
    default:
      return step.action ? describeAction(step.action, lang) : step.kind;
  }
}

export function renderPlan(plan: Plan, lang: Lang, applying = false): string {
  if (plan.steps.length === 0) return tr(lang, 'emptyPlan') + '\n';
  const out = [tr(lang, applying ? 'applyTitle' : 'planTitle', { count: plan.steps.length }), ''];
  for (const s of plan.steps) {
    out.push(`${String(s.n).padStart(3)}. ${describeStep(s, lang)}`);
    if (s.skip) out.push(`     (${tr(lang, 'skipped', { why: s.skip[lang] })})`);
  }
  if (!applying) out.push('', tr(lang, 'applyHint'));
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

export function renderApplyFooter(lang: Lang, journal: string, archive: string, password: string): string {
  return `${tr(lang, 'archiveAt', { file: archive, password })}\n${tr(lang, 'journal', { file: journal })}\n`;
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
