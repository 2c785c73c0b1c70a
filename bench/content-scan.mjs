// Benchmark of minehunter's content scan (src/engine/content-scan.ts: walker, worker threads, scan
// cache) against Debian's `yara -r` over the same rules/*.yar, in the same run, on a generated
// fixed tree (>= 500 MiB of mixed text and binary, >= 20,000 files, in a temp dir, deleted after).
// Prints MiB/s of each, the ratio, the (rule, file) matches each found (they must agree), the warm
// rescan speed-up from the scan cache (the median of --warm-runs rescans, each a fresh process) and
// minehunter's peak RSS (read by the process itself). The tree also holds the look-alike miner
// padded past the size limit (issue 18): once with 100 MiB of written zeros, once sparse to 2 GiB;
// both sides must find it, and the bytes minehunter's part logic (engine/file-parts.ts) left out
// are printed.
//
// Usage: npm run bench:scan            (builds first)
//        node bench/content-scan.mjs [--mib 520] [--files 20000] [--warm-runs 3] [--no-padded] [--keep]
import { execFile, spawn } from 'node:child_process';
import {
  appendFileSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { contentSources, elfSources, prng } from './tree-inputs.mjs';

const execFileP = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

// ---- Child mode: one content scan in a fresh process, so its peak RSS is its own ----
if (process.argv[2] === '--child') {
  const [, , , tree, cache, out] = process.argv;
  // The young generation held for the first second, as the command line holds it for every command
  // (src/cli/first-second.ts). Its other first-second setting, TurboFan held back, is left out: it
  // made the cold scan here ~4% slower (1.37 → 1.43 s, alternating runs), which would flatter the
  // warm rescan's speed-up.
  const { holdYoungGeneration } = await import(
    pathToFileURL(path.join(repo, 'dist/util/young-generation.js')).href
  );
  holdYoungGeneration(1000);
  const { scanContent } = await import(pathToFileURL(path.join(repo, 'dist/engine/content-scan.js')).href);
  const t0 = performance.now();
  const { content } = await scanContent({
    scope: 'paths',
    roots: [tree],
    oneFileSystem: true,
    maxFileSize: 64 * 1024 * 1024,
    exclude: [],
    cachePath: cache,
  });
  const wallMs = performance.now() - t0;
  // Every thread of the process: the main thread and both scan workers.
  const cpu = process.cpuUsage();
  const cpuS = (cpu.user + cpu.system) / 1e6;
  // yara reads bytes as written: the matches on a layer the web normaliser decoded are ours alone,
  // kept apart so the two sides are compared on the same ground.
  const pairsOf = (decoded) =>
    content.files.flatMap((f) =>
      f.matches.filter((m) => Boolean(m.decoded) === decoded).map((m) => `${m.rule} ${f.path}`),
    );
  const pairs = pairsOf(false);
  const decodedPairs = pairsOf(true);
  writeFileSync(out, JSON.stringify({ stats: content.stats, wallMs, cpuS, pairs, decodedPairs }));
  process.exit(0);
}

/** 90% small (1-8 KiB), 8% medium (8-128 KiB), 2% large (0.5-1.5 MiB): a source-tree-like mix. */
function generateTree(dir, minBytes, minFiles) {
  const rand = prng(20261126);
  const elves = elfSources({ maxBytes: 16 * 1024 * 1024, limit: 120 });
  const content = contentSources(rand, elves);
  let bytes = 0;
  let files = 0;
  while (bytes < minBytes || files < minFiles) {
    const r = rand();
    const size =
      r < 0.9
        ? 1024 + Math.floor(rand() * 7 * 1024)
        : r < 0.98
          ? 8 * 1024 + Math.floor(rand() * 120 * 1024)
          : 512 * 1024 + Math.floor(rand() * 1024 * 1024);
    const kind = rand();
    let data;
    if (kind < 0.45 || elves.length === 0) data = content.text(size);
    else if (kind < 0.85) data = content.elfSlice(size);
    else data = content.random(size);
    const sub = path.join(
      dir,
      `d${String(files % 50).padStart(2, '0')}`,
      `s${String(Math.floor(files / 50) % 40).padStart(2, '0')}`,
    );
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `f${files}.${kind < 0.45 ? 'txt' : 'bin'}`), data);
    bytes += data.length;
    files++;
  }
  return { files, bytes };
}

/**
 * The look-alike miner (test/lookalike/miner.c, built with cc) padded past the 64 MiB limit: with
 * 100 MiB of zeros written after it, and extended sparse to 2 GiB. Returns the bytes added.
 */
async function plantPadded(dir) {
  mkdirSync(dir, { recursive: true });
  const plain = path.join(dir, 'kworker');
  await execFileP('cc', ['-O1', '-o', plain, path.join(repo, 'test/lookalike/miner.c')]);
  const padded = path.join(dir, 'kworker-padded');
  copyFileSync(plain, padded);
  const zeros = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < 100; i++) appendFileSync(padded, zeros);
  const sparse = path.join(dir, 'kworker-sparse');
  copyFileSync(plain, sparse);
  truncateSync(sparse, 2 * 1024 * 1024 * 1024);
  rmSync(plain);
  return { files: 2, written: 100 * 1024 * 1024, sparse: 2 * 1024 * 1024 * 1024 };
}

function runChild(tree, cache) {
  const out = path.join(
    os.tmpdir(),
    `minehunter-bench-content-${process.pid}-${Math.random().toString(36).slice(2)}.json`,
  );
  const rssFile = `${out}.rss`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [
        '--require',
        path.join(here, 'maxrss-preload.cjs'),
        fileURLToPath(import.meta.url),
        '--child',
        tree,
        cache,
        out,
      ],
      { stdio: 'inherit', env: { ...process.env, MINEHUNTER_BENCH_RSS_FILE: rssFile } },
    );
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`content scan child exited ${code}`));
      const result = JSON.parse(readFileSync(out, 'utf8'));
      result.processMs = performance.now() - t0;
      result.rssMiB = Number(readFileSync(rssFile, 'utf8')) / 1024;
      rmSync(out, { force: true });
      rmSync(rssFile, { force: true });
      resolve(result);
    });
  });
}

const mib = (b) => b / (1024 * 1024);
const f1 = (n) => n.toFixed(1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
  const targetMiB = Number(arg('mib', '520'));
  const minFiles = Number(arg('files', '20000'));
  const keep = process.argv.includes('--keep');
  const warmRunCount = Math.max(1, Number(arg('warm-runs', '3')));
  const work = mkdtempSync(path.join(os.tmpdir(), 'minehunter-bench-content-'));
  const tree = path.join(work, 'tree');
  const cache = path.join(work, 'cache.sqlite');
  try {
    let t0 = performance.now();
    const built = generateTree(tree, targetMiB * 1024 * 1024, minFiles);
    // A few of the project's own positive samples, so both sides have matches to agree on.
    const { generateSamples } = await import('tsx/esm/api').then((m) =>
      m.tsImport('../test/samples/generate.ts', import.meta.url),
    );
    const planted = await generateSamples(path.join(tree, 'planted'));
    const padded = process.argv.includes('--no-padded')
      ? undefined
      : await plantPadded(path.join(tree, 'padded'));
    console.log(
      `tree: ${built.files.toLocaleString('en')} generated files + ${planted.length} samples, ${f1(mib(built.bytes))} MiB (${f1((performance.now() - t0) / 1000)} s to build)`,
    );
    if (padded)
      console.log(
        `padded: ${padded.files} look-alikes over the size limit, one with ${f1(mib(padded.written))} MiB of zeros written, one sparse to ${f1(mib(padded.sparse))} MiB (counted in the bytes below)`,
      );
    // Write the new tree out first, so the kernel's writeback of 500 MiB does not land in the middle
    // of one side's run; then warm the page cache so neither side pays for the disk.
    await execFileP('sync', ['-f', tree]);
    await execFileP('bash', ['-c', `find '${tree}' -type f -exec cat {} + > /dev/null`]);
    console.log(`machine: ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(2)}`);

    // ---- yara -r ----
    const rules = readdirSync(path.join(repo, 'rules'))
      .filter((n) => n.endsWith('.yar'))
      .sort()
      .map((n) => path.join(repo, 'rules', n));
    const yaraOut = path.join(work, 'yara.txt');
    const quoted = [...rules, tree].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    t0 = performance.now();
    // bash's `times` gives the CPU time yara used, for the per-CPU-second figure.
    const { stdout: times } = await execFileP('bash', ['-c', `yara -r ${quoted} > '${yaraOut}' && times`]);
    const yaraS = (performance.now() - t0) / 1000;
    const [yu, ys] = (times.trim().split('\n')[1] ?? '').split(/\s+/).map((x) => {
      const m = /(\d+)m([\d.]+)s/.exec(x);
      return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    });
    const yaraCpu = yu + ys;
    const yaraPairs = new Set(readFileSync(yaraOut, 'utf8').split('\n').filter(Boolean));

    // ---- minehunter: cold (empty cache), then warm (same cache, unchanged tree) ----
    const cold = await runChild(tree, cache);
    // A warm rescan takes ~0.1 s, where one run moves by tens of ms with this VM: the median of a
    // few runs (each a fresh process, the same cache) is the figure, the spread printed beside it.
    const warmRuns = [];
    for (let i = 0; i < warmRunCount; i++) warmRuns.push(await runChild(tree, cache));
    const byWarmTime = [...warmRuns].sort((a, b) => a.stats.durationMs - b.stats.durationMs);
    const warm = byWarmTime[Math.floor((byWarmTime.length - 1) / 2)];
    const warmProcessMs = median(warmRuns.map((r) => r.processMs));
    const mhPairs = new Set(cold.pairs);
    const warmPairs = new Set(warm.pairs);

    const bytes = cold.stats.bytes;
    const yaraRate = mib(bytes) / yaraS;
    const coldRate = mib(bytes) / (cold.stats.durationMs / 1000);
    const onlyYara = [...yaraPairs].filter((p) => !mhPairs.has(p));
    const onlyMh = [...mhPairs].filter((p) => !yaraPairs.has(p));
    const warmSame = warmRuns.every((r) => {
      const pairs = new Set(r.pairs);
      return pairs.size === mhPairs.size && [...mhPairs].every((p) => pairs.has(p));
    });
    const speedup = cold.stats.durationMs / Math.max(1, warm.stats.durationMs);

    console.log('');
    console.log(`scanned: ${cold.stats.files.toLocaleString('en')} files, ${f1(mib(bytes))} MiB`);
    console.log(
      `yara -r (Debian yara, rules/*.yar):  ${f1(yaraS)} s   ${f1(yaraRate)} MiB/s   ${yaraPairs.size} matches   ${f1(mib(bytes) / yaraCpu)} MiB per CPU-s`,
    );
    console.log(
      `minehunter content scan, cold:      ${f1(cold.stats.durationMs / 1000)} s   ${f1(coldRate)} MiB/s   ${mhPairs.size} matches   ${f1(mib(bytes) / cold.cpuS)} MiB per CPU-s   peak RSS ${f1(cold.rssMiB)} MiB`,
    );
    console.log(
      `minehunter content scan, warm:      ${(warm.stats.durationMs / 1000).toFixed(3)} s (median of ${warmRuns.length}: ${byWarmTime.map((r) => (r.stats.durationMs / 1000).toFixed(3)).join(', ')})   ${warm.stats.cached.toLocaleString('en')} files from cache   ${warmPairs.size} matches   peak RSS ${f1(Math.max(...warmRuns.map((r) => r.rssMiB)))} MiB`,
    );
    console.log(
      `ratio minehunter/yara -r: ${(coldRate / yaraRate).toFixed(2)}x by wall clock (target >= 2x), ${(yaraCpu / cold.cpuS).toFixed(2)}x per CPU-second`,
    );
    // The target is set for the full-size tree: on a reduced one (CI's) the rescan's fixed costs
    // (a fresh process's first calls, the cache's index) weigh more against a shorter cold scan.
    const fullSize = targetMiB >= 520 && minFiles >= 20000;
    console.log(
      `warm rescan speed-up: ${f1(speedup)}x   (target >= 20x${fullSize ? '' : ' on the full-size tree; this one is reduced'})`,
    );
    const parts = cold.stats;
    console.log(
      `files over the size limit: ${parts.partsFiles ?? 0} scanned by their parts, ${f1(mib(parts.bytesSkippedByParts ?? 0))} MiB skipped by the segment/window logic (holes, padding, constant chunks), ${parts.largeHashMs ?? 0} ms hashing them`,
    );
    // What a user waits for, start-up, rule loading and exit included (the figures above time the scan).
    console.log(
      `whole process: cold ${f1(cold.processMs / 1000)} s, warm ${f1(warmProcessMs / 1000)} s (${f1(cold.processMs / warmProcessMs)}x)`,
    );
    const { planPrefilter } = await import(pathToFileURL(path.join(repo, 'dist/engine/prefilter.js')).href);
    const plan = planPrefilter(
      rules.map((r) => ({ source: readFileSync(r, 'utf8'), namespace: path.basename(r, '.yar') })),
    );
    console.log(`prefilter: ${plan.source ? `${plan.patterns} patterns` : `off (${plan.reason})`}`);
    const { dirLister } = await import(pathToFileURL(path.join(repo, 'dist/engine/dir-lister.js')).href);
    console.log(
      `directory lister: ${dirLister().native ? 'native (dist/native/dirstat.node)' : "Node's readdir + lstat (the native one is not built)"}`,
    );
    console.log(
      `peak RSS: ${f1(Math.max(cold.rssMiB, ...warmRuns.map((r) => r.rssMiB)))} MiB   (target <= 300 MB)`,
    );
    console.log(
      `matches agree: ${onlyYara.length === 0 && onlyMh.length === 0 && warmSame ? 'yes' : 'NO'}` +
        (onlyYara.length ? `\n  only yara: ${onlyYara.slice(0, 10).join('; ')}` : '') +
        (onlyMh.length ? `\n  only minehunter: ${onlyMh.slice(0, 10).join('; ')}` : '') +
        (warmSame ? '' : '\n  the warm rescan found different matches'),
    );
    if (cold.decodedPairs.length)
      console.log(
        `found only in decoded text (yara reads bytes as written): ${cold.decodedPairs.slice(0, 10).join('; ')}`,
      );
    if (onlyYara.length || onlyMh.length || !warmSame) process.exitCode = 1;
  } finally {
    if (keep) console.log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

await main();
