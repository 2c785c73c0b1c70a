// Output files: a device or FIFO named with -o is written in place, never replaced by a regular
// file (a rename over /dev/null once turned it into a file and broke every program on the host).
// Colours by destination: only a terminal gets them, a file named with -o never does (a scan of
// an infected fixture root written with -o holds no ESC byte, FORCE_COLOR or not), NO_COLOR wins.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outputWidth, useColor, writeOutput } from './output.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-output-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeOutput', () => {
  it('writes a FIFO in place and leaves it a FIFO', async () => {
    const fifo = path.join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const chunks: Buffer[] = [];
    const read = new Promise<string>((resolve, reject) => {
      const r = createReadStream(fifo);
      r.on('data', (c) => chunks.push(c as Buffer));
      r.on('end', () => resolve(Buffer.concat(chunks).toString()));
      r.on('error', reject);
    });
    await writeOutput(fifo, 'report text\n', 'test');
    expect(await read).toBe('report text\n');
    expect((await stat(fifo)).isFIFO()).toBe(true);
  });

  it('replaces a regular file whole, and refuses a directory', async () => {
    const file = path.join(dir, 'report.json');
    await writeOutput(file, 'one\n', 'test');
    await writeOutput(file, 'two\n', 'test');
    expect(await readFile(file, 'utf8')).toBe('two\n');
    await expect(writeOutput(dir, 'x', 'test')).rejects.toThrow(/is a directory/);
  });
});

describe('useColor: colours by destination', () => {
  const tty = { isTTY: true };
  const pipe = { isTTY: false };
  const on = { color: true };
  it('follows the decision table', () => {
    const cases: [string, Parameters<typeof useColor>, boolean][] = [
      ['a terminal', [on, tty, {}], true],
      ['a pipe', [on, pipe, {}], false],
      ['-o FILE from a terminal', [{ ...on, output: 'r.txt' }, tty, {}], false],
      ['-o FILE even with FORCE_COLOR', [{ ...on, output: 'r.txt' }, tty, { FORCE_COLOR: '1' }], false],
      ['-o - is standard output', [{ ...on, output: '-' }, tty, {}], true],
      ['--no-color on a terminal', [{ color: false }, tty, {}], false],
      ['NO_COLOR on a terminal', [on, tty, { NO_COLOR: '1' }], false],
      ['NO_COLOR beats FORCE_COLOR', [on, pipe, { NO_COLOR: '1', FORCE_COLOR: '1' }], false],
      ['an empty NO_COLOR is unset', [on, tty, { NO_COLOR: '' }], true],
      ['FORCE_COLOR on a pipe', [on, pipe, { FORCE_COLOR: '1' }], true],
      ['FORCE_COLOR=0 on a pipe', [on, pipe, { FORCE_COLOR: '0' }], false],
      ['FORCE_COLOR=false on a terminal', [on, tty, { FORCE_COLOR: 'false' }], true],
    ];
    for (const [what, args, expected] of cases) expect(useColor(...args), what).toBe(expected);
  });

  it('fits the text to the terminal only, 100 columns when the terminal does not say', () => {
    expect(outputWidth({}, { isTTY: true, columns: 132 })).toBe(132);
    expect(outputWidth({}, { isTTY: true })).toBe(100);
    expect(outputWidth({}, { isTTY: false, columns: 80 })).toBeUndefined();
    expect(outputWidth({ output: 'r.txt' }, { isTTY: true, columns: 80 })).toBeUndefined();
  });

  it('writes no ESC byte into a scan report named with -o, FORCE_COLOR set or not', async () => {
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    const root = path.join(repo, 'test/fixtures/roots/miner-host');
    const { FORCE_COLOR: _f, NO_COLOR: _n, ...env } = process.env;
    for (const force of [undefined, '1']) {
      const file = path.join(dir, `scan-${force ?? 'unset'}.txt`);
      await promisify(execFile)(
        path.join(repo, 'node_modules/.bin/tsx'),
        [
          'src/cli/main.ts',
          '--lang',
          'en',
          'scan',
          '--root',
          root,
          '--no-content',
          '--no-default-allow',
          '--fail-on',
          'none',
          '-o',
          file,
        ],
        {
          cwd: repo,
          env: {
            ...env,
            ...(force ? { FORCE_COLOR: force } : {}),
            HOME: dir,
            XDG_CONFIG_HOME: path.join(dir, 'config'),
            XDG_STATE_HOME: path.join(dir, 'state'),
            XDG_CACHE_HOME: path.join(dir, 'cache'),
          },
        },
      );
      const text = await readFile(file, 'utf8');
      expect(text).toContain('Verdict: INFECTED');
      expect(text).not.toContain('\x1b');
    }
  }, 120_000);
});
