// The fleet overview as one self-contained HTML page (inline CSS, SVG and one small inline script;
// nothing loaded from anywhere, so it works from file:// and offline): the hosts by verdict, a chart
// of infected hosts by kind, a table of hosts that sorts and filters in the page (a plain table
// without the script), the same miner across hosts, and the files left out. Every piece of text is
// HTML-escaped after control characters are neutralised (host names and paths come from the hosts),
// and a Content-Security-Policy lets only our own script (by its hash) run.
import { createHash } from 'node:crypto';
import { LEVELS, levelRank, type Lang } from '../../model/finding.js';
import { kindName, levelName, listText } from '../i18n.js';
import { inertForTerminal } from '../sanitize.js';
import { kindChartSvg } from './chart.js';
import { STATUSES, type FleetHost, type FleetOverview, type SharedMiner } from './model.js';
import { ft } from './texts.js';

export function esc(text: string): string {
  return inertForTerminal(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** Shared indicators listed on the page; the CSV and JSON have them all. */
export const SHARED_SHOWN = 200;
/** Host names listed in a shared indicator's cell before the rest fold away. */
const HOSTS_IN_CELL = 12;

const CSS = `
body{font-family:"Noto Sans CJK SC","WenQuanYi Zen Hei","Source Han Sans SC","Microsoft YaHei",sans-serif;
  max-width:75rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a;line-height:1.5}
h1{border-bottom:3px solid #b00020;padding-bottom:.3rem}
h2{margin-top:2rem;border-bottom:1px solid #ccc}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;white-space:nowrap}
th[data-sort]{cursor:pointer}
code{font-family:"DejaVu Sans Mono",monospace;background:#f6f6f6;overflow-wrap:anywhere}
.meta{color:#666}
.totals{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.totals div{border:1px solid #ccc;border-radius:6px;padding:.4rem 1rem;min-width:8rem}
.totals b{display:block;font-size:1.6em}
.s-infected{color:#b00020;font-weight:bold}.s-suspicious{color:#e65100;font-weight:bold}
.s-clean{color:#2e7d32}.s-incomplete{color:#6d4c41}
.lvl-critical{color:#fff;background:#b00020;padding:0 .3rem}.lvl-high{color:#b00020}
.lvl-medium{color:#e65100}.lvl-low,.lvl-info{color:#666}
.controls{margin:.5rem 0;display:flex;gap:1rem;flex-wrap:wrap;align-items:center}
.chart{max-width:100%;height:auto;display:block;margin:.5rem 0}
details summary{cursor:pointer;color:#1565c0}
#hosts-table td:first-child code,.time,#hosts-table td:nth-child(4) span{white-space:nowrap}
#shared-table td:nth-child(5){min-width:13rem}
[hidden]{display:none!important}
@media print{body{margin:0;max-width:none}.controls{display:none}}
`;

// The page's only script: shows the controls, filters the host rows by verdict, kind and text, and
// sorts by the clicked column. No text of the page is in it, so one script serves both languages.
export const FLEET_SCRIPT = `(function(){
var t=document.getElementById('hosts-table');if(!t)return;
var c=document.querySelector('#hosts .controls');c.hidden=false;
var st=document.getElementById('f-status'),kd=document.getElementById('f-kind'),q=document.getElementById('f-text'),n=document.getElementById('f-count');
var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
function apply(){var s=0,v=q.value.toLowerCase();rows.forEach(function(r){
var ok=(!st.value||r.dataset.status===st.value)&&(!kd.value||(' '+r.dataset.kinds+' ').indexOf(' '+kd.value+' ')>=0)&&(!v||r.dataset.search.indexOf(v)>=0);
r.hidden=!ok;if(ok)s++;});n.textContent=n.dataset.template.replace('{shown}',s).replace('{total}',rows.length);}
[st,kd].forEach(function(e){e.addEventListener('change',apply);});q.addEventListener('input',apply);
var dir={};Array.prototype.forEach.call(t.tHead.rows[0].cells,function(th){var k=th.dataset.sort;if(!k)return;
th.addEventListener('click',function(){var num=th.dataset.num==='1',d=dir[k]=-(dir[k]||(num?1:-1));
rows.sort(function(a,b){var x=a.dataset[k],y=b.dataset[k];return (num?(x-y):x.localeCompare(y))*d;});
rows.forEach(function(r){body.appendChild(r);});});});
apply();})();`;
const SCRIPT_HASH = `sha256-${createHash('sha256').update(FLEET_SCRIPT).digest('base64')}`;

function totalsHtml(b: string[], f: FleetOverview, lang: Lang): void {
  b.push(`<section id="totals"><h2>${esc(ft(lang, 'totals'))}</h2><div class="totals">`);
  for (const s of STATUSES)
    b.push(
      `<div data-status="${s}" data-count="${f.totals.byStatus[s]}"><b class="s-${s}">${f.totals.byStatus[s]}</b>${esc(ft(lang, `status.${s}`))}</div>`,
    );
  b.push('</div></section>');
  const svg = kindChartSvg(f, lang);
  b.push(
    `<figure id="kind-chart"><figcaption>${esc(ft(lang, 'chart'))}</figcaption>${svg || `<p>${esc(ft(lang, 'chartEmpty'))}</p>`}</figure>`,
  );
}

/** A time as a person scans a column of them: `2026-11-02 04:02Z` (the full ISO time on hover). */
function timeHtml(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(iso);
  return m ? `<span class="time" title="${esc(iso)}">${m[1]} ${m[2]}Z</span>` : esc(iso);
}

/** A host's findings by level, the worst first: "2 critical · 1 high". */
function countsText(h: FleetHost, lang: Lang): string {
  return LEVELS.filter((l) => h.counts[l] > 0)
    .map((l) => `<span class="lvl-${l}">${h.counts[l]} ${esc(levelName(lang, l))}</span>`)
    .join(' · ');
}

function hostRow(h: FleetHost, lang: Lang): string {
  const search = [h.host, ...h.addresses, ...h.pools, ...h.wallets, ...h.sha256].join(' ').toLowerCase();
  const findings = LEVELS.reduce((s, l) => s + h.counts[l] * 1000 ** (levelRank(l) - 1), 0);
  const earlier = h.earlier.length
    ? `<br><span class="meta">${esc(ft(lang, 'earlier', { list: h.earlier.map((s) => ft(lang, `status.${s}`)).join(', ') }))}</span>`
    : '';
  const cells = [
    `<td><code>${esc(h.host)}</code></td>`,
    `<td><span class="s-${h.status}">${esc(ft(lang, `status.${h.status}`))}</span>${earlier}</td>`,
    `<td>${esc(
      listText(
        lang,
        h.kinds.map((k) => kindName(lang, k)),
      ),
    )}</td>`,
    `<td>${countsText(h, lang)}</td>`,
    `<td>${h.running || ''}</td>`,
    `<td>${timeHtml(h.firstSeen)}</td>`,
    `<td>${timeHtml(h.lastSeen)}</td>`,
    `<td>${h.reports}</td>`,
  ];
  return (
    `<tr data-host="${esc(h.host)}" data-status="${h.status}" data-rank="${STATUSES.length - STATUSES.indexOf(h.status)}" data-kinds="${h.kinds.join(' ')}" data-findings="${findings}" data-running="${h.running}" data-first="${esc(h.firstSeen)}" data-last="${esc(h.lastSeen)}" data-reports="${h.reports}" data-search="${esc(search)}">` +
    cells.join('') +
    '</tr>'
  );
}

function hostsHtml(b: string[], f: FleetOverview, lang: Lang): void {
  const option = (value: string, label: string): string =>
    `<option value="${esc(value)}">${esc(label)}</option>`;
  const kinds = (Object.keys(f.totals.byKind) as (keyof FleetOverview['totals']['byKind'])[]).filter((k) =>
    f.hosts.some((h) => h.kinds.includes(k)),
  );
  b.push(`<section id="hosts"><h2>${esc(ft(lang, 'hosts'))} (${f.hosts.length})</h2>`);
  b.push(
    `<div class="controls" hidden>` +
      `<label>${esc(ft(lang, 'status'))} <select id="f-status">${option('', ft(lang, 'all'))}${STATUSES.map((s) => option(s, ft(lang, `status.${s}`))).join('')}</select></label>` +
      `<label>${esc(ft(lang, 'kinds'))} <select id="f-kind">${option('', ft(lang, 'all'))}${kinds.map((k) => option(k, kindName(lang, k))).join('')}</select></label>` +
      `<label>${esc(ft(lang, 'filterHost'))} <input id="f-text" type="search"></label>` +
      `<span id="f-count" data-template="${esc(ft(lang, 'shownCount'))}"></span>` +
      `<span class="meta">${esc(ft(lang, 'sortHint'))}</span></div>`,
  );
  const th = (key: string, label: string, num = false): string =>
    `<th data-sort="${key}"${num ? ' data-num="1"' : ''}>${esc(label)}</th>`;
  b.push(
    `<table id="hosts-table"><thead><tr>${th('host', ft(lang, 'host'))}${th('rank', ft(lang, 'status'), true)}${th('kinds', ft(lang, 'kinds'))}${th('findings', ft(lang, 'findings'), true)}${th('running', ft(lang, 'running'), true)}${th('first', ft(lang, 'firstSeen'))}${th('last', ft(lang, 'lastSeen'))}${th('reports', ft(lang, 'reports'), true)}</tr></thead><tbody>`,
  );
  for (const h of f.hosts) b.push(hostRow(h, lang));
  b.push('</tbody></table></section>');
}

function sharedRow(m: SharedMiner, lang: Lang): string {
  const head = m.hosts.slice(0, HOSTS_IN_CELL).map(esc).join(', ');
  const rest = m.hosts.slice(HOSTS_IN_CELL);
  const hosts = rest.length
    ? `${head} <details><summary>+${rest.length}</summary>${rest.map(esc).join(', ')}</details>`
    : head;
  return (
    `<tr data-type="${m.type}" data-hosts="${m.hosts.length}">` +
    `<td>${esc(ft(lang, `type.${m.type}`))}</td><td><code>${esc(m.value)}</code></td><td>${m.hosts.length}</td>` +
    `<td>${esc(
      listText(
        lang,
        m.kinds.map((k) => kindName(lang, k)),
      ),
    )}</td>` +
    `<td>${m.seenAs.map((s) => `<code>${esc(s)}</code>`).join('<br>')}</td>` +
    `<td>${timeHtml(m.firstSeen)} – ${timeHtml(m.lastSeen)}</td><td>${hosts}</td></tr>`
  );
}

function sharedHtml(b: string[], f: FleetOverview, lang: Lang): void {
  const shared = f.miners.filter((m) => m.hosts.length > 1);
  b.push(`<section id="shared"><h2>${esc(ft(lang, 'shared'))} (${shared.length})</h2>`);
  if (shared.length === 0) b.push(`<p>${esc(ft(lang, 'sharedNone'))}</p>`);
  else {
    const shown = shared.slice(0, SHARED_SHOWN);
    if (shown.length < shared.length)
      b.push(
        `<p class="meta">${esc(ft(lang, 'sharedShown', { shown: shown.length, total: shared.length }))}</p>`,
      );
    b.push(
      `<table id="shared-table"><thead><tr><th>${esc(ft(lang, 'by'))}</th><th>${esc(ft(lang, 'value'))}</th><th>${esc(ft(lang, 'hostCount'))}</th><th>${esc(ft(lang, 'kinds'))}</th><th>${esc(ft(lang, 'seenAs'))}</th><th>${esc(ft(lang, 'firstSeen'))} – ${esc(ft(lang, 'lastSeen'))}</th><th>${esc(ft(lang, 'hostList'))}</th></tr></thead><tbody>`,
    );
    for (const m of shown) b.push(sharedRow(m, lang));
    b.push('</tbody></table>');
  }
  const single = f.miners.length - shared.length;
  if (single > 0) b.push(`<p class="meta">${esc(ft(lang, 'sharedOnOne', { count: single }))}</p>`);
  b.push('</section>');
}

function skippedHtml(b: string[], f: FleetOverview, lang: Lang): void {
  if (f.skipped.length === 0) return;
  b.push(
    `<section id="skipped"><h2>${esc(ft(lang, 'skipped'))} (${f.skipped.length})</h2><table><thead><tr><th>${esc(ft(lang, 'file'))}</th><th>${esc(ft(lang, 'why'))}</th></tr></thead><tbody>`,
  );
  for (const s of f.skipped)
    b.push(`<tr><td><code>${esc(s.source)}</code></td><td>${esc(s.reason[lang])}</td></tr>`);
  b.push('</tbody></table></section>');
}

export function renderFleetHtml(f: FleetOverview, lang: Lang, toolVersion: string): string {
  const b: string[] = [`<h1>${esc(ft(lang, 'title'))}</h1>`];
  b.push(
    `<p class="meta">${esc(ft(lang, 'generated', { time: f.generatedAt, version: toolVersion, reports: f.totals.reports, hosts: f.totals.hosts }))}</p>`,
  );
  if (f.skipped.length)
    b.push(`<p class="meta">${esc(ft(lang, 'skippedNote', { count: f.skipped.length }))}</p>`);
  totalsHtml(b, f, lang);
  hostsHtml(b, f, lang);
  sharedHtml(b, f, lang);
  skippedHtml(b, f, lang);
  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(ft(lang, 'title'))}</title>
<style>${CSS}</style>
</head>
<body>
${b.join('\n')}
<script>${FLEET_SCRIPT}</script>
</body>
</html>
`;
}
