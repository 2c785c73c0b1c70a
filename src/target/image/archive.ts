// One pass over an image tarball (docker-archive, OCI archive, podman/docker `save` output, plain or
// gzip/zstd-compressed): every blob is read as it comes, since tools write manifest.json and
// index.json after the layers, and kept per path, documents whole and layers as what layer.ts
// keeps of them. Order, whiteouts and names are applied at the end, once the manifest is known.
// The outer tar is parsed by tar-parse.ts like the layers inside it, straight from two read
// buffers used in turn: no stream and no buffer per chunk between the file and the layer parser.
// In a plain tarball, a large layer blob goes to the scanner's threads when it has them
// (ContentScanner.readLayer), which read it from the file at its offset while this pass leaps
// over its bytes to the next entry: the layers are read side by side.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { ImageSkip } from '../../snapshot/image.js';
import { archiveKey, archiveLinkTarget, normaliseEntryName } from './names.js';
import { ExpansionBudget, LimitError, decoderChain, sniffCodec } from './decode.js';
import { BlobReader, readLayerJob, type BlobContext, type BlobResult } from './blob.js';
import { TarParser, type TarHeader, type TarSink } from './tar-parse.js';
import type { LayerJob, LayerScan } from './types.js';

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
async function* chunksOf(file: string, ctx: BlobContext, leap?: () => number): AsyncGenerator<Buffer> {
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
      // Bytes a scan thread reads on its own are not read here: the read ahead is read again past them.
      const over = leap?.() ?? 0;
      if (over > 0) {
        await next;
        at += over;
        next = fh.read(bufs[turn] as Buffer, 0, CHUNK, at);
        pending = next;
      }
    }
  } finally {
    // A read still under way when the caller stops must end before the file is closed.
    await pending?.catch(() => undefined);
    await fh.close();
  }
}

/** Where the outer tar's bytes lie, when it is a plain file that can be read at any offset. */
interface PlainArchive {
  file: string;
  size: number;
  parser: TarParser;
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
  /**
   * Each blob's result, in archive order (a later entry for the same path wins); `job` for one a
   * scan thread reads, which this thread reads after all when no thread could.
   */
  private readonly results: { key: string; result: Promise<BlobResult>; job?: LayerJob }[] = [];
  /** Where the archive lies, for blobs read by the scanner's threads. */
  plain: PlainArchive | undefined;
  /** Paths of the blobs met so far. */
  private readonly keys = new Set<string>();

  // Fills `out`.
  constructor(
    private readonly out: ArchiveContents,
    private readonly ctx: BlobContext,
  ) {}

  entry(h: TarHeader): void | 'skip' {
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
    if (this.offload(key, h.size)) return 'skip';
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

  /**
   * Hands a large blob lying whole in a plain tarball to the scanner's threads (limits.offloadBytes):
   * layers are read side by side, and nothing of theirs on this thread. Smaller blobs, documents
   * above all, are read here; false for those.
   */
  private offload(key: string, size: number): boolean {
    const { plain, ctx } = this;
    const scanner = ctx.scanner;
    if (
      !plain ||
      !scanner?.readLayer ||
      size < Math.max(ctx.limits.offloadBytes, ctx.limits.maxJsonBytes + 1)
    )
      return false;
    const offset = plain.parser.position;
    // A blob the file cuts short is read here, so the archive's own cut is recorded as before. So
    // is the last large blob: its files are spread over every thread while they end the others
    // (alone on one thread, the others would wait for it; an image of one layer is all of it).
    const after = plain.size - (offset + size);
    if (after < 512 || after < ctx.limits.offloadBytes) return false;
    const job: LayerJob = {
      file: plain.file,
      offset,
      size,
      key,
      limits: ctx.limits,
      scriptBudget: ctx.scripts.left,
    };
    ctx.onLayer?.({ key, phase: 'start' });
    const result = scanner.readLayer(job).then((scan): BlobResult => {
      ctx.onLayer?.({ key, phase: 'done', bytes: scan.size, status: scan.status });
      return { kind: 'layer', scan };
    });
    // Not waited for here (the next blobs go on); a failure is read again in done().
    result.catch(() => undefined);
    this.results.push({ key, result, job });
    return true;
  }

  /** A blob a scan thread could not read, read here (once the archive's pass is over). */
  private async readHere(job: LayerJob): Promise<BlobResult> {
    const scan = await readLayerJob(job, this.ctx.scanner);
    this.ctx.onLayer?.({ key: job.key, phase: 'done', bytes: scan.size, status: scan.status });
    return { kind: 'layer', scan };
  }

  /**
   * The start-script texts a scan thread kept, within what is left of the archive's budget (the
   * thread was given all that was left when the blob was met).
   */
  private trimScripts(scan: LayerScan): void {
    const budget = this.ctx.scripts;
    for (const [p, text] of scan.scripts) {
      if (budget.left >= text.length) {
        budget.left -= text.length;
        continue;
      }
      scan.scripts.delete(p);
      if (!budget.exhausted)
        scan.skips.push({
          path: p,
          reason: 'script-budget',
          detail: `script texts past ${this.ctx.limits.scriptBudget} bytes are not kept`,
        });
      budget.exhausted = true;
    }
  }

  /** Every blob read, in archive order, as documents or layers. */
  async done(): Promise<void> {
    for (const { key, result, job } of this.results) {
      let r: BlobResult;
      if (job) {
        r = await result.catch(() => this.readHere(job));
        if (r.kind === 'layer') this.trimScripts(r.scan);
      } else r = await result;
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

/** The size of the archive when it is a plain file (not a compressed `save` output), or undefined. */
async function plainSizeOf(file: string): Promise<number | undefined> {
  try {
    const fh = await open(file, 'r');
    try {
      const head = Buffer.alloc(8);
      await fh.read(head, 0, head.length, 0);
      const codec = sniffCodec(head);
      if (codec === 'gzip' || codec === 'zstd') return undefined;
      return (await fh.stat()).size;
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  }
}

/** Reads the archive at `file` in one pass. A cut or corrupt archive keeps what was read. */
export async function readArchive(file: string, ctx: BlobContext): Promise<ArchiveContents> {
  const out: ArchiveContents = { docs: new Map(), layers: new Map(), aliases: new Map(), skips: [] };
  const size = ctx.scanner?.readLayer ? await plainSizeOf(file) : undefined;
  // In a plain archive this thread decodes nothing: its plain layers are hashed here (layer.ts).
  const sink = new ArchiveSink(out, size !== undefined ? { ...ctx, hashTarHere: true } : ctx);
  const parser = new TarParser(sink);
  const plain = size !== undefined ? { file, size, parser } : undefined;
  sink.plain = plain;
  // Only a blob handed to a scan thread is leapt over (nothing smaller than a read is worth it).
  const leap = (): number => {
    const n = plain ? parser.skippable() : 0;
    if (n < CHUNK) return 0;
    parser.skipped(n);
    return n;
  };
  try {
    for await (const chunk of chunksOf(file, ctx, leap)) {
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
