// Berkeley DB hash files (rpm's `/var/lib/rpm/Packages` on CentOS 7/8, RHEL 7/8, Alibaba Cloud
// Linux 2, Kylin) read straight from the bytes: no libdb, no rpm. Every hash and overflow page is
// walked the way rpm's own bdb_ro backend does; only the values (header blobs) are returned.

const HASH_MAGIC = 0x00061561;
const PAGE_HEADER = 26;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const MAX_PAGE_TYPE = 16;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;
const VALID_PAGE_SIZES = new Set([512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]);

export class BdbError extends Error {}

export interface BdbRecord {
  key: Buffer;
  value: Buffer;
}

/** Reads the metadata page: byte order from the magic, then page size and page count. */
function readMeta(file: Buffer): { le: boolean; pageSize: number; lastPage: number } {
  if (file.length < 512) throw new BdbError(`file of ${file.length} bytes is too short for a Berkeley DB`);
  const le = file.readUInt32LE(12) === HASH_MAGIC;
  if (!le && file.readUInt32BE(12) !== HASH_MAGIC)
    throw new BdbError('not a Berkeley DB hash database (bad magic at byte 12)');
  const u32 = (at: number): number => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const version = u32(16);
  if (version < 8 || version > 10) throw new BdbError(`unsupported Berkeley DB hash version ${version}`);
  if (file[25] !== P_HASHMETA) throw new BdbError(`page 0 has type ${file[25]}, not hash metadata`);
  if (file[24] !== 0) throw new BdbError('encrypted Berkeley DB is not supported');
  const pageSize = u32(20);
  if (!VALID_PAGE_SIZES.has(pageSize)) throw new BdbError(`invalid Berkeley DB page size ${pageSize}`);
  return { le, pageSize, lastPage: u32(32) };
}

/**
 * Every key/value pair of a Berkeley DB hash file. Pages are visited in file order rather than by
 * bucket chains, so a damaged chain loses only its own page; a page that is cut off or an overflow
 * chain that leads nowhere throws, because a half-read rpm database must not look complete.
 */
export function readBdbHash(file: Buffer): BdbRecord[] {
  const { le, pageSize, lastPage } = readMeta(file);
  const u16 = (at: number): number => (le ? file.readUInt16LE(at) : file.readUInt16BE(at));
  const u32 = (at: number): number => (le ? file.readUInt32LE(at) : file.readUInt32BE(at));
  const pages = Math.floor(file.length / pageSize);
  if (lastPage + 1 > pages)
    throw new BdbError(`truncated: the metadata names ${lastPage + 1} pages, the file holds ${pages}`);

  const overflow = (first: number, length: number): Buffer => {
    const out = Buffer.allocUnsafe(length);
    let got = 0;
    let pg = first;
    while (got < length) {
      if (pg === 0 || pg > lastPage)
        throw new BdbError(`overflow chain leads to page ${pg}, outside the file`);
      const base = pg * pageSize;
      if (file[base + 25] !== P_OVERFLOW)
        throw new BdbError(`page ${pg} in an overflow chain is not an overflow page`);
      const used = u16(base + 22);
      if (used + PAGE_HEADER > pageSize || used > length - got)
        throw new BdbError(`overflow page ${pg} is corrupt`);
      file.copy(out, got, base + PAGE_HEADER, base + PAGE_HEADER + used);
      got += used;
      pg = u32(base + 16);
    }
    return out;
  };
  // One item of a hash page: on-page data runs to the start of the previous item (items grow down).
  const item = (base: number, off: number, end: number): Buffer | undefined => {
    const type = file[base + off];
    if (type === H_KEYDATA) return file.subarray(base + off + 1, base + end);
    if (type === H_OFFPAGE) return overflow(u32(base + off + 4), u32(base + off + 8));
    return undefined; // duplicates are not used by rpm's Packages
  };

  const out: BdbRecord[] = [];
  for (let pg = 1; pg <= lastPage; pg++) {
    const base = pg * pageSize;
    const type = file[base + 25]!;
    // Page types run 0..16 (db_page.h); anything else is damage, and skipping it would make a wiped
    // database read as an empty one, so every tool would look unpackaged.
    if (type > MAX_PAGE_TYPE) throw new BdbError(`page ${pg} has unknown type ${type}: corrupt`);
    if (type !== P_HASH && type !== P_HASH_UNSORTED) continue;
    if (u32(base + 8) !== pg) continue; // an allocated but never written bucket page
    const n = u16(base + 20);
    if (PAGE_HEADER + n * 2 > pageSize) throw new BdbError(`hash page ${pg} claims ${n} entries`);
    for (let i = 0; i + 1 < n; i += 2) {
      const koff = u16(base + PAGE_HEADER + i * 2);
      const voff = u16(base + PAGE_HEADER + (i + 1) * 2);
      const kend = i === 0 ? pageSize : u16(base + PAGE_HEADER + (i - 1) * 2);
      if (koff >= pageSize || voff >= koff || kend > pageSize)
        throw new BdbError(`hash page ${pg} entry ${i} is corrupt`);
      const key = item(base, koff, kend);
      const value = item(base, voff, koff);
      if (key && value) out.push({ key, value });
    }
  }
  return out;
}
