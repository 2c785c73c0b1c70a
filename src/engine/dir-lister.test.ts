// Tests for the directory lister: the native addon (native/dirstat.c, built by `npm run build`) and
// Node's readdir + lstat give the same listing entry for entry (kinds, names, a name that is not
// UTF-8 kept as bytes, ELOOP for a symlink loop), the stat fields equal Node's own lstat (the scan
// cache compares them with ===), errors of missing, non-directory and unreadable directories come
// back as Node's errors would, and the entry budget cuts a batch short. Under an offline root a
// symlink's loop check, and the addon's opening of a directory, resolve inside the root (with
// openat2 and with the component-by-component fallback), never on this machine.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statfsSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childPath,
  dirLister,
  nodeDirLister,
  type DirLister,
  type DirListing,
  type Listing,
  type Vouch,
} from './dir-lister.js';
import { FileIndex, indexHash } from './file-index.js';

let dir: string;
let tree: string;
let server: net.Server;
const NOT_UTF8 = Buffer.from([0x66, 0xff, 0xfe, 0x2e, 0x73, 0x68]); // "f\xff\xfe.sh"

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-dir-lister-'));
  tree = path.join(dir, 'tree');
  mkdirSync(path.join(tree, 'sub'), { recursive: true });
  writeFileSync(path.join(tree, 'plain.txt'), 'hello\n');
  writeFileSync(path.join(tree, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(tree, 'empty'), '');
  // Times with a fraction of a millisecond, and one before 1970 (negative seconds).
  writeFileSync(path.join(tree, 'old'), 'x');
  utimesSync(path.join(tree, 'old'), new Date(-1500), new Date(-1500));
  writeFileSync(path.join(tree, 'fraction'), 'y');
  utimesSync(path.join(tree, 'fraction'), 1_700_000_000.123456, 1_700_000_000.987654);
  writeFileSync(Buffer.concat([Buffer.from(`${tree}/`), NOT_UTF8]), 'bytes\n');
  symlinkSync('plain.txt', path.join(tree, 'link'));
  symlinkSync('nowhere', path.join(tree, 'dangling'));
  symlinkSync('loop-b', path.join(tree, 'loop-a'));
  symlinkSync('loop-a', path.join(tree, 'loop-b'));
  execFileSync('mkfifo', [path.join(tree, 'fifo')]);
  server = net.createServer();
  await new Promise<void>((resolve) => server.listen(path.join(tree, 'sock'), resolve));
  for (const name of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) {
    mkdirSync(path.join(dir, 'many', name), { recursive: true });
    for (let i = 0; i < 5; i++) writeFileSync(path.join(dir, 'many', name, `f${i}`), 'z');
  }
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

interface Seen {
  name: string;
  kind: string;
  stat?: { dev: number; ino: number; size: number; mode: number; mtimeMs: number; ctimeMs: number };
  error?: string;
}

/** A listing as plain data: names that are not UTF-8 as hex, errors as their code. */
function seen(dirPath: string | Buffer, listing: Listing): Seen[] | string {
  if (listing instanceof Error) return (listing as NodeJS.ErrnoException).code ?? listing.message;
  const l: DirListing = listing;
  return Array.from({ length: l.length }, (_, i) => {
    const name = l.name(i);
    const entry: Seen = {
      name: typeof name === 'string' ? name : `hex:${name.toString('hex')}`,
      kind: l.kind(i),
    };
    if (l.hasStat(i))
      entry.stat = {
        dev: l.dev(i),
        ino: l.ino(i),
        size: l.size(i),
        mode: l.mode(i),
        mtimeMs: l.mtimeMs(i),
        ctimeMs: l.ctimeMs(i),
      };
    const error = l.error(i) as NodeJS.ErrnoException | undefined;
    if (error) {
      entry.error = error.code;
      expect(error.message).toContain(String(childPath(dirPath, name)));
    }
    return entry;
  });
}

const listers: [string, DirLister][] = [
  ['native', dirLister()],
  ['node', nodeDirLister],
];

describe('directory lister', () => {
  it('is the native addon here (npm run build compiles it on Linux)', () => {
    if (process.platform === 'linux') expect(dirLister().native).toBe(true);
  });

  it.each(listers)('%s: lists every kind of entry with the stat Node gives', (_, lister) => {
    const [listing] = lister.list([tree], 1e9);
    const entries = seen(tree, listing as Listing);
    if (typeof entries === 'string') throw new Error(entries);
    const byName = new Map(entries.map((e) => [e.name, e]));
    expect(entries.map((e) => e.name)).toEqual(
      [...entries.map((e) => e.name)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    expect(Object.fromEntries(entries.map((e) => [e.name, e.kind]))).toEqual({
      dangling: 'symlink',
      empty: 'file',
      fifo: 'fifo',
      fraction: 'file',
      [`hex:${NOT_UTF8.toString('hex')}`]: 'file',
      link: 'symlink',
      'loop-a': 'symlink',
      'loop-b': 'symlink',
      old: 'file',
      'plain.txt': 'file',
      'run.sh': 'file',
      sock: 'socket',
      sub: 'dir',
    });
    // The same numbers Node's own lstat gives, to the last bit: the cache compares with ===.
    for (const name of ['empty', 'old', 'fraction', 'plain.txt', 'run.sh', 'sub']) {
      const st = lstatSync(path.join(tree, name));
      expect(byName.get(name)?.stat, name).toEqual({
        dev: st.dev,
        ino: st.ino,
        size: st.size,
        mode: st.mode,
        mtimeMs: st.mtimeMs,
        ctimeMs: st.ctimeMs,
      });
    }
    expect(byName.get('old')?.stat?.mtimeMs).toBe(-1500);
    // Symlinks are not stat-ed; following them tells a loop from a dangling link.
    expect(byName.get('link')).toEqual({ name: 'link', kind: 'symlink' });
    expect(byName.get('loop-a')?.error).toBe('ELOOP');
    expect(byName.get('dangling')?.error).toBe('ENOENT');
    expect(byName.get('fifo')?.stat).toBeUndefined();
  });

  it('gives the same listing natively and with Node', () => {
    const [native] = dirLister().list([tree], 1e9);
    const [node] = nodeDirLister.list([tree], 1e9);
    expect(seen(tree, native as Listing)).toEqual(seen(tree, node as Listing));
  });

  it.each(listers)('%s: leaves out and counts the files a vouch holds clean and unchanged', (_, lister) => {
    const st = (name: string) => lstatSync(path.join(tree, name));
    const index = new FileIndex();
    const put = (name: string | Buffer, result: Buffer, mtimeShift = 0): void => {
      const s = lstatSync(
        typeof name === 'string' ? path.join(tree, name) : Buffer.concat([Buffer.from(`${tree}/`), name]),
      );
      index.set(
        { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs + mtimeShift, ctimeMs: s.ctimeMs },
        result,
      );
    };
    const clean = Buffer.alloc(0);
    for (const name of ['plain.txt', 'old', 'empty', 'sub']) put(name, clean);
    put(NOT_UTF8, clean);
    put('run.sh', Buffer.from([3, 0])); // something was found in it
    put('fraction', clean, 0.001); // changed since it was scanned
    const vouch = (keepNames: string[], keepSuffixes: string[]): Vouch => ({
      ...index.arrays(),
      maxSize: 1e9,
      keepNames,
      keepSuffixes,
    });
    const names = (listing: Listing | undefined): string[] => {
      const entries = seen(tree, listing as Listing);
      if (typeof entries === 'string') throw new Error(entries);
      return entries.map((e) => e.name);
    };
    const all = names(lister.list([tree], 1e9)[0]);

    const [listing] = lister.list([tree], 1e9, vouch([], []));
    // Left out: the regular, non-empty files in the index in their state with nothing found.
    const left = [`hex:${NOT_UTF8.toString('hex')}`, 'old', 'plain.txt'];
    expect(names(listing)).toEqual(all.filter((n) => !left.includes(n)));
    expect((listing as DirListing).unchangedFiles).toBe(3);
    expect((listing as DirListing).unchangedBytes).toBe(st('plain.txt').size + st('old').size + 6);

    // Kept by name, and by ending unless the file has an exec bit.
    const kept = lister.list([tree], 1e9, vouch(['old'], ['.txt']))[0];
    expect(names(kept)).toEqual(all.filter((n) => n !== left[0]));
    expect((kept as DirListing).unchangedFiles).toBe(1);
  });

  it('vouches alike natively and with Node', () => {
    const index = new FileIndex();
    for (const name of ['plain.txt', 'run.sh', 'old', 'fraction']) {
      const s = lstatSync(path.join(tree, name));
      index.set(
        { dev: s.dev, ino: s.ino, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs },
        Buffer.alloc(0),
      );
    }
    const cases: [Vouch, string[]][] = [
      // run.sh ends in .sh but has an exec bit; plain.txt ends in .txt and has none.
      [
        { ...index.arrays(), maxSize: 1e9, keepNames: ['old'], keepSuffixes: ['.sh', '.txt'] },
        ['fraction', 'run.sh'],
      ],
      // plain.txt (6 bytes) and run.sh (10) are over the limit.
      [{ ...index.arrays(), maxSize: 5, keepNames: [], keepSuffixes: [] }, ['fraction', 'old']],
    ];
    for (const [vouch, left] of cases) {
      const [native] = dirLister().list([tree], 1e9, vouch);
      const [node] = nodeDirLister.list([tree], 1e9, vouch);
      const nativeSeen = seen(tree, native as Listing);
      expect(nativeSeen).toEqual(seen(tree, node as Listing));
      if (typeof nativeSeen === 'string') throw new Error(nativeSeen);
      for (const name of left) expect(nativeSeen.map((e) => e.name)).not.toContain(name);
      expect((native as DirListing).unchangedFiles).toBe(left.length);
      expect((node as DirListing).unchangedFiles).toBe(left.length);
      expect((native as DirListing).unchangedBytes).toBe((node as DirListing).unchangedBytes);
    }
  });

  it.each(listers)('%s: reports a missing directory and a file as errors, in order', (_, lister) => {
    const missing = path.join(dir, 'missing');
    const file = path.join(tree, 'plain.txt');
    const out = lister.list([missing, file, tree], 1e9);
    expect(out).toHaveLength(3);
    expect((out[0] as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect((out[0] as Error).message).toContain(missing);
    expect((out[1] as NodeJS.ErrnoException).code).toBe('ENOTDIR');
    expect(out[2]).not.toBeInstanceOf(Error);
  });

  it.each(listers)(
    '%s: stops a batch once the entry budget is spent, never before the first',
    (_, lister) => {
      const dirs = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((n) => path.join(dir, 'many', n));
      // Each thread finishes the directory it took: at most one per thread past the budget.
      const threads = lister.native ? Math.min(8, os.availableParallelism()) : 1;
      const cut = lister.list(dirs, 1);
      expect(cut.length).toBeGreaterThanOrEqual(1);
      expect(cut.length).toBeLessThanOrEqual(threads);
      const all = lister.list(dirs, 1e9);
      expect(all.map((l) => (l instanceof Error ? -1 : l.length))).toEqual([5, 5, 5, 5, 5, 5, 5, 5]);
    },
  );

  it('lists hostile directories and reads whole files with no memory error under AddressSanitizer and UBSan', () => {
    const harness = path.join(dir, 'dirstat-harness');
    const source = fileURLToPath(new URL('../../native/dirstat-harness.c', import.meta.url));
    execFileSync('cc', [
      ...[
        '-g',
        '-O1',
        '-fsanitize=address,undefined',
        '-fno-sanitize-recover=all',
        '-fno-omit-frame-pointer',
      ],
      ...['-o', harness, source, '-lpthread'],
    ]);
    const wide = path.join(dir, 'wide');
    mkdirSync(wide);
    for (let i = 0; i < 20_000; i++) writeFileSync(path.join(wide, `entry-${i}-${'x'.repeat(i % 200)}`), '');
    mkdirSync(path.join(dir, 'empty-dir'));
    const dirs = [
      tree,
      wide,
      path.join(dir, 'empty-dir'),
      '/proc/self/fd',
      '/dev',
      path.join(dir, 'missing'),
      path.join(tree, 'plain.txt'),
    ];
    for (const [threads, budget] of [
      ['2', '1000000000'],
      ['2', '1'],
      ['1', '100'],
    ] as const) {
      const r = spawnSync(harness, [threads, budget, ...dirs], { encoding: 'utf8' });
      expect(r.stderr, `threads ${threads} budget ${budget}`).toBe('');
      expect(r.status).toBe(0);
      if (budget === '1000000000') {
        expect(r.stdout).toContain(`${wide}: 20000\n`);
        expect(r.stdout).toContain(`${path.join(dir, 'empty-dir')}: 0\n`);
        expect(r.stdout).toContain(`${tree}: 13\n`);
        expect(r.stdout).toMatch(/listed 7 entries \d+ errors 2\n/);
      }
    }
    // On ext4 one getdents64 call lists a directory whose entries fit in its buffer: the last
    // entry's position says the listing reached the end. Elsewhere it reads until a call returns 0.
    const small = [tree, path.join(dir, 'empty-dir'), path.join(tree, 'sub')];
    const oneRead = spawnSync(harness, ['2', '1000000000', ...small], { encoding: 'utf8' });
    const ext4 = small.every((d) => statfsSync(d).type === 0xef53);
    expect(oneRead.stdout).toContain(`listed 3 entries 13 errors 0\nreads ${ext4 ? 3 : 6}\n`);
    // Entering directories by itself below those (the harness's stop and hold names, /proc and /sys
    // as stop paths): the same hostile directories, the whole of this test's directory, and a cut.
    for (const budget of ['1000000000', '1']) {
      const r = spawnSync(harness, ['--descend', '2', budget, ...dirs, dir], { encoding: 'utf8' });
      expect(r.stderr, `descend budget ${budget}`).toBe('');
      expect(r.status).toBe(0);
      if (budget === '1') expect(r.stdout).toContain('entered 0\n');
      else expect(r.stdout).toContain(`${path.join(tree, 'sub')}: 0\n`);
    }
    // The vouch path: an index built in C from a first listing, then a listing against it that
    // keeps the name keep-me and the ending .tgz (in any case, unless the file has an exec bit).
    // Vouched: tree's non-empty regular files, plain.txt (6), run.sh (10), old (1), fraction (1)
    // and f\xff\xfe.sh (6), and here b.tgz and c.bin (3 each).
    const rules = path.join(dir, 'vouch-rules');
    mkdirSync(rules);
    for (const name of ['keep-me', 'A.TGZ', 'c.bin']) writeFileSync(path.join(rules, name), 'abc');
    writeFileSync(path.join(rules, 'b.tgz'), 'abc', { mode: 0o755 });
    const vouched = spawnSync(harness, ['--vouch', '2', ...dirs.filter((d) => d.startsWith(dir)), rules], {
      encoding: 'utf8',
    });
    expect(vouched.stderr).toBe('');
    expect(vouched.stdout).toMatch(/^vouched 7 files 30 bytes, \d+ records, 7 entries used\n$/);
    // The same hash as file-index.ts, for devices and inodes past 32 and 53 bits.
    const pairs = [
      [2049, 12345],
      [0, 0],
      [4294967295, 4294967296],
      [2 ** 40 + 7, 2 ** 53 + 2],
      [2 ** 64, 2 ** 64],
      [66306, 2 ** 64 - 2 ** 11], // the largest inode below 2^64 a double holds
    ];
    const hashes = spawnSync(harness, ['--hash', ...pairs.flat().map((n) => BigInt(n).toString())], {
      encoding: 'utf8',
    });
    expect(hashes.stderr).toBe('');
    expect(hashes.stdout.trim().split('\n').map(Number)).toEqual(
      pairs.map(([d, i]) => indexHash(d as number, i as number) >>> 0),
    );
    // Confined to a root, with openat2 and with the component-by-component fallback: links that
    // loop, climb, restart at the root, run long, and a directory path that is itself a link.
    const disk = path.join(dir, 'asan-disk');
    mkdirSync(path.join(disk, 'etc', 'd'), { recursive: true });
    const links: [string, string][] = [
      ['loop-a', 'loop-b'],
      ['loop-b', 'loop-a'],
      ['abs', '/etc/d'],
      ['climb', '../../../../../..'],
      ['chain', 'abs/../climb/etc/./abs'],
      ['long', `${'x/'.repeat(2000)}..`],
      ['self', '/etc/self'],
    ];
    for (const [name, target] of links) symlinkSync(target, path.join(disk, 'etc', name));
    for (const openat2 of ['1', '0']) {
      const r = spawnSync(
        harness,
        ['--root', disk, path.join(disk, 'etc'), disk, path.join(disk, 'etc', 'abs')],
        {
          encoding: 'utf8',
          env: { ...process.env, MINEHUNTER_DIRSTAT_OPENAT2: openat2 },
        },
      );
      expect(r.stderr, `openat2 ${openat2}`).toBe('');
      expect(r.stdout).toContain(`${disk}/etc/loop-a: errno ${os.constants.errno.ELOOP}\n`);
      expect(r.stdout).toContain(`${disk}/etc/self: errno ${os.constants.errno.ELOOP}\n`);
      expect(r.stdout).toContain(`${disk}/etc/abs: errno 0\n`);
      expect(r.stdout).toContain(`${disk}/etc/climb: errno 0\n`);
      expect(r.stdout).toContain(`${disk}/etc/chain: errno 0\n`);
      expect(r.stdout).toContain('symlinks 7\n');
    }
    // The whole-file reader (readwhole.c), on files below and above its huge-page size, an empty
    // one, a directory and a missing file.
    const reads = [0, 7, 1024 * 1024, 3 * 1024 * 1024 + 1].map((size) => {
      const file = path.join(dir, `asan-read-${size}`);
      writeFileSync(file, Buffer.alloc(size, 0xa5));
      return { file, line: `${file}: ${size} ${(size * 0xa5) % 2 ** 32}` };
    });
    const read = spawnSync(harness, ['--read', ...reads.map((r) => r.file), dir, path.join(dir, 'missing')], {
      encoding: 'utf8',
    });
    expect(read.stderr).toBe('');
    expect(read.stdout.trim().split('\n')).toEqual([
      ...reads.map((r) => r.line),
      `${dir}: errno ${os.constants.errno.EISDIR}`,
      `${path.join(dir, 'missing')}: errno ${os.constants.errno.ENOENT}`,
    ]);
  });

  it('under a root, follows symlinks for the loop check inside the root with every lister', () => {
    const disk = path.join(dir, 'disk');
    const mine = path.join(dir, 'analyst');
    mkdirSync(path.join(disk, 'etc'), { recursive: true });
    mkdirSync(path.join(disk, 'data'), { recursive: true });
    mkdirSync(mine, { recursive: true });
    symlinkSync(path.join(mine, 'loop'), path.join(mine, 'loop')); // a loop on this machine only
    symlinkSync(path.join(mine, 'loop'), path.join(disk, 'etc', 'host-loop'));
    symlinkSync('/etc/disk-loop', path.join(disk, 'etc', 'disk-loop')); // a loop on the disk only
    symlinkSync('/data', path.join(disk, 'etc', 'abs-in'));
    symlinkSync('../../../../../../data', path.join(disk, 'etc', 'climb-in'));
    symlinkSync(mine, path.join(disk, 'etc', 'abs-out'));
    const errors = (lister: DirLister, root?: string): Record<string, string> => {
      const listing = lister.list([path.join(disk, 'etc')], 1e9, undefined, root)[0] as DirListing;
      return Object.fromEntries(
        Array.from({ length: listing.length }, (_, i) => [
          String(listing.name(i)),
          (listing.error(i) as NodeJS.ErrnoException | undefined)?.code ?? 'ok',
        ]),
      );
    };
    const confined = {
      'abs-in': 'ok',
      'abs-out': 'ENOENT',
      'climb-in': 'ok',
      'disk-loop': 'ELOOP',
      'host-loop': 'ENOENT',
    };
    for (const lister of [dirLister(), nodeDirLister]) expect(errors(lister, disk)).toEqual(confined);
    process.env.MINEHUNTER_DIRSTAT_OPENAT2 = '0';
    try {
      expect(errors(dirLister(), disk)).toEqual(confined);
    } finally {
      delete process.env.MINEHUNTER_DIRSTAT_OPENAT2;
    }
    // Without a root the same links are followed on this machine: what the root mode prevents.
    expect(errors(dirLister())).toMatchObject({
      'host-loop': 'ELOOP',
      'disk-loop': 'ENOENT',
      'abs-out': 'ok',
    });
  });

  it('under a root, the addon opens a directory inside it even when its path became a link', () => {
    const disk = path.join(dir, 'disk2');
    const mine = path.join(dir, 'analyst2');
    mkdirSync(path.join(disk, 'data', 'opt'), { recursive: true });
    mkdirSync(mine, { recursive: true });
    writeFileSync(path.join(mine, 'tool'), 'mine');
    writeFileSync(path.join(disk, 'data', 'opt', 'app'), 'theirs');
    // As if swapped for links between the walker's lstat and the listing.
    symlinkSync(mine, path.join(disk, 'opt'));
    symlinkSync('/data/opt', path.join(disk, 'srv'));
    const list = (d: string): string | string[] => {
      const l = dirLister().list([path.join(disk, d)], 1e9, undefined, disk)[0] as Listing;
      if (l instanceof Error) return (l as NodeJS.ErrnoException).code ?? l.message;
      return Array.from({ length: l.length }, (_, i) => String(l.name(i)));
    };
    expect([list('opt'), list('srv')]).toEqual(['ENOENT', ['app']]);
    process.env.MINEHUNTER_DIRSTAT_OPENAT2 = '0';
    try {
      // Without openat2 the last component is not followed at all.
      expect([list('opt'), list('srv')]).toEqual(['ENOTDIR', 'ENOTDIR']);
    } finally {
      delete process.env.MINEHUNTER_DIRSTAT_OPENAT2;
    }
  });

  it('reports an unreadable directory as EACCES with both listers', () => {
    const locked = path.join(dir, 'locked');
    mkdirSync(locked, { recursive: true });
    writeFileSync(path.join(locked, 'x'), 'x');
    chmodSync(locked, 0);
    try {
      // Root reads anything: the child runs without the capabilities that let it.
      const module = fileURLToPath(new URL('../../dist/engine/dir-lister.js', import.meta.url));
      const script = `const m = await import(${JSON.stringify(module)});
        const codes = [m.dirLister(), m.nodeDirLister].map((l) => l.list([${JSON.stringify(locked)}], 10)[0].code);
        console.log(JSON.stringify(codes));`;
      const r = spawnSync(
        'setpriv',
        [
          '--bounding-set=-dac_override,-dac_read_search',
          '--',
          process.execPath,
          '--input-type=module',
          '-e',
          script,
        ],
        { encoding: 'utf8' },
      );
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual(['EACCES', 'EACCES']);
    } finally {
      chmodSync(locked, 0o755);
    }
  });
});
