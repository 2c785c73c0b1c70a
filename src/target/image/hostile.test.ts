// Hostile and broken inputs for the image reader: each one a clear skip record or layer status,
// never a crash and never a file written: `..` entries, absolute names, hard links out of a layer or
// to nothing, symlink loops, cut layers and archives, manifests naming missing blobs, decompression
// bombs, malformed JSON, unknown codecs, digests that lie, blobs linked out of a layout.
import { readdirSync, readFileSync } from 'node:fs';
import { rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Images } from '../../snapshot/image.js';
import {
  buildImage,
  dockerArchive,
  gzip,
  imageTempDir,
  lookalikeImageSpec,
  ociArchive,
  tarOf,
  writeInput,
  writeOciLayout,
  yaraScanner,
  zstd,
  type EntrySpec,
} from '../../../test/helpers/image-builders.js';
import { readImages, type ReadImageOptions } from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await imageTempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A one-layer docker-archive whose layer blob is `blob` (or a tar of `entries`). */
async function oneLayer(
  name: string,
  blob: Buffer | EntrySpec[],
  config: Record<string, unknown> = {},
): Promise<string> {
  const layer = Array.isArray(blob) ? await tarOf(blob) : blob;
  const built = buildImage({
    names: [`localhost/${name}:1`],
    layers: [layer],
    config,
    history: [{ created_by: 'ADD x /' }],
  });
  return writeInput(dir, `${name}.tar`, await dockerArchive([built]));
}

async function read(file: string, opts: ReadImageOptions = {}): Promise<Images> {
  return readImages(file, { scanner: yaraScanner(), ...opts });
}

const skipsOf = (r: Images) => r.images.flatMap((i) => i.skips);

describe('entries of a layer', () => {
  it('leaves out a `..` entry that climbs above the root, with a skip', async () => {
    const r = await read(
      await oneLayer('traversal', [
        { name: '../../etc/cron.d/evil', content: 'x' },
        { name: 'ok', content: 'y', mode: 0o755 },
      ]),
    );
    expect(skipsOf(r)).toContainEqual({
      layer: 0,
      path: '../../etc/cron.d/evil',
      reason: 'path-traversal',
      detail: expect.any(String),
    });
    expect(r.images[0]?.files.map((f) => f.path)).toEqual(['/ok']);
  });

  it('reads absolute names relative to the image root and says so once per layer', async () => {
    const r = await read(
      await oneLayer('absolute', [
        { name: '/usr/bin/a', content: 'a', mode: 0o755 },
        { name: '/usr/bin/b', content: 'b', mode: 0o755 },
      ]),
    );
    expect(r.images[0]?.files.map((f) => f.path)).toEqual(['/usr/bin/a', '/usr/bin/b']);
    expect(skipsOf(r)).toEqual([
      { layer: 0, path: '/usr/bin/a', reason: 'absolute-name', detail: expect.stringContaining('2 entries') },
    ]);
  });

  it('refuses hard links out of the layer or to files it does not hold', async () => {
    const r = await read(
      await oneLayer('hardlinks', [
        { name: 'etc/shadow-copy', type: 'link', linkname: '../../etc/shadow' },
        { name: 'bin/ghost', type: 'link', linkname: 'bin/missing' },
      ]),
    );
    const reasons = skipsOf(r).map((s) => [s.path, s.reason]);
    expect(reasons).toEqual([
      ['/etc/shadow-copy', 'hardlink-outside'],
      ['/bin/ghost', 'hardlink-missing'],
    ]);
  });

  it('never follows symlinks while reading, and reports a start script behind a loop', async () => {
    const r = await read(
      await oneLayer(
        'loop',
        [
          { name: 'a', type: 'symlink', linkname: '/b' },
          { name: 'b', type: 'symlink', linkname: 'a' },
          { name: 'escape', type: 'symlink', linkname: '../../../../etc/passwd' },
        ],
        { Entrypoint: ['sh', '-c', '/a; /escape'] },
      ),
    );
    expect(skipsOf(r)).toContainEqual({ path: '/a', reason: 'symlink-loop', detail: expect.any(String) });
    // `..` never climbs above the image's root: the link leads to /etc/passwd of the image, absent.
    expect(skipsOf(r)).toContainEqual({
      path: '/escape',
      reason: 'start-script-missing',
      detail: expect.stringContaining('/etc'),
    });
    expect(r.images[0]?.startScripts).toEqual([]);
  });

  it('caps the skips listed per layer and counts the rest', async () => {
    const entries = Array.from({ length: 6 }, (_, i) => ({ name: `../x${i}`, content: '' }));
    const r = await read(await oneLayer('many', entries), { limits: { maxSkipsPerLayer: 2 } });
    expect(skipsOf(r).map((s) => s.reason)).toEqual(['path-traversal', 'path-traversal', 'more-skips']);
    expect(skipsOf(r)[2]?.detail).toContain('path-traversal 4');
  });

  it('stops a layer with too many entries (status limit)', async () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    const r = await read(await oneLayer('entries', entries), { limits: { maxEntries: 3 } });
    expect(r.images[0]?.layers[0]).toMatchObject({
      status: 'limit',
      note: expect.stringContaining('more than 3 entries'),
    });
  });
});

describe('cut data', () => {
  it('keeps the entries of a truncated layer read before the cut (status truncated)', async () => {
    const whole = await tarOf([
      { name: 'first', content: 'complete', mode: 0o755 },
      { name: 'second', content: Buffer.alloc(4096, 0x61), mode: 0o755 },
    ]);
    const r = await read(await oneLayer('cut', whole.subarray(0, 512 + 512 + 512 + 1000)));
    const layer = r.images[0]?.layers[0];
    expect(layer).toMatchObject({ status: 'truncated', note: expect.stringContaining('ends early') });
    expect(r.images[0]?.files.map((f) => f.path)).toEqual(['/first']);
    expect(skipsOf(r)).toContainEqual(expect.objectContaining({ path: '/second', reason: 'truncated' }));
  });

  it('says a cut gzip layer is truncated', async () => {
    const gz = gzip(await tarOf([{ name: 'a', content: Buffer.alloc(100_000, 0x62) }]));
    const r = await read(await oneLayer('cutgz', gz.subarray(0, Math.floor(gz.length / 2))));
    expect(r.images[0]?.layers[0]?.status).toBe('truncated');
  });

  it('reads a layer without the tar end blocks, as podman does', async () => {
    const whole = await tarOf([{ name: 'a', content: 'x', mode: 0o755 }]);
    const r = await read(await oneLayer('noend', whole.subarray(0, 1024)));
    expect(r.images[0]?.layers[0]?.status).toBe('ok');
    expect(r.images[0]?.files.map((f) => f.path)).toEqual(['/a']);
  });

  it('keeps what a cut archive held before the cut', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const archive = await dockerArchive([built], { manifestFirst: true });
    const file = await writeInput(dir, 'cut-archive.tar', archive.subarray(0, archive.length - 3000));
    const r = await read(file);
    expect(r.skips).toContainEqual(expect.objectContaining({ reason: 'truncated', path: file }));
    // Manifest, three layers, config: the cut falls in the last layer; the config is gone.
    expect(r.images[0]?.layers.map((l) => l.status)).toEqual(['ok', 'ok', 'truncated']);
    expect(r.images[0]?.skips).toContainEqual(
      expect.objectContaining({ reason: 'missing-blob', path: `${built.configDigest.slice(7)}.json` }),
    );
  });
});

describe('manifests and documents', () => {
  it('marks a layer the manifest names but the archive lacks as missing, and still reads the image', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const archive = await dockerArchive([built], {
      extra: [],
      manifest: Buffer.from(
        JSON.stringify([
          {
            Config: `${built.configDigest.slice(7)}.json`,
            RepoTags: ['localhost/missing:1'],
            Layers: [
              `${built.blobDigests[0]!.slice(7)}/layer.tar`,
              'f'.repeat(64) + '/layer.tar',
              `${built.blobDigests[2]!.slice(7)}/layer.tar`,
            ],
          },
        ]),
      ),
    });
    const r = await read(await writeInput(dir, 'missing.tar', archive));
    const img = r.images[0];
    expect(img?.layers.map((l) => l.status)).toEqual(['ok', 'missing', 'ok']);
    expect(img?.layers[1]?.createdBy).toBeDefined();
    expect(img?.skips).toContainEqual(expect.objectContaining({ layer: 1, reason: 'missing-blob' }));
  });

  it('reports malformed JSON in manifest.json, and in a config without losing the image', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const bad = await read(
      await writeInput(
        dir,
        'badmanifest.tar',
        await dockerArchive([built], { manifest: Buffer.from('[{"Config": ') }),
      ),
    );
    expect(bad.images).toEqual([]);
    expect(bad.skips).toContainEqual(
      expect.objectContaining({ path: 'manifest.json', reason: 'malformed-json' }),
    );

    const wrongShape = await read(
      await writeInput(
        dir,
        'shape.tar',
        await dockerArchive([built], { manifest: Buffer.from('[{"Config":1}]') }),
      ),
    );
    expect(wrongShape.skips).toContainEqual(
      expect.objectContaining({ path: 'manifest.json', reason: 'malformed-json' }),
    );

    const cfgKey = `${built.configDigest.slice(7)}.json`;
    const badConfig = await read(
      await writeInput(
        dir,
        'badconfig.tar',
        await dockerArchive([built], {
          extra: [{ name: cfgKey, content: Buffer.from('{"config": {"Env": 7}') }],
        }),
      ),
    );
    const img = badConfig.images[0];
    expect(img?.skips).toContainEqual(expect.objectContaining({ path: cfgKey, reason: 'malformed-json' }));
    expect(img?.config).toEqual({ env: [], exposedPorts: [] });
    expect(img?.layers.map((l) => l.status)).toEqual(['ok', 'ok', 'ok']);
    expect(badConfig.skips).toContainEqual(
      expect.objectContaining({ path: cfgKey, reason: 'duplicate-entry' }),
    );
  });

  it('refuses an OCI digest that is no digest, without reading any path made of it', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const layout = path.join(dir, 'baddigest');
    await writeOciLayout(layout, [built]);
    const index = JSON.parse(readFileSync(path.join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    index.manifests.push({ digest: 'sha256:../../../../etc/passwd' });
    await writeFile(path.join(layout, 'index.json'), JSON.stringify(index));
    const r = await read(layout);
    expect(r.images).toHaveLength(1);
    expect(r.skips).toContainEqual(
      expect.objectContaining({ reason: 'bad-digest', path: 'sha256:../../../../etc/passwd' }),
    );
  });

  it('says when a layout blob’s content does not match its digest, and refuses a blob linked out of the layout', async () => {
    const built = buildImage({ ...(await lookalikeImageSpec()), compress: gzip });
    const layout = path.join(dir, 'tampered');
    await writeOciLayout(layout, [built]);
    const blob = (i: number) => path.join(layout, 'blobs/sha256', built.blobDigests[i]!.slice(7));
    await writeFile(blob(0), gzip(await tarOf([{ name: 'swapped', content: 'x', mode: 0o755 }])));
    await rm(blob(2));
    await symlink('/etc/hostname', blob(2));
    const img = (await read(layout)).images[0];
    expect(img?.skips).toContainEqual(expect.objectContaining({ layer: 0, reason: 'digest-mismatch' }));
    expect(img?.layers[2]).toMatchObject({
      status: 'unreadable',
      note: expect.stringContaining('link-outside'),
    });
  });

  it('follows a link loop between archive paths no further than its bound', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const [x, y] = ['1'.repeat(64), '2'.repeat(64)];
    const manifest = Buffer.from(
      JSON.stringify([
        { Config: `${built.configDigest.slice(7)}.json`, RepoTags: ['l:1'], Layers: [`${x}/layer.tar`] },
      ]),
    );
    const archive = await dockerArchive([built], {
      manifest,
      extra: [
        { name: `${x}/layer.tar`, type: 'symlink', linkname: `../${y}/layer.tar` },
        { name: `${y}/layer.tar`, type: 'symlink', linkname: `../${x}/layer.tar` },
      ],
    });
    const r = await read(await writeInput(dir, 'linkloop.tar', archive));
    expect(r.images[0]?.layers[0]).toMatchObject({
      status: 'unreadable',
      note: expect.stringContaining('symlink-loop'),
    });
  });

  it('leaves out an outer entry that climbs out of the archive', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const archive = await dockerArchive([built], {
      extra: [{ name: '../../outside.json', content: Buffer.from('{}') }],
    });
    const r = await read(await writeInput(dir, 'outer-traversal.tar', archive));
    expect(r.skips).toContainEqual(
      expect.objectContaining({ path: '../../outside.json', reason: 'path-traversal' }),
    );
    expect(r.images).toHaveLength(1);
  });
});

describe('codecs and bombs', () => {
  it('marks an xz layer and a blob of garbage unreadable with a note', async () => {
    const xz = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(600, 1)]);
    const rx = await read(await oneLayer('xz', xz));
    expect(rx.images[0]?.layers[0]).toMatchObject({
      status: 'unreadable',
      note: expect.stringContaining('xz'),
    });
    const junk = Buffer.alloc(10_000_000 + 1, 0x37);
    const rj = await read(await oneLayer('junk', junk), { limits: { maxJsonBytes: 1024 } });
    expect(rj.images[0]?.layers[0]).toMatchObject({
      status: 'unreadable',
      note: expect.stringContaining('not a tar, gzip or zstd'),
    });
  });

  it('stops a gzip bomb at the per-layer limit and at the ratio limit (status limit)', async () => {
    const bomb = gzip(await tarOf([{ name: 'zeros', content: Buffer.alloc(32 * 1024 * 1024) }]));
    expect(bomb.length).toBeLessThan(64 * 1024);
    const capped = await read(await oneLayer('bomb', bomb), { limits: { maxLayerBytes: 4 * 1024 * 1024 } });
    expect(capped.images[0]?.layers[0]).toMatchObject({
      status: 'limit',
      note: expect.stringContaining('per-layer limit'),
    });
    expect(capped.images[0]?.skips).toContainEqual(
      expect.objectContaining({ layer: 0, reason: 'layer-limit' }),
    );
    const ratio = await read(await oneLayer('bomb2', bomb), {
      limits: { maxRatio: 50, ratioFromBytes: 1024 * 1024 },
    });
    expect(ratio.images[0]?.layers[0]).toMatchObject({
      status: 'limit',
      note: expect.stringContaining('decompression bomb'),
    });
    // The bomb is a record of its own, which the report's image-bomb finding reads.
    expect(ratio.images[0]?.skips).toContainEqual(
      expect.objectContaining({
        layer: 0,
        reason: 'decompression-bomb',
        detail: expect.stringContaining('times'),
      }),
    );
  });

  const zstdAvailable = zstd(Buffer.from('probe')) !== undefined;
  it.skipIf(!zstdAvailable)(
    'stops a zstd bomb and a zstd window past the limit (skipped without the `zstd` CLI)',
    async () => {
      const bomb = zstd(await tarOf([{ name: 'zeros', content: Buffer.alloc(32 * 1024 * 1024) }])) as Buffer;
      const r = await read(await oneLayer('zbomb', bomb), { limits: { maxLayerBytes: 4 * 1024 * 1024 } });
      expect(r.images[0]?.layers[0]).toMatchObject({ status: 'limit' });
      const w = await read(await oneLayer('zwindow', bomb), { limits: { maxZstdWindow: 1024 } });
      expect(w.images[0]?.layers[0]).toMatchObject({
        status: 'limit',
        note: expect.stringContaining('window'),
      });
    },
  );

  it('reads an OCI archive whose layers are fine after a broken one', async () => {
    const spec = await lookalikeImageSpec();
    const built = buildImage({
      ...spec,
      compress: (b, i) => (i === 0 ? Buffer.from('garbage that is no layer at all') : gzip(b)),
    });
    const r = await read(await writeInput(dir, 'oci-broken.tar', await ociArchive([built])));
    expect(r.images[0]?.layers.map((l) => l.status)).toEqual(['unreadable', 'ok', 'ok']);
    expect(r.images[0]?.files.find((f) => f.path === '/tmp/.x/dropper.sh')).toMatchObject({
      inFinal: false,
      removedBy: 2,
    });
  });
});

describe('the reader writes nothing', () => {
  it('has no module that opens a file for writing', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    for (const name of readdirSync(here).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
      const src = readFileSync(path.join(here, name), 'utf8');
      expect(src, name).not.toMatch(
        /writeFile|createWriteStream|mkdir|mkdtemp|appendFile|rename\(|\bunlink\b/,
      );
    }
  });
});
