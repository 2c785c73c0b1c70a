// The bounds-checked core of the hive reader: the map of hive bins, reading one cell at a hive
// offset, the work budget and the problem list. Every byte the reader touches goes through here, so
// a damaged or hostile hive can cost at most the budget and never reads outside the file.

/** Offsets in a hive are relative to the first hive bin, which follows the 4 KiB base block. */
export const BASE_BLOCK_SIZE = 4096;
/** The "no cell" marker of offset fields. */
export const NO_CELL = 0xffffffff;

/** Cell signatures as the little-endian u16 they are on disk: compared without decoding text. */
export const SIG = {
  nk: 0x6b6e,
  vk: 0x6b76,
  sk: 0x6b73,
  lf: 0x666c,
  lh: 0x686c,
  li: 0x696c,
  ri: 0x6972,
  db: 0x6264,
} as const;

export type HiveProblemReason =
  /** The base block's checksum does not match its contents (a warning: Windows reads on). */
  | 'checksum'
  /** A version or file type this reader was not written for; read anyway. */
  | 'version'
  /** The file ends before the data the base block or a bin announces. */
  | 'truncated'
  /** A hive bin header is missing or malformed. */
  | 'hbin'
  /** An offset points outside every hive bin, or a cell runs past its bin. */
  | 'offset'
  /** A cell's size field is impossible (zero, too small, misaligned). */
  | 'cell-size'
  /** A live structure points into a free (unallocated) cell: read, but the hive is inconsistent. */
  | 'free-cell'
  /** A cell does not carry the signature its referrer expects (nk, vk, lf, lh, li, ri, db, sk). */
  | 'signature'
  /** A count field disagrees with the list it describes, or exceeds the cell holding it. */
  | 'count'
  /** A subkey list leads back to a list or key already on the way (a loop). */
  | 'cycle'
  /** Keys nested deeper than the depth limit. */
  | 'depth'
  /** A key reached twice in one walk (two parents list it). */
  | 'duplicate'
  /** A value's data is missing or shorter than its size says. */
  | 'data'
  /** A name runs past its cell. */
  | 'name'
  /** The work budget ran out: the rest of the hive is not read. */
  | 'budget';

export interface HiveProblem {
  reason: HiveProblemReason;
  /** Hive offset (relative to the first bin) of the structure at fault; -1 for the base block. */
  offset: number;
  /** Path of the key being read when the problem was found ('' for the root or the header). */
  key: string;
  detail: string;
}

export type HiveErrorReason = 'too-small' | 'signature' | 'no-bins' | 'root';

/** A hive that cannot be read at all: the caller records it and moves on. */
export class HiveError extends Error {
  constructor(
    readonly hive: string,
    readonly reason: HiveErrorReason,
    readonly offset: number,
    detail: string,
  ) {
    super(`${hive}: ${detail} (offset ${offset})`);
    this.name = 'HiveError';
  }
}

export interface HiveLimits {
  /** Units of work (one per cell read, one per 64 bytes of big data copied) before reading stops. */
  maxWork: number;
  /** Key nesting below the root; Windows itself allows 512 levels. */
  maxDepth: number;
  /** Problems kept in `problems`; further ones are only counted. */
  maxProblems: number;
}

export const DEFAULT_HIVE_LIMITS: HiveLimits = { maxWork: 20_000_000, maxDepth: 512, maxProblems: 1000 };

/** A set of cell offsets as one bit per 8-byte slot of the file: a walk's visited set, without hashing. */
export class OffsetSet {
  private readonly bits: Uint8Array;

  constructor(fileLength: number) {
    this.bits = new Uint8Array((fileLength >>> 6) + 1);
  }

  /** Adds `rel`; false when it was already there. */
  add(rel: number): boolean {
    const slot = rel >>> 3;
    const byte = slot >>> 3;
    // Past the file it cannot be a cell we read: nothing to remember.
    if (byte >= this.bits.length) return true;
    const mask = 1 << (slot & 7);
    const had = this.bits[byte]!;
    if (had & mask) return false;
    this.bits[byte] = had | mask;
    return true;
  }
}

export class Cells {
  readonly problems: HiveProblem[] = [];
  problemsDropped = 0;
  /** Set once the budget ran out; every later read answers "nothing". */
  exhausted = false;
  /**
   * Payload length of the cell the last successful cell() call found. A field rather than a
   * returned object: a full walk reads millions of cells, and the garbage showed in the benchmark.
   */
  length = 0;
  private work = 0;
  private readonly seen = new Set<string>();
  /** Per 4 KiB page after the base block: start and end (absolute) of the bin holding it, or 0. */
  private binStart = new Int32Array(0);
  private binEnd = new Int32Array(0);
  private binCount = 0;

  constructor(
    readonly buf: Buffer,
    readonly name: string,
    readonly limits: HiveLimits,
  ) {}

  /** Records a problem once (the same structure read twice reports once). */
  problem(reason: HiveProblemReason, offset: number, key: string, detail: string): void {
    const id = `${reason}@${offset}@${key}`;
    if (this.seen.has(id)) return;
    if (this.problems.length >= this.limits.maxProblems) {
      this.problemsDropped++;
      return;
    }
    this.seen.add(id);
    this.problems.push({ reason, offset, key, detail });
  }

  /** Charges `units` of work; false (with one 'budget' problem) once the budget is spent. */
  spend(units: number, key: string): boolean {
    if (this.exhausted) return false;
    this.work += units;
    if (this.work <= this.limits.maxWork) return true;
    this.exhausted = true;
    this.problem(
      'budget',
      -1,
      key,
      `work budget of ${this.limits.maxWork} units spent: the rest is not read`,
    );
    return false;
  }

  get workDone(): number {
    return this.work;
  }

  /**
   * Walks the hive bins from the end of the base block. A damaged bin header does not end the map:
   * the following 4 KiB pages are searched for the next bin, so one bad page loses only itself.
   * Returns the number of bins found.
   */
  mapBins(): number {
    const { buf } = this;
    const pages = Math.max(0, Math.ceil((buf.length - BASE_BLOCK_SIZE) / 4096));
    this.binStart = new Int32Array(pages);
    this.binEnd = new Int32Array(pages);
    let at = BASE_BLOCK_SIZE;
    let lostFrom = -1;
    const lost = (end: number) => {
      if (lostFrom < 0) return;
      this.problem('hbin', lostFrom - BASE_BLOCK_SIZE, '', `no hive bin at file bytes ${lostFrom}–${end}`);
      lostFrom = -1;
    };
    while (at + 32 <= buf.length) {
      const size = buf.readUInt32LE(at + 8);
      if (buf.readUInt32LE(at) !== 0x6e696268 /* "hbin" */ || size < 4096 || size % 4096 !== 0) {
        if (lostFrom < 0) lostFrom = at;
        at += 4096;
        continue;
      }
      lost(at);
      if (buf.readUInt32LE(at + 4) !== at - BASE_BLOCK_SIZE)
        this.problem('hbin', at - BASE_BLOCK_SIZE, '', `hive bin records offset ${buf.readUInt32LE(at + 4)}`);
      let end = at + size;
      if (end > buf.length) {
        this.problem(
          'truncated',
          at - BASE_BLOCK_SIZE,
          '',
          `hive bin of ${size} bytes cut at ${buf.length - at}`,
        );
        end = buf.length;
      }
      for (
        let page = (at - BASE_BLOCK_SIZE) >> 12;
        page < pages && page << 12 < end - BASE_BLOCK_SIZE;
        page++
      ) {
        this.binStart[page] = at;
        this.binEnd[page] = end;
      }
      this.binCount++;
      at = end;
    }
    lost(Math.min(at, buf.length));
    return this.binCount;
  }

  /**
   * The absolute payload start of the cell at hive offset `rel` (its length then in `length`), or
   * -1 with a problem recorded against `key`. `minLength` is the smallest payload the caller's
   * structure needs; a shorter cell is refused.
   */
  cell(rel: number, key: string, what: string, minLength = 0): number {
    if (!this.spend(1, key)) return -1;
    if (rel === NO_CELL || rel % 8 !== 0) {
      this.problem('offset', rel, key, `${what}: offset ${rel} is not a cell offset`);
      return -1;
    }
    const page = rel >>> 12;
    const abs = rel + BASE_BLOCK_SIZE;
    const binStart = page < this.binStart.length ? this.binStart[page]! : 0;
    const binEnd = page < this.binEnd.length ? this.binEnd[page]! : 0;
    if (binStart === 0 || abs < binStart + 32 || abs + 4 > binEnd) {
      this.problem('offset', rel, key, `${what}: offset ${rel} is outside the hive bins`);
      return -1;
    }
    const raw = this.buf.readInt32LE(abs);
    const size = raw < 0 ? -raw : raw;
    if (size < 8 || size % 8 !== 0) {
      this.problem('cell-size', rel, key, `${what}: cell size ${raw} is impossible`);
      return -1;
    }
    if (abs + size > binEnd) {
      this.problem('offset', rel, key, `${what}: cell of ${size} bytes runs past its hive bin`);
      return -1;
    }
    if (raw > 0) this.problem('free-cell', rel, key, `${what}: points into a free cell`);
    const length = size - 4;
    if (length < minLength) {
      this.problem('cell-size', rel, key, `${what}: cell of ${length} bytes, at least ${minLength} needed`);
      return -1;
    }
    this.length = length;
    return abs + 4;
  }

  /** The two-letter signature of the cell just read (payload at `start`), as its u16 (see SIG). */
  sig(start: number): number {
    return this.length >= 2 ? this.buf.readUInt16LE(start) : -1;
  }

  /** The signature as text, for problem details. */
  signature(start: number): string {
    return JSON.stringify(this.length >= 2 ? this.buf.toString('latin1', start, start + 2) : '');
  }
}
