// End-to-end against the single executable (dist/minehunter-linux-x64, `npm run package`), not the
// checkout: it starts with an empty environment, finds the miner of a fixture root as the checkout
// does, writes reports, scans file contents with its cache, copes with a noexec /tmp, needs no glibc
// newer than 2.28 nor libstdc++ newer than GCC 8's, runs on Debian 11's, and refuses a planted
// NODE_OPTIONS. Builds the executable first when it is missing or older than its sources.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
/** Debian 11's C and C++ runtimes, unpacked by scripts/ensure-deps.sh. */
const OLD_USERLAND = '/var/cache/minehunter-tests/debian-11-runtime/root';
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

/** The native addons the executable unpacks under MINEHUNTER_TMP (a run unpacks them if none did). */
async function unpackedAddons(): Promise<string[]> {
  expect((await runBinary(['--version'], env)).code).toBe(0);
  const addons = readdirSync(path.join(tmp, 'unpack'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.node'))
    .map((e) => path.join(e.parentPath, e.name));
  expect(addons.map((f) => path.basename(f)).sort()).toEqual(
    expect.arrayContaining(['better_sqlite3.node', 'yara-x.node']),
  );
  return addons;
}

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

  it('does not report its own unpacked addons as libraries loaded from /tmp', async () => {
    // Unpacked under MINEHUNTER_TMP (in /tmp).
    const addons = await unpackedAddons();
    // They stay mapped through the scan, as in a scan worker that loaded YARA-X before the process
    // walk read the maps (a first run, slowed by unpacking, reported itself so).
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `for (const f of ${JSON.stringify(addons)}) process.dlopen({ exports: {} }, f);` +
          `console.log('mapped'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d: Buffer) => d.toString().includes('mapped') && resolve());
        holder.once('exit', (code) => reject(new Error(`the process mapping the addons exited (${code})`)));
      });
      const scan = json(
        await runBinary(['scan', '--no-content', '--format', 'json', '-q', '--fail-on', 'none'], env),
      );
      const naming = scan.findings.filter((f) =>
        f.evidence.some((e) => e.type === 'file' && addons.includes(e.path)),
      );
      expect(naming.map((f) => `${f.ruleId} ${f.level}`)).toEqual([]);
    } finally {
      holder.kill('SIGKILL');
    }
  }, 60_000);

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

  // The executable is for hosts with glibc 2.28 and GCC 8's libstdc++ and later (RHEL 8, Debian 10):
  // neither it nor an addon it unpacks may ask the host for a newer symbol version than those have.
  it.skipIf(spawnSync('objdump', ['--version'], { stdio: 'ignore' }).status !== 0)(
    'asks the host for nothing newer than glibc 2.28 and libstdc++ 3.4.25, in itself and in every addon it unpacks',
    async () => {
      const unpacked = await unpackedAddons();
      const floors = { GLIBC: [2, 28], GLIBCXX: [3, 4, 25], CXXABI: [1, 3, 11] };
      for (const file of [BINARY, ...unpacked]) {
        const dumped = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
        for (const m of dumped.stdout.matchAll(/\((GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)*)\)/g)) {
          const floor = floors[m[1] as keyof typeof floors];
          const version = m[2]!.split('.').map(Number);
          const newer = floor.findIndex((n, i) => (version[i] ?? 0) !== n);
          const tooNew = newer >= 0 && (version[newer] ?? 0) > floor[newer]!;
          expect(tooNew, `${path.basename(file)} needs ${m[1]}_${m[2]}: ${m[0]}`).toBe(false);
        }
      }
    },
    30_000,
  );

  // The same, run for real: Debian 11's glibc 2.31 and GCC 10's libstdc++ (older than this machine's,
  // which the npm-built addons needed: glibc 2.34 and GLIBCXX_3.4.29), unpacked by ensure-deps.sh. The
  // executable runs in a chroot holding nothing else, and its three addons (YARA-X, SQLite, the
  // directory lister) must load there: a content scan finds the look-alike and keeps its cache.
  it.skipIf(
    process.getuid?.() !== 0 || !existsSync(path.join(OLD_USERLAND, 'lib', 'x86_64-linux-gnu', 'libc.so.6')),
  )(
    'runs on an older userland than it was built on: Debian 11 (glibc 2.31) in a chroot',
    async () => {
      const release = await acquireHostLock();
      const root = await mkdtemp(path.join(os.tmpdir(), 'minehunter-debian-11-'));
      try {
        await cp(OLD_USERLAND, root, { recursive: true, verbatimSymlinks: true });
        await copyFile(BINARY, path.join(root, 'minehunter'));
        for (const dir of ['tmp', 'home', 'data']) await mkdir(path.join(root, dir));
        const miner = await buildLookalike(path.join(root, 'data'));
        const inRoot = (args: string[]) =>
          runBinary(
            [root, '/minehunter', ...args],
            { HOME: '/home', MINEHUNTER_TMP: '/tmp' },
            '/usr/sbin/chroot',
          );
        const version = await inRoot(['--version']);
        expect(version.stderr).toBe('');
        expect(version.stdout.trim()).toBe(VERSION);
        const args = ['scan', '--path', '/data', '--format', 'json', '-q', '--cache', '/home/cache.sqlite'];
        const first = json(await inRoot(args));
        const content = (r: ReportJson) =>
          (r.collection as { collector: string; status: string; note?: string; errors?: unknown[] }[]).find(
            (c) => c.collector === 'content.scan',
          );
        expect(content(first), JSON.stringify(content(first))).toMatchObject({ status: 'ok' });
        const inside = '/' + path.relative(root, miner);
        expect(
          first.findings.filter((f) => f.evidence.some((e) => e.type === 'file' && e.path === inside)),
        ).not.toEqual([]);
        const second = json(await inRoot(args));
        expect(content(second)?.note).toMatch(/[1-9]\d* from cache/);
      } finally {
        await rm(root, { recursive: true, force: true });
        await release();
      }
    },
    240_000,
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
