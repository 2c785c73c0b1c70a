// Recognising image inputs: tarballs by their entry names (plain or compressed), layout
// directories by oci-layout + index.json, and everything else (a rootfs tarball, a random file,
// a plain directory) as not an image, without reading more than the first headers.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildImage,
  cleanImageSpec,
  dockerArchive,
  gzip,
  imageTempDir,
  ociArchive,
  outerTar,
  tarOf,
  writeInput,
  writeOciLayout,
  zstd,
} from '../../../test/helpers/image-builders.js';
import { recognizeTarget } from '../recognize.js';
import { imageFormatOf } from './format.js';

let dir: string;
beforeAll(async () => {
  dir = await imageTempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('imageFormatOf', () => {
  it('tells docker-archive, OCI archive and OCI layout apart', async () => {
    const built = buildImage(await cleanImageSpec());
    expect(await imageFormatOf(await writeInput(dir, 'd.tar', await dockerArchive([built])))).toBe(
      'docker-archive',
    );
    expect(
      await imageFormatOf(await writeInput(dir, 'b.tar', await dockerArchive([built], { style: 'blobs' }))),
    ).toBe('docker-archive');
    expect(await imageFormatOf(await writeInput(dir, 'o.tar', await ociArchive([built])))).toBe(
      'oci-archive',
    );
    const layout = path.join(dir, 'layout');
    await writeOciLayout(layout, [built]);
    expect(await imageFormatOf(layout)).toBe('oci-layout');
  });

  it('sees through a compressed save output', async () => {
    const built = buildImage(await cleanImageSpec());
    const archive = await dockerArchive([built]);
    expect(await imageFormatOf(await writeInput(dir, 'd.tar.gz', gzip(archive)))).toBe('docker-archive');
    const z = zstd(archive);
    if (z) expect(await imageFormatOf(await writeInput(dir, 'd.tar.zst', z))).toBe('docker-archive');
  });

  it('reads names given with ./ or / and long names', async () => {
    const built = buildImage(await cleanImageSpec());
    const archive = await outerTar([
      { name: `./blobs/sha256/${built.blobDigests[0]!.slice(7)}`, content: built.blobs[0] },
      // Past 100 characters with no place to split: written behind a PAX header.
      { name: `blobs/sha512/${'ab'.repeat(64)}`, content: Buffer.from('x') },
      { name: '/index.json', content: Buffer.from('{"manifests":[]}') },
    ]);
    expect(await imageFormatOf(await writeInput(dir, 'dot.tar', archive))).toBe('oci-archive');
  });

  it('is not fooled by a rootfs tarball, a tar that merely holds a manifest.json deeper down, or other files', async () => {
    const rootfs = await tarOf([
      { name: 'etc/', type: 'directory' },
      { name: 'manifest.json', content: '[]' },
    ]);
    expect(await imageFormatOf(await writeInput(dir, 'rootfs.tar', rootfs))).toBeUndefined();
    expect(await imageFormatOf(await writeInput(dir, 'rootfs.tar.gz', gzip(rootfs)))).toBeUndefined();
    const deep = await tarOf([{ name: 'app/manifest.json', content: '[]' }]);
    // An evidence bundle has a manifest.json of its own, an object, first.
    const bundle = await tarOf([
      { name: 'manifest.json', content: '{"files":[]}' },
      { name: 'report.json', content: '{}' },
    ]);
    expect(await imageFormatOf(await writeInput(dir, 'bundle.tar', bundle))).toBeUndefined();
    expect(await imageFormatOf(await writeInput(dir, 'bundle.tar.gz', gzip(bundle)))).toBeUndefined();
    expect(await imageFormatOf(await writeInput(dir, 'deep.tar', deep))).toBeUndefined();
    expect(await imageFormatOf(await writeInput(dir, 'random.bin', Buffer.alloc(4096, 7)))).toBeUndefined();
    expect(await imageFormatOf(await writeInput(dir, 'tiny', Buffer.from('x')))).toBeUndefined();
    const plain = path.join(dir, 'plain-dir');
    await mkdir(plain);
    await writeFile(path.join(plain, 'index.json'), '{}');
    expect(await imageFormatOf(plain)).toBeUndefined();
    expect(await imageFormatOf(path.join(dir, 'does-not-exist'))).toBeUndefined();
  });
});

describe('recognizeTarget', () => {
  it('makes an image file or layout a container-image target with no /proc', async () => {
    const built = buildImage(await cleanImageSpec());
    const file = await writeInput(dir, 'r.tar', await dockerArchive([built]));
    expect(await recognizeTarget(file)).toMatchObject({
      kind: 'container-image',
      root: file,
      live: false,
      proc: 'absent',
    });
    const layout = path.join(dir, 'r-layout');
    await writeOciLayout(layout, [built]);
    expect((await recognizeTarget(layout)).kind).toBe('container-image');
    expect((await recognizeTarget(dir)).kind).toBe('linux-root');
  });
});
