// Tests for hidden-process: a probe that found nothing is clean; a PID missing from ps is critical,
// kind preload, with exe, argv and threads; without the hidden section (offline root), skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeProcess, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { hiddenWith } from '../../../test/helpers/stealth-builders.js';
import { runDetectors } from '../run.js';
import { hiddenProcess } from './hidden-process.js';
import { minerCommandLine } from './miner-command-line.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const HIDDEN = {
  pid: 4242,
  ppid: 1,
  comm: 'kswapd1',
  exe: '/var/tmp/.X1-lock/kswapd1',
  argv: ['kswapd1', '-o', 'stratum+tcp://10.9.9.9:3333', '-u', 'x'],
  threads: [4242, 4243, 4244],
  missingFrom: ['ps' as const],
};

describe('hidden-process', () => {
  it('clean: nothing hidden', () => {
    expect(runDetectors(makeSnapshot({ hidden: hiddenWith() }), ruleset, [hiddenProcess])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a PID missing from ps is critical with exe, argv and threads', () => {
    const { findings } = runDetectors(
      makeSnapshot({ hidden: hiddenWith({ processes: [HIDDEN] }) }),
      ruleset,
      [hiddenProcess],
    );
    expect(findings).toHaveLength(1);
    const f = findings[0]!;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({ ruleId: 'hidden-process', kind: 'preload', level: 'critical' });
    expect(f).toMatchObject({
      messageId: 'hidden',
      data: {
        pid: 4242,
        exe: HIDDEN.exe,
        command: 'kswapd1 -o stratum+tcp://10.9.9.9:3333 -u x',
        missingFrom: 'ps',
        threads: 3,
      },
    });
    expect(f.message.en).toBe(
      'PID 4242 (/var/tmp/.X1-lock/kswapd1) exists but is hidden from `ps`; it runs: kswapd1 -o stratum+tcp://10.9.9.9:3333 -u x',
    );
    expect(f.evidence[0]).toEqual({
      type: 'process',
      pid: 4242,
      ppid: 1,
      comm: 'kswapd1',
      exe: HIDDEN.exe,
      argv: HIDDEN.argv,
    });
    expect(f.evidence).toContainEqual({ type: 'match', field: 'threads', value: '4242 4243 4244' });
    expect(f.remediate).toEqual([{ type: 'kill-process-tree', pid: 4242, exe: HIDDEN.exe }]);
  });

  it('findings: merged with a miner signal on the same PID it keeps kind preload', () => {
    const listed = makeProcess({ pid: 4242, exe: HIDDEN.exe, argv: HIDDEN.argv, comm: 'kswapd1' });
    const snap = makeSnapshot({ processes: [listed], hidden: hiddenWith({ processes: [HIDDEN] }) });
    const { findings } = runDetectors(snap, ruleset, [hiddenProcess, minerCommandLine]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ ruleId: 'hidden-process', kind: 'preload', level: 'critical' });
    expect(findings[0]!.signals.map((s) => s.ruleId)).toEqual(['hidden-process', 'miner-command-line']);
  });

  it('skipped: without the hidden section (an offline root cannot be probed)', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [hiddenProcess]).skipped).toEqual([
      { ruleId: 'hidden-process', missing: ['hidden'] },
    ]);
  });
});
