// The layer tar parser against tar-stream, which it replaces for layers: the same entries (names
// after ustar prefixes, GNU long names and PAX records, types, modes, sizes, link targets, data)
// from tar-stream's own tars and from GNU tar's gnu, ustar and pax formats, fed whole and in
// awkward chunk sizes; and the same errors for a cut stream, a bad checksum and an unknown format.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageTempDir, tarOf } from '../../../test/helpers/image-builders.js';
import { TarParser, type TarHeader } from './tar-parse.js';

interface Seen {
  name: string;
  type: string | null;
  mode: number;
  size: number;
  linkname: string | null;
  data: string;
}

/** Entries as our parser reads `bytes`, fed `step` bytes at a time (all at once when 0). */
function ours(bytes: Buffer, step = 0): Seen[] {
  const out: Seen[] = [];
  let cur: { h: TarHeader; parts: Buffer[] } | undefined;
  const p = new TarParser({
    entry: (h) => {
      cur = { h, parts: [] };
    },
    // A copy: the views are valid only during the call.
    data: (c) => cur?.parts.push(Buffer.from(c)),
    entryEnd: () => {
      if (!cur) return;
      const { h, parts } = cur;
      out.push({ ...h, data: Buffer.concat(parts).toString('latin1') });
      cur = undefined;
    },
  });
  if (step === 0) p.push(bytes);
  else
    for (let at = 0; at < bytes.length; at += step) {
      // A chunk the caller reuses at once: the parser must not keep it.
      const chunk = Buffer.from(bytes.subarray(at, at + step));
      p.push(chunk);
      chunk.fill(0xee);
    }
  p.end();
  return out;
}

/** Entries as tar-stream reads `bytes`. */
async function theirs(bytes: Buffer): Promise<Seen[]> {
  const out: Seen[] = [];
  const ex = tar.extract();
  ex.end(bytes);
  for await (const e of ex) {
    const parts: Buffer[] = [];
    for await (const c of e as AsyncIterable<Buffer>) parts.push(c);
    const h = e.header;
    out.push({
      name: h.name,
      type: h.type ?? null,
      mode: h.mode ?? 0,
      size: h.size ?? 0,
      linkname: h.linkname ?? null,
      data: Buffer.concat(parts).toString('latin1'),
    });
  }
  return out;
}

async function theirError(bytes: Buffer): Promise<string> {
  try {
    await theirs(bytes);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

function ourError(bytes: Buffer): string {
  try {
    ours(bytes, 100);
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
}

let dir: string;
beforeAll(async () => {
  dir = await imageTempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const LONG = `${'deep/'.repeat(30)}name-${'x'.repeat(120)}.txt`;

/** A tree with long names, a long link target, a hard link, an empty file and a large one. */
async function gnuTar(format: 'gnu' | 'ustar' | 'pax'): Promise<Buffer> {
  const root = path.join(dir, `tree-${format}`);
  await rm(root, { recursive: true, force: true });
  await mkdir(path.join(root, 'usr/bin'), { recursive: true });
  await writeFile(path.join(root, 'usr/bin/tool'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  await writeFile(path.join(root, 'empty'), '');
  await writeFile(path.join(root, 'big.bin'), Buffer.alloc(70_000, 7));
  // ustar can hold a long path only split at a slash into its 155-byte prefix and 100-byte name.
  const long = format === 'ustar' ? `${'d/'.repeat(60)}file.txt` : LONG;
  await mkdir(path.dirname(path.join(root, long)), { recursive: true });
  await writeFile(path.join(root, long), 'long one');
  await symlink(format === 'ustar' ? 'usr/bin/tool' : `../${'t'.repeat(150)}`, path.join(root, 'link'));
  execFileSync('ln', [path.join(root, 'usr/bin/tool'), path.join(root, 'hard')]);
  const out = path.join(dir, `${format}.tar`);
  execFileSync('tar', [`--format=${format}`, '-cf', out, '-C', root, '.']);
  return readFile(out);
}

describe('TarParser', () => {
  it('reads tar-stream tars as tar-stream does, whatever the chunk sizes', async () => {
    const bytes = await tarOf([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n', mode: 0o644 },
      { name: LONG, content: 'long name through a PAX record' },
      { name: 'usr/local/bin/x', content: Buffer.alloc(1500, 0x41), mode: 0o755 },
      { name: 'usr/local/bin/y', type: 'symlink', linkname: 'x' },
      { name: 'usr/local/bin/z', type: 'link', linkname: 'usr/local/bin/x' },
      { name: 'empty', content: '' },
      { name: 'old-style-dir/', content: '' },
      { name: './dot/..//odd', content: 'odd' },
      { name: 'fifo', type: 'fifo' },
    ]);
    const expected = await theirs(bytes);
    expect(expected.length).toBe(10);
    for (const step of [0, 1, 7, 511, 512, 513, 4096]) expect(ours(bytes, step)).toEqual(expected);
  });

  for (const format of ['gnu', 'ustar', 'pax'] as const)
    it(`reads GNU tar's ${format} format as tar-stream does`, async () => {
      const bytes = await gnuTar(format);
      const expected = await theirs(bytes);
      expect(expected.some((e) => e.type === 'link')).toBe(true);
      for (const step of [0, 3, 512, 10_000]) expect(ours(bytes, step)).toEqual(expected);
    });

  it('fails where tar-stream fails, with its messages', async () => {
    const bytes = await tarOf([
      { name: 'a', content: Buffer.alloc(3000, 1) },
      { name: 'b', content: 'b' },
    ]);
    // Cut inside a file's data, inside a header, inside the padding.
    for (const cut of [1000, 512 * 7 + 100, 512 + 3000 + 10]) {
      const part = bytes.subarray(0, cut);
      expect(ourError(part)).toBe(await theirError(part));
      expect(ourError(part)).toBe('Unexpected end of data');
    }
    const bad = Buffer.from(bytes);
    bad[10] = 0x41; // the first header's checksum no longer holds
    expect(ourError(bad)).toBe(await theirError(bad));
    expect(ourError(bad)).toMatch(/Invalid tar header/);
    const unknown = Buffer.from(bytes);
    unknown.write('nonsense', 257, 'latin1');
    // Keep the checksum right: only the magic is wrong.
    unknown.fill(0x20, 148, 156);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += unknown[i] as number;
    unknown.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    expect(ourError(unknown)).toBe(await theirError(unknown));
    expect(ourError(unknown)).toBe('Invalid tar header: unknown format.');
  });

  it('passes over an entry its sink skips, and lets the caller leap over its bytes', async () => {
    const big = Buffer.alloc(5000, 0x61);
    const bytes = await tarOf([
      { name: 'a.txt', content: 'first' },
      { name: 'big.bin', content: big },
      { name: 'c.txt', content: 'last' },
    ]);
    // Fed whole: the skipped entry's bytes are parsed over, its data never handed out.
    const run = (leap: boolean) => {
      const names: string[] = [];
      const data: string[] = [];
      let bigAt = -1;
      const p = new TarParser({
        entry: (h) => {
          names.push(h.name);
          if (h.name !== 'big.bin') return undefined;
          bigAt = p.position;
          return 'skip';
        },
        data: (c) => data.push(c.toString('latin1')),
        entryEnd: () => undefined,
      });
      if (!leap) p.push(bytes);
      else {
        // Up to the end of big.bin's header, then a leap over its data and padding to the next header.
        p.push(bytes.subarray(0, 1536));
        const n = p.skippable();
        expect(n).toBe(5000 + (512 - (5000 % 512)));
        p.skipped(n);
        p.push(bytes.subarray(1536 + n));
      }
      p.end();
      return { names, data, bigAt };
    };
    for (const leap of [false, true]) {
      const r = run(leap);
      expect(r.names).toEqual(['a.txt', 'big.bin', 'c.txt']);
      expect(r.data).toEqual(['first', 'last']);
      // Where big.bin's data begins: after a.txt's header and block, and its own header.
      expect(r.bigAt).toBe(1536);
      expect(bytes.subarray(r.bigAt, r.bigAt + 5000).equals(big)).toBe(true);
    }
  });
});
