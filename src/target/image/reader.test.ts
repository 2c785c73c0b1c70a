// The image reader on real tarballs and layouts built with tar-stream: docker-archive (legacy and
// docker 25 layouts, several images, compressed archive), OCI layout directory and OCI archive with
// gzip layers and a nested index, a zstd layer, start scripts found through PATH and symlinks.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Image } from '../../snapshot/image.js';
import {
  DROPPER_SCRIPT,
  ENTRYPOINT_SCRIPT,
  LOOKALIKE_STEPS,
  buildImage,
  cleanImageSpec,
  dockerArchive,
  dockerArchiveEntries,
  gzip,
  imageTempDir,
  lookalikeImageSpec,
  lookalikeMinerBytes,
  ociArchive,
  outerTar,
  sha256,
  tarOf,
  writeInput,
  writeOciLayout,
  yaraScanner,
  zstd,
} from '../../../test/helpers/image-builders.js';
import { readImages } from './index.js';

let dir: string;
beforeAll(async () => {
  dir = await imageTempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rules = (f: { matches: { rule: string }[] } | undefined) => f?.matches.map((m) => m.rule) ?? [];
const fileAt = (img: Image | undefined, p: string, layer?: number) =>
  img?.files.find((f) => f.path === p && (layer === undefined || f.layer === layer));

/** What every reading of the look-alike image must show, whatever the archive format. */
function expectLookalike(img: Image | undefined): void {
  expect(img?.ref).toBe('localhost/lookalike:1');
  expect(img?.layers.map((l) => l.status)).toEqual(['ok', 'ok', 'ok']);
  expect(img?.layers.map((l) => l.createdBy)).toEqual([
    LOOKALIKE_STEPS.base,
    LOOKALIKE_STEPS.miner,
    LOOKALIKE_STEPS.cleanup,
  ]);
  expect(img?.history.map((h) => h.layer)).toEqual([0, 1, undefined, 2]);
  expect(img?.history[2]).toMatchObject({ emptyLayer: true, createdBy: LOOKALIKE_STEPS.env });
  const miner = fileAt(img, '/usr/local/bin/kworker');
  expect(miner).toMatchObject({
    layer: 1,
    inFinal: true,
    executable: true,
    form: 'elf',
    sha256: sha256(lookalikeMinerBytes()),
  });
  expect(rules(miner)).toContain('MH_XMRig_Miner');
  const dropper = fileAt(img, '/tmp/.x/dropper.sh');
  expect(dropper).toMatchObject({ layer: 1, inFinal: false, removedBy: 2, sha256: sha256(DROPPER_SCRIPT) });
  expect(rules(dropper)).toContain('MH_Dropper_Kill_Competing_Miners');
  // The hard link shares busybox's content.
  expect(fileAt(img, '/bin/sh')?.sha256).toBe(fileAt(img, '/bin/busybox')?.sha256);
  expect(img?.startScripts).toEqual([{ path: '/docker-entrypoint.sh', text: ENTRYPOINT_SCRIPT }]);
  expect(img?.config).toMatchObject({ entrypoint: ['/docker-entrypoint.sh'], exposedPorts: ['3333/tcp'] });
  expect(img?.skips).toEqual([]);
  expect(img?.filesScanned).toBe(5);
}

describe('docker-archive', () => {
  it('reads a legacy docker save (layers first, manifest last): files, whiteouts, history, start script', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const file = await writeInput(dir, 'legacy.tar', await dockerArchive([built]));
    const r = await readImages(file, { scanner: yaraScanner() });
    expect(r).toMatchObject({ source: file, format: 'docker-archive', skips: [] });
    expect(r.images).toHaveLength(1);
    const img = r.images[0];
    expectLookalike(img);
    expect(img?.digest).toBe(built.configDigest);
    expect(img?.layers.map((l) => l.digest)).toEqual(built.blobDigests);
    expect(img?.layers.map((l) => l.diffId)).toEqual(built.diffIds);
    expect(img).toMatchObject({ os: 'linux', architecture: 'amd64' });
  });

  it('reads docker 25’s blobs/ layout with manifest.json first and gzip layers', async () => {
    const built = buildImage({ ...(await lookalikeImageSpec()), compress: gzip });
    const file = await writeInput(
      dir,
      'blobs.tar',
      await dockerArchive([built], { style: 'blobs', manifestFirst: true }),
    );
    const img = (await readImages(file, { scanner: yaraScanner() })).images[0];
    expectLookalike(img);
    expect(img?.layers.map((l) => l.digest)).toEqual(built.blobDigests);
  });

  it('reads several images sharing a layer, and a compressed archive (docker save | gzip)', async () => {
    const a = buildImage(await lookalikeImageSpec());
    const clean = await cleanImageSpec();
    const [base] = (await lookalikeImageSpec()).layers;
    const b = buildImage({
      ...clean,
      layers: [base as Buffer, ...clean.layers],
      history: [{ created_by: 'FROM base' }, ...clean.history],
    });
    const file = await writeInput(dir, 'two.tar.gz', gzip(await dockerArchive([a, b])));
    const r = await readImages(file, { scanner: yaraScanner() });
    expect(r.format).toBe('docker-archive');
    expect(r.images.map((i) => i.ref)).toEqual(['localhost/lookalike:1', 'localhost/clean:1']);
    expect(r.images[1]?.layers[0]?.digest).toBe(r.images[0]?.layers[0]?.digest);
    expect(r.images[1]?.files.filter((f) => f.matches.length > 0)).toEqual([]);
    expect(fileAt(r.images[1], '/bin/app')).toMatchObject({ layer: 1, executable: true, inFinal: true });
  });

  it('names an image from `repositories` when manifest.json has no RepoTags, and follows layer.tar links', async () => {
    const built = buildImage(await lookalikeImageSpec());
    const entries = dockerArchiveEntries([built]);
    const manifest = JSON.parse(
      entries.find((e) => e.name === 'manifest.json')?.content?.toString() ?? '[]',
    ) as {
      RepoTags: unknown;
      Layers: string[];
    }[];
    const m = manifest[0]!;
    m.RepoTags = null;
    // Older docker wrote a shared layer once and linked it from the other layer directories.
    const top = m.Layers[2]!;
    const linkedId = 'a'.repeat(64);
    m.Layers[2] = `${linkedId}/layer.tar`;
    const rest = entries.filter((e) => e.name !== 'manifest.json');
    const file = await writeInput(
      dir,
      'repos.tar',
      await outerTar([
        ...rest,
        { name: `${linkedId}/layer.tar`, type: 'symlink', linkname: `../${top}` },
        { name: 'manifest.json', content: Buffer.from(JSON.stringify(manifest)) },
        { name: 'repositories', content: Buffer.from(JSON.stringify({ 'localhost/old': { v1: linkedId } })) },
      ]),
    );
    const img = (await readImages(file, { scanner: yaraScanner() })).images[0];
    expect(img?.names).toEqual(['localhost/old:v1']);
    expect(fileAt(img, '/tmp/.x/dropper.sh')).toMatchObject({ inFinal: false, removedBy: 2 });
  });

  it('lists executables with their sha256 and no matches when no scanner is given', async () => {
    const file = await writeInput(
      dir,
      'noscan.tar',
      await dockerArchive([buildImage(await lookalikeImageSpec())]),
    );
    const img = (await readImages(file)).images[0];
    expect(fileAt(img, '/usr/local/bin/kworker')).toMatchObject({ executable: true, matches: [] });
    expect(fileAt(img, '/tmp/.x/dropper.sh')).toMatchObject({ executable: true, inFinal: false });
  });
});

describe('OCI', () => {
  it('reads an OCI layout directory with gzip layers behind a nested index', async () => {
    const built = buildImage({ ...(await lookalikeImageSpec()), compress: gzip });
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [built], { nested: true });
    const r = await readImages(layout, { scanner: yaraScanner() });
    expect(r).toMatchObject({ format: 'oci-layout', skips: [] });
    const img = r.images[0];
    expectLookalike(img);
    expect(img?.manifestDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(img?.layers.map((l) => l.digest)).toEqual(built.blobDigests);
    expect(img?.layers[0]?.mediaType).toBe('application/vnd.oci.image.layer.v1.tar+gzip');
    expect(img?.layers[0]?.size).toBe(built.blobs[0]?.length);
  });

  it('reads the same image as an OCI archive (index.json last)', async () => {
    const built = buildImage({ ...(await lookalikeImageSpec()), compress: gzip });
    const file = await writeInput(dir, 'oci.tar', await ociArchive([built]));
    const r = await readImages(file, { scanner: yaraScanner() });
    expect(r.format).toBe('oci-archive');
    expectLookalike(r.images[0]);
  });

  const zstdAvailable = zstd(Buffer.from('probe')) !== undefined;
  it.skipIf(!zstdAvailable)(
    'reads a zstd layer (skipped when the `zstd` CLI that makes one is not installed)',
    async () => {
      const spec = await lookalikeImageSpec();
      const built = buildImage({ ...spec, compress: (b, i) => (i === 1 ? (zstd(b) as Buffer) : gzip(b)) });
      const file = await writeInput(dir, 'zstd.tar', await ociArchive([built]));
      const img = (await readImages(file, { scanner: yaraScanner() })).images[0];
      expectLookalike(img);
      expect(built.blobs[1]?.readUInt32LE(0)).toBe(0xfd2fb528);
    },
  );
});

describe('whiteouts in real layers', () => {
  it('applies an opaque directory, a deleted directory and a replaced file', async () => {
    const exe = { mode: 0o755 };
    const layers = [
      await tarOf([
        { name: 'app/', type: 'directory' },
        { name: 'app/old', content: 'old', ...exe },
        { name: 'opt/tool/bin/t', content: 't', ...exe },
        { name: 'usr/bin/x', content: 'x1', ...exe },
        { name: 'usr/bin/y', content: 'y', ...exe },
      ]),
      await tarOf([
        { name: 'app/', type: 'directory' },
        { name: 'app/.wh..wh..opq', content: '' },
        { name: 'app/new', content: 'new', ...exe },
        { name: 'opt/.wh.tool', content: '' },
      ]),
      await tarOf([{ name: 'usr/bin/x', content: 'x2', ...exe }]),
    ];
    const built = buildImage({
      names: ['localhost/wh:1'],
      layers,
      config: {},
      history: layers.map(() => ({ created_by: 'RUN step' })),
    });
    const img = (await readImages(await writeInput(dir, 'wh.tar', await dockerArchive([built])))).images[0];
    const state = img?.files.map((f) => [f.path, f.layer, f.inFinal, f.removedBy]);
    expect(state).toEqual([
      ['/app/old', 0, false, 1],
      ['/opt/tool/bin/t', 0, false, 1],
      ['/usr/bin/x', 0, false, 2],
      ['/usr/bin/y', 0, true, undefined],
      ['/app/new', 1, true, undefined],
      ['/usr/bin/x', 2, true, undefined],
    ]);
  });
});

describe('start scripts and big files', () => {
  it('finds the entrypoint on PATH and through a symlink, and hashes a file too big to scan', async () => {
    const big = Buffer.alloc(300 * 1024, 0x41);
    big.writeUInt32LE(0x464c457f, 0);
    const layer = await tarOf([
      { name: 'usr/local/bin/docker-entrypoint.sh', content: '#!/bin/sh\nexec "$@"\n', mode: 0o755 },
      { name: 'entrypoint', type: 'symlink', linkname: 'usr/local/bin/docker-entrypoint.sh' },
      { name: 'opt/big', content: big, mode: 0o755 },
    ]);
    const built = buildImage({
      names: ['localhost/path:1'],
      layers: [layer],
      config: {
        Entrypoint: ['docker-entrypoint.sh'],
        Cmd: ['sh', '-c', '/entrypoint && run'],
        Env: ['PATH=/usr/local/bin:/bin'],
      },
      history: [{ created_by: 'COPY . /' }],
    });
    const file = await writeInput(dir, 'path.tar', await dockerArchive([built]));
    const img = (await readImages(file, { scanner: yaraScanner(), limits: { maxScanBytes: 64 * 1024 } }))
      .images[0];
    expect(img?.startScripts).toEqual([
      { path: '/usr/local/bin/docker-entrypoint.sh', text: '#!/bin/sh\nexec "$@"\n' },
    ]);
    expect(fileAt(img, '/opt/big')).toMatchObject({
      executable: true,
      size: big.length,
      sha256: sha256(big),
      matches: [],
    });
    expect(img?.skips).toContainEqual(
      expect.objectContaining({ layer: 0, path: '/opt/big', reason: 'too-large' }),
    );
  });
});
