// Tests for binary-padding: programs without padding are clean; a padded program alone is a low
// finding with the padding's offset, length, value and the hash before it; on a file a miner rule
// matched it joins content-match's finding (same subject, content-match's rule, level and
// fingerprint), on a running program it lands on the process; without a content section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import type { ContentFile, ContentMatch } from '../../snapshot/schema.js';
import {
  cleanHostProcesses,
  makeContent,
  makeProcess,
  makeSnapshot,
} from '../../../test/helpers/snapshot-builders.js';
import { runDetectors } from '../run.js';
import { binaryPadding } from './binary-padding.js';
import { contentMatch } from './content-match.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const MiB = 1024 * 1024;

const XMRIG: ContentMatch = {
  rule: 'MH_XMRig_Miner',
  namespace: 'miners-cpu',
  meta: { description: 'XMRig miner binary', kind: 'open-source-miner', level: 'critical' },
  strings: [{ identifier: '$a', offset: 4096, excerpt: 'XMRig/%s' }],
  stringCount: 3,
};

/** A 17 KiB program with 100 MiB of zeros appended, scanned by its parts. */
function padded(partial: Partial<ContentFile> = {}): ContentFile {
  return {
    path: '/tmp/.x/kworker',
    size: 17712 + 100 * MiB,
    sha256: 'e'.repeat(64),
    executable: true,
    padding: { offset: 17712, length: 100 * MiB, byte: 0, sha256Before: 'a'.repeat(64) },
    parts: {
      how: 'program',
      format: 'elf',
      scanned: [[0, 17712]],
      bytesScanned: 17712,
      bytesSkipped: 100 * MiB,
      overlay: [17712, 17712 + 100 * MiB],
    },
    matches: [],
    ...partial,
  };
}

describe('binary-padding', () => {
  it('clean: programs without padding, scanned whole or by parts, give nothing', () => {
    const snap = makeSnapshot({
      processes: cleanHostProcesses(),
      content: makeContent({
        files: [
          { path: '/usr/bin/node', size: 99e6, executable: true, matches: [], parts: padded().parts },
          { path: '/usr/local/bin/tool', size: 10, sha256: 'a'.repeat(64), executable: true, matches: [] },
        ],
      }),
    });
    expect(runDetectors(snap, ruleset, [binaryPadding])).toEqual({ findings: [], skipped: [] });
  });

  it('findings: a padded program alone is low, with where the padding is and the hash before it', () => {
    const snap = makeSnapshot({ content: makeContent({ files: [padded()] }) });
    const { findings } = runDetectors(snap, ruleset, [binaryPadding, contentMatch]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      ruleId: 'binary-padding',
      level: 'low',
      basis: 'executable',
      remediate: [],
      tags: ['attack.t1027.001'],
      messageId: 'padded',
      data: { path: '/tmp/.x/kworker', length: '100.0 MiB', bytes: 100 * MiB, byte: '0x00', offset: 17712 },
    });
    expect(f?.kind).toBeUndefined();
    expect(f?.message['zh-CN']).toBe(
      '/tmp/.x/kworker 在程序之后追加了 100.0 MiB 的 0x00（二进制填充，自偏移 17712 起）',
    );
    expect(f?.evidence).toContainEqual({
      type: 'match',
      field: 'binary padding',
      value: `${100 * MiB} bytes of 0x00 from offset 17712; sha256 of the 17712 bytes before it: ${'a'.repeat(64)}`,
      ioc: 'T1027.001',
    });
  });

  it('findings: on a matched file it joins the miner finding, which keeps its rule, level and fingerprint', () => {
    const unpadded = runDetectors(
      makeSnapshot({ content: makeContent({ files: [padded({ padding: undefined, matches: [XMRIG] })] }) }),
      ruleset,
      [binaryPadding, contentMatch],
    ).findings;
    const { findings } = runDetectors(
      makeSnapshot({ content: makeContent({ files: [padded({ matches: [XMRIG] })] }) }),
      ruleset,
      [binaryPadding, contentMatch],
    );
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ ruleId: 'content-match', kind: 'open-source-miner', level: 'critical' });
    expect(f?.level).toBe(unpadded[0]?.level);
    expect(f?.fingerprint).toBe(unpadded[0]?.fingerprint);
    expect(f?.signals.map((s) => `${s.ruleId}:${s.level}`)).toEqual([
      'content-match:critical',
      'binary-padding:low',
    ]);
    expect(f?.tags).toEqual(['attack.t1496', 'attack.t1027.001']);
    // content-match says which parts were scanned.
    expect(f?.evidence).toContainEqual({
      type: 'match',
      field: 'scanned parts',
      value: expect.stringMatching(/^scanned 17\.3 KiB of 100\.0 MiB by ELF program parts: 0-17712/),
    });
  });

  it('findings: a running padded program is reported on its process', () => {
    const miner = makeProcess({ pid: 4242, exe: '/tmp/.x/kworker', argv: ['[kworker/0:2]'] });
    const snap = makeSnapshot({
      processes: [...cleanHostProcesses(), miner],
      content: makeContent({ files: [padded()] }),
    });
    const [f] = runDetectors(snap, ruleset, [binaryPadding]).findings;
    expect(f).toMatchObject({
      messageId: 'runsPadded',
      level: 'low',
      data: { pid: 4242, path: '/tmp/.x/kworker', byte: '0x00' },
    });
    expect(f?.evidence[0]).toMatchObject({ type: 'process', pid: 4242 });
  });

  it('skipped: without the content section', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [binaryPadding]).skipped).toEqual([
      { ruleId: 'binary-padding', missing: ['content'] },
    ]);
  });
});
