// The §5 incident report as Markdown. It opens the way the terminal report does: what was scanned
// (the scope), the verdict with its kinds, the miner processes running now with their pool and wallet,
// then each kind's playbook and what the scan did not scan; the six §5 sections follow.
// Attacker-controlled text (argv, paths, host names) is made inert: control characters escaped,
// Markdown and HTML metacharacters backslash-escaped, so a viewer that renders Markdown cannot be
// made to run or link anything.
import type { Lang } from '../model/finding.js';
import type { IncidentReport } from './model.js';
import { it18n as x } from './texts.js';
import { pageText as pt } from './pages.js';
import type { Target } from '../snapshot/schema.js';
import {
  kindName,
  levelName,
  notScannedGroupText,
  runningText,
  scanGapText,
  scopeText,
  skipHint,
  t,
} from '../report/i18n.js';
import { notScannedGroups } from '../report/not-scanned.js';
import { inertForTerminal } from '../report/sanitize.js';
import { containerLabel } from '../report/render-text.js';

/** What the incident report itself does not hold but its first lines show. */
export interface IncidentRenderOptions {
  /** What the scan behind the report covered (the scan report's `target`): the scope line. */
  target?: Target;
}

/** Escapes Markdown/HTML metacharacters after neutralising control characters. */
export function mdText(text: string): string {
  // Only what can start markup mid-line: emphasis, code, links, tables, raw HTML.
  return inertForTerminal(text).replace(/[\\`*_[\]<>&|~]/g, (c) => `\\${c}`);
}

/** Text inside a code span: backticks cannot close it, since the fence is longer than any run inside. */
function code(text: string): string {
  const safe = inertForTerminal(text);
  const longest = Math.max(0, ...(safe.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${safe} ${fence}`;
}

function field(lang: Lang, label: string, value: string | undefined): string {
  return `- **${label}**: ${value ? mdText(value) : `_${x(lang, 'missing')}_`}`;
}

// The title, the scope line and the generation note at the top of the report.
function headerMd(out: string[], r: IncidentReport, lang: Lang, opts: IncidentRenderOptions): void {
  out.push(`# ${x(lang, 'title')}`, '');
  if (opts.target) out.push(`**${mdText(scopeText(lang, opts.target))}**`, '');
  out.push(`_${x(lang, 'generated', { time: r.generatedAt, version: r.tool.version })}_`, '');
}

// The miner processes running now, with their pool and wallet, when there are any.
function runningMd(out: string[], r: IncidentReport, lang: Lang): void {
  const running = r.verdict.running ?? [];
  if (running.length) {
    out.push(`### ${t(lang, 'running.title')}`, '');
    for (const p of running) {
      const { head, detail } = runningText(lang, p);
      out.push(`- ${mdText(head)}`);
      if (detail) out.push(`  - ${mdText(detail)}`);
    }
    out.push('');
  }
}

// The verdict: status, each kind with its evidence chain, the miners running now and the playbooks.
function verdictMd(out: string[], r: IncidentReport, lang: Lang): void {
  out.push(`## ${x(lang, 'verdict')}`, '');
  out.push(`**${t(lang, `status.${r.verdict.status}`)}**`, '');
  if (r.verdict.scanGaps?.length) {
    for (const gap of r.verdict.scanGaps) out.push(`- ${mdText(scanGapText(lang, gap))}`);
    out.push('');
  }
  for (const k of r.verdict.kinds) {
    out.push(
      `### ${kindName(lang, k.kind)} (${t(lang, 'confidence', { value: t(lang, `confidence.${k.confidence}`) })})`,
      '',
    );
    for (const c of k.chain)
      out.push(`- ${c.ruleId} (${levelName(lang, c.level)}): ${mdText(c.message[lang])}`);
    out.push('');
  }
  runningMd(out, r, lang);
  // A kind listed because an image carries it has no playbook of its own (container-image's applies).
  for (const k of r.verdict.kinds.filter((k) => k.playbook.length > 0)) {
    out.push(`### ${t(lang, 'playbookFor', { kind: kindName(lang, k.kind) })}`, '');
    k.playbook.forEach((s, i) => out.push(`${i + 1}. ${s[lang]}`));
    out.push('');
  }
  notScannedMd(out, r, lang);
}

/** Paths listed per reason in the §5 report; the JSON has up to 50 in all, and counts every skip. */
export const INCIDENT_NOT_SCANNED_SHOWN = 10;

// What the content scan did not scan, by reason (gaps first), with how to cover each gap.
function notScannedMd(out: string[], r: IncidentReport, lang: Lang): void {
  const ns = r.notScanned;
  if (!ns || ns.total === 0) return;
  out.push(`### ${t(lang, 'notScanned.title', { count: ns.total })}`, '');
  if (ns.gaps > 0) out.push(mdText(t(lang, 'notScanned.gaps', { count: ns.gaps })), '');
  for (const g of notScannedGroups(ns)) {
    const shown = g.entries.slice(0, INCIDENT_NOT_SCANNED_SHOWN);
    const { head, rest } = notScannedGroupText(lang, g, shown.length);
    out.push(`- ${g.policy ? mdText(head) : `**${mdText(head)}**`}`);
    for (const e of shown) out.push(`  - ${code(e.path)}${e.detail ? ` — ${mdText(e.detail)}` : ''}`);
    if (rest) out.push(`  - ${mdText(rest)}`);
    const hint = skipHint(lang, g.reason);
    if (hint) out.push(`  - ${mdText(t(lang, 'notScanned.cover', { hint }))}`);
  }
  out.push('');
}

// §5 (1): the reporting organisation.
function organizationMd(out: string[], r: IncidentReport, lang: Lang): void {
  const o = r.organization;
  out.push(`## ${x(lang, 's1')}`, '');
  out.push(field(lang, x(lang, 'orgName'), o.name));
  out.push(field(lang, x(lang, 'address'), o.address));
  out.push(field(lang, x(lang, 'contact'), o.contact));
  out.push(field(lang, x(lang, 'phone'), o.phone));
  if (o.email) out.push(field(lang, x(lang, 'email'), o.email));
  out.push('');
}

// §5 (2): when, where and which IPs, followed by the timeline.
function incidentMd(out: string[], r: IncidentReport, lang: Lang): void {
  const i = r.incident;
  out.push(`## ${x(lang, 's2')}`, '');
  out.push(field(lang, x(lang, 'reportedTime'), i.reportedTime));
  out.push(field(lang, x(lang, 'firstSeen'), i.firstSeen));
  out.push(field(lang, x(lang, 'detectedAt'), i.detectedAt));
  out.push(field(lang, x(lang, 'location'), i.location));
  out.push(field(lang, x(lang, 'hostname'), i.hostname));
  out.push(field(lang, x(lang, 'hostAddresses'), i.hostAddresses.join(', ') || x(lang, 'none')));
  out.push(field(lang, x(lang, 'relatedIps'), i.relatedIps.join(', ') || x(lang, 'none')));
  out.push('');
  if (r.timeline.length) {
    out.push(`### ${x(lang, 'timeline')}`, '', `| ${x(lang, 'time')} | ${x(lang, 'event')} |`, '|---|---|');
    for (const e of r.timeline) out.push(`| ${e.time} | ${mdText(e.event[lang])} |`);
    out.push('');
  }
}

// §5 (3): reported and observed symptoms, and the miner processes behind them.
function symptomsMd(out: string[], r: IncidentReport, lang: Lang): void {
  out.push(`## ${x(lang, 's3')}`, '');
  out.push(field(lang, x(lang, 'reported'), r.symptoms.reported), '');
  out.push(`**${x(lang, 'observed')}**`, '');
  for (const s of r.symptoms.observed) out.push(`- ${mdText(s[lang])}`);
  if (r.symptoms.observed.length === 0) out.push(`- ${x(lang, 'none')}`);
  out.push('');
  if (r.processes.length) {
    out.push(`### ${x(lang, 'processes')}`, '');
    for (const p of r.processes) {
      out.push(
        `- ${x(lang, 'pid')} ${p.pid}${p.user ? `, ${x(lang, 'user')} ${mdText(p.user)}` : ''}${p.startTime ? `, ${x(lang, 'started')} ${p.startTime}` : ''}${p.cpuSeconds !== undefined ? `, ${x(lang, 'cpuSeconds')} ${p.cpuSeconds}` : ''}`,
      );
      if (p.exe) out.push(`  - exe: ${code(p.exe)}`);
      out.push(`  - ${x(lang, 'commandLine')}: ${code(p.argv.join(' '))}`);
      if (p.container) out.push(`  - ${x(lang, 'container')}: ${mdText(containerLabel(p.container))}`);
    }
    out.push('');
  }
}

/** One layer, build step or file of an image, as one line: layer and digest, path, step, history-only. */
function imageItemMd(
  item: NonNullable<IncidentReport['images']>[number]['items'][number],
  lang: Lang,
): string {
  const parts: string[] = [];
  if (item.layer) parts.push(`${x(lang, 'layer')} ${item.layer.index} ${code(item.layer.digest)}`);
  if (item.path !== undefined) parts.push(code(item.path));
  if (item.createdBy !== undefined) parts.push(`${x(lang, 'buildStep')}: ${code(item.createdBy)}`);
  if (item.inFinal === false) parts.push(mdText(x(lang, 'historyOnly', { layer: item.removedBy ?? '?' })));
  return parts.join(' · ');
}

// The container images the findings name (part of §5 (4)), with the layers and steps involved.
function imagesMd(out: string[], r: IncidentReport, lang: Lang): void {
  if (!r.images?.length) return;
  out.push('', `### ${x(lang, 'images')}`, '');
  for (const img of r.images) {
    out.push(`- ${code(img.image)} ${code(img.digest)}`);
    for (const item of img.items) out.push(`  - ${imageItemMd(item, lang)}`);
  }
}

// The live web pages the findings name (part of §5 (4)): each page's miner WebSockets with their
// frames, its scripts with sha256 and decoded excerpts, its WebAssembly modules, its workers' CPU.
function pagesMd(out: string[], r: IncidentReport, lang: Lang): void {
  if (!r.pages?.length) return;
  out.push('', `### ${pt(lang, 'pages')}`, '');
  for (const p of r.pages) {
    out.push(`- ${code(p.url)} — ${levelName(lang, p.level)}`);
    for (const s of p.websockets) {
      out.push(
        `  - WebSocket ${code(s.url)} — ${mdText(pt(lang, 'messages', { protocol: s.protocol, messages: s.messages }))}`,
      );
      for (const f of s.frames) out.push(`    - ${pt(lang, 'frame')} ${pt(lang, f.dir)}: ${code(f.text)}`);
    }
    for (const s of p.scripts) {
      const sha = s.sha256 ? ` sha256 ${code(s.sha256)}` : '';
      out.push(
        `  - ${pt(lang, 'script')} ${code(s.url)}${sha} — ${mdText(pt(lang, 'matches', { rules: s.rules }))}`,
      );
      for (const d of s.decoded) out.push(`    - ${mdText(pt(lang, 'decoded', d))}: ${code(d.text)}`);
    }
    for (const w of p.wasm) {
      const facts = [
        ...(w.size !== undefined ? [pt(lang, 'bytes', { size: w.size })] : []),
        pt(lang, 'matches', { rules: w.rules }),
        ...(w.exports ? [pt(lang, 'exports', { list: w.exports })] : []),
      ];
      out.push(`  - ${pt(lang, 'wasm')} sha256 ${code(w.sha256)} — ${mdText(facts.join(' · '))}`);
    }
    for (const c of p.cpu) out.push(`  - ${mdText(c[lang])}`);
  }
}

// §5 (4): the systems and assets involved, and the loss estimate with its formula.
function assetsAndLossMd(out: string[], r: IncidentReport, lang: Lang): void {
  out.push(`## ${x(lang, 's4')}`, '');
  out.push(field(lang, x(lang, 'systems'), r.assets.systems.join(', ') || undefined));
  if (r.assets.notes) out.push(field(lang, x(lang, 'note'), r.assets.notes));
  const h = r.assets.host;
  out.push(
    field(
      lang,
      x(lang, 'hostFacts'),
      [h.hostname, h.distribution, h.kernel, h.cpuCount ? `${h.cpuCount} CPU` : undefined]
        .filter(Boolean)
        .join(' · '),
    ),
  );
  imagesMd(out, r, lang);
  pagesMd(out, r, lang);
  out.push('', `### ${x(lang, 'loss')}`, '');
  const l = r.loss;
  const d = (k: 'wattsPerCore' | 'pricePerKwh' | 'currency'): string =>
    l.defaults.includes(k) ? ` ${x(lang, 'defaultMark')}` : '';
  out.push(`- **${x(lang, 'formula')}**: ${x(lang, 'formulaText')}`);
  out.push(`- ${x(lang, 'coreHours')}: ${l.cpuCoreHours} (${x(lang, 'cpuSource', { source: l.cpuSource })})`);
  out.push(`- ${x(lang, 'wattsPerCore')}: ${l.wattsPerCore}${d('wattsPerCore')}`);
  out.push(`- ${x(lang, 'pricePerKwh')}: ${l.pricePerKwh} ${mdText(l.currency)}${d('pricePerKwh')}`);
  out.push(`- ${x(lang, 'energy')}: ${l.energyKwh} kWh`);
  out.push(`- ${x(lang, 'energyCost')}: ${l.energyCost} ${mdText(l.currency)}`);
  for (const item of l.items)
    out.push(`- ${x(lang, 'otherItems')}: ${mdText(item.item)}: ${item.amount} ${mdText(l.currency)}`);
  out.push(`- **${x(lang, 'total')}**: ${l.total} ${mdText(l.currency)}`);
  out.push(`- ${code(l.formula)}`, '');
}

// §5 (5) and (6): the attached files, then the sample archive and its password.
function attachmentsAndSamplesMd(out: string[], r: IncidentReport, lang: Lang): void {
  out.push(`## ${x(lang, 's5')}`, '');
  if (r.attachments.length === 0) out.push(x(lang, 'noAttachments'));
  for (const a of r.attachments)
    out.push(
      `- ${code(a.name)}${a.size !== undefined ? ` (${a.size} B)` : ''}${a.sha256 ? ` sha256 ${a.sha256}` : ''}${a.note ? ` — ${mdText(a.note)}` : ''}`,
    );
  out.push('');

  out.push(`## ${x(lang, 's6')}`, '');
  if (!r.samples.archive) out.push(x(lang, 'noSamples'));
  else {
    out.push(`- **${x(lang, 'archive')}**: ${code(r.samples.archive)}`);
    out.push(`- **${x(lang, 'password')}**: ${code(r.samples.password ?? '')}`);
    for (const f of r.samples.files) out.push(`  - ${code(f.path)} sha256 ${f.sha256}`);
  }
}

export function renderIncidentMarkdown(
  r: IncidentReport,
  lang: Lang,
  opts: IncidentRenderOptions = {},
): string {
  const out: string[] = [];
  headerMd(out, r, lang, opts);
  verdictMd(out, r, lang);
  organizationMd(out, r, lang);
  incidentMd(out, r, lang);
  symptomsMd(out, r, lang);
  assetsAndLossMd(out, r, lang);
  attachmentsAndSamplesMd(out, r, lang);
  return out.join('\n') + '\n';
}
