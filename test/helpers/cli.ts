// Runs the built CLI (`node dist/cli/main.js …`) the way a user does and captures its stdout, stderr,
// exit code and parsed JSON, with the user's own config kept out so a personal allowlist cannot leak in.
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Evidence, Finding, Level } from '../../src/model/finding.js';

const execFileP = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_PATH = path.join(REPO_ROOT, 'dist', 'cli', 'main.js');

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
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
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
      if (!existsSync(CLI_PATH))
        throw new Error(`build failed and produced no ${CLI_PATH}:\n${out}`, { cause });
      console.warn(
        `e2e: build reported type errors (tests run against what it emitted):\n${out.slice(0, 3000)}`,
      );
    }
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

function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * True when every process a finding names was started by this test run (a descendant of the vitest
 * main process: workers, and the fixtures other test files run in parallel, e.g. a child whose argv
 * holds a stratum URL), other than `keep`. Such processes are the suite's own, not the host's.
 */
export function startedByTestRun(finding: Finding, keep: readonly number[] = []): boolean {
  const procs = processEvidence(finding);
  if (procs.length === 0) return false;
  // Under vitest's default `forks` pool, the worker's parent is the vitest main process.
  const root = process.ppid;
  return procs.every((e) => {
    if (keep.includes(e.pid)) return false;
    // A process that exited since the scan is traced from the parent the report recorded.
    let current: number | undefined = parentPid(e.pid) !== undefined ? e.pid : e.ppid;
    for (let hops = 0; current !== undefined && current > 1 && hops < 64; hops++) {
      if (current === root) return true;
      current = parentPid(current);
    }
    return false;
  });
}

/** The exit code the CLI contract requires for this report under `--fail-on high`. */
export function expectedExit(report: ReportJson): 0 | 1 {
  return report.findings.some((f) => SERIOUS.includes(f.level) && !f.allowed) ? 1 : 0;
}

/**
 * True when a finding is only about files the test suite itself writes to the temp directory: the
 * samples and fixtures of other test files (minehunter-* temp dirs) and the caches of the project's
 * own transpiled sources kept by tsx (tsx-<uid>) and vitest, which carry the rules' strings by design.
 */
export function writtenByTestSuite(finding: Finding): boolean {
  const files = finding.evidence.filter((e) => e.type === 'file');
  if (files.length === 0 || finding.evidence.some((e) => e.type === 'process')) return false;
  const tmp = os.tmpdir();
  // vitest keeps its transpiled copies in <tmp>/<21-character id>/ssr/.
  const viteSsr = /^[\w-]{21}\/ssr\//;
  return files.every((e) => {
    if (!e.path.startsWith(`${tmp}/`)) return false;
    const rel = e.path.slice(tmp.length + 1);
    return rel.startsWith('minehunter-') || rel.startsWith('tsx-') || viteSsr.test(rel);
  });
}

/** Serious, not allowed findings about this host, leaving out processes the test run itself started. */
export function hostSeriousUnallowed(report: ReportJson, keep: readonly number[] = []): Finding[] {
  return report.findings.filter(
    (f) => SERIOUS.includes(f.level) && !f.allowed && !startedByTestRun(f, keep) && !writtenByTestSuite(f),
  );
}
