// What the rpm database says the watched system programs and mapped libraries should be, in the
// shape the integrity checks compare against (the same they build from dpkg's md5sums and apk's Z:
// sums): package, listed path, digest in the header's own algorithm, size and mode (what `rpm -V`
// also compares), and whether the file is %config (edits expected, not a finding). Also the prelink
// test: CentOS 6/7 rewrote installed ELF files in place, so their digests differ from the package's
// without anyone having replaced them.
import type { TargetFs } from '../../../target/fs.js';
import { isGone } from '../../support.js';
import { FILE_FLAG, nevra } from './header.js';
import { readRpmDbCached, type RpmDatabase } from './index.js';

/** A package's record of one file; dpkg fills md5 only, apk sha1 (or sha256), rpm also size and mode. */
export interface Expected {
  pkg: string;
  listed: string;
  md5?: string;
  sha1?: string;
  sha256?: string;
  /** Bytes, as rpm recorded them (FILESIZES / LONGFILESIZES); dpkg and apk keep none. */
  size?: number;
  /** st_mode with the file type bits, as rpm recorded it (FILEMODES); dpkg and apk keep none. */
  mode?: number;
  /** rpm's %config: a local edit is the admin's, as `rpm -V` shows but does not blame. */
  config?: boolean;
  /** Full name-version-release.arch, for the analyst reinstalling the right build. */
  nevra?: string;
}

/** The same file under /usr-merge: /bin/ps ↔ /usr/bin/ps (kept here so rpm/ has no cycle). */
function aliases(p: string): string[] {
  const m = /^\/(?:usr\/)?(bin|sbin)\/(.+)$/.exec(p);
  return m ? [`/usr/${m[1]}/${m[2]}`, `/${m[1]}/${m[2]}`] : [p];
}

/**
 * The rpm records of the wanted paths, keyed by every spelling `variants` gives (the caller looks a
 * path up as it found it). %ghost files and entries without a digest (links, directories) say
 * nothing about content and are left out; so are sha1/sha512 headers, not seen on the distributions
 * this tool serves.
 */
export function rpmRecords(
  db: RpmDatabase,
  wanted: Iterable<string>,
  variants: (p: string) => string[],
): Map<string, Expected> {
  const want = new Set([...wanted].flatMap(variants));
  const expected = new Map<string, Expected>();
  for (const pkg of db.packages) {
    for (const f of pkg.files) {
      if (!want.has(f.path) || f.digest === '' || (f.flags & FILE_FLAG.GHOST) !== 0) continue;
      const e: Expected = { pkg: pkg.name, listed: f.path, nevra: nevra(pkg), size: f.size, mode: f.mode };
      if (pkg.digestAlgo === 'sha256') e.sha256 = f.digest;
      else if (pkg.digestAlgo === 'md5') e.md5 = f.digest;
      else continue;
      if ((f.flags & FILE_FLAG.CONFIG) !== 0) e.config = true;
      for (const alias of variants(f.path)) expected.set(alias, e);
    }
  }
  return expected;
}

/**
 * The rpm expectations for the given programs, or undefined when the target has no rpm database.
 * Throws RpmDbError when the database exists but cannot be read.
 */
export async function rpmExpectations(
  fs: TargetFs,
  present: { path: string; real: string }[],
): Promise<{ db: RpmDatabase; expected: Map<string, Expected> } | undefined> {
  const db = await readRpmDbCached(fs);
  if (!db) return undefined;
  return {
    db,
    expected: rpmRecords(
      db,
      present.flatMap((b) => [b.path, b.real]),
      aliases,
    ),
  };
}

/** The section prelink adds to every file it rewrites: the original headers, for `prelink -u`. */
const PRELINK_UNDO = '.gnu.prelink_undo';
const SHN_XINDEX = 0xffff;

/**
 * The section names of an ELF file, read from its section headers and section-name string table;
 * undefined for anything that is not a sane 32- or 64-bit ELF (a script, a truncated file).
 */
export function elfSectionNames(buf: Buffer): string[] | undefined {
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = buf[4] === 2;
  const le = buf[5] === 1;
  if ((!is64 && buf[4] !== 1) || (!le && buf[5] !== 2) || (is64 && buf.length < 64)) return undefined;
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const word = (o: number): number =>
    !is64 ? u32(o) : Number(le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o));
  const shoff = word(is64 ? 0x28 : 0x20);
  const entsize = u16(is64 ? 0x3a : 0x2e);
  if (shoff === 0 || entsize < (is64 ? 64 : 40) || shoff + entsize > buf.length) return undefined;
  // Section header fields: sh_name at 0, sh_link at 0x28/0x18, sh_offset and sh_size after sh_addr.
  const header = (i: number) => {
    const o = shoff + i * entsize;
    return is64
      ? { name: u32(o), offset: word(o + 0x18), size: word(o + 0x20), link: u32(o + 0x28) }
      : { name: u32(o), offset: u32(o + 0x10), size: u32(o + 0x14), link: u32(o + 0x18) };
  };
  // Past 0xff00 sections ELF keeps the real count and string-table index in section 0.
  let count = u16(is64 ? 0x3c : 0x30);
  if (count === 0) count = header(0).size;
  let strndx = u16(is64 ? 0x3e : 0x32);
  if (strndx === SHN_XINDEX) strndx = header(0).link;
  if (count > 0x10000 || shoff + count * entsize > buf.length || strndx >= count) return undefined;
  const strtab = header(strndx);
  if (strtab.offset + strtab.size > buf.length) return undefined;
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const at = header(i).name;
    if (at >= strtab.size) continue;
    const start = strtab.offset + at;
    const nul = buf.indexOf(0, start);
    const end = nul < 0 || nul > strtab.offset + strtab.size ? strtab.offset + strtab.size : nul;
    names.push(buf.toString('latin1', start, end));
  }
  return names;
}

/** What prelink leaves on a system it ran on: the program, its configuration, its cache. */
const PRELINK_TRACES = ['/usr/sbin/prelink', '/sbin/prelink', '/etc/prelink.conf', '/etc/prelink.cache'];

/**
 * Whether a program or library whose digest differs from its package's was rewritten by prelink
 * rather than replaced: it carries `.gnu.prelink_undo` and the target has prelink (its binary,
 * configuration or cache). The second condition matters because anyone can add the section with
 * objcopy; on a host without prelink the section explains nothing and the file stays modified.
 * `content` spares a second read when the caller holds the bytes.
 */
export async function prelinkedOnTarget(fs: TargetFs, file: string, content?: Buffer): Promise<boolean> {
  const names = elfSectionNames(content ?? (await fs.read(file)));
  if (!names?.includes(PRELINK_UNDO)) return false;
  for (const trace of PRELINK_TRACES) {
    try {
      await fs.stat(trace);
      return true;
    } catch (err) {
      if (!isGone(err)) throw err;
    }
  }
  return false;
}
