// Findings → a numbered clean-up plan. Pure: it only orders and de-duplicates the findings' declarative
// actions, so `respond` can print exactly what `--apply` would do. The order is the one that keeps a
// miner from coming back while we work: freeze every tree first (watchdogs cannot respawn what is
// stopped), copy every file we will touch into the archive while the processes still exist (a deleted
// exe is only readable through /proc/PID/exe), then kill, then remove persistence and files, then block.
import type { Action, Finding, Lang, Localized } from '../model/finding.js';

export type StepKind =
  | 'freeze'
  | 'archive'
  | 'kill'
  | 'remove-persistence'
  | 'restore-ld-preload'
  | 'remove-line'
  | 'quarantine'
  | 'block'
  | 'rescan';

export interface PlanStep {
  /** 1-based, as printed and as `--select` takes it. */
  n: number;
  kind: StepKind;
  /** The action executed (absent for archive and rescan, which the plan adds itself). */
  action?: Action;
  /** Fingerprints of the findings that asked for this step. */
  findings: string[];
  /** Files this step removes or edits: each is copied into the archive first. */
  touches: string[];
  /** Why the step will not run here, when known before applying (e.g. loopback address). */
  skip?: Localized;
}

export interface Plan {
  steps: PlanStep[];
}

export interface PlanOptions {
  /** The target is the running system (firewall rules make sense only there). */
  live: boolean;
}

const PHASE: Record<Action['type'], { kind: StepKind; order: number }> = {
  'kill-process-tree': { kind: 'kill', order: 2 },
  'clear-immutable': { kind: 'remove-persistence', order: 3 },
  'remove-cron-line': { kind: 'remove-persistence', order: 4 },
  'disable-unit': { kind: 'remove-persistence', order: 4 },
  'remove-authorized-key': { kind: 'remove-persistence', order: 4 },
  'restore-ld-preload': { kind: 'restore-ld-preload', order: 5 },
  'remove-line': { kind: 'remove-line', order: 5 },
  'quarantine-file': { kind: 'quarantine', order: 6 },
  'block-address': { kind: 'block', order: 7 },
};

/** Stable identity of an action, to merge the same step asked for by several findings. */
export function actionKey(a: Action): string {
  switch (a.type) {
    case 'kill-process-tree':
      return `kill:${a.pid}`;
    case 'block-address':
      return `block:${a.address}:${a.port ?? ''}:${a.domain ?? ''}`;
    case 'disable-unit':
      return `unit:${a.path}`;
    case 'restore-ld-preload':
      return `preload:${a.path}:${[...a.remove].sort().join(',')}`;
    case 'remove-cron-line':
    case 'remove-authorized-key':
    case 'remove-line':
      // Trimmed, as the edit compares lines: the same line reported twice is one step.
      return `${a.type}:${a.path}:${a.line.trim()}`;
    case 'clear-immutable':
    case 'quarantine-file':
      return `${a.type}:${a.path}`;
  }
}

/** The files an action edits or removes (what must be in the archive before it runs). */
export function touchedFiles(a: Action): string[] {
  switch (a.type) {
    case 'quarantine-file':
    case 'remove-cron-line':
    case 'remove-authorized-key':
    case 'remove-line':
    case 'disable-unit':
    case 'restore-ld-preload':
      return [a.path];
    case 'block-address':
      // A name is sinkholed in /etc/hosts; an address goes to the firewall, which is not a file.
      return a.domain ? ['/etc/hosts'] : [];
    case 'kill-process-tree':
    case 'clear-immutable':
      return [];
  }
}

const LOOPBACK = /^(?:127\.|::1$|0\.0\.0\.0$|::$|localhost$)/i;

function skipReason(a: Action, opts: PlanOptions): Localized | undefined {
  if (a.type === 'block-address') {
    if (LOOPBACK.test(a.address))
      return {
        en: 'a loopback address: blocking it would break this host, not the miner',
        'zh-CN': '回环地址：阻断它会影响本机而不是矿机',
      };
    if (!opts.live && !a.domain)
      return {
        en: 'firewall rules belong to the running system; this target is another root',
        'zh-CN': '防火墙规则只作用于正在运行的系统；此目标是另一个根目录',
      };
  }
  if (a.type === 'kill-process-tree' && a.pid <= 1)
    return { en: 'pid 1 is init: never killed', 'zh-CN': 'pid 1 是 init 进程，绝不终止' };
  return undefined;
}

export function buildPlan(findings: Finding[], opts: PlanOptions): Plan {
  const merged = new Map<string, { action: Action; findings: Set<string>; first: number }>();
  let seq = 0;
  for (const f of findings) {
    if (f.allowed) continue;
    for (const action of f.remediate) {
      const key = actionKey(action);
      const entry = merged.get(key) ?? { action, findings: new Set<string>(), first: seq++ };
      entry.findings.add(f.fingerprint);
      merged.set(key, entry);
    }
  }
  const entries = [...merged.values()].sort(
    (a, b) => PHASE[a.action.type].order - PHASE[b.action.type].order || a.first - b.first,
  );

  const steps: Omit<PlanStep, 'n'>[] = [];
  const kills = entries.filter((e) => e.action.type === 'kill-process-tree');
  for (const e of kills) {
    const skip = skipReason(e.action, opts);
    steps.push({
      kind: 'freeze',
      action: e.action,
      findings: [...e.findings].sort(),
      touches: [],
      ...(skip ? { skip } : {}),
    });
  }
  const touches = [...new Set(entries.flatMap((e) => touchedFiles(e.action)))];
  if (touches.length > 0 || kills.length > 0) {
    steps.push({ kind: 'archive', findings: [], touches });
  }
  for (const e of entries) {
    const skip = skipReason(e.action, opts);
    steps.push({
      kind: PHASE[e.action.type].kind,
      action: e.action,
      findings: [...e.findings].sort(),
      touches: touchedFiles(e.action),
      ...(skip ? { skip } : {}),
    });
  }
  if (steps.length > 0) steps.push({ kind: 'rescan', findings: [], touches: [] });
  return { steps: steps.map((s, i) => ({ n: i + 1, ...s })) };
}

/**
 * The steps `--select 1,3` keeps. The archive step is always kept when a kept step touches a file, so
 * choosing steps can never skip the copy that makes them reversible.
 */
export function selectSteps(plan: Plan, selected: number[] | undefined): PlanStep[] {
  if (!selected) return plan.steps;
  const want = new Set(selected);
  const kept = plan.steps.filter((s) => want.has(s.n));
  const needsArchive = kept.some((s) => s.touches.length > 0);
  return plan.steps.filter((s) => want.has(s.n) || (s.kind === 'archive' && needsArchive));
}

/** Parses `--select 1,3,5-7`; throws a message naming the bad part. */
export function parseSelection(text: string, max: number): number[] {
  const out = new Set<number>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new Error(`--select: "${part}" is not a step number or range`);
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    if (from < 1 || to > max || from > to) throw new Error(`--select: ${part} is outside steps 1-${max}`);
    for (let i = from; i <= to; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

const KIND_TEXT: Record<StepKind, Localized> = {
  freeze: { en: 'Freeze', 'zh-CN': '冻结' },
  archive: { en: 'Archive', 'zh-CN': '备份' },
  kill: { en: 'Kill', 'zh-CN': '终止' },
  'remove-persistence': { en: 'Persistence', 'zh-CN': '持久化' },
  'restore-ld-preload': { en: 'Preload', 'zh-CN': '预加载' },
  'remove-line': { en: 'Edit', 'zh-CN': '修改' },
  quarantine: { en: 'Quarantine', 'zh-CN': '隔离' },
  block: { en: 'Block', 'zh-CN': '阻断' },
  rescan: { en: 'Verify', 'zh-CN': '复查' },
};

export function stepLabel(kind: StepKind, lang: Lang): string {
  return KIND_TEXT[kind][lang];
}
