// Golden snapshots of every fixture root: a change to a collector that alters what it records about
// a fixture shows up as a diff of test/goldens/snapshots/<root>.json, to be read and accepted with
// UPDATE_GOLDENS=1 (refactors of collect/ must leave them byte-identical). What differs between two
// checkouts of the same commit is normalised: the root's own path, durations, and file times
// (a clone sets every file's mtime to the moment it was made).
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectSnapshot } from './index.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from './test-helpers.js';

const GOLDENS = fileURLToPath(new URL('../../test/goldens/snapshots', import.meta.url));
const TIME_KEYS = new Set(['mtime', 'ctime', 'atime']);

function normalise(snapshot: unknown, root: string): string {
  const text = JSON.stringify(
    snapshot,
    (key, value: unknown) => {
      if (key === 'durationMs') return 0;
      if (TIME_KEYS.has(key) && typeof value === 'string') return '<file time>';
      // Kept by some filesystems and not others: a golden cannot depend on where the checkout is.
      if (key === 'birthtime') return undefined;
      return value;
    },
    1,
  );
  return text.split(root).join('<root>') + '\n';
}

const roots = readdirSync(FIXTURE_ROOTS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('golden snapshots of the fixture roots', () => {
  it('has a fixture root for each golden and a golden for each fixture root', () => {
    const goldens = existsSync(GOLDENS)
      ? readdirSync(GOLDENS)
          .filter((f) => f.endsWith('.json'))
          .map((f) => f.slice(0, -5))
          .sort()
      : [];
    if (process.env.UPDATE_GOLDENS !== '1') expect(goldens).toEqual(roots);
  });

  for (const name of roots) {
    it(`${name}: the snapshot is the golden one`, async () => {
      const root = path.join(FIXTURE_ROOTS, name);
      const snapshot = await collectSnapshot({ root, now: FIXTURE_NOW, toolVersion: '9.9.9' });
      const text = normalise(snapshot, root);
      const file = path.join(GOLDENS, `${name}.json`);
      if (process.env.UPDATE_GOLDENS === '1') {
        mkdirSync(GOLDENS, { recursive: true });
        writeFileSync(file, text);
      }
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});
