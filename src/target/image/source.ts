// Where the manifest reader gets blobs from, by their path in the archive or layout (`manifest.json`,
// `blobs/sha256/<hex>`): a tarball already read in one pass (its links followed, with a bound on
// hops), or an OCI layout directory read on demand, each blob once, never outside the directory.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { ArchiveContents } from './archive.js';
import { readBlob, type BlobContext } from './blob.js';
import { emptyLayerScan, type LayerScan } from './types.js';

export type DocRead =
  { ok: true; bytes: Buffer; digest: string } | { ok: false; reason: string; detail: string };

export interface BlobSource {
  /** A small document (manifest, index, config). */
  doc(key: string): Promise<DocRead>;
  /** A layer blob, read (or looked up) once; undefined when the source does not hold it. */
  layer(key: string): Promise<LayerScan | undefined>;
}

/** The archive path of a digest (`sha256:<hex>` → `blobs/sha256/<hex>`), or undefined when malformed. */
export function blobKey(digest: string): string | undefined {
  const m = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/.exec(digest);
  return m ? `blobs/${digest.replace(':', '/')}` : undefined;
}

/** A blob that is there but is not a layer, for an image that names it as one. */
function notALayer(key: string, note: string): LayerScan {
  return { ...emptyLayerScan(key, 'unknown'), status: 'unreadable', note };
}

const MAX_LINK_HOPS = 16;

/** A tarball read in one pass (archive.ts). */
export class TarSource implements BlobSource {
  // Answers from what the pass kept.
  constructor(private readonly contents: ArchiveContents) {}

  /** The path a key leads to through the archive's links, or a reason it leads nowhere. */
  private resolve(key: string): { key: string } | { reason: string; detail: string } {
    let at = key;
    for (let hops = 0; hops <= MAX_LINK_HOPS; hops++) {
      const next = this.contents.aliases.get(at);
      if (next === undefined) return { key: at };
      at = next;
    }
    return { reason: 'symlink-loop', detail: `more than ${MAX_LINK_HOPS} links from ${key}` };
  }

  doc(key: string): Promise<DocRead> {
    const r = this.resolve(key);
    if ('reason' in r) return Promise.resolve({ ok: false, ...r });
    const doc = this.contents.docs.get(r.key);
    if (doc) return Promise.resolve({ ok: true, ...doc });
    if (this.contents.layers.has(r.key))
      return Promise.resolve({
        ok: false,
        reason: 'not-a-document',
        detail: 'the blob is not a JSON document',
      });
    return Promise.resolve({ ok: false, reason: 'missing-blob', detail: 'the archive does not hold it' });
  }

  layer(key: string): Promise<LayerScan | undefined> {
    const r = this.resolve(key);
    if ('reason' in r) return Promise.resolve(notALayer(key, `${r.reason}: ${r.detail}`));
    const scan = this.contents.layers.get(r.key);
    if (scan) return Promise.resolve(scan);
    if (this.contents.docs.has(r.key))
      return Promise.resolve(notALayer(key, 'the blob is a small document, not a layer tar'));
    return Promise.resolve(undefined);
  }
}

/** An OCI image layout directory: blobs are files, read when a manifest names them. */
export class LayoutSource implements BlobSource {
  private readonly layers = new Map<string, Promise<LayerScan | undefined>>();
  private realRoot: Promise<string>;

  // Reads below `dir` only.
  constructor(
    private readonly dir: string,
    private readonly ctx: BlobContext,
  ) {
    this.realRoot = realpath(dir).catch(() => path.resolve(dir));
  }

  /** The file of `key`, or a reason not to read it (absent, a link out of the layout, not a file). */
  private async fileOf(
    key: string,
  ): Promise<{ file: string; size: number } | { reason: string; detail: string }> {
    // Only the layout's own names: a key made from a hostile digest never reaches path.join.
    if (!/^(?:blobs\/sha256\/[a-f0-9]{64}|blobs\/sha512\/[a-f0-9]{128}|index\.json|oci-layout)$/.test(key))
      return { reason: 'bad-digest', detail: 'not a blob of the layout; not read' };
    const file = path.join(this.dir, key);
    try {
      // Every link on the way counts (blobs/ itself may be one): what is read lies in the layout.
      const real = await realpath(file);
      const root = await this.realRoot;
      if (!real.startsWith(`${root}/`))
        return {
          reason: 'link-outside',
          detail: `leads by a symbolic link to ${real}, outside the layout; not read`,
        };
      const st = await lstat(real);
      if (!st.isFile()) return { reason: 'special-entry', detail: 'not a regular file; not read' };
      return { file: real, size: st.size };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR')
        return { reason: 'missing-blob', detail: 'the layout does not hold it' };
      if (code === 'ELOOP') return { reason: 'symlink-loop', detail: 'its symbolic links loop' };
      return { reason: 'unreadable', detail: err instanceof Error ? err.message : String(err) };
    }
  }

  async doc(key: string): Promise<DocRead> {
    const at = await this.fileOf(key);
    if ('reason' in at) return { ok: false, ...at };
    if (at.size > this.ctx.limits.maxJsonBytes)
      return { ok: false, reason: 'limit', detail: `${at.size} bytes, over ${this.ctx.limits.maxJsonBytes}` };
    const bytes = await readFile(at.file);
    return { ok: true, bytes, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
  }

  layer(key: string): Promise<LayerScan | undefined> {
    let scan = this.layers.get(key);
    if (!scan) {
      scan = this.readLayer(key);
      this.layers.set(key, scan);
    }
    return scan;
  }

  private async readLayer(key: string): Promise<LayerScan | undefined> {
    const at = await this.fileOf(key);
    if ('reason' in at)
      return at.reason === 'missing-blob' ? undefined : notALayer(key, `${at.reason}: ${at.detail}`);
    const r = await readBlob(createReadStream(at.file, { highWaterMark: 1 << 20 }), key, this.ctx, at.size);
    return r.kind === 'layer' ? r.scan : notALayer(key, 'the blob is a small document, not a layer tar');
  }
}
