// Benchmark: `minehunter summarize` of a generated fleet of 1,000 host reports (real reports of three
// fixture roots, copied with their own hostnames, times and wallets: bench/summarize-inputs.mjs),
// writing every format (HTML, both CSVs, JSON). Prints wall time, CPU time (user + sys) and peak RSS
// per run and the median against the target of issue 16: the overview written in at most 5 s.
// Run after a build: node bench/summarize.mjs [--reports N] [--runs N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { generateFleet } from './summarize-inputs.mjs';

const TARGET_MS = 5000;
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(repo, 'dist', 'cli', 'main.js');
const TIME = '/usr/bin/time';

function parseArgs(argv) {
  const opts = { reports: 1000, runs: 5 };
  for (let i = 0; i < argv.length; i++) {
    const key = { '--reports': 'reports', '--runs': 'runs' }[argv[i]];
    const value = Number(argv[++i]);
    if (!key || !Number.isInteger(value) || value < 1) {
      process.stderr.write('usage: node bench/summarize.mjs [--reports N] [--runs N]\n');
      process.exit(2);
    }
    opts[key] = value;
  }
  return opts;
}

/** One run: wall ms from here, and CPU seconds and peak RSS from GNU time when it is installed. */
function run(args, stats) {
  const withTime = existsSync(TIME);
  const cmd = withTime ? TIME : process.execPath;
  const argv = withTime ? ['-f', '%U %S %M', '-o', stats, process.execPath, cli, ...args] : [cli, ...args];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: repo, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`summarize exited ${r.status}: ${r.stderr}`);
  if (!withTime) return { wallMs };
  const [user, sys, maxKb] = readFileSync(stats, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
  return { wallMs, cpuMs: (user + sys) * 1000, rssMb: maxKb / 1024 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-bench-summarize-'));
  try {
    const reports = path.join(dir, 'reports');
    mkdirSync(reports);
    const { expected } = await generateFleet({ repo, cli, dir: reports, reports: opts.reports });
    process.stdout.write(`fleet: ${expected.reports} reports of ${expected.hosts} hosts in ${reports}\n`);
    const results = [];
    for (let i = 0; i < opts.runs; i++) {
      const r = run(
        ['summarize', reports, '-o', path.join(dir, 'out') + '/', '-q'],
        path.join(dir, 'time.txt'),
      );
      results.push(r);
      process.stdout.write(
        `run ${i + 1}: wall ${(r.wallMs / 1000).toFixed(2)} s` +
          (r.cpuMs !== undefined
            ? `, CPU ${(r.cpuMs / 1000).toFixed(2)} s, peak RSS ${r.rssMb.toFixed(0)} MB`
            : '') +
          '\n',
      );
    }
    const wall = median(results.map((r) => r.wallMs));
    const cpu = results[0].cpuMs === undefined ? undefined : median(results.map((r) => r.cpuMs));
    process.stdout.write(
      `median: wall ${(wall / 1000).toFixed(2)} s${cpu !== undefined ? `, CPU ${(cpu / 1000).toFixed(2)} s` : ''}` +
        ` — target ≤ ${TARGET_MS / 1000} s: ${wall <= TARGET_MS ? 'met' : 'NOT met'}\n`,
    );
    process.exitCode = wall <= TARGET_MS ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
