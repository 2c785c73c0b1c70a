// End-to-end: the built CLI on image tarballs and layouts made by test/helpers/image-builders.ts.
// `image` prints one report per input (a JSON array); `scan --path` and `collect --path` on an image
// take the same way in; findings and the snapshot name the image, its digest, the layer digest and
// the build step; a clean image exits 0, a non-image input 2, a cut image says so.
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Evidence, Finding } from '../../src/model/finding.js';
import { SnapshotSchema } from '../../src/snapshot/schema.js';
import { ensureBuilt, runCli, type ReportJson } from '../helpers/cli.js';
import {
  LOOKALIKE_STEPS,
  buildImage,
  cleanImageSpec,
  dockerArchive,
  gzip,
  imageTempDir,
  lookalikeImageSpec,
  ociArchive,
  writeInput,
  writeOciLayout,
  type BuiltImage,
} from '../helpers/image-builders.js';

let dir: string;
let miner: BuiltImage;
let minerTar: string;
let ociTar: string;
let layout: string;
let cleanTar: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await imageTempDir();
  miner = buildImage(await lookalikeImageSpec());
  minerTar = await writeInput(dir, 'miner.tar', await dockerArchive([miner]));
  const gz = buildImage({ ...(await lookalikeImageSpec(['localhost/lookalike-oci:1'])), compress: gzip });
  ociTar = await writeInput(dir, 'miner.oci.tar', await ociArchive([gz]));
  layout = path.join(dir, 'layout');
  await writeOciLayout(layout, [gz]);
  cleanTar = await writeInput(dir, 'clean.tar', await dockerArchive([buildImage(await cleanImageSpec())]));
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

type ImageEvidence = Extract<Evidence, { type: 'image' }>;
const imageEvidence = (findings: Finding[]): ImageEvidence[] =>
  findings.flatMap((f) => f.evidence.filter((e): e is ImageEvidence => e.type === 'image'));

function parseJson<T>(stdout: string, what: string): T {
  try {
    return JSON.parse(stdout) as T;
  } catch (cause) {
    throw new Error(`${what}: not JSON:\n${stdout.slice(0, 2000)}`, { cause });
  }
}

describe('minehunter image', () => {
  it('prints a JSON array with one report per input; findings name image, digest, layer and build step', async () => {
    const r = await runCli(['image', minerTar, layout, ociTar, '--format', 'json', '--no-cache']);
    expect(r.code, r.stderr).toBe(1);
    const reports = parseJson<ReportJson[]>(r.stdout, 'image --format json');
    expect(reports).toHaveLength(3);
    expect(reports.map((x) => x.target)).toEqual([
      { kind: 'container-image', root: minerTar, live: false },
      { kind: 'container-image', root: layout, live: false },
      { kind: 'container-image', root: ociTar, live: false },
    ]);
    const first = reports[0]!;
    expect(first.verdict.status).toBe('infected');
    expect(first.verdict.kinds[0]?.kind).toBe('container-image');
    const evidence = imageEvidence(first.findings);
    const kworker = evidence.find((e) => e.path === '/usr/local/bin/kworker');
    expect(kworker).toMatchObject({
      image: 'localhost/lookalike:1',
      digest: miner.configDigest,
      layer: { index: 1, digest: miner.blobDigests[1] },
      createdBy: LOOKALIKE_STEPS.miner,
      inFinal: true,
    });
    const dropper = evidence.find((e) => e.path === '/tmp/.x/dropper.sh');
    expect(dropper).toMatchObject({ layer: { index: 1 }, inFinal: false, removedBy: 2 });
    // The OCI forms name their own ref and the compressed layer digests.
    expect(imageEvidence(reports[2]!.findings).some((e) => e.image === 'localhost/lookalike-oci:1')).toBe(
      true,
    );
    expect(reports[1]!.findings.map((f) => f.fingerprint)).toEqual(
      reports[2]!.findings.map((f) => f.fingerprint),
    );
  });

  it('prints a text report headed by the image, in English and Chinese', async () => {
    const en = await runCli(['image', minerTar, '--no-color', '--lang', 'en']);
    expect(en.code, en.stderr).toBe(1);
    expect(en.stdout).toContain(`image localhost/lookalike:1  ${miner.configDigest}  3 layer(s)`);
    expect(en.stdout).toContain(miner.blobDigests[1]);
    expect(en.stdout).toContain(LOOKALIKE_STEPS.miner);
    const zh = await runCli(['image', minerTar, '--no-color', '--lang', 'zh-CN']);
    expect(zh.stdout).toContain(`镜像 localhost/lookalike:1  ${miner.configDigest}  3 个层`);
  });

  it('exits 0 on a clean image', async () => {
    const r = await runCli(['image', cleanTar, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const [report] = parseJson<ReportJson[]>(r.stdout, 'clean image');
    expect(report?.verdict.status).toBe('clean');
  });

  it('exits 2 for an input that is not an image, before reading any', async () => {
    const notImage = await writeInput(dir, 'notes.txt', Buffer.from('hello\n'));
    const r = await runCli(['image', minerTar, notImage]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a container image');
    expect(r.stdout).toBe('');
    const missing = await runCli(['image', path.join(dir, 'nope.tar')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  it('says when a layer could not be read whole', async () => {
    const cut = { ...miner, blobs: [miner.blobs[0]!, miner.blobs[1]!.subarray(0, 700), miner.blobs[2]!] };
    const file = await writeInput(dir, 'cut.tar', await dockerArchive([cut]));
    const r = await runCli(['image', file, '--format', 'json']);
    const [report] = parseJson<ReportJson[]>(r.stdout, 'cut image');
    expect(report?.collection[0]).toMatchObject({ collector: 'image.layers', status: 'partial' });
    const text = await runCli(['image', file, '--no-color', '--lang', 'en']);
    expect(text.stdout).toContain('1 not read whole (layer 1 truncated)');
  });
});

describe('scan --path and collect --path on an image', () => {
  it('scan --path prints the same report as image, as one object', async () => {
    const r = await runCli(['scan', '--path', minerTar, '--format', 'json']);
    expect(r.code, r.stderr).toBe(1);
    const report = parseJson<ReportJson>(r.stdout, 'scan --path');
    expect(Array.isArray(report)).toBe(false);
    expect(report.target).toEqual({ kind: 'container-image', root: minerTar, live: false });
    const viaImage = parseJson<ReportJson[]>(
      (await runCli(['image', minerTar, '--format', 'json'])).stdout,
      'image',
    );
    expect(report.findings.map((f) => f.fingerprint)).toEqual(
      viaImage[0]!.findings.map((f) => f.fingerprint),
    );
  });

  it('collect --path writes the image snapshot, and analyze gives the findings of a scan', async () => {
    const snapFile = path.join(dir, 'image-snap.json');
    const c = await runCli(['collect', '--path', minerTar, '-o', snapFile]);
    expect(c.code, c.stderr).toBe(0);
    const snap = SnapshotSchema.parse(JSON.parse(await readFile(snapFile, 'utf8')));
    const img = snap.image?.images[0];
    expect(img).toMatchObject({ ref: 'localhost/lookalike:1', digest: miner.configDigest });
    expect(img?.layers.map((l) => [l.digest, l.createdBy])).toEqual([
      [miner.blobDigests[0], LOOKALIKE_STEPS.base],
      [miner.blobDigests[1], LOOKALIKE_STEPS.miner],
      [miner.blobDigests[2], LOOKALIKE_STEPS.cleanup],
    ]);
    expect(img?.files.find((f) => f.path === '/tmp/.x/dropper.sh')).toMatchObject({
      layer: 1,
      inFinal: false,
      removedBy: 2,
    });
    const a = await runCli(['analyze', snapFile, '--format', 'json']);
    const scanned = parseJson<ReportJson>(
      (await runCli(['scan', '--path', minerTar, '--format', 'json'])).stdout,
      'scan',
    );
    const analyzed = parseJson<ReportJson>(a.stdout, 'analyze');
    expect(analyzed.findings.map((f) => f.fingerprint)).toEqual(scanned.findings.map((f) => f.fingerprint));
  });
});
