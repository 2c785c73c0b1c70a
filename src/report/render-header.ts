// The first screen of the terminal report (about 15 lines at 100 columns): what was scanned and the
// verdict, what is running now (pid, user, CPU, exe, container, pool, wallet), what starts it again,
// how many other findings there are by level and kind, and the next command to run. Everything below
// it in the report details what this block names. Plain facts from the report, never per detector;
// attacker-controlled text passes through inertForTerminal.
import type { createColors } from 'picocolors';
import { LEVELS, type Evidence, type Finding, type Lang, type Level } from '../model/finding.js';
import { basisOf, runningProcesses, type RunningProcess } from '../classify/verdict.js';
import { kindName, levelName, listText, scanGapText, scopeText, t } from './i18n.js';
import type { Report } from './model.js';
import { formatArgv, inertForTerminal as safe } from './sanitize.js';
import { cutEnd, cutMiddle, displayWidth } from './wrap.js';

export type Colors = ReturnType<typeof createColors>;

export interface HeaderOptions {
  lang: Lang;
  /** Columns to fit; undefined when the text goes to a file or pipe (nothing is shortened). */
  width?: number;
  /** Every kind, process and persistence entry instead of the first few. */
  verbose: boolean;
}

/** Caps of the first screen; the sections below (and --verbose) list everything. */
const KINDS_SHOWN = 3;
const RUNNING_SHOWN = 3;
const PERSISTENCE_SHOWN = 2;
const POOLS_SHOWN = 2;
/** A wallet shortened to fit is never cut below this many columns: its head and tail stay readable. */
const MIN_WALLET = 24;
/** Characters of a shortened wallet's end that stay: people compare the head and the last few. */
const WALLET_TAIL = 8;

export function renderHeader(report: Report, opts: HeaderOptions, c: Colors): string[] {
  const { lang } = opts;
  const host = report.host;
  const out: string[] = [
    c.bold(
      t(lang, 'scanTitle', { version: report.tool.version, host: safe(host.hostname ?? report.target.root) }),
    ),
  ];
  out.push(...incompleteLines(report, opts, c));
  const scope = safe(scopeText(lang, report.target));
  out.push(report.target.scope === 'paths' ? c.yellow(scope) : scope);
  out.push(c.dim(collectedLine(report, lang)));
  // What a target read offline cannot show (a Windows volume's attributes and running state).
  for (const limit of report.limits ?? []) out.push(c.dim(t(lang, `limit.${limit}`)));
  out.push(...verdictLines(report, opts, c));
  // Reports of older versions carry no running list in their verdict: derive it from the findings.
  const running = report.verdict.running ?? runningProcesses(report.findings);
  if (running.length) out.push(...runningLines(report, running, opts, c));
  const again = persistenceLine(report, running, opts);
  if (again) out.push(again);
  const others = othersLine(report, running, lang);
  if (others) out.push(others);
  const next = nextLine(report, running, lang);
  if (next) out.push(c.bold(next));
  return out;
}

/**
 * A scan stopped by Ctrl-C: said first, so nobody reads what follows as the whole answer. The
 * sections cut short and those not collected at all are named (snapshot section ids).
 */
function incompleteLines(report: Report, opts: HeaderOptions, c: Colors): string[] {
  const inc = report.incomplete;
  if (!inc) return [];
  const { lang } = opts;
  const secs = Math.round(inc.afterMs / 1000);
  const en = lang === 'en';
  const lines = [
    en
      ? `INCOMPLETE: interrupted (Ctrl-C) after ${secs} s; below is what was found so far`
      : `未完成：扫描在 ${secs} 秒后被中断（Ctrl-C），以下仅为目前的发现`,
  ];
  const parts = [
    ...(inc.partial.length ? [`${en ? 'cut short' : '中途停止'}: ${inc.partial.join(', ')}`] : []),
    ...(inc.missing.length
      ? [`${en ? 'sections not collected' : '未收集的部分'}: ${inc.missing.join(', ')}`]
      : []),
  ];
  if (parts.length) lines.push(`  ${parts.join(en ? '; ' : '；')}`);
  return lines.map((l) => c.bold(c.red(opts.width ? cutEnd(l, opts.width) : l)));
}

/** When the facts were collected, and the kernel and system they came from when the target has them. */
function collectedLine(report: Report, lang: Lang): string {
  const host = report.host;
  const name = host.distribution?.name ?? host.distribution?.id;
  const distro = name && host.distribution?.version ? `${name} ${host.distribution.version}` : name;
  const time = report.collectedAt;
  // A Linux host always has a kernel line, '?' when unknown; other targets have none to name.
  if (host.kernel !== undefined || report.target.kind === undefined || report.target.kind.startsWith('linux'))
    return t(lang, 'scannedAt', { time, kernel: safe(host.kernel ?? '?'), distro: safe(name ?? '?') });
  return distro
    ? t(lang, 'scannedAtSystem', { time, distro: safe(distro) })
    : t(lang, 'scannedAtOnly', { time });
}

function verdictLines(report: Report, opts: HeaderOptions, c: Colors): string[] {
  const { lang } = opts;
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
  const shown = opts.verbose ? v.kinds : v.kinds.slice(0, KINDS_SHOWN);
  shown.forEach((k, i) => {
    const conf = t(lang, `confidence.${k.confidence}`);
    // The count of kinds left out goes on the last line shown, not a line of its own.
    const rest = i === shown.length - 1 ? v.kinds.length - shown.length : 0;
    const more = rest > 0 ? ` ${c.dim(t(lang, 'kinds.more', { count: rest }))}` : '';
    lines.push(
      `  • ${kindName(lang, k.kind)} (${t(lang, 'confidence', { value: conf })}, ${k.findingCount})${more}`,
    );
  });
  if (v.notCollected.length) lines.push(`  ${t(lang, 'notCollectedSection')}: ${v.notCollected.join(', ')}`);
  // Reasons are skip ids from the snapshot, which a hand-edited one could fill with anything.
  for (const gap of v.scanGaps ?? []) lines.push(`  ${c.yellow(safe(scanGapText(lang, gap)))}`);
  return lines;
}

/** The process evidence of a running pid, for what the verdict's entry does not carry (its container). */
function processOf(report: Report, pid: number): Extract<Evidence, { type: 'process' }> | undefined {
  for (const f of report.findings)
    for (const e of f.evidence) if (e.type === 'process' && e.pid === pid) return e;
  return undefined;
}

function runningLines(report: Report, running: RunningProcess[], opts: HeaderOptions, c: Colors): string[] {
  const { lang } = opts;
  const lines = [c.bold(t(lang, 'running.title'))];
  const shown = opts.verbose ? running : running.slice(0, RUNNING_SHOWN);
  for (const p of shown) {
    const container = processOf(report, p.pid)?.container;
    const head = [
      t(lang, 'running.pid', { pid: p.pid }),
      ...(p.user !== undefined ? [t(lang, 'running.user', { user: p.user })] : []),
      ...(p.cpuPercent !== undefined ? [t(lang, 'running.cpu', { cpu: p.cpuPercent.toFixed(0) })] : []),
      `${p.exe ?? p.comm}${p.exeDeleted ? ` (${t(lang, 'deleted')})` : ''}`,
      ...(container
        ? [`${t(lang, 'evidence.container')} ${container.name ?? container.id.slice(0, 12)}`]
        : []),
    ].join(' · ');
    lines.push(`  ${levelColor(c, p.level)('●')} ${safe(head)}`);
    const detail = detailLine(p, opts);
    if (detail) lines.push(`    ${safe(detail)}`);
  }
  if (running.length > shown.length)
    lines.push(`  ${c.dim(t(lang, 'running.more', { count: running.length - shown.length }))}`);
  return lines;
}

/**
 * Pools, then wallets, on one line. At a set width the wallets are shortened in their middle to fit
 * (a Monero address alone is 95 columns); the findings below carry them whole.
 */
function detailLine(p: RunningProcess, opts: HeaderOptions): string | undefined {
  const { lang } = opts;
  const more = (items: string[], cap: number): string =>
    items.length > cap ? ` (+${items.length - cap})` : '';
  const poolCap = opts.verbose ? p.pools.length : POOLS_SHOWN;
  const pools = p.pools.length
    ? t(lang, p.pools.length > 1 ? 'running.pools' : 'running.pool', {
        value: listText(lang, p.pools.slice(0, poolCap)) + more(p.pools, poolCap),
      })
    : '';
  if (p.wallets.length === 0) return pools || undefined;
  const walletCap = opts.verbose ? p.wallets.length : 1;
  const tail = more(p.wallets, walletCap);
  const build = (ws: string[]): string =>
    [
      pools,
      t(lang, p.wallets.length > 1 ? 'running.wallets' : 'running.wallet', {
        value: listText(lang, ws) + tail,
      }),
    ]
      .filter(Boolean)
      .join(' · ');
  const wallets = p.wallets.slice(0, walletCap);
  const full = build(wallets);
  if (!opts.width || opts.verbose || displayWidth(full) + 4 <= opts.width) return full;
  const room = opts.width - 4 - (displayWidth(full) - displayWidth(wallets[0]!));
  return build([cutMiddle(wallets[0]!, Math.max(MIN_WALLET, room), WALLET_TAIL)]);
}

/**
 * What starts a miner again, strongest finding first: the head of each persistence chain the
 * findings traced (`cron line /etc/cron.d/x:3`, from the evidence detect/chain.ts writes, also inside
 * a finding that correlation merged into a running miner's), then the file of each persistence
 * finding that no chain already names.
 */
function persistencePlaces(report: Report, lang: Lang): string[] {
  const active = report.findings.filter((f) => !f.allowed);
  const places: string[] = [];
  for (const f of active)
    for (const e of f.evidence)
      if (e.type === 'match' && e.field === 'chain') places.push(e.value.split(' → ')[0]!);
  for (const f of active.filter(isPersistence)) {
    const file = f.evidence.find((e) => e.type === 'file');
    const place = file?.type === 'file' ? file.path : f.title[lang];
    if (!places.some((p) => p.includes(place))) places.push(place);
  }
  return [...new Set(places)];
}

function persistenceLine(report: Report, running: RunningProcess[], opts: HeaderOptions): string | undefined {
  const { lang } = opts;
  const places = persistencePlaces(report, lang);
  if (places.length === 0) {
    // Said only when it matters (a miner runs) and the places were read.
    const read = report.collection.some((r) => r.collector.endsWith('.persistence') && r.status === 'ok');
    return running.length && read ? t(lang, 'header.persistenceNone') : undefined;
  }
  const cap = opts.verbose ? places.length : PERSISTENCE_SHOWN;
  const items =
    listText(lang, places.slice(0, cap)) + (places.length > cap ? ` (+${places.length - cap})` : '');
  return safe(t(lang, 'header.persistence', { items }));
}

/** The pids the running block names: findings about them are not "other" findings. */
function aboutRunning(f: Finding, pids: Set<number>): boolean {
  if (basisOf(f) !== 'running') return false;
  const proc = f.evidence.find((e) => e.type === 'process');
  return proc?.type === 'process' && pids.has(proc.pid);
}

/** "Other findings (21): CRITICAL 19 · HIGH 2 — web-page script miner 19 · open-source miner 2". */
function othersLine(report: Report, running: RunningProcess[], lang: Lang): string | undefined {
  const pids = new Set(running.map((p) => p.pid));
  // Beside running miners, the others are what the header has not named; with none running, the
  // line counts every finding (its title says "Findings (N)", which must equal the report's count).
  const rest = report.findings.filter(
    (f) => !f.allowed && (running.length === 0 || (!aboutRunning(f, pids) && !isPersistence(f))),
  );
  if (rest.length === 0) return undefined;
  const byLevel = new Map<Level, number>();
  const byKind = new Map<string, number>();
  for (const f of rest) {
    byLevel.set(f.level, (byLevel.get(f.level) ?? 0) + 1);
    const kind = f.kind ? kindName(lang, f.kind) : t(lang, 'header.noKind');
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  const levels = LEVELS.filter((l) => byLevel.has(l))
    .map((l) => `${levelName(lang, l)} ${byLevel.get(l)}`)
    .join(' · ');
  const kinds = [...byKind.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(' · ');
  return t(lang, running.length ? 'header.others' : 'header.allFindings', {
    count: rest.length,
    levels: `${levels} — ${kinds}`,
  });
}

/**
 * What starts a miner again: persistence entries, and a preload (every new process loads it). Other
 * tampering (/etc/hosts) and an image's entrypoint are not something on this host that restarts it.
 */
function isPersistence(f: Finding): boolean {
  return f.category === 'persistence' || (f.kind === 'preload' && basisOf(f) === 'autostart');
}

/** The command line options that point respond and evidence at what this report is about. */
function targetArgs(report: Report): string {
  const target = report.target;
  if (target.scope === 'paths')
    return (target.paths ?? [target.root]).map((p) => ` --path ${formatArgv([p])}`).join('');
  return target.live ? '' : ` --root ${formatArgv([target.root])}`;
}

function nextLine(report: Report, running: RunningProcess[], lang: Lang): string | undefined {
  const v = report.verdict;
  if (v.status === 'incomplete') return t(lang, 'header.next', { what: t(lang, 'next.incomplete') });
  if (v.status === 'clean') return undefined;
  let what: string;
  if (report.target.kind === 'container-image') what = t(lang, 'next.image');
  else if (running.length || report.findings.some((f) => !f.allowed && f.remediate.length))
    what = t(lang, 'next.respond', { args: targetArgs(report) });
  else what = t(lang, 'next.review');
  return t(lang, 'header.next', { what });
}

export function levelColor(c: Colors, level: Level): (s: string) => string {
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
