// Test helpers for the hive reader (never used on a target): hives built by hivex from .reg text,
// hivex's own export parsed as the oracle, our walk dumped in the same shape, .reg value encoders,
// and a seeded random generator for the fuzz tests.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Hive } from './hive.js';
import { regTypeName } from './value.js';
import { writeHive } from './writer.js';

// `hivexregedit --help` exits 1 after printing its usage; only a missing program fails to spawn.
export const hasHivex = spawnSync('hivexregedit', ['--help'], { stdio: 'ignore' }).error === undefined;

function withTemp<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-hive-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'buffer', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error ?? r.stderr.toString()}`);
  return decodeLines(r.stdout);
}

/**
 * hivex's Perl export prints a name holding a character above U+00FF as UTF-8 and any other as
 * Latin-1 bytes; decode each line the way it was printed.
 */
function decodeLines(out: Buffer): string {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i <= out.length; i++) {
    if (i < out.length && out[i] !== 0x0a) continue;
    const line = out.subarray(start, i);
    const utf8 = line.toString('utf8');
    lines.push(Buffer.from(utf8, 'utf8').equals(line) ? utf8 : line.toString('latin1'));
    start = i + 1;
  }
  return lines.join('\n');
}

/** An empty hive (root key only) for `hivexregedit --merge` to start from. */
export function emptyHive(rootName = 'ROOT'): Buffer {
  return writeHive({ name: rootName });
}

/** Merges .reg text (keys as `[PREFIX\path]`, parents before children) into `base` with hivex. */
export function mergeReg(reg: string, prefix: string, base: Buffer = emptyHive()): Buffer {
  return withTemp((dir) => {
    const hive = path.join(dir, 'hive');
    const file = path.join(dir, 'in.reg');
    writeFileSync(hive, base);
    writeFileSync(file, `Windows Registry Editor Version 5.00\n\n${reg.trim()}\n`);
    run('hivexregedit', ['--merge', '--prefix', prefix, hive, file]);
    return readFileSync(hive);
  });
}

const PREFIX = 'HKEY_LOCAL_MACHINE\\TEST';

/** hivex's full export of `hive`, as dump lines (see dumpHive). */
export function hivexDump(hive: Buffer): string[] {
  const text = withTemp((dir) => {
    const file = path.join(dir, 'hive');
    writeFileSync(file, hive);
    return run('hivexregedit', ['--export', '--prefix', PREFIX, file, '\\']);
  });
  return parseRegExport(text, PREFIX);
}

/** A .reg quoted name: backslash escapes `"` and `\`. Returns the name and the rest of the line. */
function unquote(s: string): [string, string] {
  let out = '';
  let i = 1;
  for (; i < s.length && s[i] !== '"'; i++) out += s[i] === '\\' ? s[++i] : s[i];
  return [out, s.slice(i + 1)];
}

/** Parses `hivexregedit --export` output into dump lines. */
export function parseRegExport(text: string, prefix: string): string[] {
  const keys = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('[') && line.endsWith(']')) {
      const p = line.slice(1, -1);
      if (!p.startsWith(prefix)) throw new Error(`export line outside the prefix: ${line}`);
      current = [];
      keys.set(p.slice(prefix.length).replace(/^\\/, ''), current);
      continue;
    }
    if (!line.trim() || line.startsWith('Windows Registry Editor')) continue;
    if (!current) throw new Error(`value before any key: ${line}`);
    const [name, rest] = line.startsWith('@=') ? ['', line.slice(1)] : unquote(line);
    const data = rest.slice(1);
    let type: number;
    let hex: string;
    if (data.startsWith('dword:')) {
      type = 4;
      const b = Buffer.alloc(4);
      b.writeUInt32LE(parseInt(data.slice(6), 16));
      hex = b.toString('hex');
    } else {
      const m = /^hex\(([0-9a-f]+)\):(.*)$/.exec(data);
      if (!m) throw new Error(`unparsed export line: ${line}`);
      type = parseInt(m[1]!, 16);
      hex = m[2]!.replace(/,/g, '');
    }
    current.push(valueLine(name, type, hex));
  }
  return dumpLines(keys);
}

/** One value as a dump line; data over 64 bytes as its length and SHA-256, to keep diffs readable. */
export function valueLine(name: string, type: number, hex: string): string {
  const data =
    hex.length <= 128
      ? hex
      : `${hex.length / 2} bytes sha256:${createHash('sha256').update(hex, 'hex').digest('hex')}`;
  return `  ${JSON.stringify(name)} ${regTypeName(type)} ${data}`;
}

function dumpLines(keys: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const p of [...keys.keys()].sort()) out.push(`[${p}]`, ...keys.get(p)!.sort());
  return out;
}

/** Our full walk in the dump-line shape: `[path]`, then `  "name" REG_TYPE hex` sorted by name. */
export function dumpHive(hive: Hive): string[] {
  const keys = new Map<string, string[]>();
  for (const key of hive.walk())
    keys.set(
      key.path,
      key.values().map((v) => valueLine(v.name, v.type, v.data.toString('hex'))),
    );
  return dumpLines(keys);
}

// ---- .reg value encoders (strings as hex, since hivexregedit reads .reg text as bytes) ----

const hexList = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(',');
const utf16z = (s: string) => Buffer.from(`${s}\0`, 'utf16le');

export const reg = {
  sz: (s: string) => `hex(1):${hexList(utf16z(s))}`,
  expandSz: (s: string) => `hex(2):${hexList(utf16z(s))}`,
  multiSz: (xs: string[]) =>
    `hex(7):${hexList(Buffer.from(`${xs.map((x) => `${x}\0`).join('')}\0`, 'utf16le'))}`,
  dword: (n: number) => `dword:${n.toString(16).padStart(8, '0')}`,
  qword: (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(n);
    return `hex(b):${hexList(b)}`;
  },
  binary: (b: Buffer) => `hex:${hexList(b)}`,
  none: (b: Buffer = Buffer.alloc(0)) => `hex(0):${hexList(b)}`,
};

/** mulberry32: a small seeded generator, so every fuzz run mutates the same way. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
