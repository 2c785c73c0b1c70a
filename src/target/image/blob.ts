// One blob of an image archive or layout, read once as a stream: its first bytes say what it is. A
// tar, gzip or zstd stream is read as a layer (layer.ts); a small document (a manifest, an index, a
// config) is kept whole for the manifest reader; anything else is hashed and recorded as a layer
// nobody can read (xz, bzip2, garbage), in case a manifest names it as one.
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { LayerReader, type LayerContext } from './layer.js';
import { SNIFF_BYTES, sniffCodec, type Codec } from './decode.js';
import {
  emptyLayerScan,
  type ContentScanner,
  type LayerJob,
  type LayerProgress,
  type LayerScan,
} from './types.js';

export type BlobResult =
  { kind: 'doc'; bytes: Buffer; digest: string; size: number } | { kind: 'layer'; scan: LayerScan };

export interface BlobContext extends LayerContext {
  /** Whether a document of this many bytes may still be kept (the archive's budget). */
  keepDoc(size: number): boolean;
  onLayer?: (p: LayerProgress) => void;
}

const CODEC_NOTES: Partial<Record<Codec, string>> = {
  xz: 'xz-compressed layer: no decoder for this codec here; not read',
  bzip2: 'bzip2-compressed layer: no decoder for this codec here; not read',
};

/** A blob that is no layer: hashed, and kept while it may still be a small document. */
interface Other {
  codec: Codec;
  head: Buffer;
  hash: Hash;
  size: number;
  kept: Buffer[] | undefined;
}

/**
 * One blob, fed chunk by chunk (feed, then end). Nothing fed is kept by reference: the caller may
 * reuse a chunk's memory once `feed` returns, or once the promise it returns settles.
 */
export class BlobReader {
  /** The first bytes (copied) until there are enough to tell what the blob is. */
  private first: Buffer[] | undefined = [];
  private firstLength = 0;
  private layer: LayerReader | undefined;
  private other: Other | undefined;

  // The blob at `key`; `size` is its length when known before reading.
  constructor(
    private readonly key: string,
    private readonly ctx: BlobContext,
    private readonly size?: number,
  ) {}

  feed(chunk: Buffer): Promise<void> | undefined {
    if (chunk.length === 0) return undefined;
    if (this.first) {
      this.first.push(Buffer.from(chunk));
      this.firstLength += chunk.length;
      if (this.firstLength < SNIFF_BYTES) return undefined;
      return this.decide();
    }
    if (this.layer) return this.layer.feed(chunk);
    this.feedOther(chunk);
    return undefined;
  }

  /** Room for the current file's next bytes when the caller reads them itself (LayerReader.directRoom). */
  directRoom(): Buffer | undefined {
    return this.first ? undefined : this.layer?.directRoom();
  }

  /** `n` bytes were read into the room directRoom gave. */
  directFed(room: Buffer, n: number): Promise<void> | undefined {
    return (this.layer as LayerReader).directFed(room, n);
  }

  /** The blob ended (or its source failed with `sourceError`). */
  async end(sourceError?: unknown): Promise<BlobResult> {
    if (this.first) await this.decide();
    if (this.layer) {
      const scan = await this.layer.end(sourceError);
      this.ctx.onLayer?.({ key: this.key, phase: 'done', bytes: scan.size, status: scan.status });
      return { kind: 'layer', scan };
    }
    return this.endOther(this.other as Other, sourceError);
  }

  /** Enough bytes (or all of them): a layer, a document or something else. */
  private decide(): Promise<void> | undefined {
    const head = Buffer.concat(this.first ?? [], this.firstLength);
    this.first = undefined;
    const codec = sniffCodec(head);
    if (codec === 'gzip' || codec === 'zstd' || codec === 'tar') {
      this.ctx.onLayer?.({ key: this.key, phase: 'start' });
      this.layer = new LayerReader(this.key, codec, this.ctx, this.size);
      return this.layer.feed(head);
    }
    const kept = codec === 'json' || codec === 'unknown' ? [] : undefined;
    this.other = { codec, head, hash: createHash('sha256'), size: 0, kept };
    this.feedOther(head);
    return undefined;
  }

  private feedOther(chunk: Buffer): void {
    const o = this.other as Other;
    o.hash.update(chunk);
    o.size += chunk.length;
    if (o.kept && o.size <= this.ctx.limits.maxJsonBytes) o.kept.push(Buffer.from(chunk));
    else o.kept = undefined;
  }

  /** A blob that is no layer: kept when it is a small document, else hashed and marked unreadable. */
  private endOther(o: Other, sourceError: unknown): BlobResult {
    const digest = `sha256:${o.hash.digest('hex')}`;
    const { size, kept, codec, head } = o;
    if (sourceError === undefined && kept && size <= this.ctx.limits.maxJsonBytes && this.ctx.keepDoc(size))
      return { kind: 'doc', bytes: Buffer.concat(kept), digest, size };
    const scan = emptyLayerScan(this.key, codec);
    scan.digest = digest;
    scan.size = size;
    scan.status = sourceError !== undefined ? 'truncated' : 'unreadable';
    scan.note =
      sourceError !== undefined
        ? 'the blob is cut short'
        : (CODEC_NOTES[codec] ??
          `not a tar, gzip or zstd stream (first bytes ${head.subarray(0, 8).toString('hex')}); not read`);
    return { kind: 'layer', scan };
  }
}

/**
 * Reads the whole blob at `key` from `source` (always to its end, so an archive can go on); `size`
 * is its length when known before reading. A failure of the source makes the blob cut short.
 */
export async function readBlob(
  source: AsyncIterable<Buffer>,
  key: string,
  ctx: BlobContext,
  size?: number,
): Promise<BlobResult> {
  const reader = new BlobReader(key, ctx, size);
  let error: unknown;
  try {
    for await (const chunk of source) {
      const wait = reader.feed(chunk);
      if (wait) await wait;
    }
  } catch (err) {
    error = err;
  }
  return reader.end(error);
}

/** Bytes of a blob read from its file at a time. */
const RANGE_CHUNK = 1 << 20;
/**
 * A file's bytes still to come past a chunk, from this many on, are read from the file straight into
 * the file's room (directRoom): the bulk of a large file is then neither read into the chunk nor
 * copied out of it. Fewer are read with the next chunk, which holds the next headers too.
 */
const DIRECT_BYTES = 64 * 1024;

/**
 * Reads the blob `job` names from its file range, where the bytes lie in a plain tarball (or a
 * layout's blob file): on a scan thread with its own synchronous `scanner`, or on the reader's
 * thread when no scan thread could. The file ending before the range does is a cut blob.
 */
export async function readLayerJob(job: LayerJob, scanner?: ContentScanner): Promise<LayerScan> {
  const ctx: BlobContext = {
    limits: job.limits,
    ...(scanner ? { scanner } : {}),
    scripts: { left: job.scriptBudget, exhausted: false },
    // A blob this large is never one of the archive's small documents.
    keepDoc: () => false,
  };
  const reader = new BlobReader(job.key, ctx, job.size);
  let error: unknown;
  try {
    const fh = await open(job.file, 'r');
    try {
      const buf = Buffer.allocUnsafeSlow(Math.min(RANGE_CHUNK, Math.max(1, job.size)));
      for (let at = 0; at < job.size;) {
        const room = reader.directRoom();
        if (room && room.length >= DIRECT_BYTES) {
          const got = await fh.read(room, 0, Math.min(room.length, job.size - at), job.offset + at);
          if (got.bytesRead === 0) throw new Error('unexpected end of the archive');
          at += got.bytesRead;
          const wait = reader.directFed(room, got.bytesRead);
          if (wait) await wait;
          continue;
        }
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, job.size - at), job.offset + at);
        if (bytesRead === 0) throw new Error('unexpected end of the archive');
        at += bytesRead;
        const wait = reader.feed(buf.subarray(0, bytesRead));
        if (wait) await wait;
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    error = err;
  }
  const r = await reader.end(error);
  return r.kind === 'layer' ? r.scan : emptyLayerScan(job.key, 'json');
}
