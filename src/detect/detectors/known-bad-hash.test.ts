// Tests for known-bad-hash: with the bundled list (XMRig's release archives) and clean hashes nothing
// hits; a scanned copy of a bundled release archive does, under any name; a running
// executable or a scanned file on a user's hash list does, with the list's kind and provenance;
// without a process list the detector is skipped.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import type { Content } from '../../snapshot/schema.js';
import { runDetectors } from '../run.js';
import { cleanHostProcesses, makeProcess, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { knownBadHash } from './known-bad-hash.js';

const BAD = '0123456789abcdef'.repeat(4);
const BAD_FILE = 'fedcba9876543210'.repeat(4);
const userDir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-hashes-'));
await writeFile(
  path.join(userDir, 'hashes-incident.yml'),
  [
    'kind: file-hashes',
    'entries:',
    `  - { value: "${BAD.toUpperCase()}", name: "xmrig 6.21.0 static", family: XMRig, kind: open-source-miner, source: "incident IR-7", date: 2026-11-26 }`,
    `  - { value: "${BAD_FILE}", name: "kinsing dropper", kind: fileless, source: "incident IR-7", date: 2026-11-26 }`,
    '',
  ].join('\n'),
);
const bundled = await loadRuleset([defaultIocDir()]);
afterAll(() => rm(userDir, { recursive: true, force: true }));
const withList = await loadRuleset([defaultIocDir(), userDir]);

const content = (files: Content['files']): Content => ({
  scope: 'paths',
  roots: ['/srv'],
  engine: 'yara-x 0.7.2',
  ruleSetHash: 'f'.repeat(64),
  ruleFiles: [],
  files,
  skipped: [],
  stats: {
    files: 1,
    bytes: 1,
    cached: 0,
    archiveEntries: 0,
    skipped: 0,
    skippedByReason: {},
    memoryProcesses: 0,
    memoryBytes: 0,
    durationMs: 1,
  },
});

describe('known-bad-hash', () => {
  it('clean: a normal host with hashed executables does not hit, with the bundled or a user list', () => {
    const procs = cleanHostProcesses().map((p, i) =>
      p.exe ? { ...p, exeSha256: i.toString(16).padStart(64, '0') } : p,
    );
    expect(runDetectors(makeSnapshot({ processes: procs }), bundled, [knownBadHash])).toEqual({
      findings: [],
      skipped: [],
    });
    expect(runDetectors(makeSnapshot({ processes: procs }), withList, [knownBadHash]).findings).toEqual([]);
  });

  it('findings: a running executable on the list is critical and names the list entry', () => {
    const p = makeProcess({ pid: 777, exe: '/usr/local/bin/sshd-helper', exeSha256: BAD });
    const { findings } = runDetectors(makeSnapshot({ processes: [p] }), withList, [knownBadHash]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({ ruleId: 'known-bad-hash', level: 'critical', kind: 'open-source-miner' });
    expect(f).toMatchObject({
      messageId: 'runsListed',
      data: {
        pid: 777,
        exe: '/usr/local/bin/sshd-helper',
        what: 'xmrig 6.21.0 static',
        family: 'XMRig',
        sha256: BAD,
        list: `${path.basename(userDir)}/hashes-incident.yml`,
      },
    });
    expect(f?.message.en).toBe(
      `PID 777 (/usr/local/bin/sshd-helper) runs xmrig 6.21.0 static (sha256 ${BAD.slice(0, 16)}… listed in ${path.basename(userDir)}/hashes-incident.yml)`,
    );
    expect(f?.evidence[1]).toEqual({
      type: 'match',
      field: 'exe sha256',
      value: BAD,
      ioc: `${path.basename(userDir)}/hashes-incident.yml: ${BAD}`,
    });
  });

  it('findings: a scanned file (inside an archive) on the list quarantines the archive', () => {
    const snap = makeSnapshot({
      processes: cleanHostProcesses(),
      content: content([{ path: '/srv/in.tar!x/k.sh', size: 4, sha256: BAD_FILE, matches: [] }]),
    });
    const [f] = runDetectors(snap, withList, [knownBadHash]).findings;
    expect(f).toMatchObject({
      kind: 'fileless',
      level: 'critical',
      remediate: [{ type: 'quarantine-file', path: '/srv/in.tar' }],
      messageId: 'fileListed',
      data: {
        path: '/srv/in.tar!x/k.sh',
        what: 'kinsing dropper',
        sha256: BAD_FILE,
        list: `${path.basename(userDir)}/hashes-incident.yml`,
      },
    });
  });

  it('findings: a renamed copy of an XMRig release archive is named by the bundled list', () => {
    // The sha256 XMRig published for xmrig-6.21.0-linux-static-x64.tar.gz (iocs/hashes.yml).
    const published = 'c5dc12dbb9bb51ea8acf93d6349d5bc7fe5ee11b68d6371c1bbb098e21d0f685';
    const snap = makeSnapshot({
      processes: cleanHostProcesses(),
      content: content([
        { path: '/var/tmp/.cache/update.tgz', size: 2_500_000, sha256: published, matches: [] },
      ]),
    });
    const [f] = runDetectors(snap, bundled, [knownBadHash]).findings;
    expect(f).toMatchObject({
      kind: 'open-source-miner',
      level: 'critical',
      remediate: [{ type: 'quarantine-file', path: '/var/tmp/.cache/update.tgz' }],
    });
    expect(f).toMatchObject({
      messageId: 'fileListed',
      data: {
        path: '/var/tmp/.cache/update.tgz',
        what: 'XMRig 6.21.0 release archive (linux-static-x64)',
        sha256: published,
        list: 'iocs/hashes.yml',
      },
    });
    expect(JSON.stringify(f?.evidence)).toContain(`iocs/hashes.yml: ${published}`);
  });

  it('skipped: without a process list the detector is skipped', () => {
    expect(runDetectors(makeSnapshot({}), withList, [knownBadHash])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'known-bad-hash', missing: ['processes'] }],
    });
  });
});
