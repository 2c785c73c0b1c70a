// The memory scan reads only the pages a process has in memory or swap (issue 20): on a fake /proc
// (a sparse `mem` file and a `pagemap` written here) the runs, the zero margins beside untouched
// pages and the addresses of matches; on a live child, a 64 MiB untouched buffer is neither read nor
// made resident by the scan, while the string written into one page of it is found at its address.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryRegions, scanContent } from './content-scan.js';
import { residentRuns, scanMemoryJob, ZERO_MARGIN, type MemoryJob } from './scan-job.js';
import { compileRules, type YaraScanner } from './yara.js';
import { builtNativeAddon, loadNativeFile } from '../util/paths.js';

const PAGE = 4096;
const MARKER = 'stratum+tcp://memory-runs.invalid:3333';

let dir: string;
let scanner: YaraScanner;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-memory-runs-'));
  const rules = path.join(dir, 'test.yar');
  writeFileSync(
    rules,
    [
      `rule marker { strings: $a = "${MARKER}" condition: $a }`,
      // Four A's then four zero bytes: only found when the zeros after a run are there.
      'rule ends_in_zeros { strings: $a = { 41 41 41 41 00 00 00 00 } condition: $a }',
      // A rule anchored at the start of a piece: a run's first byte must not become a piece's first.
      'rule anchored { condition: uint32(0) == 0x464c457f }',
    ].join('\n'),
  );
  const compiled = compileRules([rules]);
  expect(compiled.problems.filter((p) => p.severity === 'error')).toEqual([]);
  scanner = compiled.scanner;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The fake address space's size in pages: mem and pagemap cover it all, as the kernel's do. */
const FAKE_PAGES = 64;

/** A fake /proc/1 whose pages `present` (page numbers) are in memory, with `writes` at addresses. */
function fakeProc(present: number[], writes: [address: number, bytes: Buffer][]): string {
  const proc = mkdtempSync(path.join(dir, 'proc-'));
  mkdirSync(path.join(proc, '1'));
  const mem = openSync(path.join(proc, '1', 'mem'), 'w');
  ftruncateSync(mem, FAKE_PAGES * PAGE);
  for (const [at, bytes] of writes) writeSync(mem, bytes, 0, bytes.length, at);
  closeSync(mem);
  const pagemap = Buffer.alloc(FAKE_PAGES * 8);
  for (const p of present) pagemap.writeUInt32LE(0x80000000, p * 8 + 4);
  writeFileSync(path.join(proc, '1', 'pagemap'), pagemap);
  return proc;
}

describe('residentRuns and the memory scan on a fake /proc', () => {
  it('gives the runs of pages in memory, and which of them border untouched pages', () => {
    const proc = fakeProc([16, 17, 20, 23], []);
    const fd = openSync(path.join(proc, '1', 'pagemap'), 'r');
    try {
      expect(residentRuns(fd, 16 * PAGE, 8 * PAGE)).toEqual([
        { start: 16 * PAGE, length: 2 * PAGE, absentBefore: false, absentAfter: true },
        { start: 20 * PAGE, length: PAGE, absentBefore: true, absentAfter: true },
        { start: 23 * PAGE, length: PAGE, absentBefore: true, absentAfter: false },
      ]);
    } finally {
      closeSync(fd);
    }
  });

  it('finds strings at their addresses, with zeros beside untouched pages, and reads nothing else', () => {
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3, 4]);
    const proc = fakeProc(
      [16, 20],
      [
        [16 * PAGE + 100, Buffer.from(MARKER, 'latin1')],
        // The last bytes of page 16, before untouched page 17.
        [17 * PAGE - 4, Buffer.from('AAAA', 'latin1')],
        // An ELF magic at the first byte of page 20, after untouched page 19.
        [20 * PAGE, elf],
      ],
    );
    const job: MemoryJob = { pid: 1, regions: [[16 * PAGE, 8 * PAGE, true]] };
    const r = scanMemoryJob(scanner, job, proc);
    expect(r.error).toBeUndefined();
    const rules = r.matches.map((m) => m.rule).sort();
    expect(rules).toEqual(['ends_in_zeros', 'marker']);
    const marker = r.matches.find((m) => m.rule === 'marker');
    expect(marker?.strings[0]?.offset).toBe(16 * PAGE + 100);
    expect(r.matches.find((m) => m.rule === 'ends_in_zeros')?.strings[0]?.offset).toBe(17 * PAGE - 4);
    expect(r.bytes).toBe(2 * PAGE);
    expect(r.absentBytes).toBe(6 * PAGE);
    expect(ZERO_MARGIN).toBeGreaterThanOrEqual(4);
  });

  it('reads a region whole when it is not anonymous, or when pagemap cannot be read', () => {
    const proc = fakeProc([16], [[19 * PAGE + 8, Buffer.from(MARKER, 'latin1')]]);
    const fileBacked = scanMemoryJob(scanner, { pid: 1, regions: [[16 * PAGE, 4 * PAGE]] }, proc);
    expect(fileBacked.matches.map((m) => m.rule)).toEqual(['marker']);
    expect(fileBacked.absentBytes).toBeUndefined();
    rmSync(path.join(proc, '1', 'pagemap'));
    const noPagemap = scanMemoryJob(scanner, { pid: 1, regions: [[16 * PAGE, 4 * PAGE, true]] }, proc);
    expect(noPagemap.matches.map((m) => m.rule)).toEqual(['marker']);
    expect(noPagemap.bytes).toBe(4 * PAGE);
  });
});

/** Resident anonymous memory of a process, in kB (smaps_rollup's Anonymous). */
function anonymousKb(pid: number): number {
  return Number(/^Anonymous:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1]);
}

describe('the memory scan of a live process', () => {
  let child: ChildProcess;
  beforeAll(async () => {
    // 64 MiB from calloc: mapped, never touched but for the one page the marker is written to.
    const code = `const b = Buffer.alloc(64 * 1024 * 1024); b.write(${JSON.stringify(MARKER)}, 40 * 1024 * 1024, 'latin1'); process.stdout.write('ready\\n'); setInterval(() => b.length, 1000);`;
    child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  });
  afterAll(() => child.kill('SIGKILL'));

  it('finds the string, reads only resident pages and leaves the process as resident as it was', () => {
    const pid = child.pid as number;
    const regions = memoryRegions(readFileSync(`/proc/${pid}/maps`, 'utf8'));
    const job: MemoryJob = {
      pid,
      regions: regions.map((r) => (r.anonymous ? [r.start, r.length, true] : [r.start, r.length])),
    };
    const before = anonymousKb(pid);
    const r = scanMemoryJob(scanner, job);
    const after = anonymousKb(pid);
    const marker = r.matches.find((m) => m.rule === 'marker');
    expect(marker).toBeDefined();
    // The address is the string's: /proc/PID/mem there holds it.
    const mem = openSync(`/proc/${pid}/mem`, 'r');
    const at = Buffer.alloc(MARKER.length);
    try {
      readSync(mem, at, 0, at.length, marker?.strings[0]?.offset as number);
    } finally {
      closeSync(mem);
    }
    expect(at.toString('latin1')).toBe(MARKER);
    expect(r.absentBytes).toBeGreaterThan(60 * 2 ** 20);
    // Before, reading the untouched pages made them resident: 64 MiB more for the process.
    expect(after - before).toBeLessThan(1024);
  });

  it('reads through the native addon what /proc/PID/mem gives, to where a mapping ends', () => {
    const addon = builtNativeAddon();
    if (!addon) throw new Error('the build makes the native addon');
    const { readMemory } = loadNativeFile(addon) as {
      readMemory: (pid: number, address: number, buf: Uint8Array, offset: number, length: number) => number;
    };
    const pid = child.pid as number;
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8')
      .trim()
      .split('\n')
      .map((line) => {
        const [range = '', perms = ''] = line.split(/\s+/);
        const [start = 0, end = 0] = range.split('-').map((h) => parseInt(h, 16));
        return { start, end, perms, line };
      });
    const mem = openSync(`/proc/${pid}/mem`, 'r');
    try {
      // Read-only mappings of files hold the same bytes however they are read.
      const fixed = maps.filter(
        (m) => m.perms.startsWith('r') && m.perms[1] === '-' && !m.line.includes('['),
      );
      expect(fixed.length).toBeGreaterThan(3);
      for (const { start, end } of fixed) {
        const length = Math.min(end - start, 256 * 1024);
        const viaAddon = Buffer.alloc(length);
        const viaMem = Buffer.alloc(length);
        expect(readMemory(pid, start, viaAddon, 0, length)).toBe(length);
        expect(readSync(mem, viaMem, 0, length, start)).toBe(length);
        expect(viaAddon.equals(viaMem)).toBe(true);
      }
      // Across the end of a readable mapping into a gap: the same prefix either way.
      const i = maps.findIndex((m, k) => m.perms.startsWith('r') && (maps[k + 1]?.start ?? 0) > m.end);
      const edge = (maps[i]?.end ?? 0) - PAGE;
      expect(readMemory(pid, edge, Buffer.alloc(2 * PAGE), 0, 2 * PAGE)).toBe(PAGE);
      expect(readSync(mem, Buffer.alloc(2 * PAGE), 0, 2 * PAGE, edge)).toBe(PAGE);
      // Where nothing is mapped: nothing read, the error as a negative errno.
      expect(readMemory(pid, maps[i]?.end ?? 0, Buffer.alloc(PAGE), 0, PAGE)).toBe(
        -os.constants.errno.EFAULT,
      );
    } finally {
      closeSync(mem);
    }
  });
});

describe('the memory scan of several processes within its budgets', () => {
  const children: ChildProcess[] = [];
  let empty: string;
  beforeAll(async () => {
    empty = mkdtempSync(path.join(os.tmpdir(), 'minehunter-memory-budget-'));
    for (let i = 0; i < 3; i++) {
      const c = spawn(
        process.execPath,
        ['-e', "process.stdout.write('ready\\n'); setInterval(() => {}, 1000);"],
        {
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      children.push(c);
      await new Promise<void>((resolve) => c.stdout?.once('data', () => resolve()));
    }
  });
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
    rmSync(empty, { recursive: true, force: true });
  });

  it('reads the targets in order until the total is spent, and never a process running a rule engine', async () => {
    const [a, b, c] = children.map((ch) => ch.pid as number);
    const { content, memoryCoverage } = await scanContent({
      scope: 'paths',
      roots: [empty],
      oneFileSystem: true,
      maxFileSize: 1024 * 1024,
      exclude: [],
      memory: {
        // This process maps the YARA-X binding (the rules were compiled here): it is not read.
        targets: [{ pid: process.pid }, { pid: a as number }, { pid: b as number }, { pid: c as number }],
        perProcessBytes: 256 * 1024,
        totalBytes: 384 * 1024,
      },
    });
    // a gets its 256 KiB, b the 128 KiB left, c nothing: the budget was spent before it.
    expect(content.memory?.map((m) => m.pid)).toEqual([a, b]);
    expect(content.memory?.every((m) => m.truncated === true)).toBe(true);
    expect(memoryCoverage?.overBudget).toBe(1);
    expect(content.skipped).toContainEqual(
      expect.objectContaining({ path: `/proc/${process.pid}`, reason: 'rule-engine-process' }),
    );
  });
});
