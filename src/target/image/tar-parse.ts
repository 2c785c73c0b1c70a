// A synchronous tar parser for layer blobs: fed decoded bytes chunk by chunk, it calls its sink for
// each entry's header, the entry's data (slices of the chunks, never copied) and its end. It reads
// tar as tar-stream 3 does (ustar and GNU headers, a ustar prefix, GNU long names and links, PAX
// records local and global, base-256 numbers, the same errors for a bad checksum, an unknown format
// or a cut stream), without a stream and a promise per entry, which on a layer of thousands of
// small files cost more than reading their bytes. The outer archive is still read by tar-stream.

/** Entry kinds by typeflag, as tar-stream names them (null: a typeflag it does not know). */
export type TarType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | 'pax-header'
  | 'pax-global-header'
  | 'gnu-long-link-path'
  | 'gnu-long-path';

export interface TarHeader {
  name: string;
  type: TarType | null;
  mode: number;
  /** Data bytes that follow (after PAX `size`); NaN or negative only in a header that is refused. */
  size: number;
  linkname: string | null;
}

/**
 * Where the parser's entries go; a sink may throw to stop the parse (the error reaches `push`). An
 * entry the sink answers with 'skip' gets no data and no end: its bytes are passed over, and the
 * caller may leap over them in its input (skippable, skipped).
 */
export interface TarSink {
  entry(h: TarHeader): void | 'skip';
  /** The next bytes of the current entry's data: a view valid only during the call. */
  data(chunk: Buffer): void;
  /** The current entry's data is complete. */
  entryEnd(): void;
}

/** A long name, link or PAX record larger than this is refused (tar-stream's bound). */
const MAX_HEADER_SIZE = 4 * 1024 * 1024;

function typeOf(flag: number): TarType | null {
  switch (flag) {
    case 0:
      return 'file';
    case 1:
      return 'link';
    case 2:
      return 'symlink';
    case 3:
      return 'character-device';
    case 4:
      return 'block-device';
    case 5:
      return 'directory';
    case 6:
      return 'fifo';
    case 7:
      return 'contiguous-file';
    case 72:
      return 'pax-header';
    case 55:
      return 'pax-global-header';
    case 27:
      return 'gnu-long-link-path';
    case 28:
    case 30:
      return 'gnu-long-path';
  }
  return null;
}

/** The bytes up to the first NUL in [from, from + length), as UTF-8. */
function str(b: Buffer, from: number, length: number): string {
  let end = from;
  const stop = from + length;
  while (end < stop && b[end] !== 0) end++;
  return b.toString('utf8', from, end);
}

/** A base-256 number (GNU): 0x80 first for positive, 0xff for two's complement negative. */
function base256(b: Buffer, from: number, length: number): number | null {
  const positive = b[from] === 0x80;
  if (!positive && b[from] !== 0xff) return null;
  let sum = 0;
  let scale = 1;
  for (let i = from + length - 1; i > from; i--) {
    const byte = b[i] as number;
    sum += (positive ? byte : 0xff - byte) * scale;
    scale *= 256;
  }
  return positive ? sum : -sum;
}

/** An octal field as tar-stream reads it: leading blanks and NULs skipped, up to a blank. */
function octal(b: Buffer, from: number, length: number): number {
  if (((b[from] as number) & 0x80) !== 0) return base256(b, from, length) as number;
  const stop = from + length;
  let at = from;
  while (at < stop && b[at] === 32) at++;
  let end = at;
  while (end < stop && b[end] !== 32) end++;
  while (at < end && b[at] === 0) at++;
  if (end === at) return 0;
  return parseInt(b.toString('latin1', at, end), 8);
}

function checksum(b: Buffer): number {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += b[i] as number;
  for (let i = 156; i < 512; i++) sum += b[i] as number;
  return sum;
}

function magicIs(b: Buffer, text: string, at: number): boolean {
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** One 512-byte header; null for an empty block (the end-of-archive padding). */
export function decodeHeader(b: Buffer): TarHeader | null {
  const c = checksum(b);
  // All bytes zero (the checksum field counts as blanks).
  if (c === 8 * 32) return null;
  if (c !== octal(b, 148, 8))
    throw new Error('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
  // tar-stream means to read an old tar's `name/` of typeflag 0 as a directory, but does not: nor
  // do we, so a layer reads as it did.
  const flag = b[156] === 0 ? 0 : (b[156] as number) - 48;
  let name = str(b, 0, 100);
  if (magicIs(b, 'ustar\0', 257)) {
    if (b[345]) name = `${str(b, 345, 155)}/${name}`;
  } else if (!(magicIs(b, 'ustar ', 257) && magicIs(b, ' \0', 263)))
    throw new Error('Invalid tar header: unknown format.');
  return {
    name,
    type: typeOf(flag),
    mode: octal(b, 100, 8),
    size: octal(b, 124, 12),
    linkname: b[157] === 0 ? null : str(b, 157, 100),
  };
}

/** PAX records (`<len> <key>=<value>\n`), as tar-stream reads them: a bad record ends the list. */
export function decodePax(buf: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let b = buf;
  while (b.length) {
    let i = 0;
    while (i < b.length && b[i] !== 32) i++;
    const len = parseInt(b.toString('utf8', 0, i), 10);
    if (!len) return out;
    const rec = b.toString('utf8', i + 1, len - 1);
    const eq = rec.indexOf('=');
    if (eq === -1) return out;
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    b = b.subarray(len);
  }
  return out;
}

/** Bytes of padding after `size` bytes of data, up to the next 512-byte block. */
function padding(size: number): number {
  const rest = size & 511;
  return rest && 512 - rest;
}

export class TarParser {
  private readonly chunks: Buffer[] = [];
  private head = 0;
  /** Bytes of chunks[head] already taken. */
  private offset = 0;
  private buffered = 0;
  /** Bytes the current state still wants: entry data, a long header, or padding to skip. */
  private missing = 0;
  private state: 'data' | 'long' | 'skip' = 'skip';
  private entrySize = 0;
  private longHeader: TarHeader | undefined;
  private pax: Record<string, string> | null = null;
  private paxGlobal: Record<string, string> | null = null;
  private gnuLongPath: string | null = null;
  private gnuLongLinkPath: string | null = null;
  /** Bytes of the input taken so far: where the current entry's data begins, once its header is read. */
  private consumed = 0;

  // Hands every entry to `sink`.
  constructor(private readonly sink: TarSink) {}

  /**
   * Parses what `chunk` completes; throws on a malformed header (or whatever the sink throws). The
   * chunk is not kept: bytes it leaves for later (part of a header) are copied, so the caller may
   * reuse its memory once `push` returns (and once the sink is done with the views it was given).
   */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered > 0) {
      if (this.missing > 0) {
        if (this.state === 'data') {
          const b = this.takeFirst(this.missing);
          this.missing -= b.length;
          this.sink.data(b);
          if (this.missing === 0) this.endEntry();
          continue;
        }
        if (this.state === 'long') {
          if (this.missing > this.buffered) break;
          this.readLongHeader(this.take(this.missing));
          continue;
        }
        this.missing -= this.takeFirst(this.missing).length;
        continue;
      }
      if (this.buffered < 512) break;
      this.readHeader(this.take(512));
    }
    this.keepRest();
  }

  /** What is left of the chunks, copied into one buffer of its own. */
  private keepRest(): void {
    const rest = this.chunks.slice(this.head);
    this.chunks.length = 0;
    this.head = 0;
    if (this.buffered === 0) return;
    const first = rest[0] as Buffer;
    rest[0] = first.subarray(this.offset);
    this.offset = 0;
    this.chunks.push(Buffer.concat(rest, this.buffered));
  }

  /** Offset in the input of the next byte to parse (in `entry`: the entry's first data byte). */
  get position(): number {
    return this.consumed;
  }

  /**
   * Bytes the parser would only pass over before the next header (a skipped entry's data and its
   * padding), when nothing is buffered: the caller may leap over them and say so with `skipped`.
   */
  skippable(): number {
    return this.state === 'skip' && this.buffered === 0 ? this.missing : 0;
  }

  /** The caller leapt over `n` (at most `skippable()`) bytes of its input. */
  skipped(n: number): void {
    this.missing -= n;
    this.consumed += n;
  }

  /**
   * Bytes of the current entry's data still to come, when nothing is buffered: the caller may put
   * them where the sink keeps the entry's bytes itself and say so with `gave`.
   */
  dataWanted(): number {
    return this.state === 'data' && this.buffered === 0 ? this.missing : 0;
  }

  /** The caller gave the sink `n` (at most `dataWanted()`) bytes of the entry's data itself. */
  gave(n: number): void {
    this.missing -= n;
    this.consumed += n;
    if (this.missing === 0) this.endEntry();
  }

  /** The input ended: throws when it ended inside an entry, its padding or a header. */
  end(): void {
    if (this.missing !== 0 || this.buffered !== 0) throw new Error('Unexpected end of data');
  }

  private endEntry(): void {
    this.sink.entryEnd();
    this.state = 'skip';
    this.missing = padding(this.entrySize);
  }

  private readHeader(block: Buffer): void {
    const h = decodeHeader(block);
    if (!h) return;
    switch (h.type) {
      case 'gnu-long-path':
      case 'gnu-long-link-path':
      case 'pax-global-header':
      case 'pax-header':
        if (!(h.size >= 0)) throw new Error('Invalid header');
        if (h.size > MAX_HEADER_SIZE) throw new Error('Header exceeds max size');
        this.longHeader = h;
        this.state = 'long';
        this.missing = h.size;
        if (h.size === 0) this.readLongHeader(Buffer.alloc(0));
        return;
    }
    if (this.gnuLongPath) h.name = this.gnuLongPath;
    if (this.gnuLongLinkPath) h.linkname = this.gnuLongLinkPath;
    this.gnuLongPath = this.gnuLongLinkPath = null;
    if (this.pax) {
      if (this.pax.path) h.name = this.pax.path;
      if (this.pax.linkpath) h.linkname = this.pax.linkpath;
      if (this.pax.size) h.size = parseInt(this.pax.size, 10);
      this.pax = null;
    }
    if (!(h.size >= 0)) throw new Error('Invalid header');
    if (this.sink.entry(h) === 'skip' && h.type !== 'directory') {
      this.state = 'skip';
      this.missing = h.size + padding(h.size);
      return;
    }
    // A directory's data, if its header claims any, is read as the next header (as tar-stream does).
    if (h.size === 0 || h.type === 'directory') {
      this.sink.entryEnd();
      return;
    }
    this.state = 'data';
    this.entrySize = h.size;
    this.missing = h.size;
  }

  private readLongHeader(buf: Buffer): void {
    const h = this.longHeader as TarHeader;
    switch (h.type) {
      case 'gnu-long-path':
        this.gnuLongPath = str(buf, 0, buf.length);
        break;
      case 'gnu-long-link-path':
        this.gnuLongLinkPath = str(buf, 0, buf.length);
        break;
      case 'pax-global-header':
        this.paxGlobal = decodePax(buf);
        break;
      default:
        this.pax = this.paxGlobal === null ? decodePax(buf) : { ...this.paxGlobal, ...decodePax(buf) };
    }
    this.state = 'skip';
    this.missing = padding(h.size);
  }

  /** Up to `size` bytes from the first chunk, as a view. */
  private takeFirst(size: number): Buffer {
    const buf = this.chunks[this.head] as Buffer;
    const rest = buf.length - this.offset;
    if (size >= rest) {
      const sub = this.offset ? buf.subarray(this.offset) : buf;
      this.chunks[this.head++] = undefined as unknown as Buffer;
      this.offset = 0;
      this.buffered -= rest;
      this.consumed += rest;
      return sub;
    }
    this.buffered -= size;
    this.consumed += size;
    return buf.subarray(this.offset, (this.offset += size));
  }

  /** Exactly `size` bytes (the caller checked they are buffered), joined when they span chunks. */
  private take(size: number): Buffer {
    const first = this.takeFirst(size);
    if (first.length === size) return first;
    const parts = [first];
    for (let left = size - first.length; left > 0;) {
      const b = this.takeFirst(left);
      parts.push(b);
      left -= b.length;
    }
    return Buffer.concat(parts, size);
  }
}
