// One blob of an image archive or layout, read once as a stream: its first bytes say what it is. A
// tar, gzip or zstd stream is read as a layer (layer.ts); a small document (a manifest, an index, a
// config) is kept whole for the manifest reader; anything else is hashed and recorded as a layer
// nobody can read (xz, bzip2, garbage), in case a manifest names it as one.
import { createHash } from 'node:crypto';
import { LayerReader, type LayerContext } from './layer.js';
import { SNIFF_BYTES, sniffCodec, type Codec } from './decode.js';
import { emptyLayerScan, type LayerProgress, type LayerScan } from './types.js';

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

/** The chunks of a source, pulled one by one: a failure of the source is returned, not thrown. */
class Pull {
  private readonly it: AsyncIterator<Buffer>;
  error: unknown;

  // Iterates `source` by hand: stopping early never destroys it (tar-stream's entries would take
  // the whole archive down with them).
  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  async next(): Promise<Buffer | undefined> {
    if (this.error !== undefined) return undefined;
    try {
      const r = await this.it.next();
      return r.done ? undefined : r.value;
    } catch (err) {
      this.error = err;
      return undefined;
    }
  }
}

/** Reads the whole blob at `key` from `source` (always to its end, so an archive can go on). */
export async function readBlob(
  source: AsyncIterable<Buffer>,
  key: string,
  ctx: BlobContext,
): Promise<BlobResult> {
  const pull = new Pull(source);
  const first: Buffer[] = [];
  let headLen = 0;
  while (headLen < SNIFF_BYTES) {
    const chunk = await pull.next();
    if (!chunk) break;
    first.push(chunk);
    headLen += chunk.length;
  }
  const head = Buffer.concat(first);
  const codec = sniffCodec(head);
  if (codec === 'gzip' || codec === 'zstd' || codec === 'tar') {
    ctx.onLayer?.({ key, phase: 'start' });
    const reader = new LayerReader(key, codec, ctx);
    await reader.write(head);
    for (let c = await pull.next(); c; c = await pull.next()) await reader.write(c);
    const scan = await reader.end(pull.error);
    ctx.onLayer?.({ key, phase: 'done', bytes: scan.size, status: scan.status });
    return { kind: 'layer', scan };
  }
  return readOther(pull, head, key, codec, ctx);
}

/** A blob that is no layer: kept when it is a small document, else hashed and marked unreadable. */
async function readOther(
  pull: Pull,
  head: Buffer,
  key: string,
  codec: Codec,
  ctx: BlobContext,
): Promise<BlobResult> {
  const hash = createHash('sha256').update(head);
  let size = head.length;
  let kept: Buffer[] | undefined = codec === 'json' || codec === 'unknown' ? [head] : undefined;
  for (let c = await pull.next(); c; c = await pull.next()) {
    hash.update(c);
    size += c.length;
    if (kept && size <= ctx.limits.maxJsonBytes) kept.push(c);
    else kept = undefined;
  }
  const digest = `sha256:${hash.digest('hex')}`;
  if (pull.error === undefined && kept && size <= ctx.limits.maxJsonBytes && ctx.keepDoc(size))
    return { kind: 'doc', bytes: Buffer.concat(kept), digest, size };
  const scan = emptyLayerScan(key, codec);
  scan.digest = digest;
  scan.size = size;
  scan.status = pull.error !== undefined ? 'truncated' : 'unreadable';
  scan.note =
    pull.error !== undefined
      ? 'the blob is cut short'
      : (CODEC_NOTES[codec] ??
        `not a tar, gzip or zstd stream (first bytes ${head.subarray(0, 8).toString('hex')}); not read`);
  return { kind: 'layer', scan };
}
