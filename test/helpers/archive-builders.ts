// Builds zip, tar and tar.gz archives in memory for the archive tests, including entries of hundreds
// of MiB of zeros that are never held: one MiB of zeros deflated and ended with a full flush (byte
// aligned, no back-reference across it) is a block that repeats as often as wanted, so a 900 MiB
// entry costs about 1 MB and no time to build. Headers carry real CRCs and sizes, as zip and gzip do.
import { constants, crc32, deflateRawSync } from 'node:zlib';

export const MiB = 1024 * 1024;

const ZERO_MIB = Buffer.alloc(MiB);
const ZERO_BLOCK = deflateRawSync(ZERO_MIB, { finishFlush: constants.Z_FULL_FLUSH });
const FINAL_BLOCK = deflateRawSync(Buffer.alloc(0));

/** Raw deflate of `mib` MiB of zeros, without its final block (see zeroDeflate). */
function zeroBlocks(mib: number): Buffer[] {
  return Array.from({ length: mib }, () => ZERO_BLOCK);
}

/** A complete raw deflate stream of `mib` MiB of zeros. */
export function zeroDeflate(mib: number): Buffer {
  return Buffer.concat([...zeroBlocks(mib), FINAL_BLOCK]);
}

const crcs = new Map<string, number>();

/** The CRC-32 of `mib` MiB of zeros following bytes whose CRC is `seed` (memoised: it costs 0.5 s/GiB). */
export function zeroCrc(mib: number, seed = 0): number {
  const key = `${mib}:${seed}`;
  let crc = crcs.get(key);
  if (crc === undefined) {
    crc = seed;
    for (let i = 0; i < mib; i++) crc = crc32(ZERO_MIB, crc);
    crcs.set(key, crc);
  }
  return crc;
}

/** A gzip member around a raw deflate stream of the given CRC and size. */
export function gzipOf(deflated: Buffer, crc: number, size: number): Buffer {
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc >>> 0, 0);
  trailer.writeUInt32LE(size >>> 0, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), deflated, trailer]);
}

export function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write('0000644\0', 100);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0' + '00', 257);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

const tarPad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);

export function tar(entries: { name: string; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) blocks.push(tarHeader(e.name, e.data.length), e.data, tarPad(e.data.length));
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** An entry with its bytes, or `zeroMiB` MiB of zeros that are never expanded here. */
export type Part = { name: string; data: Buffer } | { name: string; zeroMiB: number };

/** A tar.gz of `parts` in one gzip member; 900 MiB of zeros cost about 1 MB. */
export function tarGz(parts: Part[]): Buffer {
  const segments: Buffer[] = [];
  let crc = 0;
  let size = 0;
  const plain = (b: Buffer) => {
    segments.push(deflateRawSync(b, { finishFlush: constants.Z_FULL_FLUSH }));
    crc = crc32(b, crc);
    size += b.length;
  };
  for (const p of parts) {
    if ('data' in p) plain(Buffer.concat([tarHeader(p.name, p.data.length), p.data, tarPad(p.data.length)]));
    else {
      plain(tarHeader(p.name, p.zeroMiB * MiB));
      segments.push(...zeroBlocks(p.zeroMiB));
      crc = zeroCrc(p.zeroMiB, crc);
      size += p.zeroMiB * MiB;
    }
  }
  plain(Buffer.alloc(1024));
  segments.push(FINAL_BLOCK);
  return gzipOf(Buffer.concat(segments), crc, size);
}

export interface ZipItem {
  name: string;
  data?: Buffer;
  /** Instead of data: this many MiB of zeros, deflated without expanding them. */
  zeroMiB?: number;
  /** Lie in the headers about the expanded size. */
  claim?: number;
}

/** A zip of deflated entries; with `shareData` every entry after the first points at the first's data. */
export function zip(items: ZipItem[], shareData = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [i, it] of items.entries()) {
    const zeros = it.zeroMiB ?? 0;
    const comp = it.data ? deflateRawSync(it.data) : zeroDeflate(zeros);
    const n = Buffer.from(it.name);
    const size = it.claim ?? (it.data ? it.data.length : zeros * MiB);
    const crc = it.data ? crc32(it.data) : zeroCrc(zeros);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(n.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(crc >>> 0, 16);
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
