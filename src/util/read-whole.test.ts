// readWhole: the bytes readFileSync gives, and Node's errors, whichever reader answered; a large
// file read through the addon lands in huge pages where the kernel offers them.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { builtNativeAddon, loadNativeFile } from './paths.js';
import { readWhole } from './read-whole.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mh-read-whole-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;
const THP = '/sys/kernel/mm/transparent_hugepage/enabled';

function fileOf(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

/** The process's anonymous memory in transparent huge pages, in kB. */
function anonHugeKb(): number {
  const m = /^AnonHugePages:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
  return Number(m?.[1] ?? 0);
}

describe('readWhole', () => {
  it('gives the bytes readFileSync gives, small and large', () => {
    for (const size of [0, 5, MiB - 1, MiB, 3 * MiB + 5]) {
      const file = fileOf(`f${size}`, randomBytes(size));
      expect(readWhole(file).equals(readFileSync(file))).toBe(true);
    }
  });

  it('throws what Node throws for a missing file and a directory', () => {
    expect(() => readWhole(path.join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => readWhole(dir)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
  });

  it('reads a file whose size stat does not give (procfs) in full', () => {
    const text = readWhole('/proc/self/status').toString();
    expect(text).toMatch(/^Name:/);
    expect(text).toMatch(/\nPid:\s+\d+/);
  });

  it('reads through the addon here, into huge pages when the kernel offers them', () => {
    const addon = builtNativeAddon();
    expect(addon, 'npm run build compiles the addon on Linux').toBeDefined();
    const { readFileWhole } = loadNativeFile(addon as string) as {
      readFileWhole: (f: string) => Buffer | number;
    };
    const file = fileOf('large', randomBytes(4 * MiB));
    const before = anonHugeKb();
    const bytes = readFileWhole(file);
    expect(Buffer.isBuffer(bytes) && bytes.equals(readFileSync(file))).toBe(true);
    // THP "[never]" or not built into the kernel: the advice does nothing, and the read costs what
    // Node's does.
    const thp = existsSync(THP) ? readFileSync(THP, 'utf8') : '[never]';
    if (!thp.includes('[never]')) expect(anonHugeKb() - before).toBeGreaterThanOrEqual(2048);
    // Kept alive to here: its pages are counted above.
    expect((bytes as Buffer).length).toBe(4 * MiB);
  });
});
