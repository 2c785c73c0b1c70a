// End-to-end against the single executable (dist/minehunter-linux-x64, `npm run package`), not the
// checkout: it starts with an empty environment, finds the miner of a fixture root as the checkout
// does, writes reports, scans file contents with its cache, copes with a noexec /tmp, needs no glibc
// newer than 2.28 and refuses a planted NODE_OPTIONS. Builds the executable first when it is missing
// or older than its sources.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, SERIOUS, cliEnv, ensureBuilt, runCliJson, type ReportJson } from '../helpers/cli.js';
import { acquireHostLock, buildLookalike } from '../helpers/lookalike.js';

const execFileP = promisify(execFile);
const BINARY = path.join(REPO_ROOT, 'dist', 'minehunter-linux-x64');
const MINER_ROOT = path.join(REPO_ROOT, 'test', 'fixtures', 'roots', 'miner-host');
const CLEAN_ROOT = path.join(REPO_ROOT, 'test', 'fixtures', 'roots', 'clean-host');
const VERSION = (
  JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the executable with exactly `env` (nothing inherited), as `env -i` does. */
function runBinary(args: string[], env: NodeJS.ProcessEnv = {}, binary = BINARY): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

function json(run: Run): ReportJson {
  try {
    return JSON.parse(run.stdout) as ReportJson;
  } catch {
    throw new Error(
      `no JSON report (exit ${run.code})\nstderr:\n${run.stderr}\nstdout:\n${run.stdout.slice(0, 2000)}`,
    );
  }
}

/**
 * The newest file the executable is built from: sources, rules, IOCs, keys, the packaging script.
 * Not dist/: `npm test` rebuilds it (new times, same code) after CI ran `npm run package`.
 */
function newestSource(): number {
  let newest = 0;
  for (const name of ['src', 'rules', 'iocs', 'keys', 'native', 'package.json', 'scripts/package.mjs']) {
    const top = path.join(REPO_ROOT, name);
    if (!existsSync(top)) continue;
    const files = statSync(top).isDirectory()
      ? readdirSync(top, { withFileTypes: true, recursive: true })
          .filter((e) => e.isFile() && !e.name.endsWith('.test.ts'))
          .map((e) => path.join(e.parentPath, e.name))
      : [top];
    for (const file of files) newest = Math.max(newest, statSync(file).mtimeMs);
  }
  return newest;
}

let tmp: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  await ensureBuilt();
  if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < newestSource()) {
    console.warn('binary: building dist/minehunter-linux-x64 (node scripts/package.mjs)');
    await execFileP(process.execPath, [path.join(REPO_ROOT, 'scripts', 'package.mjs')], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
    });
  }
  tmp = await mkdtemp(path.join(os.tmpdir(), 'minehunter-binary-'));
  // The isolated HOME of the e2e tests, a private unpack directory and a private scan cache.
  const base = await cliEnv();
  env = {
    HOME: base.HOME,
    XDG_CONFIG_HOME: base.XDG_CONFIG_HOME,
    XDG_CACHE_HOME: path.join(tmp, 'cache'),
    MINEHUNTER_TMP: path.join(tmp, 'unpack'),
  };
}, 240_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the single executable', () => {
  it('starts with an empty environment and prints its version', async () => {
    const unpacked = readdirSync(os.tmpdir()).filter((n) => /^minehunter-\d+-[0-9a-f]{16}$/.test(n));
    const times: number[] = [];
    let last: Run | undefined;
    for (let i = 0; i < 5; i++) {
      last = await runBinary(['--version']);
      times.push(last.ms);
    }
    expect(last!.code, last!.stderr).toBe(0);
    expect(last!.stdout.trim()).toBe(VERSION);
    expect(last!.stderr).toBe('');
    const median = [...times].sort((a, b) => a - b)[2]!;
    console.log(
      `binary: ${(statSync(BINARY).size / 2 ** 20).toFixed(1)} MiB; --version median of 5: ` +
        `${median.toFixed(0)} ms (runs: ${times.map((t) => t.toFixed(0)).join(', ')})`,
    );
    // What the runs unpacked into /tmp (with nothing set) goes again unless it was there before.
    for (const name of readdirSync(os.tmpdir()))
      if (/^minehunter-\d+-[0-9a-f]{16}$/.test(name) && !unpacked.includes(name))
        await rm(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }, 60_000);

  it('finds the miner of a fixture root with the verdict the checkout gives', async () => {
    const args = ['scan', '--root', MINER_ROOT, '--format', 'json', '-q', '--no-cache'];
    const [binary, checkout] = await Promise.all([runBinary(args, env), runCliJson(args)]);
    const report = json(binary);
    expect(binary.code).toBe(1);
    expect(report.verdict.status).toBe('infected');
    expect(report.verdict).toEqual(checkout.json.verdict);
    const rules = (r: ReportJson) => r.findings.map((f) => `${f.level} ${f.ruleId}`).sort();
    expect(rules(report)).toEqual(rules(checkout.json));
  }, 60_000);

  it('gives no serious finding on a clean root', async () => {
    const run = await runBinary(['scan', '--root', CLEAN_ROOT, '--format', 'json', '-q', '--no-cache'], env);
    const serious = json(run).findings.filter((f) => SERIOUS.includes(f.level));
    expect(serious.map((f) => f.ruleId)).toEqual([]);
    expect(run.code).toBe(0);
  }, 60_000);

  it('writes the HTML report, and the PDF one where Chromium exists', async () => {
    const html = path.join(tmp, 'report.html');
    const run = await runBinary(['report', '--root', MINER_ROOT, '--format', 'html', '-o', html, '-q'], env);
    expect(run.code, run.stderr).not.toBe(3);
    expect(await readFile(html, 'utf8')).toMatch(/<html[\s\S]*xmrig/i);
    const pdf = path.join(tmp, 'report.pdf');
    const printed = await runBinary(
      ['report', '--root', MINER_ROOT, '--format', 'pdf', '-o', pdf, '-q'],
      env,
    );
    if (existsSync('/usr/bin/chromium'))
      expect((await readFile(pdf)).subarray(0, 5).toString()).toBe('%PDF-');
    else expect(printed.stderr).toContain('--format html');
  }, 90_000);

  it('scans file contents with YARA-X in its workers, not itself, and keeps the SQLite cache', async () => {
    const release = await acquireHostLock();
    const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-binary-content-'));
    try {
      const miner = await buildLookalike(dir);
      const cache = path.join(tmp, 'content.sqlite');
      const args = ['scan', '--path', dir, '--format', 'json', '-q', '--cache', cache];
      // Run from inside the scanned directory: it carries the rules and would match them.
      const copy = path.join(dir, 'minehunter-linux-x64');
      await copyFile(BINARY, copy);
      const first = json(await runBinary(args, env, copy));
      const on = (file: string) =>
        first.findings.filter((f) => f.evidence.some((e) => e.type === 'file' && e.path === file));
      expect(on(miner).map((f) => f.ruleId)).not.toEqual([]);
      expect(on(copy).map((f) => f.ruleId)).toEqual([]);
      const second = await runBinary(args, env, copy);
      const note = (r: ReportJson) =>
        (r.collection as { collector: string; note?: string }[]).find((c) => c.collector === 'content.scan')
          ?.note;
      expect(note(json(second))).toMatch(/[1-9]\d* from cache/);
      expect(json(second).verdict).toEqual(first.verdict);
    } finally {
      await rm(dir, { recursive: true, force: true });
      await release();
    }
    // The host lock may be held for minutes by another test file's look-alikes.
  }, 240_000);

  it.skipIf(process.getuid?.() !== 0 || !existsSync('/usr/bin/unshare'))(
    'works with /tmp mounted noexec, or names the variable to set',
    async () => {
      // A private mount namespace: a noexec tmpfs on /tmp, an exec one on /mnt for the fallback HOME.
      // The checkout may itself live under /tmp (a CI clone), which the noexec tmpfs hides: it is
      // bind-mounted at /mnt/repo first, inside the private mount namespace, and used from there.
      const checkout = path.resolve(REPO_ROOT);
      const inRepo = (p: string) => p.split(checkout).join('/mnt/repo');
      const inNamespace = (home: string, args: string): Promise<Omit<Run, 'ms'>> =>
        execFileP('unshare', [
          '-m',
          'sh',
          '-c',
          `mount -t tmpfs tmpfs /mnt && mkdir /mnt/repo && mount --bind '${checkout}' /mnt/repo && ` +
            `mount -t tmpfs -o noexec tmpfs /tmp && mkdir -p ${home} && ` +
            `cd / && exec env -i HOME=${home} '${inRepo(BINARY)}' ${inRepo(args)}`,
        ]).then(
          ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
          (e: Omit<Run, 'ms'>) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
        );
      const scan = await inNamespace('/mnt/home', `scan --root '${MINER_ROOT}' --format json -q --no-cache`);
      expect(scan.stderr).toContain('noexec');
      expect(scan.stderr).toContain('MINEHUNTER_TMP');
      expect(scan.code).toBe(1);
      expect((JSON.parse(scan.stdout) as ReportJson).verdict.status).toBe('infected');
      const nowhere = await inNamespace('/tmp/home', '--version');
      expect(nowhere.code).toBe(2);
      expect(nowhere.stderr).toMatch(/Set MINEHUNTER_TMP to a writable directory/);
    },
    60_000,
  );

  // The executable is for hosts with glibc 2.28 and later (RHEL 8, Debian 10): neither it nor an
  // addon it unpacks may ask the host's C library for a newer symbol version than 2.28 had.
  it.skipIf(spawnSync('objdump', ['--version'], { stdio: 'ignore' }).status !== 0)(
    'asks the host for nothing newer than glibc 2.28, in itself and in every addon it unpacks',
    async () => {
      expect((await runBinary(['--version'], env)).code).toBe(0);
      const unpacked = readdirSync(path.join(tmp, 'unpack'), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.node'))
        .map((e) => path.join(e.parentPath, e.name));
      expect(unpacked.map((f) => path.basename(f)).sort()).toEqual(
        expect.arrayContaining(['better_sqlite3.node', 'yara-x.node']),
      );
      const newest = (file: string): string => {
        const dumped = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
        const versions = [...dumped.stdout.matchAll(/\(GLIBC_(\d+)\.(\d+)/g)].map(
          (m) => Number(m[1]) * 1000 + Number(m[2]),
        );
        const top = Math.max(...versions);
        return `${Math.floor(top / 1000)}.${top % 1000}`;
      };
      const needs = Object.fromEntries([BINARY, ...unpacked].map((f) => [path.basename(f), newest(f)]));
      for (const [file, version] of Object.entries(needs))
        expect(Number(version.split('.')[1]), `${file} needs glibc ${version}`).toBeLessThanOrEqual(28);
    },
    30_000,
  );

  it('refuses to run with NODE_OPTIONS set, and never runs its preload', async () => {
    const marker = path.join(tmp, 'preloaded');
    const preload = path.join(tmp, 'x.cjs');
    await writeFile(preload, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const run = await runBinary(['scan', '--root', CLEAN_ROOT], {
      ...env,
      NODE_OPTIONS: `--require=${preload}`,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('NODE_OPTIONS');
    expect(run.stderr).toContain('环境变量 NODE_OPTIONS');
    expect(run.stdout).toBe('');
    expect(existsSync(marker)).toBe(false);
  }, 30_000);
});
