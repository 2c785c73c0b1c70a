// Ctrl-C during collection (CollectOptions.signal): collectors not done are recorded as interrupted
// (`skipped`, never clean), host facts still finish, collectors that are not part of the scan keep
// their not-applicable records, and the snapshot names what it lacks in `incomplete`.
import { describe, expect, it } from 'vitest';
import { SnapshotSchema } from '../snapshot/schema.js';
import { collectSnapshot } from './index.js';
import { FIXTURE_NOW, fixtureRoot } from './test-helpers.js';

describe('a collection stopped by its signal', () => {
  it('records the unfinished collectors as interrupted and the snapshot as incomplete', async () => {
    const controller = new AbortController();
    controller.abort();
    const snapshot = await collectSnapshot({
      root: fixtureRoot('miner-host'),
      now: FIXTURE_NOW,
      toolVersion: '9.9.9',
      signal: controller.signal,
    });
    expect(SnapshotSchema.parse(snapshot)).toBeTruthy();
    const byId = new Map(snapshot.collection.map((r) => [r.collector, r]));
    expect(byId.get('linux.host')?.status).toBe('ok');
    expect(byId.get('linux.persistence')).toMatchObject({
      status: 'skipped',
      note: 'interrupted (Ctrl-C) before it finished',
    });
    expect(snapshot.persistence).toBeUndefined();
    expect(snapshot.incomplete).toMatchObject({ reason: 'interrupted', partial: [] });
    expect(snapshot.incomplete?.missing).toEqual(expect.arrayContaining(['persistence', 'processes']));
    expect(snapshot.incomplete?.missing).not.toContain('host');
  });

  it('keeps not-applicable records of a path scan, and a content scan stopped before it began is missing', async () => {
    const controller = new AbortController();
    controller.abort();
    const root = fixtureRoot('miner-host');
    const snapshot = await collectSnapshot({
      root,
      now: FIXTURE_NOW,
      toolVersion: '9.9.9',
      scope: 'paths',
      content: { enabled: true, scope: 'paths', paths: [root], userRuleDirs: [], crossFs: false },
      signal: controller.signal,
    });
    const byId = new Map(snapshot.collection.map((r) => [r.collector, r]));
    expect(byId.get('linux.processes')?.status).toBe('not-applicable');
    expect(byId.get('content.scan')?.status).toBe('skipped');
    expect(snapshot.incomplete?.missing).toContain('content');
    expect(snapshot.incomplete?.missing).not.toContain('processes');
  });

  it('leaves a collection that ran to its end as it was: no incomplete', async () => {
    const controller = new AbortController();
    const snapshot = await collectSnapshot({
      root: fixtureRoot('clean-host'),
      now: FIXTURE_NOW,
      toolVersion: '9.9.9',
      signal: controller.signal,
    });
    controller.abort();
    expect(snapshot.incomplete).toBeUndefined();
    expect(snapshot.collection.every((r) => r.note === undefined || !r.note.startsWith('interrupted'))).toBe(
      true,
    );
  });
});
