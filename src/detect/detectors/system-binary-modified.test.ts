// Tests for system-binary-modified: binaries matching dpkg's sums never hit; a changed sum is high
// with a quarantine action, a binary no package lists is medium; on rpm a mode change alone is found
// (high for an added setuid bit) and a changed size shows beside the digest; without the section: skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import { cleanIntegrity, snapshotWith } from '../../../test/helpers/persistence-builders.js';
import { systemBinaryModified } from './system-binary-modified.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('system-binary-modified', () => {
  it('clean: binaries whose md5 matches dpkg are not reported', () => {
    expect(
      runDetectors(snapshotWith({ integrity: cleanIntegrity() }), ruleset, [systemBinaryModified]),
    ).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a replaced ps is high, a netstat no package installed is medium', () => {
    const integrity = cleanIntegrity();
    integrity.binaries[0] = {
      ...integrity.binaries[0]!,
      status: 'modified',
      actualMd5: 'ffffffffffffffffffffffffffffffff',
      sha256: 'ab'.repeat(32),
    };
    integrity.binaries.push({
      path: '/usr/bin/netstat',
      status: 'unpackaged',
      actualMd5: '22222222222222222222222222222222',
    });
    const findings = runDetectors(snapshotWith({ integrity }), ruleset, [systemBinaryModified]).findings;
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    expect(findings.map((f) => [f.level, f.messageId, f.data])).toEqual([
      [
        'high',
        'modified',
        {
          path: '/usr/bin/ps',
          package: 'procps',
          md5: 'ffffffffffffffffffffffffffffffff',
          expectedMd5: '08a07e7517a09d2f40e2618eff4adf22',
          packagePath: '/bin/ps',
        },
      ],
      ['medium', 'unpackaged', { path: '/usr/bin/netstat', md5: '22222222222222222222222222222222' }],
    ]);
    expect(findings[1]?.message.en).toBe('/usr/bin/netstat belongs to no installed package');
    expect(findings[0]?.remediate).toEqual([{ type: 'quarantine-file', path: '/usr/bin/ps' }]);
    expect(findings[0]?.evidence[0]).toEqual({ type: 'file', path: '/usr/bin/ps', sha256: 'ab'.repeat(32) });
  });

  it('clean: an rpm-checked tool whose digest and mode match is not reported', () => {
    const integrity = cleanIntegrity();
    integrity.packageManager = 'rpm';
    integrity.binaries[0] = {
      ...integrity.binaries[0]!,
      expectedSize: 100,
      expectedMode: 0o755,
      mode: 0o755,
    };
    expect(runDetectors(snapshotWith({ integrity }), ruleset, [systemBinaryModified]).findings).toEqual([]);
  });

  it('findings: on rpm a mode change alone is reported, high for an added setuid bit; size shown beside a digest', () => {
    const integrity = cleanIntegrity();
    integrity.packageManager = 'rpm';
    const [ps] = integrity.binaries;
    integrity.binaries = [
      {
        ...ps!,
        path: '/usr/bin/su',
        package: 'util-linux',
        packagePath: '/usr/bin/su',
        expectedMode: 0o755,
        mode: 0o4755,
      },
      { ...ps!, path: '/usr/bin/top', packagePath: '/usr/bin/top', expectedMode: 0o755, mode: 0o777 },
      {
        ...ps!,
        status: 'modified',
        actualMd5: 'f'.repeat(32),
        size: 4096,
        expectedSize: 137688,
        expectedMode: 0o755,
        mode: 0o755,
      },
    ];
    const findings = runDetectors(snapshotWith({ integrity }), ruleset, [systemBinaryModified]).findings;
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const byPath = new Map(findings.map((f) => [f.data?.['path'], f]));
    expect(byPath.get('/usr/bin/su')).toMatchObject({
      level: 'high',
      messageId: 'modeChanged',
      remediate: [],
      message: {
        en: '/usr/bin/su has mode 4755, but package util-linux installed it with mode 0755 (a setuid or setgid bit was added)',
      },
    });
    expect(byPath.get('/usr/bin/top')).toMatchObject({ level: 'medium', messageId: 'modeChanged' });
    const replaced = byPath.get('/usr/bin/ps');
    expect(replaced).toMatchObject({ level: 'high', messageId: 'modified' });
    expect(replaced?.evidence).toContainEqual({
      type: 'match',
      field: 'size',
      value: '4096',
      ioc: 'rpm procps: 137688',
    });
  });

  it('skipped: without the integrity section (no dpkg) the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({}), ruleset, [systemBinaryModified]).skipped).toEqual([
      { ruleId: 'system-binary-modified', missing: ['integrity'] },
    ]);
  });
});
