// One pass over an image tarball (docker-archive, OCI archive, podman/docker `save` output, plain or
// gzip/zstd-compressed): every blob is read as it comes, since tools write manifest.json and
// index.json after the layers, and kept per path, documents whole and layers as what layer.ts
// keeps of them. Order, whiteouts and names are applied at the end, once the manifest is known.
// The outer tar is parsed by tar-parse.ts like the layers inside it, straight from two read
// buffers used in turn: no stream and no buffer per chunk between the file and the layer parser.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ImageSkip } from '../../snapshot/image.js';
import { archiveKey, archiveLinkTarget, normaliseEntryName } from './names.js';
import { ExpansionBudget, LimitError, decoderChain, sniffCodec } from './decode.js';
import { BlobReader, type BlobContext, type BlobResult } from './blob.js';
import { TarParser, type TarHeader, type TarSink } from './tar-parse.js';
import type { LayerScan } from './types.js';

export interface ArchiveContents {
  /** Small documents (manifests, indexes, configs) by path in the archive. */
  docs: Map<string, { bytes: Buffer; digest: string }>;
  /** Layer blobs (and unreadable blobs) by path. */
  layers: Map<string, LayerScan>;
  /** Symbolic and hard links between archive paths (older `docker save` links shared layers). */
  aliases: Map<string, string>;
  skips: ImageSkip[];
}

/** A compressed `save` output as the tar stream inside it, decoded on the way. */
function decoded(file: string, codec: 'gzip' | 'zstd', ctx: BlobContext): Readable {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  // The whole archive is bounded only by the ratio: its layers have their own limits inside.
  const { maxRatio, ratioFromBytes, maxZstdWindow } = ctx.limits;
  const budget = new ExpansionBudget(Number.MAX_SAFE_INTEGER, maxRatio, ratioFromBytes);
  raw.on('data', (c: Buffer | string) => (budget.compressed += c.length));
  const chain = decoderChain(codec, budget, maxZstdWindow);
  let tail: Readable = raw;
  for (const s of chain) {
    tail.on('error', (err) => s.destroy(err));
    tail = tail.pipe(s);
  }
  return tail;
}

/** Bytes of the archive read at a time. */
const CHUNK = 1 << 20;

/**
 * The archive's bytes, chunk by chunk: a plain tarball read into two buffers used in turn (the
 * next chunk is read while the caller works on this one, which is valid until it asks for the
 * next), a compressed `save` output decoded on the way.
 */
async function* chunksOf(file: string, ctx: BlobContext): AsyncGenerator<Buffer> {
  const fh = await open(file, 'r');
  let pending: Promise<unknown> | undefined;
  try {
    const head = Buffer.alloc(8);
    await fh.read(head, 0, head.length, 0);
    const codec = sniffCodec(head);
    if (codec === 'gzip' || codec === 'zstd') {
      const input = decoded(file, codec, ctx);
      try {
        for await (const chunk of input) yield chunk as Buffer;
      } finally {
        input.destroy();
      }
      return;
    }
    const bufs = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
    let at = 0;
    let turn = 0;
    let next = fh.read(bufs[0] as Buffer, 0, CHUNK, 0);
    pending = next;
    for (;;) {
      const { bytesRead } = await next;
      if (bytesRead === 0) return;
      const cur = bufs[turn] as Buffer;
      at += bytesRead;
      turn ^= 1;
      next = fh.read(bufs[turn] as Buffer, 0, CHUNK, at);
      pending = next;
      yield cur.subarray(0, bytesRead);
    }
  } finally {
    // A read still under way when the caller stops must end before the file is closed.
    await pending?.catch(() => undefined);
    await fh.close();
  }
}

/** A blob of the outer tar being read; its bytes wait in `queue` while an earlier blob ends. */
interface OpenBlob {
  key: string;
  reader: BlobReader;
  queue?: Buffer[];
}

/** Feeds a blob the bytes that waited for it, in order. */
async function feedAll(reader: BlobReader, chunks: readonly Buffer[]): Promise<void> {
  for (const c of chunks) {
    const wait = reader.feed(c);
    if (wait) await wait;
  }
}

/**
 * The entries of the outer tar as they are parsed: blobs read, links kept, the rest left out.
 * Blobs are read one after another, never two at once: the scanner hands out room for one file at
 * a time, and a compressed layer may still be decoding its last files when the parser, which does
 * not wait, meets the next blob in the same chunk. That blob's bytes are then copied aside until
 * the earlier one has ended.
 */
class ArchiveSink implements TarSink {
  /** The blob whose bytes are coming. */
  private current: OpenBlob | undefined;
  /** Settles once every blob met so far has ended; `ending` while one of them has not. */
  private chain: Promise<unknown> = Promise.resolve();
  private ending = false;
  /** What the caller waits for before the next chunk: the blobs' backpressure and ends. */
  private waits: Promise<unknown>[] = [];
  /** Each blob's result, in archive order (a later entry for the same path wins). */
  private readonly results: { key: string; result: Promise<BlobResult> }[] = [];
  /** Paths of the blobs met so far. */
  private readonly keys = new Set<string>();

  // Fills `out`.
  constructor(
    private readonly out: ArchiveContents,
    private readonly ctx: BlobContext,
  ) {}

  entry(h: TarHeader): void {
    const out = this.out;
    const skip = (reason: string, detail: string): void => {
      out.skips.push({ path: h.name, reason, detail });
    };
    const name = normaliseEntryName(h.name);
    if (!name.ok) {
      if (name.reason !== 'root') skip('path-traversal', 'climbs out of the archive; left out');
      return;
    }
    const key = name.path.slice(1);
    if (h.type === 'directory') return;
    if (h.type === 'symlink' || h.type === 'link') {
      const target =
        h.type === 'symlink' ? archiveLinkTarget(key, h.linkname ?? '') : archiveKey(h.linkname ?? '');
      if (target === undefined) skip('link-outside', `links to ${h.linkname ?? ''}, out of the archive`);
      else out.aliases.set(key, target);
      return;
    }
    // An unknown typeflag is read as a file, as tar does.
    if (h.type !== 'file' && h.type !== 'contiguous-file' && h.type) {
      skip('special-entry', `a ${h.type} in an image archive; left out`);
      return;
    }
    if (this.keys.has(key) || out.aliases.has(key))
      out.skips.push({
        path: key,
        reason: 'duplicate-entry',
        detail: 'the archive holds it twice; the later one is used',
      });
    out.aliases.delete(key);
    this.keys.add(key);
    const reader = new BlobReader(key, this.ctx, h.size);
    this.current = this.ending ? { key, reader, queue: [] } : { key, reader };
  }

  data(chunk: Buffer): void {
    const c = this.current;
    if (!c) return;
    // The caller reuses the chunk's memory: what waits is a copy.
    if (c.queue) c.queue.push(Buffer.from(chunk));
    else {
      const wait = c.reader.feed(chunk);
      if (wait) this.waits.push(wait);
    }
  }

  entryEnd(): void {
    const c = this.current;
    this.current = undefined;
    if (c) this.finish(c);
  }

  /** Waits until the chunk given last is no longer needed and the blobs can take more. */
  async settle(): Promise<void> {
    const waits = this.waits;
    this.waits = [];
    if (waits.length > 0) await Promise.all(waits);
    // Every blob before the current one has ended: it takes what waited for it, then reads directly.
    const c = this.current;
    if (c?.queue) {
      const queue = c.queue;
      delete c.queue;
      await feedAll(c.reader, queue);
    }
  }

  /** The archive cannot be read further: the blob being read is cut short. */
  async cut(err: unknown): Promise<void> {
    const c = this.current;
    this.current = undefined;
    if (c) this.finish(c, err);
    await this.settle().catch(() => undefined);
  }

  /** Every blob read, in archive order, as documents or layers. */
  async done(): Promise<void> {
    for (const { key, result } of this.results) {
      const r = await result;
      if (r.kind === 'doc') {
        this.out.layers.delete(key);
        this.out.docs.set(key, { bytes: r.bytes, digest: r.digest });
      } else {
        this.out.docs.delete(key);
        this.out.layers.set(key, r.scan);
      }
    }
  }

  /** Ends a blob (after the blobs before it, and with the bytes that waited for it). */
  private finish(c: OpenBlob, sourceError?: unknown): void {
    const queue = c.queue;
    const result = queue
      ? this.chain.then(() => feedAll(c.reader, queue)).then(() => c.reader.end(sourceError))
      : c.reader.end(sourceError);
    this.results.push({ key: c.key, result });
    // The next chunk waits until this blob is done: its scans landed, its digest known.
    this.waits.push(result);
    const ended = result.then(
      () => undefined,
      () => undefined,
    );
    this.chain = ended;
    this.ending = true;
    void ended.then(() => {
      if (this.chain === ended) this.ending = false;
    });
  }
}

/** Reads the archive at `file` in one pass. A cut or corrupt archive keeps what was read. */
export async function readArchive(file: string, ctx: BlobContext): Promise<ArchiveContents> {
  const out: ArchiveContents = { docs: new Map(), layers: new Map(), aliases: new Map(), skips: [] };
  const sink = new ArchiveSink(out, ctx);
  const parser = new TarParser(sink);
  try {
    for await (const chunk of chunksOf(file, ctx)) {
      parser.push(chunk);
      await sink.settle();
    }
    parser.end();
  } catch (err) {
    await sink.cut(err);
    await sink.done();
    // A compressed `save` output that expands too far is a bomb, not a cut archive.
    out.skips.push({
      path: file,
      reason: err instanceof LimitError ? err.reason : 'truncated',
      detail: `the archive cannot be read past this point: ${err instanceof Error ? err.message : String(err)}`,
    });
    return out;
  }
  await sink.done();
  return out;
}
