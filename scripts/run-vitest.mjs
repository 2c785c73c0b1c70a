// Runs the test suite with vitest and ends with one plain summary line ("tests: N passed, N failed,
// N skipped") that CI logs and people can read at a glance; exits non-zero when any test failed.
// Two phases: every test file in parallel (two at a time), then the few files in QUIET alone, because
// what they check is a pace (a progress bar's time left halfway through a scan) that only means
// something when no other test file competes for the two cores; a scan whose speed doubles halfway
// because a neighbour finished is no measure of the estimate.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const QUIET = ['test/e2e/progress-estimate.test.ts'];

const root = path.join(import.meta.dirname, '..');
const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const extra = process.argv.slice(2);

/** One vitest run; returns its exit status and its counts from the JSON reporter. */
function phase(name, args) {
  const out = path.join(root, '.cache', `vitest-results${name ? `-${name}` : ''}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  rmSync(out, { force: true });
  const run = spawnSync(
    process.execPath,
    [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...args],
    { cwd: root, stdio: 'inherit' },
  );
  try {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
    return { status: run.status ?? 1, passed: r.numPassedTests, failed: r.numFailedTests, skipped };
  } catch {
    return { status: run.status ?? 1 };
  }
}

// Arguments given (a file, a filter): one plain run of exactly that, as vitest would do.
const phases = extra.length
  ? [phase('', extra)]
  : [
      phase(
        '',
        QUIET.flatMap((f) => ['--exclude', f]),
      ),
      phase('quiet', [...QUIET, '--maxWorkers=1']),
    ];
const complete = phases.every((p) => p.passed !== undefined);
const sum = (k) => phases.reduce((n, p) => n + (p[k] ?? 0), 0);
console.log(
  complete
    ? `tests: ${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`
    : 'tests: no result file was written (vitest did not finish)',
);
process.exit(phases.find((p) => p.status !== 0)?.status ?? 0);
