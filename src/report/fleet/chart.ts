// The fleet overview's picture: infected and suspicious hosts per kind, one stacked bar per kind, as
// inline SVG (no chart library, nothing loaded). The incident report's charts (incident/charts.ts)
// draw a timeline and CPU per core, and sit a layer above report/, so this small one is its own.
import type { Lang, MinerKind } from '../../model/finding.js';
import { kindName } from '../i18n.js';
import { inertForTerminal } from '../sanitize.js';
import type { FleetOverview } from './model.js';
import { ft } from './texts.js';

const WIDTH = 760;
const LEFT = 230;
const RIGHT = 60;
const BAR = 22;
const GAP = 8;
const COLOURS = { infected: '#b00020', suspicious: '#ef8f00' } as const;

function xml(text: string): string {
  return inertForTerminal(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** The chart, or '' when no host is infected or suspicious. Each bar is a `<g data-kind>`. */
export function kindChartSvg(fleet: FleetOverview, lang: Lang): string {
  const rows = (
    Object.entries(fleet.totals.byKind) as [MinerKind, { infected: number; suspicious: number }][]
  )
    .filter(([, n]) => n.infected + n.suspicious > 0)
    .sort(([, a], [, b]) => b.infected - a.infected || b.suspicious - a.suspicious);
  if (rows.length === 0) return '';
  const max = Math.max(...rows.map(([, n]) => n.infected + n.suspicious));
  const plot = WIDTH - LEFT - RIGHT;
  const top = 30;
  const height = top + rows.length * (BAR + GAP) + 10;
  const title = ft(lang, 'chart');
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart kinds" role="img" viewBox="0 0 ${WIDTH} ${height}" width="100%" font-size="12" font-family="sans-serif">`,
    `<title>${xml(title)}</title>`,
  ];
  // The legend, top left of the plot.
  (['infected', 'suspicious'] as const).forEach((s, i) => {
    const x = LEFT + i * 130;
    out.push(
      `<rect x="${x}" y="6" width="12" height="12" fill="${COLOURS[s]}"/>`,
      `<text x="${x + 18}" y="16" fill="#333">${xml(ft(lang, `status.${s}`))}</text>`,
    );
  });
  rows.forEach(([kind, n], i) => {
    const y = top + i * (BAR + GAP);
    const wi = (n.infected / max) * plot;
    const ws = (n.suspicious / max) * plot;
    const label = kindName(lang, kind);
    out.push(
      `<g class="bar" data-kind="${kind}" data-infected="${n.infected}" data-suspicious="${n.suspicious}">`,
      `<title>${xml(`${label}: ${ft(lang, 'status.infected')} ${n.infected}, ${ft(lang, 'status.suspicious')} ${n.suspicious}`)}</title>`,
      `<text x="${LEFT - 8}" y="${y + BAR / 2 + 4}" text-anchor="end" fill="#333">${xml(label)}</text>`,
      `<rect x="${LEFT}" y="${y}" width="${wi.toFixed(1)}" height="${BAR}" fill="${COLOURS.infected}"/>`,
      `<rect x="${(LEFT + wi).toFixed(1)}" y="${y}" width="${ws.toFixed(1)}" height="${BAR}" fill="${COLOURS.suspicious}"/>`,
      `<text x="${(LEFT + wi + ws + 6).toFixed(1)}" y="${y + BAR / 2 + 4}" fill="#333">${n.infected}${n.suspicious ? ` + ${n.suspicious}` : ''}</text>`,
      '</g>',
    );
  });
  out.push('</svg>');
  return out.join('');
}
