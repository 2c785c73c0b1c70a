// The §5 incident report as one self-contained HTML page (inline CSS, no script, no external resource)
// that prints well and is the source of the PDF. Like the Markdown report it opens with the scope, the
// verdict, the miner processes running now (pool and wallet included), the playbooks and what the
// scan did not scan. Every piece of text is HTML-escaped after control characters are neutralised,
// and a Content-Security-Policy forbids scripts should anything slip by.
import type { Lang } from '../model/finding.js';
import type { IncidentReport } from './model.js';
import { it18n as x } from './texts.js';
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
@media print{body{margin:0;max-width:none}}
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
function incidentHtml(b: string[], r: IncidentReport, lang: Lang): void {
  const i = r.incident;
  b.push(`<h2>${esc(x(lang, 's2'))}</h2><table>`);
  b.push(row(lang, x(lang, 'reportedTime'), i.reportedTime), row(lang, x(lang, 'firstSeen'), i.firstSeen));
  b.push(row(lang, x(lang, 'detectedAt'), i.detectedAt), row(lang, x(lang, 'location'), i.location));
  b.push(row(lang, x(lang, 'hostname'), i.hostname));
  b.push(row(lang, x(lang, 'hostAddresses'), i.hostAddresses.join(', ') || x(lang, 'none')));
  b.push(row(lang, x(lang, 'relatedIps'), i.relatedIps.join(', ') || x(lang, 'none')));
  b.push('</table>');
  if (r.timeline.length) {
    b.push(
      `<h3>${esc(x(lang, 'timeline'))}</h3><table><tr><th>${esc(x(lang, 'time'))}</th><th>${esc(x(lang, 'event'))}</th></tr>`,
    );
    for (const e of r.timeline) b.push(`<tr><td>${esc(e.time)}</td><td>${esc(e.event[lang])}</td></tr>`);
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

export function renderIncidentHtml(r: IncidentReport, lang: Lang, opts: IncidentRenderOptions = {}): string {
  const b: string[] = [];
  headerHtml(b, r, lang, opts);
  verdictHtml(b, r, lang);
  organizationHtml(b, r, lang);
  incidentHtml(b, r, lang);
  symptomsHtml(b, r, lang);
  assetsAndLossHtml(b, r, lang);
  attachmentsAndSamplesHtml(b, r, lang);

  return `<!DOCTYPE html>
<html lang="${lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(x(lang, 'title'))}${r.incident.hostname ? ` — ${esc(r.incident.hostname)}` : ''}</title>
<style>${CSS}</style>
</head>
<body>
${b.join('\n')}
</body>
</html>
`;
}
