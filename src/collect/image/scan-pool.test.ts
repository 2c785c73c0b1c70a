// The image scan on worker threads gives what the plain scanner gives: the same image read from a
// docker-archive (plain and gzip'd layers; files in batches, files larger than a batch, executables
// hashed, hard links to files still being scanned, the look-alike found), and the same outcomes
// when the workers die halfway (the main thread takes over).
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAllRules } from '../../engine/content-scan.js';
import {
  buildImage,
  dockerArchive,
  gzip,
  imageTempDir,
  lookalikeLayers,
  lookalikeMinerBytes,
  tarOf,
  writeInput,
  yaraScanner,
  type EntrySpec,
} from '../../../test/helpers/image-builders.js';
import { readImages } from '../../target/image/index.js';
import { EarlyWorkers, ImageScanPool } from './scan-pool.js';

let dir: string;
beforeAll(async () => {
  dir = await imageTempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Bytes that differ per seed, so no two files hash alike. */
function filler(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed * 2654435761;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    b.writeUInt32LE(x, Math.min(i, size - 4));
  }
  return b;
}

/** A layer of many small files, some executables, a few larger than a batch, hard links, a look-alike. */
async function busyLayer(): Promise<Buffer> {
  const entries: EntrySpec[] = [];
  for (let i = 0; i < 400; i++)
    entries.push({ name: `app/f${i}.bin`, content: filler(20_000 + i * 37, i), mode: i % 3 ? 0o644 : 0o755 });
  for (let i = 0; i < 3; i++)
    entries.push({ name: `opt/big${i}`, content: filler(3 * 1024 * 1024 + i, 1000 + i), mode: 0o755 });
  entries.push({ name: 'usr/local/bin/kworker2', content: lookalikeMinerBytes(), mode: 0o644 });
  // Made while their targets may still be out on a worker.
  entries.push({ name: 'usr/local/bin/kworker3', type: 'link', linkname: 'usr/local/bin/kworker2' });
  entries.push({ name: 'opt/big-link', type: 'link', linkname: 'opt/big1' });
  // The same path again in the layer: the later entry is what the layer holds.
  entries.push({ name: 'app/f5.bin', content: 'replaced', mode: 0o644 });
  return tarOf(entries);
}

describe('ImageScanPool', () => {
  it('adopts workers started before the rules were compiled, and reads the image the same', async () => {
    const layers = [...(await lookalikeLayers()), await busyLayer()];
    const built = buildImage({
      names: ['localhost/early:1'],
      layers,
      config: {},
      history: layers.map(() => ({ created_by: 'ADD x /' })),
    });
    const file = await writeInput(dir, 'early.tar', await dockerArchive([built]));
    // Layers handed to the workers whole, and the last one's files in batches.
    const limits = { offloadBytes: 1, maxJsonBytes: 64 * 1024 };
    const plain = await readImages(file, { scanner: yaraScanner(), limits });
    const early = new EarlyWorkers(2);
    const { scanner } = compileAllRules();
    const pool = new ImageScanPool(scanner, 2, { timeoutMs: 10_000 }, early);
    let pooled;
    try {
      pool.start();
      expect(await pool.workersReady()).toBe(2);
      pooled = await readImages(file, { scanner: pool, limits });
    } finally {
      await pool.close();
    }
    expect(pooled).toEqual(plain);
    expect(early.take()).toBeUndefined();
  });

  it('reads an image as the plain scanner does', async () => {
    // The busy layer gzip'd (its decoder paused while the workers are behind, and still decoding
    // its last files when the archive's next blob comes), then plain, then gzip'd again.
    const busy = await busyLayer();
    const layers = [...(await lookalikeLayers()), gzip(busy), busy, gzip(busy)];
    const built = buildImage({
      names: ['localhost/busy:1'],
      layers,
      config: {},
      history: layers.map(() => ({ created_by: 'ADD x /' })),
    });
    const file = await writeInput(dir, 'busy.tar', await dockerArchive([built]));
    const plain = await readImages(file, { scanner: yaraScanner() });
    const { scanner } = compileAllRules();
    const pool = new ImageScanPool(scanner, 2, { timeoutMs: 10_000 });
    let pooled;
    try {
      // Ready before the read, so the workers (not the main thread warming up) scan the batches.
      pool.start();
      expect(await pool.workersReady()).toBe(2);
      pooled = await readImages(file, { scanner: pool });
    } finally {
      await pool.close();
    }
    expect(pooled).toEqual(plain);
    const files = pooled.images[0]?.files ?? [];
    expect(files.find((f) => f.path === '/usr/local/bin/kworker3')?.matches.length).toBeGreaterThan(0);
    expect(files.find((f) => f.path === '/opt/big-link')?.sha256).toBe(
      files.find((f) => f.path === '/opt/big1')?.sha256,
    );
    expect(files.some((f) => f.path === '/app/f5.bin')).toBe(false);
  });

  it('reads whole layers on its workers, side by side, as the plain scanner does', async () => {
    // Every blob past 64 KiB lying whole in the tarball, with more than offloadBytes after it, is a
    // worker's to read; smaller ones (the documents above all) are read here.
    const busy = await busyLayer();
    const layers = [...(await lookalikeLayers()), busy, gzip(busy)];
    const built = buildImage({
      names: ['localhost/layers:1'],
      layers,
      config: {},
      history: layers.map(() => ({ created_by: 'ADD x /' })),
    });
    const file = await writeInput(dir, 'layers.tar', await dockerArchive([built]));
    const limits = { offloadBytes: 1, maxJsonBytes: 64 * 1024 };
    const plain = await readImages(file, { scanner: yaraScanner(), limits });
    const { scanner } = compileAllRules();
    const read = async (kill: boolean) => {
      const pool = new ImageScanPool(scanner, 2, { timeoutMs: 10_000 });
      const offloaded: string[] = [];
      const readLayer = pool.readLayer.bind(pool);
      pool.readLayer = (job) => {
        offloaded.push(job.key);
        return readLayer(job);
      };
      try {
        pool.start();
        expect(await pool.workersReady()).toBe(2);
        // Workers gone: the reader reads the layers it meant for them itself.
        const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
        if (kill) await Promise.all(slots.map((s) => s.worker.terminate()));
        return { images: await readImages(file, { scanner: pool, limits }), offloaded };
      } finally {
        await pool.close();
      }
    };
    for (const kill of [false, true]) {
      const { images, offloaded } = await read(kill);
      expect(images).toEqual(plain);
      // The busy layer and its gzip'd copy.
      expect(offloaded.length).toBe(2);
    }
    expect(plain.images[0]?.layers.every((l) => l.status === 'ok')).toBe(true);
    expect(plain.images[0]?.files.some((f) => f.path === '/usr/local/bin/kworker3')).toBe(true);
  });

  it('scans on the main thread when its workers die', async () => {
    const { scanner } = compileAllRules();
    const pool = new ImageScanPool(scanner, 2, { timeoutMs: 10_000 });
    const scanAll = async (n: number, offset: number) => {
      const answers = [];
      for (let i = 0; i < n; i++) {
        const bytes = i % 50 === 0 ? lookalikeMinerBytes() : filler(100_000, offset + i);
        const room = pool.room(bytes.length);
        bytes.copy(room);
        answers.push(pool.scan(room, `/f${i}`, { sha256: i % 2 === 0 }));
        await pool.ready();
      }
      pool.flush();
      return Promise.allSettled(answers);
    };
    try {
      pool.start();
      expect(await pool.workersReady()).toBe(2);
      const first = await scanAll(200, 0);
      expect(first.every((a) => a.status === 'fulfilled')).toBe(true);
      const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
      expect(slots.length).toBe(2);
      await Promise.all(slots.map((s) => s.worker.terminate()));
      const after = await scanAll(100, 1000);
      const outcomes = after.map((a) => (a.status === 'fulfilled' ? a.value : undefined));
      expect(outcomes.every(Boolean)).toBe(true);
      expect(outcomes[0]?.matches.map((m) => m.rule)).toContain('MH_XMRig_Miner');
      expect(outcomes[2]?.sha256).toMatch(/^[a-f0-9]{64}$/);
      expect(outcomes[1]?.sha256).toBeUndefined();
    } finally {
      await pool.close();
    }
  });
});
