// Tests for dpkg as an ownership source on a fake Debian root built here: the info directory is listed
// once for preload, mapped-library records and binary integrity alike, yet a package installed or
// removed between two looks at the same target is seen; lists bigger than the shared read buffer and
// the name-order rule (the first package listing a path owns it) hold.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TargetFs } from '../../../target/fs.js';
import { CollectorLog } from '../../support.js';
import {
  dpkgInfoNames,
  dpkgRecords,
  isMd5sumsHits,
  MD5SUMS_FORMAT,
  md5sumsFor,
  md5sumsSignature,
  readDpkgLists,
} from './dpkg.js';
import { StampCache } from '../../../util/stamp-cache.js';
import { setDerivedCacheDir } from '../../../util/derived-cache.js';
import { hashSpan, holdsAny, lineHashes } from './dpkg-index.js';

let root: string;
let info: string;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-dpkg-'));
  info = path.join(root, 'var/lib/dpkg/info');
  mkdirSync(info, { recursive: true });
});

afterEach(() => {
  setDerivedCacheDir(undefined);
  rmSync(root, { recursive: true, force: true });
});

const log = () => new CollectorLog('linux.preload', ['preload']);

describe('dpkg info directory', () => {
  it('sees a package installed and one removed between two looks at the same target', async () => {
    const fs = new TargetFs(root);
    writeFileSync(path.join(info, 'libfoo1:amd64.list'), '/.\n/usr\n/usr/lib/libfoo.so.1\n');
    expect(dpkgInfoNames(fs)).toEqual(['libfoo1:amd64.list']);
    const first = await readDpkgLists(fs, log());
    expect([...first!.ownersOf(['/usr/lib/libfoo.so.1', '/usr/lib/libbar.so.2'])]).toEqual([
      ['/usr/lib/libfoo.so.1', 'libfoo1'],
    ]);

    // dpkg writes a new list next to the others and renames it into place.
    writeFileSync(path.join(info, 'libbar2.list-new'), '/usr/lib/libbar.so.2\n');
    rmSync(path.join(info, 'libfoo1:amd64.list'));
    renameSync(path.join(info, 'libbar2.list-new'), path.join(info, 'libbar2.list'));
    expect(dpkgInfoNames(fs)).toEqual(['libbar2.list']);
    const second = await readDpkgLists(fs, log());
    expect([...second!.ownersOf(['/usr/lib/libfoo.so.1', '/usr/lib/libbar.so.2'])]).toEqual([
      ['/usr/lib/libbar.so.2', 'libbar2'],
    ]);
  });

  it('reads lists larger than its read buffer whole, and the first package by name owns a path', async () => {
    const fs = new TargetFs(root);
    // 1 MiB of other paths before the wanted line: past the shared buffer's first size.
    const filler = Array.from({ length: 20_000 }, (_, i) => `/usr/share/doc/big/file-${i}.txt`).join('\n');
    writeFileSync(path.join(info, 'zz-big.list'), `${filler}\n/usr/lib/x86_64-linux-gnu/libz.so.1\n`);
    writeFileSync(path.join(info, 'aa-first.list'), '/usr/bin/tool\n');
    writeFileSync(path.join(info, 'bb-second.list'), '/usr/bin/tool\n');
    // A list naming /lib/… answers for the /usr/lib/… spelling a process maps (merged /usr).
    writeFileSync(path.join(info, 'libc6:amd64.list'), '/lib/x86_64-linux-gnu/libc.so.6\n');
    const lists = await readDpkgLists(fs, log());
    const owners = lists!.ownersOf([
      '/usr/lib/x86_64-linux-gnu/libz.so.1',
      '/usr/bin/tool',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
    ]);
    expect(Object.fromEntries(owners)).toEqual({
      '/usr/lib/x86_64-linux-gnu/libz.so.1': 'zz-big',
      '/usr/bin/tool': 'aa-first',
      '/usr/lib/x86_64-linux-gnu/libc.so.6': 'libc6',
    });
  });

  it('finds the md5sums of the owners through the same listing', async () => {
    const fs = new TargetFs(root);
    writeFileSync(path.join(info, 'libfoo1:amd64.list'), '/usr/lib/libfoo.so.1\n');
    writeFileSync(
      path.join(info, 'libfoo1:amd64.md5sums'),
      '0123456789abcdef0123456789abcdef  usr/lib/libfoo.so.1\n',
    );
    const records = await dpkgRecords(fs, new Map([['/usr/lib/libfoo.so.1', 'libfoo1']]), log());
    expect(records.get('/usr/lib/libfoo.so.1')).toEqual({
      pkg: 'libfoo1',
      listed: '/usr/lib/libfoo.so.1',
      md5: '0123456789abcdef0123456789abcdef',
    });
  });

  it('has no lists on a root without dpkg, and says nothing about it', async () => {
    rmSync(path.join(root, 'var'), { recursive: true });
    const l = log();
    expect(await readDpkgLists(new TargetFs(root), l)).toBeUndefined();
    expect(l.errorCount).toBe(0);
  });

  it('answers the same from its list index as from the lists, through edits, removals and a bad index', async () => {
    const cache = path.join(root, 'cache');
    const filler = Array.from({ length: 2_000 }, (_, i) => `/usr/share/doc/a/f-${i}`).join('\n');
    writeFileSync(path.join(info, 'aa-first.list'), `${filler}\n/usr/bin/tool\n`);
    writeFileSync(path.join(info, 'bb-second.list'), '/usr/bin/tool\n/usr/lib/libb.so.1\n');
    writeFileSync(path.join(info, 'libc6:amd64.list'), '/lib/x86_64-linux-gnu/libc.so.6\n');
    const wanted = [
      '/usr/bin/tool',
      '/usr/lib/libb.so.1',
      '/usr/lib/x86_64-linux-gnu/libc.so.6',
      '/opt/x.so',
    ];
    const owners = async () => {
      const lists = await readDpkgLists(new TargetFs(root), log());
      return Object.fromEntries(lists!.ownersOf(wanted));
    };
    const expected = {
      '/usr/bin/tool': 'aa-first',
      '/usr/lib/libb.so.1': 'bb-second',
      '/usr/lib/x86_64-linux-gnu/libc.so.6': 'libc6',
    };
    expect(await owners()).toEqual(expected);
    setDerivedCacheDir(cache);
    expect(await owners()).toEqual(expected); // writes the index
    expect(readdirSync(cache).filter((n) => n.startsWith('dpkg-lists-'))).toHaveLength(1);
    expect(await owners()).toEqual(expected); // answers from it

    // A list edited in place (no rename, the directory unchanged) is read again.
    appendFileSync(path.join(info, 'aa-first.list'), '/opt/x.so\n');
    expect(await owners()).toEqual({ ...expected, '/opt/x.so': 'aa-first' });
    // A list removed no longer answers; a new one does.
    rmSync(path.join(info, 'aa-first.list'));
    writeFileSync(path.join(info, 'cc-third.list'), '/opt/x.so\n');
    expect(await owners()).toEqual({ ...expected, '/usr/bin/tool': 'bb-second', '/opt/x.so': 'cc-third' });

    // An index that is not one (damaged, or another version's) is ignored and rewritten.
    for (const n of readdirSync(cache)) writeFileSync(path.join(cache, n), 'not an index');
    expect(await owners()).toEqual({ ...expected, '/usr/bin/tool': 'bb-second', '/opt/x.so': 'cc-third' });
    expect(await owners()).toEqual({ ...expected, '/usr/bin/tool': 'bb-second', '/opt/x.so': 'cc-third' });
    setDerivedCacheDir(undefined);
    rmSync(cache, { recursive: true });
    expect(await owners()).toEqual({ ...expected, '/usr/bin/tool': 'bb-second', '/opt/x.so': 'cc-third' });
    expect(existsSync(cache)).toBe(false); // no cache directory: nothing written
  });

  it('answers from the owners saved for the same lists, and searches again when any list changes', async () => {
    const cache = path.join(root, 'cache');
    writeFileSync(path.join(info, 'aa-first.list'), '/usr/bin/tool\n');
    writeFileSync(path.join(info, 'libc6:amd64.list'), '/lib/x86_64-linux-gnu/libc.so.6\n');
    const wanted = ['/usr/bin/tool', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/opt/none.so'];
    const owners = async (paths = wanted) => {
      const lists = await readDpkgLists(new TargetFs(root), log());
      return Object.fromEntries(lists!.ownersOf(paths));
    };
    const expected = { '/usr/bin/tool': 'aa-first', '/usr/lib/x86_64-linux-gnu/libc.so.6': 'libc6' };
    setDerivedCacheDir(cache);
    expect(await owners()).toEqual(expected); // searches, saves the answers
    const file = path.join(
      cache,
      readdirSync(cache).find((n) => n.startsWith('dpkg-owners-'))!,
    );
    // Answers forged for the same lists are believed: proof that no list was read for them.
    const saved = deserialize(inflateRawSync(readFileSync(file))) as { answers: string[] };
    saved.answers = saved.answers.map((x) => (x === 'aa-first' ? 'zz-forged' : x));
    writeFileSync(file, deflateRawSync(serialize(saved)));
    expect(await owners()).toEqual({ ...expected, '/usr/bin/tool': 'zz-forged' });
    // A path not asked about before: searched for, the others still answered.
    expect(await owners([...wanted, '/usr/lib/libnew.so'])).toEqual({
      ...expected,
      '/usr/bin/tool': 'zz-forged',
    });
    // Any list written in place (even a line no one asks about) makes every answer searched again.
    appendFileSync(path.join(info, 'libc6:amd64.list'), '/usr/share/doc/libc6\n');
    expect(await owners()).toEqual(expected);
    // So does a list added, or one removed.
    writeFileSync(path.join(info, '0-early.list'), '/opt/none.so\n');
    expect(await owners()).toEqual({ ...expected, '/opt/none.so': '0-early' });
    rmSync(path.join(info, '0-early.list'));
    expect(await owners()).toEqual(expected);
    // Two spellings of one path asked together: searched, as without a cache.
    const both = ['/usr/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc.so.6'];
    const cached = await owners(both);
    setDerivedCacheDir(undefined);
    expect(cached).toEqual(await owners(both));
    // A damaged answers file is ignored.
    setDerivedCacheDir(cache);
    writeFileSync(file, 'not answers');
    expect(await owners()).toEqual(expected);
    expect(await owners()).toEqual(expected);
  });

  it('hashes list lines and paths alike, and finds them in the sorted hashes', () => {
    const hashes = lineHashes('/a\n/b\n\n/a\n/c');
    expect(hashes).toHaveLength(3);
    expect(holdsAny(hashes, [hashSpan('/c', 0, 2)])).toBe(true);
    expect(holdsAny(hashes, [hashSpan('/d', 0, 2)])).toBe(false);
    expect(hashSpan('x/b\n', 1, 3)).toBe(hashSpan('/b', 0, 2));
  });

  it('reads an md5sums file again when it changes (in place, or replaced) or other paths are wanted', () => {
    const cacheDir = path.join(root, 'cache');
    const file = path.join(info, 'procps.md5sums');
    const A = 'a'.repeat(32);
    const B = 'b'.repeat(32);
    writeFileSync(file, `${A}  usr/bin/ps\n${B}  usr/bin/top\n${A}  usr/share/doc/procps/x\n`);
    const fs = new TargetFs(root);
    const reads = vi.spyOn(fs, 'readSync');
    const open = () => StampCache.open('md5sums-test', root, MD5SUMS_FORMAT, isMd5sumsHits);
    const search = (wanted: string[]) => {
      const cache = open();
      const got = md5sumsFor(
        fs,
        '/var/lib/dpkg/info/procps.md5sums',
        new Set(wanted),
        md5sumsSignature(wanted),
        cache,
      );
      cache?.save();
      return Object.fromEntries(got);
    };
    const ps = ['/usr/bin/ps', '/bin/ps'];
    // No derived-cache directory (--no-cache): every search reads the file.
    expect(search(ps)).toEqual({ '/usr/bin/ps': A });
    expect(search(ps)).toEqual({ '/usr/bin/ps': A });
    expect(reads).toHaveBeenCalledTimes(2);
    setDerivedCacheDir(cacheDir);
    expect(search(ps)).toEqual({ '/usr/bin/ps': A }); // read, and kept
    expect(search(ps)).toEqual({ '/usr/bin/ps': A }); // from the cache
    expect(reads).toHaveBeenCalledTimes(3);
    // Other wanted paths: read again.
    expect(search(['/usr/bin/top'])).toEqual({ '/usr/bin/top': B });
    expect(reads).toHaveBeenCalledTimes(4);
    // Edited in place, same size (same inode, the directory untouched): read again.
    writeFileSync(file, `${B}  usr/bin/ps\n${B}  usr/bin/top\n${A}  usr/share/doc/procps/x\n`);
    expect(search(ps)).toEqual({ '/usr/bin/ps': B });
    expect(reads).toHaveBeenCalledTimes(5);
    expect(search(ps)).toEqual({ '/usr/bin/ps': B });
    expect(reads).toHaveBeenCalledTimes(5);
    // Replaced by another file renamed over it: read again.
    writeFileSync(`${file}-new`, `${A}  bin/ps\n${A}  usr/bin/ps\n`);
    renameSync(`${file}-new`, file);
    expect(search(ps)).toEqual({ '/bin/ps': A, '/usr/bin/ps': A });
    expect(reads).toHaveBeenCalledTimes(6);
    // A damaged cache is ignored.
    for (const n of readdirSync(cacheDir)) writeFileSync(path.join(cacheDir, n), 'not a cache');
    expect(search(ps)).toEqual({ '/bin/ps': A, '/usr/bin/ps': A });
    expect(reads).toHaveBeenCalledTimes(7);
  });

  it("keeps the owners' md5 records by stamp and reads an edited md5sums file again", async () => {
    writeFileSync(
      path.join(info, 'libc6:amd64.md5sums'),
      `${'c'.repeat(32)}  lib/x86_64-linux-gnu/libc.so.6\n`,
    );
    const owned = new Map([['/usr/lib/x86_64-linux-gnu/libc.so.6', 'libc6']]);
    const records = async () => Object.fromEntries(await dpkgRecords(new TargetFs(root), owned, log()));
    const expected = {
      '/usr/lib/x86_64-linux-gnu/libc.so.6': {
        pkg: 'libc6',
        listed: '/lib/x86_64-linux-gnu/libc.so.6',
        md5: 'c'.repeat(32),
      },
    };
    expect(await records()).toEqual(expected);
    setDerivedCacheDir(path.join(root, 'cache'));
    expect(await records()).toEqual(expected);
    expect(await records()).toEqual(expected);
    appendFileSync(
      path.join(info, 'libc6:amd64.md5sums'),
      `${'d'.repeat(32)}  lib/x86_64-linux-gnu/libc.so.6\n`,
    );
    const edited = {
      '/usr/lib/x86_64-linux-gnu/libc.so.6': {
        ...expected['/usr/lib/x86_64-linux-gnu/libc.so.6'],
        md5: 'd'.repeat(32),
      },
    };
    expect(await records()).toEqual(edited);
    expect(await records()).toEqual(edited);
  });
});
