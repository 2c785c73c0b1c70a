// The scale benchmark's chart (bench/scale.ts): a few lines of SVG, no library. Three panels with
// a logarithmic x axis: scan time against processes, peak RSS against processes, and `scan --path`
// time against files (cold and warm scan cache), each with its target drawn as a dashed line.

export interface ScaleResults {
  date: string;
  machine: string;
  load: number;
  processes: { processes: number; medianMs: number; medianCpuMs: number; peakRssMb: number }[];
  files: { files: number; coldMs: number; warmMs: number }[];
}

interface Series {
  name: string;
  colour: string;
  points: [number, number][];
}

interface Panel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  targets: { x: number; y: number; label: string }[];
}

const W = 360;
const H = 260;
const M = { left: 56, right: 16, top: 34, bottom: 44 };

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** One panel as an SVG group at horizontal offset `dx`. */
function panel(p: Panel, dx: number): string {
  const xs = [...p.series.flatMap((s) => s.points.map(([x]) => x)), ...p.targets.map((t) => t.x)];
  const ys = [...p.series.flatMap((s) => s.points.map(([, y]) => y)), ...p.targets.map((t) => t.y)];
  if (xs.length === 0)
    return `<g transform="translate(${dx},0)"><text x="20" y="40">${esc(p.title)}: not measured</text></g>`;
  const lx0 = Math.log10(Math.min(...xs) / 1.5);
  const lx1 = Math.log10(Math.max(...xs) * 1.5);
  const y1 = Math.max(...ys) * 1.15 || 1;
  const px = (x: number): number => M.left + ((Math.log10(x) - lx0) / (lx1 - lx0)) * (W - M.left - M.right);
  const py = (y: number): number => H - M.bottom - (y / y1) * (H - M.top - M.bottom);
  const out: string[] = [`<g transform="translate(${dx},0)" font-family="sans-serif" font-size="11">`];
  out.push(`<text x="${M.left}" y="18" font-size="13" font-weight="bold">${esc(p.title)}</text>`);
  out.push(
    `<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#333"/>`,
  );
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#333"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = (y1 * i) / 4;
    out.push(`<text x="${M.left - 4}" y="${py(y) + 4}" text-anchor="end">${Math.round(y)}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(
      `<text x="${px(x)}" y="${H - M.bottom + 14}" text-anchor="middle">${x.toLocaleString('en')}</text>`,
    );
  }
  out.push(`<text x="${(W + M.left) / 2}" y="${H - 8}" text-anchor="middle">${esc(p.xLabel)}</text>`);
  out.push(
    `<text x="12" y="${(H + M.top) / 2}" transform="rotate(-90 12 ${(H + M.top) / 2})" text-anchor="middle">${esc(p.yLabel)}</text>`,
  );
  for (const t of p.targets) {
    out.push(
      `<line x1="${px(t.x) - 14}" x2="${px(t.x) + 14}" y1="${py(t.y)}" y2="${py(t.y)}" stroke="#c00" stroke-dasharray="4 2"/>`,
    );
    out.push(
      `<text x="${px(t.x)}" y="${py(t.y) - 4}" text-anchor="middle" fill="#c00">${esc(t.label)}</text>`,
    );
  }
  p.series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a[0] - b[0]);
    out.push(
      `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${pts.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const [x, y] of pts)
      out.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${s.colour}"/>`);
    out.push(
      `<text x="${W - M.right}" y="${M.top + 12 * i}" text-anchor="end" fill="${s.colour}">${esc(s.name)}</text>`,
    );
  });
  out.push('</g>');
  return out.join('\n');
}

/** The whole chart: three panels side by side and a caption with the date and machine. */
export function scaleChartSvg(r: ScaleResults): string {
  const panels: Panel[] = [
    {
      title: 'Default scan time',
      xLabel: 'processes on the host (log scale)',
      yLabel: 'ms (median)',
      series: [
        { name: 'wall time', colour: '#1f6feb', points: r.processes.map((p) => [p.processes, p.medianMs]) },
        { name: 'CPU time', colour: '#888888', points: r.processes.map((p) => [p.processes, p.medianCpuMs]) },
      ],
      targets: [
        { x: 1000, y: 1500, label: 'target' },
        { x: 5000, y: 4000, label: 'target' },
      ],
    },
    {
      title: 'Default scan peak RSS',
      xLabel: 'processes on the host (log scale)',
      yLabel: 'peak RSS, MB',
      series: [
        { name: 'RSS', colour: '#8250df', points: r.processes.map((p) => [p.processes, p.peakRssMb]) },
      ],
      targets: [{ x: 5000, y: 200, label: 'target' }],
    },
    {
      title: 'scan --path of a tree',
      xLabel: 'files (log scale)',
      yLabel: 'wall time, ms',
      series: [
        { name: 'cold cache', colour: '#bf8700', points: r.files.map((f) => [f.files, f.coldMs]) },
        { name: 'warm cache', colour: '#1a7f37', points: r.files.map((f) => [f.files, f.warmMs]) },
      ],
      targets: r.files.some((f) => f.files >= 1_000_000)
        ? [{ x: 1_000_000, y: 10_000, label: 'target' }]
        : [],
    },
  ];
  const width = W * panels.length;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 24}" viewBox="0 0 ${width} ${H + 24}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...panels.map((p, i) => panel(p, i * W)),
    `<text x="8" y="${H + 16}" font-family="sans-serif" font-size="10" fill="#555">${esc(
      `minehunter bench:scale ${r.date} — ${r.machine}; load average ${r.load.toFixed(1)}`,
    )}</text>`,
    '</svg>',
    '',
  ].join('\n');
}
