// Reads WMI permanent event subscriptions (filters, consumers, bindings) out of a CIM repository's
// OBJECTS.DATA by scanning its bytes, without INDEX.BTR or the MAPPING files, as
// PyWMIPersistenceFinder does: the file can be copied alone, records of deleted subscriptions stay
// readable in free pages, and a damaged index does not hide anything. Everything found may
// therefore be a deleted record. The file is read in chunks (it can be hundreds of MB), the number
// of records is bounded and every offset is checked, so random or truncated bytes end the scan
// with fewer results, never an exception. Pure apart from the reads through `RandomAccess`.
//
// The byte layout assumed (and written by `encodeWmiInstance` for tests), from Mandiant's
// flare-wmi (python-cim `ClassInstance`, WMIParser `*Consumer.cpp`, `EventFilter.cpp`,
// `FilterToConsumerBinding.cpp`); PyWMIPersistenceFinder's regular expressions read the same
// bytes (`CommandLineEventConsumer\0\0<template>…`, `_EventFilter.Name="…"`):
//
//   instance record (Vista and later; XP has a 32-character MD5 name hash instead)
//     [128]  class-name hash: SHA-256 of the UTF-16LE upper-cased class name, as 64 upper-case hex
//            digits in UTF-16LE. This is the anchor the scan searches for.
//     [8][8] two FILETIMEs
//     [4]    size of the instance data from this field on (dissect.cim: `data_size`)
//     [4]    offset of the instance's class name in the heap (0), [1] unknown
//     [n]    property states, two bits per property of the class, rounded up to whole bytes
//     [toc]  one slot per property in on-disk order: strings, references, arrays and the
//            CreatorSID byte array are uint32 offsets into the heap; uint32 4 bytes; uint16 and
//            booleans 2 bytes
//     [4+]   qualifier list: uint32 size including itself, then the qualifiers
//     [1]    dynamic-properties byte (1: none); WMIParser skips as many bytes as it says
//     [4]    heap size, most significant bit set, then the heap
//   heap strings: a flag byte (0: 8-bit characters, 1: UTF-16LE) then the characters and a NUL
//   (two for UTF-16). The heap starts with the class name, so "\0CommandLineEventConsumer\0"
//   is the heap's first bytes; a reference (a binding's Filter and Consumer) is a string such as
//   `__EventFilter.Name="SCM Event Log Filter"`.
//
// Records longer than a page (8 KiB) may continue in a page elsewhere in the file: read in place,
// their strings are cut where the bytes stop making sense, and the result says `truncated`.
// LogFileEventConsumer and SMTPEventConsumer records are not read (no property table here); a
// binding that names one still gives its class and name.
//
// When the header does not line up (another Windows build), the heap is looked for just after the
// property table as "\0<class name>\0" preceded by a size with its high bit set, and the property
// slots are still read from the table. Bindings are also found by their reference strings alone
// (PyWMIPersistenceFinder's method), so a binding survives a record the header reading rejects.
import { createHash } from 'node:crypto';

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export interface RandomAccess {
  size: number;
  read(position: number, length: number): Promise<Buffer>;
}

/** A Buffer as a RandomAccess (tests, small files). */
export function bufferSource(buf: Buffer): RandomAccess {
  return {
    size: buf.length,
    read: (position, length) =>
      Promise.resolve(buf.subarray(position, Math.min(buf.length, position + length))),
  };
}

export interface RepoConsumer {
  /** `CommandLineEventConsumer`, `ActiveScriptEventConsumer`, `NTEventLogEventConsumer`. */
  className: string;
  name: string;
  commandLineTemplate?: string;
  executablePath?: string;
  workingDirectory?: string;
  scriptingEngine?: string;
  scriptText?: string;
  scriptFileName?: string;
  /** NTEventLogEventConsumer: the event source it writes as. */
  sourceName?: string;
  /** Byte offset of the record in the file. */
  offset: number;
  /** A string ran past the bytes available (a record cut by the end of the file or of a page run). */
  truncated?: boolean;
}

export interface RepoFilter {
  name: string;
  query?: string;
  queryLanguage?: string;
  eventNamespace?: string;
  offset: number;
  truncated?: boolean;
}

export interface RepoBinding {
  /** The consumer's class and name, from `CommandLineEventConsumer.Name="X"`. */
  consumerClass: string;
  consumerName: string;
  filterName: string;
  offset: number;
  /** `record`: read from a binding record; `text`: from its reference strings alone. */
  via: 'record' | 'text';
}

export interface ObjectsDataScan {
  consumers: RepoConsumer[];
  filters: RepoFilter[];
  bindings: RepoBinding[];
  /** Bytes read. */
  bytes: number;
  /** The record or anchor limit was reached: later records were not read. */
  capped: boolean;
  /** Records that were anchored but could not be read, counted. */
  unreadable: number;
}

export interface ScanOptions {
  /** Bytes read at a time; consecutive chunks overlap by `maxRecordBytes`. */
  chunkBytes: number;
  /** Largest record read; also the overlap between chunks. */
  maxRecordBytes: number;
  /** Most records (consumers, filters and bindings together) kept. */
  maxRecords: number;
  /** Longest string kept from a record, in characters. */
  maxStringChars: number;
  /** Most record starts tried (a file made of nothing but anchors stays bounded). */
  maxAnchors: number;
}

export const DEFAULT_SCAN_OPTIONS: ScanOptions = {
  chunkBytes: 4 * 1024 * 1024,
  maxRecordBytes: 256 * 1024,
  maxRecords: 1000,
  maxStringChars: 64 * 1024,
  maxAnchors: 100_000,
};

// ----- the classes read and their property tables (on-disk order, per WMIParser) -----

export type PropType = 'string' | 'u32' | 'u16' | 'bool' | 'bytes' | 'strings';

const SLOT: Record<PropType, number> = { string: 4, u32: 4, u16: 2, bool: 2, bytes: 4, strings: 4 };

const CONSUMER_BASE: [string, PropType][] = [
  ['MachineName', 'string'],
  ['MaximumQueueSize', 'u32'],
  ['CreatorSID', 'bytes'],
  ['Name', 'string'],
];

/** The classes whose instances the scan reads, with their properties in on-disk order. */
export const CLASS_LAYOUTS: Record<string, [string, PropType][]> = {
  CommandLineEventConsumer: [
    ...CONSUMER_BASE,
    ['ExecutablePath', 'string'],
    ['CommandLineTemplate', 'string'],
    ['UseDefaultErrorMode', 'bool'],
    ['CreateNewConsole', 'bool'],
    ['CreateNewProcessGroup', 'bool'],
    ['CreateSeparateWowVdm', 'bool'],
    ['CreateSharedWowVdm', 'bool'],
    ['Priority', 'u32'],
    ['WorkingDirectory', 'string'],
    ['DesktopName', 'string'],
    ['WindowTitle', 'string'],
    ['XCoordinate', 'u32'],
    ['YCoordinate', 'u32'],
    ['XSize', 'u32'],
    ['YSize', 'u32'],
    ['XNumCharacters', 'u32'],
    ['YNumCharacters', 'u32'],
    ['FillAttributes', 'u32'],
    ['ShowWindowCommand', 'u32'],
    ['ForceOnFeedback', 'bool'],
    ['ForceOffFeedback', 'bool'],
    ['RunInteractively', 'bool'],
    ['KillTimeout', 'u32'],
  ],
  ActiveScriptEventConsumer: [
    ...CONSUMER_BASE,
    ['ScriptingEngine', 'string'],
    ['ScriptText', 'string'],
    ['ScriptFilename', 'string'],
    ['KillTimeout', 'u32'],
  ],
  NTEventLogEventConsumer: [
    ...CONSUMER_BASE,
    ['UNCServerName', 'string'],
    ['SourceName', 'string'],
    ['EventID', 'u32'],
    ['EventType', 'u32'],
    ['Category', 'u16'],
    ['NumberOfInsertionStrings', 'u32'],
    ['InsertionStringTemplates', 'strings'],
    ['NameOfRawDataProperty', 'string'],
    ['NameoftheUserSIDProp', 'string'],
  ],
  __EventFilter: [
    ['Name', 'string'],
    ['CreatorSID', 'bytes'],
    ['QueryLanguage', 'string'],
    ['Query', 'string'],
    ['EventNamespace', 'string'],
    ['EventAccess', 'u32'],
  ],
  __FilterToConsumerBinding: [
    ['Filter', 'string'],
    ['Consumer', 'string'],
    ['DeliveryQoS', 'u32'],
    ['DeliverSynchronously', 'bool'],
    ['MaintainSecurityContext', 'bool'],
    ['SlowDownProviders', 'bool'],
    ['CreatorSID', 'bytes'],
  ],
};

/** The repository's name for a class: the hex hash of its UTF-16LE upper-cased name. */
export function classNameHash(className: string, algorithm: 'sha256' | 'md5' = 'sha256'): string {
  return createHash(algorithm)
    .update(Buffer.from(className.toUpperCase(), 'utf16le'))
    .digest('hex')
    .toUpperCase();
}

interface Anchor {
  className: string;
  pattern: Buffer;
  /** The heap's first string: flag byte, class name, NUL. */
  heapName: Buffer;
}

const ANCHORS: Anchor[] = Object.keys(CLASS_LAYOUTS).flatMap((className) =>
  (['sha256', 'md5'] as const).map((algorithm) => ({
    className,
    pattern: Buffer.from(classNameHash(className, algorithm), 'utf16le'),
    heapName: Buffer.from(`\0${className}\0`, 'latin1'),
  })),
);

/** Bytes before the property table: two FILETIMEs, the length, the class-name offset, one byte, the states. */
function headerBytes(props: number): number {
  return 8 + 8 + 4 + 4 + 1 + Math.ceil((2 * props) / 8);
}

function tocBytes(layout: [string, PropType][]): number {
  return layout.reduce((n, [, type]) => n + SLOT[type], 0);
}

// ----- reading one record -----

/** Largest instance data believed (2 MiB: a script of a million characters). */
const MAX_RECORD_DATA = 2 * 1024 * 1024;

/** How far after the property table the heap is looked for when the header does not line up. */
const HEAP_SEARCH_BYTES = 4096;

interface HeapString {
  text: string;
  truncated: boolean;
}

/** The heap string at `off`: flag byte, characters, NUL; undefined when it is not one. */
function heapString(heap: Buffer, off: number, maxChars: number): HeapString | undefined {
  if (off < 0 || off >= heap.length) return undefined;
  const flag = heap[off];
  if (flag === 0) {
    const end = heap.indexOf(0, off + 1);
    const stop = end < 0 ? heap.length : end;
    const raw = heap.subarray(off + 1, Math.min(stop, off + 1 + maxChars));
    return { text: raw.toString('latin1'), truncated: end < 0 || stop - off - 1 > maxChars };
  }
  if (flag === 1) {
    let i = off + 1;
    while (i + 1 < heap.length && (heap[i] !== 0 || heap[i + 1] !== 0)) i += 2;
    const ended = i + 1 < heap.length;
    const raw = heap.subarray(off + 1, Math.min(i, off + 1 + maxChars * 2));
    return {
      text: raw.subarray(0, raw.length & ~1).toString('utf16le'),
      truncated: !ended || (i - off - 1) / 2 > maxChars,
    };
  }
  return undefined;
}

/** Whether the heap starts with the class name, as every instance heap does. */
function heapStartsWith(buf: Buffer, at: number, heapName: Buffer): boolean {
  return (
    at >= 0 &&
    at + heapName.length <= buf.length &&
    buf.compare(heapName, 0, heapName.length, at, at + heapName.length) === 0
  );
}

interface ParsedRecord {
  className: string;
  values: Map<string, string>;
  truncated: boolean;
}

/**
 * Reads the record whose name hash starts at `at` in `buf` (which holds at most the bytes
 * available after it). Returns undefined when the bytes do not hold such a record.
 */
function parseRecord(buf: Buffer, at: number, anchor: Anchor, maxChars: number): ParsedRecord | undefined {
  const layout = CLASS_LAYOUTS[anchor.className];
  if (!layout) return undefined;
  const tocAt = at + anchor.pattern.length + headerBytes(layout.length);
  const tocEnd = tocAt + tocBytes(layout);
  if (tocEnd + 4 > buf.length) return undefined;
  // The instance's data size (counting itself, the class-name offset and the unknown byte) must be
  // plausible; the hex digits of another hash read as a size are at least 0x300030, so a run of
  // hashes is refused here, before any search.
  const dataSize = buf.readUInt32LE(at + anchor.pattern.length + 16);
  if (dataSize < 9 || dataSize > MAX_RECORD_DATA) return undefined;
  let heapAt = -1;
  // The header as WMIParser reads it: qualifier list (size includes itself), dynprops byte, heap size.
  const qualSize = buf.readUInt32LE(tocEnd);
  if (qualSize >= 4 && qualSize < 64 * 1024 && tocEnd + qualSize < buf.length) {
    const dyn = buf[tocEnd + qualSize] ?? 0;
    const sizeAt = tocEnd + qualSize + (dyn === 0 ? 1 : dyn);
    if (sizeAt + 4 <= buf.length && heapStartsWith(buf, sizeAt + 4, anchor.heapName)) heapAt = sizeAt + 4;
  }
  if (heapAt < 0) {
    // Another layout of the header: the heap is the first "\0<class>\0" after a size with its high bit,
    // looked for in the next few KiB only, so a file full of anchors stays linear.
    const name = anchor.heapName;
    const window = buf.subarray(tocEnd, Math.min(buf.length, tocEnd + HEAP_SEARCH_BYTES + name.length));
    for (let hit = window.indexOf(name); hit >= 0; hit = window.indexOf(name, hit + 1)) {
      const at = tocEnd + hit;
      if (at >= 4 && (buf.readUInt32LE(at - 4) & 0x80000000) !== 0) {
        heapAt = at;
        break;
      }
    }
  }
  if (heapAt < 0) return undefined;
  const declared = buf.readUInt32LE(heapAt - 4) & 0x3fffffff;
  const heapEnd = Math.min(buf.length, heapAt + declared);
  const heap = buf.subarray(heapAt, heapEnd);
  const values = new Map<string, string>();
  let truncated = heapAt + declared > buf.length;
  let slot = tocAt;
  for (const [name, type] of layout) {
    if (type === 'string') {
      const off = buf.readUInt32LE(slot);
      // Offset 0 is the class name: a string slot pointing there is unset.
      const s = off === 0 ? undefined : heapString(heap, off, maxChars);
      if (s) {
        values.set(name, s.text);
        truncated ||= s.truncated;
      }
    }
    slot += SLOT[type];
  }
  return { className: anchor.className, values, truncated };
}

// ----- references and the text fallback -----

const REF_RE = /(?:^|[:\s])([A-Za-z_][A-Za-z0-9_]{0,99})\.Name="((?:[^"\\]|\\.){0,500})"/;

/** `CommandLineEventConsumer.Name="X"` (optionally after `\\.\root\subscription:`) → class and name. */
export function parseReference(ref: string): { className: string; name: string } | undefined {
  const m = REF_RE.exec(ref);
  if (!m) return undefined;
  return { className: m[1]!, name: m[2]!.replace(/\\(.)/g, '$1') };
}

const TEXT_BINDING = Buffer.from('_FilterToConsumerBinding', 'latin1');
const TEXT_CONSUMER_RE = /([A-Za-z0-9_]{0,60}EventConsumer)\.Name="((?:[^"\\\0]|\\.){1,500})"/;
const TEXT_FILTER_RE = /_EventFilter\.Name="((?:[^"\\\0]|\\.){1,500})"/;

/** Bindings named by their reference strings near a `__FilterToConsumerBinding` (PyWMIPersistenceFinder). */
function textBindings(chunk: Buffer, base: number, from: number, to: number): RepoBinding[] {
  const out: RepoBinding[] = [];
  for (let i = chunk.indexOf(TEXT_BINDING, from); i >= 0 && i < to; i = chunk.indexOf(TEXT_BINDING, i + 1)) {
    const window = chunk.subarray(i, Math.min(chunk.length, i + 4096)).toString('latin1');
    const consumer = TEXT_CONSUMER_RE.exec(window);
    const filter = TEXT_FILTER_RE.exec(window);
    if (consumer && filter)
      out.push({
        consumerClass: consumer[1]!,
        consumerName: consumer[2]!.replace(/\\(.)/g, '$1'),
        filterName: filter[1]!.replace(/\\(.)/g, '$1'),
        offset: base + i,
        via: 'text',
      });
    if (out.length >= 100) break;
  }
  return out;
}

// ----- the scan -----

function consumerOf(rec: ParsedRecord, offset: number): RepoConsumer | undefined {
  const v = rec.values;
  const name = v.get('Name');
  if (name === undefined || name === '') return undefined;
  const c: RepoConsumer = { className: rec.className, name, offset };
  const set = (key: keyof RepoConsumer, prop: string) => {
    const value = v.get(prop);
    if (value !== undefined && value !== '') (c as unknown as Record<string, unknown>)[key] = value;
  };
  set('commandLineTemplate', 'CommandLineTemplate');
  set('executablePath', 'ExecutablePath');
  set('workingDirectory', 'WorkingDirectory');
  set('scriptingEngine', 'ScriptingEngine');
  set('scriptText', 'ScriptText');
  set('scriptFileName', 'ScriptFilename');
  set('sourceName', 'SourceName');
  if (rec.truncated) c.truncated = true;
  return c;
}

type Found =
  | { kind: 'filter'; value: RepoFilter; key: string }
  | { kind: 'binding'; value: RepoBinding; key: string }
  | { kind: 'consumer'; value: RepoConsumer; key: string };

const bindingKey = (b: RepoBinding) =>
  `b\0${b.consumerClass}\0${b.consumerName}\0${b.filterName}`.toLowerCase();

/** What a parsed record is, with the key that recognises a second copy of it; undefined when unusable. */
function classify(rec: ParsedRecord, offset: number): Found | undefined {
  const v = rec.values;
  if (rec.className === '__EventFilter') {
    const name = v.get('Name');
    if (!name) return undefined;
    const f: RepoFilter = { name, offset };
    const query = v.get('Query');
    const lang = v.get('QueryLanguage');
    const ns = v.get('EventNamespace');
    if (query) f.query = query;
    if (lang) f.queryLanguage = lang;
    if (ns) f.eventNamespace = ns;
    if (rec.truncated) f.truncated = true;
    return { kind: 'filter', value: f, key: `f\0${name}\0${query ?? ''}` };
  }
  if (rec.className === '__FilterToConsumerBinding') {
    const consumer = parseReference(v.get('Consumer') ?? '');
    const filter = parseReference(v.get('Filter') ?? '');
    if (!consumer || !filter) return undefined;
    const b: RepoBinding = {
      consumerClass: consumer.className,
      consumerName: consumer.name,
      filterName: filter.name,
      offset,
      via: 'record',
    };
    return { kind: 'binding', value: b, key: bindingKey(b) };
  }
  const c = consumerOf(rec, offset);
  if (!c) return undefined;
  const key = [c.className, c.name, c.commandLineTemplate, c.executablePath, c.scriptText, c.scriptFileName]
    .map((x) => x ?? '')
    .join('\0');
  return { kind: 'consumer', value: c, key: `c\0${key}` };
}

/**
 * Scans OBJECTS.DATA for event consumers, filters and bindings. Reads `chunkBytes` at a time with
 * an overlap of `maxRecordBytes`, so a record that starts near the end of a chunk is read whole
 * from the next; stops at `maxRecords` kept or `maxAnchors` tried. Duplicates (the same record
 * found again in an older copy) are kept once.
 */
export async function scanObjectsData(
  source: RandomAccess,
  options: Partial<ScanOptions> = {},
): Promise<ObjectsDataScan> {
  const opts = { ...DEFAULT_SCAN_OPTIONS, ...options };
  const overlap = Math.min(opts.maxRecordBytes, Math.floor(opts.chunkBytes / 2));
  const step = opts.chunkBytes - overlap;
  const out: ObjectsDataScan = {
    consumers: [],
    filters: [],
    bindings: [],
    bytes: 0,
    capped: false,
    unreadable: 0,
  };
  // Keys hashed: a script text can be long, and a thousand of them should not be kept twice.
  const seen = new Set<string>();
  let anchors = 0;
  const add = (found: Found): void => {
    const digest = createHash('sha256').update(found.key).digest('hex');
    if (seen.has(digest)) return;
    if (out.consumers.length + out.filters.length + out.bindings.length >= opts.maxRecords) {
      out.capped = true;
      return;
    }
    seen.add(digest);
    if (found.kind === 'filter') out.filters.push(found.value);
    else if (found.kind === 'binding') out.bindings.push(found.value);
    else out.consumers.push(found.value);
  };
  for (let start = 0; start < source.size && !out.capped; start += step) {
    const chunk = await source.read(start, opts.chunkBytes);
    if (chunk.length === 0) break;
    out.bytes = Math.max(out.bytes, start + chunk.length);
    const last = start + chunk.length >= source.size;
    // Records starting in the overlap are read by the next chunk, which holds them whole.
    const limit = last ? chunk.length : Math.min(chunk.length, step);
    for (const anchor of ANCHORS) {
      for (
        let i = chunk.indexOf(anchor.pattern);
        i >= 0 && i < limit;
        i = chunk.indexOf(anchor.pattern, i + 2)
      ) {
        if (++anchors > opts.maxAnchors) {
          out.capped = true;
          break;
        }
        const window = chunk.subarray(0, Math.min(chunk.length, i + opts.maxRecordBytes));
        const rec = parseRecord(window, i, anchor, opts.maxStringChars);
        const found = rec && classify(rec, start + i);
        if (found) add(found);
        else out.unreadable++;
      }
    }
    for (const b of textBindings(chunk, start, 0, limit))
      add({ kind: 'binding', value: b, key: bindingKey(b) });
    if (last) break;
  }
  return out;
}

// ----- the encoder (tests and fixtures) -----

export type InstanceValue = string | number | boolean | Buffer | string[];

/**
 * One instance record laid out as described at the top of this file: what a test writes into an
 * OBJECTS.DATA-like file. Unset properties get a zero slot (strings: "unset"); strings with
 * characters above U+00FF are stored as UTF-16LE, the others as 8-bit characters, as WMI does.
 */
export function encodeWmiInstance(
  className: string,
  values: Record<string, InstanceValue>,
  opts: { hash?: 'sha256' | 'md5'; time?: Date } = {},
): Buffer {
  const layout = CLASS_LAYOUTS[className];
  if (!layout) throw new Error(`no layout for ${className}`);
  const heapParts: Buffer[] = [];
  let heapLen = 0;
  const put = (b: Buffer): number => {
    const at = heapLen;
    heapParts.push(b);
    heapLen += b.length;
    return at;
  };
  const str = (s: string): Buffer =>
    [...s].some((ch) => ch.charCodeAt(0) > 0xff)
      ? Buffer.concat([Buffer.from([1]), Buffer.from(s, 'utf16le'), Buffer.from([0, 0])])
      : Buffer.concat([Buffer.from([0]), Buffer.from(s, 'latin1'), Buffer.from([0])]);
  put(str(className));
  const toc = Buffer.alloc(tocBytes(layout));
  let slot = 0;
  for (const [name, type] of layout) {
    const v = values[name];
    if (v !== undefined) {
      if (type === 'string' && typeof v === 'string') toc.writeUInt32LE(put(str(v)), slot);
      else if (type === 'u32' && typeof v === 'number') toc.writeUInt32LE(v >>> 0, slot);
      else if ((type === 'u16' || type === 'bool') && (typeof v === 'number' || typeof v === 'boolean'))
        toc.writeUInt16LE(typeof v === 'boolean' ? (v ? 0xffff : 0) : v & 0xffff, slot);
      else if (type === 'bytes' && Buffer.isBuffer(v)) {
        const len = Buffer.alloc(4);
        len.writeUInt32LE(v.length);
        toc.writeUInt32LE(put(Buffer.concat([len, v])), slot);
      } else if (type === 'strings' && Array.isArray(v)) {
        const offsets = v.map((s) => put(str(s)));
        const arr = Buffer.alloc(4 + 4 * offsets.length);
        arr.writeUInt32LE(offsets.length);
        offsets.forEach((o, k) => arr.writeUInt32LE(o, 4 + 4 * k));
        toc.writeUInt32LE(put(arr), slot);
      } else throw new Error(`${className}.${name}: value does not fit type ${type}`);
    }
    slot += SLOT[type];
  }
  const heap = Buffer.concat(heapParts);
  const filetime = Buffer.alloc(8);
  filetime.writeBigUInt64LE(BigInt((opts.time ?? new Date(0)).getTime()) * 10000n + 116444736000000000n);
  const states = Buffer.alloc(Math.ceil((2 * layout.length) / 8));
  const qualifiers = Buffer.from([4, 0, 0, 0]);
  const dynprops = Buffer.from([1]);
  const heapSize = Buffer.alloc(4);
  heapSize.writeUInt32LE((heap.length | 0x80000000) >>> 0);
  const rest = Buffer.concat([
    Buffer.alloc(4),
    Buffer.from([0]),
    states,
    toc,
    qualifiers,
    dynprops,
    heapSize,
    heap,
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(rest.length + 4);
  const hash = Buffer.from(classNameHash(className, opts.hash ?? 'sha256'), 'utf16le');
  return Buffer.concat([hash, filetime, filetime, length, rest]);
}
