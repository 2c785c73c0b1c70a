// Findings about a process in a container name it: process evidence carries the container (runtime,
// id, name, image, pod); a container's executable is matched to its own process, never to a host
// process of the same path; nothing is quarantined by an in-container path on the host; a file inside
// a container is weighed by where it is inside it. Clean twins: host processes keep their shape.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { FindingSchema } from '../model/finding.js';
import type { ContainerRef } from '../snapshot/container.js';
import type { ContentFile, ContentMatch } from '../snapshot/schema.js';
import { makeContent, makeProcess, makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import { weighFile } from './content-weight.js';
import { contentMatch } from './detectors/content-match.js';
import { minerCommandLine } from './detectors/miner-command-line.js';
import { runDetectors } from './run.js';
import { processActions, processEvidence } from './util.js';

const ruleset = await loadRuleset([defaultIocDir()]);

const WORKER: ContainerRef = {
  runtime: 'containerd',
  id: '7d088d429d135c28d268b18742dafb8e32caffacb1ecb0c2972c21ca4e03b168',
  name: 'worker',
  image: 'docker.io/evil/worker:latest',
  pod: 'miner-7d9f',
  namespace: 'default',
  podUid: '5e0c1a2b-3d4e-4f5a-8b6c-7d8e9f0a1b2c',
};
const MINER_ARGV = ['/usr/local/bin/worker', '-o', 'stratum+tcp://pool.example:3333', '--donate-level', '1'];
const XMRIG: ContentMatch = {
  rule: 'MH_XMRig_Miner',
  namespace: 'miners-cpu',
  meta: { description: 'XMRig miner binary', kind: 'open-source-miner', level: 'critical' },
  strings: [{ identifier: '$a', offset: 4096, excerpt: 'XMRig/%s' }],
  stringCount: 3,
};

describe('process evidence of a container process', () => {
  it('carries the container, and the kill but no host-path quarantine', () => {
    const p = makeProcess({ pid: 3300, exe: '/usr/local/bin/worker', argv: MINER_ARGV, container: WORKER });
    expect(processEvidence(p)).toMatchObject({ type: 'process', container: WORKER });
    expect(processActions(p)).toEqual([
      { type: 'kill-process-tree', pid: 3300, exe: '/usr/local/bin/worker' },
    ]);
  });

  it('clean twin: a host process has no container field and keeps its quarantine', () => {
    const p = makeProcess({ pid: 4242, exe: '/tmp/.x/worker', argv: MINER_ARGV });
    expect('container' in processEvidence(p)).toBe(false);
    expect(processActions(p)).toContainEqual({ type: 'quarantine-file', path: '/tmp/.x/worker' });
  });

  it('a miner command line in a container is a finding that names the container', () => {
    const snap = makeSnapshot({
      processes: [
        makeProcess({ pid: 3300, exe: '/usr/local/bin/worker', argv: MINER_ARGV, container: WORKER }),
      ],
    });
    const { findings } = runDetectors(snap, ruleset, [minerCommandLine]);
    expect(findings).toHaveLength(1);
    expect(FindingSchema.parse(findings[0])).toEqual(findings[0]);
    expect(findings[0]?.evidence.find((e) => e.type === 'process')).toMatchObject({
      pid: 3300,
      container: WORKER,
    });
  });
});

describe('content matches inside containers', () => {
  const file = (p: string, extra: Partial<ContentFile> = {}): ContentFile => ({
    path: p,
    size: 4_000_000,
    sha256: 'c'.repeat(64),
    executable: true,
    matches: [XMRIG],
    ...extra,
  });

  it('a container’s executable lands on its own process, not on a host process of the same path', () => {
    const snap = makeSnapshot({
      processes: [
        makeProcess({
          pid: 3300,
          exe: '/usr/local/bin/worker',
          argv: ['/usr/local/bin/worker'],
          container: WORKER,
        }),
        makeProcess({ pid: 900, exe: '/usr/local/bin/worker', argv: ['/usr/local/bin/worker'] }),
      ],
      content: makeContent({ files: [file('default/miner-7d9f/worker:/usr/local/bin/worker')] }),
    });
    const { findings } = runDetectors(snap, ruleset, [contentMatch]);
    expect(findings).toHaveLength(1);
    const procs = findings[0]?.evidence.filter((e) => e.type === 'process');
    expect(procs).toEqual([expect.objectContaining({ pid: 3300, container: WORKER })]);
    expect(findings[0]?.evidence).toContainEqual({
      type: 'file',
      path: 'default/miner-7d9f/worker:/usr/local/bin/worker',
      sha256: 'c'.repeat(64),
    });
    expect(findings[0]?.remediate).toEqual([
      { type: 'kill-process-tree', pid: 3300, exe: '/usr/local/bin/worker' },
    ]);
  });

  it('a file in a container that no process runs is reported under its name, with nothing to quarantine on the host', () => {
    const snap = makeSnapshot({
      processes: [],
      content: makeContent({ files: [file('web:/tmp/.ice/xmrig')] }),
    });
    const { findings } = runDetectors(snap, ruleset, [contentMatch]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      level: 'critical',
      data: { path: 'web:/tmp/.ice/xmrig' },
      remediate: [],
    });
    expect(findings[0]?.message.en).toMatch(/^web:\/tmp\/\.ice\/xmrig matches YARA rule/);
  });

  it('weighs a container’s file by its place inside the container', () => {
    const script = { size: 80, sha256: 'd'.repeat(64), form: 'script' as const, matches: [XMRIG] };
    for (const inner of ['/tmp/.x/run.sh', '/etc/cron.d/job', '/usr/share/doc/x/notes.sh']) {
      expect(weighFile({ ...script, path: `web:${inner}` })).toEqual(weighFile({ ...script, path: inner }));
      expect(weighFile({ ...script, path: `shop/web-1/app:${inner}` })).toEqual(
        weighFile({ ...script, path: inner }),
      );
    }
  });
});
