// End-to-end with a real container runtime: a private podman (test/helpers/podman.ts) runs a
// look-alike miner and a clean twin in containers built from local files, and `minehunter scan`
// must name the miner's container (runtime, full id, name, image) in its finding, find the miner's
// config by scanning the container's root through /proc/PID/root (shown as `mh-test-miner:/path`),
// and report nothing about the clean container. Once from the runtime's files on disk (podman's
// storage, found through CONTAINERS_STORAGE_CONF as podman finds it), once from its Docker-compatible
// API socket (DOCKER_HOST). Skipped, saying why, only where podman cannot run at all.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Evidence, Finding } from '../../src/model/finding.js';
import {
  SERIOUS,
  describeFinding,
  ensureBuilt,
  fixtureReason,
  fixturesNow,
  hostSeriousUnallowed,
  processEvidence,
  runCliJson,
  type CliResult,
  type ReportJson,
} from '../helpers/cli.js';
import { FAKE_WALLET, acquireHostLock } from '../helpers/lookalike.js';
import {
  CONTAINER_MINER_CONFIG,
  podmanUnavailable,
  startPrivatePodman,
  type PrivatePodman,
  type RunningContainer,
} from '../helpers/podman.js';

const unavailable = await podmanUnavailable();
if (unavailable) console.warn(`containers-live: skipped: ${unavailable}`);

type Scan = CliResult & { json: ReportJson };
type ProcessEv = Extract<Evidence, { type: 'process' }>;

let release: (() => Promise<void>) | undefined;
let pod: PrivatePodman | undefined;
let miner: RunningContainer;
let idle: RunningContainer;
let diskScan: Scan;
let apiScan: Scan;

/** The findings whose process evidence is the pid, or that name a file inside the container. */
function about(report: ReportJson, c: RunningContainer): Finding[] {
  return report.findings.filter(
    (f) =>
      processEvidence(f).some((e) => e.pid === c.pid || e.container?.id === c.id) ||
      f.evidence.some((e) => e.type === 'file' && e.path.startsWith(`${c.name}:`)),
  );
}

function listing(report: ReportJson): string {
  return report.findings.map(describeFinding).join('\n');
}

beforeAll(async () => {
  if (unavailable) return;
  await ensureBuilt();
  // The containers are look-alikes on this host: scans of other test files wait for them to go.
  release = await acquireHostLock();
  pod = await startPrivatePodman();
  const minerImage = await pod.buildImage('mh-test-miner', 'miner', '/usr/local/bin/xmr-node', {
    '/opt/miner/config.json': CONTAINER_MINER_CONFIG,
  });
  const idleImage = await pod.buildImage('mh-test-idle', 'idle', '/usr/local/bin/idle');
  miner = await pod.run('mh-test-miner', minerImage, [
    '/usr/local/bin/xmr-node',
    '-o',
    'stratum+tcp://127.0.0.1:3333',
    '-u',
    FAKE_WALLET,
    '-p',
    'x',
    '--donate-level',
    '1',
    '--seconds',
    '120',
  ]);
  idle = await pod.run('mh-test-idle', idleImage, ['/usr/local/bin/idle', '120']);
  // minehunter reads podman's storage.conf from the variable podman itself reads.
  diskScan = await runCliJson(['scan', '--format', 'json'], {
    env: { CONTAINERS_STORAGE_CONF: pod.env.CONTAINERS_STORAGE_CONF },
  });
  const socket = await pod.startApi();
  apiScan = await runCliJson(['scan', '--format', 'json', '--no-content'], {
    env: { DOCKER_HOST: `unix://${socket}` },
  });
}, 150_000);

afterAll(async () => {
  await pod?.cleanup();
  await release?.();
}, 60_000);

describe.skipIf(unavailable !== undefined)('scan with real podman containers running', () => {
  it('names the look-alike’s container in its finding: podman, full id, name and image', () => {
    const hits = about(diskScan.json, miner).filter(
      (f) => f.kind === 'open-source-miner' && SERIOUS.includes(f.level),
    );
    expect(hits.length, listing(diskScan.json)).toBeGreaterThan(0);
    const ev = processEvidence(hits[0]!).find((e) => e.pid === miner.pid) as ProcessEv;
    expect(ev.exe).toBe('/usr/local/bin/xmr-node');
    expect(ev.container).toEqual({
      runtime: 'podman',
      id: miner.id,
      name: 'mh-test-miner',
      image: miner.image,
      imageId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(diskScan.json.collection).toContainEqual(
      expect.objectContaining({ collector: 'linux.containers', status: 'ok' }),
    );
  });

  it('scans the container’s root through /proc/PID/root and shows its files under its name', () => {
    const config = about(diskScan.json, miner).find((f) =>
      f.evidence.some((e) => e.type === 'file' && e.path === 'mh-test-miner:/opt/miner/config.json'),
    );
    expect(config, listing(diskScan.json)).toBeDefined();
    expect(SERIOUS).toContain(config!.level);
    // Nothing of the container is reported as a host file of the same path.
    const hostPaths = diskScan.json.findings.flatMap((f) =>
      f.evidence.flatMap((e) => (e.type === 'file' ? [e.path] : [])),
    );
    expect(hostPaths).not.toContain('/opt/miner/config.json');
    expect(hostPaths).not.toContain('/usr/local/bin/xmr-node');
  });

  it('reports nothing about the clean container', () => {
    expect(about(diskScan.json, idle).map(describeFinding)).toEqual([]);
    expect(about(apiScan.json, idle).map(describeFinding)).toEqual([]);
  });

  it('names the container from the Docker-compatible API socket when the disk does not tell', () => {
    const hit = about(apiScan.json, miner).find((f) => SERIOUS.includes(f.level));
    expect(hit, listing(apiScan.json)).toBeDefined();
    const ev = processEvidence(hit!).find((e) => e.pid === miner.pid) as ProcessEv;
    expect(ev.container).toEqual({
      runtime: 'podman',
      id: miner.id,
      name: 'mh-test-miner',
      image: miner.image,
      imageId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
  });

  it('is a test fixture to the scans of other test files, the clean twin too', () => {
    const now = fixturesNow();
    expect([...now.processes.keys()]).toEqual(expect.arrayContaining([miner.pid, idle.pid]));
    expect(now.processes.get(miner.pid)?.why).toMatch(/in test container mh-test-miner/);
    for (const f of about(diskScan.json, miner)) expect(fixtureReason(f), describeFinding(f)).toBeDefined();
    const mine = new Set(about(diskScan.json, miner));
    expect(hostSeriousUnallowed(diskScan.json).filter((f) => mine.has(f))).toEqual([]);
  });
});
