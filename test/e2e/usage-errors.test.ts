// End-to-end: mistakes on the command line end with exit code 2 and a message that names the
// mistake, never a stack trace, and never a report on stdout a script could mistake for a result.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, type CliResult } from '../helpers/cli.js';

let dir: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-usage-'));
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A Node stack frame ("    at fn (file.js:1:2)") in the output means an error escaped unhandled. */
const STACK_FRAME = /^\s+at .+[:(]/m;

function expectUsageError(result: CliResult, ...mentions: string[]): void {
  const context = `exit ${result.code}\nstderr:\n${result.stderr}\nstdout:\n${result.stdout.slice(0, 500)}`;
  expect(result.code, context).toBe(2);
  expect(result.stderr, context).not.toMatch(STACK_FRAME);
  expect(result.stdout.trim(), context).toBe('');
  for (const m of mentions) expect(result.stderr, context).toContain(m);
}

describe('usage errors', () => {
  it('rejects an unknown option, naming it', async () => {
    expectUsageError(await runCli(['scan', '--frobnicate']), '--frobnicate');
  });

  it('rejects an unknown command, naming it', async () => {
    expectUsageError(await runCli(['frobnicate']), 'frobnicate');
  });

  it('rejects a bad --fail-on value, naming the value and the valid levels', async () => {
    const result = await runCli(['scan', '--fail-on', 'severe']);
    expectUsageError(result, 'severe');
    for (const level of ['critical', 'high', 'medium', 'low', 'info', 'none']) {
      expect(result.stderr).toContain(level);
    }
  });

  it('rejects a bad --format value', async () => {
    expectUsageError(await runCli(['scan', '--format', 'xml']), 'xml');
  });

  it('rejects a --root that does not exist, naming it', async () => {
    const missing = path.join(dir, 'no-such-root');
    expectUsageError(await runCli(['scan', '--root', missing]), missing);
  });

  it('rejects a missing --allow file, naming it', async () => {
    const missing = path.join(dir, 'no-such-allowlist.yml');
    expectUsageError(await runCli(['scan', '--allow', missing]), missing);
  });

  it('rejects a snapshot file that is missing or not JSON, naming it', async () => {
    const missing = path.join(dir, 'missing.json');
    expectUsageError(await runCli(['analyze', missing]), missing);
    const garbage = path.join(dir, 'garbage.json');
    await writeFile(garbage, 'this is not a snapshot\n');
    expectUsageError(await runCli(['analyze', garbage]), garbage);
  });

  it('rejects a JSON file that is not a snapshot', async () => {
    const wrong = path.join(dir, 'wrong.json');
    await writeFile(wrong, JSON.stringify({ schemaVersion: 1, hello: 'world' }));
    expectUsageError(await runCli(['analyze', wrong]), wrong);
  });
});
