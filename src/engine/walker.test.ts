// Tests for the file walker: the native and the Node lister walk to the same events over a tree
// with every awkward entry; a root inside another root is walked once; the warm rescan's
// `unchanged` shortcut counts exactly the files the full walk would yield (never an empty, excluded
// or archive-named file); a large file is yielded like any other (the scan reads it by its parts);
// other minehunter installs are left out by name, and other users' scan caches by name and header.
// Symlinks: the walk only lstats and never descends through a link, and under an offline root
// (displayRoot) a root and a link's loop check resolve inside the root, with every lister.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirLister, nodeDirLister, type DirLister } from './dir-lister.js';
import { ScanCache } from './cache.js';
import { compileRulesCached } from './compiled-cache.js';
import { FileIndex } from './file-index.js';
import { ShortPaths } from './short-paths.js';
import { PACKAGE_STORES, walk, type WalkEvent, type WalkOptions } from './walker.js';
import { makeDeep, removeDeep } from '../../test/helpers/deep-tree.js';

const WALKER = fileURLToPath(new URL('./walker.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

let dir: string;
let tree: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-walker-'));
  tree = path.join(dir, 'tree');
  mkdirSync(path.join(tree, 'etc', 'cron.d'), { recursive: true });
  mkdirSync(path.join(tree, 'deep', 'er', 'est'), { recursive: true });
  writeFileSync(path.join(tree, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
  writeFileSync(path.join(tree, 'etc', 'cron.d', 'job'), '* * * * * root /tmp/x\n');
  writeFileSync(path.join(tree, 'deep', 'er', 'est', 'leaf.txt'), 'leaf\n');
  writeFileSync(path.join(tree, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(tree, 'empty'), '');
  writeFileSync(path.join(tree, 'big.bin'), Buffer.alloc(4096, 1));
  writeFileSync(path.join(tree, 'backup.tar.gz'), 'not really an archive');
  writeFileSync(path.join(tree, 'tool.zip'), 'exec bit set', { mode: 0o755 });
  writeFileSync(path.join(tree, 'excluded.log'), 'left out by name');
  writeFileSync(Buffer.concat([Buffer.from(`${tree}/`), Buffer.from([0x62, 0xff, 0x2e, 0x73, 0x68])]), 'x');
  symlinkSync('loop-b', path.join(tree, 'loop-a'));
  symlinkSync('loop-a', path.join(tree, 'loop-b'));
  symlinkSync('etc', path.join(tree, 'etc-link'));
  execFileSync('mkfifo', [path.join(tree, 'fifo')]);
  // Another minehunter checkout: its rules and samples would match themselves.
  mkdirSync(path.join(tree, 'opt', 'minehunter', 'rules'), { recursive: true });
  writeFileSync(path.join(tree, 'opt', 'minehunter', 'package.json'), '{"name":"minehunter"}');
  writeFileSync(path.join(tree, 'opt', 'minehunter', 'rules', 'x.yar'), 'rule x { condition: true }');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function options(extra: Partial<WalkOptions> = {}): WalkOptions {
  return {
    roots: [tree],
    oneFileSystem: true,
    exclude: [path.join(tree, 'excluded.log')],
    skipArchiveNames: true,
    skipOwnInstalls: true,
    ...extra,
  };
}

/** Events as sorted lines: "file PATH SIZE" or "skip PATH REASON". */
function lines(events: Iterable<WalkEvent>): string[] {
  const out: string[] = [];
  for (const ev of events) {
    if (ev.type === 'file') out.push(`file ${ev.file.path} ${ev.file.size}`);
    else if (ev.type === 'skip') out.push(`skip ${ev.skip.path} ${ev.skip.reason}`);
    else out.push(`unchanged ${ev.files} ${ev.bytes}`);
  }
  return out.sort();
}

describe('file walker', () => {
  it('walks to the same events with the native and the Node lister', () => {
    const listers: DirLister[] = [dirLister(), nodeDirLister];
    const [native, node] = listers.map((l) => lines(walk(options(), l)));
    expect(native).toEqual(node);
    expect(native).toEqual(
      [
        `file ${tree}/b\\xff.sh 1`,
        `file ${tree}/big.bin 4096`,
        `file ${tree}/deep/er/est/leaf.txt 5`,
        `file ${tree}/etc/cron.d/job 22`,
        `file ${tree}/etc/passwd 26`,
        `file ${tree}/run.sh 10`,
        `file ${tree}/tool.zip 12`,
        `skip ${tree}/backup.tar.gz archive-not-expanded`,
        `skip ${tree}/empty empty`,
        `skip ${tree}/fifo special-file`,
        `skip ${tree}/loop-a symlink-loop`,
        `skip ${tree}/loop-b symlink-loop`,
        `skip ${tree}/opt/minehunter minehunter-install`,
      ].sort(),
    );
  });

  it('walks a root inside another root once', () => {
    const once = lines(walk(options()));
    expect(lines(walk(options({ roots: [tree, path.join(tree, 'etc')] })))).toEqual(once);
    expect(lines(walk(options({ roots: [path.join(tree, 'etc'), tree] })))).toEqual(once);
  });

  it.each([
    ['native', dirLister()],
    ['node', nodeDirLister],
  ] as const)('%s: counts the files the cache vouches for, after every other rule', (_, lister) => {
    const full = lines(walk(options(), lister));
    const yielded = full.filter((l) => l.startsWith('file '));
    const sizeOf = (l: string): number => Number(l.split(' ').pop());
    const counted = (events: string[]): [number, number] =>
      events
        .filter((l) => l.startsWith('unchanged '))
        .map((l) => l.split(' ').slice(1).map(Number) as [number, number])
        .reduce(([f, b], [f2, b2]) => [f + f2, b + b2], [0, 0]);
    const files = regularFiles(Buffer.from(tree));

    // Every regular file in the cache with nothing found, in its current state: only what the
    // full walk yields may be counted; the excluded, archive-named and empty files and the other
    // install's package.json are reported as before or left out as before.
    const index = indexOf(files);
    const vouched = lines(walk(options({ unchanged: () => index.arrays() }), lister));
    expect(counted(vouched)).toEqual([yielded.length, yielded.reduce((sum, l) => sum + sizeOf(l), 0)]);
    // Each entry that vouched for a file is marked used (the cache forgets the unused ones), no other.
    const used = index.arrays().used.subarray(0, index.count);
    expect(used.reduce((sum, u) => sum + u, 0)).toBe(yielded.length);
    expect(vouched.filter((l) => l.startsWith('file '))).toEqual([]);
    expect(vouched.filter((l) => l.startsWith('skip '))).toEqual(full.filter((l) => l.startsWith('skip ')));

    // A file changed since it was scanned, and one where something was found, are yielded.
    const passwd = path.join(tree, 'etc', 'passwd');
    const runSh = path.join(tree, 'run.sh');
    const mixed = indexOf(files, (p) =>
      p === passwd ? { changed: true } : p === runSh ? { found: true } : {},
    );
    const partly = lines(walk(options({ unchanged: () => mixed.arrays() }), lister));
    expect(partly.filter((l) => l.startsWith('file '))).toEqual([`file ${passwd} 26`, `file ${runSh} 10`]);
    expect(counted(partly)[0]).toBe(yielded.length - 2);

    // An empty cache changes nothing.
    expect(lines(walk(options({ unchanged: () => new FileIndex().arrays() }), lister))).toEqual(full);
  });
});

describe('file walker and the directories the addon enters by itself', () => {
  it("applies every rule below the root as with Node's lister, in fewer calls", () => {
    const t = path.join(dir, 'below');
    const files: [string, string][] = [
      ['x/excluded-dir/inner/secret.txt', 'left out'],
      ['home/u/.cache/pip/wheels/w.txt', 'a store'],
      ['src/pip/mod.py', 'not a store, the same last name'],
      ['proj/minehunter/package.json', '{"name":"minehunter"}'],
      ['proj/minehunter/rules/x.yar', 'rule x { condition: true }'],
      ['proj/minehunter/node_modules/y/z.js', 'z'],
      ['proj/app/package.json', '{"name":"app"}'],
      ['proj/app/lib/index.js', 'index'],
      ['deep/1/2/3/4/leaf.txt', 'leaf'],
    ];
    for (const [f, text] of files) {
      mkdirSync(path.dirname(path.join(t, f)), { recursive: true });
      writeFileSync(path.join(t, f), text);
    }
    const notUtf8 = Buffer.concat([Buffer.from(`${t}/`), Buffer.from([0x6e, 0xff]), Buffer.from('/inner')]);
    mkdirSync(notUtf8, { recursive: true });
    writeFileSync(Buffer.concat([notUtf8, Buffer.from('/t.txt')]), 'bytes');
    const opts = options({ roots: [t], exclude: [path.join(t, 'x', 'excluded-dir')], prune: PACKAGE_STORES });
    let calls = 0;
    let entered = 0;
    const native = dirLister();
    const counting: DirLister = {
      ...native,
      listTree: (...args) => {
        const listed = native.listTree(...args);
        calls++;
        entered += listed.length - listed.asked.length;
        return listed;
      },
    };
    const events = lines(walk(opts, counting));
    expect(events).toEqual(lines(walk(opts, nodeDirLister)));
    expect(events).toEqual(
      [
        `file ${t}/deep/1/2/3/4/leaf.txt 4`,
        `file ${t}/n\\xff/inner/t.txt 5`,
        `file ${t}/proj/app/lib/index.js 5`,
        `file ${t}/proj/app/package.json 14`,
        `file ${t}/src/pip/mod.py 31`,
        `skip ${t}/home/u/.cache/pip package-store`,
        `skip ${t}/proj/minehunter minehunter-install`,
      ].sort(),
    );
    if (native.native) {
      // Below the root all but the stores, src/pip, the two package.json holders' children and
      // the name that is not UTF-8 (listed in a second and a third call).
      expect([entered, calls]).toEqual([13, 3]);
    }
  });

  it('enters a directory bound inside the tree once, when the walker meets it under a second name', () => {
    // In a private mount namespace: b/ also bound on x\xff/, a name the addon leaves to the walker
    // (not UTF-8). The first call's listing is trusted unchecked (the walk's one directory so far
    // is the root it asked for); the walker's own check of x\xff/ must still see b/ entered.
    const t = path.join(dir, 'bound');
    mkdirSync(path.join(t, 'b'), { recursive: true });
    writeFileSync(path.join(t, 'b', 'f.txt'), 'once');
    mkdirSync(Buffer.concat([Buffer.from(`${t}/`), Buffer.from([0x78, 0xff])]));
    const script = `
      import { walk } from ${JSON.stringify(WALKER)};
      const files = [];
      for (const ev of walk({ roots: [${JSON.stringify(t)}], oneFileSystem: true, exclude: [] }))
        if (ev.type === 'file') files.push(ev.file.path);
      console.log(JSON.stringify(files));
    `;
    const r = spawnSync(
      'unshare',
      [
        ...['--mount', '--propagation', 'private', 'sh', '-c'],
        `mount --bind "$1/b" "$(printf '%s/x\\377' "$1")" && exec "$2" --import "$3" --input-type=module -e "$4"`,
        ...['sh', t, process.execPath, TSX, script],
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    const files = JSON.parse(r.stdout) as string[];
    expect(files.filter((f) => f.endsWith('/f.txt'))).toHaveLength(1);
    expect([`${t}/b/f.txt`, `${t}/x\\xff/f.txt`]).toContain(files[0]);
  });
});

describe('file walker and symlinks', () => {
  // A suspect disk, and beside it a directory of the analyst's own that the disk's links name.
  let disk: string;
  let mine: string;
  beforeAll(() => {
    disk = path.join(dir, 'disk');
    mine = path.join(dir, 'analyst');
    mkdirSync(path.join(mine, 'bin'), { recursive: true });
    writeFileSync(path.join(mine, 'bin', 'tool'), "the analyst's own file\n", { mode: 0o755 });
    // A loop on this machine only: inside the disk the same text names nothing.
    symlinkSync(path.join(mine, 'host-loop'), path.join(mine, 'host-loop'));
    mkdirSync(path.join(disk, 'etc'), { recursive: true });
    mkdirSync(path.join(disk, 'data', 'opt'), { recursive: true });
    writeFileSync(path.join(disk, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    writeFileSync(path.join(disk, 'data', 'opt', 'app.sh'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync(path.join(mine, 'bin'), path.join(disk, 'etc', 'tools')); // a directory link out
    symlinkSync('/etc/abs-loop', path.join(disk, 'etc', 'abs-loop')); // a loop inside the disk only
    symlinkSync(path.join(mine, 'host-loop'), path.join(disk, 'etc', 'host-loop'));
    symlinkSync('/data/opt', path.join(disk, 'home')); // held by the disk
    symlinkSync(mine, path.join(disk, 'media')); // not held by the disk
  });

  const listers: [string, DirLister, Record<string, string>][] = [
    ['native', dirLister(), {}],
    ['native without openat2', dirLister(), { MINEHUNTER_DIRSTAT_OPENAT2: '0' }],
    ['node', nodeDirLister, {}],
  ];
  const walkWith = (opts: Partial<WalkOptions>, lister: DirLister, env: Record<string, string>): string[] => {
    Object.assign(process.env, env);
    try {
      return lines(walk(options({ exclude: [], ...opts }), lister));
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
  };

  it.each(listers)('%s: lstats entries and never descends through a link, root or not', (_, lister, env) => {
    // No display root: a link's loop check follows it (here: on this machine), nothing more.
    expect(walkWith({ roots: [path.join(disk, 'etc')] }, lister, env)).toEqual(
      [`file ${disk}/etc/passwd 26`, `skip ${disk}/etc/host-loop symlink-loop`].sort(),
    );
  });

  it('a root named as a file is opened through its link; walked files never are', () => {
    const link = path.join(dir, 'passwd-link');
    symlinkSync(path.join(disk, 'etc', 'passwd'), link);
    const [root] = [...walk(options({ roots: [link], exclude: [] }))];
    expect(root).toMatchObject({ type: 'file', file: { path: link, size: 26, follow: true } });
    const walked = [...walk(options({ roots: [path.join(disk, 'etc')], exclude: [] }))];
    expect(walked.filter((e) => e.type === 'file').map((e) => e.type === 'file' && e.file.follow)).toEqual([
      undefined,
    ]);
  });

  it.each(listers)(
    '%s: under an offline root, resolves roots and loop checks inside it',
    (_, lister, env) => {
      const roots = ['etc', 'home', 'media'].map((d) => path.join(disk, d));
      const events = walkWith({ roots, displayRoot: disk }, lister, env);
      expect(events).toEqual(
        [
          // /home -> /data/opt is walked where it leads inside the disk, shown as the disk names it.
          'file /home/app.sh 10',
          'file /etc/passwd 26',
          // A loop inside the disk is one; the link that loops only on this machine is not followed.
          'skip /etc/abs-loop symlink-loop',
        ].sort(),
      );
      // /media -> the analyst's directory, /etc/tools -> the analyst's bin: nothing of theirs.
      expect(events.join('\n')).not.toContain('tool');
    },
  );
});

/** Every regular file under `root`, as raw paths (one name here is not UTF-8). */
function regularFiles(root: Buffer): Buffer[] {
  return readdirSync(root, { withFileTypes: true, encoding: 'buffer' }).flatMap((e) => {
    const p = Buffer.concat([root, Buffer.from('/'), e.name]);
    return e.isDirectory() ? regularFiles(p) : e.isFile() ? [p] : [];
  });
}

/** A scan cache index of the files as they are now, nothing found, but where `tweak` says. */
function indexOf(
  files: Buffer[],
  tweak: (p: string) => { changed?: boolean; found?: boolean } = () => ({}),
): FileIndex {
  const index = new FileIndex();
  for (const f of files) {
    const st = lstatSync(f);
    const { changed, found } = tweak(f.toString());
    index.set(
      {
        dev: st.dev,
        ino: st.ino,
        size: st.size,
        mtimeMs: st.mtimeMs + (changed ? 1 : 0),
        ctimeMs: st.ctimeMs,
      },
      found ? Buffer.from([3, 0]) : Buffer.alloc(0),
    );
  }
  index.arrays().used.fill(0); // as a new scan loads it: no entry met yet
  return index;
}

describe("another user's scan cache", () => {
  it('is left out when its files begin as the tool writes them, and only then', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-walker-cache-'));
    const cacheDir = path.join(root, 'home', 'alice', '.cache', 'minehunter');
    const file = path.join(cacheDir, 'scan-cache.sqlite');
    const first = new ScanCache(file, 'sha256:rules-a');
    first.put({ dev: 1, ino: 1, size: 1, mtimeMs: 1, ctimeMs: 1 }, { matches: [] });
    first.close(); // writes the index file
    const open = new ScanCache(file, 'sha256:rules-a');
    open.put({ dev: 1, ino: 2, size: 1, mtimeMs: 1, ctimeMs: 1 }, { matches: [] });
    open.flush(); // the database in use: its write-ahead log and shared memory exist
    const ruleFile = path.join(root, 'rule.yar');
    writeFileSync(ruleFile, 'rule Cached_Rule { strings: $a = "papa-quebec" condition: $a }\n');
    compileRulesCached([{ path: ruleFile }], {}, file); // the compiled rules used last, beside it
    // The same names elsewhere, or holding something else, are scanned like any file.
    const decoys = path.join(root, 'home', 'bob', '.cache', 'minehunter');
    mkdirSync(decoys, { recursive: true });
    writeFileSync(path.join(decoys, 'scan-cache.sqlite'), '\x7fELF look-alike stratum+tcp://pool:3333');
    writeFileSync(path.join(decoys, 'scan-cache.sqlite-index'), '#!/bin/sh\necho mining\n');
    writeFileSync(path.join(decoys, 'scan-cache.sqlite-rules'), '#!/bin/sh\necho mining\n');
    mkdirSync(path.join(root, 'srv'));
    writeFileSync(path.join(root, 'srv', 'scan-cache.sqlite'), readFileSync(file));
    try {
      const events = lines(walk(options({ roots: [root], exclude: [] }), dirLister()));
      const shown = (l: string): string => l.replace(/ \d+$/, '').replace(root, '');
      expect(events.map(shown)).toEqual(
        [
          'file /home/alice/.cache/minehunter/scan-cache.sqlite-shm',
          'file /home/bob/.cache/minehunter/scan-cache.sqlite',
          'file /home/bob/.cache/minehunter/scan-cache.sqlite-index',
          'file /home/bob/.cache/minehunter/scan-cache.sqlite-rules',
          'file /rule.yar',
          'file /srv/scan-cache.sqlite',
          'skip /home/alice/.cache/minehunter/scan-cache.sqlite minehunter-cache',
          'skip /home/alice/.cache/minehunter/scan-cache.sqlite-index minehunter-cache',
          'skip /home/alice/.cache/minehunter/scan-cache.sqlite-rules minehunter-cache',
          'skip /home/alice/.cache/minehunter/scan-cache.sqlite-wal minehunter-cache',
        ].sort(),
      );
      // Under --path and --full (no skipOwnInstalls) the user asked for everything.
      const all = lines(walk(options({ roots: [root], exclude: [], skipOwnInstalls: false }), dirLister()));
      expect(all.filter((l) => l.includes('minehunter-cache'))).toEqual([]);
    } finally {
      open.close();
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('paths past PATH_MAX', () => {
  // 30 directories of 200 letters: the file's path is ~6,100 bytes, past what the kernel opens.
  let deep: string;
  let full: string;
  beforeAll(() => {
    deep = path.join(dir, 'past-path-max');
    full = makeDeep(deep, 30, 'x.sh', 'hidden\n');
  });
  afterAll(() => removeDeep(deep));

  it('without short paths (or past how many may be open), the directory is a reported skip', () => {
    for (const shortPaths of [undefined, new ShortPaths(0)]) {
      const events = [...walk({ roots: [deep], oneFileSystem: true, exclude: [], shortPaths })];
      expect(events.filter((e) => e.type === 'file')).toEqual([]);
      expect(events).toContainEqual({
        type: 'skip',
        skip: expect.objectContaining({ detail: expect.stringContaining('ENAMETOOLONG') }),
      });
    }
  });

  it('with them, the file is walked, shown by its full path and readable by the path handed out', () => {
    const shortPaths = new ShortPaths();
    const events = [...walk({ roots: [deep], oneFileSystem: true, exclude: [], shortPaths })];
    const files = events.flatMap((e) => (e.type === 'file' ? [e.file] : []));
    expect(Buffer.byteLength(full)).toBeGreaterThan(4096);
    expect(files.map((f) => f.path)).toEqual([full]);
    expect(events.filter((e) => e.type === 'skip')).toEqual([]);
    const io = files[0]?.io as string;
    expect(io).toMatch(/^\/proc\/self\/fd\/\d+\//);
    expect(readFileSync(io, 'utf8')).toBe('hidden\n');
    expect(shortPaths.held).toBe(1);
    shortPaths.close();
    expect(shortPaths.held).toBe(0);
    expect(() => readFileSync(io)).toThrow();
  });
});
