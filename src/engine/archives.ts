// Reads zip, tar and gzip (tar.gz) archives so the content scan can look inside them entry by entry,
// within limits on nesting depth, entry count, the size of one entry and the bytes expanded. An entry
// past a limit is skipped by name (`bomb.zip!zeros.bin`) and the others are still scanned, so a huge
// entry of zeros cannot hide the miner beside it. A zip's entries are judged by its central directory
// before anything is inflated; a compressed tar is inflated as a stream on a helper thread, so an
// entry too big to hold is passed over while counting, never held (see GunzipSource). Nothing is
// ever written to disk, so `../` entry names cannot escape; they are still reported.
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { inflateRawSync } from 'node:zlib';

export type ArchiveType = 'zip' | 'tar' | 'gzip';

export interface ArchiveLimits {
  /** Archives inside archives: 1 scans the entries of the archive itself, no deeper. */
  maxDepth: number;
  /** Entries read over the whole archive, nested ones included. */
  maxEntries: number;
  /** Bytes expanded and held over the whole archive, nested ones included: expansion stops there. */
  maxExpanded: number;
  /** One entry larger than this is not expanded: skipped as a bomb (by its ratio) or as too large. */
  maxEntrySize: number;
  /**
   * Bytes inflated over the whole archive, entries passed over included: what bounds the time an
   * entry of zeros in a compressed tar costs, since the stream must be inflated to get past it.
   */
  maxInflated: number;
  /** Expanded / compressed beyond this (on an entry larger than 1 MiB) is a bomb. */
  maxRatio: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxDepth: 2,
  maxEntries: 10_000,
  // Per worker thread: two of them stay within the 300 MB the whole scan may use.
  maxExpanded: 64 * MiB,
  // As large as the biggest file the scan reads from disk by default (--max-file-size 64).
  maxEntrySize: 64 * MiB,
  // Zeros inflate at about 3 GiB/s here (900 MiB in 0.25-0.4 s): passing over this much costs
  // under a second; an archive the walk reads (64 MiB by default) must average 32:1 to hold more.
  maxInflated: 2048 * MiB,
  maxRatio: 200,
};

export type ArchiveEvent =
  | { type: 'entry'; name: string; data: Buffer }
  | { type: 'skip'; name: string; reason: string; detail?: string };

interface Budget {
  entries: number;
  /** Bytes expanded and held (entries yielded). */
  bytes: number;
  /** Bytes a compressed stream produced, kept or passed over. */
  inflated: number;
}

/** Ratios are judged on entries above this size: small files of zeros are not bombs. */
const RATIO_FROM = MiB;

const ZIP_LOCAL = 0x04034b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_EOCD = 0x06054b50;

/** What kind of archive `data` is, by its magic bytes (names lie). */
export function archiveType(data: Buffer): ArchiveType | undefined {
  if (data.length >= 4 && data.readUInt32LE(0) === ZIP_LOCAL) return 'zip';
  // An empty zip is only its end record.
  if (data.length >= 22 && data.length < 64 && data.readUInt32LE(0) === ZIP_EOCD) return 'zip';
  if (data.length >= 3 && data[0] === 0x1f && data[1] === 0x8b && data[2] === 8) return 'gzip';
  if (data.length >= 512 && data.toString('latin1', 257, 262) === 'ustar') return 'tar';
  return undefined;
}

/** An entry name that would land outside the extraction directory (absolute, or `..` in it). */
export function unsafeEntryName(name: string): boolean {
  return name.startsWith('/') || name.split(/[\\/]/).includes('..');
}

/**
 * The entries of an archive, nested archives expanded in place (`outer!inner`), within the limits.
 * An entry past the size limits is one `skip` event (`archive-bomb` or `too-large`) and the walk
 * goes on; a limit of the whole archive (`archive-limit`) ends it with one `skip` event naming the
 * entry where it stopped, after the entries already yielded.
 */
export function* expandArchive(
  data: Buffer,
  type: ArchiveType,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
  depth = 1,
  budget: Budget = { entries: 0, bytes: 0, inflated: 0 },
): Generator<ArchiveEvent> {
  const inner =
    type === 'zip'
      ? zipEntries(data, limits, budget)
      : type === 'tar'
        ? tarEntries(new BufferSource(data), limits, budget)
        : gzipEntries(data, limits, budget);
  for (const ev of inner) {
    // The readers stop by themselves where an error or a limit of the whole archive leaves them.
    if (ev.type === 'skip') {
      yield ev;
      continue;
    }
    if (++budget.entries > limits.maxEntries) {
      yield {
        type: 'skip',
        name: ev.name,
        reason: 'archive-limit',
        detail: `more than ${limits.maxEntries} entries`,
      };
      return;
    }
    if (unsafeEntryName(ev.name))
      yield {
        type: 'skip',
        name: ev.name,
        reason: 'unsafe-archive-path',
        detail: 'entry name leaves the extraction directory; contents scanned',
      };
    yield ev;
    const nested = archiveType(ev.data);
    if (!nested) continue;
    if (depth >= limits.maxDepth) {
      yield {
        type: 'skip',
        name: ev.name,
        reason: 'archive-depth',
        detail: `nested deeper than ${limits.maxDepth}`,
      };
      continue;
    }
    for (const sub of expandArchive(ev.data, nested, limits, depth + 1, budget)) {
      const name = sub.name === '' ? ev.name : `${ev.name}!${sub.name}`;
      yield { ...sub, name };
      // The budget is shared: spent inside, it is spent for the outer archive too.
      if (sub.type === 'skip' && sub.reason === 'archive-limit') return;
    }
  }
}

/** An entry whose expanded size is over `maxRatio` times its compressed size, past RATIO_FROM. */
function isBomb(size: number, packed: number, limits: ArchiveLimits): boolean {
  return size > RATIO_FROM && size / Math.max(1, packed) > limits.maxRatio;
}

/** The skip of an entry that is not expanded: a bomb when its ratio says so, else merely too large. */
function oversize(name: string, size: number, packed: number, limits: ArchiveLimits): ArchiveEvent {
  if (isBomb(size, packed, limits))
    return {
      type: 'skip',
      name,
      reason: 'archive-bomb',
      detail: `${size} bytes from ${packed} (ratio ${Math.round(size / Math.max(1, packed))}:1)`,
    };
  return {
    type: 'skip',
    name,
    reason: 'too-large',
    detail: `${size} bytes > entry limit ${limits.maxEntrySize}`,
  };
}

function limitSkip(name: string, detail: string): ArchiveEvent {
  return { type: 'skip', name, reason: 'archive-limit', detail };
}

function corrupt(name: string, detail: string): ArchiveEvent {
  return { type: 'skip', name, reason: 'archive-corrupt', detail };
}

// ---- zip ----

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressed: number;
  size: number;
  local: number;
}

/** The entries the central directory lists, or the skip that says why it cannot be read. */
function zipDirectory(data: Buffer): ZipEntry[] | ArchiveEvent {
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 65_557); i--) {
    if (data.readUInt32LE(i) === ZIP_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return corrupt('', 'no zip end record');
  const count = data.readUInt16LE(eocd + 10);
  let cd = data.readUInt32LE(eocd + 16);
  if (cd === 0xffffffff || count === 0xffff)
    return { type: 'skip', name: '', reason: 'archive-unsupported', detail: 'zip64 archive' };
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (cd + 46 > data.length || data.readUInt32LE(cd) !== ZIP_CENTRAL)
      return corrupt('', 'broken zip central directory');
    const nameLen = data.readUInt16LE(cd + 28);
    const extraLen = data.readUInt16LE(cd + 30);
    const commentLen = data.readUInt16LE(cd + 32);
    entries.push({
      flags: data.readUInt16LE(cd + 8),
      method: data.readUInt16LE(cd + 10),
      compressed: data.readUInt32LE(cd + 20),
      size: data.readUInt32LE(cd + 24),
      local: data.readUInt32LE(cd + 42),
      name: data.toString('utf8', cd + 46, cd + 46 + nameLen),
    });
    cd += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/**
 * Entries whose data starts inside an earlier entry's: the overlapping-file construction of a zip
 * bomb, where every entry expands the same compressed kernel. The first of each run is judged alone.
 */
function overlapping(entries: ZipEntry[]): Map<ZipEntry, ZipEntry> {
  const out = new Map<ZipEntry, ZipEntry>();
  let end = -1;
  let owner: ZipEntry | undefined;
  for (const e of [...entries].sort((a, b) => a.local - b.local)) {
    if (owner && e.local < end) out.set(e, owner);
    if (e.local + 30 + e.compressed > end) {
      end = e.local + 30 + e.compressed;
      owner = e;
    }
  }
  return out;
}

function* zipEntries(data: Buffer, limits: ArchiveLimits, budget: Budget): Generator<ArchiveEvent> {
  const entries = zipDirectory(data);
  if (!Array.isArray(entries)) {
    yield entries;
    return;
  }
  // A bomb entry announces itself before anything is inflated: its declared size and ratio, or data
  // shared with another entry. It is skipped alone; the entries beside it are still read.
  const shared = overlapping(entries);
  for (const e of entries) {
    if (e.name.endsWith('/')) continue;
    const owner = shared.get(e);
    if (owner) {
      yield { type: 'skip', name: e.name, reason: 'archive-bomb', detail: `its data overlaps ${owner.name}` };
      continue;
    }
    if (e.flags & 1) {
      yield { type: 'skip', name: e.name, reason: 'archive-encrypted' };
      continue;
    }
    if (e.size > limits.maxEntrySize || isBomb(e.size, e.compressed, limits)) {
      yield oversize(e.name, e.size, e.compressed, limits);
      continue;
    }
    if (budget.bytes + e.size > limits.maxExpanded) {
      yield limitSkip(e.name, `expands past ${limits.maxExpanded} bytes`);
      return;
    }
    const out = zipEntryData(data, e);
    if (!Buffer.isBuffer(out)) {
      yield out;
      continue;
    }
    budget.bytes += out.length;
    if (out.length > 0) yield { type: 'entry', name: e.name, data: out };
  }
}

/** One zip entry's bytes, or the skip that says why not. */
function zipEntryData(data: Buffer, e: ZipEntry): Buffer | ArchiveEvent {
  const lh = e.local;
  if (lh + 30 > data.length || data.readUInt32LE(lh) !== ZIP_LOCAL)
    return corrupt(e.name, 'bad local header');
  const start = lh + 30 + data.readUInt16LE(lh + 26) + data.readUInt16LE(lh + 28);
  const raw = data.subarray(start, start + e.compressed);
  if (e.method === 0) return raw;
  if (e.method !== 8)
    return {
      type: 'skip',
      name: e.name,
      reason: 'archive-unsupported',
      detail: `compression method ${e.method}`,
    };
  try {
    // The cap is the declared size: a header that lies about it cannot make us expand more.
    return inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
  } catch (err) {
    const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
    return tooBig
      ? { type: 'skip', name: e.name, reason: 'archive-bomb', detail: 'expands past its declared size' }
      : corrupt(e.name, (err as Error).message);
  }
}

// ---- tar, read from a buffer or from a gzip stream ----

/** Bytes in order, from a buffer or from an inflating stream. */
interface ByteSource {
  /** Whether the bytes are inflated from a smaller input (ratios and maxInflated apply). */
  readonly compressed: boolean;
  /** Bytes read or passed over so far. */
  readonly pos: number;
  /** The next `n` bytes (fewer only at the end). */
  read(n: number): Buffer;
  /** Passes over the next `n` bytes without keeping them; how many there were. */
  skip(n: number): number;
  /** Where the compressed input stood when the output reached `pos` (the position itself if plain). */
  compressedPos(): number;
  /** Bytes of input in all. */
  readonly inputSize: number;
}

/** A plain tar in memory: its entries are views of it, nothing is copied. */
class BufferSource implements ByteSource {
  readonly compressed = false;
  pos = 0;

  // The archive.
  constructor(private readonly data: Buffer) {}

  get inputSize(): number {
    return this.data.length;
  }

  read(n: number): Buffer {
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += out.length;
    return out;
  }

  skip(n: number): number {
    const k = Math.max(0, Math.min(n, this.data.length - this.pos));
    this.pos += k;
    return k;
  }

  compressedPos(): number {
    return this.pos;
  }
}

function parseOctal(buf: Buffer, start: number, len: number): number {
  // GNU base-256 for sizes of 8 GiB and more.
  if ((buf[start] as number) & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + (buf[i] as number);
    return n;
  }
  const text = buf
    .toString('latin1', start, start + len)
    .replace(/\0.*$/s, '')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cString(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

interface TarHeader {
  name: string;
  size: number;
  typeflag: string;
}

/** A tar header block, or undefined when its checksum does not hold. */
function tarHeader(header: Buffer): TarHeader | undefined {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
  if (sum !== parseOctal(header, 148, 8)) return undefined;
  const size = parseOctal(header, 124, 12);
  if (!Number.isFinite(size) || size < 0) return undefined;
  const prefix = header.toString('latin1', 257, 262) === 'ustar' ? cString(header, 345, 155) : '';
  const base = cString(header, 0, 100);
  return {
    name: prefix ? `${prefix}/${base}` : base,
    size,
    typeflag: String.fromCharCode(header[156] as number),
  };
}

/** Long names (GNU `L`, pax `x`) larger than this are not names. */
const MAX_META = MiB;

function* tarEntries(src: ByteSource, limits: ArchiveLimits, budget: Budget): Generator<ArchiveEvent> {
  let longName: string | undefined;
  for (;;) {
    const at = src.pos;
    const block = src.read(512);
    if (block.length < 512 || block.every((b) => b === 0)) return;
    const h = tarHeader(block);
    if (!h) {
      yield corrupt('', `bad tar header checksum at ${at}`);
      return;
    }
    const padding = (512 - (h.size % 512)) % 512;
    if (h.typeflag === 'L' || h.typeflag === 'x') {
      const body = h.size <= MAX_META ? src.read(h.size) : Buffer.alloc(0);
      if (body.length < h.size) {
        yield corrupt('', `tar entry at ${at} runs past the end`);
        return;
      }
      if (h.typeflag === 'L') longName = cString(body, 0, body.length);
      else longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] || longName;
      src.skip(padding);
      continue;
    }
    const name = longName ?? h.name;
    longName = undefined;
    if ((h.typeflag === '0' || h.typeflag === '\0' || h.typeflag === '7') && h.size > 0) {
      if (!(yield* tarFile(src, name, h.size, limits, budget))) return;
      src.skip(padding);
      continue;
    }
    if (unsafeEntryName(name) && (h.typeflag === '1' || h.typeflag === '2'))
      yield {
        type: 'skip',
        name,
        reason: 'unsafe-archive-path',
        detail: 'link entry leaves the extraction directory',
      };
    if (src.skip(h.size + padding) < h.size) {
      yield corrupt('', `tar entry at ${at} runs past the end`);
      return;
    }
  }
}

/**
 * One regular file of a tar: yielded, or passed over (counted, never held) when larger than one
 * entry may be, or a bomb by its ratio. Returns false where the walk must stop: the budget of the
 * whole archive is spent, or the archive ends inside the entry.
 */
function* tarFile(
  src: ByteSource,
  name: string,
  size: number,
  limits: ArchiveLimits,
  budget: Budget,
): Generator<ArchiveEvent, boolean> {
  const from = src.compressedPos();
  // What is left of the input bounds the entry's compressed size: when even that makes it a bomb,
  // it is passed over like an entry too large to hold, never read into memory.
  const most = src.inputSize - Math.floor(from);
  const keep = size <= limits.maxEntrySize && !(src.compressed && isBomb(size, most, limits));
  if (keep && budget.bytes + size > limits.maxExpanded) {
    yield limitSkip(name, `expands past ${limits.maxExpanded} bytes`);
    return false;
  }
  if (src.compressed && budget.inflated + size > limits.maxInflated) {
    // Not passed over, so the entries after it stay unread.
    yield isBomb(size, most, limits)
      ? {
          type: 'skip',
          name,
          reason: 'archive-bomb',
          detail: `${size} bytes from at most ${most} (ratio ${Math.round(size / Math.max(1, most))}:1 or more); the entries after it are not read`,
        }
      : limitSkip(name, `inflates past ${limits.maxInflated} bytes`);
    return false;
  }
  const data = keep ? src.read(size) : undefined;
  const got = data ? data.length : src.skip(size);
  if (src.compressed) budget.inflated += got;
  if (got < size) {
    yield corrupt(name, `the archive ends inside this entry (${got} of ${size} bytes)`);
    return false;
  }
  const packed = Math.round(src.compressedPos() - from);
  if (!data || (src.compressed && isBomb(size, packed, limits))) {
    yield oversize(name, size, src.compressed ? packed : size, limits);
    return true;
  }
  budget.bytes += size;
  yield { type: 'entry', name, data };
  return true;
}

// ---- gzip ----

function* gzipEntries(data: Buffer, limits: ArchiveLimits, budget: Budget): Generator<ArchiveEvent> {
  let src: GunzipSource | undefined;
  try {
    src = new GunzipSource(data);
    if (archiveType(src.peek(512)) === 'tar') yield* tarEntries(src, limits, budget);
    else yield* gunzipOnly(src, data.length, limits, budget);
  } catch (err) {
    // A stream that breaks off: what came before it was yielded and scanned.
    yield corrupt('', (err as Error).message);
  } finally {
    src?.close();
  }
}

/** A gzip of one file (not a tar): the file is the entry `(gunzip)`; a bomb or a limit is the whole. */
function* gunzipOnly(
  src: GunzipSource,
  packed: number,
  limits: ArchiveLimits,
  budget: Budget,
): Generator<ArchiveEvent> {
  const parts: Buffer[] = [];
  let size = 0;
  for (let part = src.read(MiB); part.length > 0; part = src.read(MiB)) {
    size += part.length;
    if (size > limits.maxEntrySize) break;
    parts.push(part);
  }
  if (size > limits.maxEntrySize) {
    parts.length = 0;
    // Counted to its end, within the inflation budget, to tell a bomb from a large file.
    const room = limits.maxInflated - budget.inflated - size;
    size += src.skip(Math.max(0, room) + 1);
    if (size > limits.maxInflated - budget.inflated) {
      yield isBomb(size, packed, limits)
        ? oversize('', size, packed, limits)
        : limitSkip('', `inflates past ${limits.maxInflated} bytes`);
      return;
    }
  }
  budget.inflated += size;
  if (size > limits.maxEntrySize || isBomb(size, packed, limits)) {
    yield oversize('', size, packed, limits);
    return;
  }
  if (budget.bytes + size > limits.maxExpanded) {
    yield limitSkip('', `expands past ${limits.maxExpanded} bytes`);
    return;
  }
  budget.bytes += size;
  if (size > 0) yield { type: 'entry', name: '(gunzip)', data: Buffer.concat(parts, size) };
}

// ---- a synchronous reader over node's streaming inflate ----
//
// The scan of a file is synchronous (worker threads drive YARA-X in a loop), but node's zlib inflates
// a stream only asynchronously: its one-shot gunzipSync holds the whole output, and a pure-JS inflater
// (fflate) passes over 900 MiB of zeros in about 5 s. So the stream runs on a helper thread with
// node's own zlib, and this thread takes its output chunk by chunk, blocking in Atomics.wait until the
// next one is posted and taking it with receiveMessageOnPort (the pattern synckit uses). At most AHEAD
// chunks wait in the port, so memory stays a few MiB; bytes passed over are dropped on the helper
// thread, and never cross to this one.

const CHUNK = MiB;
const AHEAD = 2;
/** A helper that posts nothing for this long is taken for dead. */
const WAIT_MS = 60_000;

/**
 * The helper thread, plain JavaScript. Per stream it is handed the compressed bytes, a port to post
 * chunks on and a shared block: [0] chunks posted and not yet taken, [1] cancelled, and (as a
 * 64-bit cell at byte 8) the output offset before which nothing is wanted.
 */
const INFLATER = `
const { parentPort } = require('node:worker_threads');
const { createInflateRaw } = require('node:zlib');
// Where the deflate data of the gzip member at \`at\` starts, or why it is no gzip member (RFC 1952).
function memberBody(data, at) {
  if (data.length < at + 10 || data[at] !== 0x1f || data[at + 1] !== 0x8b || data[at + 2] !== 8)
    return 'incorrect gzip header';
  const flags = data[at + 3];
  let p = at + 10;
  if (flags & 4) p += 2 + (data[p] | (data[p + 1] << 8));
  if (flags & 8) p = data.indexOf(0, p) + 1 || data.length + 1;
  if (flags & 16) p = data.indexOf(0, p) + 1 || data.length + 1;
  if (flags & 2) p += 2;
  return p <= data.length ? p : 'gzip header runs past the end';
}
parentPort.on('message', ({ data, port, shared, chunk, ahead }) => {
  const ctl = new Int32Array(shared, 0, 2);
  const skipTo = new BigInt64Array(shared, 8, 1);
  let inf = null, out = 0, input = 0, done = false;
  const cancelled = () => Atomics.load(ctl, 1) !== 0;
  const post = (msg, transfer) => { port.postMessage(msg, transfer); Atomics.add(ctl, 0, 1); Atomics.notify(ctl, 0); };
  const stop = () => { done = true; if (inf) inf.destroy(); port.close(); };
  const finish = (msg) => { if (done) return; done = true; post(msg, []); port.close(); };
  async function waitForRoom(stream) {
    while (!cancelled()) {
      const n = Atomics.load(ctl, 0);
      if (n < ahead) { if (!done) stream.resume(); return; }
      const w = Atomics.waitAsync(ctl, 0, n);
      if (w.async) await w.value;
    }
    if (!done) stop();
  }
  // One member after the other; the CRC is not checked (it costs as much as inflating, and a scan
  // needs the bytes, not their integrity): a broken deflate stream still fails.
  function member(at) {
    const body = memberBody(data, at);
    if (typeof body === 'string') return finish({ error: body });
    const stream = (inf = createInflateRaw({ chunkSize: chunk }));
    stream.on('data', (bytes) => {
      if (cancelled()) return stop();
      const outStart = out, inStart = input;
      out += bytes.length;
      input = body + stream.bytesWritten;
      const from = Math.max(0, Number(Atomics.load(skipTo, 0)) - outStart);
      if (from >= bytes.length) return;
      const part = new Uint8Array(bytes.subarray(from));
      post({ bytes: part, at: outStart + from, outStart, outEnd: out, inStart, inEnd: input }, [part.buffer]);
      if (Atomics.load(ctl, 0) >= ahead) { stream.pause(); void waitForRoom(stream); }
    });
    stream.on('end', () => {
      const next = body + stream.bytesWritten + 8;
      if (next + 10 <= data.length && data[next] === 0x1f && data[next + 1] === 0x8b) member(next);
      else finish({ end: true, out, input: data.length });
    });
    stream.on('error', (err) => finish({ error: String((err && err.message) || err) }));
    stream.end(data.subarray(body));
  }
  member(0);
});
`;

interface InflatedChunk {
  bytes: Uint8Array;
  /** Output offset of bytes[0]; the chunk as inflated spanned outStart..outEnd from inStart..inEnd. */
  at: number;
  outStart: number;
  outEnd: number;
  inStart: number;
  inEnd: number;
}
type InflaterMessage = InflatedChunk | { end: true; out: number; input: number } | { error: string };

let inflater: Worker | undefined;

/** The helper thread of this thread, started on the first gzip and kept; it never keeps node alive. */
function inflaterThread(): Worker {
  if (inflater) return inflater;
  const worker = new Worker(INFLATER, { eval: true });
  worker.unref();
  const forget = (): void => {
    if (inflater === worker) inflater = undefined;
  };
  worker.on('error', forget);
  worker.on('exit', forget);
  inflater = worker;
  return worker;
}

/** The output of one gzip stream (members concatenated), read synchronously. */
class GunzipSource implements ByteSource {
  readonly compressed = true;
  pos = 0;
  readonly inputSize: number;
  /** Bytes at `pos` not yet taken (own memory, from the helper). */
  private cur: Buffer = Buffer.alloc(0);
  private span = { outStart: 0, outEnd: 0, inStart: 0, inEnd: 0 };
  private ended = false;
  private readonly port: MessagePort;
  private readonly ctl: Int32Array;
  private readonly skipTo: BigInt64Array;

  // Hands a copy of the compressed bytes to the helper thread.
  constructor(data: Buffer) {
    this.inputSize = data.length;
    const shared = new SharedArrayBuffer(16);
    this.ctl = new Int32Array(shared, 0, 2);
    this.skipTo = new BigInt64Array(shared, 8, 1);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const copy = new Uint8Array(data);
    inflaterThread().postMessage({ data: copy, port: port2, shared, chunk: CHUNK, ahead: AHEAD }, [
      port2,
      copy.buffer,
    ]);
  }

  /** The next message of the helper, waiting for it. */
  private take(): InflaterMessage {
    for (;;) {
      const got = receiveMessageOnPort(this.port);
      if (got) {
        Atomics.sub(this.ctl, 0, 1);
        Atomics.notify(this.ctl, 0);
        return got.message as InflaterMessage;
      }
      if (Atomics.wait(this.ctl, 0, 0, WAIT_MS) === 'timed-out') {
        inflater = undefined;
        throw new Error(`gunzip helper thread did not answer within ${WAIT_MS / 1000} s`);
      }
    }
  }

  /** Makes `cur` hold bytes at `pos` unless the stream has ended; throws where the stream breaks. */
  private fill(): boolean {
    while (this.cur.length === 0 && !this.ended) {
      const m = this.take();
      if ('error' in m) throw new Error(m.error);
      if ('end' in m) {
        this.ended = true;
        this.span = { outStart: m.out, outEnd: m.out, inStart: m.input, inEnd: m.input };
        break;
      }
      this.span = { outStart: m.outStart, outEnd: m.outEnd, inStart: m.inStart, inEnd: m.inEnd };
      const from = this.pos - m.at;
      if (from >= m.bytes.length) continue;
      this.cur = Buffer.from(
        m.bytes.buffer,
        m.bytes.byteOffset + Math.max(0, from),
        m.bytes.length - Math.max(0, from),
      );
    }
    return this.cur.length > 0;
  }

  /** The next `n` bytes without taking them (for sniffing a tar inside). */
  peek(n: number): Buffer {
    while (this.cur.length < n && !this.ended) {
      const before = this.cur;
      const pos = this.pos;
      this.cur = Buffer.alloc(0);
      this.pos += before.length;
      const more = this.fill();
      this.pos = pos;
      this.cur = more ? Buffer.concat([before, this.cur]) : before;
    }
    return this.cur.subarray(0, n);
  }

  read(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let got = 0;
    while (got < n && this.fill()) {
      const k = Math.min(n - got, this.cur.length);
      this.cur.copy(out, got, 0, k);
      this.cur = this.cur.subarray(k);
      this.pos += k;
      got += k;
    }
    return got < n ? out.subarray(0, got) : out;
  }

  skip(n: number): number {
    const start = this.pos;
    const k = Math.min(n, this.cur.length);
    this.cur = this.cur.subarray(k);
    this.pos += k;
    if (k === n || this.ended) return k;
    // The helper drops what comes before the target; we wait for the first byte after it (or the end).
    const target = Math.min(start + n, Number.MAX_SAFE_INTEGER);
    Atomics.store(this.skipTo, 0, BigInt(target));
    this.pos = target;
    this.fill();
    if (this.ended && this.span.outEnd < target) this.pos = Math.max(start + k, this.span.outEnd);
    return this.pos - start;
  }

  compressedPos(): number {
    const s = this.span;
    if (s.outEnd <= s.outStart) return s.inEnd;
    const into = Math.min(Math.max(this.pos - s.outStart, 0), s.outEnd - s.outStart);
    return s.inStart + ((s.inEnd - s.inStart) * into) / (s.outEnd - s.outStart);
  }

  /** Stops the stream on the helper thread (also when the reader is abandoned halfway). */
  close(): void {
    Atomics.store(this.ctl, 1, 1);
    Atomics.notify(this.ctl, 0);
    this.port.close();
  }
}
