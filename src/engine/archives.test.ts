// Tests for the archive readers: zip (stored and deflated), tar with long and ../ names, tar.gz and
// nested archives come out entry by entry; a bomb entry (ratio, lying header, overlapping data) or an
// entry too large is skipped by name while the entries beside it are still read, in either order, for
// zip and tar.gz alike (a 900 MiB entry of zeros, built without ever holding it); too many entries,
// the expansion budget and too deep nesting stop with a named skip after what was already read.
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  MiB,
  gzipOf,
  tar,
  tarGz,
  zeroCrc,
  zeroDeflate,
  zip,
  type Part,
  type ZipItem,
} from '../../test/helpers/archive-builders.js';
import {
  DEFAULT_ARCHIVE_LIMITS,
  archiveType,
  expandArchive,
  unsafeEntryName,
  type ArchiveEvent,
  type ArchiveLimits,
} from './archives.js';

function all(data: Buffer, limits?: Partial<ArchiveLimits>): ArchiveEvent[] {
  const type = archiveType(data);
  if (!type) throw new Error('not an archive');
  return [...expandArchive(data, type, { ...DEFAULT_ARCHIVE_LIMITS, ...limits })];
}
const entries = (evs: ArchiveEvent[]) =>
  evs.flatMap((e) => (e.type === 'entry' ? [`${e.name}=${e.data.toString()}`] : []));
const skips = (evs: ArchiveEvent[]) =>
  evs.flatMap((e) => (e.type === 'skip' ? [`${e.name}:${e.reason}`] : []));
/** Entries and skips in the order they came. */
const events = (evs: ArchiveEvent[]) =>
  evs.map((e) => (e.type === 'entry' ? `${e.name}=${e.data.toString()}` : `${e.name}:${e.reason}`));

/** Stands in for the look-alike miner: what matters here is that its bytes come out intact. */
const MINER = Buffer.from('\x7fELF look-alike: XMRig/6.21.0 stratum+tcp://pool.example:3333 randomx\n');

/** Runs `f`, returning its result and how long it took. */
function timed<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const out = f();
  return [out, performance.now() - t0];
}

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
    expect(entries(all(gzipSync(Buffer.from('just text'))))).toEqual(['(gunzip)=just text']);
    // gzip(1) writes the file name into the header; `cat a.gz b.gz` is one gzip of two members.
    const named = gzipSync(Buffer.from('named'));
    const withName = Buffer.concat([
      named.subarray(0, 3),
      Buffer.from([8]),
      named.subarray(4, 10),
      Buffer.from('x.txt\0'),
      named.subarray(10),
    ]);
    expect(entries(all(withName))).toEqual(['(gunzip)=named']);
    const [a, b] = [
      tar([{ name: 'a', data: Buffer.from('one') }]),
      tar([{ name: 'b', data: Buffer.from('two') }]),
    ];
    const members = Buffer.concat([gzipSync(a.subarray(0, 1024)), gzipSync(b)]);
    expect(entries(all(members))).toEqual(['a=one', 'b=two']);
    const split = Buffer.concat([gzipSync(b.subarray(0, 100)), gzipSync(b.subarray(100))]);
    expect(entries(all(split))).toEqual(['b=two']);
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

  it('skips a zip bomb entry before inflating it, and reads the entries beside it', () => {
    const ratio = all(
      zip([
        { name: 'z', data: Buffer.alloc(8 * MiB) },
        { name: 'ok', data: Buffer.from('fine') },
      ]),
    );
    expect(events(ratio)).toEqual(['z:archive-bomb', 'ok=fine']);
    expect(ratio[0]).toMatchObject({
      detail: expect.stringMatching(/^8388608 bytes from \d+ \(ratio \d+:1\)$/),
    });
    const declared = all(zip([{ name: 'z', data: Buffer.from('x'), claim: 0xfffffff0 }]));
    expect(skips(declared)).toEqual(['z:archive-bomb']);
    const overlap = all(
      zip(
        [
          { name: 'a', data: Buffer.from('x') },
          { name: 'b', data: Buffer.from('x') },
        ],
        true,
      ),
    );
    expect(events(overlap)).toEqual(['a=x', 'b:archive-bomb']);
  });

  it('stops a header that understates its size at the size it declared, and goes on', () => {
    const liar = all(
      zip([
        { name: 'z', data: Buffer.alloc(100_000, 0x41), claim: 1000 },
        { name: 'ok', data: Buffer.from('fine') },
      ]),
    );
    expect(events(liar)).toEqual(['z:archive-bomb', 'ok=fine']);
  });

  it('skips an entry larger than the entry limit as too large when it is no bomb, zip and tar.gz', () => {
    const big = randomBytes(64 * 1024);
    const limits = { maxEntrySize: 32 * 1024 };
    const z = all(
      zip([
        { name: 'big.bin', data: big },
        { name: 'ok', data: Buffer.from('fine') },
      ]),
      limits,
    );
    expect(events(z)).toEqual(['big.bin:too-large', 'ok=fine']);
    expect(z[0]).toMatchObject({ detail: '65536 bytes > entry limit 32768' });
    const t = all(
      gzipSync(
        tar([
          { name: 'big.bin', data: big },
          { name: 'ok', data: Buffer.from('fine') },
        ]),
      ),
      limits,
    );
    expect(events(t)).toEqual(['big.bin:too-large', 'ok=fine']);
    // Passed over across several chunks of the stream, the entry after it starts where it should.
    const chunks = gzipSync(
      tar([
        { name: 'first', data: Buffer.from('one') },
        { name: 'noise.bin', data: randomBytes(3 * MiB + 7) },
        { name: 'ok', data: Buffer.from('fine') },
      ]),
    );
    expect(events(all(chunks, { maxEntrySize: MiB }))).toEqual([
      'first=one',
      'noise.bin:too-large',
      'ok=fine',
    ]);
  });

  it('stops at the entry count, the expansion budget and the depth with a named skip, keeping what came before', () => {
    const many = tar(Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') })));
    expect(events(all(many, { maxEntries: 3 }))).toEqual(['f0=x', 'f1=x', 'f2=x', 'f3:archive-limit']);
    const files = [
      { name: 'a', data: Buffer.alloc(4096, 0x61) },
      { name: 'b', data: Buffer.alloc(4096, 0x62) },
      { name: 'c', data: Buffer.alloc(4096, 0x63) },
    ];
    const budget = { maxExpanded: 10_000 };
    for (const archive of [tar(files), gzipSync(tar(files)), zip(files)]) {
      const evs = all(archive, budget);
      expect(skips(evs)).toEqual(['c:archive-limit']);
      expect(evs.flatMap((e) => (e.type === 'entry' ? [e.name] : []))).toEqual(['a', 'b']);
    }
    const deep = tar([
      { name: 'l1.tar', data: tar([{ name: 'l2.tar', data: tar([{ name: 'x', data: Buffer.from('y') }]) }]) },
    ]);
    expect(skips(all(deep))).toEqual(['l1.tar!l2.tar:archive-depth']);
  });

  it('reports a corrupt archive instead of throwing, after the entries read before the break', () => {
    const t = tar([{ name: 'a', data: Buffer.from('x') }]);
    t[0] = 0x41; // breaks the header checksum
    expect(skips(all(t))).toEqual([':archive-corrupt']);
    const z = zip([{ name: 'a', data: Buffer.from('x') }]).subarray(0, 40);
    expect(archiveType(z)).toBe('zip');
    expect(skips([...expandArchive(z, 'zip')])).toEqual([':archive-corrupt']);
    const gz = gzipSync(
      tar([
        { name: 'a', data: Buffer.from('first') },
        { name: 'b', data: randomBytes(200_000) },
      ]),
    );
    const cut = all(gz.subarray(0, gz.length - 60_000));
    expect(events(cut)).toEqual(['a=first', ':archive-corrupt']);
    expect(skips(all(Buffer.concat([Buffer.from([0x1f, 0x8b, 8]), randomBytes(100)])))).toEqual([
      ':archive-corrupt',
    ]);
  });
});

describe('an archive holding a miner beside a 900 MiB entry of zeros', () => {
  const ZEROS = 900;
  const bombDetail = /^943718400 bytes from \d+ \(ratio \d+:1\)$/;

  for (const order of ['bomb first', 'miner first'] as const) {
    const parts = (miner: Part, bomb: Part): Part[] =>
      order === 'bomb first' ? [bomb, miner] : [miner, bomb];

    it(`zip, ${order}: the miner is read, the bomb entry skipped by name without inflating it`, () => {
      const archive = zip(
        parts({ name: 'xmrig', data: MINER }, { name: 'zeros.bin', zeroMiB: ZEROS }) as ZipItem[],
      );
      expect(archive.length).toBeLessThan(2 * MiB);
      const [evs, ms] = timed(() => all(archive));
      expect(entries(evs)).toEqual([`xmrig=${MINER.toString()}`]);
      expect(skips(evs)).toEqual(['zeros.bin:archive-bomb']);
      expect(evs.find((e) => e.type === 'skip')).toMatchObject({ detail: expect.stringMatching(bombDetail) });
      expect(ms).toBeLessThan(1000);
    });

    it(`tar.gz, ${order}: the stream is inflated past the bomb entry without holding it, the miner read`, () => {
      const archive = tarGz(parts({ name: 'xmrig', data: MINER }, { name: 'zeros.bin', zeroMiB: ZEROS }));
      expect(archive.length).toBeLessThan(2 * MiB);
      const rss0 = process.memoryUsage().rss;
      const [evs, ms] = timed(() => all(archive));
      expect(events(evs)).toEqual(
        order === 'bomb first'
          ? ['zeros.bin:archive-bomb', `xmrig=${MINER.toString()}`]
          : [`xmrig=${MINER.toString()}`, 'zeros.bin:archive-bomb'],
      );
      expect(evs.find((e) => e.type === 'skip')).toMatchObject({ detail: expect.stringMatching(bombDetail) });
      // Nothing near the entry's size was held; the time is inflating 900 MiB of zeros on this CPU.
      expect(process.memoryUsage().rss - rss0).toBeLessThan(100 * MiB);
      expect(ms).toBeLessThan(3000);
    });
  }

  it('a zip inside a zip, within the depth: the inner entries are named through both', () => {
    const inner = zip([
      { name: 'zeros.bin', zeroMiB: ZEROS },
      { name: 'bin/xmrig', data: MINER },
    ]);
    const outer = zip([
      { name: 'readme.txt', data: Buffer.from('hello') },
      { name: 'inner.zip', data: inner },
    ]);
    const evs = all(outer);
    expect(skips(evs)).toEqual(['inner.zip!zeros.bin:archive-bomb']);
    expect(entries(evs)).toContain(`inner.zip!bin/xmrig=${MINER.toString()}`);
    // One level deeper than maxDepth: named, not expanded.
    const deeper = all(zip([{ name: 'outer.zip', data: outer }]));
    expect(skips(deeper)).toEqual(['outer.zip!inner.zip:archive-depth']);
  });

  it('a tar.gz inside a zip: the nested stream is inflated past its bomb entry too', () => {
    const nested = tarGz([
      { name: 'zeros.bin', zeroMiB: ZEROS },
      { name: 'xmrig', data: MINER },
    ]);
    const evs = all(zip([{ name: 'release.tar.gz', data: nested }]));
    expect(skips(evs)).toEqual(['release.tar.gz!zeros.bin:archive-bomb']);
    expect(entries(evs)).toContain(`release.tar.gz!xmrig=${MINER.toString()}`);
  });

  it('stops at the inflation budget with one named skip, keeping the entry before it', () => {
    const archive = tarGz([
      { name: 'xmrig', data: MINER },
      { name: 'zeros.bin', zeroMiB: 64 },
      { name: 'after', data: Buffer.from('never reached') },
    ]);
    // Too big to pass over, and a bomb by what is left of the input: named so.
    const evs = all(archive, { maxInflated: 32 * MiB });
    expect(events(evs)).toEqual([`xmrig=${MINER.toString()}`, 'zeros.bin:archive-bomb']);
    expect(evs[1]).toMatchObject({ detail: expect.stringMatching(/the entries after it are not read$/) });
    const plain = gzipSync(
      tar([
        { name: 'xmrig', data: MINER },
        { name: 'noise', data: randomBytes(64 * 1024) },
        { name: 'after', data: Buffer.from('never reached') },
      ]),
    );
    const limited = all(plain, { maxEntrySize: 32 * 1024, maxInflated: 48 * 1024 });
    expect(events(limited)).toEqual([`xmrig=${MINER.toString()}`, 'noise:archive-limit']);
  });

  it('a single gzip of zeros is a bomb as a whole; an abandoned stream leaves the reader usable', () => {
    const gz = tarGz([{ name: 'zeros.bin', zeroMiB: 16 }]);
    const first = expandArchive(gz, 'gzip');
    first.next(); // leaves the stream halfway: the generator's finally stops it
    first.return(undefined);
    const gzOfZeros = gzipOf(zeroDeflate(100), zeroCrc(100), 100 * MiB);
    expect(skips(all(gzOfZeros))).toEqual([':archive-bomb']);
    expect(entries(all(gzipSync(Buffer.from('still works'))))).toEqual(['(gunzip)=still works']);
  });
});
