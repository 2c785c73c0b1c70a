// Runs the built CLI the way a user does (`./minehunter` runs the bundle, dist/bundle/cli/main.js;
// MINEHUNTER_TEST_CLI=dist runs dist/cli/main.js instead) and captures its stdout, stderr, exit code
// and parsed JSON, with the user's own config kept out so a personal allowlist cannot leak in.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, readlinkSync, watch } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Evidence, Finding, Level } from '../../src/model/finding.js';

const execFileP = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** What tsc builds; scripts/bundle.mjs bundles it into BUNDLE_PATH, which ./minehunter runs. */
export const DIST_CLI_PATH = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');
export const BUNDLE_PATH = path.join(REPO_ROOT, 'dist', 'bundle', 'cli', 'main.js');
export const CLI_PATH = process.env.MINEHUNTER_TEST_CLI === 'dist' ? DIST_CLI_PATH : BUNDLE_PATH;

/** The JSON report as the CLI contract documents it (schemaVersion 1). */
export interface ReportJson {
  schemaVersion: number;
  tool: { name: string; version: string };
  generatedAt: string;
  target: unknown;
  host: unknown;
  verdict: {
    status: 'infected' | 'suspicious' | 'clean' | 'incomplete';
    kinds: { kind: string; confidence: unknown; findingCount: number }[];
  };
  summary: Partial<Record<Level, number>>;
  findings: Finding[];
  skipped: { ruleId: string; missing: string[] }[];
  collection: unknown[];
}

export interface CliResult {
  /** null when the CLI was killed by a signal (e.g. the timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface CliOptions {
  /** The entry point run (default CLI_PATH). */
  cli?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

let isolatedHome: Promise<string> | undefined;

/**
 * An empty HOME/XDG_CONFIG_HOME so the per-user default allowlist of whoever runs the tests is not
 * read. One fixed directory per user, reused, because vitest may end workers without an 'exit' event.
 */
function home(): Promise<string> {
  isolatedHome ??= (async () => {
    const dir = path.join(os.tmpdir(), `minehunter-test-home-${process.getuid?.() ?? 'user'}`);
    await mkdir(path.join(dir, '.config'), { recursive: true, mode: 0o700 });
    return dir;
  })();
  return isolatedHome;
}

/** The environment every CLI run of the tests gets: the isolated HOME and config directory. */
export async function cliEnv(): Promise<NodeJS.ProcessEnv> {
  const dir = await home();
  return { ...process.env, HOME: dir, XDG_CONFIG_HOME: path.join(dir, '.config') };
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const env = { ...(await cliEnv()), ...options.env };
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [options.cli ?? CLI_PATH, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: performance.now() - t0 });
    });
  });
}

/** Runs the CLI and parses stdout as the JSON report; the error names the exit code and stderr. */
export async function runCliJson(
  args: string[],
  options: CliOptions = {},
): Promise<CliResult & { json: ReportJson }> {
  const result = await runCli(args, options);
  try {
    return { ...result, json: JSON.parse(result.stdout) as ReportJson };
  } catch (cause) {
    throw new Error(
      `minehunter ${args.join(' ')} exited ${result.code ?? result.signal} without a JSON report\n` +
        `stderr:\n${result.stderr}\nstdout (first 2000 chars):\n${result.stdout.slice(0, 2000)}`,
      { cause },
    );
  }
}

async function newestSource(dir: string): Promise<{ file: string; mtimeMs: number }> {
  let newest = { file: '', mtimeMs: 0 };
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    const file = path.join(entry.parentPath, entry.name);
    const { mtimeMs } = await stat(file);
    if (mtimeMs > newest.mtimeMs) newest = { file, mtimeMs };
  }
  return newest;
}

const BUILD_LOCK = path.join(
  os.tmpdir(),
  `minehunter-build-${createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12)}.lock`,
);

/**
 * Makes sure dist/ is built from the current src/: `npm test` builds before vitest, but a developer
 * running `npx vitest run` after an edit would otherwise test stale code. Builds under a lock so two
 * parallel test files never write dist/ at once.
 */
export async function ensureBuilt(): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await mkdir(BUILD_LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const age = Date.now() - ((await stat(BUILD_LOCK).catch(() => null))?.mtimeMs ?? Date.now());
      if (age > 120_000) await rm(BUILD_LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`build lock ${BUILD_LOCK} held for too long`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    const src = await newestSource(path.join(REPO_ROOT, 'src'));
    const built = existsSync(CLI_PATH) ? (await stat(CLI_PATH)).mtimeMs : 0;
    if (built >= src.mtimeMs) return;
    const why =
      built === 0 ? `${CLI_PATH} is missing` : `${path.relative(REPO_ROOT, src.file)} is newer than dist/`;
    console.warn(`e2e: ${why}; running npm run build`);
    try {
      await execFileP(
        process.execPath,
        [path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
        {
          cwd: REPO_ROOT,
        },
      );
    } catch (cause) {
      const out = (cause as { stdout?: string }).stdout ?? '';
      // tsc still emits on type errors; the e2e tests can run, and `npm run typecheck` reports them.
      if (!existsSync(DIST_CLI_PATH))
        throw new Error(`build failed and produced no ${DIST_CLI_PATH}:\n${out}`, { cause });
      console.warn(
        `e2e: build reported type errors (tests run against what it emitted):\n${out.slice(0, 3000)}`,
      );
    }
    await execFileP(process.execPath, [path.join(REPO_ROOT, 'scripts', 'bundle.mjs')], { cwd: REPO_ROOT });
  } finally {
    await rm(BUILD_LOCK, { recursive: true, force: true });
  }
}

/** Levels at which a finding counts as serious for these tests. */
export const SERIOUS: readonly Level[] = ['critical', 'high'];

export function processEvidence(finding: Finding): Extract<Evidence, { type: 'process' }>[] {
  return finding.evidence.filter((e): e is Extract<Evidence, { type: 'process' }> => e.type === 'process');
}

export function socketEvidence(finding: Finding): Extract<Evidence, { type: 'socket' }>[] {
  return finding.evidence.filter((e): e is Extract<Evidence, { type: 'socket' }> => e.type === 'socket');
}

/** The findings whose evidence names this pid. */
export function findingsForPid(report: ReportJson, pid: number): Finding[] {
  return report.findings.filter((f) => processEvidence(f).some((e) => e.pid === pid));
}

/** One line per finding for failure messages and CI logs. */
export function describeFinding(f: Finding): string {
  const procs = processEvidence(f)
    .map((e) => `pid ${e.pid} ${e.exe ?? '?'} ${JSON.stringify(e.argv)}`)
    .join('; ');
  return `[${f.level}] ${f.ruleId}${f.kind ? ` (${f.kind})` : ''}: ${f.message.en}${procs ? ` — ${procs}` : ''}${
    f.allowed ? ` (allowed by ${f.allowed.by})` : ''
  }`;
}

// ---------------------------------------------------------------------------------------------------
// What the test suite deliberately puts on this host, told apart from the host itself.
//
// A scan of "this host" during the tests also sees the test runner: vitest's main process and its
// workers (node processes holding YARA rule text and miner strings in memory, often busy), the CLI
// runs of other test files, `npm`/`sh` parents, tsx's and vitest's transpile caches. All of that is
// what an administrator's own machine looks like while they use node, so it is judged like the host.
// Only two things are set aside, recognised by what they are, not merely by descending from vitest:
//   - look-alike processes other test files start on purpose: their executable is a program the
//     tests compile into one of their temp directories (test/lookalike/*.c built by
//     test/helpers/lookalike.ts and the e2e files), or the memory file test/lookalike/memfd-launcher.c
//     runs them from; and, besides, they run under a vitest process;
//   - files in those temp directories, <tmp>/minehunter-<purpose>-XXXXXX (makeTempDir, mkdtemp).
// ---------------------------------------------------------------------------------------------------

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Temp entries that share the prefix but hold no fixture: the isolated HOME and the lock dirs. */
const NOT_FIXTURE_DIRS = [
  /^minehunter-test-home-/,
  /^minehunter-build-[0-9a-f]+\.lock$/,
  /^minehunter-e2e-host\.lock$/,
];

/** True for the name of a temp directory a test file made for its fixtures (under os.tmpdir()). */
export function isFixtureDirName(name: string): boolean {
  if (!name.startsWith('minehunter-') || NOT_FIXTURE_DIRS.some((re) => re.test(name))) return false;
  // A checkout cloned to <tmp>/minehunter-… is the code under test, not a fixture.
  const dir = path.join(os.tmpdir(), name);
  return REPO_ROOT !== `${dir}/` && !REPO_ROOT.startsWith(`${dir}/`);
}

/** The test files' fixture temp directory that holds `p`, or undefined. */
export function fixtureDirOf(p: string): string | undefined {
  const tmp = os.tmpdir();
  if (!p.startsWith(`${tmp}/`)) return undefined;
  const name = p.slice(tmp.length + 1).split('/')[0]!;
  return isFixtureDirName(name) ? path.join(tmp, name) : undefined;
}

/** The fixture temp directories present now. */
function fixtureDirsNow(): string[] {
  try {
    return readdirSync(os.tmpdir())
      .filter(isFixtureDirName)
      .map((name) => path.join(os.tmpdir(), name));
  } catch {
    return [];
  }
}

/** memfd-launcher.c names its memory file "kworker": /proc/PID/exe reads "/memfd:kworker (deleted)". */
const LAUNCHER_MEMFD = '/memfd:kworker';

const withoutDeleted = (exe: string): string => exe.replace(/ \(deleted\)$/, '');

function readlinkOr(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch {
    return undefined;
  }
}

interface Mount {
  dev: string;
  /** The directory of the filesystem that is mounted. */
  root: string;
  mountPoint: string;
}

function mounts(pid: number | 'self'): Mount[] {
  const unescape = (s: string): string =>
    s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  try {
    return readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const f = line.split(' ');
        return { dev: f[2]!, root: unescape(f[3]!), mountPoint: unescape(f[4]!) };
      });
  } catch {
    return [];
  }
}

let ownMountNs: string | undefined;

const within = (p: string, dir: string): boolean => dir === '/' || p === dir || p.startsWith(`${dir}/`);

/**
 * Where a path that process `pid` sees lies in this process's view of the filesystems. A test that
 * runs a look-alike in a private mount namespace (e.g. its temp dir bind-mounted on /root) shows it
 * to /proc readers under the namespace's name, /root/bin/…; this finds its real place,
 * <tmp>/minehunter-…/home/bin/…, through the two mount tables.
 */
export function hostPathOf(pid: number, p: string): string | undefined {
  ownMountNs ??= readlinkOr('/proc/self/ns/mnt');
  if (readlinkOr(`/proc/${pid}/ns/mnt`) === ownMountNs) return p;
  // The mount that holds p in its namespace: the deepest mount point; of equal ones, the last mounted.
  let theirs: Mount | undefined;
  for (const m of mounts(pid))
    if (within(p, m.mountPoint) && m.mountPoint.length >= (theirs?.mountPoint.length ?? -1)) theirs = m;
  if (!theirs) return undefined;
  const inFs = path.posix.join(theirs.root, path.posix.relative(theirs.mountPoint, p));
  // Where this namespace shows that filesystem's directory: a mount of the same device whose root holds it.
  let ours: Mount | undefined;
  for (const m of mounts('self'))
    if (m.dev === theirs.dev && within(inFs, m.root) && m.root.length >= (ours?.root.length ?? -1)) ours = m;
  return ours && path.posix.join(ours.mountPoint, path.posix.relative(ours.root, inFs));
}

function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** An argument of a vitest main process or worker: its entry script or a file of the package. */
const VITEST = /(?:^|\/)(?:vitest\.mjs|node_modules\/vitest\/|\.bin\/vitest$)/;

/**
 * The nearest vitest process above `pid` (this run's main process, or another run's main process
 * or worker), or undefined. Under vitest's default `forks` pool this worker's parent is the vitest
 * main process.
 */
function vitestAncestor(pid: number): number | undefined {
  let current = parentPid(pid);
  for (let hops = 0; current !== undefined && current > 1 && hops < 64; hops++) {
    if (current === process.ppid || argvOf(current).some((a) => VITEST.test(a))) return current;
    current = parentPid(current);
  }
  return undefined;
}

/** A look-alike process a test file started on purpose, and why it is one. */
export interface FixtureProcess {
  pid: number;
  /** /proc/PID/exe without " (deleted)", as the scan's process evidence records it. */
  exe: string;
  why: string;
}

/**
 * Reads /proc now: is `pid` a look-alike some test file started on purpose? Its executable must be a
 * program compiled into a fixture temp dir (deleted or not, through its mount namespace) or the
 * memfd-launcher's memory file, and it must run under a vitest process. A node process, the vitest
 * runner or its workers never are: their executable is node.
 */
export function fixtureProcess(pid: number): FixtureProcess | undefined {
  const link = readlinkOr(`/proc/${pid}/exe`);
  if (link === undefined) return undefined;
  const exe = withoutDeleted(link);
  let what: string | undefined;
  if (exe === LAUNCHER_MEMFD) what = 'runs from the memory file of test/lookalike/memfd-launcher.c';
  else {
    const real = hostPathOf(pid, exe);
    const dir = real === undefined ? undefined : fixtureDirOf(real);
    if (dir) what = `runs ${real} from the fixture dir ${dir}`;
  }
  if (!what) return undefined;
  const vitest = vitestAncestor(pid);
  if (vitest !== undefined) return { pid, exe, why: `${what}, under vitest pid ${vitest}` };
  // A container's processes run under its conmon, which podman hands to init: no vitest above them.
  const container = testContainerOf(pid);
  return container === undefined ? undefined : { pid, exe, why: `${what}, in test container ${container}` };
}

/** Containers the tests start are named so (test/helpers/podman.ts): `mh-test-miner`. */
const TEST_CONTAINER = /^mh-test-[\w.-]*$/;
/** A path the content scan shows inside such a container: `mh-test-miner:/usr/local/bin/x`. */
const IN_TEST_CONTAINER = /^mh-test-[\w.-]*:(\/.*)$/;

/**
 * The test container `pid` runs in, by the name its conmon was started with (`conmon … -n NAME`), or
 * undefined. Only a container whose name the tests use counts, and only together with an executable
 * in a fixture dir (fixtureProcess): its storage lives in one.
 */
function testContainerOf(pid: number): string | undefined {
  let current = parentPid(pid);
  for (let hops = 0; current !== undefined && current > 1 && hops < 64; hops++) {
    const argv = argvOf(current);
    if (/(?:^|\/)conmon$/.test(argv[0] ?? '')) {
      const name = argv[argv.indexOf('-n') + 1];
      return argv.includes('-n') && name !== undefined && TEST_CONTAINER.test(name) ? name : undefined;
    }
    current = parentPid(current);
  }
  return undefined;
}

/** What a watch saw of other test files' fixtures while it ran. */
export interface FixtureSightings {
  /** Fixture temp dirs that existed at some moment of the watch (seen listed, created or removed). */
  dirs: Set<string>;
  /** Look-alike processes seen running during the watch, by pid. */
  processes: Map<number, FixtureProcess>;
}

/** True when nothing of another test file's fixtures was on the host while the watch ran. */
export function quiet(seen: FixtureSightings): boolean {
  return seen.dirs.size === 0 && seen.processes.size === 0;
}

function pidsNow(): number[] {
  try {
    return readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
}

/** Adds the fixture temp dirs and look-alike processes present now to `seen`. */
function lookForFixtures(seen: FixtureSightings): FixtureSightings {
  for (const dir of fixtureDirsNow()) seen.dirs.add(dir);
  for (const pid of pidsNow()) {
    if (seen.processes.has(pid) || pid === process.pid) continue;
    const fixture = fixtureProcess(pid);
    if (fixture) seen.processes.set(pid, fixture);
  }
  return seen;
}

/** The fixtures of other test files on the host at this moment. */
export function fixturesNow(): FixtureSightings {
  return lookForFixtures({ dirs: new Set(), processes: new Map() });
}

/**
 * Watches, from outside the scan, for what other test files put on the host: fixture temp dirs
 * (listed every `intervalMs`, plus every one created or removed meanwhile, so a dir that lives
 * shorter than a tick is still seen) and look-alike processes (recorded while they run, so a
 * finding about one that exited before the assertion is still recognised). Start it before the scan,
 * stop it after.
 */
export function watchFixtures(intervalMs = 100): { stop(): FixtureSightings } {
  const seen: FixtureSightings = { dirs: new Set(), processes: new Map() };
  const watcher = watch(os.tmpdir(), (_event, name) => {
    if (typeof name === 'string' && isFixtureDirName(name)) seen.dirs.add(path.join(os.tmpdir(), name));
  });
  lookForFixtures(seen);
  const timer = setInterval(() => lookForFixtures(seen), intervalMs);
  return {
    stop() {
      clearInterval(timer);
      lookForFixtures(seen);
      watcher.close();
      return seen;
    },
  };
}

/** The look-alike a process evidence names, from the watch or, failing that, from /proc now. */
function fixtureFor(
  e: Extract<Evidence, { type: 'process' }>,
  seen: FixtureSightings | undefined,
): FixtureProcess | undefined {
  const fixture = seen?.processes.get(e.pid) ?? fixtureProcess(e.pid);
  // A process in a container the scan named: the name must be a test container's as well.
  if (e.container !== undefined && !TEST_CONTAINER.test(e.container.name ?? '')) return undefined;
  // Same pid, same executable: not a pid reused by something else since.
  return fixture && e.exe !== undefined && withoutDeleted(e.exe) === fixture.exe ? fixture : undefined;
}

/**
 * True when every process a finding names is a look-alike another test file started on purpose
 * (see fixtureProcess), other than the pids in `keep`, which the caller judges itself. The test
 * runner, its workers and every other process of the run are not: they are judged like the host.
 */
export function startedByTestRun(
  finding: Finding,
  keep: readonly number[] = [],
  seen?: FixtureSightings,
): boolean {
  const procs = processEvidence(finding);
  return procs.length > 0 && procs.every((e) => !keep.includes(e.pid) && fixtureFor(e, seen) !== undefined);
}

/**
 * True when a finding is only about files test files wrote into their fixture temp dirs (samples,
 * look-alike builds, corpora). The runner's own files, tsx's and vitest's caches of the project's
 * transpiled sources included, are judged like any other file on the host.
 */
export function writtenByTestSuite(finding: Finding): boolean {
  const files = finding.evidence.filter((e) => e.type === 'file');
  if (files.length === 0 || finding.evidence.some((e) => e.type === 'process')) return false;
  return files.every((e) => fixtureDirOf(e.path) !== undefined || IN_TEST_CONTAINER.test(e.path));
}

/**
 * Why a finding is only about deliberate fixtures of other test files, or undefined when it is
 * about this host. A process finding qualifies when every process it names is a look-alike
 * (startedByTestRun) and every file it names lies in a fixture dir or is one of those look-alikes'
 * executables; a file finding when every file lies in a fixture dir.
 */
export function fixtureReason(
  finding: Finding,
  keep: readonly number[] = [],
  seen?: FixtureSightings,
): string | undefined {
  if (writtenByTestSuite(finding)) {
    const dirs = new Set(
      finding.evidence.flatMap((e) =>
        e.type === 'file'
          ? [fixtureDirOf(e.path) ?? `test container ${e.path.slice(0, e.path.indexOf(':'))}`]
          : [],
      ),
    );
    return `files a test file wrote into ${[...dirs].join(', ')}`;
  }
  if (!startedByTestRun(finding, keep, seen)) return undefined;
  const fixtures = processEvidence(finding).map((e) => fixtureFor(e, seen)!);
  const exes = new Set(fixtures.map((f) => f.exe));
  // A test container's executable is shown under its name: `mh-test-miner:/usr/local/bin/x`.
  const inside = (p: string): string => IN_TEST_CONTAINER.exec(p)?.[1] ?? p;
  const filesOk = finding.evidence.every(
    (e) =>
      e.type !== 'file' || exes.has(withoutDeleted(inside(e.path))) || fixtureDirOf(e.path) !== undefined,
  );
  return filesOk ? fixtures.map((f) => `pid ${f.pid} ${f.why}`).join('; ') : undefined;
}

/**
 * Serious, not allowed findings about this host: every one except those only about other test
 * files' deliberate fixtures (fixtureReason). `keep` pids are judged even when they are fixtures;
 * `seen` is a watchFixtures record of the scan, for look-alikes that exited since.
 */
export function hostSeriousUnallowed(
  report: ReportJson,
  keep: readonly number[] = [],
  seen?: FixtureSightings,
): Finding[] {
  return report.findings.filter(
    (f) => SERIOUS.includes(f.level) && !f.allowed && fixtureReason(f, keep, seen) === undefined,
  );
}
