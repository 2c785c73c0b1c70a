// Benchmark: wall time, CPU time and peak RSS of `minehunter scan` on this machine with about 150
// processes: the default scan (with the content scan, cache warm) and `--no-content`, each over
// several runs against the targets of issue 17, with a breakdown by phase (start-up, each collector,
// content scan, analysis, report) from the CLI's own MINEHUNTER_TIMINGS=1 lines, and the peer a
// sysadmin runs by hand (ps + ss/netstat) in the same run. `npm run bench`.
// The machine is shared: the runs wait for its CPUs to be idle first (bench/settle.mjs, at most a
// minute), the load average is printed with the figures, and CPU time (user + system,
// every thread) beside wall time, since it says more about the work done when other jobs compete.
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { launcherEnv } from './launcher-env.mjs';
import { settle, settleNote } from './settle.mjs';

/** Issue 17's targets on this machine, warm cache: default scan median wall and peak RSS, --no-content wall. */
const TARGET_MS = 800;
const TARGET_MB = 150;
const TARGET_NO_CONTENT_MS = 500;

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
// What ./minehunter runs: the bundle of the build (scripts/bundle.mjs), else the modules tsc built.
const bundled = path.join(repo, 'dist', 'bundle', 'cli', 'main.js');
const cli = existsSync(bundled) ? bundled : path.join(repo, 'dist', 'cli', 'main.js');
const preload = path.join(here, 'maxrss-preload.cjs');

function usage(message) {
  process.stderr.write(
    `${message}\nusage: node bench/scan.mjs [--runs N] [--processes N]\n` +
      '  --runs N        scans to time per variant (default 7; at least 7 for the targets)\n' +
      '  --processes N   raise the process count to about N with idle sleep children (default 150)\n',
  );
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { runs: 7, processes: 150 };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const key = { '--runs': 'runs', '--processes': 'processes' }[name];
    if (!key) usage(`unknown option ${name}`);
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < (key === 'runs' ? 1 : 0)) usage(`${name} needs a whole number`);
    opts[key] = value;
  }
  return opts;
}

function processCount() {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
}

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs a command to completion, discarding its output as a user piping it to a file would. */
function timed(cmd, args, env) {
  const t0 = performance.now();
  const result = spawnSync(cmd, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 256 * 1024 * 1024,
  });
  const ms = performance.now() - t0;
  if (result.error) throw result.error;
  return { ms, status: result.status, stdout: result.stdout, stderr: result.stderr.toString('utf8') };
}

const opts = parseArgs(process.argv.slice(2));
try {
  readFileSync(cli);
} catch {
  usage(`${cli} is missing: run \`npm run bench\` (it builds first) or \`npm run build\``);
}

// Idle children stand in for the daemons of a real server; they are ours and die with us.
const sleepers = [];
const killSleepers = () => {
  for (const child of sleepers) child.kill('SIGKILL');
};
process.on('exit', killSleepers);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killSleepers();
    process.exit(130);
  });
}
const before = processCount();
for (let n = before; n < opts.processes; n++) {
  sleepers.push(spawn('sleep', ['900'], { stdio: 'ignore' }));
}
// Let the sleepers exec so the scan reads `sleep`, not half-forked node children.
await new Promise((resolve) => setTimeout(resolve, 300));
const during = processCount();
// Not timed against the tail of other work (CI starts the benchmarks as the suite ends).
const settled = await settle();

const tmp = mkdtempSync(path.join(os.tmpdir(), 'minehunter-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
/**
 * The CLI's MINEHUNTER_TIMINGS=1 lines (util/timings.ts) as { "phase start-up": ms, "collector
 * linux.processes": ms, … }, wall milliseconds; the phases' CPU under "cpu phase …".
 */
function parseTimings(stderr) {
  const out = {};
  for (const line of stderr.split('\n')) {
    const m = /^minehunter timings: (phase|collector) (\S+) (\d+) ms wall(?:, (\d+) ms cpu)?/.exec(line);
    if (!m) continue;
    out[`${m[1]} ${m[2]}`] = Number(m[3]);
    if (m[4] !== undefined) out[`cpu ${m[1]} ${m[2]}`] = Number(m[4]);
  }
  return out;
}

/** Times `opts.runs` scans with the given extra arguments; the first run of each variant warms caches. */
function measure(extra) {
  const runs = [];
  let findings = 0;
  for (let i = 0; i < opts.runs; i++) {
    const rssFile = path.join(tmp, `rss-${runs.length}-${extra.join('')}`);
    const cpuFile = path.join(tmp, `cpu-${runs.length}-${extra.join('')}`);
    const run = timed(
      process.execPath,
      ['--require', preload, cli, 'scan', '--format', 'json', '--fail-on', 'none', ...extra],
      {
        ...launcherEnv(),
        MINEHUNTER_BENCH_RSS_FILE: rssFile,
        MINEHUNTER_BENCH_CPU_FILE: cpuFile,
        MINEHUNTER_TIMINGS: '1',
      },
    );
    if (run.status !== 0) {
      process.stderr.write(`scan ${extra.join(' ')} run ${i + 1} exited ${run.status}:\n${run.stderr}\n`);
      process.exit(1);
    }
    const rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    const cpuMs = Number(readFileSync(cpuFile, 'utf8'));
    findings = JSON.parse(run.stdout.toString('utf8')).findings.length;
    runs.push({ ms: run.ms, cpuMs, rssMb, timings: parseTimings(run.stderr) });
  }
  return { runs, findings };
}

/** The median of each timing over the runs, in the order the first run printed them. */
function medianTimings(runs) {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.timings)))];
  return keys.map((k) => [k, median(runs.map((r) => r.timings[k]).filter((v) => v !== undefined))]);
}

/** The phase breakdown lines of one variant: phases with wall and CPU, then the collectors. */
function breakdown(label, runs) {
  const med = new Map(medianTimings(runs));
  const lines = [`phase breakdown, ${label} (medians; collectors run concurrently, so they overlap):`];
  for (const [k, v] of med) {
    if (!k.startsWith('phase ')) continue;
    const cpu = med.get(`cpu ${k}`);
    lines.push(
      `  ${k.slice(6).padEnd(28)} ${String(v).padStart(6)} ms wall  ${String(cpu ?? '-').padStart(6)} ms cpu`,
    );
  }
  for (const [k, v] of med) {
    if (!k.startsWith('collector ')) continue;
    const name = k.slice(10) === 'content.scan' ? 'content scan (content.scan)' : k.slice(10);
    lines.push(`  ${name.padEnd(28)} ${String(v).padStart(6)} ms wall`);
  }
  return lines;
}

const loadBefore = os.loadavg();
// `--no-content`: the process-level scan (issue 2, with the stealth and persistence collectors since
// issue 4). The default scan adds the content scan of executables, memory and the places miners
// hide, measured from a warm scan cache (one unmeasured run warms it).
const processScan = measure(['--no-content']);
const scans = processScan.runs;
const findings = processScan.findings;
const savedRuns = opts.runs;
opts.runs = 1;
measure([]); // warms the content cache
opts.runs = savedRuns;
const contentScan = measure([]);
const loadAfter = os.loadavg();

const netTool = which('ss') ? ['ss', ['-tanp']] : which('netstat') ? ['netstat', ['-tanp']] : null;
const peerName = `ps -eo pid,ppid,user,args${netTool ? ` + ${netTool[0]} ${netTool[1].join(' ')}` : ''}`;
const peer = [];
for (let i = 0; i < opts.runs; i++) {
  const ps = timed('ps', ['-eo', 'pid,ppid,user,args'], process.env);
  const net = netTool ? timed(netTool[0], netTool[1], process.env) : { ms: 0 };
  peer.push(ps.ms + net.ms);
}

killSleepers();

const wall = scans.map((s) => s.ms);
const medianMs = median(wall);
const maxMs = Math.max(...wall);
const peakMb = Math.max(...scans.map((s) => s.rssMb));
const peerMs = median(peer);
const contentMs = median(contentScan.runs.map((r) => r.ms));
const contentPeakMb = Math.max(...contentScan.runs.map((r) => r.rssMb));
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');
const load = (l) => l.map((x) => x.toFixed(2)).join(' ');
const summary = (label, runs) => {
  const w = runs.map((r) => r.ms);
  return [
    `${label}: median ${fmt(median(w))}, max ${fmt(Math.max(...w))}, CPU (user+sys) median ${fmt(median(runs.map((r) => r.cpuMs)))}, ` +
      `peak RSS ${Math.max(...runs.map((r) => r.rssMb)).toFixed(1)} MB`,
    `  runs: ${w.map((ms) => ms.toFixed(0)).join(', ')} ms wall; ${runs.map((r) => r.rssMb.toFixed(0)).join(', ')} MB`,
  ];
};

const lines = [
  `minehunter scan benchmark — ${new Date().toISOString()}`,
  `machine: ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `Linux ${os.release()}, Node ${process.version}`,
  `load average (1, 5, 15 min): ${load(loadBefore)} before, ${load(loadAfter)} after — wall times on a loaded machine are not comparable`,
  settleNote(settled),
  `processes: ${before} before, ${during} during the scans (${sleepers.length} idle sleep children added)`,
  `command: node ${path.relative(repo, cli)} scan [--no-content] --format json --fail-on none  (${opts.runs} runs each, ` +
    `${findings} finding(s) without content; wall time includes Node start-up and the default CPU sampling window)`,
  `environment: as ./minehunter gives it${process.env.NODE_EXTRA_CA_CERTS ? ' (NODE_EXTRA_CA_CERTS moved to MINEHUNTER_EXTRA_CA_CERTS, so Node does not read it at start-up)' : ''}`,
  ...summary('default scan (content, warm cache)', contentScan.runs),
  ...summary('scan --no-content', scans),
  `peer (${peerName}): median ${fmt(peerMs)}; ratio minehunter --no-content/peer ${(medianMs / peerMs).toFixed(1)}x`,
  '',
  `target default scan median wall <= ${TARGET_MS} ms:     ${fmt(contentMs).padStart(8)}  ${verdict(contentMs <= TARGET_MS)}`,
  `target default scan peak RSS    <= ${TARGET_MB} MB:     ${`${contentPeakMb.toFixed(0)} MB`.padStart(8)}  ${verdict(contentPeakMb <= TARGET_MB)}`,
  `target --no-content median wall <= ${TARGET_NO_CONTENT_MS} ms:     ${fmt(medianMs).padStart(8)}  ${verdict(medianMs <= TARGET_NO_CONTENT_MS)}`,
  ...(opts.runs < 7 ? [`(only ${opts.runs} runs: the targets are judged over at least 7)`] : []),
  '',
  ...breakdown('default scan', contentScan.runs),
  ...breakdown('--no-content', scans),
];
process.stdout.write(lines.join('\n') + '\n');

const outDir = path.join(here, 'out');
mkdirSync(outDir, { recursive: true });
writeFileSync(
  path.join(outDir, 'scan-latest.json'),
  JSON.stringify(
    {
      date: new Date().toISOString(),
      cpus: os.cpus().length,
      processes: during,
      loadAverage: { before: loadBefore, after: loadAfter },
      noContent: {
        runs: scans,
        medianMs,
        maxMs,
        peakRssMb: peakMb,
        phases: Object.fromEntries(medianTimings(scans)),
      },
      default: {
        runs: contentScan.runs,
        medianMs: contentMs,
        peakRssMb: contentPeakMb,
        phases: Object.fromEntries(medianTimings(contentScan.runs)),
      },
      peer: { command: peerName, medianMs: peerMs },
      targets: { defaultWallMs: TARGET_MS, defaultRssMb: TARGET_MB, noContentWallMs: TARGET_NO_CONTENT_MS },
    },
    null,
    2,
  ) + '\n',
);
process.exit(0);
