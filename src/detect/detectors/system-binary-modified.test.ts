// Tests for system-binary-modified: binaries matching dpkg's sums never hit; a changed sum is high
// with a quarantine action, a binary no package lists is medium; without the section: skipped.
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

  it('skipped: without the integrity section (no dpkg) the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({}), ruleset, [systemBinaryModified]).skipped).toEqual([
      { ruleId: 'system-binary-modified', missing: ['integrity'] },
    ]);
  });
});
