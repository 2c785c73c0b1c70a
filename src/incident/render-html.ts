// The §5 incident report as one self-contained HTML page (inline CSS, SVG and one small inline script,
// nothing loaded from anywhere) that works from file://, prints well and is the source of the PDF. It
// opens with a summary card (host, addresses, time window, verdict, what runs, loss), a findings table
// that sorts and filters in the page (plain HTML without the script), evidence collapsed per finding,
// a timeline and a CPU chart, then the §5 sections. Every piece of text is HTML-escaped after control
// characters are neutralised, and a Content-Security-Policy lets only our own script (by its hash) run
// should anything slip by.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { LEVELS, levelRank, type Evidence, type Finding, type Lang } from '../model/finding.js';
import { cpuSvg, timelineSvg, type TimelineMark } from './charts.js';
import type { IncidentReport } from './model.js';
import { it18n as x } from './texts.js';
import { pageText as pt } from './pages.js';
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
import { INCIDENT_NOT_SCANNED_SHOWN, type IncidentRenderOptions } from './render-md.js';
import { inertForTerminal } from '../report/sanitize.js';
import { containerLabel } from '../report/render-text.js';

export function esc(text: string): string {
  return inertForTerminal(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

const CSS = `
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Source Han Sans SC","Microsoft YaHei",sans-serif;
  max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
h1{border-bottom:3px solid #b00020;padding-bottom:.3rem}
h2{margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;width:14rem}
code{font-family:"DejaVu Sans Mono",monospace;background:#f6f6f6;word-break:break-all}
.missing{color:#999;font-style:italic}
.status{font-weight:bold;color:#b00020}
.scope{font-weight:bold}
.meta{color:#666}
.card{border:2px solid #b00020;border-radius:6px;padding:.5rem 1rem;margin:1rem 0;background:#fffafa}
.card h2{margin-top:.3rem}.card code{font-size:.9em}
.card dl{display:grid;grid-template-columns:11rem 1fr;gap:.2rem 1rem;margin:.3rem 0}
.card dt{font-weight:bold;color:#444}.card dd{margin:0}
.v-infected{color:#b00020;font-weight:bold}.v-suspicious{color:#e65100;font-weight:bold}
.v-clean{color:#2e7d32;font-weight:bold}.v-incomplete{color:#6d4c41;font-weight:bold}
#findings th{width:auto;cursor:pointer;white-space:nowrap}
.lvl{font-weight:bold;text-transform:uppercase;font-size:.85em;white-space:nowrap}
#findings code{word-break:normal;overflow-wrap:anywhere}#findings td:nth-child(4) code{white-space:nowrap}
.lvl-critical{color:#fff;background:#b00020;padding:0 .3rem}.lvl-high{color:#b00020}
.lvl-medium{color:#e65100}.lvl-low{color:#555}.lvl-info{color:#777}
.controls{margin:.5rem 0;display:flex;gap:1rem;flex-wrap:wrap;align-items:center}
details summary{cursor:pointer;color:#1565c0}
details pre{white-space:pre-wrap;word-break:break-all;background:#f6f6f6;padding:.3rem;margin:.2rem 0}
.chart{max-width:100%;height:auto;display:block;margin:.5rem 0}
[hidden]{display:none!important}
@media print{body{margin:0;max-width:none}.controls{display:none}}
`;

function row(lang: Lang, label: string, value: string | undefined, isCode = false): string {
  const v = value
    ? isCode
      ? `<code>${esc(value)}</code>`
      : esc(value)
    : `<span class="missing">${esc(x(lang, 'missing'))}</span>`;
  return `<tr><th>${esc(label)}</th><td>${v}</td></tr>`;
}

// The title, the scope line and the generation note at the top of the page.
function headerHtml(b: string[], r: IncidentReport, lang: Lang, opts: IncidentRenderOptions): void {
  b.push(`<h1>${esc(x(lang, 'title'))}</h1>`);
  if (opts.target) b.push(`<p class="scope">${esc(scopeText(lang, opts.target))}</p>`);
  b.push(
    `<p class="meta">${esc(x(lang, 'generated', { time: r.generatedAt, version: r.tool.version }))}</p>`,
  );
}

// The miner processes running now, with their pool and wallet, when there are any.
function runningHtml(b: string[], r: IncidentReport, lang: Lang): void {
  const running = r.verdict.running ?? [];
  if (running.length) {
    b.push(`<h3>${esc(t(lang, 'running.title'))}</h3>`);
    b.push(
      '<ul>' +
        running
          .map((p) => {
            const { head, detail } = runningText(lang, p);
            return `<li>${esc(head)}${detail ? `<br><span class="meta">${esc(detail)}</span>` : ''}</li>`;
          })
          .join('') +
        '</ul>',
    );
  }
}

// The verdict: status, each kind with its evidence chain, the miners running now and the playbooks.
function verdictHtml(b: string[], r: IncidentReport, lang: Lang): void {
  b.push(`<h2>${esc(x(lang, 'verdict'))}</h2>`);
  b.push(`<p class="status">${esc(t(lang, `status.${r.verdict.status}`))}</p>`);
  const gaps = r.verdict.scanGaps ?? [];
  if (gaps.length)
    b.push('<ul>' + gaps.map((g) => `<li>${esc(scanGapText(lang, g))}</li>`).join('') + '</ul>');
  for (const k of r.verdict.kinds) {
    b.push(
      `<h3>${esc(kindName(lang, k.kind))} (${esc(t(lang, 'confidence', { value: t(lang, `confidence.${k.confidence}`) }))})</h3>`,
    );
    b.push(
      '<ul>' +
        k.chain
          .map(
            (c) =>
              `<li><code>${esc(c.ruleId)}</code> (${esc(levelName(lang, c.level))}): ${esc(c.message[lang])}</li>`,
          )
          .join('') +
        '</ul>',
    );
  }
  runningHtml(b, r, lang);
  // A kind listed because an image carries it has no playbook of its own (container-image's applies).
  for (const k of r.verdict.kinds.filter((k) => k.playbook.length > 0)) {
    b.push(`<h3>${esc(t(lang, 'playbookFor', { kind: kindName(lang, k.kind) }))}</h3>`);
    b.push('<ol>' + k.playbook.map((s) => `<li>${esc(s[lang])}</li>`).join('') + '</ol>');
  }
  notScannedHtml(b, r, lang);
}

// What the content scan did not scan, by reason (gaps first), with how to cover each gap.
function notScannedHtml(b: string[], r: IncidentReport, lang: Lang): void {
  const ns = r.notScanned;
  if (!ns || ns.total === 0) return;
  b.push(`<h3>${esc(t(lang, 'notScanned.title', { count: ns.total }))}</h3>`);
  if (ns.gaps > 0) b.push(`<p>${esc(t(lang, 'notScanned.gaps', { count: ns.gaps }))}</p>`);
  const items = notScannedGroups(ns).map((g) => {
    const shown = g.entries.slice(0, INCIDENT_NOT_SCANNED_SHOWN);
    const { head, rest } = notScannedGroupText(lang, g, shown.length);
    const sub = shown.map(
      (e) =>
        `<li><code>${esc(e.path)}</code>${e.detail ? ` <span class="meta">${esc(e.detail)}</span>` : ''}</li>`,
    );
    if (rest) sub.push(`<li class="meta">${esc(rest)}</li>`);
    const hint = skipHint(lang, g.reason);
    if (hint) sub.push(`<li>${esc(t(lang, 'notScanned.cover', { hint }))}</li>`);
    return `<li>${g.policy ? esc(head) : `<b>${esc(head)}</b>`}<ul>${sub.join('')}</ul></li>`;
  });
  b.push(`<ul>${items.join('')}</ul>`);
}

/** What the HTML report takes beyond the Markdown one. */
export interface IncidentHtmlOptions extends IncidentRenderOptions {
  /**
   * The scan report's findings, for the findings table with each finding's target and evidence.
   * Without them the table lists the verdict's evidence chains (rule, level, message).
   */
  findings?: Finding[];
  /** Extra dated facts for the timeline chart (file times, persistence changes), when known. */
  marks?: TimelineMark[];
}

// The card at the top: the facts a reader needs before anything else, one line each.
function summaryHtml(b: string[], r: IncidentReport, lang: Lang): void {
  const i = r.incident;
  const h = r.assets.host;
  const dl: [string, string][] = [];
  const host = [i.hostname ?? h.hostname, h.distribution, h.kernel, h.cpuCount ? `${h.cpuCount} CPU` : '']
    .filter(Boolean)
    .join(' · ');
  dl.push([x(lang, 'hostname'), esc(host || x(lang, 'missing'))]);
  dl.push([x(lang, 'hostAddresses'), esc(i.hostAddresses.join(', ') || x(lang, 'none'))]);
  if (i.relatedIps.length) dl.push([x(lang, 'relatedIps'), esc(i.relatedIps.join(', '))]);
  dl.push([
    x(lang, 'window'),
    esc(x(lang, 'windowText', { from: i.firstSeen ?? i.reportedTime ?? '?', to: i.detectedAt })),
  ]);
  const kinds = r.verdict.kinds.map((k) => kindName(lang, k.kind)).join(', ');
  dl.push([
    x(lang, 'verdict'),
    `<span class="v-${r.verdict.status}" id="summary-verdict">${esc(t(lang, `status.${r.verdict.status}`))}</span>${kinds ? ` — ${esc(kinds)}` : ''}`,
  ]);
  const running = r.verdict.running ?? [];
  dl.push([
    x(lang, 'whatRuns'),
    running.length
      ? running
          .map((p) => {
            const { head } = runningText(lang, p);
            const extra = [
              ...p.pools.slice(0, 2).map((v) => `${x(lang, 'pool')} ${v}`),
              ...p.wallets.slice(0, 1).map((v) => `${x(lang, 'wallet')} ${v}`),
            ];
            return `${esc(head)}${extra.length ? `<br><code>${esc(extra.join(' · '))}</code>` : ''}`;
          })
          .join('<br>')
      : esc(x(lang, 'nothingRuns')),
  ]);
  const l = r.loss;
  dl.push([
    x(lang, 'loss'),
    esc(x(lang, 'lossShort', { total: l.total, currency: l.currency, hours: l.cpuCoreHours })),
  ]);
  b.push(
    `<section class="card" id="summary"><h2>${esc(x(lang, 'summary'))}</h2><dl>${dl.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl></section>`,
  );
}

// One line per piece of evidence, as a reader would quote it.
function evidenceLine(e: Evidence): string {
  switch (e.type) {
    case 'process':
      return `process PID ${e.pid} (ppid ${e.ppid})${e.user ? ` user ${e.user}` : ''} ${e.exe ?? e.comm}${e.exeDeleted ? ' (deleted)' : ''}${e.cpuPercent !== undefined ? ` CPU ${e.cpuPercent}%` : ''}${e.startTime ? ` started ${e.startTime}` : ''}\n  argv: ${e.argv.join(' ')}`;
    case 'socket':
      return `socket ${e.protocol} ${e.local} → ${e.remote} ${e.state}${e.pids.length ? ` pids ${e.pids.join(',')}` : ''}${e.match ? ` (${e.match})` : ''}`;
    case 'file':
      return `file ${e.path}${e.sha256 ? ` sha256 ${e.sha256}` : ''}`;
    case 'match':
      return `match ${e.field} = ${e.value}${e.ioc ? ` (${e.ioc})` : ''}`;
    case 'image':
      return `image ${e.image} ${e.digest}${e.layer ? ` layer ${e.layer.index}` : ''}${e.path ? ` ${e.path}` : ''}${e.createdBy ? ` step ${e.createdBy}` : ''}`;
  }
}

// What a finding is about, for the table's target column: the file, process or address it names.
function targetOf(f: Finding): string {
  for (const e of f.evidence) {
    if (e.type === 'file') return e.path;
    if (e.type === 'process') return `PID ${e.pid} ${e.exe ?? e.comm}`;
    if (e.type === 'image') return e.path ? `${e.image}:${e.path}` : e.image;
  }
  for (const e of f.evidence) {
    if (e.type === 'socket') return e.remote;
    if (e.type === 'match') return e.value;
  }
  return '';
}

interface TableRow {
  level: Finding['level'];
  kind: string;
  target: string;
  rule: string;
  message: string;
  evidence: string[];
}

// The findings table: a plain HTML table (readable and printable as is), which the inline script
// makes sortable by any column and filterable by level, kind and target.
function findingsHtml(b: string[], r: IncidentReport, lang: Lang, opts: IncidentHtmlOptions): void {
  const rows: TableRow[] = opts.findings
    ? opts.findings
        .filter((f) => !f.allowed)
        .map((f) => ({
          level: f.level,
          kind: f.kind ? kindName(lang, f.kind) : f.category,
          target: targetOf(f),
          rule: f.ruleId,
          message: f.message[lang],
          evidence: f.evidence.map(evidenceLine),
        }))
    : r.verdict.kinds.flatMap((k) =>
        k.chain.map((c) => ({
          level: c.level,
          kind: kindName(lang, k.kind),
          target: '',
          rule: c.ruleId,
          message: c.message[lang],
          evidence: [],
        })),
      );
  if (rows.length === 0) return;
  rows.sort((a, b) => levelRank(b.level) - levelRank(a.level) || a.kind.localeCompare(b.kind));
  const kinds = [...new Set(rows.map((row) => row.kind))].sort();
  const levels = LEVELS.filter((l) => rows.some((row) => row.level === l));
  const option = (value: string, label: string): string =>
    `<option value="${esc(value)}">${esc(label)}</option>`;
  b.push(`<section id="findings"><h2>${esc(x(lang, 'findings'))}</h2>`);
  b.push(
    `<div class="controls" hidden>` +
      `<label>${esc(x(lang, 'level'))} <select id="f-level">${option('', x(lang, 'all'))}${levels.map((l) => option(l, levelName(lang, l))).join('')}</select></label>` +
      `<label>${esc(x(lang, 'kind'))} <select id="f-kind">${option('', x(lang, 'all'))}${kinds.map((k) => option(k, k)).join('')}</select></label>` +
      `<label>${esc(x(lang, 'filterTarget'))} <input id="f-target" type="search"></label>` +
      `<span id="f-count" data-template="${esc(x(lang, 'shownCount'))}"></span>` +
      `<span class="meta">${esc(x(lang, 'sortHint'))}</span></div>`,
  );
  const th = (key: string, label: string): string => `<th data-sort="${key}">${esc(label)}</th>`;
  b.push(
    `<table id="findings-table"><thead><tr>${th('rank', x(lang, 'level'))}${th('kind', x(lang, 'kind'))}${th('target', x(lang, 'target'))}${th('rule', x(lang, 'rule'))}${th('message', x(lang, 'message'))}</tr></thead><tbody>`,
  );
  for (const row of rows) {
    const details = row.evidence.length
      ? `<details><summary>${esc(x(lang, 'evidence', { count: row.evidence.length }))}</summary><pre>${row.evidence.map((line) => line.split('\n').map(esc).join('\n')).join('\n')}</pre></details>`
      : '';
    b.push(
      `<tr data-level="${row.level}" data-rank="${levelRank(row.level)}" data-kind="${esc(row.kind)}" data-target="${esc(row.target)}" data-rule="${esc(row.rule)}" data-message="${esc(row.message)}">` +
        `<td><span class="lvl lvl-${row.level}">${esc(levelName(lang, row.level))}</span></td><td>${esc(row.kind)}</td><td><code>${esc(row.target)}</code></td><td><code>${esc(row.rule)}</code></td><td>${esc(row.message)}${details}</td></tr>`,
    );
  }
  b.push('</tbody></table></section>');
}

/**
 * The marks of the report's own timeline (the miner's file and autostart times), then the caller's
 * extra marks that it does not already hold (the same snapshot read twice gives the same events).
 */
function fileMarks(r: IncidentReport, lang: Lang, opts: IncidentHtmlOptions): TimelineMark[] {
  const own: TimelineMark[] = r.timeline.flatMap((e) =>
    e.kind === 'file' || e.kind === 'persistence'
      ? [{ time: e.time, kind: e.kind, label: e.event[lang] }]
      : [],
  );
  const seen = new Set(own.map((m) => `${m.time}\0${m.label}`));
  return [...own, ...(opts.marks ?? []).filter((m) => !seen.has(`${m.time}\0${m.label}`))];
}

// The timeline (file and persistence times, process starts, the scan) and the CPU chart.
function chartsHtml(b: string[], r: IncidentReport, lang: Lang, opts: IncidentHtmlOptions): void {
  const marks: TimelineMark[] = [
    ...fileMarks(r, lang, opts),
    ...r.processes.flatMap((p) =>
      p.startTime
        ? [{ time: p.startTime, kind: 'process' as const, label: `PID ${p.pid} ${p.exe ?? p.argv[0] ?? ''}` }]
        : [],
    ),
    { time: r.incident.detectedAt, kind: 'scan', label: x(lang, 'scanEvent') },
  ];
  const timeline = timelineSvg(
    marks,
    {
      file: x(lang, 'laneFile'),
      persistence: x(lang, 'lanePersistence'),
      process: x(lang, 'laneProcess'),
      scan: x(lang, 'laneScan'),
    },
    x(lang, 'timelineChart'),
  );
  // The CPU% sampled by the scan where there is one, else the average over the process's life
  // (its CPU seconds over the time since it started), which is what the loss estimate counts.
  const running = new Map((r.verdict.running ?? []).map((p) => [p.pid, p]));
  const cores = r.assets.host.cpuCount;
  const detected = Date.parse(r.incident.detectedAt);
  const bars = r.processes.flatMap((p) => {
    const sampled = running.get(p.pid)?.cpuPercent;
    const life = p.startTime ? (detected - Date.parse(p.startTime)) / 1000 : NaN;
    const percent =
      sampled ?? (p.cpuSeconds !== undefined && life > 0 ? (p.cpuSeconds / life) * 100 : undefined);
    const name = running.get(p.pid)?.comm ?? path.basename(p.exe ?? p.argv[0] ?? '?');
    return percent !== undefined && Number.isFinite(percent) ? [{ label: `${p.pid} ${name}`, percent }] : [];
  });
  const cpu = cpuSvg(
    bars,
    cores,
    { total: x(lang, 'cpuTotal'), cores: x(lang, 'cpuCores', { cores: cores ?? '?' }) },
    x(lang, 'cpuChart'),
  );
  if (!timeline && !cpu) return;
  b.push(`<section id="charts"><h2>${esc(x(lang, 'charts'))}</h2>`);
  if (timeline)
    b.push(
      `<figure id="timeline-chart"><figcaption>${esc(x(lang, 'timelineChart'))}</figcaption>${timeline}</figure>`,
    );
  if (cpu)
    b.push(`<figure id="cpu-chart"><figcaption>${esc(x(lang, 'cpuChart'))}</figcaption>${cpu}</figure>`);
  b.push('</section>');
}

// The page's only script: shows the filter controls, filters rows by level, kind and target, and sorts
// by the clicked column. Plain ES2017 so any browser that opens the file runs it; no text of the
// report is in it (the page's labels come from the HTML), so one script serves both languages.
export const SCRIPT = `(function(){
var t=document.getElementById('findings-table');if(!t)return;
var c=document.querySelector('#findings .controls');c.hidden=false;
var lv=document.getElementById('f-level'),kd=document.getElementById('f-kind'),tg=document.getElementById('f-target'),n=document.getElementById('f-count');
var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
function apply(){var s=0,q=tg.value.toLowerCase();rows.forEach(function(r){
var ok=(!lv.value||r.dataset.level===lv.value)&&(!kd.value||r.dataset.kind===kd.value)&&(!q||r.dataset.target.toLowerCase().indexOf(q)>=0);
r.hidden=!ok;if(ok)s++;});n.textContent=n.dataset.template.replace('{shown}',s).replace('{total}',rows.length);}
[lv,kd].forEach(function(e){e.addEventListener('change',apply);});tg.addEventListener('input',apply);
var dir={};Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th){th.addEventListener('click',function(){
var k=th.dataset.sort,d=dir[k]=-(dir[k]||(k==='rank'?1:-1));
rows.sort(function(a,b){var x=a.dataset[k],y=b.dataset[k];return (k==='rank'?(x-y):x.localeCompare(y))*d;});
rows.forEach(function(r){body.appendChild(r);});});});
apply();})();`;
const SCRIPT_HASH = `sha256-${createHash('sha256').update(SCRIPT).digest('base64')}`;

// §5 (1): the reporting organisation.
function organizationHtml(b: string[], r: IncidentReport, lang: Lang): void {
  const o = r.organization;
  b.push(`<h2>${esc(x(lang, 's1'))}</h2><table>`);
  b.push(row(lang, x(lang, 'orgName'), o.name), row(lang, x(lang, 'address'), o.address));
  b.push(row(lang, x(lang, 'contact'), o.contact), row(lang, x(lang, 'phone'), o.phone));
  if (o.email) b.push(row(lang, x(lang, 'email'), o.email));
  b.push('</table>');
}

// §5 (2): when, where and which IPs, followed by the timeline.
function incidentHtml(b: string[], r: IncidentReport, lang: Lang, opts: IncidentHtmlOptions): void {
  const i = r.incident;
  b.push(`<h2>${esc(x(lang, 's2'))}</h2><table>`);
  b.push(row(lang, x(lang, 'reportedTime'), i.reportedTime), row(lang, x(lang, 'firstSeen'), i.firstSeen));
  b.push(row(lang, x(lang, 'detectedAt'), i.detectedAt), row(lang, x(lang, 'location'), i.location));
  b.push(row(lang, x(lang, 'hostname'), i.hostname));
  b.push(row(lang, x(lang, 'hostAddresses'), i.hostAddresses.join(', ') || x(lang, 'none')));
  b.push(row(lang, x(lang, 'relatedIps'), i.relatedIps.join(', ') || x(lang, 'none')));
  b.push('</table>');
  // The report's own events (file times, process starts, detections) with the caller's extra marks.
  const own = new Set(r.timeline.map((e) => `${e.time}\0${e.event[lang]}`));
  const events = [
    ...r.timeline.map((e) => ({ time: e.time, text: e.event[lang] })),
    ...(opts.marks ?? [])
      .filter((m) => !own.has(`${m.time}\0${m.label}`))
      .map((m) => ({ time: m.time, text: m.label })),
  ].sort((a, b) => a.time.localeCompare(b.time));
  if (events.length) {
    b.push(
      `<h3>${esc(x(lang, 'timeline'))}</h3><table><tr><th>${esc(x(lang, 'time'))}</th><th>${esc(x(lang, 'event'))}</th></tr>`,
    );
    for (const e of events) b.push(`<tr><td>${esc(e.time)}</td><td>${esc(e.text)}</td></tr>`);
    b.push('</table>');
  }
}

// §5 (3): reported and observed symptoms, and the miner processes behind them.
function symptomsHtml(b: string[], r: IncidentReport, lang: Lang): void {
  b.push(`<h2>${esc(x(lang, 's3'))}</h2><table>`);
  b.push(row(lang, x(lang, 'reported'), r.symptoms.reported));
  b.push(
    `<tr><th>${esc(x(lang, 'observed'))}</th><td><ul>${r.symptoms.observed.map((s) => `<li>${esc(s[lang])}</li>`).join('') || esc(x(lang, 'none'))}</ul></td></tr></table>`,
  );
  if (r.processes.length) {
    b.push(`<h3>${esc(x(lang, 'processes'))}</h3><table>`);
    b.push(`<tr><th>${esc(x(lang, 'pid'))}</th><th>${esc(x(lang, 'commandLine'))}</th></tr>`);
    for (const p of r.processes) {
      const meta = [p.user, p.startTime, p.cpuSeconds !== undefined ? `${p.cpuSeconds} s CPU` : undefined]
        .filter(Boolean)
        .join(' · ');
      b.push(
        `<tr><td>${p.pid}<br><span class="meta">${esc(meta)}</span></td><td>${p.exe ? `<code>${esc(p.exe)}</code><br>` : ''}<code>${esc(p.argv.join(' '))}</code>${p.container ? `<br><span class="meta">${esc(x(lang, 'container'))}: ${esc(containerLabel(p.container))}</span>` : ''}</td></tr>`,
      );
    }
    b.push('</table>');
  }
}

// The container images the findings name (part of §5 (4)), with the layers and steps involved.
function imagesHtml(b: string[], r: IncidentReport, lang: Lang): void {
  if (!r.images?.length) return;
  b.push(`<h3>${esc(x(lang, 'images'))}</h3><ul>`);
  for (const img of r.images) {
    const items = img.items.map((item) => {
      const parts: string[] = [];
      if (item.layer)
        parts.push(`${esc(x(lang, 'layer'))} ${item.layer.index} <code>${esc(item.layer.digest)}</code>`);
      if (item.path !== undefined) parts.push(`<code>${esc(item.path)}</code>`);
      if (item.createdBy !== undefined)
        parts.push(`${esc(x(lang, 'buildStep'))}: <code>${esc(item.createdBy)}</code>`);
      if (item.inFinal === false) parts.push(esc(x(lang, 'historyOnly', { layer: item.removedBy ?? '?' })));
      return `<li>${parts.join(' · ')}</li>`;
    });
    b.push(
      `<li><code>${esc(img.image)}</code> <code>${esc(img.digest)}</code>${items.length ? `<ul>${items.join('')}</ul>` : ''}</li>`,
    );
  }
  b.push('</ul>');
}

// The live web pages the findings name (part of §5 (4)): each page's miner WebSockets with their
// frames, its scripts with sha256 and decoded excerpts, its WebAssembly modules, its workers' CPU.
function pagesHtml(b: string[], r: IncidentReport, lang: Lang): void {
  if (!r.pages?.length) return;
  b.push(`<h3>${esc(pt(lang, 'pages'))}</h3><ul>`);
  for (const p of r.pages) {
    const items: string[] = [];
    for (const s of p.websockets) {
      const frames = s.frames.map(
        (f) => `<li>${esc(`${pt(lang, 'frame')} ${pt(lang, f.dir)}`)}: <code>${esc(f.text)}</code></li>`,
      );
      items.push(
        `<li>WebSocket <code>${esc(s.url)}</code> — ${esc(pt(lang, 'messages', { protocol: s.protocol, messages: s.messages }))}${frames.length ? `<ul>${frames.join('')}</ul>` : ''}</li>`,
      );
    }
    for (const s of p.scripts) {
      const decoded = s.decoded.map(
        (d) => `<li>${esc(pt(lang, 'decoded', d))}: <code>${esc(d.text)}</code></li>`,
      );
      items.push(
        `<li>${esc(pt(lang, 'script'))} <code>${esc(s.url)}</code>${s.sha256 ? ` sha256 <code>${esc(s.sha256)}</code>` : ''} — ${esc(pt(lang, 'matches', { rules: s.rules }))}${decoded.length ? `<ul>${decoded.join('')}</ul>` : ''}</li>`,
      );
    }
    for (const w of p.wasm) {
      const facts = [
        ...(w.size !== undefined ? [pt(lang, 'bytes', { size: w.size })] : []),
        pt(lang, 'matches', { rules: w.rules }),
        ...(w.exports ? [pt(lang, 'exports', { list: w.exports })] : []),
      ];
      items.push(
        `<li>${esc(pt(lang, 'wasm'))} sha256 <code>${esc(w.sha256)}</code> — ${esc(facts.join(' · '))}</li>`,
      );
    }
    for (const c of p.cpu) items.push(`<li>${esc(c[lang])}</li>`);
    b.push(
      `<li><code>${esc(p.url)}</code> — ${esc(levelName(lang, p.level))}${items.length ? `<ul>${items.join('')}</ul>` : ''}</li>`,
    );
  }
  b.push('</ul>');
}

// §5 (4): the systems and assets involved, and the loss estimate with its formula.
function assetsAndLossHtml(b: string[], r: IncidentReport, lang: Lang): void {
  const h = r.assets.host;
  const l = r.loss;
  const d = (k: 'wattsPerCore' | 'pricePerKwh' | 'currency'): string =>
    l.defaults.includes(k) ? ` ${x(lang, 'defaultMark')}` : '';
  b.push(`<h2>${esc(x(lang, 's4'))}</h2><table>`);
  b.push(row(lang, x(lang, 'systems'), r.assets.systems.join(', ') || undefined));
  if (r.assets.notes) b.push(row(lang, x(lang, 'note'), r.assets.notes));
  b.push(
    row(
      lang,
      x(lang, 'hostFacts'),
      [h.hostname, h.distribution, h.kernel, h.cpuCount ? `${h.cpuCount} CPU` : undefined]
        .filter(Boolean)
        .join(' · '),
    ),
  );
  b.push('</table>');
  imagesHtml(b, r, lang);
  pagesHtml(b, r, lang);
  b.push(`<h3>${esc(x(lang, 'loss'))}</h3><table>`);
  b.push(row(lang, x(lang, 'formula'), x(lang, 'formulaText')));
  b.push(
    row(lang, x(lang, 'coreHours'), `${l.cpuCoreHours} (${x(lang, 'cpuSource', { source: l.cpuSource })})`),
  );
  b.push(row(lang, x(lang, 'wattsPerCore'), `${l.wattsPerCore}${d('wattsPerCore')}`));
  b.push(row(lang, x(lang, 'pricePerKwh'), `${l.pricePerKwh} ${l.currency}${d('pricePerKwh')}`));
  b.push(
    row(lang, x(lang, 'energy'), `${l.energyKwh} kWh`),
    row(lang, x(lang, 'energyCost'), `${l.energyCost} ${l.currency}`),
  );
  for (const item of l.items)
    b.push(row(lang, `${x(lang, 'otherItems')}: ${item.item}`, `${item.amount} ${l.currency}`));
  b.push(row(lang, x(lang, 'total'), `${l.total} ${l.currency}`), row(lang, '=', l.formula, true));
  b.push('</table>');
}

// §5 (5) and (6): the attached files, then the sample archive and its password.
function attachmentsAndSamplesHtml(b: string[], r: IncidentReport, lang: Lang): void {
  b.push(`<h2>${esc(x(lang, 's5'))}</h2>`);
  if (r.attachments.length === 0) b.push(`<p>${esc(x(lang, 'noAttachments'))}</p>`);
  else {
    b.push(`<table><tr><th>${esc(x(lang, 'file'))}</th><th>sha256 / ${esc(x(lang, 'note'))}</th></tr>`);
    for (const a of r.attachments)
      b.push(
        `<tr><td><code>${esc(a.name)}</code>${a.size !== undefined ? ` (${a.size} B)` : ''}</td><td><code>${esc(a.sha256 ?? '')}</code> ${esc(a.note ?? '')}</td></tr>`,
      );
    b.push('</table>');
  }

  b.push(`<h2>${esc(x(lang, 's6'))}</h2>`);
  if (!r.samples.archive) b.push(`<p>${esc(x(lang, 'noSamples'))}</p>`);
  else {
    b.push(
      '<table>',
      row(lang, x(lang, 'archive'), r.samples.archive, true),
      row(lang, x(lang, 'password'), r.samples.password, true),
    );
    for (const f of r.samples.files) b.push(row(lang, f.path, `sha256 ${f.sha256}`, true));
    b.push('</table>');
  }
}

export function renderIncidentHtml(r: IncidentReport, lang: Lang, opts: IncidentHtmlOptions = {}): string {
  const b: string[] = [];
  headerHtml(b, r, lang, opts);
  summaryHtml(b, r, lang);
  findingsHtml(b, r, lang, opts);
  chartsHtml(b, r, lang, opts);
  verdictHtml(b, r, lang);
  organizationHtml(b, r, lang);
  incidentHtml(b, r, lang, opts);
  symptomsHtml(b, r, lang);
  assetsAndLossHtml(b, r, lang);
  attachmentsAndSamplesHtml(b, r, lang);

  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'">
<title>${esc(x(lang, 'title'))}${r.incident.hostname ? ` — ${esc(r.incident.hostname)}` : ''}</title>
<style>${CSS}</style>
</head>
<body>
${b.join('\n')}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
