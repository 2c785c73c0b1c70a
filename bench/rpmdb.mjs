// Benchmark of minehunter's rpm database reader (src/collect/linux/rpm: SQLite rpmdb + header
// parser) on a generated rpmdb.sqlite of 3,000 packages / 300,000 files in a temp root (deleted
// after), against Debian's `rpm -qa --root <tmp> --dbpath /var/lib/rpm` on the same database when
// rpm is installed. Prints the time of each, the ratio, and checks both list the same packages.
// Issue 23 asks for ≤ 1 s.
//
// Usage: npm run bench:rpmdb            (builds first)
//        node bench/rpmdb.mjs [--packages 3000] [--files 100] [--runs 3] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const PACKAGES = Number(arg('packages', 3000));
const FILES = Number(arg('files', 100));
const RUNS = Number(arg('runs', 3));

// ---- Header writer: the on-disk layout rpm's headerExport produces (index sorted by tag, data aligned) ----
const T = { INT16: 3, INT32: 4, STRING: 6, STRING_ARRAY: 8 };
const ALIGN = { [T.INT16]: 2, [T.INT32]: 4 };

function headerBlob(tags) {
  const entries = [];
  const chunks = [];
  let dl = 0;
  for (const [tag, type, value] of [...tags].sort((a, b) => a[0] - b[0])) {
    const align = ALIGN[type] ?? 1;
    if (dl % align) {
      chunks.push(Buffer.alloc(align - (dl % align)));
      dl += align - (dl % align);
    }
    let data;
    let count;
    if (type === T.STRING) [data, count] = [Buffer.from(`${value}\0`), 1];
    else if (type === T.STRING_ARRAY)
      [data, count] = [Buffer.from(value.map((s) => `${s}\0`).join('')), value.length];
    else {
      const width = type === T.INT16 ? 2 : 4;
      data = Buffer.alloc(width * value.length);
      value.forEach((v, i) => (width === 2 ? data.writeUInt16BE(v, i * 2) : data.writeUInt32BE(v, i * 4)));
      count = value.length;
    }
    entries.push([tag, type, dl, count]);
    chunks.push(data);
    dl += data.length;
  }
  const head = Buffer.alloc(8 + 16 * entries.length);
  head.writeUInt32BE(entries.length, 0);
  head.writeUInt32BE(dl, 4);
  entries.forEach(([tag, type, off, count], i) => {
    head.writeUInt32BE(tag, 8 + i * 16);
    head.writeUInt32BE(type, 12 + i * 16);
    head.writeUInt32BE(off, 16 + i * 16);
    head.writeUInt32BE(count, 20 + i * 16);
  });
  return Buffer.concat([head, ...chunks]);
}

function packageHeader(n) {
  const name = `bench-pkg-${n}`;
  const dirs = [`/usr/lib64/${name}/`, `/usr/share/${name}/`, '/usr/bin/'];
  const base = [];
  const idx = [];
  const digests = [];
  for (let f = 0; f < FILES; f++) {
    const d = f === 0 ? 2 : 1 + (f % 2 === 0 ? -1 : 0);
    base.push(f === 0 ? `${name}` : `file-${f}.dat`);
    idx.push(d);
    digests.push(createHash('sha256').update(`${n}/${f}`).digest('hex'));
  }
  return headerBlob([
    [1000, T.STRING, name],
    [1001, T.STRING, `1.${n % 17}.${n % 5}`],
    [1002, T.STRING, `${1 + (n % 9)}.el9`],
    [1008, T.INT32, [1_700_000_000 + n]],
    [1011, T.STRING, 'Rocky Enterprise Software Foundation'],
    [1022, T.STRING, 'x86_64'],
    [1044, T.STRING, `${name}-1.0-1.el9.src.rpm`],
    [1028, T.INT32, base.map((_, f) => 1000 + f)],
    [1030, T.INT16, base.map((_, f) => (f === 0 ? 0o100755 : 0o100644))],
    [1035, T.STRING_ARRAY, digests],
    [1037, T.INT32, base.map(() => 0)],
    [1116, T.INT32, idx],
    [1117, T.STRING_ARRAY, base],
    [1118, T.STRING_ARRAY, dirs],
    [5011, T.INT32, [8]],
  ]);
}

// ---- The root: rpm's own empty database when rpm is here (so `rpm -qa` accepts it), else the table ----
const hasRpm = spawnSync('rpm', ['--version']).status === 0;
const root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-bench-rpmdb-'));
const dbDir = path.join(root, 'var/lib/rpm');
mkdirSync(dbDir, { recursive: true });
if (hasRpm) execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '--initdb']);
const t0 = performance.now();
const db = new Database(path.join(dbDir, 'rpmdb.sqlite'));
db.exec("CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)");
const insert = db.prepare('INSERT INTO Packages (hnum, blob) VALUES (?, ?)');
db.transaction(() => {
  for (let n = 1; n <= PACKAGES; n++) insert.run(n, packageHeader(n));
})();
db.pragma('wal_checkpoint(TRUNCATE)');
db.close();
console.log(
  `generated ${PACKAGES} packages / ${PACKAGES * FILES} files in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${root}`,
);

// ---- minehunter's reader, from dist/ ----
const { readRpmDb } = await import(pathToFileURL(path.join(repo, 'dist/collect/linux/rpm/index.js')).href);
const { TargetFs } = await import(pathToFileURL(path.join(repo, 'dist/target/fs.js')).href);
const ours = [];
let result;
for (let i = 0; i < RUNS; i++) {
  const s = performance.now();
  result = await readRpmDb(new TargetFs(root));
  ours.push(performance.now() - s);
}
const files = result.packages.reduce((n, p) => n + p.files.length, 0);
const best = Math.min(...ours);
console.log(
  `minehunter readRpmDb: ${result.packages.length} packages, ${files} files, ${result.errors.length} errors; ` +
    `best of ${RUNS}: ${best.toFixed(0)} ms (runs: ${ours.map((t) => t.toFixed(0)).join(', ')} ms) — target ≤ 1000 ms`,
);

// ---- rpm -qa on the same database ----
if (hasRpm) {
  const theirs = [];
  let listed = '';
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    listed = execFileSync('rpm', ['--root', root, '--dbpath', '/var/lib/rpm', '-qa'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    theirs.push(performance.now() - s);
  }
  const rpmBest = Math.min(...theirs);
  const a = listed.trim().split('\n').sort();
  const b = result.packages.map((p) => `${p.name}-${p.version}-${p.release}.${p.arch}`).sort();
  const same = a.length === b.length && a.every((x, i) => x === b[i]);
  console.log(`rpm -qa --dbpath: ${a.length} packages; best of ${RUNS}: ${rpmBest.toFixed(0)} ms`);
  console.log(
    `ratio minehunter/rpm: ${(best / rpmBest).toFixed(2)} (rpm -qa decodes only names; we decode every file)`,
  );
  console.log(`same package list: ${same ? 'yes' : 'NO'}`);
  if (!same) process.exitCode = 1;
} else {
  console.log('rpm not installed: no comparison (apt-get install rpm)');
}
if (process.argv.includes('--keep')) console.log(`kept ${root}`);
else rmSync(root, { recursive: true, force: true });
if (best > 1000) process.exitCode = 1;
