// Hostile and broken hives: each ends in a HiveError (nothing readable) or a read with problems
// recorded, within a time bound, never another exception or a hang — truncation at many offsets,
// subkey lists that loop, absurd offsets and counts, deep nesting, lists that fan out exponentially,
// 200 seeded random mutations, and 50 MB hives.
import { describe, expect, it } from 'vitest';
import {
  controlSets,
  currentControlSet,
  HiveError,
  openHive,
  REG,
  type HiveLimits,
  type HiveProblem,
} from './index.js';
import { hasHivex, mergeReg, reg, seeded } from './test-helpers.js';
import { writeHive, type TreeKey } from './writer.js';

const dword = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff, 0, 0]);
const sz = (s: string) => Buffer.from(`${s}\0`, 'utf16le');

function baseTree(blob = 40000, services = 30): TreeKey {
  return {
    name: 'SYSTEM',
    subkeys: [
      { name: 'Select', values: [{ name: 'Current', type: REG.DWORD, data: dword(1) }] },
      {
        name: 'ControlSet001',
        subkeys: [
          {
            name: 'Services',
            subkeys: [
              {
                name: 'hy5.5',
                className: 'cls',
                values: [
                  { name: 'Type', type: REG.DWORD, data: dword(1) },
                  { name: 'ImagePath', type: REG.EXPAND_SZ, data: sz('\\??\\C:\\Windows\\Temp\\hy5.5.sys') },
                  { name: 'Blob', type: REG.BINARY, data: Buffer.alloc(blob, 0x41) },
                  { name: 'Multi', type: REG.MULTI_SZ, data: sz('a\0b\0') },
                  { name: 'Q', type: REG.QWORD, data: Buffer.alloc(8, 0x11) },
                ],
              },
              ...Array.from({ length: services }, (_, i) => ({
                name: `Svc${i}`,
                values: [{ name: 'Start', type: REG.DWORD, data: dword(i) }],
              })),
            ],
          },
        ],
      },
      { name: '中文', values: [{ name: '名', type: REG.SZ, data: sz('值') }] },
    ],
  };
}

const base = () => writeHive(baseTree(), { riChunk: 8 });

interface Outcome {
  error?: HiveError;
  problems: readonly HiveProblem[];
  keys: number;
  values: number;
  ms: number;
}

/** Opens and reads everything a collector might: walk, metadata, every typed decoding, lookups. */
function exercise(buf: Buffer, limits?: Partial<HiveLimits>): Outcome {
  const t0 = performance.now();
  try {
    const hive = openHive(buf, { name: 'hostile', limits });
    let keys = 0;
    let values = 0;
    for (const key of hive.walk()) {
      keys++;
      void [key.lastWritten, key.className, key.hasSecurity, key.isSymlink, key.subkeyCount];
      for (const v of key.values()) {
        values++;
        void [v.string(), v.strings(), v.number(), v.bigint(), v.bytes(), v.typeName];
      }
    }
    hive.lookup('ControlSet001\\Services\\hy5.5')?.value('ImagePath')?.string();
    currentControlSet(hive);
    controlSets(hive);
    return { problems: hive.problems, keys, values, ms: performance.now() - t0 };
  } catch (err) {
    if (!(err instanceof HiveError)) throw err;
    return { error: err, problems: [], keys: 0, values: 0, ms: performance.now() - t0 };
  }
}

const reasons = (o: Outcome) => [...new Set(o.problems.map((p) => p.reason))].sort();

/** Absolute position of a key's nk payload, for patching its fields. */
function nkAt(buf: Buffer, path: string): number {
  const key = openHive(buf, { name: 'patch' }).lookup(path);
  if (!key) throw new Error(`no key ${path}`);
  return key.offset + 4096 + 4;
}
const NK = { subkeyCount: 20, subkeyList: 28, valueCount: 36, valueList: 40, nameLength: 72 };
/** Absolute position of the cell payload at hive offset `rel`. */
const cellAt = (rel: number) => rel + 4096 + 4;

describe('files that are no hive at all: HiveError', () => {
  it.each([
    ['empty', Buffer.alloc(0), 'too-small'],
    ['a base block only', base().subarray(0, 4096), 'too-small'],
    ['another format', Buffer.concat([Buffer.from('MZ'), Buffer.alloc(9000)]), 'signature'],
    ['a base block and zeros', Buffer.concat([base().subarray(0, 4096), Buffer.alloc(8192)]), 'no-bins'],
  ])('%s', (_, buf, reason) => {
    expect(exercise(buf).error?.reason).toBe(reason);
  });

  it.each([
    ['far past the end', 0x7ffffff8],
    ['the no-cell marker', 0xffffffff],
    ['misaligned', 0x21],
    ['a cell that is not a key', -1],
  ])('root offset %s', (_, rootRel) => {
    const buf = base();
    // -1: the sk cell the writer puts first (hive offset 0x20).
    buf.writeUInt32LE(rootRel === -1 ? 0x20 : rootRel, 36);
    const o = exercise(buf);
    expect(o.error?.reason).toBe('root');
    expect(o.error?.message).toMatch(/^hostile: root key: /);
  });
});

describe('truncation', () => {
  it('cut at 160 offsets through the bins: an error or a partial read with problems, each fast', () => {
    const full = base();
    const whole = exercise(full);
    expect(whole.problems).toEqual([]);
    const cuts = new Set<number>([4096 + 31, 4096 + 32, 4096 + 40, 8192, 8192 + 1, full.length - 1]);
    for (let i = 1; i <= 154; i++) cuts.add(4096 + Math.floor(((full.length - 4096) * i) / 155));
    for (const cut of cuts) {
      const o = exercise(full.subarray(0, cut));
      expect(o.ms).toBeLessThan(1000);
      if (o.error) expect(['too-small', 'no-bins', 'root']).toContain(o.error.reason);
      else {
        expect(reasons(o)).toContain('truncated');
        expect(o.keys).toBeLessThanOrEqual(whole.keys);
      }
    }
  });
});

describe('loops', () => {
  it('an ri that lists itself', () => {
    const buf = base();
    const list = buf.readUInt32LE(nkAt(buf, 'ControlSet001\\Services') + NK.subkeyList);
    expect(buf.toString('latin1', cellAt(list), cellAt(list) + 2)).toBe('ri');
    buf.writeUInt32LE(list, cellAt(list) + 4); // first entry: the ri itself
    const o = exercise(buf);
    expect(reasons(o)).toEqual(['count', 'cycle']);
    // The other lists of the ri are still read.
    expect(o.keys).toBeGreaterThan(20);
  });

  it('a subkey list naming the key itself, its parent and the root', () => {
    const buf = base();
    const hive = openHive(buf, { name: 'x' });
    const svc = hive.lookup('ControlSet001\\Services\\hy5.5')!;
    const cs = hive.lookup('ControlSet001')!;
    // hy5.5 has no subkeys; give it a one-entry lh list (written over its class-name cell, which is
    // just big enough) pointing back up: at itself, its grandparent, the root.
    const classRel = buf.readUInt32LE(cellAt(svc.offset) + 48);
    for (const target of [svc.offset, cs.offset, hive.root().offset]) {
      const b = Buffer.from(buf);
      const list = cellAt(classRel);
      b.write('lh', list, 'latin1');
      b.writeUInt16LE(1, list + 2);
      b.writeUInt32LE(target, list + 4);
      b.writeUInt32LE(1, cellAt(svc.offset) + NK.subkeyCount);
      b.writeUInt32LE(classRel, cellAt(svc.offset) + NK.subkeyList);
      const o = exercise(b);
      expect(reasons(o)).toContain('cycle');
      expect(o.ms).toBeLessThan(1000);
    }
  });

  it('one key listed by two parents: walked once, a duplicate problem', () => {
    const buf = base();
    const hive = openHive(buf, { name: 'x' });
    const sel = hive.lookup('Select')!;
    // The root's list names ControlSet001 instead of 中文, so ControlSet001 has two list entries.
    const rootList = buf.readUInt32LE(cellAt(hive.root().offset) + NK.subkeyList);
    const entries = buf.readUInt16LE(cellAt(rootList) + 2);
    const cs = hive.lookup('ControlSet001')!.offset;
    for (let i = 0; i < entries; i++) {
      const e = cellAt(rootList) + 4 + i * 8;
      if (buf.readUInt32LE(e) !== cs && buf.readUInt32LE(e) !== sel.offset) buf.writeUInt32LE(cs, e);
    }
    const o = exercise(buf);
    expect(reasons(o)).toEqual(['duplicate']);
    expect(o.keys).toBe(exercise(base()).keys - 1);
  });
});

describe('absurd offsets, counts and sizes: a problem, the rest still read', () => {
  const cases: Array<[string, (b: Buffer) => void, string[]]> = [
    [
      'subkey list offset past the end',
      (b) => b.writeUInt32LE(0x7ffffff8, nkAt(b, 'ControlSet001') + NK.subkeyList),
      ['count', 'offset'],
    ],
    [
      'subkey count 0xffffffff',
      (b) => b.writeUInt32LE(0xffffffff, nkAt(b, 'ControlSet001\\Services') + NK.subkeyCount),
      ['count'],
    ],
    [
      'value count 0xffffffff',
      (b) => b.writeUInt32LE(0xffffffff, nkAt(b, 'ControlSet001\\Services\\hy5.5') + NK.valueCount),
      ['count'],
    ],
    [
      'value list offset misaligned',
      (b) => b.writeUInt32LE(0x1234567, nkAt(b, 'ControlSet001\\Services\\hy5.5') + NK.valueList),
      ['offset'],
    ],
    [
      'key name length 0xffff',
      (b) => b.writeUInt16LE(0xffff, nkAt(b, 'ControlSet001\\Services\\hy5.5') + NK.nameLength),
      ['name'],
    ],
    [
      'list entries naming a value cell',
      (b) => {
        const h = openHive(b, { name: 'x' });
        const svc = h.lookup('ControlSet001\\Services\\hy5.5')!;
        const vk = svc.values()[0]!.offset;
        const list = b.readUInt32LE(cellAt(h.lookup('ControlSet001')!.offset) + NK.subkeyList);
        b.writeUInt32LE(vk, cellAt(list) + 4);
      },
      ['signature'],
    ],
  ];

  it.each(cases)('%s', (_, patch, expected) => {
    const buf = base();
    patch(buf);
    const o = exercise(buf);
    expect(o.error).toBeUndefined();
    expect(reasons(o)).toEqual(expected);
    expect(o.keys).toBeGreaterThan(1);
    for (const p of o.problems) expect(p.detail).toBeTruthy();
  });

  /** The vk payload of value `name` of hy5.5. */
  const vkAt = (b: Buffer, name: string) =>
    cellAt(openHive(b, { name: 'x' }).lookup('ControlSet001\\Services\\hy5.5')!.value(name)!.offset);

  it('value data: size past the file, inline size over 4, data offset nowhere, db lying about segments', () => {
    const variants: Array<[(b: Buffer) => void, string]> = [
      [(b) => b.writeUInt32LE(0x7ffffff0, vkAt(b, 'ImagePath') + 4), 'data'],
      [(b) => b.writeUInt32LE(0x80000010, vkAt(b, 'Type') + 4), 'data'],
      [(b) => b.writeUInt32LE(0xfffffff8, vkAt(b, 'ImagePath') + 8), 'offset'],
      [(b) => b.writeUInt32LE(0xffffffff, vkAt(b, 'ImagePath') + 8), 'data'],
      [(b) => b.writeUInt32LE(0x7ffffff0, vkAt(b, 'Blob') + 4), 'data'],
      [
        (b) => {
          // The db claims 0xffff segments (its list holds 3), every one the first segment, for 2 GB.
          const db = cellAt(b.readUInt32LE(vkAt(b, 'Blob') + 8));
          const list = cellAt(b.readUInt32LE(db + 4));
          b.writeUInt16LE(0xffff, db + 2);
          b.writeUInt32LE(b.readUInt32LE(list), list + 4);
          b.writeUInt32LE(b.readUInt32LE(list), list + 8);
          b.writeUInt32LE(0x7ffffff0, vkAt(b, 'Blob') + 4);
        },
        'data',
      ],
    ];
    for (const [patch, reason] of variants) {
      const buf = base();
      patch(buf);
      const o = exercise(buf);
      expect(o.error).toBeUndefined();
      expect(reasons(o)).toContain(reason);
      expect(o.values).toBe(exercise(base()).values);
    }
  });
});

describe('nesting, fan-out and the work budget', () => {
  it('a 600-deep chain stops at the depth limit', () => {
    let leaf: TreeKey = { name: 'k599' };
    for (let i = 598; i >= 0; i--) leaf = { name: `k${i}`, subkeys: [leaf] };
    const o = exercise(writeHive({ name: 'R', subkeys: [leaf] }));
    expect(reasons(o)).toEqual(['depth']);
    expect(o.keys).toBe(513);
  });

  it('a list naming one key 200 times: one handle, a duplicate problem', () => {
    const buf = writeHive(
      {
        name: 'R',
        subkeys: [{ name: 'P', subkeys: Array.from({ length: 200 }, (_, j) => ({ name: `x${j}` })) }],
      },
      { list: 'li' },
    );
    const p = openHive(buf, { name: 'x' }).root().subkey('P')!;
    const list = cellAt(buf.readUInt32LE(cellAt(p.offset) + NK.subkeyList));
    for (let e = 1; e < 200; e++) buf.writeUInt32LE(buf.readUInt32LE(list + 4), list + 4 + e * 4);
    const o = exercise(buf);
    expect(o.keys).toBe(3);
    expect(reasons(o)).toEqual(['duplicate']);
  });

  it('pairs of keys each listing both keys of the next level (2^40 paths): walk visits each once', () => {
    // A(i) lists A(i+1) and B(i+1); B(i) is written with two leaves, then its list is pointed at
    // A(i+1) and B(i+1) too, so every key below level i is reachable along 2^i paths.
    const levels = 40;
    let a: TreeKey = { name: 'A' };
    let b: TreeKey = { name: 'B' };
    for (let i = levels - 1; i >= 0; i--) {
      [a, b] = [
        { name: 'A', subkeys: [a, b] },
        { name: 'B', subkeys: [{ name: 'x' }, { name: 'y' }] },
      ];
    }
    const buf = writeHive({ name: 'R', subkeys: [a, b] });
    let hive = openHive(buf, { name: 'x' });
    let [ka, kb] = [hive.root().subkey('A')!, hive.root().subkey('B')!];
    for (let i = 0; i < levels; i++) {
      const [na, nb] = [ka.subkey('A')!, ka.subkey('B')!];
      const list = cellAt(buf.readUInt32LE(cellAt(kb.offset) + NK.subkeyList));
      buf.writeUInt32LE(na.offset, list + 4);
      buf.writeUInt32LE(nb.offset, list + 12);
      [ka, kb] = [na, nb];
    }
    const o = exercise(buf);
    expect(o.keys).toBe(1 + 2 * (levels + 1));
    expect(reasons(o)).toEqual(['duplicate']);
    // A collector recursing on subkeys() by itself is stopped by the budget instead.
    hive = openHive(buf, { name: 'naive', limits: { maxWork: 200_000 } });
    const t0 = performance.now();
    let visits = 0;
    const recurse = (k: ReturnType<typeof hive.root>) => {
      visits++;
      for (const c of k.subkeys()) recurse(c);
    };
    recurse(hive.root());
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(hive.exhausted).toBe(true);
    expect(hive.problems.map((p) => p.reason)).toContain('budget');
    expect(visits).toBeGreaterThan(levels);
  });

  it('a small budget ends the read early with one budget problem', () => {
    const o = exercise(base(), { maxWork: 40 });
    expect(reasons(o)).toEqual(['budget']);
    expect(o.keys).toBeLessThan(exercise(base()).keys);
  });

  it('problems past maxProblems are counted, not kept', () => {
    const buf = base();
    const h = openHive(buf, { name: 'x' });
    for (const k of h.lookup('ControlSet001\\Services')!.subkeys())
      buf.writeUInt32LE(0xfffffff8, cellAt(k.offset) + NK.valueList);
    const hive = openHive(buf, { name: 'x', limits: { maxProblems: 5 } });
    for (const k of hive.walk()) k.values();
    expect(hive.problems).toHaveLength(5);
    expect(hive.problemsDropped).toBe(26);
  });
});

/** One seeded mutation: a few bytes, dwords set to telling values, a cell size, or a cut. */
function mutate(src: Buffer, rnd: () => number): Buffer {
  const buf = Buffer.from(src);
  const pos = (align = 1) => 4096 + Math.floor((rnd() * (buf.length - 4100)) / align) * align;
  const kind = Math.floor(rnd() * 5);
  const n = 1 + Math.floor(rnd() * 12);
  const telling = [0, 1, 0xffffffff, 0x7fffffff, 0x80000000, 0x80000004, 0xfff8, 0x20, buf.length - 4096];
  for (let i = 0; i < n; i++) {
    if (kind === 0) buf[pos()] = Math.floor(rnd() * 256);
    else if (kind === 1) buf.writeUInt32LE(telling[Math.floor(rnd() * telling.length)]! >>> 0, pos(4));
    else if (kind === 2) buf.writeUInt32LE(Math.floor(rnd() * (buf.length - 4096)) & ~7, pos(4));
    else if (kind === 3) buf.writeInt32LE(-8 * Math.floor(rnd() * 4000), pos(8));
    else return buf.subarray(0, pos());
  }
  if (rnd() < 0.1) buf.writeUInt32LE(Math.floor(rnd() * 2 ** 32), 36); // the root offset too
  return buf;
}

describe('fuzz', () => {
  function fuzz(src: Buffer, count: number, seed: number) {
    const rnd = seeded(seed);
    const tally = { errors: 0, withProblems: 0, clean: 0, slowest: 0 };
    for (let i = 0; i < count; i++) {
      const o = exercise(mutate(src, rnd));
      tally.slowest = Math.max(tally.slowest, o.ms);
      if (o.error) tally.errors++;
      else if (o.problems.length) tally.withProblems++;
      else tally.clean++;
    }
    return tally;
  }

  it('200 seeded mutations of a hive with db, ri and UTF-16 names: HiveError or problems, each fast', () => {
    // Mostly structure (a smaller big-data value), so most mutations land on something to notice.
    const t = fuzz(writeHive(baseTree(17000, 100), { riChunk: 8 }), 200, 0x5eed);
    expect(t.errors + t.withProblems + t.clean).toBe(200);
    expect(t.slowest).toBeLessThan(1000);
    // Most mutations must be noticed rather than silently absorbed.
    expect(t.withProblems + t.errors).toBeGreaterThan(100);
  });

  it.skipIf(!hasHivex)('50 seeded mutations of a hive hivexregedit wrote', () => {
    const prefix = 'HKEY_LOCAL_MACHINE\\SOFTWARE';
    const text = Array.from(
      { length: 40 },
      (_, i) =>
        `[${prefix}\\K${i}]\n"v"=${reg.sz(`value ${i}`)}\n"d"=${reg.dword(i)}\n"b"=${reg.binary(Buffer.alloc(i * 10, i))}`,
    ).join('\n\n');
    const t = fuzz(mergeReg(text, prefix), 50, 0xbeef);
    expect(t.slowest).toBeLessThan(1000);
  });
});

describe('50 MB hives', () => {
  /** About 50 MB: 1,000 services each holding a 50 KB big-data value and a few small ones. */
  function bigTree(): TreeKey {
    return {
      name: 'SYSTEM',
      subkeys: Array.from({ length: 1000 }, (_, i) => ({
        name: `Svc${i}`,
        values: [
          { name: 'ImagePath', type: REG.EXPAND_SZ, data: sz(`C:\\x\\${i}.sys`) },
          { name: 'Blob', type: REG.BINARY, data: Buffer.alloc(50_000, i & 0xff) },
        ],
      })),
    };
  }

  it('a valid one is read whole, fast', () => {
    const buf = writeHive(bigTree());
    expect(buf.length).toBeGreaterThan(50_000_000);
    const o = exercise(buf);
    expect(o.problems).toEqual([]);
    expect(o.keys).toBe(1001);
    expect(o.ms).toBeLessThan(5000);
  });

  it('one with 2,000 dwords overwritten, and one whose cells after the first bin are noise', () => {
    const rnd = seeded(50);
    const a = writeHive(bigTree());
    for (let i = 0; i < 2000; i++)
      a.writeUInt32LE(Math.floor(rnd() * 2 ** 32), 4096 + Math.floor(rnd() * (a.length - 4100)));
    // Bin headers kept, everything between them noise (xorshift32: fast and the same every run).
    const b = writeHive(bigTree());
    const headers = [];
    for (let at = 4096; at < b.length; at += 4096)
      if (b.toString('latin1', at, at + 4) === 'hbin') headers.push(at);
    const saved = headers.map((at) => Buffer.from(b.subarray(at, at + 32)));
    const words = new Uint32Array(b.buffer, b.byteOffset + 8192, (b.length - 8192) >> 2);
    let x = 2463534242;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    headers.forEach((at, i) => saved[i]!.copy(b, at));
    for (const buf of [a, b]) {
      const o = exercise(buf);
      expect(o.ms).toBeLessThan(5000);
      expect(o.error !== undefined || o.problems.length > 0).toBe(true);
    }
  });
});
