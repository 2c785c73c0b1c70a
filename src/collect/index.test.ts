// Tests for collectSnapshot: every fixture root and the live system give a snapshot that validates and
// round-trips through JSON, nothing uncollected pretends to be clean, and collecting changes nothing.
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SnapshotSchema, collectedSections, type Snapshot } from '../snapshot/schema.js';
import { CollectRootError, collectSnapshot } from './index.js';
import { MAX_HASH_BYTES } from './linux/processes.js';
import { FIXTURE_NOW, FIXTURE_ROOTS, fixtureRoot } from './test-helpers.js';

/** Durations differ run to run; everything else in a snapshot of a fixture must not. */
const withoutDurations = (s: Snapshot): Snapshot => ({
  ...s,
  collection: s.collection.map((r) => ({ ...r, durationMs: 0 })),
});

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const st = lstatSync(full);
    out.push(`${full} ${st.mode} ${st.size} ${st.mtimeMs}`);
    if (st.isDirectory()) walk(full, out);
  }
  return out;
}

describe('collectSnapshot on fixture roots', () => {
  it('gives a valid, deterministic snapshot of the miner-host copy', async () => {
    const progress: string[] = [];
    const snap = await collectSnapshot({
      root: fixtureRoot('miner-host'),
      now: FIXTURE_NOW,
      toolVersion: '9.9.9',
      onProgress: (m) => progress.push(m),
    });
    expect(SnapshotSchema.parse(JSON.parse(JSON.stringify(snap)))).toEqual(snap);
    expect(snap).toMatchObject({
      schemaVersion: 1,
      tool: { name: 'minehunter', version: '9.9.9' },
      collectedAt: '2023-11-15T22:13:20.000Z',
      target: { root: fixtureRoot('miner-host'), live: false },
      host: { hostname: 'web-01' },
    });
    expect(snap.collection.map((r) => [r.collector, r.status])).toEqual([
      ['linux.host', 'ok'],
      ['linux.hosts-file', 'ok'],
      ['linux.processes', 'ok'],
      ['linux.sockets', 'ok'],
      ['linux.persistence', 'ok'],
      ['linux.integrity', 'ok'],
      ['linux.preload', 'ok'],
      // Hidden PIDs and files exist only on a live system; the copy has no proc/modules (not collected).
      ['linux.hidden', 'skipped'],
      ['linux.modules', 'partial'],
      ['linux.dirs', 'ok'],
    ]);
    expect([...collectedSections(snap)].sort()).toEqual([
      'dirs',
      'host',
      'hosts-file',
      'integrity',
      'modules',
      'persistence',
      'preload',
      'processes',
      'sockets',
    ]);
    expect(snap.processes?.length).toBe(8);
    expect(snap.sockets?.length).toBe(8);
    // Sockets start with the others and wait for the walk's join (not for its CPU window).
    expect(progress).toEqual([
      'linux.processes',
      'linux.host',
      'linux.hosts-file',
      'linux.sockets',
      'linux.persistence',
      'linux.integrity',
      'linux.stealth',
    ]);
    const again = await collectSnapshot({
      root: fixtureRoot('miner-host'),
      now: FIXTURE_NOW,
      toolVersion: '9.9.9',
    });
    expect(withoutDurations(again)).toEqual(withoutDurations(snap));
  });

  it('leaves processes and sockets out of an offline disk instead of reporting them clean', async () => {
    const snap = await collectSnapshot({
      root: fixtureRoot('offline-disk'),
      now: FIXTURE_NOW,
      toolVersion: '0',
    });
    expect(() => SnapshotSchema.parse(snap)).not.toThrow();
    expect(snap.processes).toBeUndefined();
    expect(snap.sockets).toBeUndefined();
    expect('processes' in snap).toBe(false);
    const byName = Object.fromEntries(snap.collection.map((r) => [r.collector, r]));
    expect(byName['linux.processes']).toMatchObject({
      status: 'skipped',
      note: expect.stringMatching(/without proc/),
    });
    expect(byName['linux.sockets']).toMatchObject({
      status: 'skipped',
      note: expect.stringMatching(/without proc/),
    });
    expect([...collectedSections(snap)].sort()).toEqual([
      'dirs',
      'host',
      'hosts-file',
      'integrity',
      'persistence',
      'preload',
    ]);
    expect(snap.host.distribution?.id).toBe('rocky');
    expect(snap.hostsFile).toEqual([
      { address: '127.0.0.1', names: ['localhost', 'localhost.localdomain'] },
      { address: '::1', names: ['localhost', 'localhost.localdomain'] },
      { address: '192.0.2.70', names: ['db-07'] },
    ]);
  });

  it('refuses a root that does not exist instead of describing an empty host', async () => {
    const root = path.join(FIXTURE_ROOTS, 'no-such-root');
    await expect(collectSnapshot({ root, toolVersion: '0' })).rejects.toBeInstanceOf(CollectRootError);
    await expect(collectSnapshot({ root, toolVersion: '0' })).rejects.toMatchObject({
      root,
      cause: expect.objectContaining({ code: 'ENOENT' }),
    });
  });

  it('does not change the root it reads', async () => {
    const before = walk(FIXTURE_ROOTS);
    for (const name of ['miner-host', 'clean-host', 'offline-disk'] as const) {
      await collectSnapshot({ root: fixtureRoot(name), now: FIXTURE_NOW, toolVersion: '0' });
    }
    expect(walk(FIXTURE_ROOTS)).toEqual(before);
  });

  it('has no fixture symlink pointing at a real directory, which tools walking the tree would follow', () => {
    const offenders = walk(FIXTURE_ROOTS)
      .map((line) => line.slice(0, line.indexOf(' ')))
      .filter((p) => lstatSync(p).isSymbolicLink())
      .filter((p) => {
        try {
          return statSync(p).isDirectory();
        } catch {
          return false;
        }
      })
      .map((p) => `${p} -> ${readlinkSync(p)}`);
    expect(offenders).toEqual([]);
  });
});

describe('collectSnapshot on the live system', () => {
  // How long it takes is bench/'s to measure (npm run bench), not a timed assertion on a shared machine.
  it('validates, marks the target live, and finds this very process', async () => {
    const started = performance.now();
    const snap = await collectSnapshot({ root: '/', toolVersion: '0' });
    const elapsed = performance.now() - started;
    console.log(`live collectSnapshot: ${elapsed.toFixed(0)} ms for ${snap.processes?.length} processes`);
    expect(SnapshotSchema.parse(JSON.parse(JSON.stringify(snap)))).toEqual(snap);
    expect(snap.target).toEqual({ kind: 'linux-live', root: '/', live: true });
    expect(snap.host.addresses.length).toBeGreaterThan(0);
    const self = snap.processes?.find((p) => p.pid === process.pid);
    expect(self).toMatchObject({
      exe: realpathSync(process.execPath),
      exeDeleted: false,
      kernelThread: false,
    });
    // Node's own binary is over the hashing limit on most builds: its size is still recorded.
    const nodeSize = statSync(process.execPath).size;
    expect(self?.exeSize).toBe(nodeSize);
    if (nodeSize > MAX_HASH_BYTES) expect(self?.exeSha256).toBeUndefined();
    else expect(self?.exeSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(self?.cpuPercent).toBeGreaterThanOrEqual(0);
    for (const record of snap.collection) expect(['ok', 'partial']).toContain(record.status);
  });
});
