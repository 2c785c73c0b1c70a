// Tests for file-parts: the layout of real ELF64 and ELF32 programs built with cc (checked against
// readelf) and of a PE32+ assembled by hand here (no MinGW on the build machines); padding found at
// the start or the end of an overlay and only when it is long and one value; a program over the
// limit scanned by its image, a large one by its loaded parts over several views whose offsets map
// back to the file; data files by windows, with simulated 10 GiB sparse files settled by the holes
// accounting without being read, and a budget that runs out reported as unscanned ranges.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PADDING_MIN,
  PART_CHUNK,
  bufferSource,
  constantByte,
  mergeRanges,
  paddingOf,
  partsText,
  programLayout,
  scanProgramParts,
  scanWindows,
  trustsAllocation,
  type PartsSource,
  type ViewMap,
} from './file-parts.js';

const MINER_SOURCE = fileURLToPath(new URL('../../test/lookalike/miner.c', import.meta.url));
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

let dir: string;
let elf64: Buffer;
let elf32: Buffer | undefined;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-file-parts-'));
  execFileSync('cc', ['-O1', '-o', path.join(dir, 'elf64'), MINER_SOURCE]);
  elf64 = readFileSync(path.join(dir, 'elf64'));
  // A 32-bit program without the C library: the compiler and linker can always make one.
  writeFileSync(path.join(dir, 's.c'), 'const char tag[] = "x";\nvoid _start(void) { for (;;); }\n');
  execFileSync('cc', ['-m32', '-nostdlib', '-static', '-o', path.join(dir, 'elf32'), path.join(dir, 's.c')]);
  elf32 = readFileSync(path.join(dir, 'elf32'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What readelf says the section header table spans, and the PT_LOAD file ranges. */
function readelf(file: string): { shEnd: number; loads: [number, number][] } {
  const out = execFileSync('readelf', ['-lhW', file], { encoding: 'utf8' });
  const num = (re: RegExp): number => Number(re.exec(out)?.[1]);
  const shEnd =
    num(/Start of section headers:\s+(\d+)/) +
    num(/Size of section headers:\s+(\d+)/) * num(/Number of section headers:\s+(\d+)/);
  const loads = [...out.matchAll(/^\s+LOAD\s+(0x[0-9a-f]+)\s+\S+\s+\S+\s+(0x[0-9a-f]+)/gm)].map(
    (m): [number, number] => [Number(m[1]), Number(m[1]) + Number(m[2])],
  );
  return { shEnd, loads };
}

const layoutOf = (b: Buffer) => programLayout(b, b.length, (at, n) => b.subarray(at, at + n));

/**
 * A minimal PE32+ by hand: DOS header, PE signature, COFF header, optional header with 16 data
 * directories (the certificate table set), two sections of 0x200 raw bytes, a 0x100-byte certificate.
 */
function pe32plus(): Buffer {
  const b = Buffer.alloc(0x700);
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(0x40, 0x3c);
  b.write('PE\0\0', 0x40, 'latin1');
  b.writeUInt16LE(0x8664, 0x44); // Machine: x86-64
  b.writeUInt16LE(2, 0x46); // NumberOfSections
  b.writeUInt16LE(240, 0x54); // SizeOfOptionalHeader
  const opt = 0x58;
  b.writeUInt16LE(0x20b, opt); // PE32+
  b.writeUInt32LE(0x200, opt + 60); // SizeOfHeaders
  b.writeUInt32LE(16, opt + 108); // NumberOfRvaAndSizes
  b.writeUInt32LE(0x600, opt + 112 + 4 * 8); // certificate table: file offset
  b.writeUInt32LE(0x100, opt + 112 + 4 * 8 + 4);
  const table = opt + 240;
  for (const [i, name, raw] of [
    [0, '.text', 0x200],
    [1, '.rdata', 0x400],
  ] as const) {
    b.write(name, table + i * 40, 'latin1');
    b.writeUInt32LE(0x200, table + i * 40 + 16); // SizeOfRawData
    b.writeUInt32LE(raw, table + i * 40 + 20); // PointerToRawData
  }
  b.write('stratum+tcp://pool.example:3333', 0x410, 'latin1');
  return b;
}

describe('program layout', () => {
  it('ELF64 built with cc: its image is the whole file, its PT_LOAD segments are loaded', () => {
    const layout = layoutOf(elf64);
    const { shEnd, loads } = readelf(path.join(dir, 'elf64'));
    expect(layout).toMatchObject({ format: 'elf', imageEnd: elf64.length });
    expect(shEnd).toBe(elf64.length);
    // Every PT_LOAD range and the section header table are within the loaded ranges.
    const inside = (r: [number, number]) => layout?.loaded.some(([a, b]) => a <= r[0] && r[1] <= b);
    for (const r of [...loads, [shEnd - 64, shEnd] as [number, number]]) expect(inside(r), `${r}`).toBe(true);
  });

  it('ELF32 built with cc -m32: the same, from the 32-bit header and tables', () => {
    const layout = layoutOf(elf32 as Buffer);
    const { shEnd, loads } = readelf(path.join(dir, 'elf32'));
    expect(layout).toMatchObject({ format: 'elf', imageEnd: shEnd });
    for (const [a, b] of loads) expect(layout?.loaded.some(([x, y]) => x <= a && b <= y)).toBe(true);
  });

  it('PE32+ by hand: headers and section raw data are loaded, the certificate table ends the image', () => {
    expect(layoutOf(pe32plus())).toEqual({
      format: 'pe',
      imageEnd: 0x700,
      loaded: [[0, 0x600]],
    });
  });

  it('anything else, or headers that point outside the file, is not a program', () => {
    expect(layoutOf(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    const cut = elf64.subarray(0, elf64.length - 100); // the section header table is cut off
    expect(layoutOf(cut)).toBeUndefined();
    const badPe = pe32plus();
    badPe.writeUInt32LE(0x10000, 0x3c);
    expect(layoutOf(badPe)).toBeUndefined();
  });
});

describe('padding', () => {
  it('a long run of one value after the image is padding, with its offset and value', () => {
    const padded = Buffer.concat([elf64, Buffer.alloc(PADDING_MIN + 5, 0xcc)]);
    expect(paddingOf(padded)).toEqual({ offset: elf64.length, length: PADDING_MIN + 5, byte: 0xcc });
    const pe = Buffer.concat([pe32plus(), Buffer.alloc(5 * MiB)]);
    expect(paddingOf(pe)).toEqual({ offset: 0x700, length: 5 * MiB, byte: 0 });
  });

  it('a run at the end of the overlay, after other appended bytes, is padding too', () => {
    const padded = Buffer.concat([elf64, Buffer.from('appended note'), Buffer.alloc(PADDING_MIN)]);
    expect(paddingOf(padded)).toEqual({ offset: elf64.length + 13, length: PADDING_MIN, byte: 0 });
  });

  it('a short run, an overlay of mixed bytes, or a file that is not a program: none', () => {
    expect(paddingOf(Buffer.concat([elf64, Buffer.alloc(PADDING_MIN - 1)]))).toBeUndefined();
    const mixed = Buffer.alloc(PADDING_MIN * 2);
    for (let i = 0; i < mixed.length; i += 3 * MiB) mixed[i] = 1;
    expect(paddingOf(Buffer.concat([elf64, mixed]))).toBeUndefined();
    expect(paddingOf(Buffer.alloc(PADDING_MIN * 2))).toBeUndefined();
  });
});

/** A simulated file: zeros (holes) but where `data` says, of any size, counting what is read. */
function sparse(size: number, data: [number, Buffer][], allocated?: number): PartsSource & { reads: number } {
  const src = {
    size,
    reads: 0,
    allocated,
    blockSize: 4096,
    read(buf: Buffer, offset: number, length: number, position: number): number {
      const n = Math.max(0, Math.min(length, size - position));
      src.reads += n;
      buf.fill(0, offset, offset + n);
      for (const [at, bytes] of data) {
        const from = Math.max(at, position);
        const to = Math.min(at + bytes.length, position + n);
        if (to > from) bytes.copy(buf, offset + from - position, from - at, to - at);
      }
      return n;
    },
  };
  return src;
}

/** Collects the views a scan hands over, with their maps. */
function views(): { sink: (v: Buffer, m: ViewMap) => void; seen: { bytes: Buffer; map: ViewMap }[] } {
  const seen: { bytes: Buffer; map: ViewMap }[] = [];
  return { sink: (v, map) => seen.push({ bytes: Buffer.from(v), map }), seen };
}

/** File offsets where `marker` is found whole in a view. */
function found(seen: { bytes: Buffer; map: ViewMap }[], marker: string): number[] {
  return [
    ...new Set(
      seen.flatMap(({ bytes, map }) => {
        const out: number[] = [];
        for (let i = bytes.indexOf(marker); i >= 0; i = bytes.indexOf(marker, i + 1))
          out.push(map.fileOffset(i));
        return out;
      }),
    ),
  ];
}

describe('scanning a program by its parts', () => {
  it('a padded program sparse to 2 GiB: its image is scanned as it is, the padding settled unread', () => {
    const src = sparse(2 * GiB, [[0, elf64]], 4096 * Math.ceil(elf64.length / 4096));
    const layout = layoutOf(elf64);
    const { sink, seen } = views();
    const out = scanProgramParts(src, layout!, { view: 64 * MiB, total: 64 * MiB }, sink);
    expect(seen.map((v) => v.bytes.equals(elf64))).toEqual([true]);
    expect(out.padding).toEqual({ offset: elf64.length, length: 2 * GiB - elf64.length, byte: 0 });
    expect(out.parts).toMatchObject({
      how: 'program',
      format: 'elf',
      scanned: [[0, elf64.length]],
      overlay: [elf64.length, 2 * GiB],
      bytesSkipped: 2 * GiB - elf64.length,
    });
    expect(out.parts.unscanned).toBeUndefined();
    expect(src.reads).toBeLessThan(2 * PART_CHUNK);
  });

  it('without the accounting the padding is read to confirm it, still not scanned', () => {
    const src = sparse(elf64.length + 8 * MiB, [[0, elf64]]);
    const { sink, seen } = views();
    const out = scanProgramParts(src, layoutOf(elf64)!, { view: 64 * MiB, total: 64 * MiB }, sink);
    expect(out.padding?.length).toBe(8 * MiB);
    expect(seen.reduce((n, v) => n + v.bytes.length, 0)).toBe(elf64.length);
  });

  it('an image larger than a view: loaded parts over several views, offsets mapped back to the file', () => {
    const size = 12 * MiB;
    const marker = 'stratum+tcp://pool.example:3333';
    const cut = 3 * MiB - 10; // a marker across the end of the first view
    const code = Buffer.alloc(9 * MiB);
    for (let i = 0; i < code.length; i++) code[i] = 0x41 + (i % 26);
    const src = sparse(size, [
      [0, code],
      [6 * MiB + 123, Buffer.from(marker)],
      [cut, Buffer.from(marker)],
    ]);
    const layout = {
      format: 'elf' as const,
      imageEnd: size,
      loaded: [
        [0, 4 * MiB],
        [5 * MiB, 9 * MiB],
      ] as [number, number][],
    };
    const { sink, seen } = views();
    const out = scanProgramParts(src, layout, { view: 3 * MiB, total: 48 * MiB }, sink);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((v) => v.bytes.length <= 3 * MiB)).toBe(true);
    expect(found(seen, marker).sort((a, b) => a - b)).toEqual([cut, 6 * MiB + 123]);
    // The loaded parts, the constant chunk at 9-12 MiB (not loaded) left out.
    expect(out.parts.scanned).toEqual([
      [0, 4 * MiB],
      [5 * MiB, 9 * MiB],
    ]);
  });

  it('loaded parts beyond the total budget are reported unscanned', () => {
    const src = sparse(8 * MiB, [[0, Buffer.alloc(8 * MiB, 0x41)]]);
    src.read = ((orig) => (b: Buffer, o: number, l: number, p: number) => {
      const n = orig(b, o, l, p);
      for (let i = 0; i < n; i++) b[o + i] = (p + i) & 0xff; // no constant chunk anywhere
      return n;
    })(src.read.bind(src));
    const layout = { format: 'pe' as const, imageEnd: 8 * MiB, loaded: [[0, 8 * MiB]] as [number, number][] };
    const out = scanProgramParts(src, layout, { view: 2 * MiB, total: 5 * MiB }, () => undefined);
    expect(out.parts).toMatchObject({ bytesScanned: 5 * MiB, unscanned: [[5 * MiB, 8 * MiB]] });
    expect(partsText(out.parts, 8 * MiB)).toMatch(/not read \(over the scan budget\): 5242880-8388608/);
  });
});

describe('scanning other files by windows', () => {
  it('a 10 GiB sparse file with nothing allocated is settled without a read', () => {
    const src = sparse(10 * GiB, [], 0);
    const t0 = performance.now();
    const out = scanWindows(src, { view: 64 * MiB, total: 64 * MiB }, () => {
      throw new Error('nothing to scan');
    });
    expect(performance.now() - t0).toBeLessThan(100);
    expect(src.reads).toBe(0);
    expect(out.parts).toEqual({ how: 'windows', scanned: [], bytesScanned: 0, bytesSkipped: 10 * GiB });
  });

  it('sparse with data at its end: the tail settles it, the middle is never read', () => {
    const tail = Buffer.alloc(4096, 7);
    const src = sparse(10 * GiB, [[10 * GiB - 4096, tail]], 4096);
    const { sink, seen } = views();
    const out = scanWindows(src, { view: 64 * MiB, total: 64 * MiB }, sink);
    expect(src.reads).toBeLessThanOrEqual(3 * PART_CHUNK);
    expect(out.parts.scanned).toEqual([[10 * GiB - PART_CHUNK, 10 * GiB]]);
    expect(out.parts.unscanned).toBeUndefined();
    expect(seen).toHaveLength(1);
  });

  it('sparse with data in the middle: the data is found and scanned, no range left unknown', () => {
    const src = sparse(3 * GiB, [[GiB + 5, Buffer.from('stratum+tcp://x')]], 4096);
    const { sink, seen } = views();
    const out = scanWindows(src, { view: 64 * MiB, total: 64 * MiB }, sink);
    expect(found(seen, 'stratum+tcp://x')).toEqual([GiB + 5]);
    expect(out.parts.unscanned).toBeUndefined();
    // Settled once the block was found: the second GiB of holes is not read.
    expect(src.reads).toBeLessThan(GiB + 4 * PART_CHUNK);
  });

  it('non-constant data beyond the budget: head, middle up to the budget, tail; the rest unscanned', () => {
    const size = 20 * MiB;
    const data = Buffer.alloc(size);
    for (let i = 0; i < size; i++) data[i] = (i * 7) & 0xff;
    const { sink, seen } = views();
    const out = scanWindows(bufferSource(data), { view: 8 * MiB, total: 8 * MiB }, sink);
    expect(out.parts.scanned).toEqual([
      [0, 7 * MiB],
      [19 * MiB, 20 * MiB],
    ]);
    expect(out.parts.unscanned).toEqual([[7 * MiB, 19 * MiB]]);
    expect(seen.map((v) => v.bytes.length)).toEqual([8 * MiB]);
  });

  it('constant chunks are left out and need no budget', () => {
    const data = Buffer.alloc(20 * MiB, 0x20);
    data.write('needle', 15 * MiB + 3);
    const { sink, seen } = views();
    const out = scanWindows(bufferSource(data), { view: 4 * MiB, total: 4 * MiB }, sink);
    expect(found(seen, 'needle')).toEqual([15 * MiB + 3]);
    expect(out.parts).toMatchObject({ bytesScanned: MiB, scanned: [[15 * MiB, 16 * MiB]] });
    expect(out.parts.unscanned).toBeUndefined();
  });
});

describe('helpers', () => {
  it('constantByte, mergeRanges and trustsAllocation', () => {
    expect(constantByte(Buffer.alloc(3 * MiB, 9))).toBe(9);
    const b = Buffer.alloc(3 * MiB, 9);
    b[3 * MiB - 1] = 8;
    expect(constantByte(b)).toBeUndefined();
    expect(constantByte(Buffer.alloc(0))).toBeUndefined();
    expect(constantByte(Buffer.from([7]))).toBe(7);
    expect(constantByte(Buffer.alloc(2 * MiB))).toBe(0);
    const first = Buffer.alloc(MiB, 0xff);
    first[0] = 0xfe;
    expect(constantByte(first)).toBeUndefined();
    expect(
      mergeRanges([
        [5, 9],
        [0, 2],
        [2, 4],
        [8, 20],
      ]),
    ).toEqual([
      [0, 4],
      [5, 20],
    ]);
    expect(trustsAllocation(0xef53)).toBe(true); // ext4
    expect(trustsAllocation(0x2fc12fc1)).toBe(false); // ZFS: compressed sizes
    expect(trustsAllocation(0x794c7630)).toBe(false); // overlayfs
  });
});
