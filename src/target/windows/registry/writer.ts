// A small regf writer for the tests and the benchmark (never used on a target): lays a key tree out
// as Windows does — sorted lh lists, one shared sk, inline data up to 4 bytes — and can write what
// hivex never does (big-data db records, ri index roots, nested ri), so the reader is exercised on
// them and hivex can still check the result. Also makes the empty hive `hivexregedit --merge` needs.
import { baseBlockChecksum } from './hive.js';
import { BIG_DATA_SEGMENT } from './value.js';

export interface TreeValue {
  name: string;
  type: number;
  data: Buffer;
}

export interface TreeKey {
  name: string;
  values?: TreeValue[];
  subkeys?: TreeKey[];
  className?: string;
}

export interface WriteHiveOptions {
  /** Subkey list kind for plain lists (default lh, as Windows XP and later write). */
  list?: 'lf' | 'lh' | 'li';
  /** Lists longer than this are split into an ri of lists of at most this many (default 1024). */
  riChunk?: number;
  /** Put the ri under another ri (Windows never writes this; hivex and our reader accept it). */
  nestedRi?: boolean;
  /** Write data over 16,344 bytes as a db record (default true; hivex writes one long cell). */
  bigData?: boolean;
  /** Minor version in the base block (default 5). */
  minor?: number;
  sequence?: [number, number];
  /** Fixed last-write time for every key and the base block (default 2024-01-01). */
  time?: Date;
}

const NO_CELL = 0xffffffff;

/** Cells laid into 4 KiB-multiple hive bins in one growing buffer; offsets relative to the bins. */
class BinWriter {
  buf = Buffer.alloc(1 << 20);
  private binStart = 4096;
  private binEnd = 4096;
  pos = 4096;

  private ensure(end: number): void {
    if (end <= this.buf.length) return;
    let n = this.buf.length;
    while (n < end) n *= 2;
    const bigger = Buffer.alloc(n);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  /** Closes the current bin, its free tail as one free cell. */
  private closeBin(): void {
    const rest = this.binEnd - this.pos;
    if (rest >= 8) this.buf.writeInt32LE(rest, this.pos);
    this.pos = this.binEnd;
  }

  /** Allocates a cell with `length` payload bytes; returns the absolute payload start. */
  alloc(length: number): number {
    const size = (length + 4 + 7) & ~7;
    if (this.pos + size > this.binEnd) {
      this.closeBin();
      const binSize = Math.ceil((size + 32) / 4096) * 4096;
      this.ensure(this.pos + binSize);
      this.binStart = this.pos;
      this.binEnd = this.pos + binSize;
      const b = this.buf;
      b.write('hbin', this.binStart, 'latin1');
      b.writeUInt32LE(this.binStart - 4096, this.binStart + 4);
      b.writeUInt32LE(binSize, this.binStart + 8);
      this.pos = this.binStart + 32;
    }
    this.buf.writeInt32LE(-size, this.pos);
    const at = this.pos + 4;
    this.pos += size;
    return at;
  }

  finish(): number {
    this.closeBin();
    return this.pos;
  }
}

/** The hive offset of a cell whose payload starts at `payload`: offsets name the size field. */
const rel = (payload: number) => payload - 4 - 4096;
/** Windows stores a name as Latin-1 (the "compressed" flag) when every character fits one byte. */
const latin1Only = (s: string) => [...s].every((c) => c.charCodeAt(0) <= 0xff);

/** Windows' lh hash: h = h * 37 + upcase(c) over the UTF-16 code units. */
function lhHash(name: string): number {
  let h = 0;
  for (const c of name.toUpperCase()) h = (Math.imul(h, 37) + c.charCodeAt(0)) >>> 0;
  return h;
}

function filetimeParts(d: Date): [number, number] {
  const ft = BigInt(d.getTime() + 11644473600000) * 10000n;
  return [Number(ft & 0xffffffffn), Number(ft >> 32n)];
}

function writeData(w: BinWriter, data: Buffer, bigData: boolean): number {
  if (bigData && data.length > BIG_DATA_SEGMENT) {
    const segs: number[] = [];
    for (let o = 0; o < data.length; o += BIG_DATA_SEGMENT) {
      const part = data.subarray(o, o + BIG_DATA_SEGMENT);
      // 4 bytes of slack after each segment, as Windows leaves them: hivex reads a segment as its
      // cell size less 8, and would lose the tail of a snugly sized last segment.
      const at = w.alloc(part.length + 4);
      part.copy(w.buf, at);
      segs.push(rel(at));
    }
    const list = w.alloc(segs.length * 4);
    segs.forEach((s, i) => w.buf.writeUInt32LE(s, list + i * 4));
    const db = w.alloc(8);
    w.buf.write('db', db, 'latin1');
    w.buf.writeUInt16LE(segs.length, db + 2);
    w.buf.writeUInt32LE(rel(list), db + 4);
    return rel(db);
  }
  const at = w.alloc(data.length);
  data.copy(w.buf, at);
  return rel(at);
}

function writeValue(w: BinWriter, v: TreeValue, bigData: boolean): number {
  const compressed = latin1Only(v.name);
  const name = Buffer.from(v.name, compressed ? 'latin1' : 'utf16le');
  const inline = v.data.length <= 4;
  const dataRel = inline ? 0 : writeData(w, v.data, bigData);
  const at = w.alloc(20 + name.length);
  const b = w.buf;
  b.write('vk', at, 'latin1');
  b.writeUInt16LE(name.length, at + 2);
  b.writeUInt32LE(inline ? (v.data.length | 0x80000000) >>> 0 : v.data.length, at + 4);
  if (inline) {
    b.writeUInt32LE(0, at + 8);
    v.data.copy(b, at + 8);
  } else b.writeUInt32LE(dataRel, at + 8);
  b.writeUInt32LE(v.type, at + 12);
  b.writeUInt16LE(compressed ? 1 : 0, at + 16);
  name.copy(b, at + 20);
  return rel(at);
}

interface Child {
  rel: number;
  name: string;
}

function writePlainList(w: BinWriter, kind: 'lf' | 'lh' | 'li', kids: Child[]): number {
  const stride = kind === 'li' ? 4 : 8;
  const at = w.alloc(4 + kids.length * stride);
  const b = w.buf;
  b.write(kind, at, 'latin1');
  b.writeUInt16LE(kids.length, at + 2);
  kids.forEach((k, i) => {
    const e = at + 4 + i * stride;
    b.writeUInt32LE(k.rel, e);
    if (kind === 'lh') b.writeUInt32LE(lhHash(k.name), e + 4);
    // lf keeps the first four characters of the name as a hint.
    if (kind === 'lf') b.write(k.name.slice(0, 4).padEnd(4, '\0'), e + 4, 4, 'latin1');
  });
  return rel(at);
}

function writeRi(w: BinWriter, lists: number[]): number {
  const at = w.alloc(4 + lists.length * 4);
  w.buf.write('ri', at, 'latin1');
  w.buf.writeUInt16LE(lists.length, at + 2);
  lists.forEach((l, i) => w.buf.writeUInt32LE(l, at + 4 + i * 4));
  return rel(at);
}

function writeSubkeyList(w: BinWriter, kids: Child[], o: Required<WriteHiveOptions>): number {
  if (kids.length <= o.riChunk) return writePlainList(w, o.list, kids);
  const lists: number[] = [];
  for (let i = 0; i < kids.length; i += o.riChunk)
    lists.push(writePlainList(w, o.list, kids.slice(i, i + o.riChunk)));
  const ri = writeRi(w, lists);
  return o.nestedRi ? writeRi(w, [ri]) : ri;
}

interface Ctx {
  w: BinWriter;
  o: Required<WriteHiveOptions>;
  sk: number;
  time: [number, number];
  keys: number;
}

/** Writes `key` and everything below it; returns its nk offset. */
function writeKey(c: Ctx, key: TreeKey, parent: number, root: boolean): number {
  const { w } = c;
  c.keys++;
  const compressed = latin1Only(key.name);
  const name = Buffer.from(key.name, compressed ? 'latin1' : 'utf16le');
  const nk = w.alloc(76 + name.length);
  const values = (key.values ?? []).map((v) => writeValue(w, v, c.o.bigData));
  let valueList = NO_CELL;
  if (values.length) {
    const at = w.alloc(values.length * 4);
    values.forEach((v, i) => w.buf.writeUInt32LE(v, at + i * 4));
    valueList = rel(at);
  }
  // Windows keeps lists sorted by upper-cased name (it binary-searches them; hivex inserts in order).
  const sorted = [...(key.subkeys ?? [])].sort((a, b) => cmpUpper(a.name, b.name));
  const kids = sorted.map((k) => ({ rel: writeKey(c, k, rel(nk), false), name: k.name }));
  const list = kids.length ? writeSubkeyList(w, kids, c.o) : NO_CELL;
  let classRel = NO_CELL;
  const className = key.className ? Buffer.from(key.className, 'utf16le') : undefined;
  if (className) {
    const at = w.alloc(className.length);
    className.copy(w.buf, at);
    classRel = rel(at);
  }
  const b = w.buf;
  b.write('nk', nk, 'latin1');
  b.writeUInt16LE((compressed ? 0x20 : 0) | (root ? 0x0c : 0), nk + 2);
  b.writeUInt32LE(c.time[0], nk + 4);
  b.writeUInt32LE(c.time[1], nk + 8);
  b.writeUInt32LE(parent, nk + 16);
  b.writeUInt32LE(kids.length, nk + 20);
  b.writeUInt32LE(list, nk + 28);
  b.writeUInt32LE(NO_CELL, nk + 32);
  b.writeUInt32LE(values.length, nk + 36);
  b.writeUInt32LE(valueList, nk + 40);
  b.writeUInt32LE(c.sk, nk + 44);
  b.writeUInt32LE(classRel, nk + 48);
  const longest = (xs: string[]) => xs.reduce((m, s) => Math.max(m, s.length * 2), 0);
  b.writeUInt32LE(longest(sorted.map((k) => k.name)), nk + 52);
  b.writeUInt32LE(longest((key.values ?? []).map((v) => v.name)), nk + 60);
  b.writeUInt32LE(
    (key.values ?? []).reduce((m, v) => Math.max(m, v.data.length), 0),
    nk + 64,
  );
  b.writeUInt16LE(name.length, nk + 72);
  b.writeUInt16LE(className?.length ?? 0, nk + 74);
  name.copy(b, nk + 76);
  return rel(nk);
}

function cmpUpper(a: string, b: string): number {
  const x = a.toUpperCase();
  const y = b.toUpperCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** One self-relative security descriptor (owner/group/ACLs absent) that every key shares. */
function writeSk(w: BinWriter): number {
  const at = w.alloc(20 + 20);
  const b = w.buf;
  b.write('sk', at, 'latin1');
  b.writeUInt32LE(rel(at), at + 4);
  b.writeUInt32LE(rel(at), at + 8);
  b.writeUInt32LE(20, at + 16);
  b.writeUInt8(1, at + 20); // revision
  b.writeUInt16LE(0x8004, at + 22); // self-relative, DACL present (null DACL)
  return rel(at);
}

/** Writes a whole hive whose root key is `root`. */
export function writeHive(root: TreeKey, opts: WriteHiveOptions = {}): Buffer {
  const o: Required<WriteHiveOptions> = {
    list: 'lh',
    riChunk: 1024,
    nestedRi: false,
    bigData: true,
    minor: 5,
    sequence: [1, 1],
    time: new Date('2024-01-01T00:00:00Z'),
    ...opts,
  };
  const w = new BinWriter();
  const c: Ctx = { w, o, sk: writeSk(w), time: filetimeParts(o.time), keys: 0 };
  const rootRel = writeKey(c, root, NO_CELL, true);
  w.buf.writeUInt32LE(c.keys, 4096 + c.sk + 4 + 12); // the sk's reference count
  const end = w.finish();
  const b = w.buf.subarray(0, end);
  b.fill(0, 0, 4096);
  b.write('regf', 0, 'latin1');
  b.writeUInt32LE(o.sequence[0], 4);
  b.writeUInt32LE(o.sequence[1], 8);
  b.writeUInt32LE(c.time[0], 12);
  b.writeUInt32LE(c.time[1], 16);
  b.writeUInt32LE(1, 20);
  b.writeUInt32LE(o.minor, 24);
  b.writeUInt32LE(0, 28);
  b.writeUInt32LE(1, 32);
  b.writeUInt32LE(rootRel, 36);
  b.writeUInt32LE(end - 4096, 40);
  b.writeUInt32LE(1, 44);
  b.write('minehunter-test\0', 48, 'utf16le');
  b.writeUInt32LE(baseBlockChecksum(b), 508);
  return Buffer.from(b);
}
