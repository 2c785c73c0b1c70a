// Which parts of a file the content scan reads when the file is over the size limit, and the binary
// padding (ATT&CK T1027.001) appended to a program. A program is scanned by what its headers account
// for (ELF program segments and section table, PE headers and sections) and its appended overlay is
// left out when it is a run of one byte value; any other file by bounded windows: its head, its tail
// and the non-constant 1 MiB chunks between them. The bytes come through a PartsSource the caller
// opens (a file descriptor in the worker, a buffer in tests), so this module does no I/O of its own
// and the logic is tested on simulated 10 GiB sparse files without writing one.
//
// Node has no lseek(SEEK_DATA/SEEK_HOLE), so holes are found by accounting instead: on filesystems
// whose st_blocks counts every written block at its logical size (ext2/3/4, XFS, Btrfs, tmpfs),
// once the non-zero blocks read add up to the bytes allocated, nothing unread can hold data: it is
// holes, which read as zeros. A `truncate -s 10G` file is settled without a read, a program padded
// sparse once its image has been read. The limits: where the filesystem cannot be trusted (ZFS
// compresses and reports the smaller size; overlayfs, network and FUSE filesystems report another
// filesystem's or their own idea), or an allocated block holds only zeros, nothing settles and the
// holes are read (as zeros, chunk by chunk, never scanned); data between holes is found by reading.

/** A half-open byte range of the file: [start, end). */
export type Range = [start: number, end: number];

/** Chunks are read on a fixed grid of this size, so no chunk is read (or counted) twice. */
export const PART_CHUNK = 1024 * 1024;
/** A run of one byte value at least this long after a program's image is padding (T1027.001). */
export const PADDING_MIN = 4 * 1024 * 1024;
/** The head and the tail a large non-program file is always scanned by, and an overlay's ends. */
export const WINDOW = 1024 * 1024;
/** Bytes read to confirm one run of padding; past it the run is not claimed any further. */
export const CONFIRM_MAX = 2 * 1024 * 1024 * 1024;
/** Ranges listed in a file's record; the rest are counted. */
export const MAX_LISTED_RANGES = 16;
/** Bytes one view keeps from the previous one when a range continues past it: a string across the cut still matches. */
const VIEW_OVERLAP = 4096;
/** A header table larger than this is not a real one: the file is treated as data. */
const MAX_TABLE = 4 * 1024 * 1024;
/** How many points of a long overlay are sampled before it is read to confirm a run. */
const PROBES = 16;

/** Where the bytes come from. `read` is pread(2): bytes read into `buf` at `offset`, 0 at the end. */
export interface PartsSource {
  size: number;
  read(buf: Buffer, offset: number, length: number, position: number): number;
  /**
   * Bytes the filesystem allocated for the file (st_blocks × 512), given only when the filesystem
   * counts written blocks at their logical size (see trustsAllocation); it lets holes go unread.
   */
  allocated?: number;
  /** The filesystem's block size (statfs f_bsize), the unit `allocated` is counted in. */
  blockSize?: number;
}

/** What a program's headers account for. */
export interface ProgramLayout {
  format: 'elf' | 'pe';
  /** The end of the last byte any header refers to: the appended overlay starts here. */
  imageEnd: number;
  /** Headers, segments or sections and header tables, merged, in file order. */
  loaded: Range[];
}

/** A run of one byte value appended to a program (T1027.001). */
export interface Padding {
  offset: number;
  length: number;
  /** The byte value repeated (0 for zeros). */
  byte: number;
  /** sha256 of the bytes before the padding: the file as it was before the run was appended. */
  sha256Before?: string;
}

/** How a file over the size limit was scanned, as its record keeps it. */
export interface FileParts {
  /** `program`: by its headers' segments or sections; `windows`: head, tail and non-constant chunks. */
  how: 'program' | 'windows';
  format?: 'elf' | 'pe';
  /** File ranges the rules ran over, merged, the first MAX_LISTED_RANGES of them. */
  scanned: Range[];
  /** Scanned ranges beyond those listed. */
  moreRanges?: number;
  bytesScanned: number;
  /** size − bytesScanned: holes, runs of one byte value, the overlay's middle, what the budget left. */
  bytesSkipped: number;
  /** A program's appended overlay (after imageEnd), when it has one. */
  overlay?: Range;
  /**
   * Ranges never read because the scan's budget ran out: their content is unknown, and the file is
   * reported `partly-scanned`. Absent when every byte not scanned is known to be holes or one value.
   */
  unscanned?: Range[];
}

/** Called with each view (at most `view` bytes) the engine is to scan, and where its bytes are from. */
export type ViewSink = (view: Buffer, map: ViewMap) => void;

export interface PartsBudget {
  /** Bytes one engine call holds: the whole-file size limit. */
  view: number;
  /** Bytes scanned over all calls (a program's segments may need several views). */
  total: number;
}

// ---- Headers ----

type ReadAt = (position: number, length: number) => Buffer;

/** The layout of an ELF or PE program, or undefined for any other file (or headers that make no sense). */
export function programLayout(head: Buffer, size: number, readAt: ReadAt): ProgramLayout | undefined {
  if (head.length >= 4 && head.readUInt32LE(0) === 0x464c457f) return elfLayout(head, size, readAt);
  if (head.length >= 0x40 && head[0] === 0x4d && head[1] === 0x5a) return peLayout(head, size, readAt);
  return undefined;
}

/** Sorted, overlapping and touching ranges joined, empty ones dropped, clipped to [0, size). */
export function mergeRanges(ranges: readonly Range[], size = Number.MAX_SAFE_INTEGER): Range[] {
  const sorted = ranges
    .map(([a, b]): Range => [Math.max(0, a), Math.min(size, b)])
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  const out: Range[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

function layoutOf(format: 'elf' | 'pe', size: number, loaded: Range[], referenced: Range[]): ProgramLayout {
  const all = mergeRanges([...loaded, ...referenced], size);
  return { format, imageEnd: all.reduce((e, [, b]) => Math.max(e, b), 0), loaded: mergeRanges(loaded, size) };
}

/** ELF32/ELF64, either byte order: the header, program headers (PT_LOAD loaded), sections, tables. */
function elfLayout(head: Buffer, size: number, readAt: ReadAt): ProgramLayout | undefined {
  const is64 = head[4] === 2;
  const le = head[5] === 1;
  if ((head[4] !== 1 && !is64) || (head[5] !== 1 && head[5] !== 2) || head.length < (is64 ? 64 : 52))
    return undefined;
  const u16 = (b: Buffer, o: number): number => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  // Offsets past 2^53 are nonsense for a file: they clip to the end like any other out-of-range one.
  const word = (b: Buffer, o: number): number =>
    is64
      ? Math.min(Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)), Number.MAX_SAFE_INTEGER)
      : u32(b, o);
  const [phoff, shoff] = [word(head, is64 ? 0x20 : 0x1c), word(head, is64 ? 0x28 : 0x20)];
  const [phent, phnum] = [u16(head, is64 ? 0x36 : 0x2a), u16(head, is64 ? 0x38 : 0x2c)];
  const [shent, shnumField] = [u16(head, is64 ? 0x3a : 0x2e), u16(head, is64 ? 0x3c : 0x30)];
  const loaded: Range[] = [[0, Math.max(u16(head, is64 ? 0x34 : 0x28), is64 ? 64 : 52)]];
  const referenced: Range[] = [];
  if (phnum > 0 && phoff > 0) {
    const table = phent >= (is64 ? 56 : 32) ? readTable(readAt, phoff, phnum * phent, size) : undefined;
    if (!table) return undefined;
    loaded.push([phoff, phoff + table.length]);
    for (let i = 0; i < phnum; i++) {
      const p = i * phent;
      const seg: Range = [word(table, p + (is64 ? 8 : 4)), 0];
      seg[1] = seg[0] + word(table, p + (is64 ? 32 : 16));
      // PT_LOAD is what the loader maps; notes, interpreter and dynamic info sit inside it or are referenced.
      (u32(table, p) === 1 ? loaded : referenced).push(seg);
    }
  }
  if (shoff > 0 && shoff < size) {
    if (shent < (is64 ? 64 : 40)) return undefined;
    // More than 0xff00 sections: e_shnum is 0 and section 0's sh_size holds the count.
    const first = shnumField === 0 ? readTable(readAt, shoff, shent, size) : undefined;
    const shnum = first ? word(first, is64 ? 32 : 20) : shnumField;
    const table = readTable(readAt, shoff, shnum * shent, size);
    if (!table) return undefined;
    loaded.push([shoff, shoff + table.length]);
    for (let i = 0; i < shnum; i++) {
      const s = i * shent;
      const type = u32(table, s + 4);
      if (type === 0 || type === 8) continue; // SHT_NULL, SHT_NOBITS: no bytes in the file
      const start = word(table, s + (is64 ? 24 : 16));
      referenced.push([start, start + word(table, s + (is64 ? 32 : 20))]);
    }
  }
  return layoutOf('elf', size, loaded, referenced);
}

/** PE32/PE32+: headers, section raw data (loaded), the certificate table and COFF symbols (referenced). */
function peLayout(head: Buffer, size: number, readAt: ReadAt): ProgramLayout | undefined {
  const lfanew = head.readUInt32LE(0x3c);
  const fixed = readTable(readAt, lfanew, 24, size);
  if (!fixed || fixed.readUInt32LE(0) !== 0x00004550) return undefined; // "PE\0\0"
  const sections = fixed.readUInt16LE(6);
  const symbols = fixed.readUInt32LE(12);
  const symbolCount = fixed.readUInt32LE(16);
  const optSize = fixed.readUInt16LE(20);
  const opt = readTable(readAt, lfanew + 24, optSize, size);
  if (!opt || optSize < 64) return undefined;
  const magic = opt.readUInt16LE(0);
  if (magic !== 0x10b && magic !== 0x20b) return undefined;
  const tableAt = lfanew + 24 + optSize;
  const table = readTable(readAt, tableAt, sections * 40, size);
  if (!table) return undefined;
  const loaded: Range[] = [[0, Math.max(opt.readUInt32LE(60), tableAt + table.length)]];
  for (let i = 0; i < sections; i++) {
    const raw = table.readUInt32LE(i * 40 + 16);
    const at = table.readUInt32LE(i * 40 + 20);
    if (raw > 0) loaded.push([at, at + raw]);
  }
  const referenced: Range[] = [];
  // Data directory 4, the certificate table, is the one that gives a file offset, not an address.
  const dirs = magic === 0x20b ? 112 : 96;
  if (optSize >= dirs + 5 * 8 && opt.readUInt32LE(dirs - 4) > 4) {
    const cert = opt.readUInt32LE(dirs + 32);
    referenced.push([cert, cert + opt.readUInt32LE(dirs + 36)]);
  }
  if (symbols > 0 && symbolCount > 0) {
    // The COFF string table follows the symbols; its first four bytes are its length.
    const strings = symbols + symbolCount * 18;
    const length = readTable(readAt, strings, 4, size)?.readUInt32LE(0) ?? 0;
    referenced.push([symbols, strings + length]);
  }
  return layoutOf('pe', size, loaded, referenced);
}

/** `length` bytes at `at`, or undefined when they are not all in the file or too many for a header. */
function readTable(readAt: ReadAt, at: number, length: number, size: number): Buffer | undefined {
  if (length > MAX_TABLE || at + length > size) return undefined;
  const b = readAt(at, length);
  return b.length === length ? b : undefined;
}

// ---- Byte runs ----

const ZEROS = Buffer.alloc(PART_CHUNK);

/**
 * The value every byte of `b` holds, or undefined when they differ (or `b` is empty). `b` is constant
 * exactly when it equals itself shifted by one byte, so no reference buffer is needed: one filled
 * with 0xff at load cost each thread that imports this module ~5 ms here (a fresh megabyte's page
 * faults), in every scan.
 */
export function constantByte(b: Buffer): number | undefined {
  if (b.length === 0) return undefined;
  return b.compare(b, 0, b.length - 1, 1, b.length) === 0 ? b[0] : undefined;
}

/** The index of the first byte of `b` (from `from`, forward or back) that is not `v`, or -1. */
function firstOther(b: Buffer, v: number, forward: boolean): number {
  if (forward) {
    for (let i = 0; i < b.length; i++) if (b[i] !== v) return i;
  } else {
    for (let i = b.length - 1; i >= 0; i--) if (b[i] !== v) return i;
  }
  return -1;
}

/** Blocks of `blockSize` in `b` (aligned to its start) with any non-zero byte. */
function nonZeroBlocks(b: Buffer, blockSize: number): number {
  let n = 0;
  for (let i = 0; i < b.length; i += blockSize) {
    const end = Math.min(i + blockSize, b.length);
    if (b.compare(ZEROS, 0, end - i, i, end) !== 0) n++;
  }
  return n;
}

/**
 * Filesystems whose st_blocks counts every written block at its logical size, by statfs f_type:
 * ext2/3/4, XFS, Btrfs (compressed extents count uncompressed), tmpfs. Not ZFS (it reports the
 * compressed size), not overlayfs (its files live on a filesystem it does not name), nor NFS/FUSE.
 */
export function trustsAllocation(fsType: number): boolean {
  return fsType === 0xef53 || fsType === 0x58465342 || fsType === 0x9123683e || fsType === 0x01021994;
}

/** Reads a source on the chunk grid, counting non-zero blocks for the hole accounting. */
export class ChunkReader {
  private readonly chunk = Buffer.allocUnsafeSlow(PART_CHUNK);
  private index = -1;
  private length = 0;
  private readonly counted = new Set<number>();
  private dataSeen = 0;
  private readonly blockSize: number;
  private readonly accounting: boolean;
  /** Bytes read from the source. */
  bytesRead = 0;

  // Accounting only pays on a file with fewer allocated bytes than its size: a sparse one.
  constructor(readonly src: PartsSource) {
    const bs = src.blockSize ?? 4096;
    this.blockSize = bs;
    this.accounting =
      src.allocated !== undefined &&
      src.allocated < src.size &&
      bs >= 512 &&
      bs <= PART_CHUNK &&
      (bs & (bs - 1)) === 0;
  }

  /** The file is sparse on a filesystem whose allocation counts (see PartsSource.allocated). */
  get accounts(): boolean {
    return this.accounting;
  }

  /** Every allocated byte was among the non-zero blocks read: whatever was not read is holes. */
  get settled(): boolean {
    return this.accounting && this.dataSeen >= (this.src.allocated as number);
  }

  // True when chunk `k` is known to hold only holes, so it need not be read.
  isHole(k: number): boolean {
    return this.settled && !this.counted.has(k);
  }

  // Chunk `k`'s bytes (shorter at the end, or if the file shrank); valid until the next call.
  at(k: number): Buffer {
    if (k !== this.index) {
      const start = k * PART_CHUNK;
      const want = Math.max(0, Math.min(PART_CHUNK, this.src.size - start));
      let n = 0;
      while (n < want) {
        const got = this.src.read(this.chunk, n, want - n, start + n);
        if (got <= 0) break;
        n += got;
      }
      this.index = k;
      this.length = n;
      this.bytesRead += n;
      if (this.accounting && !this.counted.has(k)) {
        this.counted.add(k);
        this.dataSeen += nonZeroBlocks(this.chunk.subarray(0, n), this.blockSize) * this.blockSize;
      }
    }
    return this.chunk.subarray(0, this.length);
  }

  // One byte at `pos`: a probe, read on its own so sampling a long overlay does not read its chunks.
  byteAt(pos: number): number | undefined {
    const k = Math.floor(pos / PART_CHUNK);
    if (k === this.index)
      return pos - k * PART_CHUNK < this.length ? this.chunk[pos - k * PART_CHUNK] : undefined;
    if (this.isHole(k)) return 0;
    const one = Buffer.alloc(1);
    if (this.src.read(one, 0, 1, pos) !== 1) return undefined;
    this.bytesRead += 1;
    return one[0];
  }
}

// ---- Views: what the engine is handed ----

/** Where the bytes of a view come from: view offset → file offset, piece by piece. */
export class ViewMap {
  // Pieces in view order: `at` in the view, `from` in the file.
  constructor(private readonly pieces: readonly { at: number; from: number; length: number }[]) {}

  /** The file offset of view offset `o` (a match's offset as the engine reports it). */
  fileOffset(o: number): number {
    let lo = 0;
    let hi = this.pieces.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.pieces[mid] as { at: number }).at <= o) lo = mid;
      else hi = mid - 1;
    }
    const p = this.pieces[lo];
    return p ? p.from + (o - p.at) : o;
  }
}

/** Fills views of at most `capacity` bytes from file pieces and hands each full one to the sink. */
class ViewBuilder {
  private buf: Buffer | undefined;
  private length = 0;
  private pieces: { at: number; from: number; length: number }[] = [];

  // Allocated on first use: a file whose parts are all holes or one value never needs one.
  constructor(
    private readonly capacity: number,
    private readonly sink: ViewSink,
  ) {}

  get room(): number {
    return this.capacity - this.length;
  }

  // Appends bytes read at file offset `from`; the caller keeps within `room`.
  append(bytes: Buffer, from: number): void {
    this.buf ??= Buffer.allocUnsafeSlow(this.capacity);
    bytes.copy(this.buf, this.length);
    const last = this.pieces[this.pieces.length - 1];
    if (last && last.at + last.length === this.length && last.from + last.length === from)
      last.length += bytes.length;
    else this.pieces.push({ at: this.length, from, length: bytes.length });
    this.length += bytes.length;
  }

  // Hands the view over. When the next bytes continue the last piece (`nextFrom`), the view's last
  // VIEW_OVERLAP bytes start the next one, so a string cut by the view's end still matches whole.
  emit(nextFrom?: number): void {
    if (this.length === 0 || !this.buf) return;
    this.sink(this.buf.subarray(0, this.length), new ViewMap(this.pieces));
    const last = this.pieces[this.pieces.length - 1];
    const carry =
      last &&
      nextFrom === last.from + last.length &&
      last.length > VIEW_OVERLAP &&
      this.capacity > 4 * VIEW_OVERLAP
        ? VIEW_OVERLAP
        : 0;
    if (carry > 0 && last) {
      this.buf.copyWithin(0, this.length - carry, this.length);
      this.pieces = [{ at: 0, from: last.from + last.length - carry, length: carry }];
      this.length = carry;
    } else {
      this.pieces = [];
      this.length = 0;
    }
  }
}

// ---- Collecting the parts ----

/** What scanning a file by its parts found out besides the matches. */
export interface PartsOutcome {
  parts: FileParts;
  padding?: Padding;
}

/**
 * The run of one byte value that starts at `from` (forward) or ends at `to` (backward), when it is
 * at least PADDING_MIN long. Sampled first (PROBES points: the run cannot reach past one holding
 * another value), then confirmed chunk by chunk up to CONFIRM_MAX bytes read; settled holes count
 * as zeros without a read.
 */
export function constantRun(
  reader: ChunkReader,
  from: number,
  to: number,
  forward: boolean,
): { byte: number; length: number } | undefined {
  if (to - from < PADDING_MIN) return undefined;
  const v = reader.byteAt(forward ? from : to - 1);
  if (v === undefined) return undefined;
  let span = to - from;
  for (let i = 1; i <= PROBES; i++) {
    const d = Math.floor(((to - from) * i) / PROBES);
    if (reader.byteAt(forward ? from + d - 1 : to - d) !== v) {
      span = d - 1;
      break;
    }
  }
  if (span < PADDING_MIN) return undefined;
  let length = 0;
  let read = 0;
  while (length < span && read < CONFIRM_MAX) {
    // The piece of the run's next chunk, [a, b).
    const edge = forward ? from + length : to - length;
    const k = Math.floor((forward ? edge : edge - 1) / PART_CHUNK);
    const a = forward ? edge : Math.max(k * PART_CHUNK, to - span);
    const b = forward ? Math.min((k + 1) * PART_CHUNK, from + span) : edge;
    if (reader.isHole(k)) {
      if (v !== 0) break;
      length += b - a;
      continue;
    }
    const bytes = reader.at(k).subarray(a - k * PART_CHUNK, b - k * PART_CHUNK);
    read += bytes.length;
    if (bytes.length === b - a && constantByte(bytes) === v) {
      length += b - a;
      continue;
    }
    const i = firstOther(bytes, v, forward);
    length += i < 0 ? bytes.length : forward ? i : bytes.length - 1 - i;
    break;
  }
  return length >= PADDING_MIN ? { byte: v, length } : undefined;
}

/**
 * The padding of a program whose image ends at `imageEnd`: a run of one value at the start of the
 * overlay or at the end of the file. `rest` is the part of the overlay that is not padding.
 */
export function overlayPadding(
  reader: ChunkReader,
  imageEnd: number,
): { padding?: Padding; rest: Range } | undefined {
  const end = reader.src.size;
  if (end <= imageEnd) return undefined;
  const fwd = constantRun(reader, imageEnd, end, true);
  if (fwd) return { padding: { offset: imageEnd, ...fwd }, rest: [imageEnd + fwd.length, end] };
  const back = constantRun(reader, imageEnd, end, false);
  if (back) return { padding: { offset: end - back.length, ...back }, rest: [imageEnd, end - back.length] };
  return { rest: [imageEnd, end] };
}

/** Takes parts of a file into views within a budget and remembers what it scanned and left. */
class PartsCollector {
  private readonly scanned: Range[] = [];
  private readonly unscanned: Range[] = [];
  private bytesScanned = 0;
  private readonly views: ViewBuilder;

  // The views hold at most budget.view bytes each; budget.total bounds them all.
  constructor(
    readonly reader: ChunkReader,
    private readonly budget: PartsBudget,
    sink: ViewSink,
  ) {
    this.views = new ViewBuilder(Math.max(1, budget.view), sink);
  }

  // Scans [from, to): each chunk that is not all one value (every chunk with keepConstant, so the
  // view is the file's bytes as they are) while the budget, or `upTo` scanned in all, lasts.
  // Returns where it stopped: `to`, or the first byte the budget did not reach.
  take(from: number, to: number, keepConstant: boolean, upTo = Number.POSITIVE_INFINITY): number {
    const limit = Math.min(this.budget.total, upTo);
    let pos = from;
    while (pos < to) {
      const k = Math.floor(pos / PART_CHUNK);
      const end = Math.min((k + 1) * PART_CHUNK, to);
      let bytes: Buffer;
      if (this.reader.isHole(k)) {
        if (!keepConstant) {
          pos = end;
          continue;
        }
        bytes = ZEROS.subarray(0, end - pos);
      } else {
        if (this.bytesScanned >= limit) return pos;
        bytes = this.reader.at(k).subarray(pos - k * PART_CHUNK, end - k * PART_CHUNK);
        if (bytes.length === 0) return to; // the file shrank under the scan: nothing is left to read
        if (!keepConstant && constantByte(bytes) !== undefined) {
          pos += bytes.length;
          continue;
        }
      }
      const stop = this.feed(bytes, pos, limit);
      if (stop < pos + bytes.length) return stop;
      pos = stop;
    }
    return to;
  }

  // Appends bytes read at `at` to the views until done or the limit; returns where it stopped.
  private feed(bytes: Buffer, at: number, limit: number): number {
    let rest = bytes;
    while (rest.length > 0) {
      if (this.views.room === 0) this.views.emit(at);
      const n = Math.min(rest.length, this.views.room, limit - this.bytesScanned);
      if (n <= 0) break;
      this.views.append(rest.subarray(0, n), at);
      const last = this.scanned[this.scanned.length - 1];
      if (last && last[1] === at) last[1] += n;
      else this.scanned.push([at, at + n]);
      this.bytesScanned += n;
      at += n;
      rest = rest.subarray(n);
    }
    return at;
  }

  // Records [from, to) as never read: the budget ran out before it.
  leave(from: number, to: number): void {
    if (to > from) this.unscanned.push([from, to]);
  }

  // Scans what is batched and sums up.
  finish(how: FileParts['how'], format?: ProgramLayout['format'], overlay?: Range): FileParts {
    this.views.emit();
    const size = this.reader.src.size;
    const parts: FileParts = {
      how,
      ...(format ? { format } : {}),
      scanned: this.scanned.slice(0, MAX_LISTED_RANGES),
      bytesScanned: this.bytesScanned,
      bytesSkipped: Math.max(0, size - this.bytesScanned),
    };
    if (this.scanned.length > MAX_LISTED_RANGES) parts.moreRanges = this.scanned.length - MAX_LISTED_RANGES;
    if (overlay) parts.overlay = overlay;
    const unscanned = mergeRanges(this.unscanned, size);
    if (unscanned.length > 0) parts.unscanned = unscanned.slice(0, MAX_LISTED_RANGES);
    return parts;
  }
}

/**
 * Scans a program over the size limit: the image whole when it fits one view (the file as it was
 * before anything was appended), else its loaded parts; then the overlay's padding is measured and
 * the rest of the overlay scanned by its first and last windows. The overlay's middle is not loaded
 * by anything, so it is left out without making the scan partial.
 */
export function scanProgramParts(
  src: PartsSource,
  layout: ProgramLayout,
  budget: PartsBudget,
  sink: ViewSink,
): PartsOutcome {
  const reader = new ChunkReader(src);
  const c = new PartsCollector(reader, budget, sink);
  const { imageEnd } = layout;
  if (imageEnd <= budget.view) takeAll(c, 0, imageEnd, true);
  else for (const [a, b] of layout.loaded) takeAll(c, a, b, false);
  const over = overlayPadding(reader, imageEnd);
  if (over) {
    const [a, b] = over.rest;
    if (b - a <= 2 * WINDOW) takeAll(c, a, b, false);
    else {
      takeAll(c, a, a + WINDOW, false);
      takeAll(c, b - WINDOW, b, false);
    }
  }
  const parts = c.finish('program', layout.format, over ? [imageEnd, src.size] : undefined);
  return over?.padding ? { parts, padding: over.padding } : { parts };
}

/**
 * Scans any other file over the size limit by windows: its head, then the non-constant chunks of
 * its middle while the budget lasts (keeping room for the tail), then its tail. A middle the budget
 * could not reach is `unscanned`: its content is unknown.
 */
export function scanWindows(src: PartsSource, budget: PartsBudget, sink: ViewSink): PartsOutcome {
  const reader = new ChunkReader(src);
  const c = new PartsCollector(reader, budget, sink);
  const size = src.size;
  // A budget of a few MiB (a small --max-file-size) still keeps room for the middle.
  const window = Math.min(WINDOW, Math.floor(budget.total / 4));
  const head = Math.min(window, size);
  const tail = Math.max(head, size - window);
  // The tail's blocks are counted first: a sparse file whose data is at its end is settled then,
  // before its middle is read at all.
  if (reader.accounts && !reader.settled)
    for (let k = Math.floor(tail / PART_CHUNK); k * PART_CHUNK < size; k++) reader.at(k);
  takeAll(c, 0, head, false);
  takeAll(c, head, tail, false, Math.max(0, budget.total - (size - tail)));
  takeAll(c, tail, size, false);
  return { parts: c.finish('windows') };
}

/** Takes [from, to) and records as unscanned whatever of it the budget did not reach. */
function takeAll(c: PartsCollector, from: number, to: number, keepConstant: boolean, upTo?: number): void {
  c.leave(c.take(from, to, keepConstant, upTo), to);
}

/** A buffer as a source (a file read whole, or a test's simulated file). */
export function bufferSource(data: Buffer, extra: Partial<PartsSource> = {}): PartsSource {
  return {
    size: data.length,
    read: (buf, offset, length, position) =>
      position >= data.length
        ? 0
        : data.copy(buf, offset, position, Math.min(data.length, position + length)),
    ...extra,
  };
}

/** The padding of a program held whole in memory (a file under the size limit), if it has one. */
export function paddingOf(data: Buffer): Padding | undefined {
  const layout = programLayout(data, data.length, (at, length) => data.subarray(at, at + length));
  return layout && overlayPadding(new ChunkReader(bufferSource(data)), layout.imageEnd)?.padding;
}

const MiB = 1024 * 1024;

/** A byte count as a person reads it: 17.3 KiB, 100.0 MiB, 2.0 GiB. */
export function bytesText(n: number): string {
  if (n >= 1024 * MiB) return `${(n / 1024 / MiB).toFixed(1)} GiB`;
  if (n >= MiB) return `${(n / MiB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Ranges as `0-17712, 1048576-2097152` (byte offsets, end excluded), with a count of those not listed. */
export function rangesText(ranges: readonly Range[], more = 0): string {
  const listed = ranges.map(([a, b]) => `${a}-${b}`).join(', ');
  return more > 0 ? `${listed} and ${more} more` : listed || 'nothing';
}

/** What the scan of a file by its parts read, for a skip's detail and a finding's evidence. */
export function partsText(parts: FileParts, size: number): string {
  const what =
    parts.how === 'program'
      ? `${parts.format === 'pe' ? 'PE' : 'ELF'} program parts`
      : 'windows (head, tail, non-constant chunks)';
  let text = `scanned ${bytesText(parts.bytesScanned)} of ${bytesText(size)} by ${what}: ${rangesText(parts.scanned, parts.moreRanges)}`;
  if (parts.overlay)
    text += `; the overlay after the program (${rangesText([parts.overlay])}) left out, but for its first and last MiB where they are not one byte value`;
  if (parts.unscanned) text += `; not read (over the scan budget): ${rangesText(parts.unscanned)}`;
  return text;
}
