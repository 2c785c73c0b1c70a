// Registry keys (nk cells): name (Latin-1 or UTF-16LE per flag), last-write time, class name,
// security presence, and their subkey lists (lf, lh, li, and ri index roots, nested or not) and value
// lists. A key is a light handle: its lists are parsed each time they are asked for, never kept.
import { NO_CELL, SIG, type Cells } from './cells.js';
import { readValue, type RegValue } from './value.js';

const NK_FIXED = 76;
const KEY_COMP_NAME = 0x0020;
/** ri records may in principle nest; more than this many levels is a loop or an attack. */
const MAX_LIST_NESTING = 8;

/** What a key reads through: the cells, the hive's minor version and the depth limit. */
export interface KeyReader {
  cells: Cells;
  minor: number;
  maxDepth: number;
}

/** Windows compares key and value names case-insensitively. */
export function foldName(name: string): string {
  return name.toLowerCase();
}

export class RegKey {
  private constructor(
    private readonly r: KeyReader,
    /** Hive offset of the nk cell. */
    readonly offset: number,
    /** Absolute start of the nk payload. */
    private readonly at: number,
    readonly name: string,
    /** Backslash-joined names below the root ('' for the root itself). */
    readonly path: string,
    readonly depth: number,
    readonly parent: RegKey | undefined,
  ) {}

  /** Reads the nk cell at `rel` as a child of `parent` (or as the root); undefined with a problem. */
  static read(r: KeyReader, rel: number, parent: RegKey | undefined): RegKey | undefined {
    const { cells } = r;
    const where = parent?.path ?? '';
    const at = cells.cell(rel, where, 'key');
    if (at < 0) return undefined;
    const length = cells.length;
    if (cells.sig(at) !== SIG.nk) {
      cells.problem('signature', rel, where, `subkey entry is not an nk cell (${cells.signature(at)})`);
      return undefined;
    }
    if (length < NK_FIXED) {
      cells.problem('cell-size', rel, where, `nk cell of ${length} bytes, at least ${NK_FIXED} needed`);
      return undefined;
    }
    const { buf } = cells;
    let nameLength = buf.readUInt16LE(at + 72);
    if (NK_FIXED + nameLength > length) {
      cells.problem('name', rel, where, `key name of ${nameLength} bytes runs past its cell`);
      nameLength = length - NK_FIXED;
    }
    const nameAt = at + NK_FIXED;
    const name =
      buf.readUInt16LE(at + 2) & KEY_COMP_NAME
        ? buf.toString('latin1', nameAt, nameAt + nameLength)
        : buf.toString('utf16le', nameAt, nameAt + (nameLength & ~1));
    const path = parent ? (parent.path ? `${parent.path}\\${name}` : name) : '';
    return new RegKey(r, rel, at, name, path, parent ? parent.depth + 1 : 0, parent);
  }

  private u32(field: number): number {
    return this.r.cells.buf.readUInt32LE(this.at + field);
  }

  /** nk flags (0x0004 hive root, 0x0010 symbolic link, 0x0020 Latin-1 name, …). */
  get flags(): number {
    return this.r.cells.buf.readUInt16LE(this.at + 2);
  }

  get isSymlink(): boolean {
    return (this.flags & 0x0010) !== 0;
  }

  /** The key's last-write time, or undefined when the FILETIME is zero. */
  get lastWritten(): Date | undefined {
    const lo = this.u32(4);
    const hi = this.u32(8);
    if (lo === 0 && hi === 0) return undefined;
    // FILETIME counts 100 ns since 1601; double precision loses only sub-millisecond digits.
    return new Date((hi * 4294967296 + lo) / 10000 - 11644473600000);
  }

  /** Subkey count as the nk records it (the list itself may disagree: see subkeys()). */
  get subkeyCount(): number {
    return this.u32(20);
  }

  get valueCount(): number {
    return this.u32(36);
  }

  /** Hive offset of the security (sk) cell, when the key names one that really is an sk cell. */
  get securityOffset(): number | undefined {
    const rel = this.u32(44);
    if (rel === NO_CELL) return undefined;
    const at = this.r.cells.cell(rel, this.path, 'security descriptor');
    return at >= 0 && this.r.cells.sig(at) === SIG.sk ? rel : undefined;
  }

  get hasSecurity(): boolean {
    return this.securityOffset !== undefined;
  }

  /** The class name (UTF-16LE), when the key has one. */
  get className(): string | undefined {
    const rel = this.u32(48);
    const length = this.r.cells.buf.readUInt16LE(this.at + 74);
    if (rel === NO_CELL || length === 0) return undefined;
    const { cells } = this.r;
    const at = cells.cell(rel, this.path, 'class name');
    if (at < 0) return undefined;
    if (length > cells.length)
      cells.problem('name', rel, this.path, `class name of ${length} bytes runs past its cell`);
    return cells.buf.toString('utf16le', at, at + (Math.min(length, cells.length) & ~1));
  }

  /** The subkeys in list order; entries that cannot be read are left out with a problem each. */
  subkeys(): RegKey[] {
    const { cells, maxDepth } = this.r;
    const count = this.subkeyCount;
    const listRel = this.u32(28);
    // Windows goes by the count: a list behind a zero count is not part of the tree.
    if (count === 0) return [];
    if (this.depth + 1 > maxDepth) {
      cells.problem('depth', this.offset, this.path, `subkeys deeper than ${maxDepth} levels not read`);
      return [];
    }
    const offsets: number[] = [];
    this.collectList(listRel, offsets, new Set(), 0);
    // Once the budget is spent every read comes back empty: that is not the hive's fault.
    if (cells.exhausted) return [];
    if (offsets.length !== count)
      cells.problem(
        'count',
        this.offset,
        this.path,
        `key records ${count} subkeys, its list holds ${offsets.length}`,
      );
    const keys: RegKey[] = [];
    // A list naming one key many times would otherwise make as many handles as the file has bytes/4.
    const seen = new Set<number>();
    for (const rel of offsets) {
      if (seen.has(rel)) {
        cells.problem('duplicate', rel, this.path, 'subkey list names one key twice');
        continue;
      }
      seen.add(rel);
      if (!cells.spend(Math.ceil(this.depth / 64), this.path)) break;
      if (this.isSelfOrAncestor(rel)) {
        cells.problem('cycle', rel, this.path, 'subkey list leads back to this key or one above it');
        continue;
      }
      const key = RegKey.read(this.r, rel, this);
      if (key) keys.push(key);
    }
    return keys;
  }

  /** The subkey named `name`, compared case-insensitively as Windows does. */
  subkey(name: string): RegKey | undefined {
    const want = foldName(name);
    return this.subkeys().find((k) => foldName(k.name) === want);
  }

  /** Walks up the parents (the caller charges the budget for it: a deep chain is not free). */
  private isSelfOrAncestor(rel: number): boolean {
    if (this.offset === rel) return true;
    for (let k = this.parent; k; k = k.parent) if (k.offset === rel) return true;
    return false;
  }

  /** Appends the nk offsets a subkey list (or an ri tree of them) names. */
  private collectList(rel: number, out: number[], lists: Set<number>, nesting: number): void {
    const { cells } = this.r;
    if (lists.has(rel)) {
      cells.problem('cycle', rel, this.path, 'index root lists itself');
      return;
    }
    lists.add(rel);
    const at = cells.cell(rel, this.path, 'subkey list', 4);
    if (at < 0) return;
    const length = cells.length;
    const { buf } = cells;
    const sig = cells.sig(at);
    const stride = sig === SIG.lf || sig === SIG.lh ? 8 : sig === SIG.li || sig === SIG.ri ? 4 : 0;
    if (!stride) {
      cells.problem('signature', rel, this.path, `subkey list is not lf/lh/li/ri (${cells.signature(at)})`);
      return;
    }
    let n = buf.readUInt16LE(at + 2);
    const room = Math.floor((length - 4) / stride);
    if (n > room) {
      cells.problem(
        'count',
        rel,
        this.path,
        `${cells.signature(at)} list claims ${n} entries, its cell holds ${room}`,
      );
      n = room;
    }
    if (!cells.spend(Math.ceil(n / 16), this.path)) return;
    const first = at + 4;
    if (sig !== SIG.ri) {
      for (let i = 0; i < n; i++) out.push(buf.readUInt32LE(first + i * stride));
      return;
    }
    if (nesting >= MAX_LIST_NESTING) {
      cells.problem('depth', rel, this.path, `index roots nested deeper than ${MAX_LIST_NESTING}`);
      return;
    }
    for (let i = 0; i < n; i++) this.collectList(buf.readUInt32LE(first + i * 4), out, lists, nesting + 1);
  }

  /** The values in list order; unreadable entries are left out with a problem each. */
  values(): RegValue[] {
    const { cells, minor } = this.r;
    let count = this.valueCount;
    const listRel = this.u32(40);
    if (count === 0) return [];
    const list = cells.cell(listRel, this.path, 'value list');
    if (list < 0 || cells.exhausted) return [];
    if (count * 4 > cells.length) {
      cells.problem(
        'count',
        listRel,
        this.path,
        `key records ${count} values, its list holds ${cells.length >> 2}`,
      );
      count = cells.length >> 2;
    }
    const out: RegValue[] = [];
    const { buf } = cells;
    // Short lists (nearly all) are checked for repeats by looking back; long ones through a set.
    const seen = count > 16 ? new Set<number>() : undefined;
    for (let i = 0; i < count; i++) {
      const rel = buf.readUInt32LE(list + i * 4);
      let repeat = false;
      if (seen) {
        repeat = seen.has(rel);
        seen.add(rel);
      } else for (let j = 0; j < i && !repeat; j++) repeat = buf.readUInt32LE(list + j * 4) === rel;
      if (repeat) {
        cells.problem('duplicate', rel, this.path, 'value list names one value twice');
        continue;
      }
      const value = readValue(cells, rel, this.path, minor);
      if (cells.exhausted) break;
      if (value) out.push(value);
    }
    return out;
  }

  /** The value named `name` ('' for the default value), case-insensitively. */
  value(name: string): RegValue | undefined {
    const want = foldName(name);
    return this.values().find((v) => foldName(v.name) === want);
  }
}
