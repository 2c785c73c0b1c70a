// Opening a registry hive file (regf): the base block (signature, sequence numbers, version,
// checksum, root cell), the map of hive bins, and the Hive handle collectors navigate. A hive that
// cannot be read at all is a HiveError; anything less is a problem in `hive.problems` and the rest
// is still read. Transaction logs (.LOG1/.LOG2) are not replayed: a dirty hive is read as it lies.
import {
  BASE_BLOCK_SIZE,
  Cells,
  DEFAULT_HIVE_LIMITS,
  HiveError,
  OffsetSet,
  type HiveLimits,
  type HiveProblem,
} from './cells.js';
import { RegKey, type KeyReader } from './key.js';

export interface OpenHiveOptions {
  /** How the hive is named in errors and problems (usually its path on the target). */
  name: string;
  limits?: Partial<HiveLimits>;
}

export class Hive {
  /** The root key as read at open time (its lists are parsed on demand like any key's). */
  private readonly rootKey: RegKey;

  constructor(
    private readonly cells: Cells,
    private readonly reader: KeyReader,
    rootRel: number,
    readonly info: HiveInfo,
  ) {
    const root = RegKey.read(reader, rootRel, undefined);
    if (!root) {
      const why = cells.problems.find((p) => p.offset === rootRel)?.detail ?? 'unreadable';
      throw new HiveError(cells.name, 'root', rootRel, `root key: ${why}`);
    }
    this.rootKey = root;
  }

  get name(): string {
    return this.cells.name;
  }

  /** The primary and secondary sequence numbers differ: a write was under way (logs not replayed). */
  get dirty(): boolean {
    return this.info.sequence[0] !== this.info.sequence[1];
  }

  /** Everything found wrong so far, in the order found (reading more may find more). */
  get problems(): readonly HiveProblem[] {
    return this.cells.problems;
  }

  /** Problems found beyond the `maxProblems` kept. */
  get problemsDropped(): number {
    return this.cells.problemsDropped;
  }

  /** The work budget ran out: what was read is right, but not everything was read. */
  get exhausted(): boolean {
    return this.cells.exhausted;
  }

  get workDone(): number {
    return this.cells.workDone;
  }

  root(): RegKey {
    return this.rootKey;
  }

  /** The key at a backslash path below the root (case-insensitive), e.g. 'ControlSet001\\Services'. */
  lookup(path: string): RegKey | undefined {
    let key: RegKey | undefined = this.rootKey;
    for (const part of path.split('\\')) {
      if (!part) continue;
      key = key.subkey(part);
      if (!key) return undefined;
    }
    return key;
  }

  /**
   * Every key, depth first in list order, root first. A key listed by two parents (or reached again
   * through a loop) is visited once, with a 'duplicate' problem.
   */
  *walk(from: RegKey = this.rootKey): Generator<RegKey> {
    const visited = new OffsetSet(this.cells.buf.length);
    visited.add(from.offset);
    const stack: RegKey[] = [from];
    while (stack.length) {
      const key = stack.pop()!;
      yield key;
      const children = key.subkeys();
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i]!;
        if (!visited.add(child.offset)) {
          this.cells.problem(
            'duplicate',
            child.offset,
            key.path,
            `key ${JSON.stringify(child.name)} listed twice`,
          );
          continue;
        }
        stack.push(child);
      }
    }
  }
}

export interface HiveInfo {
  /** Primary and secondary sequence numbers of the base block. */
  sequence: [number, number];
  version: { major: number; minor: number };
  /** The base block's last-write time. */
  lastWritten: Date | undefined;
  /** The file name Windows wrote into the base block (often the tail of the hive's path). */
  embeddedName: string;
  checksumOk: boolean;
  /** Bytes of hive bins the base block announces (the file may hold more or fewer). */
  binsSize: number;
}

function filetime(buf: Buffer, at: number): Date | undefined {
  const lo = buf.readUInt32LE(at);
  const hi = buf.readUInt32LE(at + 4);
  if (lo === 0 && hi === 0) return undefined;
  const ms = (hi * 4294967296 + lo) / 10000 - 11644473600000;
  return Math.abs(ms) <= 8.64e15 ? new Date(ms) : undefined;
}

/** The base block checksum: XOR of its first 127 dwords, with 0 and ~0 remapped as Windows does. */
export function baseBlockChecksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 508; i += 4) sum ^= buf.readUInt32LE(i);
  sum >>>= 0;
  if (sum === 0xffffffff) return 0xfffffffe;
  if (sum === 0) return 1;
  return sum;
}

/** Opens a hive held in memory. Throws only HiveError, and only when nothing can be read. */
export function openHive(buf: Buffer, opts: OpenHiveOptions): Hive {
  const { name } = opts;
  if (buf.length < BASE_BLOCK_SIZE + 32)
    throw new HiveError(name, 'too-small', 0, `${buf.length} bytes is smaller than a base block and one bin`);
  if (buf.toString('latin1', 0, 4) !== 'regf') throw new HiveError(name, 'signature', 0, 'no regf signature');
  const cells = new Cells(buf, name, { ...DEFAULT_HIVE_LIMITS, ...opts.limits });
  const info: HiveInfo = {
    sequence: [buf.readUInt32LE(4), buf.readUInt32LE(8)],
    version: { major: buf.readUInt32LE(20), minor: buf.readUInt32LE(24) },
    lastWritten: filetime(buf, 12),
    embeddedName: buf.toString('utf16le', 48, 112).replace(/\0[\s\S]*$/, ''),
    checksumOk: baseBlockChecksum(buf) === buf.readUInt32LE(508),
    binsSize: buf.readUInt32LE(40),
  };
  const { major, minor } = info.version;
  if (major !== 1 || minor > 6) cells.problem('version', -1, '', `hive version ${major}.${minor}`);
  const fileType = buf.readUInt32LE(28);
  if (fileType !== 0)
    cells.problem('version', -1, '', `file type ${fileType} (a transaction log, not a hive?)`);
  if (!info.checksumOk) cells.problem('checksum', -1, '', 'base block checksum does not match');
  if (BASE_BLOCK_SIZE + info.binsSize > buf.length)
    cells.problem(
      'truncated',
      -1,
      '',
      `base block announces ${info.binsSize} bytes of bins, ${buf.length - BASE_BLOCK_SIZE} present`,
    );
  if (cells.mapBins() === 0) throw new HiveError(name, 'no-bins', 0, 'no hive bin found');
  const reader: KeyReader = { cells, minor: major === 1 ? minor : 5, maxDepth: cells.limits.maxDepth };
  return new Hive(cells, reader, buf.readUInt32LE(36), info);
}
