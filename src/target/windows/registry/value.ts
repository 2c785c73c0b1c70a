// Registry values (vk cells): name, type and data — inline data of up to 4 bytes, one data cell, or
// a big-data (db) record whose segments are joined — and the typed decodings collectors use.
import { NO_CELL, SIG, type Cells } from './cells.js';

/** The value types of winnt.h. */
export const REG = {
  NONE: 0,
  SZ: 1,
  EXPAND_SZ: 2,
  BINARY: 3,
  DWORD: 4,
  DWORD_BIG_ENDIAN: 5,
  LINK: 6,
  MULTI_SZ: 7,
  RESOURCE_LIST: 8,
  FULL_RESOURCE_DESCRIPTOR: 9,
  RESOURCE_REQUIREMENTS_LIST: 10,
  QWORD: 11,
} as const;

const TYPE_NAMES = Object.fromEntries(Object.entries(REG).map(([k, v]) => [v, `REG_${k}`])) as Record<
  number,
  string
>;

/** `REG_SZ`, …, or `REG_0x1234` for a type Windows does not define (malware uses odd ones). */
export function regTypeName(type: number): string {
  return TYPE_NAMES[type] ?? `REG_0x${type.toString(16)}`;
}

/** The largest payload one data cell holds in a hive of version 1.4 or later; more goes to a db. */
export const BIG_DATA_SEGMENT = 16344;
const VK_FIXED = 20;
const VALUE_COMP_NAME = 0x0001;

export class RegValue {
  constructor(
    private readonly cells: Cells,
    private readonly minor: number,
    /** '' for the key's default value. */
    readonly name: string,
    readonly type: number,
    /** Hive offset of the vk cell. */
    readonly offset: number,
    /** Absolute start of the vk payload. */
    private readonly at: number,
    /** Key path and value name, for problems. */
    private readonly where: string,
  ) {}

  /**
   * The data as stored (cut short, with a problem recorded, when the hive lost part of it). Read on
   * each access and not kept: a big-data value is joined from its segments only when asked for, so a
   * hostile key listing many huge values costs budget, not memory.
   */
  get data(): Buffer {
    const at = this.locate();
    return typeof at === 'number' ? this.cells.buf.subarray(at, at + this.cells.length) : at;
  }

  /** Where the data is: a start in the file (length in `cells.length`), or joined big data. */
  private locate(): number | Buffer {
    return locateData(this.cells, this.at, this.offset, this.where, this.minor);
  }

  /** The data as UTF-16LE text, decoded in place (no intermediate buffer for the common case). */
  private text(): string {
    const at = this.locate();
    if (typeof at !== 'number') return utf16(at);
    return this.cells.buf.toString('utf16le', at, at + (this.cells.length & ~1));
  }

  /** The data size the vk records (inline sizes without their flag bit). */
  get size(): number {
    return this.cells.buf.readUInt32LE(this.at + 4) & 0x7fffffff;
  }

  get typeName(): string {
    return regTypeName(this.type);
  }

  bytes(): Buffer {
    return this.data;
  }

  /** REG_SZ, REG_EXPAND_SZ, REG_LINK (and REG_MULTI_SZ, joined by newlines) as text, up to the first NUL. */
  string(): string | undefined {
    if (this.type === REG.MULTI_SZ) return this.strings()?.join('\n');
    if (this.type !== REG.SZ && this.type !== REG.EXPAND_SZ && this.type !== REG.LINK) return undefined;
    const text = this.text();
    const nul = text.indexOf('\0');
    return nul >= 0 ? text.slice(0, nul) : text;
  }

  /** REG_MULTI_SZ as its list (the closing empty strings dropped); a single string type as [it]. */
  strings(): string[] | undefined {
    if (this.type !== REG.MULTI_SZ) {
      const one = this.string();
      return one === undefined ? undefined : [one];
    }
    const parts = this.text().split('\0');
    while (parts.length && parts[parts.length - 1] === '') parts.pop();
    return parts;
  }

  /** REG_DWORD (either byte order) or a REG_QWORD small enough to be exact. */
  number(): number | undefined {
    if (this.type === REG.QWORD) {
      const n = this.bigint();
      return n !== undefined && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
    }
    if (this.type !== REG.DWORD && this.type !== REG.DWORD_BIG_ENDIAN) return undefined;
    const at = this.locate();
    if (typeof at !== 'number' || this.cells.length < 4) return undefined;
    const { buf } = this.cells;
    return this.type === REG.DWORD ? buf.readUInt32LE(at) : buf.readUInt32BE(at);
  }

  /** REG_QWORD or REG_DWORD, exactly. */
  bigint(): bigint | undefined {
    if (this.type !== REG.QWORD) {
      const n = this.number();
      return n === undefined ? undefined : BigInt(n);
    }
    const d = this.data;
    return d.length >= 8 ? d.readBigUInt64LE(0) : undefined;
  }
}

function utf16(data: Buffer): string {
  return data.toString('utf16le', 0, data.length & ~1);
}

/** Reads the vk cell at `rel`; undefined (with a problem) when it is not a value at all. */
export function readValue(cells: Cells, rel: number, key: string, minor: number): RegValue | undefined {
  const at = cells.cell(rel, key, 'value', VK_FIXED);
  if (at < 0) return undefined;
  const length = cells.length;
  const { buf } = cells;
  if (cells.sig(at) !== SIG.vk) {
    cells.problem('signature', rel, key, `value list entry is not a vk cell (${cells.signature(at)})`);
    return undefined;
  }
  let nameLength = buf.readUInt16LE(at + 2);
  if (VK_FIXED + nameLength > length) {
    cells.problem('name', rel, key, `value name of ${nameLength} bytes runs past its cell`);
    nameLength = length - VK_FIXED;
  }
  const compressed = (buf.readUInt16LE(at + 16) & VALUE_COMP_NAME) !== 0;
  const nameAt = at + VK_FIXED;
  const name = compressed
    ? buf.toString('latin1', nameAt, nameAt + nameLength)
    : buf.toString('utf16le', nameAt, nameAt + (nameLength & ~1));
  const where = `${key}\\${name || '(default)'}`;
  return new RegValue(cells, minor, name, buf.readUInt32LE(at + 12), rel, at, where);
}

/** `length` bytes at `start` of the file: sets `cells.length` and answers `start`. */
function inPlace(cells: Cells, start: number, length: number): number {
  cells.length = length;
  return start;
}

/**
 * Where the data of the vk whose payload starts at `at` lies: its start in the file (its length then
 * in `cells.length`), or a fresh buffer when it had to be joined from big-data segments.
 */
function locateData(cells: Cells, at: number, rel: number, where: string, minor: number): number | Buffer {
  const { buf } = cells;
  const rawSize = buf.readUInt32LE(at + 4);
  const dataRel = buf.readUInt32LE(at + 8);
  const size = rawSize & 0x7fffffff;
  if (rawSize & 0x80000000) {
    // Up to 4 bytes live in the offset field itself.
    if (size > 4) cells.problem('data', rel, where, `inline data claims ${size} bytes; 4 read`);
    return inPlace(cells, at + 8, Math.min(size, 4));
  }
  if (size === 0) return inPlace(cells, 0, 0);
  if (dataRel === NO_CELL) {
    cells.problem('data', rel, where, `${size} bytes of data but no data cell`);
    return inPlace(cells, 0, 0);
  }
  const cell = cells.cell(dataRel, where, 'value data');
  if (cell < 0) return inPlace(cells, 0, 0);
  const length = cells.length;
  if (length >= size) return inPlace(cells, cell, size);
  // A data cell smaller than the size is a big-data record in hives of version 1.4 and later.
  if (size > BIG_DATA_SEGMENT && cells.sig(cell) === SIG.db && length >= 8) {
    if (minor < 4) cells.problem('version', dataRel, where, `big-data record in a version 1.${minor} hive`);
    return readBigData(cells, cell, dataRel, size, where);
  }
  cells.problem('data', dataRel, where, `data cell holds ${length} of ${size} bytes`);
  return inPlace(cells, cell, length);
}

/** Joins the segments of a db record (each a data cell of up to 16,344 bytes) into `size` bytes. */
function readBigData(cells: Cells, dbAt: number, dbRel: number, size: number, where: string): Buffer {
  const { buf } = cells;
  let count = buf.readUInt16LE(dbAt + 2);
  const listRel = buf.readUInt32LE(dbAt + 4);
  const needed = Math.ceil(size / BIG_DATA_SEGMENT);
  if (count < needed) cells.problem('count', dbRel, where, `${count} big-data segments for ${size} bytes`);
  const list = cells.cell(listRel, where, 'big-data segment list');
  if (list < 0) return buf.subarray(0, 0);
  if (count * 4 > cells.length) {
    cells.problem(
      'count',
      listRel,
      where,
      `db record claims ${count} segments, its list holds ${cells.length >> 2}`,
    );
    count = cells.length >> 2;
  }
  // Never more than the file could hold, so segments that all name one cell cannot make us
  // allocate gigabytes.
  const want = Math.min(size, buf.length);
  if (want < size) cells.problem('data', dbRel, where, `big data claims ${size} bytes, more than the file`);
  const parts: Buffer[] = [];
  let got = 0;
  for (let i = 0; i < Math.min(count, needed) && got < want; i++) {
    const segRel = buf.readUInt32LE(list + i * 4);
    const seg = cells.cell(segRel, where, 'big-data segment');
    if (seg < 0) break;
    const take = Math.min(cells.length, BIG_DATA_SEGMENT, want - got);
    if (!cells.spend(Math.ceil(take / 64), where)) break;
    parts.push(buf.subarray(seg, seg + take));
    got += take;
  }
  if (got < want) cells.problem('data', dbRel, where, `big data: ${got} of ${size} bytes readable`);
  return Buffer.concat(parts, got);
}
