// Tests for the addon entering directories by itself below those asked for (Descent in
// dir-lister.ts, children_of in native/dirstat.c): a whole tree in one call, each directory after
// its parent with its record there marked, read in place (name, device, inode as lstat gives
// them); never a stop path, a stop name, anything below a hold name, a path past maxPath, a name
// that is not UTF-8, another filesystem or a directory entered before (a bind mount of the tree
// inside itself, in a private mount namespace); the budget still cuts a call short, and a child it
// left out is not marked. The threads that share the growing job list are run under
// ThreadSanitizer. Node's lister ignores the descent.
import { execFileSync, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dirLister, nodeDirLister, type Descent, type DirListing, type ListedTree } from './dir-lister.js';

let dir: string;
let base: string;
const NOT_UTF8 = Buffer.from([0x6e, 0xff]); // "n\xff"

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-descent-'));
  base = path.join(dir, 'base');
  for (const d of ['a/b/c', 'd', 'ex/inner', 'stopme/inner', 'held/sub', `${'x'.repeat(40)}/inner`])
    mkdirSync(path.join(base, d), { recursive: true });
  mkdirSync(Buffer.concat([Buffer.from(`${base}/`), NOT_UTF8, Buffer.from('/inner')]), { recursive: true });
  writeFileSync(path.join(base, 'f.txt'), 'x');
  writeFileSync(path.join(base, 'a', 'b', 'g.txt'), 'y');
  writeFileSync(path.join(base, 'held', 'hold.json'), '{}');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function descent(extra: Partial<Descent> = {}): Descent {
  return { stopPaths: [], stopNames: [], holdNames: [], maxPath: 3500, ...extra };
}

/** Each listed directory's path below `base` ("" for base), built from its parent and name. */
function pathsOf(tree: ListedTree, asked: string[]): string[] {
  const out = [...asked];
  for (let j = asked.length; j < tree.length; j++) {
    const name = tree.name(j);
    const parent = tree.parentOf(j);
    expect(parent).toBeLessThan(j);
    out.push(
      path.join(out[parent] as string, typeof name === 'string' ? name : `hex:${name.toString('hex')}`),
    );
  }
  return out;
}

const native = dirLister();

describe.runIf(native.native)('the addon entering directories by itself', () => {
  it('lists a whole tree in one call, each directory after its parent, its record there marked', () => {
    const sub = path.join(base, 'a');
    const tree = native.listTree([sub], 1e9, undefined, undefined, descent());
    const paths = pathsOf(tree, [sub]);
    expect(paths).toEqual([sub, `${sub}/b`, `${sub}/b/c`]);
    for (let j = 1; j < tree.length; j++) {
      const p = paths[j] as string;
      const st = lstatSync(p);
      expect([tree.dev(j), tree.ino(j)]).toEqual([st.dev, st.ino]);
      const listing = tree.listing(j, p) as DirListing;
      expect(Array.from({ length: listing.length }, (_, i) => listing.name(i))).toEqual(
        readdirSync(p).sort(),
      );
      // Its record in its parent's listing is marked, and only it.
      const parent = tree.listing(tree.parentOf(j), paths[tree.parentOf(j)] as string) as DirListing;
      const marked = Array.from({ length: parent.length }, (_, i) => parent.entered(i) && parent.name(i));
      expect(marked.filter(Boolean)).toEqual([path.basename(p)]);
    }
    // a/b holds a file the walker must see; a/b/c is empty, so nothing in it is left to the
    // walker: passQuiet stops at a/b and passes a/b/c, asking about each with its parent and id.
    const askedAbout: number[] = [];
    const enter = (j: number, parent: number, dev: number, ino: number): boolean => {
      askedAbout.push(j);
      expect([parent, dev, ino]).toEqual([j - 1, tree.dev(j), tree.ino(j)]);
      return true;
    };
    const unchanged = { files: 0, bytes: 0 };
    expect(tree.passQuiet(1, enter, unchanged)).toBe(1);
    expect(tree.passQuiet(2, enter, unchanged)).toBe(3);
    expect(askedAbout).toEqual([1, 2]);
    // One the walk does not enter is passed whatever its listing holds.
    expect(tree.passQuiet(1, () => false, unchanged)).toBe(3);
  });

  it('never enters a stop path or name, below a hold name, past maxPath, a name not UTF-8, another filesystem', () => {
    const rules = descent({
      stopPaths: [path.join(base, 'ex')],
      stopNames: ['stopme'],
      holdNames: ['hold.json'],
      maxPath: base.length + 1 + 30,
    });
    const tree = native.listTree([base], 1e9, undefined, undefined, rules);
    const paths = pathsOf(tree, [base]).map((p) => path.relative(base, p));
    expect(paths.sort()).toEqual(['', 'a', 'a/b', 'a/b/c', 'd', 'held'].sort());
    // The directories it did not enter are in the listings unmarked, for the walker to decide.
    const top = tree.listing(0, base) as DirListing;
    const unmarked = Array.from({ length: top.length }, (_, i) => i)
      .filter((i) => top.kind(i) === 'dir' && !top.entered(i))
      .map((i) => top.name(i));
    expect(unmarked).toEqual(['ex', Buffer.from(NOT_UTF8), 'stopme', 'x'.repeat(40)]);
    // /dev holds other filesystems' mount points (devpts, tmpfs at /dev/shm, mqueue): none entered.
    const dev = native.listTree(['/dev'], 1e9, undefined, undefined, descent());
    const devPaths = pathsOf(dev, ['/dev']);
    for (let j = 1; j < dev.length; j++)
      expect(lstatSync(devPaths[j] as string).dev).toBe(lstatSync('/dev').dev);
    const mounts = readdirSync('/dev')
      .map((n) => `/dev/${n}`)
      .filter((p) => lstatSync(p).isDirectory() && lstatSync(p).dev !== lstatSync('/dev').dev);
    for (const m of mounts) expect(devPaths).not.toContain(m);
  });

  it('stops at the budget with the directories asked for first; a child left out is not marked', () => {
    const asked = [path.join(base, 'a'), path.join(base, 'd')];
    const tree = native.listTree(asked, 1, undefined, undefined, descent());
    expect(tree.asked.length).toBeGreaterThanOrEqual(1);
    expect(tree.length).toBe(tree.asked.length);
    const a = tree.listing(0, asked[0] as string) as DirListing;
    expect(Array.from({ length: a.length }, (_, i) => a.entered(i))).toEqual([false]);
  });

  it("Node's lister lists only the directories asked for", () => {
    const tree = nodeDirLister.listTree([base], 1e9, undefined, undefined, descent());
    expect([tree.length, tree.asked.length]).toEqual([1, 1]);
  });

  it('shares the growing job list between threads with no data race (ThreadSanitizer), bind mounts entered once', () => {
    const harness = path.join(dir, 'dirstat-harness-tsan');
    const source = fileURLToPath(new URL('../../native/dirstat-harness.c', import.meta.url));
    execFileSync('cc', ['-g', '-O1', '-fsanitize=thread', '-o', harness, source, '-lpthread']);
    // The harness's own rules: stop paths /proc and /sys, stop name stop-here, hold name hold-here.
    const t = path.join(dir, 'ns');
    for (const d of ['a/b', 'a/loop', 'stop-here/x', 'held/sub', 'm'])
      mkdirSync(path.join(t, d), { recursive: true });
    writeFileSync(path.join(t, 'held', 'hold-here'), '');
    for (const [threads, budget] of [
      ['2', '1000000000'],
      ['4', '1000000000'],
      ['2', '3'],
    ] as const) {
      const r = spawnSync(harness, ['--descend', threads, budget, t, dir], { encoding: 'utf8' });
      expect(r.stderr, `threads ${threads} budget ${budget}`).toBe('');
      expect(r.status).toBe(0);
    }
    // In a private mount namespace: the tree bound inside itself, and a tmpfs mounted in it.
    const script = [
      `mount --bind ${t} ${t}/a/loop`,
      `mount -t tmpfs none ${t}/m`,
      `mkdir ${t}/m/on-tmpfs`,
      `${harness} --descend 2 1000000000 ${t}`,
    ].join(' && ');
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const listed = r.stdout
      .split('\n')
      .filter((l) => l.startsWith(t))
      .map((l) => path.relative(t, l.slice(0, l.lastIndexOf(':'))))
      .sort();
    expect(listed).toEqual(['', 'a', 'a/b', 'held']);
    expect(r.stdout).toContain('entered 3\n');
  });
});
