// rpm header blobs as the rpm database stores them (no lead, no magic): index entries and a data
// store, read without the rpm binary because a suspect host's `rpm` may be replaced too. Only the
// tags integrity, ownership and patch age need are decoded; everything else is skipped unread.

/** Tag numbers from rpm's rpmtag.h. */
export const TAG = {
  NAME: 1000,
  VERSION: 1001,
  RELEASE: 1002,
  EPOCH: 1003,
  INSTALLTIME: 1008,
  VENDOR: 1011,
  ARCH: 1022,
  OLDFILENAMES: 1027,
  FILESIZES: 1028,
  FILEMODES: 1030,
  FILEDIGESTS: 1035,
  FILEFLAGS: 1037,
  SOURCERPM: 1044,
  DIRINDEXES: 1116,
  BASENAMES: 1117,
  DIRNAMES: 1118,
  LONGFILESIZES: 5008,
  FILEDIGESTALGO: 5011,
} as const;

/** rpmfileAttrs bits that change how a file is verified. */
export const FILE_FLAG = { CONFIG: 1, DOC: 2, MISSINGOK: 8, NOREPLACE: 16, GHOST: 64 } as const;

/** PGPHASHALGO values rpm writes to FILEDIGESTALGO; absent means MD5 (rpm < 4.6 headers). */
export const DIGEST_ALGO: Record<number, string> = {
  1: 'md5',
  2: 'sha1',
  8: 'sha256',
  9: 'sha384',
  10: 'sha512',
};

const TYPE = { INT8: 2, INT16: 3, INT32: 4, INT64: 5, STRING: 6, BIN: 7, STRING_ARRAY: 8, I18N: 9 };
const ENTRY_SIZE = 16;
/** rpm's own sanity limits (header_internal.h): a larger count is a corrupt blob, not a big package. */
const MAX_INDEX = 0x0000ffff;
const MAX_DATA = 0x0fffffff;

export interface RpmFile {
  path: string;
  /** Hex digest as rpm recorded it; empty for directories, links and %ghost files. */
  digest: string;
  size: number;
  mode: number;
  flags: number;
}

export interface RpmPackage {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  vendor?: string;
  sourceRpm?: string;
  /** Seconds since the epoch, as rpm recorded the install. */
  installTime?: number;
  /** `md5`, `sha256`… (see DIGEST_ALGO); `md5` when the header does not say. */
  digestAlgo: string;
  files: RpmFile[];
}

export class RpmHeaderError extends Error {}

interface Entry {
  type: number;
  offset: number;
  count: number;
}

/** Reads the index; the data offsets are checked here so the decoders below can trust them. */
function readIndex(blob: Buffer): { entries: Map<number, Entry>; data: Buffer } {
  if (blob.length < 8) throw new RpmHeaderError(`header blob of ${blob.length} bytes is truncated`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il < 1 || il > MAX_INDEX || dl > MAX_DATA)
    throw new RpmHeaderError(`header blob has an impossible index (${il} entries, ${dl} data bytes)`);
  const dataStart = 8 + il * ENTRY_SIZE;
  if (blob.length < dataStart + dl)
    throw new RpmHeaderError(`header blob is truncated: ${blob.length} bytes, index says ${dataStart + dl}`);
  const data = blob.subarray(dataStart, dataStart + dl);
  const entries = new Map<number, Entry>();
  for (let i = 0; i < il; i++) {
    const at = 8 + i * ENTRY_SIZE;
    const tag = blob.readUInt32BE(at);
    const e = {
      type: blob.readUInt32BE(at + 4),
      offset: blob.readInt32BE(at + 8),
      count: blob.readUInt32BE(at + 12),
    };
    if (e.offset < 0 || e.offset > dl) throw new RpmHeaderError(`tag ${tag} points outside the header data`);
    // Tags added at install time follow the signed region and win over it, as in rpm's headerImport.
    entries.set(tag, e);
  }
  return { entries, data };
}

function strings(data: Buffer, e: Entry | undefined, tag: number): string[] {
  if (!e) return [];
  if (e.type !== TYPE.STRING && e.type !== TYPE.STRING_ARRAY && e.type !== TYPE.I18N)
    throw new RpmHeaderError(`tag ${tag} has type ${e.type}, not a string`);
  // One decode and one split per tag instead of one decode per string: a 300,000-file database
  // spends most of its time here.
  let end = e.offset;
  for (let i = 0; i < e.count; i++) {
    const nul = data.indexOf(0, end);
    if (nul < 0) throw new RpmHeaderError(`tag ${tag}: string ${i} runs past the header data`);
    end = nul + 1;
  }
  if (e.count === 0) return [];
  return data.toString('utf8', e.offset, end - 1).split('\0');
}

function ints(data: Buffer, e: Entry | undefined, tag: number): number[] {
  if (!e) return [];
  const width = { [TYPE.INT8]: 1, [TYPE.INT16]: 2, [TYPE.INT32]: 4, [TYPE.INT64]: 8 }[e.type];
  if (width === undefined) throw new RpmHeaderError(`tag ${tag} has type ${e.type}, not an integer`);
  if (e.offset + width * e.count > data.length)
    throw new RpmHeaderError(`tag ${tag} runs past the header data`);
  const out: number[] = new Array<number>(e.count);
  for (let i = 0, at = e.offset; i < e.count; i++, at += width) {
    out[i] =
      width === 1
        ? data[at]!
        : width === 2
          ? data.readUInt16BE(at)
          : width === 4
            ? data.readUInt32BE(at)
            : Number(data.readBigUInt64BE(at));
  }
  return out;
}

/** The file paths: BASENAMES joined to DIRNAMES by DIRINDEXES, or OLDFILENAMES in old headers. */
function filePaths(data: Buffer, entries: Map<number, Entry>): string[] {
  const base = strings(data, entries.get(TAG.BASENAMES), TAG.BASENAMES);
  if (base.length === 0) return strings(data, entries.get(TAG.OLDFILENAMES), TAG.OLDFILENAMES);
  const dirs = strings(data, entries.get(TAG.DIRNAMES), TAG.DIRNAMES);
  const idx = ints(data, entries.get(TAG.DIRINDEXES), TAG.DIRINDEXES);
  if (idx.length !== base.length) throw new RpmHeaderError('BASENAMES and DIRINDEXES differ in length');
  return base.map((b, i) => {
    const d = dirs[idx[i]!];
    if (d === undefined) throw new RpmHeaderError(`DIRINDEXES[${i}] names no directory`);
    return d + b;
  });
}

/** Decodes one header blob; throws RpmHeaderError when it is corrupt or truncated. */
export function parseHeaderBlob(blob: Buffer): RpmPackage {
  const { entries, data } = readIndex(blob);
  const one = (tag: number): string | undefined => strings(data, entries.get(tag), tag)[0];
  const name = one(TAG.NAME);
  if (!name) throw new RpmHeaderError('header has no package name');
  const paths = filePaths(data, entries);
  const digests = strings(data, entries.get(TAG.FILEDIGESTS), TAG.FILEDIGESTS);
  const longSizes = ints(data, entries.get(TAG.LONGFILESIZES), TAG.LONGFILESIZES);
  const sizes = longSizes.length > 0 ? longSizes : ints(data, entries.get(TAG.FILESIZES), TAG.FILESIZES);
  const modes = ints(data, entries.get(TAG.FILEMODES), TAG.FILEMODES);
  const flags = ints(data, entries.get(TAG.FILEFLAGS), TAG.FILEFLAGS);
  const files: RpmFile[] = new Array<RpmFile>(paths.length);
  for (let i = 0; i < paths.length; i++)
    files[i] = {
      path: paths[i]!,
      digest: digests[i] ?? '',
      size: sizes[i] ?? 0,
      mode: modes[i] ?? 0,
      flags: flags[i] ?? 0,
    };
  const algo = ints(data, entries.get(TAG.FILEDIGESTALGO), TAG.FILEDIGESTALGO)[0] ?? 1;
  const pkg: RpmPackage = {
    name,
    version: one(TAG.VERSION) ?? '',
    release: one(TAG.RELEASE) ?? '',
    digestAlgo: DIGEST_ALGO[algo] ?? `algo-${algo}`,
    files,
  };
  const epoch = ints(data, entries.get(TAG.EPOCH), TAG.EPOCH)[0];
  if (epoch !== undefined) pkg.epoch = epoch;
  const arch = one(TAG.ARCH);
  if (arch) pkg.arch = arch;
  const vendor = one(TAG.VENDOR);
  if (vendor) pkg.vendor = vendor;
  const srpm = one(TAG.SOURCERPM);
  if (srpm) pkg.sourceRpm = srpm;
  const installed = ints(data, entries.get(TAG.INSTALLTIME), TAG.INSTALLTIME)[0];
  if (installed !== undefined) pkg.installTime = installed;
  return pkg;
}

/** `name-[epoch:]version-release.arch`, as `rpm -qa` prints it (without the epoch). */
export function nevra(p: RpmPackage): string {
  return `${p.name}-${p.version}-${p.release}${p.arch ? `.${p.arch}` : ''}`;
}
