// Tests for odd-shared-object: packaged and application libraries are clean; a library mapped from
// /tmp is high, an unowned one in /usr/lib medium; without the preload section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeProcess, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { runDetectors } from '../run.js';
import { oddSharedObject } from './odd-shared-object.js';
import { preloadWith } from '../../../test/helpers/stealth-builders.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

describe('odd-shared-object', () => {
  it('clean: packaged libraries, and an application library under /opt', () => {
    const procs = [makeProcess({ pid: 10, maps: [LIBC, '/opt/app/lib/libapp.so'] })];
    const preload = preloadWith(
      [],
      [
        { path: LIBC, sources: ['maps'], exists: true, package: 'libc6' },
        { path: '/opt/app/lib/libapp.so', sources: ['maps'], exists: true },
      ],
    );
    expect(runDetectors(makeSnapshot({ processes: procs, preload }), ruleset, [oddSharedObject])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a library mapped from /tmp is high; an unowned one in /usr/lib is medium', () => {
    const odd = '/tmp/.ICE-unix/libx.so';
    const unowned = '/usr/lib/x86_64-linux-gnu/libudev-helper.so';
    const procs = [
      makeProcess({ pid: 10, maps: [LIBC, odd] }),
      makeProcess({ pid: 11, maps: [LIBC, `${odd} (deleted)`, unowned] }),
    ];
    const preload = preloadWith(
      [],
      [
        { path: LIBC, sources: ['maps'], exists: true, package: 'libc6' },
        { path: odd, sources: ['maps'], exists: true, sha256: 'c'.repeat(64), overrides: ['readdir'] },
        { path: unowned, sources: ['maps'], exists: true, sha256: 'd'.repeat(64), overrides: [] },
      ],
    );
    const { findings } = runDetectors(makeSnapshot({ processes: procs, preload }), ruleset, [
      oddSharedObject,
    ]);
    expect(findings).toHaveLength(2);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const [high, medium] = findings;
    expect(high).toMatchObject({
      level: 'high',
      kind: 'preload',
      remediate: [{ type: 'quarantine-file', path: odd }],
    });
    expect(high?.message.en).toBe(
      `${odd} is mapped into 2 process(es) (PID 10, 11): it is loaded from /tmp (world-writable)`,
    );
    expect(medium?.level).toBe('medium');
    expect(medium?.message.en).toContain('no installed package owns it');
  });

  it('skipped: without the preload section', () => {
    expect(runDetectors(makeSnapshot({ processes: [] }), ruleset, [oddSharedObject]).skipped).toEqual([
      { ruleId: 'odd-shared-object', missing: ['preload'] },
    ]);
  });
});
