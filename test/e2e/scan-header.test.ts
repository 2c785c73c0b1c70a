// End-to-end, the first screen of the terminal report (issue 19): a scan of a running look-alike miner
// written with -o holds no colour code even under FORCE_COLOR, and its header names the miner's pid,
// pool and wallet in its first 10 lines and ends within 20; at 100 columns, as a terminal that wide
// shows it, the same holds and no line is wider.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/report/model.js';
import { renderText } from '../../src/report/render-text.js';
import { displayWidth } from '../../src/report/wrap.js';
import { ensureBuilt, runCli, runCliJson } from '../helpers/cli.js';
import { FAKE_WALLET, startRunningScenario, type RunningScenario } from '../helpers/lookalike.js';

let scenario: RunningScenario | undefined;

beforeAll(async () => {
  await ensureBuilt();
  scenario = await startRunningScenario({ cpuSeconds: 2 });
}, 300_000);

afterAll(async () => {
  await scenario?.teardown();
});

/** The header: the lines before the first blank one. */
const header = (text: string): string[] => text.slice(0, text.indexOf('\n\n')).split('\n');

describe('the first screen of a scan of a running look-alike', () => {
  it('names pid, pool and wallet in the first 10 lines of a report written with -o, without colour', async () => {
    const { lookalike, pool, dir } = scenario!;
    const file = path.join(dir, 'report.txt');
    const run = await runCli(['--lang', 'en', 'scan', '--no-content', '--fail-on', 'none', '-o', file], {
      env: { FORCE_COLOR: '1' },
    });
    expect(run.code, run.stderr).toBe(0);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain('\x1b');
    const head = header(text);
    expect(head.length, head.join('\n')).toBeLessThanOrEqual(20);
    const first10 = head.slice(0, 10).join('\n');
    expect(first10).toContain(`PID ${lookalike.pid} · `);
    expect(first10).toContain(`127.0.0.1:${pool.port}`);
    // A file is not cut to a width: the wallet is whole.
    expect(first10).toContain(FAKE_WALLET);
  }, 120_000);

  it('fits 100 columns: header within 20 lines, pid, pool and wallet in the first 10', async () => {
    const { lookalike, pool } = scenario!;
    const run = await runCliJson(['scan', '--no-content', '--format', 'json', '--fail-on', 'none']);
    for (const lang of ['en', 'zh-CN'] as const) {
      const text = renderText(run.json as unknown as Report, { lang, color: false, width: 100 });
      const head = header(text);
      expect(head.length, head.join('\n')).toBeLessThanOrEqual(20);
      const first10 = head.slice(0, 10).join('\n');
      expect(first10).toMatch(new RegExp(`(PID|进程) ${lookalike.pid} · `));
      expect(first10).toContain(`127.0.0.1:${pool.port}`);
      expect(first10).toContain(FAKE_WALLET.slice(0, 20));
      expect(first10).toContain(FAKE_WALLET.slice(-8));
      expect(text.split('\n').filter((l) => displayWidth(l) > 100)).toEqual([]);
    }
  }, 120_000);
});
