// End-to-end: `respond --apply` on a terminal asks first, and an answer other than yes changes
// nothing and creates no output directory. The terminal is a real pty from util-linux `script`.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, ensureBuilt } from '../helpers/cli.js';
import { fixtureInputs } from '../helpers/incident-fixture.js';

let dir: string;
let reportFile: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-confirm-'));
  reportFile = path.join(dir, 'report.json');
  await writeFile(reportFile, JSON.stringify(fixtureInputs().report));
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function onTerminal(command: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('script', ['-qec', command, '/dev/null'], { timeout: 60_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

describe('respond --apply on a terminal', () => {
  it.each([
    ['en', 'n', 'Apply these 5 steps? [y/N]', 'Nothing changed.'],
    ['zh-CN', '', '执行这 5 个步骤吗？[y/N]', '未做任何修改。'],
  ])('asks (%s) and a "%s" answer changes nothing', async (lang, answer, question, declined) => {
    const out = path.join(dir, `out-${lang}`);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const text = await onTerminal(
      `${q(process.execPath)} ${q(CLI_PATH)} respond --report ${q(reportFile)} --apply --lang ${lang} --out ${q(out)}`,
      `${answer}\n`,
    );
    expect(text).toContain(question);
    expect(text).toContain(declined);
    expect(existsSync(out)).toBe(false);
  });
});
