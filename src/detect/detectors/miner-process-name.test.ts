// Tests for miner-process-name: a clean host yields nothing, known miner names hit however they are
// spelled, look-alike names do not, and without a process list the detector is reported skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import { cleanHostSnapshot, makeProcess, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { minerProcessName } from './miner-process-name.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const run = (snapshot: ReturnType<typeof makeSnapshot>) =>
  runDetectors(snapshot, ruleset, [minerProcessName]);

describe('miner-process-name', () => {
  it('clean: finds nothing on a normal host', () => {
    expect(run(cleanHostSnapshot())).toEqual({ findings: [], skipped: [] });
  });

  it('findings: reports a miner by its executable name, with evidence and remediation', () => {
    const xmrig = makeProcess({
      pid: 4242,
      ppid: 1,
      user: 'www-data',
      exe: '/tmp/.x/xmrig',
      argv: ['./xmrig', '-c', 'config.json'],
      cpuPercent: 180,
    });
    const { findings, skipped } = run(makeSnapshot({ processes: [xmrig] }));
    expect(skipped).toEqual([]);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(FindingSchema.parse(finding)).toEqual(finding);
    expect(finding).toMatchObject({
      ruleId: 'miner-process-name',
      kind: 'open-source-miner',
      category: 'miner',
      level: 'high',
      tags: ['attack.t1496', 'attack.impact'],
      messageId: 'minerNameFamily',
      data: { pid: 4242, name: 'xmrig', field: 'exe', listed: 'xmrig', family: 'XMRig' },
      evidence: [
        {
          type: 'process',
          pid: 4242,
          ppid: 1,
          user: 'www-data',
          comm: 'xmrig',
          exe: '/tmp/.x/xmrig',
          argv: ['./xmrig', '-c', 'config.json'],
          cpuPercent: 180,
        },
        { type: 'match', field: 'exe', value: 'xmrig', ioc: 'iocs/miner-names.yml: xmrig' },
      ],
      remediate: [
        { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/xmrig' },
        { type: 'quarantine-file', path: '/tmp/.x/xmrig' },
      ],
      signals: [{ ruleId: 'miner-process-name', level: 'high' }],
    });
    expect(finding?.message.en).toBe(
      'PID 4242 (/tmp/.x/xmrig) runs a program named "xmrig", a known miner or miner dropper (XMRig)',
    );
    expect(finding?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('findings: matches argv[0], comm and versioned names case-insensitively, but never parts of names', () => {
    const processes = [
      // exe unreadable (another user's process, not root): the name still shows in argv[0].
      makeProcess({
        pid: 10,
        exe: undefined,
        argv: ['./SRBMiner-MULTI', '--algorithm', 'randomx'],
        comm: 'SRBMiner-MULTI',
      }),
      // A release-archive name with its version.
      makeProcess({
        pid: 11,
        exe: '/opt/xmrig-6.21.0/xmrig-6.21.0',
        argv: ['/opt/xmrig-6.21.0/xmrig-6.21.0'],
      }),
      // Kinsing's miner with its binary already deleted: no quarantine of a path that is gone.
      makeProcess({ pid: 12, exe: '/tmp/kdevtmpfsi', exeDeleted: true, argv: ['/tmp/kdevtmpfsi'] }),
      // Names that merely contain a miner name.
      makeProcess({ pid: 20, exe: '/usr/local/bin/minerd-exporter', argv: ['minerd-exporter'] }),
      makeProcess({ pid: 21, exe: '/usr/bin/xmrigger', argv: ['xmrigger'] }),
      makeProcess({ pid: 22, exe: '/usr/lib/systemd/systemd-sysupdate', argv: ['systemd-sysupdate'] }),
    ];
    const { findings } = run(makeSnapshot({ processes }));
    const byPid = new Map(
      findings.map((f) => [f.evidence[0]?.type === 'process' ? f.evidence[0].pid : 0, f]),
    );
    expect([...byPid.keys()].sort((a, b) => a - b)).toEqual([10, 11, 12]);
    expect(byPid.get(10)?.evidence[1]).toEqual({
      type: 'match',
      field: 'argv[0]',
      value: 'SRBMiner-MULTI',
      ioc: 'iocs/miner-names.yml: srbminer-multi',
    });
    expect(byPid.get(10)?.remediate).toEqual([{ type: 'kill-process-tree', pid: 10 }]);
    expect(byPid.get(11)?.evidence[1]).toMatchObject({
      field: 'exe',
      value: 'xmrig-6.21.0',
      ioc: 'iocs/miner-names.yml: xmrig',
    });
    expect(byPid.get(12)).toMatchObject({
      messageId: 'minerNameFamily',
      data: {
        process: {
          en: 'PID 12 (/tmp/kdevtmpfsi (deleted))',
          'zh-CN': '进程 PID 12（/tmp/kdevtmpfsi (deleted)）',
        },
        pid: 12,
        name: 'kdevtmpfsi',
        family: 'Kinsing',
      },
    });
    expect(byPid.get(12)?.remediate).toEqual([
      { type: 'kill-process-tree', pid: 12, exe: '/tmp/kdevtmpfsi' },
    ]);
  });

  it('findings: a 15-character comm cut from a longer miner name still matches', () => {
    const rules = {
      ...ruleset,
      minerNames: [{ value: 'cryptominer-extra', source: 's s', date: '2026-11-26', file: 'x.yml' }],
    };
    const p = makeProcess({ pid: 30, exe: undefined, argv: ['[bioset]'], comm: 'cryptominer-ext' });
    const { findings } = runDetectors(makeSnapshot({ processes: [p] }), rules, [minerProcessName]);
    expect(findings[0]?.evidence[1]).toEqual({
      type: 'match',
      field: 'comm',
      value: 'cryptominer-ext',
      ioc: 'x.yml: cryptominer-extra',
    });
    // An entry without a family names none.
    expect(findings[0]).toMatchObject({
      messageId: 'minerName',
      data: { pid: 30, name: 'cryptominer-ext', field: 'comm', listed: 'cryptominer-extra' },
    });
    expect(findings[0]?.data).not.toHaveProperty('family');
  });

  it('skipped: without a process list the detector is skipped, not clean', () => {
    expect(run(makeSnapshot({}))).toEqual({
      findings: [],
      skipped: [{ ruleId: 'miner-process-name', missing: ['processes'] }],
    });
  });
});
