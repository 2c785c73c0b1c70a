// Tests for the file walker: the native and the Node lister walk to the same events over a tree
// with every awkward entry; a root inside another root is walked once; the warm rescan's
// `unchanged` shortcut counts exactly the files the full walk would yield (never an empty,
// over-limit, excluded or archive-named file); other minehunter installs are left out by name.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirLister, nodeDirLister, type DirLister } from './dir-lister.js';
import { walk, type WalkEvent, type WalkOptions } from './walker.js';

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
    maxFileSize: 1024,
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
        `file ${tree}/deep/er/est/leaf.txt 5`,
        `file ${tree}/etc/cron.d/job 22`,
        `file ${tree}/etc/passwd 26`,
        `file ${tree}/run.sh 10`,
        `file ${tree}/tool.zip 12`,
        `skip ${tree}/backup.tar.gz archive-not-expanded`,
        `skip ${tree}/big.bin too-large`,
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

  it('counts files the cache vouches for instead of yielding them, after every other rule', () => {
    const full = lines(walk(options()));
    const yielded = full.filter((l) => l.startsWith('file '));
    const bytes = yielded.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    // A cache that vouches for everything: only what the full walk yields may be counted.
    const vouched = lines(walk(options({ unchanged: () => true })));
    const counted = vouched.filter((l) => l.startsWith('unchanged '));
    // The file whose name is not UTF-8 is counted too: the shortcut needs no text for it.
    expect(counted.reduce((n, l) => n + Number(l.split(' ')[1]), 0)).toBe(yielded.length);
    expect(counted.reduce((n, l) => n + Number(l.split(' ')[2]), 0)).toBe(bytes);
    expect(vouched.filter((l) => l.startsWith('file '))).toEqual([]);
    // The skips are reported as before; the excluded file is neither counted nor yielded.
    expect(vouched.filter((l) => l.startsWith('skip '))).toEqual(full.filter((l) => l.startsWith('skip ')));

    // A cache that vouches for nothing changes nothing.
    expect(lines(walk(options({ unchanged: () => false })))).toEqual(full);
    // The shortcut is asked about every file the walk would yield, with its state.
    const asked: number[] = [];
    Array.from(walk(options({ unchanged: (_dev, _ino, size) => (asked.push(size), false) })));
    expect(asked).toEqual(expect.arrayContaining(yielded.map((l) => Number(l.split(' ').pop()))));
  });
});
