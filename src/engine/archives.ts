// Reads zip, tar and gzip (tar.gz) archives in memory so the content scan can look inside them,
// with limits on nesting depth, entry count and expanded size. Written on node's zlib and our own
// parsing of the zip central directory and tar headers: the declared sizes are checked before
// anything is inflated, and inflation is capped, so a zip bomb is reported and never expanded.
// Nothing is ever written to disk, so `../` entry names cannot escape; they are still reported.
import { gunzipSync, inflateRawSync } from 'node:zlib';

export type ArchiveType = 'zip' | 'tar' | 'gzip';

export interface ArchiveLimits {
  /** Archives inside archives: 1 scans the entries of the archive itself, no deeper. */
  maxDepth: number;
  /** Entries read over the whole archive, nested ones included. */
  maxEntries: number;
  /** Bytes expanded over the whole archive, nested ones included. */
  maxExpanded: number;
  /** Expanded / compressed beyond this (on an entry larger than 1 MiB) is a bomb. */
  maxRatio: number;
}

export const DEFAULT_ARCHIVE_LIMITS: ArchiveLimits = {
  maxDepth: 2,
  maxEntries: 10_000,
  // Per worker thread: two of them stay within the 300 MB the whole scan may use.
  maxExpanded: 64 * 1024 * 1024,
  maxRatio: 200,
};

export type ArchiveEvent =
  | { type: 'entry'; name: string; data: Buffer }
  | { type: 'skip'; name: string; reason: string; detail?: string };

interface Budget {
  entries: number;
  bytes: number;
}

const ZIP_LOCAL = 0x04034b50;
const ZIP_CENTRAL = 0x02014b50;
const ZIP_EOCD = 0x06054b50;

/** What kind of archive `data` is, by its magic bytes (names lie). */
export function archiveType(data: Buffer): ArchiveType | undefined {
  if (data.length >= 4 && data.readUInt32LE(0) === ZIP_LOCAL) return 'zip';
  // An empty zip is only its end record.
  if (data.length >= 22 && data.length < 64 && data.readUInt32LE(0) === ZIP_EOCD) return 'zip';
  if (data.length >= 3 && data[0] === 0x1f && data[1] === 0x8b && data[2] === 8) return 'gzip';
  if (data.length >= 512 && data.toString('latin1', 257, 262) === 'ustar') return 'tar';
  return undefined;
}

/** An entry name that would land outside the extraction directory (absolute, or `..` in it). */
export function unsafeEntryName(name: string): boolean {
  return name.startsWith('/') || name.split(/[\\/]/).includes('..');
}

/**
 * The entries of an archive, nested archives expanded in place (`outer!inner`), within the limits.
 * A limit that is hit ends the walk with one `skip` event naming the limit.
 */
export function* expandArchive(
  data: Buffer,
  type: ArchiveType,
  limits: ArchiveLimits = DEFAULT_ARCHIVE_LIMITS,
  depth = 1,
  budget: Budget = { entries: 0, bytes: 0 },
): Generator<ArchiveEvent> {
  const inner =
    type === 'zip'
      ? zipEntries(data, limits, budget)
      : type === 'tar'
        ? tarEntries(data)
        : gzipEntries(data, limits, budget);
  for (const ev of inner) {
    if (ev.type === 'skip') {
      yield ev;
      if (ev.reason === 'archive-bomb' || ev.reason === 'archive-limit' || ev.reason === 'archive-corrupt')
        return;
      continue;
    }
    if (++budget.entries > limits.maxEntries) {
      yield {
        type: 'skip',
        name: '',
        reason: 'archive-limit',
        detail: `more than ${limits.maxEntries} entries`,
      };
      return;
    }
    if (type === 'tar') {
      // zip and gzip count their bytes while inflating; tar entries are slices of what is here.
      budget.bytes += ev.data.length;
      if (budget.bytes > limits.maxExpanded) {
        yield {
          type: 'skip',
          name: ev.name,
          reason: 'archive-limit',
          detail: `expands past ${limits.maxExpanded} bytes`,
        };
        return;
      }
    }
    if (unsafeEntryName(ev.name))
      yield {
        type: 'skip',
        name: ev.name,
        reason: 'unsafe-archive-path',
        detail: 'entry name leaves the extraction directory; contents scanned',
      };
    yield ev;
    const nested = archiveType(ev.data);
    if (nested) {
      if (depth >= limits.maxDepth) {
        yield {
          type: 'skip',
          name: ev.name,
          reason: 'archive-depth',
          detail: `nested deeper than ${limits.maxDepth}`,
        };
        continue;
      }
      for (const sub of expandArchive(ev.data, nested, limits, depth + 1, budget)) {
        const name = sub.name === '' ? ev.name : `${ev.name}!${sub.name}`;
        if (sub.type === 'entry') yield { ...sub, name };
        else {
          yield { ...sub, name };
          if (sub.reason === 'archive-limit') return;
        }
      }
    }
  }
}

function* gzipEntries(data: Buffer, limits: ArchiveLimits, budget: Budget): Generator<ArchiveEvent> {
  const room = limits.maxExpanded - budget.bytes;
  let out: Buffer;
  try {
    out = gunzipSync(data, { maxOutputLength: Math.max(1, room) });
  } catch (err) {
    const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
    yield tooBig
      ? { type: 'skip', name: '', reason: 'archive-bomb', detail: `expands past ${limits.maxExpanded} bytes` }
      : { type: 'skip', name: '', reason: 'archive-corrupt', detail: (err as Error).message };
    return;
  }
  budget.bytes += out.length;
  if (out.length > 1024 * 1024 && out.length / data.length > limits.maxRatio) {
    yield {
      type: 'skip',
      name: '',
      reason: 'archive-bomb',
      detail: `compression ratio ${Math.round(out.length / data.length)}:1`,
    };
    return;
  }
  if (archiveType(out) === 'tar') {
    yield* tarEntries(out);
    return;
  }
  yield { type: 'entry', name: '(gunzip)', data: out };
}

function parseOctal(buf: Buffer, start: number, len: number): number {
  // GNU base-256 for sizes of 8 GiB and more.
  if ((buf[start] as number) & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + (buf[i] as number);
    return n;
  }
  const text = buf
    .toString('latin1', start, start + len)
    .replace(/\0.*$/s, '')
    .trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function cString(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

function* tarEntries(data: Buffer): Generator<ArchiveEvent> {
  let pos = 0;
  let longName: string | undefined;
  while (pos + 512 <= data.length) {
    const header = data.subarray(pos, pos + 512);
    if (header.every((b) => b === 0)) return;
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (header[i] as number);
    if (sum !== parseOctal(header, 148, 8)) {
      yield {
        type: 'skip',
        name: '',
        reason: 'archive-corrupt',
        detail: `bad tar header checksum at ${pos}`,
      };
      return;
    }
    const size = parseOctal(header, 124, 12);
    const typeflag = String.fromCharCode(header[156] as number);
    const bodyStart = pos + 512;
    const bodyEnd = bodyStart + size;
    if (!Number.isFinite(size) || size < 0 || bodyEnd > data.length) {
      yield {
        type: 'skip',
        name: '',
        reason: 'archive-corrupt',
        detail: `tar entry at ${pos} runs past the end`,
      };
      return;
    }
    const body = data.subarray(bodyStart, bodyEnd);
    pos = bodyStart + Math.ceil(size / 512) * 512;
    if (typeflag === 'L') {
      longName = cString(body, 0, body.length);
      continue;
    }
    if (typeflag === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      if (m?.[1]) longName = m[1];
      continue;
    }
    if (typeflag === 'g') continue;
    const prefix = header.toString('latin1', 257, 262) === 'ustar' ? cString(header, 345, 155) : '';
    const base = cString(header, 0, 100);
    const name = longName ?? (prefix ? `${prefix}/${base}` : base);
    longName = undefined;
    if ((typeflag === '0' || typeflag === '\0' || typeflag === '7') && size > 0)
      yield { type: 'entry', name, data: body };
    else if (unsafeEntryName(name) && (typeflag === '1' || typeflag === '2'))
      yield {
        type: 'skip',
        name,
        reason: 'unsafe-archive-path',
        detail: 'link entry leaves the extraction directory',
      };
  }
}

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressed: number;
  size: number;
  local: number;
}

function* zipEntries(data: Buffer, limits: ArchiveLimits, budget: Budget): Generator<ArchiveEvent> {
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 65_557); i--) {
    if (data.readUInt32LE(i) === ZIP_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    yield { type: 'skip', name: '', reason: 'archive-corrupt', detail: 'no zip end record' };
    return;
  }
  const count = data.readUInt16LE(eocd + 10);
  let cd = data.readUInt32LE(eocd + 16);
  if (cd === 0xffffffff || count === 0xffff) {
    yield { type: 'skip', name: '', reason: 'archive-unsupported', detail: 'zip64 archive' };
    return;
  }
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (cd + 46 > data.length || data.readUInt32LE(cd) !== ZIP_CENTRAL) {
      yield { type: 'skip', name: '', reason: 'archive-corrupt', detail: 'broken zip central directory' };
      return;
    }
    const nameLen = data.readUInt16LE(cd + 28);
    const extraLen = data.readUInt16LE(cd + 30);
    const commentLen = data.readUInt16LE(cd + 32);
    entries.push({
      flags: data.readUInt16LE(cd + 8),
      method: data.readUInt16LE(cd + 10),
      compressed: data.readUInt32LE(cd + 20),
      size: data.readUInt32LE(cd + 24),
      local: data.readUInt32LE(cd + 42),
      name: data.toString('utf8', cd + 46, cd + 46 + nameLen),
    });
    cd += 46 + nameLen + extraLen + commentLen;
  }
  // A bomb announces itself before anything is inflated: more declared bytes than the budget,
  // an absurd ratio, or entries that share their data (the overlapping-file construction).
  const declared = entries.reduce((s, e) => s + e.size, 0);
  const locals = new Set(entries.map((e) => e.local));
  const ratio = entries.find(
    (e) => e.size > 1024 * 1024 && e.size / Math.max(1, e.compressed) > limits.maxRatio,
  );
  if (budget.bytes + declared > limits.maxExpanded || ratio || locals.size < entries.length) {
    const detail = ratio
      ? `${ratio.name}: ${ratio.size} bytes from ${ratio.compressed} (ratio ${Math.round(ratio.size / Math.max(1, ratio.compressed))}:1)`
      : locals.size < entries.length
        ? 'entries overlap each other'
        : `declares ${declared} bytes, limit ${limits.maxExpanded - budget.bytes}`;
    yield { type: 'skip', name: '', reason: 'archive-bomb', detail };
    return;
  }
  for (const e of entries) {
    if (e.name.endsWith('/')) continue;
    if (e.flags & 1) {
      yield { type: 'skip', name: e.name, reason: 'archive-encrypted' };
      continue;
    }
    const lh = e.local;
    if (lh + 30 > data.length || data.readUInt32LE(lh) !== ZIP_LOCAL) {
      yield { type: 'skip', name: e.name, reason: 'archive-corrupt', detail: 'bad local header' };
      continue;
    }
    const start = lh + 30 + data.readUInt16LE(lh + 26) + data.readUInt16LE(lh + 28);
    const raw = data.subarray(start, start + e.compressed);
    let out: Buffer;
    try {
      if (e.method === 0) out = raw;
      // The cap is the declared size: a header that lies about it cannot make us expand more.
      else if (e.method === 8) out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
      else {
        yield {
          type: 'skip',
          name: e.name,
          reason: 'archive-unsupported',
          detail: `compression method ${e.method}`,
        };
        continue;
      }
    } catch (err) {
      const tooBig = (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError;
      yield tooBig
        ? { type: 'skip', name: e.name, reason: 'archive-bomb', detail: 'expands past its declared size' }
        : { type: 'skip', name: e.name, reason: 'archive-corrupt', detail: (err as Error).message };
      if (tooBig) return;
      continue;
    }
    budget.bytes += out.length;
    if (out.length > 0) yield { type: 'entry', name: e.name, data: out };
  }
}
