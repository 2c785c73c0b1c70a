// The memory scan's zero-page rule and its coverage note (issue 20): whole zero pages at the edges
// of a piece of process memory are not handed to the rules, a margin of zeros stays beside the
// rest so nothing that ends or starts in zeros is cut, and the record's note says what was left out.
import { describe, expect, it } from 'vitest';
import type { Content } from '../../snapshot/schema.js';
import { ZERO_MARGIN, nonZeroSpan } from '../../engine/scan-job.js';
import { memoryNote } from './index.js';

const PAGE = 4096;

/** `pages` pages of zeros with `text` written at `at`. */
function memory(pages: number, at?: number, text = 'stratum+tcp://pool.example:3333'): Buffer {
  const buf = Buffer.alloc(pages * PAGE);
  if (at !== undefined) buf.write(text, at, 'latin1');
  return buf;
}

describe('nonZeroSpan', () => {
  it('leaves an untouched (all-zero) piece out entirely', () => {
    expect(nonZeroSpan(memory(33))).toBeUndefined();
    expect(nonZeroSpan(Buffer.alloc(0))).toBeUndefined();
  });

  it('keeps a heap-like piece from its start to its last written page, with a margin of zeros', () => {
    const heap = memory(33, 100);
    expect(nonZeroSpan(heap)).toEqual([0, PAGE + ZERO_MARGIN]);
  });

  it('keeps a stack-like piece from a margin before its first written page to its end', () => {
    const stack = memory(33, 33 * PAGE - 40);
    expect(nonZeroSpan(stack)).toEqual([32 * PAGE - ZERO_MARGIN, 33 * PAGE]);
  });

  it('keeps the zeros between two written places, so strings of one piece stay together', () => {
    const buf = memory(40, 3 * PAGE + 7);
    buf.write('--donate-level', 30 * PAGE + 5, 'latin1');
    const span = nonZeroSpan(buf) as [number, number];
    expect(span).toEqual([3 * PAGE - ZERO_MARGIN, 31 * PAGE + ZERO_MARGIN]);
    const kept = buf.subarray(...span).toString('latin1');
    expect(kept).toContain('stratum+tcp://pool.example:3333');
    expect(kept).toContain('--donate-level');
    // The kept part starts with a zero byte, as the piece did: a rule anchored at 0 sees no magic.
    expect(buf[span[0]]).toBe(0);
  });

  it('keeps a piece whose length is not a whole number of pages (a region cut by the budget)', () => {
    const buf = Buffer.alloc(2 * PAGE + 100);
    buf[2 * PAGE + 99] = 0x41;
    expect(nonZeroSpan(buf)).toEqual([2 * PAGE - ZERO_MARGIN, 2 * PAGE + 100]);
  });
});

describe('memoryNote', () => {
  const content = { stats: { memoryProcesses: 676, memoryBytes: 256 * 2 ** 20 } } as unknown as Content;

  it('says how much was read, how much of it was zero pages, and which processes the budget did not reach', () => {
    expect(memoryNote(content, { zeroBytes: 175 * 2 ** 20, overBudget: 358 })).toBe(
      'memory of 676 processes, 256.0 MiB read, 175.0 MiB of it zero pages not scanned, 358 processes not read (total memory budget spent)',
    );
  });

  it('says how much of the regions was never touched and so not read', () => {
    expect(memoryNote(content, { zeroBytes: 0, overBudget: 0, absentBytes: 190 * 2 ** 20 })).toBe(
      'memory of 676 processes, 256.0 MiB read, 190.0 MiB of pages never touched not read (zeros)',
    );
  });

  it('says only what was read when nothing was left out', () => {
    expect(memoryNote(content, { zeroBytes: 0, overBudget: 0 })).toBe(
      'memory of 676 processes, 256.0 MiB read',
    );
  });
});
