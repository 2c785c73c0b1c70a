// Benchmark: wall time and peak RSS of `minehunter scan` on this machine with about 150 processes,
// the process-level scan against its targets and the default scan (with content) beside it,
// against the peer a sysadmin runs by hand (ps + ss/netstat) in the same run. `npm run bench`.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const TARGET_MS = 1000;
const TARGET_MB = 150;

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const cli = path.join(repo, 'dist', 'cli', 'main.js');
const preload = path.join(here, 'maxrss-preload.cjs');

function usage(message) {
  process.stderr.write(
    `${message}\nusage: node bench/scan.mjs [--runs N] [--processes N]\n` +
      '  --runs N        scans to time (default 7)\n' +
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

const tmp = mkdtempSync(path.join(os.tmpdir(), 'minehunter-bench-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
/** Times `opts.runs` scans with the given extra arguments; the first run of each variant warms caches. */
function measure(extra) {
  const runs = [];
  let findings = 0;
  for (let i = 0; i < opts.runs; i++) {
    const rssFile = path.join(tmp, `rss-${runs.length}-${extra.join('')}`);
    const run = timed(
      process.execPath,
      ['--require', preload, cli, 'scan', '--format', 'json', '--fail-on', 'none', ...extra],
      { ...process.env, MINEHUNTER_BENCH_RSS_FILE: rssFile },
    );
    if (run.status !== 0) {
      process.stderr.write(`scan ${extra.join(' ')} run ${i + 1} exited ${run.status}:\n${run.stderr}\n`);
      process.exit(1);
    }
    const rssMb = Number(readFileSync(rssFile, 'utf8')) / 1024;
    findings = JSON.parse(run.stdout.toString('utf8')).findings.length;
    runs.push({ ms: run.ms, rssMb });
  }
  return { runs, findings };
}

// The targets are the process-level scan's (issue 2, with the stealth and persistence collectors
// since issue 4). The default scan adds the content scan of executables and the places miners
// hide; it is measured too, from a warm scan cache, and printed for information.
const processScan = measure(['--no-content']);
const scans = processScan.runs;
const findings = processScan.findings;
measure([]); // warms the content cache
const contentScan = measure([]);

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
const fmt = (ms) => `${ms.toFixed(0)} ms`;
const verdict = (ok) => (ok ? 'PASS' : 'FAIL');

const lines = [
  `minehunter scan benchmark — ${new Date().toISOString()}`,
  `machine: ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, ` +
    `Linux ${os.release()}, Node ${process.version}`,
  `processes: ${before} before, ${during} during the scans (${sleepers.length} idle sleep children added)`,
  `command: node dist/cli/main.js scan --no-content --format json --fail-on none  (${opts.runs} runs, ${findings} finding(s); ` +
    'wall time includes Node start-up and the default CPU sampling window)',
  `scan wall time: median ${fmt(medianMs)}, max ${fmt(maxMs)}   runs: ${wall.map((ms) => ms.toFixed(0)).join(', ')} ms`,
  `scan peak RSS:  ${peakMb.toFixed(1)} MB (max over runs; kernel maxrss of the scanning process)`,
  `peer (${peerName}): median ${fmt(peerMs)}; ratio minehunter/peer ${(medianMs / peerMs).toFixed(1)}x`,
  `default scan with content (warm cache): median ${fmt(median(contentScan.runs.map((r) => r.ms)))}, ` +
    `peak RSS ${Math.max(...contentScan.runs.map((r) => r.rssMb)).toFixed(1)} MB (no target; for information)`,
  `target wall time <= ${TARGET_MS} ms (median): ${verdict(medianMs <= TARGET_MS)}`,
  `target peak RSS  <= ${TARGET_MB} MB:          ${verdict(peakMb <= TARGET_MB)}`,
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
      runs: scans,
      medianMs,
      maxMs,
      peakRssMb: peakMb,
      peer: { command: peerName, medianMs: peerMs },
      targets: { wallMs: TARGET_MS, rssMb: TARGET_MB },
    },
    null,
    2,
  ) + '\n',
);
process.exit(0);
