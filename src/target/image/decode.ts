// The codecs of layer blobs and image archives, told by their first bytes (names and media types
// lie): gzip through zlib, zstd through fzstd (Node 20 has no zstd of its own), plain tar as is. The
// expanded bytes are metered as they come, so a decompression bomb stops at the layer's limit
// instead of filling memory, and a zstd frame that asks for a huge window is refused up front.
import { PassThrough, Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';

export type Codec = 'gzip' | 'zstd' | 'tar' | 'xz' | 'bzip2' | 'json' | 'unknown';

/** Bytes the sniffer wants before deciding (one tar header). */
export const SNIFF_BYTES = 512;

/** A tar header's checksum holds: an old (v7) tar has no `ustar` magic but a valid checksum. */
export function validTarHeader(h: Buffer): boolean {
  if (h.length < 512) return false;
  const stored = parseInt(
    h
      .toString('latin1', 148, 156)
      .replace(/[\0 ]+$/, '')
      .trim(),
    8,
  );
  if (!Number.isFinite(stored)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number);
  return sum === stored;
}

/** What the first bytes of a blob are. */
export function sniffCodec(head: Buffer): Codec {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  if (head.length >= 6 && head.toString('latin1', 0, 6) === '\xfd7zXZ\0') return 'xz';
  if (head.length >= 3 && head.toString('latin1', 0, 3) === 'BZh') return 'bzip2';
  if (head.length >= 512) {
    if (head.toString('latin1', 257, 262) === 'ustar' || validTarHeader(head)) return 'tar';
    // An empty layer is a tar of nothing but its zero end blocks.
    if (head.subarray(0, 512).every((b) => b === 0)) return 'tar';
  }
  const first = head.toString('latin1').trimStart()[0];
  if (first === '{' || first === '[') return 'json';
  return 'unknown';
}

/**
 * Why a layer stopped at a limit, as the skip record names it: `decompression-bomb` (expanded far
 * past its compressed size), `layer-limit` (past the bytes one layer may expand to), `entries-limit`,
 * `zstd-window` (a frame asking for a window past the limit).
 */
export type LimitReason = 'decompression-bomb' | 'layer-limit' | 'entries-limit' | 'zstd-window';

/** A layer went past one of its limits: the reader records status `limit` and a skip of `reason`. */
export class LimitError extends Error {
  override name = 'LimitError';
  // The message says what the limit was; `reason` names it for the skip record.
  constructor(
    message: string,
    readonly reason: LimitReason,
  ) {
    super(message);
  }
}

/** The expanded and compressed byte counts of one blob, checked against its limits. */
export class ExpansionBudget {
  expanded = 0;
  compressed = 0;

  // The limits it enforces.
  constructor(
    private readonly maxBytes: number,
    private readonly maxRatio: number,
    private readonly ratioFrom: number,
  ) {}

  /** Counts `n` more expanded bytes; throws LimitError past a limit. */
  add(n: number): void {
    this.expanded += n;
    if (this.expanded > this.maxBytes)
      throw new LimitError(`expands past ${this.maxBytes} bytes (the per-layer limit)`, 'layer-limit');
    if (this.expanded > this.ratioFrom && this.expanded > this.maxRatio * Math.max(1, this.compressed))
      throw new LimitError(
        `expands ${Math.round(this.expanded / Math.max(1, this.compressed))} times its compressed size ` +
          `(limit ${this.maxRatio}): a decompression bomb`,
        'decompression-bomb',
      );
  }
}

/** Counts what passes through against the budget (gzip and plain tar; zstd counts as it decodes). */
class Meter extends Transform {
  // The budget to count against.
  constructor(private readonly budget: ExpansionBudget) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.budget.add(chunk.length);
    } catch (err) {
      cb(err as Error);
      return;
    }
    cb(null, chunk);
  }
}

/** The window a zstd frame header asks for, or undefined when the header is not all there. */
export function zstdWindow(h: Buffer): number | undefined {
  if (h.length < 6) return undefined;
  const fhd = h[4] as number;
  const single = (fhd >> 5) & 1;
  if (!single) {
    const wd = h[5] as number;
    const base = 2 ** (10 + (wd >> 3));
    return base + (base / 8) * (wd & 7);
  }
  // Single segment: the window is the frame's content size.
  const dictBytes = [0, 1, 2, 4][fhd & 3] as number;
  const fcsBytes = [1, 2, 4, 8][fhd >> 6] as number;
  const at = 5 + dictBytes;
  if (h.length < at + fcsBytes) return undefined;
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + (h[at + i] as number);
  return fcsBytes === 2 ? size + 256 : size;
}

/** Input handed to fzstd at a time: its output for one push is all produced at once. */
const ZSTD_SLICE = 4096;

/** zstd through fzstd, counting its output as it comes (a push may expand a lot at once). */
class ZstdDecode extends Transform {
  private readonly d: Decompress;
  private checked = false;

  // Decodes into the stream, counting against the budget.
  constructor(
    private readonly budget: ExpansionBudget,
    private readonly maxWindow: number,
  ) {
    super();
    this.d = new Decompress((data) => {
      this.budget.add(data.length);
      // fzstd may hand out a view of its window, which it overwrites later: copy.
      if (data.length > 0) this.push(Buffer.from(data));
    });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      if (!this.checked) {
        this.checked = true;
        const window = zstdWindow(chunk);
        if (window !== undefined && window > this.maxWindow)
          throw new LimitError(
            `zstd frame asks for a ${window}-byte window (limit ${this.maxWindow})`,
            'zstd-window',
          );
      }
      for (let at = 0; at < chunk.length; at += ZSTD_SLICE) this.d.push(chunk.subarray(at, at + ZSTD_SLICE));
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      this.d.push(new Uint8Array(0), true);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }
}

/** The streams that turn a blob of `codec` into tar bytes, metered; the first takes the blob. */
export function decoderChain(
  codec: 'gzip' | 'zstd' | 'tar',
  budget: ExpansionBudget,
  maxZstdWindow: number,
): Transform[] {
  if (codec === 'gzip') return [createGunzip(), new Meter(budget)];
  if (codec === 'zstd') return [new ZstdDecode(budget, maxZstdWindow)];
  return [new PassThrough(), new Meter(budget)];
}

/** An error that means the data stopped early (a cut tar or gzip), not that it is garbage. */
export function isTruncation(err: unknown): boolean {
  const e = err as { message?: string; code?: string };
  return (
    e.code === 'Z_BUF_ERROR' ||
    /unexpected end|premature|truncat/i.test(e.message ?? '') ||
    // fzstd: UnexpectedEOF.
    (err instanceof Error && (err as { code?: unknown }).code === 5)
  );
}
