// Benchmark of the web-content normaliser's cost (src/engine/web-normalise/, issue 15): a tree of
// real minified JS/HTML/PHP (node_modules files as stand-in content, copied into subdirectories
// until it reaches >= 200 MiB; 60 MiB when CI is set, about a minute and a half on 2 cores) is collected with `minehunter collect --path
// TREE --no-cache` twice in the same run, with the normaliser on and off (MINEHUNTER_WEB_NORMALISE=0),
// best of N each. Prints wall, CPU seconds and peak RSS of each and the overhead ratio, and whether
// the target (normaliser on <= 1.5x the plain content scan, CPU) is met. The tree is a temp dir,
// deleted after.
//
// Usage: npm run bench:web            (builds first)
//        node bench/web.mjs [--mib 200] [--runs 3] [--keep] [--tree DIR]   (--help lists them)
//        (--keep leaves the tree in place and --tree DIR measures such a tree again, e.g. with another
//        build named by MINEHUNTER_BENCH_CLI: both builds then read the same files)
//        CI=1 node bench/web.mjs --runs 2   (the CI size: 60 MiB, best of 2; scripts/ci-bench.sh)
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
/** The CLI measured: the checkout's build, or another build (MINEHUNTER_BENCH_CLI, e.g. a private tsc --outDir). */
const CLI = process.env.MINEHUNTER_BENCH_CLI ?? path.join(repo, 'dist/cli/main.js');
const TARGET = 1.5;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const WEB = /\.(?:[cm]?js|jsx|html?|php\d?|phtml|inc)$/i;

/** Web files under node_modules, largest packages' files included; declarations and maps left out. */
function webFiles(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) webFiles(p, out);
    else if (e.isFile() && WEB.test(e.name) && !e.name.endsWith('.d.ts')) {
      const size = statSync(p).size;
      if (size > 0 && size <= 8 * 1024 * 1024) out.push({ p, size });
    }
  }
  return out;
}

/** Copies of the source files into copy<N>/ subdirectories until the tree holds minBytes. */
function buildTree(dir, minBytes) {
  const sources = webFiles(path.join(repo, 'node_modules'));
  if (sources.length === 0) throw new Error('no web files under node_modules: run npm ci first');
  let bytes = 0;
  let files = 0;
  for (let copy = 0; bytes < minBytes; copy++) {
    for (const [i, s] of sources.entries()) {
      if (bytes >= minBytes) break;
      const sub = path.join(dir, `copy${copy}`, `d${i % 64}`);
      if (i < 64) mkdirSync(sub, { recursive: true });
      copyFileSync(s.p, path.join(sub, `${i}-${path.basename(s.p)}`));
      bytes += s.size;
      files++;
    }
  }
  return { bytes, files, sources: sources.length };
}

/** The bytes and files of a tree built before (--tree), counted as buildTree counts them. */
function treeSize(dir) {
  const files = webFiles(dir);
  if (files.length === 0) throw new Error(`no web files under ${dir}`);
  return { bytes: files.reduce((n, f) => n + f.size, 0), files: files.length, sources: files.length };
}

function runOnce(tree, normalise) {
  const tag = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const out = path.join(os.tmpdir(), `minehunter-bench-web-${tag}.json`);
  const rssFile = `${out}.rss`;
  const env = { ...process.env, MINEHUNTER_BENCH_RSS_FILE: rssFile };
  if (normalise) delete env.MINEHUNTER_WEB_NORMALISE;
  else env.MINEHUNTER_WEB_NORMALISE = '0';
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--require',
        path.join(here, 'maxrss-preload.cjs'),
        CLI,
        'collect',
        '--path',
        tree,
        '--no-cache',
        '-q',
        '-o',
        out,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], env },
    );
    child.once('error', reject);
    child.once('exit', () => {
      const wallS = (performance.now() - t0) / 1000;
      try {
        const snapshot = JSON.parse(readFileSync(out, 'utf8'));
        const files = snapshot.content?.files ?? [];
        const hits = files.reduce((n, f) => n + (f.matches?.length ?? 0), 0);
        const rssMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
        resolve({ wallS, rssMiB, hits });
      } catch (err) {
        reject(new Error(`collect run failed: ${err.message}`));
      } finally {
        rmSync(out, { force: true });
        rmSync(rssFile, { force: true });
      }
    });
  });
}

/** CPU seconds of the waited-for children so far (cutime + cstime): the collect process and its workers. */
function childCpuS() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = 100; // USER_HZ on Linux
  return (Number(fields[13]) + Number(fields[14])) / ticks; // cutime + cstime
}

async function measure(tree, normalise) {
  const before = childCpuS();
  const r = await runOnce(tree, normalise);
  return { ...r, cpuS: childCpuS() - before };
}

const f1 = (n) => n.toFixed(1);
const f2 = (n) => n.toFixed(2);

const USAGE = `Usage: node bench/web.mjs [--mib 200] [--runs 3] [--keep] [--tree DIR]
  --mib N     size of the tree built from node_modules' web files (default 200; 60 with CI set)
  --runs N    pairs of runs, normaliser off then on; best of each side and the median ratio (default 3; 1 with CI)
  --keep      leave the built tree in place (its path is printed)
  --tree DIR  measure a tree kept before instead of building one
  MINEHUNTER_BENCH_CLI=path/to/cli/main.js measures another build on the same tree.`;

async function main() {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const ci = Boolean(process.env.CI);
  // 60 MiB rather than less: each scan worker's compiling of the normaliser is a fixed cost, which
  // in a smaller tree weighs more than it does in a real web root.
  const mibTarget = Number(arg('mib', ci ? 60 : 200));
  const runs = Number(arg('runs', ci ? 1 : 3));
  const started = performance.now();
  const given = arg('tree', undefined);
  const tree = given ?? mkdtempSync(path.join(os.tmpdir(), 'minehunter-bench-web-'));
  try {
    const t = given ? treeSize(given) : buildTree(tree, mibTarget * 1024 * 1024);
    console.log(
      `tree: ${f1(t.bytes / 1024 / 1024)} MiB, ${t.files} files (from ${t.sources} node_modules web files)`,
    );
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}`);
    const best = { on: undefined, off: undefined };
    const ratios = [];
    for (let i = 0; i < runs; i++) {
      // Alternated, so drift in the machine's load touches both sides alike.
      const pair = {};
      for (const side of ['off', 'on']) {
        const r = await measure(tree, side === 'on');
        console.log(
          `  run ${i + 1} normaliser ${side.padEnd(3)}: wall ${f2(r.wallS)} s, CPU ${f2(r.cpuS)} s, ` +
            `peak RSS ${f1(r.rssMiB)} MiB, ${r.hits} matches`,
        );
        if (!best[side] || r.cpuS < best[side].cpuS) best[side] = r;
        pair[side] = r;
      }
      // Each run's own ratio too: the two sides of one run saw about the same machine load.
      ratios.push(pair.on.cpuS / pair.off.cpuS);
      console.log(`  run ${i + 1} overhead: CPU ${f2(pair.on.cpuS / pair.off.cpuS)}x`);
    }
    const { on, off } = best;
    console.log(`best of ${runs}:`);
    for (const [side, r] of [
      ['off (plain content scan)', off],
      ['on  (with normaliser)   ', on],
    ])
      console.log(
        `  normaliser ${side}: wall ${f2(r.wallS)} s, CPU ${f2(r.cpuS)} s, peak RSS ${f1(r.rssMiB)} MiB, ` +
          `${f1(t.bytes / 1024 / 1024 / r.wallS)} MiB/s`,
      );
    const cpuRatio = on.cpuS / off.cpuS;
    const wallRatio = on.wallS / off.wallS;
    console.log(
      `overhead: CPU ${f2(cpuRatio)}x, wall ${f2(wallRatio)}x, peak RSS ${f2(on.rssMiB / off.rssMiB)}x ` +
        `(target CPU <= ${TARGET}x: ${cpuRatio <= TARGET ? 'met' : 'NOT met'})`,
    );
    // The runs' own ratios, middle one: a load spike during one side of one run moves it less
    // than it moves a best-of taken on each side apart.
    const sorted = [...ratios].sort((a, b) => a - b);
    const median =
      sorted.length % 2
        ? sorted[(sorted.length - 1) / 2]
        : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
    console.log(`median of the runs' CPU overheads: ${f2(median)}x (${sorted.map(f2).join(', ')})`);
    if (on.hits < off.hits) console.log('WARNING: fewer matches with the normaliser than without');
    console.log(
      `load average at the end: ${os.loadavg()[0].toFixed(2)}; took ${f1((performance.now() - started) / 1000)} s`,
    );
  } finally {
    if (given) console.log(`tree ${tree} left as it was`);
    else if (process.argv.includes('--keep')) console.log(`tree kept at ${tree}`);
    else rmSync(tree, { recursive: true, force: true });
  }
}

await main();
