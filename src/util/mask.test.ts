// The mask: what it writes holds none of the input's strings in clear, undoes exactly, is recognised
// by its header, and leaves unmasked data (a user's own rule file) as it is.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MASK_HEADER, isMasked, maskBytes, readUnmasked, unmaskBytes, unmaskIfMasked } from './mask.js';

const RULES = readFileSync(path.resolve(import.meta.dirname, '../../rules/miners-cpu.yar'));

describe('mask', () => {
  it('round-trips any bytes, empty and longer than the key stream included', () => {
    for (const data of [Buffer.alloc(0), Buffer.from('x'), RULES, Buffer.alloc(10_000, 0xab)]) {
      const masked = maskBytes(data);
      expect(masked.subarray(0, MASK_HEADER.length).equals(MASK_HEADER)).toBe(true);
      expect(masked.length).toBe(data.length + MASK_HEADER.length);
      expect(unmaskBytes(masked).equals(data)).toBe(true);
      expect(unmaskIfMasked(masked).equals(data)).toBe(true);
    }
  });

  it('masks with the same key stream as every earlier version (files on disk must stay readable)', () => {
    // Digests of what the first masking code wrote for these inputs, aligned and not.
    const written: Record<number, string> = {
      1: '32dc3fd5e9de912848848a752b8dc0f3',
      7: 'dd7131c573ea9f881d2d5d6e669d8dd6',
      4093: '06e453cc4f04e25afc1752c6c1714dd1',
      20000: '3cf3460c1ab31d9091756516e4c72d67',
    };
    for (const [n, digest] of Object.entries(written)) {
      const data = Buffer.from(Array.from({ length: Number(n) }, (_, i) => (i * 31) & 255));
      expect(createHash('sha256').update(maskBytes(data)).digest('hex').slice(0, 32), `${n} bytes`).toBe(
        digest,
      );
    }
  });

  it('leaves none of a rule file’s strings in clear', () => {
    const masked = maskBytes(RULES).toString('latin1');
    const text = RULES.toString('latin1');
    const strings = [...text.matchAll(/"([^"\n]{6,})"/g)].map((m) => m[1]!);
    expect(strings.length).toBeGreaterThan(10);
    for (const s of strings) expect(masked).not.toContain(s);
    expect(masked).not.toMatch(/rule\s+\w+/);
  });

  it('passes unmasked data through and refuses it where masked data is required', () => {
    expect(isMasked(RULES)).toBe(false);
    expect(unmaskIfMasked(RULES)).toBe(RULES);
    expect(() => unmaskBytes(RULES)).toThrow(/not masked/);
    expect(isMasked(MASK_HEADER.subarray(0, 4))).toBe(false);
  });

  it('reads a masked file back as its clear content', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-mask-'));
    try {
      const file = path.join(dir, 'r.yar');
      writeFileSync(file, maskBytes(RULES));
      expect(readUnmasked(file).equals(RULES)).toBe(true);
      writeFileSync(file, RULES);
      expect(readUnmasked(file).equals(RULES)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
