// Findings → a numbered clean-up plan. Pure: it only orders and de-duplicates the findings' declarative
// actions, so `respond` can print exactly what `--apply` would do. The order is the one that keeps a
// miner from coming back while we work: freeze every tree first (watchdogs cannot respawn what is
// stopped), copy every file we will touch into the archive while the processes still exist (a deleted
// exe is only readable through /proc/PID/exe), then kill, then remove persistence and files, then block.
//
// Safe by default: a step asked for only by findings below `high` is a review step, listed and numbered
// but run only when `--select` names it (by number or by finding fingerprint). Processes whose loss
// would take the host, a container or this very clean-up down (pid 1, kernel threads, minehunter and
// the shell and session that run it, a container's init) are never signalled; what the caller knows
// about them comes in through PlanOptions, so building the plan stays free of I/O.
import type { Action, Evidence, Finding, Lang, Level, Localized } from '../model/finding.js';
import { levelRank } from '../model/finding.js';
import type { TargetKind } from '../snapshot/schema.js';
import { psQuote, windowsPathOf } from '../detect/windows.js';

export type StepKind =
  | 'freeze'
  | 'archive'
  | 'kill'
  | 'remove-persistence'
  | 'restore-ld-preload'
  | 'remove-line'
  | 'quarantine'
  | 'block'
  | 'rescan'
  | 'host-command';

/** The lowest level at which a finding's actions are run by default; lower ones ask for review. */
export const ACT_LEVEL: Level = 'high';

/** What is known about a process a freeze or kill step signals. */
export interface ProcessFacts {
  pid: number;
  ppid?: number;
  user?: string;
  exe?: string;
  argv?: string[];
  /** A kernel thread (PF_KTHREAD): signals mean nothing to it, and it is no miner of its own. */
  kernelThread?: boolean;
  /** The init of a PID namespace (a container's pid 1): killing it ends the whole container. */
  containerInit?: boolean;
}

/** A finding that asked for a step, and its level. */
export interface Requester {
  fingerprint: string;
  level: Level;
}

export interface PlanStep {
  /** 1-based, as printed and as `--select` takes it. */
  n: number;
  kind: StepKind;
  /** The action executed (absent for archive and rescan, which the plan adds itself). */
  action?: Action;
  /** Fingerprints of the findings that asked for this step. */
  findings: string[];
  /** The same findings with their levels, most severe first. */
  requestedBy: Requester[];
  /**
   * Asked for only by findings below ACT_LEVEL: listed, but not run unless `--select` names it. For
   * archive and rescan: true when no step that is run by default needs them.
   */
  review: boolean;
  /** Files this step removes or edits: each is copied into the archive first. */
  touches: string[];
  /** Why the step will not run here, when known before applying (e.g. loopback address, pid 1). */
  skip?: Localized;
  /** Freeze and kill steps: the process signalled, as the findings and the snapshot describe it. */
  process?: ProcessFacts;
  /**
   * What an administrator runs on the Windows host for this step (PowerShell, arguments single-quoted):
   * a `windows-command` action's text, or for a file of a Windows volume its Compress-Archive and
   * Remove-Item. `--apply` never runs it.
   */
  command?: string;
}

export interface Plan {
  steps: PlanStep[];
}

export interface PlanOptions {
  /** The target is the running system (firewall rules make sense only there). */
  live: boolean;
  /**
   * What the caller knows about the target's processes (the snapshot, or /proc when the plan comes
   * from a saved report): kernel threads and containers' inits are recognised from these facts.
   * Facts given here win over the ones the findings' evidence carries.
   */
  processes?: readonly ProcessFacts[];
  /** minehunter's own pid: never signalled. */
  self?: number;
  /** minehunter's parent chain (its shell, session, terminal server…) up to pid 1: never signalled. */
  ancestors?: readonly number[];
  /** The kind of target (the report's `target.kind`): a Windows volume's file steps get PowerShell too. */
  target?: TargetKind;
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
  'windows-command': { kind: 'host-command', order: 4 },
};

/** Where a step goes: a Windows command by what it acts on (processes first, folders with the files). */
function phaseOf(a: Action): { kind: StepKind; order: number } {
  if (a.type !== 'windows-command') return PHASE[a.type];
  return { kind: 'host-command', order: a.object === 'process' ? 2 : a.object === 'folder' ? 6 : 4 };
}

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
    case 'windows-command':
      return `windows:${a.object}:${a.command}`;
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
    case 'windows-command':
      // A Windows command is run by a person on the host, never by --apply.
      return [];
  }
}

const LOOPBACK = /^(?:127\.|::1$|0\.0\.0\.0$|::$|localhost$)/i;

const PROTECTED = {
  init: { en: 'pid 1 is init: never killed', 'zh-CN': 'pid 1 是 init 进程，绝不终止' },
  self: {
    en: 'minehunter itself: not signalled',
    'zh-CN': 'minehunter 自身：不发送信号',
  },
  ancestor: {
    en: "minehunter's own parent chain (the shell or session running it): not signalled",
    'zh-CN': 'minehunter 自身的父进程链（运行它的 shell 或会话）：不发送信号',
  },
  kernelThread: {
    en: 'a kernel thread: not signalled unless a critical finding is about it',
    'zh-CN': '内核线程：除非有针对它本身的严重级发现，否则不发送信号',
  },
  containerInit: {
    en: "a container's init process (pid 1 of its PID namespace): not signalled unless a critical finding is about it",
    'zh-CN': '容器的 init 进程（其 PID 命名空间中的 1 号进程）：除非有针对它本身的严重级发现，否则不发送信号',
  },
} satisfies Record<string, Localized>;

/**
 * Why a process must not be frozen or killed. Pid 1, minehunter itself and its parent chain are never
 * signalled: stopping or killing them takes the host down or ends this clean-up half-way (a frozen
 * ancestor's tree would include minehunter). Kernel threads and containers' inits are spared unless a
 * critical finding is about that very process.
 */
function processSkip(p: ProcessFacts, critical: boolean, opts: PlanOptions): Localized | undefined {
  if (p.pid <= 1) return PROTECTED.init;
  if (opts.self !== undefined && p.pid === opts.self) return PROTECTED.self;
  if (opts.ancestors?.includes(p.pid)) return PROTECTED.ancestor;
  if (p.kernelThread && !critical) return PROTECTED.kernelThread;
  if (p.containerInit && !critical) return PROTECTED.containerInit;
  return undefined;
}

const HOST_COMMAND: Localized = {
  en: 'a command for an administrator on the Windows host (PowerShell below); minehunter never runs it and never edits a hive',
  'zh-CN':
    '这是供 Windows 主机管理员执行的命令（见下方 PowerShell）；minehunter 不会执行它，也绝不修改注册表配置单元',
};

/** The PowerShell that quarantines a file of a Windows volume on the host itself: archive, then delete. */
export function windowsQuarantineCommand(targetPath: string, n: number): string {
  const win = windowsPathOf(targetPath);
  const name = win.slice(win.lastIndexOf('\\') + 1);
  const dir = 'C:\\minehunter-quarantine';
  const zip = `${dir}\\${n}-${name}.zip`;
  return [
    `New-Item -ItemType Directory -Force -Path ${psQuote(dir)} | Out-Null`,
    `Compress-Archive -LiteralPath ${psQuote(win)} -DestinationPath ${psQuote(zip)}`,
    `Remove-Item -LiteralPath ${psQuote(win)} -Force`,
  ].join('; ');
}

/** The PowerShell shown with a step, when there is one. */
function stepCommand(a: Action, n: number, opts: PlanOptions): string | undefined {
  if (a.type === 'windows-command') return a.command;
  if (a.type === 'quarantine-file' && opts.target === 'windows-volume')
    return windowsQuarantineCommand(a.path, n);
  return undefined;
}

function skipReason(a: Action, opts: PlanOptions): Localized | undefined {
  if (a.type === 'windows-command') return HOST_COMMAND;
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
  return undefined;
}

/** True when the finding's evidence names this pid: as a process, or as the holder of a socket. */
function isAbout(f: Finding, pid: number): boolean {
  return f.evidence.some(
    (e: Evidence) => (e.type === 'process' && e.pid === pid) || (e.type === 'socket' && e.pids.includes(pid)),
  );
}

/** The facts of one process: the findings' evidence first, then what the caller knows, then the action. */
function processFacts(
  a: Extract<Action, { type: 'kill-process-tree' }>,
  findings: Finding[],
  known: ReadonlyMap<number, ProcessFacts>,
): ProcessFacts {
  const facts: ProcessFacts = { pid: a.pid };
  for (const f of findings)
    for (const e of f.evidence)
      if (e.type === 'process' && e.pid === a.pid) {
        facts.ppid ??= e.ppid;
        if (e.user !== undefined) facts.user ??= e.user;
        if (e.exe !== undefined) facts.exe ??= e.exe;
        facts.argv ??= e.argv;
      }
  const k = known.get(a.pid);
  if (k) {
    if (k.ppid !== undefined) facts.ppid = k.ppid;
    if (k.user !== undefined) facts.user = k.user;
    if (k.exe !== undefined) facts.exe = k.exe;
    if (k.argv !== undefined) facts.argv = k.argv;
    if (k.kernelThread) facts.kernelThread = true;
    if (k.containerInit) facts.containerInit = true;
  }
  if (a.exe !== undefined) facts.exe ??= a.exe;
  return facts;
}

const byLevel = (a: Requester, b: Requester): number =>
  levelRank(b.level) - levelRank(a.level) ||
  (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0);

export function buildPlan(findings: Finding[], opts: PlanOptions): Plan {
  const merged = new Map<string, { action: Action; findings: Map<string, Finding>; first: number }>();
  let seq = 0;
  for (const f of findings) {
    if (f.allowed) continue;
    for (const action of f.remediate) {
      const key = actionKey(action);
      const entry = merged.get(key) ?? { action, findings: new Map<string, Finding>(), first: seq++ };
      // The same fingerprint twice (a hand-merged report): the more severe one counts.
      const seen = entry.findings.get(f.fingerprint);
      if (!seen || levelRank(f.level) > levelRank(seen.level)) entry.findings.set(f.fingerprint, f);
      merged.set(key, entry);
    }
  }
  const entries = [...merged.values()].sort(
    (a, b) => phaseOf(a.action).order - phaseOf(b.action).order || a.first - b.first,
  );
  const known = new Map((opts.processes ?? []).map((p) => [p.pid, p]));

  const describe = (e: (typeof entries)[number]): Omit<PlanStep, 'n' | 'kind'> => {
    const asking = [...e.findings.values()];
    const requestedBy = asking.map((f) => ({ fingerprint: f.fingerprint, level: f.level })).sort(byLevel);
    const review = !requestedBy.some((r) => levelRank(r.level) >= levelRank(ACT_LEVEL));
    let skip = skipReason(e.action, opts);
    let process: ProcessFacts | undefined;
    if (e.action.type === 'kill-process-tree') {
      const pid = e.action.pid;
      process = processFacts(e.action, asking, known);
      const critical = asking.some((f) => f.level === 'critical' && isAbout(f, pid));
      skip ??= processSkip(process, critical, opts);
    }
    return {
      action: e.action,
      findings: [...e.findings.keys()].sort(),
      requestedBy,
      review,
      touches: touchedFiles(e.action),
      ...(skip ? { skip } : {}),
      ...(process ? { process } : {}),
    };
  };

  const steps: Omit<PlanStep, 'n'>[] = [];
  const kills = entries.filter((e) => e.action.type === 'kill-process-tree');
  for (const e of kills) steps.push({ kind: 'freeze', ...describe(e), touches: [] });
  const acts = entries.map((e) => ({ kind: phaseOf(e.action).kind, ...describe(e) }));
  const touches = [...new Set(entries.flatMap((e) => touchedFiles(e.action)))];
  if (touches.length > 0 || kills.length > 0) {
    // Needed by default when a step run by default edits a file or kills a process (whose deleted
    // executable is saved from /proc/PID/exe).
    const review = !acts.some((s) => !s.review && !s.skip && (s.touches.length > 0 || s.kind === 'kill'));
    steps.push({ kind: 'archive', findings: [], requestedBy: [], review, touches });
  }
  steps.push(...acts);
  if (steps.length > 0)
    steps.push({
      kind: 'rescan',
      findings: [],
      requestedBy: [],
      review: acts.every((s) => s.review),
      touches: [],
    });
  return {
    steps: steps.map((s, i) => {
      const command = s.action ? stepCommand(s.action, i + 1, opts) : undefined;
      return { n: i + 1, ...s, ...(command !== undefined ? { command } : {}) };
    }),
  };
}

/**
 * minehunter's parent chain: the parents of `pid` up to (not including) pid 1, nearest first, read
 * through `ppidOf` (the snapshot, or /proc: the caller does the reading). Stops at a loop or a gap.
 */
export function parentChain(pid: number, ppidOf: (pid: number) => number | undefined): number[] {
  const chain: number[] = [];
  const seen = new Set([pid]);
  for (let p = ppidOf(pid); p !== undefined && p > 1 && !seen.has(p); p = ppidOf(p)) {
    chain.push(p);
    seen.add(p);
  }
  return chain;
}

/** What `--select` names: step numbers and the fingerprints of findings (every step each asked for). */
export interface Selection {
  steps: number[];
  fingerprints: string[];
}

/**
 * The steps that run. Without a selection: every step asked for by a finding at ACT_LEVEL or above,
 * with the archive and rescan steps they need; review steps are left out. With one: the steps named by
 * number, and every step a named fingerprint asked for, review steps included. Whatever is chosen,
 * the archive step is kept when a kept step touches a file, so choosing steps can never skip the copy
 * that makes them reversible, and a kept kill step keeps the freeze step of the same process, so its
 * tree is stopped before it is killed (freeze and kill of one process are one selection; a freeze can
 * still be chosen alone, to stop a process without killing it).
 */
export function selectSteps(plan: Plan, selected: number[] | Selection | undefined): PlanStep[] {
  if (!selected) {
    const acted = plan.steps.filter((s) => s.action && !s.review);
    if (acted.length === 0) return [];
    const needsArchive = acted.some((s) => !s.skip && (s.touches.length > 0 || s.kind === 'kill'));
    return plan.steps.filter(
      (s) => (s.action && !s.review) || (s.kind === 'archive' && needsArchive) || s.kind === 'rescan',
    );
  }
  const sel = Array.isArray(selected) ? { steps: selected, fingerprints: [] } : selected;
  const fps = new Set(sel.fingerprints);
  const want = new Set(sel.steps);
  for (const s of plan.steps) if (s.findings.some((f) => fps.has(f))) want.add(s.n);
  for (const s of plan.steps) {
    if (s.kind !== 'kill' || !want.has(s.n) || s.action?.type !== 'kill-process-tree') continue;
    const pid = s.action.pid;
    const freeze = plan.steps.find(
      (f) => f.kind === 'freeze' && f.action?.type === 'kill-process-tree' && f.action.pid === pid,
    );
    if (freeze) want.add(freeze.n);
  }
  const kept = plan.steps.filter((s) => want.has(s.n));
  const needsArchive = kept.some((s) => s.touches.length > 0);
  return plan.steps.filter((s) => want.has(s.n) || (s.kind === 'archive' && needsArchive));
}

/** A finding fingerprint as `--select` takes it: 16 hexadecimal digits. */
const FINGERPRINT = /^[0-9a-f]{16}$/i;

/**
 * Parses `--select 1,3,5-7,0123456789abcdef`: step numbers, ranges, and fingerprints of findings in
 * the plan (16 hex digits, or any other fingerprint a finding of the plan carries). Throws a message
 * naming the bad part.
 */
export function parseSelection(text: string, plan: Plan | number): Selection {
  const max = typeof plan === 'number' ? plan : plan.steps.length;
  const known = new Set(typeof plan === 'number' ? [] : plan.steps.flatMap((s) => s.findings));
  const steps = new Set<number>();
  const fingerprints = new Set<string>();
  for (const part of text.split(',').map((p) => p.trim())) {
    const m = /^(\d{1,9})(?:-(\d{1,9}))?$/.exec(part);
    // At most 9 digits: a fingerprint of 16 decimal digits is not taken for a step number.
    if (m) {
      const from = Number(m[1]);
      const to = m[2] ? Number(m[2]) : from;
      if (from < 1 || to > max || from > to) throw new Error(`--select: ${part} is outside steps 1-${max}`);
      for (let i = from; i <= to; i++) steps.add(i);
      continue;
    }
    const fp = FINGERPRINT.test(part) ? part.toLowerCase() : part;
    if (known.has(fp)) {
      fingerprints.add(fp);
      continue;
    }
    if (FINGERPRINT.test(part))
      throw new Error(`--select: no step of this plan was asked for by finding ${part}`);
    throw new Error(`--select: "${part}" is not a step number, range or finding fingerprint`);
  }
  return {
    steps: [...steps].sort((a, b) => a - b),
    fingerprints: [...fingerprints].sort(),
  };
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
  'host-command': { en: 'On the host', 'zh-CN': '在主机上' },
};

export function stepLabel(kind: StepKind, lang: Lang): string {
  return KIND_TEXT[kind][lang];
}
