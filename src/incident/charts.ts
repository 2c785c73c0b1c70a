// The two pictures of the HTML incident report, drawn as inline SVG by these few lines (no chart
// library, nothing loaded): a timeline of what happened when (process starts, file times, persistence
// changes, the scan) and a bar of the CPU the miner processes take against the host's cores; and the
// dated file facts of a snapshot that the timeline shows.
import type { Finding, Lang } from '../model/finding.js';
import { inertForTerminal } from '../report/sanitize.js';
import type { Snapshot } from '../snapshot/schema.js';
import { fileTimeEvents } from './model.js';

/** What a timeline mark stands for; each has its own colour and lane. */
export type TimelineKind = 'file' | 'persistence' | 'process' | 'scan';

export interface TimelineMark {
  /** ISO 8601. */
  time: string;
  kind: TimelineKind;
  label: string;
}

export interface CpuBar {
  label: string;
  /** CPU% as `top` counts it: 100 per fully used core. */
  percent: number;
}

const COLOURS: Record<TimelineKind, string> = {
  file: '#7b1fa2',
  persistence: '#ef6c00',
  process: '#b00020',
  scan: '#1565c0',
};
/** Lanes, top to bottom: how a miner usually arrives (file), stays (persistence), runs, is found. */
const LANES: TimelineKind[] = ['file', 'persistence', 'process', 'scan'];
const WIDTH = 760;
const LEFT = 150;
const RIGHT = 20;
/** More marks than this would be an unreadable smear; the table under the chart lists them all. */
export const TIMELINE_MARKS_SHOWN = 40;

function xml(text: string): string {
  return inertForTerminal(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

// A short, unambiguous UTC time for axis ticks: the date when the span is days, the time when hours.
function tick(ms: number, spanMs: number): string {
  const iso = new Date(ms).toISOString();
  return spanMs > 2 * 86_400_000 ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}Z`;
}

/**
 * The timeline as one SVG: a lane per kind, a dot per mark at its time, the lane names in `laneNames`.
 * Marks with an unreadable time are left out (the table lists them). Returns '' when nothing is dated.
 */
export function timelineSvg(
  marks: TimelineMark[],
  laneNames: Record<TimelineKind, string>,
  title: string,
): string {
  const dated = marks
    .map((m) => ({ ...m, ms: Date.parse(m.time) }))
    .filter((m) => Number.isFinite(m.ms))
    .sort((a, b) => a.ms - b.ms)
    .slice(0, TIMELINE_MARKS_SHOWN);
  if (dated.length === 0) return '';
  const lanes = LANES.filter((l) => dated.some((m) => m.kind === l));
  const min = dated[0]!.ms;
  const max = dated[dated.length - 1]!.ms;
  // A single instant still gets a readable axis: one hour either side.
  const lo = max > min ? min : min - 3_600_000;
  const hi = max > min ? max : max + 3_600_000;
  const span = hi - lo;
  const plot = WIDTH - LEFT - RIGHT;
  const xOf = (ms: number): number => LEFT + ((ms - lo) / span) * plot;
  const laneH = 34;
  const top = 10;
  const axisY = top + lanes.length * laneH + 6;
  const height = axisY + 30;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart timeline" role="img" viewBox="0 0 ${WIDTH} ${height}" width="100%" font-size="12" font-family="sans-serif">`,
    `<title>${xml(title)}</title>`,
  ];
  lanes.forEach((lane, i) => {
    const y = top + i * laneH + laneH / 2;
    out.push(
      `<text x="${LEFT - 8}" y="${y + 4}" text-anchor="end" fill="#333">${xml(laneNames[lane])}</text>`,
      `<line x1="${LEFT}" y1="${y}" x2="${WIDTH - RIGHT}" y2="${y}" stroke="#e0e0e0"/>`,
    );
  });
  out.push(`<line x1="${LEFT}" y1="${axisY}" x2="${WIDTH - RIGHT}" y2="${axisY}" stroke="#666"/>`);
  for (let k = 0; k <= 4; k++) {
    const ms = lo + (span * k) / 4;
    const x = xOf(ms);
    const anchor = k === 0 ? 'start' : k === 4 ? 'end' : 'middle';
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${axisY}" x2="${x.toFixed(1)}" y2="${axisY + 4}" stroke="#666"/>`,
      `<text x="${x.toFixed(1)}" y="${axisY + 18}" text-anchor="${anchor}" fill="#555">${xml(tick(ms, span))}</text>`,
    );
  }
  for (const m of dated) {
    const y = top + lanes.indexOf(m.kind) * laneH + laneH / 2;
    out.push(
      `<circle cx="${xOf(m.ms).toFixed(1)}" cy="${y}" r="6" fill="${COLOURS[m.kind]}" fill-opacity="0.8"><title>${xml(`${m.time} — ${m.label}`)}</title></circle>`,
    );
  }
  out.push('</svg>');
  return out.join('');
}

/**
 * The CPU the miner processes take, one bar each and their sum, on a scale of the host's cores (a
 * tick per core, 100% each), so "180%" reads as "almost two of four cores". Returns '' without bars.
 */
export function cpuSvg(
  bars: CpuBar[],
  cores: number | undefined,
  labels: { total: string; cores: string },
  title: string,
): string {
  const shown = bars.filter((b) => Number.isFinite(b.percent) && b.percent >= 0);
  if (shown.length === 0) return '';
  const total = shown.reduce((s, b) => s + b.percent, 0);
  const rows = shown.length > 1 ? [...shown, { label: labels.total, percent: total }] : shown;
  const ncores = cores && cores > 0 ? cores : Math.max(1, Math.ceil(total / 100));
  const scale = Math.max(ncores * 100, total);
  const plot = WIDTH - LEFT - RIGHT - 60;
  const barH = 22;
  const top = 8;
  const axisY = top + rows.length * (barH + 8);
  const height = axisY + 34;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart cpu" role="img" viewBox="0 0 ${WIDTH} ${height}" width="100%" font-size="12" font-family="sans-serif">`,
    `<title>${xml(title)}</title>`,
    `<rect x="${LEFT}" y="${top - 4}" width="${((ncores * 100) / scale) * plot}" height="${axisY - top + 4}" fill="#f5f5f5"/>`,
  ];
  rows.forEach((b, i) => {
    const y = top + i * (barH + 8);
    const w = (b.percent / scale) * plot;
    const isTotal = rows.length > shown.length && i === rows.length - 1;
    out.push(
      `<text x="${LEFT - 8}" y="${y + barH / 2 + 4}" text-anchor="end" fill="#333">${xml(b.label.length > 22 ? `…${b.label.slice(-21)}` : b.label)}</text>`,
      `<rect x="${LEFT}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${isTotal ? '#6d0014' : '#b00020'}"/>`,
      `<text x="${(LEFT + w + 6).toFixed(1)}" y="${y + barH / 2 + 4}" fill="#333">${xml(`${Math.round(b.percent)}%`)}</text>`,
    );
  });
  out.push(`<line x1="${LEFT}" y1="${axisY}" x2="${LEFT + plot}" y2="${axisY}" stroke="#666"/>`);
  // A tick per core; with many cores, every few so the numbers stay apart.
  const step = Math.max(1, Math.ceil(ncores / 16));
  for (let c = 0; c <= ncores; c += step) {
    const x = LEFT + ((c * 100) / scale) * plot;
    out.push(
      `<line x1="${x.toFixed(1)}" y1="${axisY}" x2="${x.toFixed(1)}" y2="${axisY + 4}" stroke="#666"/>`,
      `<text x="${x.toFixed(1)}" y="${axisY + 16}" text-anchor="middle" fill="#555">${c}</text>`,
    );
  }
  out.push(
    `<text x="${LEFT + plot / 2}" y="${axisY + 30}" text-anchor="middle" fill="#555">${xml(labels.cores)}</text>`,
    '</svg>',
  );
  return out.join('');
}

/**
 * The dated file facts of a snapshot that belong on the timeline (incident/model.ts fileTimeEvents):
 * the birth and modification times of the miner's binary and config files and of the autostart
 * files the findings name. Those times say when the miner's files were planted, which is often long
 * before the process now running was started. The incident report's own timeline holds the same
 * events; the page shows each once.
 */
export function snapshotMarks(snapshot: Snapshot, findings: Finding[], lang: Lang): TimelineMark[] {
  return fileTimeEvents(snapshot, findings).map((e) => ({
    time: e.time,
    kind: e.kind === 'persistence' ? 'persistence' : 'file',
    label: e.event[lang],
  }));
}
