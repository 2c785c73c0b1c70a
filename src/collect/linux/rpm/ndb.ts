// rpm's NDB package database (`Packages.db`, SUSE's default: SLES and openSUSE Leap 15.3+,
// Tumbleweed) read straight from the bytes: no rpm, no librpm. The layout follows rpm's
// lib/backend/ndb/rpmpkg.c: a 32-byte header, 4 KiB slot pages of 16-byte slots, then the header
// blobs in 16-byte blocks, each wrapped in a head, a tail and an Adler-32 checksum.

/** 'RpmP', 'Slot', 'BlbS', 'BlbE' as rpm writes them: little-endian 32-bit words. */
const DB_MAGIC = 0x506d7052;
const SLOT_MAGIC = 0x746f6c53;
const BLOB_HEAD_MAGIC = 0x53626c42;
const BLOB_TAIL_MAGIC = 0x45626c42;
const DB_VERSION = 0;
const HEADER_SIZE = 32;
const SLOT_SIZE = 16;
const BLK_SIZE = 16;
const PAGE_SIZE = 4096;
const BLOB_HEAD = 16;
const BLOB_TAIL = 12;

export class NdbError extends Error {}

export interface NdbRecord {
  /** rpm's package index: the header's instance number, as hnum is in rpmdb.sqlite. */
  pkgIdx: number;
  blob: Buffer;
}

export interface NdbContents {
  /** Blobs whose wrapper and checksum are intact, by package index. */
  records: NdbRecord[];
  /** Blobs rpm itself would refuse (bad magic, length or checksum): one bad package, not a bad file. */
  errors: { pkgIdx: number; message: string }[];
}

/** Adler-32 (RFC 1950), which rpm computes over the blob head, the blob and its padding. */
export function adler32(buf: Buffer, start = 0, end = buf.length): number {
  let a = 1;
  let b = 0;
  // zlib's NMAX: reducing every 5552 bytes keeps both sums below 2^32, cheap integer arithmetic
  // instead of a modulo per byte.
  for (let at = start; at < end;) {
    const stop = Math.min(end, at + 5552);
    for (; at < stop; at++) {
      a += buf[at]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

interface Slot {
  pkgIdx: number;
  blkOff: number;
  blkCnt: number;
}

/**
 * Reads the header and every used slot the way rpmpkgReadSlots does; anything it would refuse
 * (wrong magic or version, a file that is not whole blocks, a slot pointing past the end) makes
 * the whole file unreadable, because a half-read package database must not look complete.
 */
function readSlots(file: Buffer): Slot[] {
  if (file.length < HEADER_SIZE) throw new NdbError(`file of ${file.length} bytes is too short for NDB`);
  if (file.readUInt32LE(0) !== DB_MAGIC) throw new NdbError('not an rpm NDB database (bad magic)');
  const version = file.readUInt32LE(4);
  if (version !== DB_VERSION) throw new NdbError(`unsupported NDB version ${version}`);
  const slotPages = file.readUInt32LE(12);
  if (slotPages === 0) throw new NdbError('header names no slot pages: corrupt');
  if (file.length % BLK_SIZE !== 0)
    throw new NdbError(`truncated: ${file.length} bytes is not a whole number of ${BLK_SIZE}-byte blocks`);
  if (slotPages * PAGE_SIZE > file.length)
    throw new NdbError(
      `truncated: the header names ${slotPages} slot pages, the file holds ${file.length} bytes`,
    );
  const fileBlks = file.length / BLK_SIZE;
  const firstDataBlk = (slotPages * PAGE_SIZE) / BLK_SIZE;
  const slots: Slot[] = [];
  for (let at = HEADER_SIZE; at < slotPages * PAGE_SIZE; at += SLOT_SIZE) {
    if (file.readUInt32LE(at) !== SLOT_MAGIC)
      throw new NdbError(`slot ${at / SLOT_SIZE} has a bad magic: corrupt slot page`);
    const blkOff = file.readUInt32LE(at + 8);
    if (blkOff === 0) continue; // a free slot (never used, or its package was erased)
    const slot = { pkgIdx: file.readUInt32LE(at + 4), blkOff, blkCnt: file.readUInt32LE(at + 12) };
    if (slot.blkOff + slot.blkCnt > fileBlks)
      throw new NdbError(`truncated: package ${slot.pkgIdx} lies past the end of the file`);
    if (slot.pkgIdx === 0 || slot.blkCnt === 0 || slot.blkOff < firstDataBlk)
      throw new NdbError(`slot ${at / SLOT_SIZE} is corrupt (package ${slot.pkgIdx}, block ${blkOff})`);
    slots.push(slot);
  }
  return slots;
}

/** One blob, checked as rpmpkgReadBlob checks it; a string says why it is refused. */
function readBlob(file: Buffer, slot: Slot): Buffer | string {
  const start = slot.blkOff * BLK_SIZE;
  const end = start + slot.blkCnt * BLK_SIZE;
  if (slot.blkCnt * BLK_SIZE < BLOB_HEAD + BLOB_TAIL) return 'blob is shorter than its head and tail';
  if (file.readUInt32LE(start) !== BLOB_HEAD_MAGIC) return 'blob head has a bad magic';
  if (file.readUInt32LE(start + 4) !== slot.pkgIdx)
    return `blob belongs to package ${file.readUInt32LE(start + 4)}, not to its slot's`;
  const len = file.readUInt32LE(start + 12);
  if (slot.blkCnt !== Math.ceil((BLOB_HEAD + len + BLOB_TAIL) / BLK_SIZE))
    return `blob length ${len} does not fit its ${slot.blkCnt} blocks`;
  const tail = end - BLOB_TAIL;
  if (file.readUInt32LE(tail + 8) !== BLOB_TAIL_MAGIC) return 'blob tail has a bad magic';
  if (file.readUInt32LE(tail + 4) !== len) return 'blob head and tail disagree on its length';
  // The checksum is what tells a torn write or a flipped byte from a header: rpm checks it on verify.
  if (file.readUInt32LE(tail) !== adler32(file, start, tail)) return 'blob checksum (Adler-32) mismatch';
  return file.subarray(start + BLOB_HEAD, start + BLOB_HEAD + len);
}

/**
 * Every package header blob of an NDB `Packages.db`, by package index. Throws NdbError when the file
 * as a whole cannot be trusted; a single damaged blob is listed in `errors` and the others are read.
 */
export function readNdb(file: Buffer): NdbContents {
  const out: NdbContents = { records: [], errors: [] };
  const seen = new Set<number>();
  for (const slot of readSlots(file).sort((a, b) => a.pkgIdx - b.pkgIdx)) {
    if (seen.has(slot.pkgIdx)) {
      out.errors.push({ pkgIdx: slot.pkgIdx, message: 'package index used by two slots' });
      continue;
    }
    seen.add(slot.pkgIdx);
    const blob = readBlob(file, slot);
    if (typeof blob === 'string') out.errors.push({ pkgIdx: slot.pkgIdx, message: blob });
    else out.records.push({ pkgIdx: slot.pkgIdx, blob });
  }
  return out;
}
