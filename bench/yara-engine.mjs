// Throughput of minehunter's YARA engine (src/engine/yara.ts, YARA-X) against Debian's `yara -r`
// over the same rules/*.yar on the same generated tree, in the same run: prints MiB/s for each
// (by wall clock, and per CPU-second, which holds up when other work shares the machine), the
// ratio, and checks that every variant found exactly the same (rule, file) matches.
//
// Usage: node bench/yara-engine.mjs [--mib 200] [--dir PATH] [--keep]
//   --mib   size of the generated tree (default 200 MiB)
//   --dir   scan an existing tree instead of generating one (it is not deleted)
//   --keep  keep the generated tree and print where it is
import { execFile } from 'node:child_process';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
  copyFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';
import { contentSources, elfSources, prng } from './tree-inputs.mjs';

const execFileP = promisify(execFile);
const engine = await tsImport('../src/engine/yara.ts', import.meta.url);

// A worker thread: restores the compiled rules it is handed, says it is ready, then scans the
// files it is sent and returns the (rule, file) pairs it found.
if (!isMainThread) {
  const scanner = engine.loadCompiledRules(Buffer.from(workerData.blob), workerData.hash, workerData.files);
  parentPort.on('message', (files) => {
    const found = [];
    for (const f of files) for (const m of scanner.scanFile(f)) found.push(`${m.rule} ${f}`);
    parentPort.postMessage(found);
  });
  parentPort.postMessage('ready');
}
const samples = isMainThread ? await tsImport('../test/samples/generate.ts', import.meta.url) : undefined;

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const targetMiB = Number(arg('mib', '200'));
const givenDir = arg('dir', undefined);
const keep = process.argv.includes('--keep');

function generateTree(dir, totalBytes) {
  const rand = prng(20261126);
  const elves = elfSources({ maxBytes: 32 * 1024 * 1024, limit: 200 });
  const content = contentSources(rand, elves);
  let written = 0;
  let files = 0;
  while (written < totalBytes) {
    const r = rand();
    const size =
      r < 0.8
        ? 1024 + Math.floor(rand() * 31 * 1024)
        : r < 0.98
          ? 32 * 1024 + Math.floor(rand() * 224 * 1024)
          : 1024 * 1024 + Math.floor(rand() * 3 * 1024 * 1024);
    const kind = rand();
    let data;
    if (kind < 0.4 || elves.length === 0) data = content.text(size);
    else if (kind < 0.8) data = content.elfSlice(size);
    else data = content.random(size);
    const sub = path.join(
      dir,
      `d${String(files % 40).padStart(2, '0')}`,
      `s${String(Math.floor(files / 40) % 25).padStart(2, '0')}`,
    );
    mkdirSync(sub, { recursive: true });
    writeFileSync(path.join(sub, `f${files}.${kind < 0.4 ? 'txt' : 'bin'}`), data);
    written += data.length;
    files++;
  }
  return { files, bytes: written };
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = path.join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.isFile()) out.push(f);
    }
  };
  walk(dir);
  return out.sort();
}

const mib = (bytes) => bytes / (1024 * 1024);
const fmt = (n) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });
const cpuSeconds = (since) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1e6;
};

async function main() {
  // ---- Build the tree ----
  const dir = givenDir ?? mkdtempSync(path.join(os.tmpdir(), 'minehunter-bench-yara-'));
  if (!givenDir) {
    const t0 = performance.now();
    const { files } = generateTree(dir, targetMiB * 1024 * 1024);
    const planted = path.join(dir, 'planted');
    const sampleDir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-bench-samples-'));
    const generated = await samples.generateSamples(sampleDir);
    for (const s of generated) {
      mkdirSync(path.join(planted, s.id), { recursive: true });
      copyFileSync(s.path, path.join(planted, s.id, path.basename(s.path)));
    }
    rmSync(sampleDir, { recursive: true, force: true });
    console.log(
      `tree: ${dir}: ${files} generated files + ${generated.length} planted samples (${((performance.now() - t0) / 1000).toFixed(1)} s to build)`,
    );
  }
  const files = listFiles(dir);
  const totalBytes = files.reduce((n, f) => n + statSync(f).size, 0);
  const load = () => os.loadavg()[0].toFixed(2);
  console.log(
    `scanning ${fmt(files.length)} files, ${mib(totalBytes).toFixed(1)} MiB, on ${os.cpus().length} cores (load average ${load()})`,
  );

  // Warm the page cache so neither side pays for the disk.
  for (const f of files) readFileSync(f);

  const ruleFiles = engine.listRuleFiles(engine.bundledRulesDir());
  const pairs = (list) => [...new Set(list)].sort();
  const results = [];

  // ---- yara -r: bash's `times` gives the CPU time yara used ----
  {
    const out = path.join(os.tmpdir(), `minehunter-bench-yara-${process.pid}.txt`);
    const quoted = [...ruleFiles, dir].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const t0 = performance.now();
    const { stdout } = await execFileP('bash', ['-c', `yara -r ${quoted} > '${out}' && times`]);
    const s = (performance.now() - t0) / 1000;
    const [user, sys] = (stdout.trim().split('\n')[1] ?? '').split(/\s+/).map((t) => {
      const m = /(\d+)m([\d.]+)s/.exec(t);
      return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
    });
    const found = readFileSync(out, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const sp = l.indexOf(' ');
        return `${l.slice(0, sp)} ${l.slice(sp + 1)}`;
      });
    rmSync(out, { force: true });
    results.push({ name: 'yara -r (Debian yara, default threads)', s, cpu: user + sys, pairs: pairs(found) });
  }

  // ---- minehunter engine ----
  const t0 = performance.now();
  const { scanner, problems } = engine.compileRules(ruleFiles);
  const compileMs = performance.now() - t0;
  if (problems.length)
    console.log(
      'rule problems:',
      problems.map((p) => p.message.en),
    );

  {
    const c0 = process.cpuUsage();
    const t1 = performance.now();
    const found = [];
    for (const f of listFiles(dir)) for (const m of scanner.scanFile(f)) found.push(`${m.rule} ${f}`);
    const s = (performance.now() - t1) / 1000;
    results.push({
      name: 'minehunter engine, scanFile, 1 thread',
      s,
      cpu: cpuSeconds(c0),
      pairs: pairs(found),
    });
  }

  const lanes = Math.max(2, os.cpus().length);
  {
    const blob = scanner.serialize();
    const workers = Array.from(
      { length: lanes },
      () =>
        new Worker(new URL(import.meta.url), {
          workerData: { blob, hash: scanner.ruleSetHash, files: scanner.files },
        }),
    );
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
    const c0 = process.cpuUsage();
    const t1 = performance.now();
    const all = listFiles(dir);
    const parts = await Promise.all(
      workers.map(
        (w, i) =>
          new Promise((resolve) => {
            w.once('message', resolve);
            w.postMessage(all.filter((_, j) => j % lanes === i));
          }),
      ),
    );
    const s = (performance.now() - t1) / 1000;
    const cpu = cpuSeconds(c0);
    await Promise.all(workers.map((w) => w.terminate()));
    results.push({ name: `minehunter engine, ${lanes} worker threads`, s, cpu, pairs: pairs(parts.flat()) });
  }

  {
    const c0 = process.cpuUsage();
    const t1 = performance.now();
    const found = [];
    const queue = listFiles(dir);
    const lane = async () => {
      for (let f = queue.pop(); f; f = queue.pop())
        for (const m of await scanner.scanFileAsync(f)) found.push(`${m.rule} ${f}`);
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    const s = (performance.now() - t1) / 1000;
    results.push({
      name: `minehunter engine, scanFileAsync, ${lanes} in flight`,
      s,
      cpu: cpuSeconds(c0),
      pairs: pairs(found),
    });
  }

  console.log(`rules: ${ruleFiles.length} files compiled in ${compileMs.toFixed(0)} ms (${scanner.engine})`);
  const [yaraResult] = results;
  const yaraRate = mib(totalBytes) / yaraResult.s;
  for (const r of results) {
    const rate = mib(totalBytes) / r.s;
    console.log(
      `${r.name.padEnd(46)} ${r.s.toFixed(2).padStart(6)} s ${fmt(rate).padStart(6)} MiB/s ${(rate / yaraRate).toFixed(2).padStart(5)}x yara | ${fmt(mib(totalBytes) / r.cpu).padStart(6)} MiB per CPU-s | ${r.pairs.length} matches`,
    );
  }
  const differ = results.filter((r) => JSON.stringify(r.pairs) !== JSON.stringify(yaraResult.pairs));
  if (differ.length === 0)
    console.log(`matches agree: ${yaraResult.pairs.length} (rule, file) pairs in every variant`);
  for (const r of differ) {
    console.log(`MATCHES DIFFER: ${r.name}`);
    console.log(
      '  only yara:',
      yaraResult.pairs.filter((x) => !r.pairs.includes(x)),
    );
    console.log(
      '  only this:',
      r.pairs.filter((x) => !yaraResult.pairs.includes(x)),
    );
  }
  console.log(`load average at the end: ${load()}`);
  if (!givenDir && !keep) rmSync(dir, { recursive: true, force: true });
  else console.log(`tree kept at ${dir}`);
  process.exitCode = differ.length === 0 ? 0 : 1;
}

if (isMainThread) await main();
