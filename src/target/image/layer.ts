// Reads one layer blob as a stream: decoded on the fly, its tar walked entry by entry through
// tar-stream, every regular file hashed and (up to the scan limit) scanned in memory, nothing
// written to disk. What it keeps is what an image needs later, once the manifest says where the
// layer stands: the paths the layer puts, its whiteouts, its files of interest and short scripts.
// Hostile entries (`..` names, hard links out of the layer, cut data, bombs) become skip records.
import { once } from 'node:events';
import path from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import tar from 'tar-stream';

/** One entry of a tar-stream extract (its header and its content stream). */
type TarEntry = tar.ExtractEvents['entry'][1];
import { normaliseEntryName, whiteoutOf } from './names.js';
import { ExpansionBudget, LimitError, decoderChain, isTruncation } from './decode.js';
import {
  emptyLayerScan,
  type ContentScanner,
  type ImageLimits,
  type LayerScan,
  type NodeKind,
  type ScanOutcome,
  type ScriptBudget,
} from './types.js';

/** What every layer of one archive shares while it is read. */
export interface LayerContext {
  limits: ImageLimits;
  scanner?: ContentScanner;
  scripts: ScriptBudget;
}

const ELF_MAGIC = 0x464c457f;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A script a container could start: a shebang, a `.sh` name, a file at `/` or in a bin directory. */
function scriptLike(p: string, data: Buffer): boolean {
  if (data.subarray(0, 1024).includes(0)) return false;
  return (
    (data[0] === 0x23 && data[1] === 0x21) ||
    /\.(?:sh|bash)$/.test(p) ||
    p.lastIndexOf('/') === 0 ||
    /\/s?bin\//.test(p)
  );
}

/** Reads every chunk of an entry without keeping any. */
async function drain(entry: AsyncIterable<unknown>): Promise<void> {
  for await (const _ of entry) void _;
}

/**
 * One layer blob, fed chunk by chunk (write, then end). The blob is hashed as given; its decoded
 * tar goes through tar-stream, whose entries a consumer task reads while the chunks come in.
 */
export class LayerReader {
  private readonly scan: LayerScan;
  private readonly blobHash: Hash = createHash('sha256');
  private readonly budget: ExpansionBudget;
  private readonly chain: Transform[];
  private readonly extract = tar.extract();
  private readonly consumer: Promise<void>;
  private failure: { status: LayerScan['status']; note: string } | undefined;
  private signalFailed: () => void = () => undefined;
  private readonly failed = new Promise<void>((resolve) => (this.signalFailed = resolve));
  private dropped = new Map<string, number>();
  private absolute = { count: 0, first: '' };

  // Wires decoder, meter and tar parser; the consumer starts reading entries at once.
  constructor(
    key: string,
    codec: 'gzip' | 'zstd' | 'tar',
    private readonly ctx: LayerContext,
  ) {
    this.scan = emptyLayerScan(key, codec);
    const { limits } = ctx;
    this.budget = new ExpansionBudget(limits.maxLayerBytes, limits.maxRatio, limits.ratioFromBytes);
    this.chain = decoderChain(codec, this.budget, limits.maxZstdWindow);
    let tail: Readable = this.chain[0] as Transform;
    for (const next of this.chain.slice(1)) tail = tail.pipe(next);
    tail.pipe(this.extract);
    for (const s of this.chain) s.on('error', (err) => this.fail(err));
    this.extract.on('error', (err: unknown) => this.fail(err));
    this.consumer = (async () => {
      for await (const entry of this.extract) await this.onEntry(entry);
    })().catch((err: unknown) => this.fail(err));
  }

  /** Feeds the next bytes of the blob; waits while the tar parser is behind. */
  async write(chunk: Buffer): Promise<void> {
    this.blobHash.update(chunk);
    this.scan.size += chunk.length;
    this.budget.compressed += chunk.length;
    if (this.failure) return;
    const first = this.chain[0] as Transform;
    if (!first.write(chunk)) await Promise.race([once(first, 'drain').catch(() => undefined), this.failed]);
  }

  /** The blob ended (or its source failed with `sourceError`): the layer as far as it was read. */
  async end(sourceError?: unknown): Promise<LayerScan> {
    if (sourceError !== undefined)
      this.fail(
        Object.assign(new Error(`the blob is cut short: ${errorText(sourceError)}`), { code: 'cut' }),
      );
    else if (!this.failure) (this.chain[0] as Transform).end();
    await this.consumer;
    return this.finish();
  }

  private finish(): LayerScan {
    const scan = this.scan;
    scan.digest = `sha256:${this.blobHash.digest('hex')}`;
    if (this.failure) {
      scan.status = this.failure.status;
      scan.note = this.failure.note;
    }
    if (this.absolute.count > 0)
      scan.skips.push({
        path: this.absolute.first,
        reason: 'absolute-name',
        detail: `${this.absolute.count} entries named from "/": read relative to the image root`,
      });
    if (this.dropped.size > 0) {
      const counts = [...this.dropped].map(([r, n]) => `${r} ${n}`).join(', ');
      scan.skips.push({ path: scan.key, reason: 'more-skips', detail: `not listed: ${counts}` });
    }
    return scan;
  }

  /** Stops reading the layer (first cause wins); the rest of the blob is only hashed. */
  private fail(err: unknown): void {
    if (this.failure) return;
    const cut = (err as { code?: unknown }).code === 'cut' || isTruncation(err);
    const status = err instanceof LimitError ? 'limit' : cut ? 'truncated' : 'unreadable';
    const what =
      status === 'limit'
        ? 'layer not read to its end'
        : status === 'truncated'
          ? 'layer data ends early; entries before the cut were read'
          : 'layer data is not a readable tar';
    this.failure = { status, note: `${what}: ${errorText(err)}` };
    for (const s of this.chain) s.destroy();
    this.extract.destroy();
    this.signalFailed();
  }

  private skip(path: string, reason: string, detail?: string): void {
    if (this.scan.skips.length < this.ctx.limits.maxSkipsPerLayer)
      this.scan.skips.push(detail === undefined ? { path, reason } : { path, reason, detail });
    else this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  /** One tar entry: placed in the layer's view, its content read when it is a regular file. */
  private async onEntry(entry: TarEntry): Promise<void> {
    const h = entry.header;
    if (++this.scan.entries > this.ctx.limits.maxEntries)
      throw new LimitError(`more than ${this.ctx.limits.maxEntries} entries`);
    const name = normaliseEntryName(h.name);
    if (!name.ok) {
      if (name.reason === 'path-traversal')
        this.skip(h.name, 'path-traversal', 'entry name climbs above the image root; left out');
      return drain(entry);
    }
    const p = name.path;
    if (name.absolute && this.absolute.count++ === 0) this.absolute.first = h.name;
    const wh = whiteoutOf(p);
    if (wh) {
      if (wh.type === 'delete') this.scan.whiteouts.add(wh.path);
      else if (wh.type === 'opaque') this.scan.opaque.add(wh.dir);
      else if (wh.type === 'bad') this.skip(p, 'bad-whiteout', wh.detail);
      return drain(entry);
    }
    // A later entry for the same path replaces what the layer held there.
    this.scan.files.delete(p);
    this.scan.scripts.delete(p);
    this.scan.symlinks.delete(p);
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
        this.place(p, 'file');
        return this.readFile(p, entry as AsyncIterable<Buffer>, h.size ?? 0, h.mode ?? 0);
      case 'directory':
        this.place(p, 'dir');
        break;
      case 'symlink':
        // Kept as text and never followed while reading; start scripts resolve it in the image's view.
        this.place(p, 'symlink');
        this.scan.symlinks.set(p, h.linkname ?? '');
        break;
      case 'link':
        this.hardLink(p, h.linkname ?? '');
        break;
      default:
        this.place(p, 'other');
    }
    return drain(entry);
  }

  /** Puts an entry in the layer's view, with the directories above it that the tar left implicit. */
  private place(p: string, kind: NodeKind): void {
    this.scan.nodes.set(p, kind);
    for (let a = path.posix.dirname(p); a !== '/' && !this.scan.nodes.has(a); a = path.posix.dirname(a))
      this.scan.nodes.set(a, 'dir');
  }

  /** A hard link shares its target's content, which must be a file met earlier in this layer. */
  private hardLink(p: string, linkname: string): void {
    const target = normaliseEntryName(linkname);
    if (!target.ok) {
      this.skip(p, 'hardlink-outside', `hard link to ${linkname}, outside the layer; left out`);
      return;
    }
    const kind = this.scan.nodes.get(target.path);
    if (kind !== 'file') {
      const what = kind ? `a ${kind === 'dir' ? 'directory' : kind}` : 'not in this layer';
      this.skip(p, 'hardlink-missing', `hard link to ${target.path}, which is ${what}; left out`);
      return;
    }
    this.place(p, 'file');
    const file = this.scan.files.get(target.path);
    if (file) this.scan.files.set(p, { ...file, path: p });
    const text = this.scan.scripts.get(target.path);
    if (text !== undefined) this.scan.scripts.set(p, text);
  }

  /** Hashes a regular file as a stream; buffers and scans it when it is within the scan limit. */
  private async readFile(p: string, entry: AsyncIterable<Buffer>, size: number, mode: number): Promise<void> {
    const { limits, scanner } = this.ctx;
    const hash = createHash('sha256');
    const buf = size <= limits.maxScanBytes ? Buffer.allocUnsafe(size) : undefined;
    let head: Buffer | undefined;
    let got = 0;
    try {
      for await (const chunk of entry) {
        hash.update(chunk);
        if (buf) chunk.copy(buf, got, 0, Math.max(0, Math.min(chunk.length, size - got)));
        else head ??= Buffer.from(chunk.subarray(0, 4));
        got += chunk.length;
      }
    } catch (err) {
      if (this.failure?.status !== 'limit')
        this.skip(p, 'truncated', `file cut after ${got} of ${size} bytes`);
      throw err;
    }
    this.scan.filesScanned++;
    const sha256 = hash.digest('hex');
    const data = buf?.subarray(0, Math.min(got, size));
    const magic = data ?? head;
    const elf = magic !== undefined && magic.length >= 4 && magic.readUInt32LE(0) === ELF_MAGIC;
    const executable = elf || (mode & 0o111) !== 0;
    let outcome: ScanOutcome = { matches: [] };
    if (!data)
      this.skip(
        p,
        'too-large',
        `${size} bytes, sha256 ${sha256}: over the ${limits.maxScanBytes}-byte scan limit, hashed, not scanned`,
      );
    else if (scanner && data.length > 0) {
      try {
        outcome = await scanner.scan(data, p);
      } catch (err) {
        this.skip(p, 'scan-error', errorText(err));
      }
    }
    if (outcome.matches.length > 0 || executable)
      this.scan.files.set(p, {
        path: p,
        size,
        sha256,
        ...(executable ? { executable: true } : {}),
        ...(elf ? { elf: true } : {}),
        ...(outcome.form ? { form: outcome.form } : {}),
        matches: outcome.matches,
      });
    if (data && !elf) this.keepScript(p, data);
  }

  /** Keeps a short script's text, within the archive's budget, for the start scripts read later. */
  private keepScript(p: string, data: Buffer): void {
    const { limits, scripts } = this.ctx;
    if (data.length > limits.maxScriptBytes || !scriptLike(p, data)) return;
    if (scripts.left < data.length) {
      if (!scripts.exhausted)
        this.skip(p, 'script-budget', `script texts past ${limits.scriptBudget} bytes are not kept`);
      scripts.exhausted = true;
      return;
    }
    scripts.left -= data.length;
    this.scan.scripts.set(p, data.toString('utf8'));
  }
}
