// Tests for ld-env-preload: ordinary environments are clean; LD_PRELOAD of a hider is critical, of
// fakeroot low; LD_LIBRARY_PATH into /dev/shm is medium; without preload facts, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { cleanHostProcesses, makeProcess, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { runDetectors } from '../run.js';
import { ldEnvPreload } from './ld-env-preload.js';
import { preloadWith } from '../../../test/helpers/stealth-builders.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('ld-env-preload', () => {
  it('clean: a normal host without LD_* variables', () => {
    const snap = makeSnapshot({ processes: cleanHostProcesses(), preload: preloadWith([]) });
    expect(runDetectors(snap, ruleset, [ldEnvPreload])).toEqual({ findings: [], skipped: [] });
  });

  it('findings: LD_PRELOAD of a hooking library in /dev/shm is critical; fakeroot is low', () => {
    const hider = '/dev/shm/.l/libc-ext.so';
    const fakeroot = '/usr/lib/x86_64-linux-gnu/libfakeroot/libfakeroot-sysv.so';
    const procs = [
      makeProcess({ pid: 700, exe: '/usr/sbin/sshd', argv: ['sshd: root'], env: { LD_PRELOAD: hider } }),
      makeProcess({
        pid: 701,
        exe: '/usr/bin/dpkg-deb',
        argv: ['dpkg-deb', '-b'],
        env: { LD_PRELOAD: 'libfakeroot-sysv.so' },
      }),
      makeProcess({
        pid: 702,
        exe: '/opt/app/bin/app',
        argv: ['app'],
        env: { LD_LIBRARY_PATH: '/dev/shm/.l:/usr/lib' },
      }),
    ];
    const preload = preloadWith(
      [],
      [
        {
          path: hider,
          sources: ['LD_PRELOAD'],
          exists: true,
          sha256: 'b'.repeat(64),
          overrides: ['readdir64', 'fopen'],
        },
        {
          path: fakeroot,
          sources: ['LD_PRELOAD'],
          exists: true,
          package: 'libfakeroot',
          overrides: ['stat'],
        },
      ],
    );
    const { findings } = runDetectors(makeSnapshot({ processes: procs, preload }), ruleset, [ldEnvPreload]);
    const byPid = new Map(
      findings.map((f) => [f.evidence[0]?.type === 'process' ? f.evidence[0].pid : 0, f]),
    );
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    expect(byPid.get(700)).toMatchObject({
      level: 'critical',
      kind: 'preload',
      remediate: [{ type: 'quarantine-file', path: hider }],
    });
    expect(byPid.get(700)).toMatchObject({
      messageId: 'runsWith',
      data: { pid: 700, variables: { en: `LD_PRELOAD=${hider}`, 'zh-CN': `LD_PRELOAD=${hider}` } },
    });
    expect(byPid.get(700)?.message.en).toBe(`PID 700 (/usr/sbin/sshd) runs with LD_PRELOAD=${hider}`);
    expect(byPid.get(701)?.level).toBe('low');
    expect(byPid.get(701)?.remediate).toEqual([]);
    expect(byPid.get(701)).toMatchObject({
      messageId: 'runsWith',
      data: { pid: 701, variables: { en: 'LD_PRELOAD=libfakeroot-sysv.so' } },
    });
    expect(byPid.get(702)?.level).toBe('medium');
    // Only the odd directory of the search path is named, not /usr/lib.
    expect(byPid.get(702)).toMatchObject({
      messageId: 'runsWith',
      data: {
        pid: 702,
        variables: { en: 'LD_LIBRARY_PATH=/dev/shm/.l', 'zh-CN': 'LD_LIBRARY_PATH=/dev/shm/.l' },
      },
    });
  });

  it('skipped: without the preload section', () => {
    expect(runDetectors(makeSnapshot({ processes: [] }), ruleset, [ldEnvPreload]).skipped).toEqual([
      { ruleId: 'ld-env-preload', missing: ['preload'] },
    ]);
  });
});
