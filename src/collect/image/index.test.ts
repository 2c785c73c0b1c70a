// The collectors of a container-image target through collectSnapshot: a docker-archive becomes a
// snapshot of kind container-image with its `image` section, the host's collectors recorded as not
// applicable, `partial` when a layer could not be read whole, and a round trip through JSON intact.
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotSchema, collectedSections } from '../../snapshot/schema.js';
import { collectSnapshot } from '../index.js';
import {
  buildImage,
  dockerArchive,
  imageTempDir,
  lookalikeImageSpec,
  writeInput,
} from '../../../test/helpers/image-builders.js';
import type { LayerProgress } from '../../target/image/index.js';

let dir: string;
beforeAll(async () => {
  dir = await imageTempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const now = () => new Date('2026-01-02T03:04:05Z');
const content = { enabled: true, scope: 'paths' as const, paths: [], userRuleDirs: [], crossFs: false };

describe('image.layers', () => {
  it('fills the image section of a container-image snapshot and reports progress per layer', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const file = await writeInput(dir, 'img.tar', await dockerArchive([built]));
    const progress: LayerProgress[] = [];
    const started: string[] = [];
    const snap = await collectSnapshot({
      root: file,
      now,
      toolVersion: '9.9.9',
      content,
      image: { onLayer: (p) => progress.push(p) },
      onProgress: (id) => started.push(id),
    });
    expect(SnapshotSchema.parse(JSON.parse(JSON.stringify(snap)))).toEqual(snap);
    expect(snap.target).toEqual({ kind: 'container-image', root: file, live: false });
    expect(snap.host).toEqual({ addresses: [] });
    expect(snap.collection[0]).toMatchObject({
      collector: 'image.layers',
      sections: ['image'],
      status: 'ok',
    });
    expect(snap.collection[0]?.note).toContain('1 image(s), 3 layer(s)');
    expect(snap.collection.slice(1).every((r) => r.status === 'not-applicable')).toBe(true);
    expect(snap.collection.map((r) => r.collector)).toContain('linux.processes');
    expect([...collectedSections(snap)]).toEqual(['image']);
    expect(started).toEqual(['image.layers']);
    expect(progress.filter((p) => p.phase === 'done').map((p) => p.status)).toEqual(['ok', 'ok', 'ok']);
    const img = snap.image?.images[0];
    expect(img?.ref).toBe('localhost/lookalike:1');
    expect(img?.files.find((f) => f.path === '/usr/local/bin/kworker')?.matches.map((m) => m.rule)).toContain(
      'MH_XMRig_Miner',
    );
  });

  it('is partial, with a note, when a layer could not be read whole', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const cut = built.blobs[1]!.subarray(0, 700);
    const archive = await dockerArchive([{ ...built, blobs: [built.blobs[0]!, cut, built.blobs[2]!] }]);
    const snap = await collectSnapshot({
      root: await writeInput(dir, 'cut.tar', archive),
      now,
      toolVersion: '9.9.9',
      content,
    });
    expect(snap.collection[0]).toMatchObject({
      status: 'partial',
      note: expect.stringContaining('1 truncated'),
    });
  });

  it('lists executables without scanning them under --no-content, and says so', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const snap = await collectSnapshot({
      root: await writeInput(dir, 'nocontent.tar', await dockerArchive([built])),
      now,
      toolVersion: '9.9.9',
      content: { ...content, enabled: false },
    });
    expect(snap.collection[0]).toMatchObject({ status: 'ok', note: expect.stringContaining('--no-content') });
    expect(snap.image?.images[0]?.files.every((f) => f.matches.length === 0)).toBe(true);
  });
});
