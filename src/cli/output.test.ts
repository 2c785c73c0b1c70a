// Output files: a device or FIFO named with -o is written in place, never replaced by a regular
// file (a rename over /dev/null once turned it into a file and broke every program on the host).
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOutput } from './output.js';

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
