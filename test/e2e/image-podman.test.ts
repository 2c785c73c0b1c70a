// End-to-end with images a real runtime wrote (issue 13 item 6): a private podman
// (test/helpers/podman.ts) builds, from local files only and with no network, an image whose layer 2
// adds a harmless look-alike miner and a dropper and whose layer 3 (a RUN step) deletes the dropper;
// `podman save` writes it as a docker-archive and as an OCI archive, and `minehunter image` must put
// the miner in layer 2 with its build step, the dropper in the image's history (absent from the final
// filesystem, removed by layer 3), and the verdict's first kind must be `container-image`. The base
// image saved alone is the clean twin. Skipped, saying why, only where podman cannot run at all.
import { execFile } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Evidence, Finding } from '../../src/model/finding.js';
import { ensureBuilt, runCli, type ReportJson } from '../helpers/cli.js';
import { DROPPER_SCRIPT, lookalikeMinerBytes } from '../helpers/image-builders.js';
import { acquireHostLock } from '../helpers/lookalike.js';
import { podmanUnavailable, startPrivatePodman, type PrivatePodman } from '../helpers/podman.js';

const execFileP = promisify(execFile);
const unavailable = await podmanUnavailable();
if (unavailable) console.warn(`image-podman: skipped: ${unavailable}`);

const IMAGE = 'localhost/mh-test-layered:e2e';
const MINER = '/usr/local/bin/xmr-node';
const DROPPER = '/opt/.x/dropper.sh';

/** A static `rm` for the RUN step (the base image has no shell and no coreutils). */
const RM_C = String.raw`
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) if (unlink(argv[i]) != 0) { perror(argv[i]); return 1; }
  return 0;
}
`;

const CONTAINERFILE = [
  'FROM localhost/mh-test-img-base:e2e',
  'COPY layer2/ /',
  `RUN ["/bin/rm", "${DROPPER}"]`,
  `ENTRYPOINT ["${MINER}", "--donate-level", "1", "-o", "stratum+tcp://127.0.0.1:3333"]`,
  '',
].join('\n');

let release: (() => Promise<void>) | undefined;
let pod: PrivatePodman | undefined;
let dockerTar: string;
let ociTar: string;
let cleanTar: string;

type ImageEvidence = Extract<Evidence, { type: 'image' }>;
const imageEvidence = (findings: Finding[]): ImageEvidence[] =>
  findings.flatMap((f) => f.evidence.filter((e): e is ImageEvidence => e.type === 'image'));

/** Lays out the build context: layer 2's files and the static rm, then builds and saves. */
async function buildAndSave(p: PrivatePodman): Promise<void> {
  await p.buildImage('mh-test-img-base', 'idle', '/usr/local/bin/idle');
  const ctx = path.join(p.dir, 'ctx');
  const layer2 = path.join(ctx, 'layer2');
  await mkdir(path.join(layer2, 'usr/local/bin'), { recursive: true });
  await mkdir(path.join(layer2, 'opt/.x'), { recursive: true });
  await mkdir(path.join(layer2, 'bin'), { recursive: true });
  await writeFile(path.join(layer2, MINER), lookalikeMinerBytes(), { mode: 0o755 });
  await writeFile(path.join(layer2, DROPPER), DROPPER_SCRIPT, { mode: 0o755 });
  await writeFile(path.join(ctx, 'rm.c'), RM_C);
  await execFileP('cc', ['-static', '-O1', '-o', path.join(layer2, 'bin/rm'), path.join(ctx, 'rm.c')]);
  await chmod(path.join(layer2, 'bin/rm'), 0o755);
  await writeFile(path.join(ctx, 'Containerfile'), CONTAINERFILE);
  await p.podman(
    ['build', '--network', 'none', '-t', IMAGE, '-f', path.join(ctx, 'Containerfile'), ctx],
    180_000,
  );
  dockerTar = path.join(p.dir, 'layered.docker.tar');
  ociTar = path.join(p.dir, 'layered.oci.tar');
  cleanTar = path.join(p.dir, 'base.docker.tar');
  await p.podman(['save', '--format', 'docker-archive', '-o', dockerTar, IMAGE], 120_000);
  await p.podman(['save', '--format', 'oci-archive', '-o', ociTar, IMAGE], 120_000);
  await p.podman(
    ['save', '--format', 'docker-archive', '-o', cleanTar, 'localhost/mh-test-img-base:e2e'],
    120_000,
  );
}

beforeAll(async () => {
  if (unavailable) return;
  await ensureBuilt();
  // The saved images hold look-alike strings: scans of other test files wait until they are gone.
  release = await acquireHostLock();
  pod = await startPrivatePodman();
  await buildAndSave(pod);
}, 300_000);

afterAll(async () => {
  await pod?.cleanup();
  await release?.();
}, 60_000);

function parseReports(stdout: string): ReportJson[] {
  try {
    return JSON.parse(stdout) as ReportJson[];
  } catch (cause) {
    throw new Error(`image --format json: not JSON:\n${stdout.slice(0, 2000)}`, { cause });
  }
}

describe.skipIf(unavailable !== undefined)('minehunter image on images podman built and saved', () => {
  it('puts the miner in layer 2 with its build step and the dropper in history, in both save formats', async () => {
    const r = await runCli(['image', dockerTar, ociTar, '--format', 'json', '--no-cache'], {
      timeoutMs: 120_000,
    });
    expect(r.code, r.stderr).toBe(1);
    const reports = parseReports(r.stdout);
    expect(reports).toHaveLength(2);
    for (const report of reports) {
      expect(report.target).toMatchObject({ kind: 'container-image', live: false });
      expect(report.verdict.status).toBe('infected');
      expect(report.verdict.kinds[0]?.kind).toBe('container-image');
      const evidence = imageEvidence(report.findings);
      const miner = evidence.find((e) => e.path === MINER);
      // Layer indexes count from 0: index 1 is the second layer, the one `COPY layer2/ /` wrote.
      expect(miner, JSON.stringify(evidence, null, 1).slice(0, 3000)).toMatchObject({
        layer: { index: 1 },
        inFinal: true,
      });
      expect(miner?.layer?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(miner?.createdBy).toMatch(/COPY/);
      const dropper = evidence.find((e) => e.path === DROPPER);
      expect(dropper).toMatchObject({ layer: { index: 1 }, inFinal: false, removedBy: 2 });
    }
    // docker-archive names the image by its tag.
    expect(imageEvidence(reports[0]!.findings).some((e) => e.image === IMAGE)).toBe(true);
    // Both formats hold the same image: the same files, so the same findings.
    expect(reports[0]!.findings.map((f) => f.fingerprint).sort()).toEqual(
      reports[1]!.findings.map((f) => f.fingerprint).sort(),
    );
  }, 150_000);

  it('gives nothing at medium or above for the base image alone (the clean twin)', async () => {
    const r = await runCli(['image', cleanTar, '--format', 'json', '--no-cache'], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const [report] = parseReports(r.stdout);
    expect(report?.verdict.status).toBe('clean');
    expect(report?.findings.filter((f) => ['medium', 'high', 'critical'].includes(f.level))).toEqual([]);
  }, 150_000);
});
