// Tells whether a path is a container image and of which format, cheaply: a directory by its
// `oci-layout` and `index.json`, a tarball by the names of its entries, read header by header
// (skipping the contents by offset) and given up at the first name no image archive has, so a
// rootfs or backup tarball costs a few header reads. A compressed tarball is decoded as it is read.
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';
import { IMAGE_FORMATS } from '../../snapshot/image.js';
import { ExpansionBudget, decoderChain, sniffCodec, validTarHeader } from './decode.js';
import { archiveKey } from './names.js';

export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** Names an image archive holds: documents, blobs, and the per-layer directories of older `docker save`. */
const IMAGE_NAME =
  /^(?:manifest\.json|index\.json|oci-layout|repositories|blobs(?:\/[a-z0-9]+(?:\/[a-f0-9]+)?)?|[a-f0-9]{64}(?:\.[a-z.]+)?|[a-f0-9]{64}\/(?:layer\.tar|json|VERSION))$/;

/** Entries looked at before giving up on finding the documents. */
const MAX_SNIFF_ENTRIES = 100_000;

/** A manifest.json read in full when it is at most this large; a larger one is taken on trust. */
const MAX_MANIFEST_SNIFF = 1024 * 1024;

/**
 * Whether a manifest.json is docker's (a list): other tools' bundles have a manifest.json too (our
 * own evidence bundles do). One that does not parse is docker's, for the reader to report broken.
 */
function dockerManifest(bytes: Buffer | undefined): boolean {
  if (!bytes) return true;
  try {
    return Array.isArray(JSON.parse(bytes.toString('utf8')));
  } catch {
    return true;
  }
}

/** Decides from entry names as they come: a name no image archive has ends the sniff. */
class NameSniffer {
  private index = false;
  private count = 0;
  result: ImageFormat | undefined | null = null;

  /** False once the answer is known; `content` reads the entry (for manifest.json only). */
  async see(name: string, content: () => Promise<Buffer | undefined>): Promise<boolean> {
    const key = archiveKey(name);
    if (key === undefined || !IMAGE_NAME.test(key)) {
      // `./` itself names the root: no answer yet.
      if (key !== undefined || name.replace(/[./]/g, '') !== '') this.result = undefined;
      return this.result === null;
    }
    if (key === 'manifest.json' && dockerManifest(await content())) this.result = 'docker-archive';
    if (key === 'index.json') this.index = true;
    if (++this.count > MAX_SNIFF_ENTRIES) this.result = this.end();
    return this.result === null;
  }

  end(): ImageFormat | undefined {
    return this.result ?? (this.index ? 'oci-archive' : undefined);
  }
}

function octal(h: Buffer, from: number, to: number): number {
  // GNU base-256 sizes (a set high bit) are for files past 8 GiB: never an image's documents.
  if (((h[from] as number) & 0x80) !== 0) return Number.NaN;
  return parseInt(h.toString('latin1', from, to).replace(/\0.*$/, '').trim() || '0', 8);
}

/** A plain tarball, header by header, its contents skipped by offset. */
async function sniffPlainTar(fh: FileHandle, size: number): Promise<ImageFormat | undefined> {
  const sniffer = new NameSniffer();
  const h = Buffer.alloc(512);
  let at = 0;
  let longName: string | undefined;
  while (at + 512 <= size) {
    await fh.read(h, 0, 512, at);
    if (h.every((b) => b === 0)) break;
    if (!validTarHeader(h)) return at === 0 ? undefined : sniffer.end();
    const len = octal(h, 124, 136);
    if (!Number.isFinite(len)) return undefined;
    const type = String.fromCharCode(h[156] as number);
    const body = at + 512;
    at = body + Math.ceil(len / 512) * 512;
    if (type === 'L' || type === 'x') {
      // A long name (GNU) or a PAX record with the path: read it, it is small.
      const text = Buffer.alloc(Math.min(len, 64 * 1024));
      await fh.read(text, 0, text.length, body);
      const s = text.toString('utf8');
      longName = type === 'L' ? s.replace(/\0.*$/s, '') : /(?:^|\n)\d+ path=([^\n]*)\n/.exec(s)?.[1];
      continue;
    }
    if (type === 'g') continue;
    const magic = h.toString('latin1', 257, 262) === 'ustar';
    const prefix = magic ? h.toString('utf8', 345, 500).replace(/\0.*$/s, '') : '';
    const short = h.toString('utf8', 0, 100).replace(/\0.*$/s, '');
    const name = longName ?? (prefix ? `${prefix}/${short}` : short);
    longName = undefined;
    const read = async () => {
      if (len > MAX_MANIFEST_SNIFF) return undefined;
      const b = Buffer.alloc(len);
      await fh.read(b, 0, len, body);
      return b;
    };
    if (!(await sniffer.see(name, read))) return sniffer.result ?? undefined;
  }
  return sniffer.end();
}

/** A compressed tarball: decoded and parsed by tar-stream until the names decide. */
async function sniffCompressed(file: string, codec: 'gzip' | 'zstd'): Promise<ImageFormat | undefined> {
  const sniffer = new NameSniffer();
  const raw = createReadStream(file, { highWaterMark: 1 << 16 });
  const budget = new ExpansionBudget(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 0);
  let tail: Readable = raw;
  for (const s of decoderChain(codec, budget, 256 * 1024 * 1024)) {
    tail.on('error', (err) => s.destroy(err));
    tail = tail.pipe(s);
  }
  const extract = tar.extract();
  tail.on('error', (err) => extract.destroy(err));
  tail.pipe(extract);
  try {
    for await (const entry of extract) {
      const read = async () => {
        const chunks: Buffer[] = [];
        let n = 0;
        for await (const c of entry as AsyncIterable<Buffer>)
          if ((n += c.length) <= MAX_MANIFEST_SNIFF) chunks.push(c);
        return n <= MAX_MANIFEST_SNIFF ? Buffer.concat(chunks) : undefined;
      };
      if (!(await sniffer.see(entry.header.name, read))) break;
      entry.resume();
    }
    return sniffer.end();
  } catch {
    // Not a tar inside, or cut: whatever the names said so far.
    return sniffer.result ?? undefined;
  } finally {
    raw.destroy();
    extract.destroy();
  }
}

/**
 * The image format of `p`, or undefined when it is not an image (or cannot be read). A directory is
 * an OCI layout when it holds `oci-layout` and `index.json`.
 */
export async function imageFormatOf(p: string): Promise<ImageFormat | undefined> {
  let st;
  try {
    st = await stat(p);
  } catch {
    return undefined;
  }
  if (st.isDirectory()) {
    const has = async (name: string) =>
      stat(path.join(p, name)).then(
        (s) => s.isFile(),
        () => false,
      );
    return (await has('oci-layout')) && (await has('index.json')) ? 'oci-layout' : undefined;
  }
  if (!st.isFile() || st.size < 512) return undefined;
  let fh: FileHandle;
  try {
    fh = await open(p, 'r');
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(512);
    await fh.read(head, 0, 512, 0);
    const codec = sniffCodec(head);
    if (codec === 'gzip' || codec === 'zstd') return await sniffCompressed(p, codec);
    if (codec !== 'tar') return undefined;
    return await sniffPlainTar(fh, st.size);
  } finally {
    await fh.close();
  }
}
