// One pass over an image tarball (docker-archive, OCI archive, podman/docker `save` output, plain or
// gzip/zstd-compressed): every blob is read as it comes, since tools write manifest.json and
// index.json after the layers, and kept per path, documents whole and layers as what layer.ts
// keeps of them. Order, whiteouts and names are applied at the end, once the manifest is known.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

/** One entry of a tar-stream extract (its header and its content stream). */
type TarEntry = tar.ExtractEvents['entry'][1];
import type { ImageSkip } from '../../snapshot/image.js';
import { archiveKey, archiveLinkTarget, normaliseEntryName } from './names.js';
import { ExpansionBudget, decoderChain, sniffCodec } from './decode.js';
import { readBlob, type BlobContext } from './blob.js';
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

/** The archive's bytes as a tar stream: a compressed `save` output is decoded on the way. */
async function tarBytes(file: string, ctx: BlobContext): Promise<Readable> {
  const head = Buffer.alloc(8);
  const fh = await open(file, 'r');
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const codec = sniffCodec(head);
  if (codec !== 'gzip' && codec !== 'zstd') return raw;
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

/** Reads the archive at `file` in one pass. A cut or corrupt archive keeps what was read. */
export async function readArchive(file: string, ctx: BlobContext): Promise<ArchiveContents> {
  const out: ArchiveContents = { docs: new Map(), layers: new Map(), aliases: new Map(), skips: [] };
  const extract = tar.extract();
  const input = await tarBytes(file, ctx);
  input.on('error', (err) => extract.destroy(err));
  input.pipe(extract);
  try {
    for await (const entry of extract) await readEntry(entry, out, ctx);
  } catch (err) {
    out.skips.push({
      path: file,
      reason: 'truncated',
      detail: `the archive cannot be read past this point: ${err instanceof Error ? err.message : String(err)}`,
    });
  } finally {
    input.destroy();
  }
  return out;
}

/** One entry of the outer tar: a blob, a link between blobs, or something to leave out. */
async function readEntry(entry: TarEntry, out: ArchiveContents, ctx: BlobContext): Promise<void> {
  const h = entry.header;
  const name = normaliseEntryName(h.name);
  const leave = async (reason?: string, detail?: string): Promise<void> => {
    if (reason) out.skips.push({ path: h.name, reason, ...(detail ? { detail } : {}) });
    for await (const _ of entry) void _;
  };
  if (!name.ok)
    return name.reason === 'root' ? leave() : leave('path-traversal', 'climbs out of the archive; left out');
  const key = name.path.slice(1);
  if (h.type === 'directory') return leave();
  if (h.type === 'symlink' || h.type === 'link') {
    const target =
      h.type === 'symlink' ? archiveLinkTarget(key, h.linkname ?? '') : archiveKey(h.linkname ?? '');
    if (target === undefined)
      return leave('link-outside', `links to ${h.linkname ?? ''}, out of the archive`);
    out.aliases.set(key, target);
    return leave();
  }
  if (h.type !== 'file' && h.type !== 'contiguous-file' && h.type)
    return leave('special-entry', `a ${h.type} in an image archive; left out`);
  if (out.docs.has(key) || out.layers.has(key) || out.aliases.has(key))
    out.skips.push({
      path: key,
      reason: 'duplicate-entry',
      detail: 'the archive holds it twice; the later one is used',
    });
  out.aliases.delete(key);
  // tar-stream's entries yield Buffers (its typings say `unknown`).
  const r = await readBlob(entry as AsyncIterable<Buffer>, key, ctx);
  if (r.kind === 'doc') {
    out.layers.delete(key);
    out.docs.set(key, { bytes: r.bytes, digest: r.digest });
  } else {
    out.docs.delete(key);
    out.layers.set(key, r.scan);
  }
}
