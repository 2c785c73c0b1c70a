// Renders a Report for a person at a terminal. The first screen (render-header.ts) answers "what is
// going on" in about 15 lines: scope, verdict, the miner running now with its pool and wallet, what
// starts it again, how many other findings, the next command. Then the findings by level (in the
// report's order: stronger evidence first) with evidence, how to verify and what to do; then each
// kind's playbook with its evidence chain summarised, the steps all kinds share printed once; then
// what was allowed, not collected, not scanned and why. Long lists are capped with a count and
// --verbose lifts every cap; at a set width every line is wrapped to it. Never branches per
// detector: everything comes from the Finding fields. All attacker-controlled text passes through
// inertForTerminal.
import type { ContainerRef } from '../snapshot/container.js';
import { createColors } from 'picocolors';
import {
  LEVELS,
  type Action,
  type Evidence,
  type Finding,
  type Lang,
  type Level,
  type Localized,
} from '../model/finding.js';
import type { Verdict } from '../classify/verdict.js';
import { kindName, levelName, notScannedGroupText, skipHint, t } from './i18n.js';
import type { Report } from './model.js';
import { notScannedGroups, type NotScanned } from './not-scanned.js';
import { formatArgv, inertForTerminal as safe } from './sanitize.js';
import { levelColor, renderHeader, type Colors } from './render-header.js';
import { cutMiddle, wrapText } from './wrap.js';

export interface TextOptions {
  lang: Lang;
  color: boolean;
  /**
   * Columns of the terminal the text is shown on: every line is wrapped to it and the first screen's
   * long values (wallets) are shortened to fit. Undefined for a file or a pipe: lines stay whole, for
   * grep and for a reader with a wider window.
   */
  width?: number;
  /** Everything: whole evidence chains, argv and lists, every playbook step per kind. */
  verbose?: boolean;
}

/** Caps of the default view; --verbose lifts them all. */
const FINDINGS_SHOWN = 10;
// Pathological findings only: a correlated image finding carries a score of entries worth reading.
const EVIDENCE_SHOWN = 24;
const SIGNALS_SHOWN = 5;
const ACTIONS_SHOWN = 6;
const ARGS_SHOWN = 12;
/** One argument longer than this (a base64 payload) is shortened in its middle. */
const ARG_COLUMNS = 160;
const CHAIN_RULES_SHOWN = 4;
const ALLOWED_SHOWN = 10;

export function renderText(report: Report, opts: TextOptions): string {
  const c = createColors(opts.color);
  const { lang } = opts;
  const verbose = Boolean(opts.verbose);
  const out: string[] = renderHeader(
    report,
    { lang, verbose, ...(opts.width ? { width: opts.width } : {}) },
    c,
  );
  out.push('');
  if (verbose) out.push(...chainLines(report, lang, c, true), '');

  const active = report.findings.filter((f) => !f.allowed);
  if (active.length === 0) out.push(t(lang, 'noFindings'), '');
  for (const level of LEVELS) {
    const group = active.filter((f) => f.level === level);
    if (group.length === 0) continue;
    out.push(levelColor(c, level)(c.bold(`${levelName(lang, level)} (${group.length})`)));
    const shown = verbose ? group : group.slice(0, FINDINGS_SHOWN);
    for (const f of shown) out.push(renderFinding(f, lang, c, verbose), '');
    if (group.length > shown.length)
      out.push(`  ${c.dim(moreFindings(group.slice(shown.length), lang))}`, '');
  }

  out.push(...renderPlaybooks(report, lang, c, verbose));

  const allowed = report.findings.filter((f) => f.allowed);
  if (allowed.length) {
    out.push(c.bold(`${t(lang, 'allowedSection')} (${allowed.length})`));
    const shown = verbose ? allowed : allowed.slice(0, ALLOWED_SHOWN);
    for (const f of shown) {
      const a = f.allowed!;
      out.push(`  ${c.dim('○')} ${f.title[lang]} — ${safe(f.message[lang])}`);
      out.push(
        `    ${c.dim(t(lang, 'allowedBy', { by: a.by, value: safe(a.value), source: safe(a.source) }))}`,
      );
      if (a.reason) out.push(`    ${c.dim(safe(a.reason))}`);
    }
    if (allowed.length > shown.length)
      out.push(`  ${c.dim(t(lang, 'notScanned.more', { count: allowed.length - shown.length }))}`);
    out.push('');
  }

  const problems = report.collection.filter((r) => r.status !== 'ok');
  if (problems.length) {
    out.push(c.bold(t(lang, 'collectionProblems')));
    for (const r of problems) {
      const first = r.errors.slice(0, 3).map((e) => safe(`${e.path ? `${e.path}: ` : ''}${e.message}`));
      const more = r.errors.length - first.length + (r.droppedErrors ?? 0);
      out.push(`  ${c.yellow(r.status)} ${r.collector}${r.note ? ` — ${safe(r.note)}` : ''}`);
      for (const line of first) out.push(`    ${c.dim(line)}`);
      if (more > 0) out.push(`    ${c.dim(`(+${more})`)}`);
    }
    out.push('');
  }
  if (report.notScanned && report.notScanned.total > 0)
    out.push(renderNotScanned(report.notScanned, lang, c), '');
  if (report.skipped.length) {
    out.push(c.bold(t(lang, 'skippedSection')));
    for (const s of report.skipped) out.push(`  ${s.ruleId}: ${s.missing.join(', ')}`);
    out.push('');
  }

  const counts = LEVELS.map((l) => `${levelName(lang, l)} ${report.summary[l]}`);
  counts.push(`${t(lang, 'allowedCount')} ${report.summary.allowed}`);
  out.push(`${c.bold(t(lang, 'summary'))}: ${counts.join(' · ')}`);
  return wrapText(out.join('\n'), opts.width) + '\n';
}

/** "… and 12 more at this level: content-match ×11, miner-strings-in-file" */
function moreFindings(rest: Finding[], lang: Lang): string {
  const byRule = new Map<string, number>();
  for (const f of rest) byRule.set(f.ruleId, (byRule.get(f.ruleId) ?? 0) + 1);
  const rules = [...byRule.entries()].map(([r, n]) => (n > 1 ? `${r} ×${n}` : r)).join(', ');
  return t(lang, 'findings.more', { count: rest.length, rules });
}

/**
 * A kind's evidence chain in one line: each rule once, with how many of its findings there are at
 * each level, strongest first (`content-match ×19 (CRITICAL), ×2 (HIGH) · pool-connection (HIGH)`);
 * verbose, every link as the verdict lists it.
 */
export function chainSummary(chain: Verdict['kinds'][number]['chain'], lang: Lang, verbose = false): string {
  if (verbose) return chain.map((l) => `${l.ruleId} (${levelName(lang, l.level)})`).join(' → ');
  const byRule = new Map<string, Map<Level, number>>();
  for (const l of chain) {
    const levels = byRule.get(l.ruleId) ?? new Map<Level, number>();
    levels.set(l.level, (levels.get(l.level) ?? 0) + 1);
    byRule.set(l.ruleId, levels);
  }
  const rules = [...byRule.entries()].map(([rule, levels]) =>
    LEVELS.filter((lv) => levels.has(lv))
      .map((lv, i) => {
        const n = levels.get(lv)!;
        return `${i === 0 ? `${rule} ` : ''}${n > 1 ? `×${n} ` : ''}(${levelName(lang, lv)})`;
      })
      .join(', '),
  );
  const shown = rules.slice(0, CHAIN_RULES_SHOWN);
  return shown.join(' · ') + (rules.length > shown.length ? ` (+${rules.length - shown.length})` : '');
}

/** Every kind with its evidence chain: the verbose view's account of the verdict. */
function chainLines(report: Report, lang: Lang, c: Colors, verbose: boolean): string[] {
  const lines: string[] = [];
  for (const k of report.verdict.kinds) {
    if (!k.chain.length) continue;
    lines.push(`  • ${kindName(lang, k.kind)}`);
    lines.push(`    ${c.dim(t(lang, 'evidenceChain'))}: ${chainSummary(k.chain, lang, verbose)}`);
  }
  return lines;
}

/**
 * Each kind's playbook with its evidence chain. By default the steps every listed kind shares (keep
 * the evidence, find the way in, write the report) are printed once after the kinds' own steps;
 * verbose, each kind's playbook is printed whole.
 */
function renderPlaybooks(report: Report, lang: Lang, c: Colors, verbose: boolean): string[] {
  const kinds = report.verdict.kinds.filter((k) => k.playbook.length > 0);
  const shared =
    !verbose && kinds.length > 1
      ? kinds[0]!.playbook.filter((step) => kinds.every((k) => k.playbook.some((s) => s.en === step.en)))
      : [];
  const isShared = (step: Localized): boolean => shared.some((s) => s.en === step.en);
  const out: string[] = [];
  for (const k of kinds) {
    out.push(c.underline(t(lang, 'playbookFor', { kind: kindName(lang, k.kind) })));
    if (!verbose && k.chain.length)
      out.push(`  ${c.dim(`${t(lang, 'evidenceChain')}: ${chainSummary(k.chain, lang)}`)}`);
    k.playbook.filter((s) => !isShared(s)).forEach((step, i) => out.push(`  ${i + 1}. ${step[lang]}`));
    out.push('');
  }
  if (shared.length) {
    out.push(c.underline(t(lang, 'playbook.common')));
    shared.forEach((step, i) => out.push(`  ${i + 1}. ${step[lang]}`));
    out.push('');
  }
  return out;
}

/** Paths shown per reason in the terminal; the JSON report lists more, and counts them all. */
const NOT_SCANNED_SHOWN = 5;

/**
 * What the content scan did not scan, one group per reason (gaps first): how many, what the reason
 * means, the first paths with their detail, and for a gap how to cover it.
 */
function renderNotScanned(ns: NotScanned, lang: Lang, c: Colors): string {
  const lines = [c.bold(t(lang, 'notScanned.title', { count: ns.total }))];
  if (ns.gaps > 0) lines.push(`  ${c.yellow(t(lang, 'notScanned.gaps', { count: ns.gaps }))}`);
  for (const g of notScannedGroups(ns)) {
    const shown = g.entries.slice(0, NOT_SCANNED_SHOWN);
    const { head, rest } = notScannedGroupText(lang, g, shown.length);
    lines.push(`  ${g.policy ? `${c.dim('○')} ${safe(head)}` : `${c.yellow('●')} ${c.bold(safe(head))}`}`);
    for (const e of shown) lines.push(`    ${safe(e.path)}${e.detail ? c.dim(` — ${safe(e.detail)}`) : ''}`);
    if (rest) lines.push(`    ${c.dim(rest)}`);
    const hint = skipHint(lang, g.reason);
    if (hint) lines.push(`    ${t(lang, 'notScanned.cover', { hint })}`);
  }
  return lines.join('\n');
}

function renderFinding(f: Finding, lang: Lang, c: Colors, verbose: boolean): string {
  const lines: string[] = [];
  const kind = f.kind ? c.dim(` [${kindName(lang, f.kind)}]`) : '';
  lines.push(`  ${levelColor(c, f.level)('●')} ${c.bold(f.title[lang])}${kind} ${c.dim(f.ruleId)}`);
  lines.push(`    ${safe(f.message[lang])}`);
  const cap = <T>(items: T[], n: number): T[] => (verbose ? items : items.slice(0, n));
  const more = (all: unknown[], shown: unknown[], key: 'evidence.more' | 'signals.more' | 'actions.more') =>
    all.length > shown.length ? [`      ${c.dim(t(lang, key, { count: all.length - shown.length }))}`] : [];
  if (f.evidence.length) {
    lines.push(`    ${c.underline(t(lang, 'evidence'))}`);
    const shown = cap(f.evidence, EVIDENCE_SHOWN);
    for (const e of shown) lines.push(...renderEvidence(e, lang, verbose).map((l) => `      ${l}`));
    lines.push(...more(f.evidence, shown, 'evidence.more'));
  }
  if (f.signals.length > 1) {
    lines.push(`    ${c.underline(t(lang, 'signals'))}`);
    const shown = cap(f.signals, SIGNALS_SHOWN);
    for (const s of shown)
      lines.push(`      - ${levelName(lang, s.level)} ${s.ruleId}: ${safe(s.message[lang])}`);
    lines.push(...more(f.signals, shown, 'signals.more'));
  }
  lines.push(`    ${c.underline(t(lang, 'verify'))}`);
  for (const line of f.verify[lang].split('\n')) lines.push(`      ${line}`);
  if (f.remediate.length) {
    lines.push(`    ${c.underline(t(lang, 'remediate'))}`);
    const shown = cap(f.remediate, ACTIONS_SHOWN);
    shown.forEach((a, i) => lines.push(`      ${i + 1}. ${describeAction(a, lang)}`));
    lines.push(...more(f.remediate, shown, 'actions.more'));
  }
  lines.push(`    ${c.dim(`${t(lang, 'fingerprint')}: ${f.fingerprint}`)}`);
  return lines.join('\n');
}

/** argv as a shell-like line; by default the first arguments, each shortened in its middle when huge. */
function argvText(argv: string[], lang: Lang, verbose: boolean): string {
  if (verbose) return formatArgv(argv);
  const shown = argv.slice(0, ARGS_SHOWN).map((a) => cutMiddle(a, ARG_COLUMNS));
  const rest = argv.length - shown.length;
  return formatArgv(shown) + (rest > 0 ? ` ${t(lang, 'argv.more', { count: rest })}` : '');
}

export function renderEvidence(e: Evidence, lang: Lang, verbose = true): string[] {
  const label = t(lang, `evidence.${e.type}`);
  switch (e.type) {
    case 'process': {
      const exe = e.exe ? `${safe(e.exe)}${e.exeDeleted ? ` (${t(lang, 'deleted')})` : ''}` : '-';
      const cpu = e.cpuPercent !== undefined ? ` cpu ${e.cpuPercent.toFixed(0)}%` : '';
      return [
        `${label}: pid ${e.pid} ppid ${e.ppid}${e.user ? ` user ${safe(e.user)}` : ''}${cpu} exe ${exe}`,
        `  argv: ${argvText(e.argv, lang, verbose)}`,
        ...(e.container ? [`  ${t(lang, 'evidence.container')}: ${safe(containerLabel(e.container))}`] : []),
      ];
    }
    case 'socket':
      return [
        `${label}: ${e.protocol} ${safe(e.local)} → ${safe(e.remote)} ${e.state} pid ${e.pids.join(',') || '?'}${e.match ? ` (${safe(e.match)})` : ''}`,
      ];
    case 'file':
      return [`${label}: ${safe(e.path)}${e.sha256 ? ` sha256 ${e.sha256}` : ''}`];
    case 'match':
      return [`${label}: ${e.field} = ${safe(e.value)}${e.ioc ? ` (${safe(e.ioc)})` : ''}`];
    case 'image':
      return imageEvidence(e, lang);
  }
}

/** `podman 3f2a1b4c5d6e web-1 (docker.io/x/y:1) pod default/web` */
export function containerLabel(c: ContainerRef): string {
  const pod = c.pod ? ` pod ${c.namespace ? `${c.namespace}/` : ''}${c.pod}` : '';
  return `${c.runtime} ${c.id.slice(0, 12)}${c.name ? ` ${c.name}` : ''}${c.image ? ` (${c.image})` : ''}${pod}`;
}

function imageEvidence(e: Extract<Evidence, { type: 'image' }>, lang: Lang): string[] {
  const where = e.layer ? ` ${t(lang, 'evidence.layer')} ${e.layer.index} ${e.layer.digest}` : '';
  const lines = [
    `${t(lang, 'evidence.image')}: ${safe(e.image)} ${e.digest}${where}${e.path ? ` ${safe(e.path)}` : ''}`,
  ];
  if (e.createdBy) lines.push(`  ${t(lang, 'evidence.step')}: ${safe(e.createdBy)}`);
  if (e.inFinal === false) lines.push(`  ${t(lang, 'evidence.historyOnly', { layer: e.removedBy ?? '?' })}`);
  return lines;
}

export function describeAction(a: Action, lang: Lang): string {
  switch (a.type) {
    case 'kill-process-tree':
      return t(lang, 'action.kill-process-tree', { pid: a.pid });
    case 'quarantine-file':
      return t(lang, 'action.quarantine-file', { path: safe(a.path) });
    case 'block-address':
      return t(lang, 'action.block-address', {
        address: safe((a.port ? `${a.address}:${a.port}` : a.address) + (a.domain ? ` (${a.domain})` : '')),
      });
    case 'remove-cron-line':
    case 'remove-authorized-key':
    case 'remove-line':
      return t(lang, `action.${a.type}`, { path: safe(a.path), line: safe(a.line) });
    case 'disable-unit':
      return t(lang, 'action.disable-unit', { unit: safe(a.unit), path: safe(a.path) });
    case 'restore-ld-preload':
      return t(lang, 'action.restore-ld-preload', { path: safe(a.path), libs: safe(a.remove.join(', ')) });
    case 'clear-immutable':
      return t(lang, 'action.clear-immutable', { path: safe(a.path) });
    case 'windows-command':
      return `${safe(a.description[lang])}: ${safe(a.command)}`;
  }
}
