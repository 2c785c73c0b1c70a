// The PE reader against PE files the test builds (test/helpers/pe-stub.ts), checked where possible
// against file(1) and objdump, and against cut, looping and fuzzed files.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peStub } from '../../../test/helpers/pe-stub.js';
import { PeFactsSchema } from '../../snapshot/windows.js';
import { targetFs } from '../fs.js';
import { PE_HEAD_BYTES, parsePe, readPeFile } from './pe.js';

const MS_VERSION = {
  CompanyName: 'Microsoft Corporation',
  ProductName: 'Microsoft® Windows® Operating System',
  FileDescription: 'Windows Logon Application',
  OriginalFilename: 'WINLOGON.EXE',
};

function tool(name: string): boolean {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-pe-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function onDisk(name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

describe('parsePe on built PE files', () => {
  it('reads machine, subsystem and DLL flag of each kind', () => {
    expect(parsePe(peStub())).toEqual({
      machine: 'x64',
      subsystem: 'windows-cui',
      dll: false,
      signed: false,
    });
    expect(parsePe(peStub({ subsystem: 'native' }))).toMatchObject({ subsystem: 'native', dll: false });
    expect(parsePe(peStub({ dll: true, subsystem: 'windows-gui' }))).toMatchObject({
      subsystem: 'windows-gui',
      dll: true,
    });
    expect(parsePe(peStub({ machine: 'x86' }))).toMatchObject({ machine: 'x86' });
    expect(parsePe(peStub({ machine: 'arm64' }))).toMatchObject({ machine: 'arm64' });
  });

  it('reads the version strings and the embedded signature', () => {
    const facts = parsePe(peStub({ version: MS_VERSION, signed: true, extra: 'stratum+tcp://pool:3333' }));
    expect(facts).toEqual({
      machine: 'x64',
      subsystem: 'windows-cui',
      dll: false,
      signed: true,
      companyName: 'Microsoft Corporation',
      productName: 'Microsoft® Windows® Operating System',
      fileDescription: 'Windows Logon Application',
      originalFilename: 'WINLOGON.EXE',
    });
    expect(PeFactsSchema.parse(facts)).toEqual(facts);
  });

  it('keeps a version string bounded', () => {
    const facts = parsePe(peStub({ version: { CompanyName: 'M'.repeat(5000) } }));
    expect(facts?.companyName?.length).toBe(256);
  });

  it('says undefined for what is not a PE, and truncated for a header cut short', () => {
    expect(parsePe(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(parsePe(Buffer.from('\x7fELF\x02\x01\x01', 'latin1'))).toBeUndefined();
    expect(parsePe(Buffer.alloc(0))).toBeUndefined();
    const dos = Buffer.alloc(256);
    dos.write('MZ', 0, 'latin1');
    dos.writeUInt32LE(0x80, 0x3c);
    dos.write('NE', 0x80, 'latin1');
    expect(parsePe(dos)).toBeUndefined();
    const stub = peStub({ signed: true });
    expect(parsePe(stub.subarray(0, 40))).toEqual({ truncated: true, signed: false });
    expect(parsePe(stub.subarray(0, 0x100))).toEqual({ truncated: true, signed: false });
  });

  it('calls a certificate table signed only when it lies within the file', () => {
    const stub = peStub({ signed: true });
    expect(parsePe(stub)?.signed).toBe(true);
    expect(parsePe(stub.subarray(0, stub.length - 10))?.signed).toBe(false);
  });

  it('stops on a resource directory that points at itself', () => {
    const stub = peStub({ version: MS_VERSION });
    const rsrc = stub.readUInt32LE(0x188 + 40 + 20);
    // Level 2's entry now leads back to the root directory, and the root to level 2.
    stub.writeUInt32LE(0x80000000 >>> 0, rsrc + 24 + 20);
    expect(parsePe(stub)).toEqual({ machine: 'x64', subsystem: 'windows-cui', dll: false, signed: false });
  });
});

describe('PE stubs as other tools see them', () => {
  it.runIf(tool('file'))('file(1) names them PE32+ (native for a driver, DLL for a library)', async () => {
    const exe = await onDisk('a.exe', peStub({ extra: 'xmrig' }));
    const sys = await onDisk('b.sys', peStub({ subsystem: 'native' }));
    const dll = await onDisk('c.dll', peStub({ dll: true, version: MS_VERSION, signed: true }));
    const out = (f: string) => execFileSync('file', ['-b', f], { encoding: 'utf8' });
    expect(out(exe)).toMatch(/^PE32\+ executable.*\(console\).*x86-64/);
    expect(out(sys)).toMatch(/^PE32\+ executable.*\(native\)/);
    expect(out(dll)).toMatch(/^PE32\+ executable.*\(DLL\)/);
  });

  it.runIf(tool('objdump'))('objdump -p reads the same magic, subsystem and DLL flag', async () => {
    const cases = [
      { opts: { subsystem: 'native' as const }, magic: '(PE32+)', subsystem: '00000001', dll: false },
      {
        opts: { dll: true, subsystem: 'windows-gui' as const, version: MS_VERSION },
        magic: '(PE32+)',
        subsystem: '00000002',
        dll: true,
      },
      { opts: { machine: 'x86' as const }, magic: '(PE32)', subsystem: '00000003', dll: false },
    ];
    for (const [i, c] of cases.entries()) {
      const file = await onDisk(`o${i}.exe`, peStub(c.opts));
      const dump = execFileSync('objdump', ['-p', file], { encoding: 'utf8' });
      expect(dump).toMatch(new RegExp(`Magic\\s+0[12]0b\\s+${c.magic.replace(/[()+]/g, '\\$&')}`));
      expect(dump).toMatch(new RegExp(`Subsystem\\s+${c.subsystem}`));
      const machine = parsePe(peStub(c.opts))?.machine;
      expect(dump).toContain(machine === 'x86' ? 'file format pei-i386' : 'file format pei-x86-64');
      expect(/^\s+DLL$/m.test(dump)).toBe(c.dll);
      expect(parsePe(peStub(c.opts))).toMatchObject({
        dll: c.dll,
        subsystem: { '00000001': 'native', '00000002': 'windows-gui', '00000003': 'windows-cui' }[
          c.subsystem
        ],
      });
    }
  });
});

describe('readPeFile', () => {
  it('reads a resource section lying past the first 4 MiB', async () => {
    const stub = peStub({ version: MS_VERSION });
    const header = 0x188 + 40;
    const rsrcAt = stub.readUInt32LE(header + 20);
    const rsrcSize = stub.readUInt32LE(header + 16);
    const far = PE_HEAD_BYTES + 0x1000;
    const big = Buffer.alloc(far + rsrcSize);
    stub.copy(big, 0, 0, rsrcAt);
    stub.copy(big, far, rsrcAt, rsrcAt + rsrcSize);
    big.writeUInt32LE(far, header + 20);
    const file = await onDisk('big.exe', big);
    const fs = targetFs(dir);
    expect(await readPeFile(fs, `/${path.basename(file)}`, big.length)).toMatchObject({
      companyName: 'Microsoft Corporation',
    });
    // The head alone cannot reach it: the version strings come from the second read.
    expect(parsePe(big.subarray(0, PE_HEAD_BYTES), big.length)?.companyName).toBeUndefined();
  });
});

describe('hostile PE files', () => {
  it('300 fuzzed variants never throw and give schema-valid facts or nothing', () => {
    let seed = 0x5eed;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const base = peStub({ dll: true, version: MS_VERSION, signed: true, extra: 'pool.minexmr.com' });
    let parsed = 0;
    for (let i = 0; i < 300; i++) {
      let b = Buffer.from(base);
      const flips = 1 + rand(40);
      // Most flips go to the headers and the resource tree, where the offsets are.
      for (let f = 0; f < flips; f++) b[rand(i % 2 ? 0x300 : b.length)] = rand(256);
      if (i % 3 === 0) b = b.subarray(0, rand(b.length));
      const facts = parsePe(b);
      if (facts !== undefined) {
        expect(() => PeFactsSchema.parse(facts)).not.toThrow();
        parsed++;
      }
    }
    expect(parsed).toBeGreaterThan(0);
  });
});
