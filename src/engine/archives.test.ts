// Tests for the archive readers: zip (stored and deflated), tar with long and ../ names, tar.gz and
// nested archives come out entry by entry; bombs (ratio, declared size, overlapping entries, lying
// headers), too many entries and too deep nesting stop with a named skip, never an expansion.
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { archiveType, expandArchive, unsafeEntryName, type ArchiveEvent } from './archives.js';

function tar(entries: { name: string; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    h.write(e.name.slice(0, 100), 0, 'utf8');
    h.write('0000644\0', 100);
    h.write(e.data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

interface ZipItem {
  name: string;
  data: Buffer;
  /** Lie in the headers about the expanded size. */
  claim?: number;
}

function zip(items: ZipItem[], shareData = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [i, it] of items.entries()) {
    const comp = deflateRawSync(it.data);
    const n = Buffer.from(it.name);
    const size = it.claim ?? it.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(n.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(comp.length, 20);
    c.writeUInt32LE(size, 24);
    c.writeUInt16LE(n.length, 28);
    c.writeUInt32LE(shareData && i > 0 ? 0 : offset, 42);
    centrals.push(c, n);
    if (!(shareData && i > 0)) {
      locals.push(local, n, comp);
      offset += 30 + n.length + comp.length;
    }
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(items.length, 8);
  end.writeUInt16LE(items.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function all(data: Buffer, limits?: Parameters<typeof expandArchive>[2]): ArchiveEvent[] {
  const type = archiveType(data);
  if (!type) throw new Error('not an archive');
  return [...expandArchive(data, type, limits)];
}
const entries = (evs: ArchiveEvent[]) =>
  evs.flatMap((e) => (e.type === 'entry' ? [`${e.name}=${e.data.toString()}`] : []));
const skips = (evs: ArchiveEvent[]) =>
  evs.flatMap((e) => (e.type === 'skip' ? [`${e.name}:${e.reason}`] : []));

describe('archive readers', () => {
  it('reads zip, tar, tar.gz and a zip inside a tar', () => {
    expect(
      entries(
        all(
          zip([
            { name: 'a.txt', data: Buffer.from('alpha') },
            { name: 'd/b.sh', data: Buffer.from('beta') },
          ]),
        ),
      ),
    ).toEqual(['a.txt=alpha', 'd/b.sh=beta']);
    const t = tar([{ name: 'x/y.conf', data: Buffer.from('pool') }]);
    expect(entries(all(t))).toEqual(['x/y.conf=pool']);
    expect(entries(all(gzipSync(t)))).toEqual(['x/y.conf=pool']);
    const nested = tar([{ name: 'inner.zip', data: zip([{ name: 'deep.js', data: Buffer.from('miner') }]) }]);
    expect(entries(all(nested))).toContain('inner.zip!deep.js=miner');
  });

  it('reports ../ and absolute entry names, and still yields their contents', () => {
    const evs = all(tar([{ name: '../../etc/cron.d/x', data: Buffer.from('run') }]));
    expect(skips(evs)).toEqual(['../../etc/cron.d/x:unsafe-archive-path']);
    expect(entries(evs)).toEqual(['../../etc/cron.d/x=run']);
    expect(unsafeEntryName('/etc/passwd')).toBe(true);
    expect(unsafeEntryName('a/..b/c')).toBe(false);
  });

  it('reports zip bombs before inflating anything', () => {
    const ratio = all(zip([{ name: 'z', data: Buffer.alloc(8 * 1024 * 1024) }]));
    expect(skips(ratio)).toEqual([':archive-bomb']);
    expect(entries(ratio)).toEqual([]);
    const declared = all(zip([{ name: 'z', data: Buffer.from('x'), claim: 0xfffffff0 }]));
    expect(skips(declared)).toEqual([':archive-bomb']);
    const overlap = all(
      zip(
        [
          { name: 'a', data: Buffer.from('x') },
          { name: 'b', data: Buffer.from('x') },
        ],
        true,
      ),
    );
    expect(skips(overlap)).toEqual([':archive-bomb']);
  });

  it('stops a header that understates its size at the size it declared', () => {
    const liar = all(zip([{ name: 'z', data: Buffer.alloc(100_000, 0x41), claim: 1000 }]));
    expect(skips(liar)).toEqual(['z:archive-bomb']);
  });

  it('stops at the entry, size and depth limits with a named skip', () => {
    const many = tar(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') })));
    expect(skips(all(many, { maxDepth: 2, maxEntries: 3, maxExpanded: 1e9, maxRatio: 200 }))).toEqual([
      ':archive-limit',
    ]);
    const big = tar([
      { name: 'a', data: Buffer.alloc(4096) },
      { name: 'b', data: Buffer.alloc(4096) },
    ]);
    expect(skips(all(big, { maxDepth: 2, maxEntries: 10, maxExpanded: 5000, maxRatio: 200 }))).toEqual([
      'b:archive-limit',
    ]);
    const deep = tar([
      { name: 'l1.tar', data: tar([{ name: 'l2.tar', data: tar([{ name: 'x', data: Buffer.from('y') }]) }]) },
    ]);
    expect(skips(all(deep))).toEqual(['l1.tar!l2.tar:archive-depth']);
  });

  it('reports a corrupt archive instead of throwing', () => {
    const t = tar([{ name: 'a', data: Buffer.from('x') }]);
    t[0] = 0x41; // breaks the header checksum
    expect(skips(all(t))).toEqual([':archive-corrupt']);
    const z = zip([{ name: 'a', data: Buffer.from('x') }]).subarray(0, 40);
    expect(archiveType(z)).toBe('zip');
    expect(skips([...expandArchive(z, 'zip')])).toEqual([':archive-corrupt']);
  });
});
