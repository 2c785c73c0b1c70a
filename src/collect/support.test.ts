// Tests for collector plumbing: the error cap, bounded concurrency and the passwd reader. The
// chroot-style path resolution the collectors read through is tested with its door, target/fs.test.ts.
import { describe, expect, it } from 'vitest';
import { CollectionRecordSchema } from '../snapshot/schema.js';
import { CollectorLog, MAX_RECORDED_ERRORS, mapLimit, parsePasswd } from './support.js';

describe('CollectorLog', () => {
  it('keeps the first errors with their code and counts the rest', () => {
    const log = new CollectorLog('linux.test', ['processes']);
    for (let i = 0; i < MAX_RECORDED_ERRORS + 5; i++) {
      log.add(`/proc/${i}/environ`, Object.assign(new Error('permission denied'), { code: 'EACCES' }));
    }
    const record = log.record('partial', 'n');
    expect(() => CollectionRecordSchema.parse(record)).not.toThrow();
    expect(record.errors).toHaveLength(MAX_RECORDED_ERRORS);
    expect(record.errors[0]).toEqual({
      path: '/proc/0/environ',
      code: 'EACCES',
      message: 'permission denied',
    });
    expect(record.droppedErrors).toBe(5);
  });
});

describe('mapLimit', () => {
  it('never runs more than the limit at once and keeps results in input order', async () => {
    let active = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      peak = Math.max(peak, ++active);
      await new Promise((r) => setTimeout(r, n));
      active--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0, 60]);
    expect(peak).toBe(3);
  });
});

describe('parsePasswd', () => {
  it('maps uids to names, first entry wins', () => {
    const users = parsePasswd(
      'root:x:0:0::/root:/bin/sh\ntoor:x:0:0::/:/bin/sh\nbad line\nwww-data:x:33:33::/:/bin/false\n',
    );
    expect([...users]).toEqual([
      [0, 'root'],
      [33, 'www-data'],
    ]);
  });
});
