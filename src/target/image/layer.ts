// Reads one layer blob as a stream: decoded on the fly, its tar parsed entry by entry (tar-parse.ts),
// every regular file up to the scan limit buffered and handed to the scanner, larger ones hashed,
// nothing written to disk. What it keeps is what an image needs later, once the manifest says where
// the layer stands: the paths the layer puts, its whiteouts, its files of interest and short
// scripts. Hostile entries (`..` names, hard links out of the layer, cut data, bombs) become skip
// records.
import { once } from 'node:events';
import path from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import { normaliseEntryName, whiteoutOf } from './names.js';
import { ExpansionBudget, LimitError, decoderChain, isTruncation } from './decode.js';
import { localHash, type BlobHash, type HashThread } from './blob-hash.js';
import { TarParser, type TarHeader, type TarSink } from './tar-parse.js';
import {
  emptyLayerScan,
  type ContentScanner,
  type ImageLimits,
  type LayerFile,
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
  /** Where large blobs are hashed (off the main thread); absent: where they are read. */
  hashes?: HashThread;
  /**
   * Plain tar layers are hashed where they are read, not on `hashes`: set when the reader's thread
   * only copies their bytes out of the file (a plain archive), so hashing them here costs it less
   * than starting a thread and copying every byte over to it.
   */
  hashTarHere?: boolean;
}

const ELF_MAGIC = 0x464c457f;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sha256Of(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
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

/** The regular file whose data is being read. */
interface OpenFile {
  path: string;
  size: number;
  mode: number;
  /** Its bytes, for a file within the scan limit (for an inline scanner, once they come). */
  buf?: Buffer;
  /** Its running hash, for a larger one (the skip names its sha256), and its first bytes. */
  hash?: Hash;
  head?: Buffer;
  got: number;
}

/**
 * One layer blob, fed chunk by chunk (feed, then end). The blob is hashed as given; its tar
 * (decoded first when gzip or zstd) is parsed as the bytes come, and each file's bytes go to the
 * scanner as its entry ends. The reader waits while the scanner has too much in flight.
 */
export class LayerReader implements TarSink {
  private readonly scan: LayerScan;
  private readonly blobHash: BlobHash;
  private readonly budget: ExpansionBudget;
  /** The decoder of a gzip or zstd blob, the first stream taking the blob; none for plain tar. */
  private readonly chain: Transform[] | undefined;
  private readonly parser = new TarParser(this);
  private failure: { status: LayerScan['status']; note: string } | undefined;
  private signalFailed: () => void = () => undefined;
  private readonly failed = new Promise<void>((resolve) => (this.signalFailed = resolve));
  /** The scanner's `ready` while the decoder's output is paused for it. */
  private waitingScanner = false;
  private open: OpenFile | undefined;
  private dropped = new Map<string, number>();
  private absolute = { count: 0, first: '' };
  /** Scans still out with a scanner that works beside the reader: the layer ends once they land. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Files whose scan is out, with the hard links made to them meanwhile (filled in as it lands). */
  private readonly waiting = new Map<LayerFile, LayerFile[]>();

  // Wires the decoder (if any) to the parser. `size`: the blob's bytes, when known before reading
  // (a large blob is hashed off the main thread).
  constructor(
    key: string,
    codec: 'gzip' | 'zstd' | 'tar',
    private readonly ctx: LayerContext,
    size?: number,
  ) {
    this.scan = emptyLayerScan(key, codec);
    this.blobHash = (codec === 'tar' && ctx.hashTarHere ? undefined : ctx.hashes?.open(size)) ?? localHash();
    const { limits } = ctx;
    this.budget = new ExpansionBudget(limits.maxLayerBytes, limits.maxRatio, limits.ratioFromBytes);
    if (codec === 'tar') return;
    const chain = decoderChain(codec, this.budget, limits.maxZstdWindow);
    let tail: Readable = chain[0] as Transform;
    for (const next of chain.slice(1)) tail = tail.pipe(next);
    for (const s of chain) s.on('error', (err) => this.fail(err));
    const out = tail;
    out.on('data', (c: Buffer) => {
      this.parse(c);
      this.waitForScanner(out);
    });
    this.chain = [...chain];
  }

  /**
   * Feeds the next bytes of the blob. A plain tar is parsed at once; a compressed one goes to its
   * decoder. The promise (if any) settles once the chunk's memory is free again and the scanner and
   * the hashing thread can take more: the caller waits for it before feeding more.
   */
  feed(chunk: Buffer): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    const hashing = this.blobHash.update(chunk);
    if (hashing) waits.push(hashing);
    this.scan.size += chunk.length;
    this.budget.compressed += chunk.length;
    if (!this.failure) {
      if (this.chain) {
        // The decoder holds the chunk until it has taken it in: its callback frees the memory.
        const first = this.chain[0] as Transform;
        const taken = new Promise<void>((resolve) => first.write(chunk, () => resolve()));
        waits.push(Promise.race([taken, this.failed]));
      } else {
        try {
          this.budget.add(chunk.length);
        } catch (err) {
          this.fail(err);
        }
        this.parse(chunk);
        const ready = this.ctx.scanner?.ready?.();
        if (ready) waits.push(ready);
      }
    }
    if (waits.length === 0) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /**
   * Where the rest of the current file's bytes go when the caller reads them from a file itself:
   * the file's own room, so they are neither read into a chunk nor copied out of it. Only inside a
   * scanned file's data in a plain tar; undefined elsewhere (the caller feeds chunks).
   */
  directRoom(): Buffer | undefined {
    const f = this.open;
    if (!f || f.hash || this.chain || this.failure) return undefined;
    const want = this.parser.dataWanted();
    if (want === 0) return undefined;
    f.buf ??= this.roomFor(f.size);
    return f.buf.subarray(f.got, Math.min(f.size, f.got + want));
  }

  /**
   * `n` bytes of the blob were read into `room` (from directRoom): hashed and counted as `feed`
   * does, then given to the parser as the file's data. Waits as `feed` does.
   */
  directFed(room: Buffer, n: number): Promise<void> | undefined {
    const data = room.subarray(0, n);
    const waits: Promise<void>[] = [];
    const hashing = this.blobHash.update(data);
    if (hashing) waits.push(hashing);
    this.scan.size += n;
    this.budget.compressed += n;
    try {
      this.budget.add(n);
      (this.open as OpenFile).got += n;
      this.parser.gave(n);
    } catch (err) {
      this.fail(err);
    }
    const ready = this.failure ? undefined : this.ctx.scanner?.ready?.();
    if (ready) waits.push(ready);
    if (waits.length === 0) return undefined;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => undefined);
  }

  /** The blob ended (or its source failed with `sourceError`): the layer as far as it was read. */
  async end(sourceError?: unknown): Promise<LayerScan> {
    if (sourceError !== undefined)
      this.fail(
        Object.assign(new Error(`the blob is cut short: ${errorText(sourceError)}`), { code: 'cut' }),
      );
    else if (!this.failure && this.chain) {
      const tail = this.chain[this.chain.length - 1] as Transform;
      const ended = once(tail, 'end').catch(() => undefined);
      (this.chain[0] as Transform).end();
      await Promise.race([ended, this.failed]);
    }
    if (!this.failure) {
      try {
        this.parser.end();
      } catch (err) {
        this.fail(err);
      }
    }
    this.ctx.scanner?.flush?.();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    try {
      this.scan.digest = await this.blobHash.digest();
    } catch (err) {
      // The hashing thread died: the layer is read, its digest unknown (and not checked).
      this.scan.skips.push({ path: this.scan.key, reason: 'hash-failed', detail: errorText(err) });
    }
    return this.finish();
  }

  /** Decoded tar bytes to the parser; a malformed header (or a limit) stops the layer. */
  private parse(chunk: Buffer): void {
    if (this.failure) return;
    try {
      this.parser.push(chunk);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Pauses the decoder's output while the scanner has too much in flight. */
  private waitForScanner(out: Readable): void {
    if (this.waitingScanner || this.failure) return;
    const ready = this.ctx.scanner?.ready?.();
    if (!ready) return;
    this.waitingScanner = true;
    out.pause();
    void ready.then(() => {
      this.waitingScanner = false;
      if (!this.failure) out.resume();
    });
  }

  private finish(): LayerScan {
    const scan = this.scan;
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
    // A limit is a record of its own too (a bomb above all), whatever the skip cap says.
    if (err instanceof LimitError)
      this.scan.skips.push({ path: this.scan.key, reason: err.reason, detail: errorText(err) });
    for (const s of this.chain ?? []) s.destroy();
    // A file whose data was coming is cut (a limit says so itself).
    const f = this.open;
    this.open = undefined;
    if (f && status !== 'limit') this.skip(f.path, 'truncated', `file cut after ${f.got} of ${f.size} bytes`);
    this.signalFailed();
  }

  private skip(path: string, reason: string, detail?: string): void {
    if (this.scan.skips.length < this.ctx.limits.maxSkipsPerLayer)
      this.scan.skips.push(detail === undefined ? { path, reason } : { path, reason, detail });
    else this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  /** One tar entry (TarSink): placed in the layer's view; a regular file's data is read next. */
  entry(h: TarHeader): void {
    if (++this.scan.entries > this.ctx.limits.maxEntries)
      throw new LimitError(`more than ${this.ctx.limits.maxEntries} entries`, 'entries-limit');
    const name = normaliseEntryName(h.name);
    if (!name.ok) {
      if (name.reason === 'path-traversal')
        this.skip(h.name, 'path-traversal', 'entry name climbs above the image root; left out');
      return;
    }
    const p = name.path;
    if (name.absolute && this.absolute.count++ === 0) this.absolute.first = h.name;
    const wh = whiteoutOf(p);
    if (wh) {
      if (wh.type === 'delete') this.scan.whiteouts.add(wh.path);
      else if (wh.type === 'opaque') this.scan.opaque.add(wh.dir);
      else if (wh.type === 'bad') this.skip(p, 'bad-whiteout', wh.detail);
      return;
    }
    // A later entry for the same path replaces what the layer held there.
    this.scan.files.delete(p);
    this.scan.scripts.delete(p);
    this.scan.symlinks.delete(p);
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
        this.place(p, 'file');
        this.openFile(p, h.size, h.mode);
        break;
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
  }

  /** The next bytes of the current entry (TarSink): kept or hashed when it is a regular file. */
  data(chunk: Buffer): void {
    const f = this.open;
    if (!f) return;
    if (f.hash) {
      f.hash.update(chunk);
      f.head ??= Buffer.from(chunk.subarray(0, 4));
    } else {
      if (!f.buf) {
        // An inline scanner's file, whole in this chunk: scanned where it lies (the view is valid
        // until the parser returns, and the entry ends before it does).
        if (f.got === 0 && chunk.length >= f.size) {
          f.buf = chunk.subarray(0, f.size);
          f.got = chunk.length;
          return;
        }
        f.buf = this.roomFor(f.size);
      }
      chunk.copy(f.buf, f.got, 0, Math.max(0, Math.min(chunk.length, f.size - f.got)));
    }
    f.got += chunk.length;
  }

  /** The current entry's data is all there (TarSink). */
  entryEnd(): void {
    const f = this.open;
    this.open = undefined;
    if (f) this.fileRead(f);
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
    if (file) {
      const link = { ...file, path: p };
      this.scan.files.set(p, link);
      // The target's scan is still out: the link gets its outcome when it lands.
      this.waiting.get(file)?.push(link);
    }
    const text = this.scan.scripts.get(target.path);
    if (text !== undefined) this.scan.scripts.set(p, text);
  }

  /**
   * A regular file begins: within the scan limit its bytes are kept (in the room a scanner that
   * works beside the reader hands out), past it they are only hashed.
   */
  private openFile(p: string, size: number, mode: number): void {
    const { limits, scanner } = this.ctx;
    if (size <= limits.maxScanBytes) {
      // An inline scanner's file gets room only if its bytes span chunks (data).
      const buf = size > 0 && scanner?.inline ? undefined : this.roomFor(size);
      this.open = { path: p, size, mode, ...(buf ? { buf } : {}), got: 0 };
    } else this.open = { path: p, size, mode, hash: createHash('sha256'), got: 0 };
  }

  /** Where a file's bytes are read into: the scanner's room when it hands one out. */
  private roomFor(size: number): Buffer {
    const scanner = this.ctx.scanner;
    return size > 0 && scanner?.room ? scanner.room(size) : Buffer.allocUnsafe(size);
  }

  /**
   * A regular file read whole: scanned when it is within the scan limit. A file's sha256 is kept
   * for an executable or a file with a match (the only files the snapshot lists); the others are
   * not hashed at all. With a scanner that works beside the reader the file is handed over and
   * the next entry read at once: its outcome lands later (land).
   */
  private fileRead(f: OpenFile): void {
    const { limits, scanner } = this.ctx;
    const { path: p, size } = f;
    this.scan.filesScanned++;
    // A file within the scan limit has its bytes (an empty one, none), a larger one only its hash.
    const data = f.hash ? undefined : (f.buf ?? Buffer.alloc(0)).subarray(0, Math.min(f.got, size));
    const magic = data ?? f.head;
    const elf = magic !== undefined && magic.length >= 4 && magic.readUInt32LE(0) === ELF_MAGIC;
    const executable = elf || (f.mode & 0o111) !== 0;
    const file: LayerFile = {
      path: p,
      size,
      ...(executable ? { executable: true } : {}),
      ...(elf ? { elf: true } : {}),
      matches: [],
    };
    if (!data) {
      const sha256 = (f.hash as Hash).digest('hex');
      this.skip(
        p,
        'too-large',
        `${size} bytes, sha256 ${sha256}: over the ${limits.maxScanBytes}-byte scan limit, hashed, not scanned`,
      );
      if (executable) this.scan.files.set(p, { ...file, sha256 });
      return;
    }
    // Before the scan: a scanner that works beside the reader owns the bytes once it has them.
    if (!elf) this.keepScript(p, data);
    this.scan.files.set(p, file);
    if (!scanner || data.length === 0) return this.land(file, { matches: [] }, data);
    let outcome: ScanOutcome | Promise<ScanOutcome>;
    try {
      outcome = scanner.scan(data, p, { sha256: executable });
    } catch (err) {
      this.skip(p, 'scan-error', errorText(err));
      outcome = { matches: [] };
    }
    // The bytes are still the reader's unless the scanner handed out the room they were read into.
    const own = scanner.room ? undefined : data;
    if (!(outcome instanceof Promise)) return this.land(file, outcome, own);
    this.waiting.set(file, []);
    const landed: Promise<void> = outcome
      .then(
        (o) => this.land(file, o, own),
        (err: unknown) => {
          this.skip(p, 'scan-error', errorText(err));
          this.land(file, { matches: [] }, own);
        },
      )
      .finally(() => this.inFlight.delete(landed));
    this.inFlight.add(landed);
  }

  /**
   * A file's scan outcome, on the file and the hard links made to it meanwhile. A file that is
   * neither an executable nor matched is dropped, unless a later entry took its path already.
   */
  private land(file: LayerFile, o: ScanOutcome, data?: Buffer): void {
    if (o.error !== undefined) this.skip(file.path, 'scan-error', o.error);
    const bombs = o.web?.bombs ?? [];
    // What a bomb hides was not read: a skip, and the file kept so the report can name it.
    if (bombs.length > 0)
      this.skip(file.path, 'decoding-bomb', `web content decoding refused: ${bombs.join('; ')}`);
    const keep = o.matches.length > 0 || file.executable === true || o.web !== undefined;
    const sha256 = keep ? (o.sha256 ?? (data ? sha256Of(data) : undefined)) : undefined;
    const links = this.waiting.get(file) ?? [];
    this.waiting.delete(file);
    for (const f of [file, ...links]) {
      if (!keep) {
        if (this.scan.files.get(f.path) === f) this.scan.files.delete(f.path);
        continue;
      }
      if (sha256 !== undefined) f.sha256 = sha256;
      if (o.form) f.form = o.form;
      if (o.web) f.web = o.web;
      f.matches = o.matches;
    }
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
