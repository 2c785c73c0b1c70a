// A small PE (Windows executable) reader for the files a Windows volume holds in odd places: which
// machine and subsystem (native = a driver), whether it is a DLL, whether an Authenticode signature
// is embedded, and the version resource's CompanyName/ProductName/FileDescription/OriginalFilename
// (a miner dressed as Microsoft). Written here rather than taken from npm because the inputs are
// hostile (half-copied, fuzzed, crafted): every read is bounds-checked, the resource tree is walked
// at most 3 levels deep over at most 1,000 entries with visited offsets tracked, so nothing loops.
import type { PeFacts } from '../../snapshot/windows.js';
import type { TargetFs } from '../fs.js';

/** How much of a file is read for its headers (the version resource is read apart when beyond). */
export const PE_HEAD_BYTES = 4 * 1024 * 1024;
/** The most read for a resource section lying past the head. */
const MAX_RESOURCE_BYTES = 8 * 1024 * 1024;
const MAX_RESOURCE_ENTRIES = 1000;
const MAX_VERSION_BYTES = 64 * 1024;
const MAX_STRING_CHARS = 256;
const RT_VERSION = 16;
const IMAGE_FILE_DLL = 0x2000;

const MACHINES: Record<number, string> = {
  0x14c: 'x86',
  0x8664: 'x64',
  0xaa64: 'arm64',
  0xa641: 'arm64ec',
  0x1c0: 'arm',
  0x1c4: 'arm',
  0x200: 'ia64',
  0xebc: 'efi-bytecode',
};

const SUBSYSTEMS: Record<number, string> = {
  1: 'native',
  2: 'windows-gui',
  3: 'windows-cui',
  5: 'os2-cui',
  7: 'posix-cui',
  8: 'native-windows',
  9: 'windows-ce-gui',
  10: 'efi-application',
  11: 'efi-boot-service-driver',
  12: 'efi-runtime-driver',
  13: 'efi-rom',
  14: 'xbox',
  16: 'windows-boot-application',
};

/** The machine name PeFacts uses for a COFF machine value (`0x1234` when unknown). */
export function machineName(value: number): string {
  return MACHINES[value] ?? `0x${value.toString(16).padStart(4, '0')}`;
}

/** The subsystem name PeFacts uses for an optional-header subsystem value. */
export function subsystemName(value: number): string {
  return SUBSYSTEMS[value] ?? (value === 0 ? 'unknown' : `subsystem-${value}`);
}

/** Byte ranges of one file: its head, and maybe its resource section read apart. */
class FileBytes {
  private readonly chunks: { offset: number; buf: Buffer }[];
  constructor(head: Buffer) {
    this.chunks = [{ offset: 0, buf: head }];
  }
  add(offset: number, buf: Buffer): void {
    this.chunks.push({ offset, buf });
  }
  /** The bytes [offset, offset + length) when one chunk holds them all. */
  at(offset: number, length: number): Buffer | undefined {
    if (!Number.isSafeInteger(offset) || offset < 0 || length < 0) return undefined;
    for (const c of this.chunks) {
      if (offset >= c.offset && offset + length <= c.offset + c.buf.length)
        return c.buf.subarray(offset - c.offset, offset - c.offset + length);
    }
    return undefined;
  }
}

interface Section {
  va: number;
  vsize: number;
  rawPtr: number;
  rawSize: number;
}

/** What the headers say, before any resource is read. */
export interface PeLayout {
  machine: string;
  dll: boolean;
  subsystem: string;
  signed: boolean;
  sections: Section[];
  resource?: { rva: number; size: number };
}

/** The headers read, or why not: cut short (a half-copied file), or not a PE at all. */
export type HeaderRead = PeLayout | 'truncated' | 'not-pe';

function u16(b: Buffer, off: number): number | undefined {
  return off >= 0 && off + 2 <= b.length ? b.readUInt16LE(off) : undefined;
}

function u32(b: Buffer, off: number): number | undefined {
  return off >= 0 && off + 4 <= b.length ? b.readUInt32LE(off) : undefined;
}

/** The DOS header and `PE\0\0`: where the COFF header starts, or why there is none. */
function coffOffset(b: Buffer): number | 'truncated' | 'not-pe' {
  if (b.length < 2 || b[0] !== 0x4d || b[1] !== 0x5a) return 'not-pe';
  const lfanew = u32(b, 0x3c);
  if (lfanew === undefined) return 'truncated';
  if (lfanew < 0x40 || lfanew > 0x10000000) return 'not-pe';
  if (lfanew + 24 > b.length) return 'truncated';
  return b.readUInt32LE(lfanew) === 0x00004550 ? lfanew + 4 : 'not-pe';
}

function readSections(b: Buffer, at: number, count: number): Section[] | undefined {
  const sections: Section[] = [];
  for (let i = 0; i < Math.min(count, 96); i++) {
    const off = at + i * 40;
    if (off + 40 > b.length) return undefined;
    sections.push({
      vsize: b.readUInt32LE(off + 8),
      va: b.readUInt32LE(off + 12),
      rawSize: b.readUInt32LE(off + 16),
      rawPtr: b.readUInt32LE(off + 20),
    });
  }
  return sections;
}

/** The data directory `index` (RVA or file offset, and size), when the header has it. */
function dataDir(
  b: Buffer,
  dirs: number,
  count: number,
  index: number,
): { at: number; size: number } | undefined {
  if (index >= Math.min(count, 16)) return undefined;
  const at = u32(b, dirs + index * 8);
  const size = u32(b, dirs + index * 8 + 4);
  return at === undefined || size === undefined ? undefined : { at, size };
}

/**
 * Reads the headers from `b` (the file's first bytes; `fileSize` is the whole file's size): the DOS
 * header, COFF header, optional header, data directories and section table.
 */
export function readPeHeaders(b: Buffer, fileSize = b.length): HeaderRead {
  const coff = coffOffset(b);
  if (typeof coff === 'string') return coff;
  const optSize = b.readUInt16LE(coff + 16);
  const opt = coff + 20;
  const magic = u16(b, opt);
  if (magic === undefined) return 'truncated';
  if (magic !== 0x10b && magic !== 0x20b) return 'not-pe';
  const plus = magic === 0x20b;
  const countAt = opt + (plus ? 108 : 92);
  const count = u32(b, countAt);
  const subsystem = u16(b, opt + 68);
  if (count === undefined || subsystem === undefined || opt + optSize > b.length) return 'truncated';
  const dirs = countAt + 4;
  const sections = readSections(b, opt + optSize, b.readUInt16LE(coff + 2));
  if (!sections) return 'truncated';
  const security = dataDir(b, dirs, count, 4);
  const resource = dataDir(b, dirs, count, 2);
  return {
    machine: machineName(b.readUInt16LE(coff)),
    dll: (b.readUInt16LE(coff + 18) & IMAGE_FILE_DLL) !== 0,
    subsystem: subsystemName(subsystem),
    // The certificate table's "RVA" is a file offset; present when it lies inside the file.
    signed: !!security && security.size >= 8 && security.at > 0 && security.at + security.size <= fileSize,
    sections,
    ...(resource && resource.size > 0 && resource.at > 0
      ? { resource: { rva: resource.at, size: resource.size } }
      : {}),
  };
}

/** The section holding `rva`, and the file offset of `rva` in it. */
function sectionOf(layout: PeLayout, rva: number): { section: Section; offset: number } | undefined {
  for (const s of layout.sections) {
    const span = Math.max(s.vsize, s.rawSize);
    if (rva >= s.va && rva < s.va + span && rva - s.va < s.rawSize)
      return { section: s, offset: s.rawPtr + (rva - s.va) };
  }
  return undefined;
}

/** The file range of the section holding the resource directory, for reading it apart. */
export function resourceRange(layout: PeLayout): { offset: number; length: number } | undefined {
  if (!layout.resource) return undefined;
  const hit = sectionOf(layout, layout.resource.rva);
  if (!hit) return undefined;
  return { offset: hit.section.rawPtr, length: Math.min(hit.section.rawSize, MAX_RESOURCE_BYTES) };
}

interface ResourceWalk {
  bytes: FileBytes;
  /** File offset of the resource directory (offsets in the tree are relative to it). */
  base: number;
  visited: Set<number>;
  entries: number;
}

/** The entries of the resource directory at `rel`: [id or -1 for a named one, target, isDir]. */
function directoryEntries(w: ResourceWalk, rel: number): [number, number, boolean][] {
  if (w.visited.has(rel)) return [];
  w.visited.add(rel);
  const head = w.bytes.at(w.base + rel, 16);
  if (!head) return [];
  const n = Math.min(head.readUInt16LE(12) + head.readUInt16LE(14), MAX_RESOURCE_ENTRIES - w.entries);
  const out: [number, number, boolean][] = [];
  for (let i = 0; i < n; i++) {
    const e = w.bytes.at(w.base + rel + 16 + i * 8, 8);
    if (!e) break;
    w.entries++;
    const name = e.readUInt32LE(0);
    const target = e.readUInt32LE(4);
    out.push([name & 0x80000000 ? -1 : name, target & 0x7fffffff, (target & 0x80000000) !== 0]);
  }
  return out;
}

/** The first data entry under the directory at `rel`, `depth` levels down at most. */
function firstData(w: ResourceWalk, rel: number, depth: number): { rva: number; size: number } | undefined {
  for (const [, target, isDir] of directoryEntries(w, rel)) {
    if (isDir) {
      const found = depth > 1 ? firstData(w, target, depth - 1) : undefined;
      if (found) return found;
      continue;
    }
    const leaf = w.bytes.at(w.base + target, 16);
    if (leaf) return { rva: leaf.readUInt32LE(0), size: leaf.readUInt32LE(4) };
  }
  return undefined;
}

/** The bytes of the RT_VERSION resource (type 16 → name → language), when reachable. */
function versionResource(bytes: FileBytes, layout: PeLayout): Buffer | undefined {
  const dir = layout.resource && sectionOf(layout, layout.resource.rva);
  if (!dir) return undefined;
  const w: ResourceWalk = { bytes, base: dir.offset, visited: new Set(), entries: 0 };
  const type = directoryEntries(w, 0).find(([id, , isDir]) => id === RT_VERSION && isDir);
  const data = type && firstData(w, type[1], 2);
  const at = data && sectionOf(layout, data.rva);
  if (!data || !at) return undefined;
  return bytes.at(at.offset, Math.min(data.size, MAX_VERSION_BYTES));
}

/** A UTF-16LE string from `off` to its NUL or `end`, at most `max` characters. */
function utf16z(b: Buffer, off: number, end: number, max: number): { text: string; next: number } {
  let i = off;
  const limit = Math.min(end, b.length, off + max * 2);
  while (i + 1 < limit && b.readUInt16LE(i) !== 0) i += 2;
  const text = b.toString('utf16le', off, Math.max(off, i));
  return { text, next: i + 2 };
}

const align4 = (n: number): number => (n + 3) & ~3;

/** One block of a VS_VERSIONINFO tree (wLength, wValueLength, wType, szKey, Value, Children). */
interface VersionBlock {
  key: string;
  valueOffset: number;
  valueLength: number;
  text: boolean;
  children: number;
  end: number;
}

function versionBlock(b: Buffer, off: number, limit: number): VersionBlock | undefined {
  if (off + 6 > limit) return undefined;
  const length = b.readUInt16LE(off);
  if (length < 6) return undefined;
  const end = Math.min(off + length, limit);
  const valueLength = b.readUInt16LE(off + 2);
  const text = b.readUInt16LE(off + 4) === 1;
  const key = utf16z(b, off + 6, end, 64);
  const valueOffset = align4(key.next);
  const valueBytes = text ? valueLength * 2 : valueLength;
  return { key: key.text, valueOffset, valueLength, text, children: align4(valueOffset + valueBytes), end };
}

/** The child blocks of `parent`; each is at least 6 bytes long, so the walk always moves on. */
function childBlocks(b: Buffer, parent: VersionBlock): VersionBlock[] {
  const out: VersionBlock[] = [];
  let off = parent.children;
  while (out.length < MAX_RESOURCE_ENTRIES) {
    const child = versionBlock(b, off, parent.end);
    if (!child) break;
    out.push(child);
    off = align4(child.end);
  }
  return out;
}

const VERSION_KEYS = {
  CompanyName: 'companyName',
  ProductName: 'productName',
  FileDescription: 'fileDescription',
  OriginalFilename: 'originalFilename',
} as const;

type VersionStrings = Partial<Record<(typeof VERSION_KEYS)[keyof typeof VERSION_KEYS], string>>;

/** CompanyName, ProductName, FileDescription, OriginalFilename from the first string table. */
export function versionStrings(b: Buffer): VersionStrings {
  const root = versionBlock(b, 0, b.length);
  if (!root || root.key !== 'VS_VERSION_INFO') return {};
  const sfi = childBlocks(b, root).find((c) => c.key === 'StringFileInfo');
  const table = sfi && childBlocks(b, sfi)[0];
  const out: VersionStrings = {};
  for (const s of table ? childBlocks(b, table) : []) {
    const field = VERSION_KEYS[s.key as keyof typeof VERSION_KEYS];
    if (!field || out[field] !== undefined) continue;
    const text = utf16z(b, s.valueOffset, s.end, MAX_STRING_CHARS).text;
    // eslint-disable-next-line no-control-regex -- a crafted resource may carry control characters
    const value = text.replace(/[\u0000-\u001f]/g, '').trim();
    if (value !== '') out[field] = value;
  }
  return out;
}

function factsOf(layout: PeLayout, bytes: FileBytes): PeFacts {
  const version = versionResource(bytes, layout);
  return {
    machine: layout.machine,
    subsystem: layout.subsystem,
    dll: layout.dll,
    signed: layout.signed,
    ...(version ? versionStrings(version) : {}),
  };
}

/**
 * The PE facts of a file from its bytes (`buf`: the whole file, or its first bytes with `fileSize`
 * the real size). Undefined when it is not a PE; `{ truncated: true, signed: false }` when it starts
 * like one but its headers are cut short. Never throws on any input.
 */
export function parsePe(buf: Buffer, fileSize = buf.length): PeFacts | undefined {
  try {
    const layout = readPeHeaders(buf, fileSize);
    if (layout === 'not-pe') return undefined;
    if (layout === 'truncated') return { truncated: true, signed: false };
    return factsOf(layout, new FileBytes(buf));
  } catch {
    // Every read above is bounds-checked; this only keeps a missed case from ending the scan.
    return undefined;
  }
}

/**
 * The PE facts of the target file `p` of `size` bytes: its first 4 MiB, and its resource section
 * (at most 8 MiB) when that lies further on. Read errors propagate to the caller's record.
 */
export async function readPeFile(fs: TargetFs, p: string, size: number): Promise<PeFacts | undefined> {
  const head = await fs.read(p, { maxBytes: PE_HEAD_BYTES });
  const layout = readPeHeaders(head, Math.max(size, head.length));
  if (layout === 'not-pe' || layout === 'truncated') return parsePe(head, Math.max(size, head.length));
  const bytes = new FileBytes(head);
  const range = resourceRange(layout);
  if (range && range.offset + range.length > head.length && range.offset < size) {
    const fh = await fs.open(p);
    try {
      const buf = Buffer.alloc(Math.min(range.length, size - range.offset));
      const { bytesRead } = await fh.read(buf, 0, buf.length, range.offset);
      bytes.add(range.offset, buf.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  }
  try {
    return factsOf(layout, bytes);
  } catch {
    return { machine: layout.machine, subsystem: layout.subsystem, dll: layout.dll, signed: layout.signed };
  }
}
