// Tests for the ELF reader: the functions a real preload library (built here from our hider source)
// exports, libc's exports, and clean errors for files that are not ELF or are cut short.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElfError, exportedFunctions } from './elf.js';

const HIDER = fileURLToPath(new URL('../../../test/lookalike/preload-hider.c', import.meta.url));
let dir = '';
let lib = '';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-elf-'));
  lib = path.join(dir, 'libhide.so');
  await promisify(execFile)('cc', ['-shared', '-fPIC', '-O1', '-DHIDE_NAME="x"', '-o', lib, HIDER, '-ldl']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('exportedFunctions', () => {
  it('lists exactly the functions a preload hider defines', async () => {
    expect(exportedFunctions(await readFile(lib))).toEqual(['readdir', 'readdir64']);
  });

  it("reads libc's exports, which tell overrides from a library's own functions", async () => {
    const libc = await readFile('/lib/x86_64-linux-gnu/libc.so.6');
    const names = exportedFunctions(libc);
    expect(names).toEqual(expect.arrayContaining(['readdir', 'readdir64', 'fopen', 'malloc', 'execve']));
    expect(names.length).toBeGreaterThan(1000);
  });

  it('rejects what is not a whole ELF file', async () => {
    expect(() => exportedFunctions(Buffer.from('#!/bin/sh\necho not elf\n'.repeat(4)))).toThrow(ElfError);
    const head = (await readFile(lib)).subarray(0, 200);
    expect(() => exportedFunctions(head)).toThrow(/truncated|section/);
  });
});
