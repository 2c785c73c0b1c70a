// Renders a Report for a person at a terminal. The first screen answers "what is going on": what was
// scanned (the scope), the verdict and its kinds, and the miner processes running now with their pool
// and wallet; then each kind's playbook, then the findings grouped by level (in the report's order:
// stronger evidence first) with evidence, how to verify and what to do, then what was not scanned
// and why. Never branches per detector: everything comes from the Finding fields. All
// attacker-controlled text passes through inertForTerminal.
import type { ContainerRef } from '../snapshot/container.js';
import { createColors } from 'picocolors';
import { LEVELS, type Action, type Evidence, type Finding, type Lang, type Level } from '../model/finding.js';
import { runningProcesses, type RunningProcess } from '../classify/verdict.js';
import {
  kindName,
  levelName,
  notScannedGroupText,
  runningText,
  scanGapText,
  scopeText,
  skipHint,
  t,
} from './i18n.js';
import type { Report } from './model.js';
import { notScannedGroups, type NotScanned } from './not-scanned.js';
import { formatArgv, inertForTerminal as safe } from './sanitize.js';

export interface TextOptions {
  lang: Lang;
  color: boolean;
}

type Colors = ReturnType<typeof createColors>;

export function renderText(report: Report, opts: TextOptions): string {
  const c = createColors(opts.color);
  const { lang } = opts;
  const out: string[] = [];
  const host = report.host;
  out.push(
    c.bold(
      t(lang, 'scanTitle', { version: report.tool.version, host: safe(host.hostname ?? report.target.root) }),
    ),
  );
  const scope = safe(scopeText(lang, report.target));
  out.push(report.target.scope === 'paths' ? c.yellow(scope) : scope);
  const distro = host.distribution?.name ?? host.distribution?.id ?? '?';
  out.push(
    c.dim(
      t(lang, 'scannedAt', {
        time: report.collectedAt,
        kernel: safe(host.kernel ?? '?'),
        distro: safe(distro),
      }),
    ),
  );
  out.push('');
  out.push(renderVerdict(report, lang, c));
  out.push('');
  // Reports of older versions carry no running list in their verdict: derive it from the findings.
  const running = report.verdict.running ?? runningProcesses(report.findings);
  if (running.length) out.push(renderRunning(running, lang, c), '');
  for (const k of report.verdict.kinds) {
    if (k.playbook.length === 0) continue;
    out.push(c.underline(t(lang, 'playbookFor', { kind: kindName(lang, k.kind) })));
    k.playbook.forEach((step, i) => out.push(`  ${i + 1}. ${step[lang]}`));
    out.push('');
  }

  const active = report.findings.filter((f) => !f.allowed);
  if (active.length === 0) out.push(t(lang, 'noFindings'));
  for (const level of LEVELS) {
    const group = active.filter((f) => f.level === level);
    if (group.length === 0) continue;
    out.push(levelColor(c, level)(c.bold(`${levelName(lang, level)} (${group.length})`)));
    for (const f of group) out.push(renderFinding(f, lang, c), '');
  }

  const allowed = report.findings.filter((f) => f.allowed);
  if (allowed.length) {
    out.push(c.bold(`${t(lang, 'allowedSection')} (${allowed.length})`));
    for (const f of allowed) {
      const a = f.allowed!;
      out.push(`  ${c.dim('○')} ${f.title[lang]} — ${safe(f.message[lang])}`);
      out.push(
        `    ${c.dim(t(lang, 'allowedBy', { by: a.by, value: safe(a.value), source: safe(a.source) }))}`,
      );
      if (a.reason) out.push(`    ${c.dim(safe(a.reason))}`);
    }
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
  return out.join('\n') + '\n';
}

function renderVerdict(report: Report, lang: Lang, c: Colors): string {
  const v = report.verdict;
  const paint =
    v.status === 'infected'
      ? c.red
      : v.status === 'suspicious'
        ? c.yellow
        : v.status === 'clean'
          ? c.green
          : c.yellow;
  const lines = [`${c.bold(t(lang, 'verdict'))}: ${paint(c.bold(t(lang, `status.${v.status}`)))}`];
  for (const k of v.kinds) {
    const conf = t(lang, `confidence.${k.confidence}`);
    lines.push(
      `  • ${kindName(lang, k.kind)} (${t(lang, 'confidence', { value: conf })}, ${k.findingCount})`,
    );
    if (k.chain.length)
      lines.push(
        `    ${c.dim(t(lang, 'evidenceChain'))}: ${k.chain.map((l) => `${l.ruleId} (${levelName(lang, l.level)})`).join(' → ')}`,
      );
  }
  if (v.notCollected.length) lines.push(`  ${t(lang, 'notCollectedSection')}: ${v.notCollected.join(', ')}`);
  // Reasons are skip ids from the snapshot, which a hand-edited one could fill with anything.
  for (const gap of v.scanGaps ?? []) lines.push(`  ${c.yellow(safe(scanGapText(lang, gap)))}`);
  return lines.join('\n');
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

/** At most this many running processes on the first screen; the findings list every one. */
const RUNNING_SHOWN = 5;

function renderRunning(running: RunningProcess[], lang: Lang, c: Colors): string {
  const lines = [c.bold(t(lang, 'running.title'))];
  for (const p of running.slice(0, RUNNING_SHOWN)) {
    const { head, detail } = runningText(lang, p);
    lines.push(`  ${levelColor(c, p.level)('●')} ${safe(head)}`);
    if (detail) lines.push(`    ${safe(detail)}`);
  }
  if (running.length > RUNNING_SHOWN)
    lines.push(`  ${c.dim(t(lang, 'running.more', { count: running.length - RUNNING_SHOWN }))}`);
  return lines.join('\n');
}

function renderFinding(f: Finding, lang: Lang, c: Colors): string {
  const lines: string[] = [];
  const kind = f.kind ? c.dim(` [${kindName(lang, f.kind)}]`) : '';
  lines.push(`  ${levelColor(c, f.level)('●')} ${c.bold(f.title[lang])}${kind} ${c.dim(f.ruleId)}`);
  lines.push(`    ${safe(f.message[lang])}`);
  if (f.evidence.length) {
    lines.push(`    ${c.underline(t(lang, 'evidence'))}`);
    for (const e of f.evidence) lines.push(...renderEvidence(e, lang).map((l) => `      ${l}`));
  }
  if (f.signals.length > 1) {
    lines.push(`    ${c.underline(t(lang, 'signals'))}`);
    for (const s of f.signals)
      lines.push(`      - ${levelName(lang, s.level)} ${s.ruleId}: ${safe(s.message[lang])}`);
  }
  lines.push(`    ${c.underline(t(lang, 'verify'))}`);
  for (const line of f.verify[lang].split('\n')) lines.push(`      ${line}`);
  if (f.remediate.length) {
    lines.push(`    ${c.underline(t(lang, 'remediate'))}`);
    f.remediate.forEach((a, i) => lines.push(`      ${i + 1}. ${describeAction(a, lang)}`));
  }
  lines.push(`    ${c.dim(`${t(lang, 'fingerprint')}: ${f.fingerprint}`)}`);
  return lines.join('\n');
}

export function renderEvidence(e: Evidence, lang: Lang): string[] {
  const label = t(lang, `evidence.${e.type}`);
  switch (e.type) {
    case 'process': {
      const exe = e.exe ? `${safe(e.exe)}${e.exeDeleted ? ` (${t(lang, 'deleted')})` : ''}` : '-';
      const cpu = e.cpuPercent !== undefined ? ` cpu ${e.cpuPercent.toFixed(0)}%` : '';
      return [
        `${label}: pid ${e.pid} ppid ${e.ppid}${e.user ? ` user ${safe(e.user)}` : ''}${cpu} exe ${exe}`,
        `  argv: ${formatArgv(e.argv)}`,
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
  }
}

function levelColor(c: Colors, level: Level): (s: string) => string {
  switch (level) {
    case 'critical':
      return (s) => c.magenta(s);
    case 'high':
      return (s) => c.red(s);
    case 'medium':
      return (s) => c.yellow(s);
    case 'low':
      return (s) => c.cyan(s);
    case 'info':
      return (s) => c.dim(s);
  }
}
