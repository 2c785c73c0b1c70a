// End-to-end: a real preload rootkit of our own (test/lookalike/preload-hider.c) hides the running
// look-alike miner from readdir inside a private mount namespace where /etc/ld.so.preload names it.
// `minehunter scan` there reports the preload entry, the library with its hash and hooked calls, and
// the hidden PID with exe and argv, as kind `preload`; the same host outside the namespace is clean
// of it. The host's real /etc/ld.so.preload is never written: an overlay and a bind mount exist only
// inside the namespace, and both go away with it.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import {
  CLI_PATH,
  describeFinding,
  ensureBuilt,
  processEvidence,
  runCliJson,
  startedByTestRun,
  type ReportJson,
} from '../helpers/cli.js';
import {
  FAKE_WALLET,
  acquireHostLock,
  buildLookalike,
  makeTempDir,
  startLookalike,
  waitForCpu,
  type Lookalike,
} from '../helpers/lookalike.js';
import { startStratumPool, type StratumPool } from '../helpers/stratum-pool.js';

const execFileP = promisify(execFile);
const HIDER_SOURCE = fileURLToPath(new URL('../lookalike/preload-hider.c', import.meta.url));
/** The look-alike's comm (set from argv[0] "[mhhidden]"), which the hider hides. */
const HIDDEN_COMM = 'mhhidden';
const LIB_NAME = 'libmh-hider.so';

let release: (() => Promise<void>) | undefined;
let dir: string | undefined;
let pool: StratumPool | undefined;
let lookalike: Lookalike | undefined;
let binary = '';
let library = '';
let librarySha = '';
let inside: ReportJson;
let outside: ReportJson;

/** Runs `minehunter scan --format json` in a private mount namespace with /etc/ld.so.preload naming the hider. */
async function scanWithPreload(work: string): Promise<ReportJson> {
  const upper = path.join(work, 'upper');
  const overlayWork = path.join(work, 'overlay-work');
  const list = path.join(work, 'ld.so.preload');
  await mkdir(upper, { recursive: true });
  await mkdir(overlayWork, { recursive: true });
  // The mount point the bind needs: created in the overlay's upper directory, never in the real /etc.
  await writeFile(path.join(upper, 'ld.so.preload'), '');
  await writeFile(list, `${library}\n`);
  const home = path.join(work, 'home');
  await mkdir(home, { recursive: true });
  const script = [
    'set -e',
    `mount -t overlay overlay -o lowerdir=/etc,upperdir="$1",workdir="$2" /etc`,
    'mount --bind "$3" /etc/ld.so.preload',
    'exec "$4" "$5" scan --format json --fail-on none',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        upper,
        overlayWork,
        list,
        process.execPath,
        CLI_PATH,
      ],
      {
        env: { ...process.env, HOME: home, XDG_CONFIG_HOME: path.join(home, '.config') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const started = Date.now();
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout) as ReportJson);
      } catch (cause) {
        reject(
          new Error(
            `scan in the namespace exited ${code} after ${Date.now() - started} ms without JSON\nstderr:\n${stderr}\nstdout:\n${stdout.slice(0, 500)}`,
            { cause },
          ),
        );
      }
    });
  });
}

beforeAll(async () => {
  if (existsSync('/etc/ld.so.preload')) {
    throw new Error(
      '/etc/ld.so.preload already exists on this host: this test only bind-mounts over a missing one ' +
        'inside a private namespace and will not touch a real one. Inspect it (it may be the very thing minehunter hunts).',
    );
  }
  await ensureBuilt();
  release = await acquireHostLock();
  dir = await makeTempDir('minehunter-preload-');
  binary = await buildLookalike(dir);
  library = path.join(dir, 'lib', LIB_NAME);
  await mkdir(path.dirname(library), { recursive: true });
  await execFileP('cc', [
    '-shared',
    '-fPIC',
    '-O1',
    '-Wall',
    `-DHIDE_NAME="${HIDDEN_COMM}"`,
    `-DHIDE_FILE="${LIB_NAME}"`,
    '-o',
    library,
    HIDER_SOURCE,
    '-ldl',
  ]);
  librarySha = createHash('sha256')
    .update(await readFile(library))
    .digest('hex');
  pool = await startStratumPool();
  lookalike = startLookalike({ binary, argv0: `[${HIDDEN_COMM}]`, poolPort: pool.port, seconds: 120 });
  await pool.waitForLogin((l) => l.login === FAKE_WALLET);
  await lookalike.running;
  await waitForCpu(lookalike.pid, 1);
  inside = await scanWithPreload(dir);
  outside = (await runCliJson(['scan', '--format', 'json', '--fail-on', 'none'])).json;
}, 300_000);

afterAll(async () => {
  await lookalike?.stop();
  await pool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

function listing(report: ReportJson): string {
  return report.findings.map(describeFinding).join('\n');
}

function byRule(report: ReportJson, ruleId: string): Finding[] {
  return report.findings.filter((f) => f.ruleId === ruleId || f.signals.some((s) => s.ruleId === ruleId));
}

describe('a preload rootkit hiding the look-alike miner', () => {
  it('never touched the real /etc/ld.so.preload', () => {
    expect(existsSync('/etc/ld.so.preload')).toBe(false);
  });

  it('reports the /etc/ld.so.preload entry and the library with its sha256 and the libc calls it overrides', () => {
    const [finding] = byRule(inside, 'ld-so-preload');
    expect(finding, listing(inside)).toBeDefined();
    expect(finding!.kind).toBe('preload');
    expect(finding!.level).toBe('critical');
    expect(finding!.evidence).toContainEqual({ type: 'match', field: 'ld.so.preload entry', value: library });
    expect(finding!.evidence).toContainEqual({ type: 'file', path: library, sha256: librarySha });
    expect(finding!.evidence).toContainEqual({
      type: 'match',
      field: 'overrides',
      value: 'readdir, readdir64',
      ioc: 'libc functions it replaces',
    });
    expect(finding!.remediate).toContainEqual({
      type: 'restore-ld-preload',
      path: '/etc/ld.so.preload',
      remove: [library],
    });
    // The hider also drops "ld.so.preload" from find's listing of /etc, which minehunter notices.
    expect(finding!.signals.map((s) => s.ruleId)).toContain('hidden-file');
  });

  it('reports the hidden PID with its exe and argv, as kind preload', () => {
    const hidden = byRule(inside, 'hidden-process').filter((f) =>
      processEvidence(f).some((e) => e.pid === lookalike!.pid),
    );
    expect(hidden, listing(inside)).toHaveLength(1);
    const finding = hidden[0]!;
    expect(finding.kind).toBe('preload');
    expect(finding.level).toBe('critical');
    const proc = processEvidence(finding).find((e) => e.pid === lookalike!.pid)!;
    expect(proc.exe).toBe(binary);
    expect(proc.argv).toEqual(lookalike!.argv);
    expect(finding.evidence).toContainEqual({
      type: 'match',
      field: 'missing from',
      value: 'ps',
      ioc: 'PID probe vs listings',
    });
    expect(inside.verdict.kinds.map((k) => k.kind)).toContain('preload');
  });

  it("reports the library mapped into minehunter's own process and hidden from find", () => {
    const [finding] = byRule(inside, 'odd-shared-object').filter((f) =>
      f.evidence.some((e) => e.type === 'file' && e.path === library),
    );
    expect(finding, listing(inside)).toBeDefined();
    expect(finding!.signals.map((s) => s.ruleId)).toContain('hidden-file');
    expect(finding!.remediate).toContainEqual({ type: 'quarantine-file', path: library });
  });

  it('finds nothing of the kind outside the namespace, where nothing is preloaded', () => {
    // Content rules of other test files may match preload samples on disk; only the live signs count
    // here. Look-alikes other test files start are left out (startedByTestRun); the test runner's own
    // processes are judged like any other, so a preload sign on one of them fails this test.
    const hostOnly = (list: Finding[]): Finding[] =>
      list.filter((f) => !startedByTestRun(f, [lookalike!.pid]));
    const preloadFindings = hostOnly(
      outside.findings.filter((f) => f.kind === 'preload' && f.ruleId !== 'content-match'),
    );
    expect(preloadFindings.map(describeFinding)).toEqual([]);
    for (const rule of ['ld-so-preload', 'hidden-process', 'hidden-file', 'odd-shared-object']) {
      expect(hostOnly(byRule(outside, rule)).map(describeFinding), rule).toEqual([]);
    }
    // The look-alike itself is still found as what it is, a miner.
    const miner = outside.findings.filter((f) => processEvidence(f).some((e) => e.pid === lookalike!.pid));
    expect(
      miner.map((f) => f.kind),
      listing(outside),
    ).toContain('open-source-miner');
  });
});
