// Tests for ld-so-preload: no file or an empty one is clean; a hider from /tmp overriding readdir is
// critical with its hash and hooks; a packaged library is low; without the section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { SHA, preloadWith } from '../../../test/helpers/stealth-builders.js';
import { runDetectors } from '../run.js';
import { ldSoPreload } from './ld-so-preload.js';

const ruleset = await loadRuleset([defaultIocDir()]);
describe('ld-so-preload', () => {
  it('clean: no /etc/ld.so.preload, or one with only comments', () => {
    expect(runDetectors(makeSnapshot({ preload: preloadWith([]) }), ruleset, [ldSoPreload])).toEqual({
      findings: [],
      skipped: [],
    });
    const empty = preloadWith([]);
    empty.ldSoPreload.exists = true;
    expect(runDetectors(makeSnapshot({ preload: empty }), ruleset, [ldSoPreload]).findings).toEqual([]);
  });

  it('findings: a readdir-hooking library from /tmp is critical, with path, hash, overrides and the restore action', () => {
    const lib = '/tmp/.x/libsystem.so';
    const preload = preloadWith(
      [lib],
      [
        {
          path: lib,
          sources: ['ld.so.preload', 'maps'],
          exists: true,
          sha256: SHA,
          size: 16000,
          overrides: ['readdir', 'readdir64'],
        },
      ],
    );
    const { findings } = runDetectors(makeSnapshot({ preload }), ruleset, [ldSoPreload]);
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({ ruleId: 'ld-so-preload', kind: 'preload', level: 'critical' });
    expect(f).toMatchObject({
      messageId: 'loadsOverriding',
      data: {
        path: '/etc/ld.so.preload',
        libraries: lib,
        entries: 1,
        overrides: { en: 'readdir, readdir64', 'zh-CN': 'readdir、readdir64' },
      },
    });
    expect(f.message.en).toBe(
      '/etc/ld.so.preload makes every program load /tmp/.x/libsystem.so; it overrides readdir, readdir64',
    );
    expect(f.evidence).toContainEqual({ type: 'file', path: lib, sha256: SHA });
    expect(f.evidence).toContainEqual({
      type: 'match',
      field: 'overrides',
      value: 'readdir, readdir64',
      ioc: 'libc functions it replaces',
    });
    expect(f.remediate).toEqual([
      { type: 'quarantine-file', path: lib },
      { type: 'restore-ld-preload', path: '/etc/ld.so.preload', remove: [lib] },
    ]);
  });

  it('findings: an unowned library in /usr/lib is high, a missing one high, a packaged one low and kept', () => {
    const unowned = '/usr/lib/x86_64-linux-gnu/libsecurity.so';
    const packaged = '/usr/lib/x86_64-linux-gnu/libsnoopy.so';
    const one = runDetectors(
      makeSnapshot({
        preload: preloadWith(
          [unowned],
          [{ path: unowned, sources: ['ld.so.preload'], exists: true, overrides: ['malloc'] }],
        ),
      }),
      ruleset,
      [ldSoPreload],
    ).findings[0];
    expect(one?.level).toBe('high');
    const missing = runDetectors(makeSnapshot({ preload: preloadWith(['/lib/gone.so']) }), ruleset, [
      ldSoPreload,
    ]).findings[0];
    expect(missing?.level).toBe('high');
    // A missing library tells nothing about what it overrides.
    expect(missing).toMatchObject({
      messageId: 'loads',
      data: { path: '/etc/ld.so.preload', libraries: '/lib/gone.so', entries: 1 },
    });
    expect(missing?.data).not.toHaveProperty('overrides');
    const low = runDetectors(
      makeSnapshot({
        preload: preloadWith(
          [packaged],
          [
            {
              path: packaged,
              sources: ['ld.so.preload'],
              exists: true,
              package: 'libsnoopy',
              overrides: ['execve'],
            },
          ],
        ),
      }),
      ruleset,
      [ldSoPreload],
    ).findings[0];
    expect(low?.level).toBe('low');
    expect(low?.remediate).toEqual([{ type: 'restore-ld-preload', path: '/etc/ld.so.preload', remove: [] }]);
  });

  it('skipped: without the preload section', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [ldSoPreload])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'ld-so-preload', missing: ['preload'] }],
    });
  });
});
