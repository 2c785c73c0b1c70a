// Tests for fake-kernel-thread: real kernel threads, the watchdog daemon and bracketed titles like
// celery's never hit; userland processes named like kernel threads do; no process list, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import {
  cleanHostSnapshot,
  makeKernelThread,
  makeProcess,
  makeSnapshot,
} from '../../../test/helpers/snapshot-builders.js';
import { fakeKernelThread, looksLikeKernelThread } from './fake-kernel-thread.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('fake-kernel-thread', () => {
  it('clean: finds nothing on a normal host full of real kernel threads', () => {
    expect(runDetectors(cleanHostSnapshot(), ruleset, [fakeKernelThread])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a bracketed kworker argv[0] on a binary in a hidden directory', () => {
    const p = makeProcess({
      pid: 4242,
      ppid: 1,
      user: 'www-data',
      exe: '/tmp/.cache/.X11-unix/kworker',
      argv: ['[kworker/0:2]', '-o', 'stratum+tcp://127.0.0.1:3333'],
      comm: 'kworker/0:2',
    });
    const { findings } = runDetectors(makeSnapshot({ processes: [p] }), ruleset, [fakeKernelThread]);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(FindingSchema.parse(finding)).toEqual(finding);
    expect(finding).toMatchObject({
      ruleId: 'fake-kernel-thread',
      level: 'high',
      tags: ['attack.t1036.005', 'attack.defense-evasion', 'attack.t1496'],
      messageId: 'executable',
      data: {
        pid: 4242,
        name: '[kworker/0:2]',
        field: 'argv[0]',
        exe: '/tmp/.cache/.X11-unix/kworker',
      },
      remediate: [
        { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.cache/.X11-unix/kworker' },
        { type: 'quarantine-file', path: '/tmp/.cache/.X11-unix/kworker' },
      ],
    });
    expect(finding?.message.en).toBe(
      'PID 4242 (/tmp/.cache/.X11-unix/kworker) calls itself "[kworker/0:2]" like a kernel thread, but has the executable /tmp/.cache/.X11-unix/kworker',
    );
    expect(finding?.evidence[1]).toEqual({
      type: 'match',
      field: 'argv[0]',
      value: '[kworker/0:2]',
      ioc: 'kernel thread name',
    });
  });

  it('findings: a kthreadd comm set with prctl, a script run by the system python under a kernel name, and one whose executable is unreadable', () => {
    const renamed = makeProcess({
      pid: 31,
      exe: '/var/tmp/.ICE-unix/x',
      argv: ['/var/tmp/.ICE-unix/x'],
      comm: 'kthreadd',
    });
    const script = makeProcess({
      pid: 32,
      exe: '/usr/bin/python3.11',
      argv: ['[ksoftirqd/1]'],
      comm: 'python3',
    });
    const unreadable = makeProcess({
      pid: 33,
      exe: undefined,
      argv: ['[kswapd0]', '--config', '/dev/shm/.c'],
      comm: 'kswapd0',
    });
    const { findings } = runDetectors(makeSnapshot({ processes: [renamed, script, unreadable] }), ruleset, [
      fakeKernelThread,
    ]);
    expect(findings).toHaveLength(3);
    const byPid = new Map(
      findings.map((f) => [f.evidence[0]?.type === 'process' ? f.evidence[0].pid : 0, f]),
    );
    expect(byPid.get(31)).toMatchObject({
      messageId: 'executable',
      data: { pid: 31, name: 'kthreadd', field: 'comm', exe: '/var/tmp/.ICE-unix/x' },
    });
    expect(byPid.get(32)).toMatchObject({
      messageId: 'executable',
      data: { pid: 32, name: '[ksoftirqd/1]', field: 'argv[0]', exe: '/usr/bin/python3.11' },
    });
    // Without a readable executable the disguise is still given away by a command line of its own.
    expect(byPid.get(33)).toMatchObject({
      messageId: 'commandLine',
      data: { pid: 33, name: '[kswapd0]', field: 'argv[0]' },
    });
    expect(byPid.get(33)?.data).not.toHaveProperty('exe');
    expect(byPid.get(31)?.evidence[1]).toEqual({
      type: 'match',
      field: 'comm',
      value: 'kthreadd',
      ioc: 'kernel thread name',
    });
    // Killing the script is right; quarantining the system's python3 would break the host.
    expect(byPid.get(32)?.remediate).toEqual([
      { type: 'kill-process-tree', pid: 32, exe: '/usr/bin/python3.11' },
    ]);
  });

  it('tells kernel-thread shapes from ordinary names', () => {
    for (const name of [
      '[kworker/0:1]',
      'kworker/u8:2-events_unbound',
      '[kthreadd]',
      '[ ksoftirqd/3 ]',
      'migration/1',
      'watchdog/0',
      'kswapd0',
      'jbd2/sda1-8',
      '[rcu_sched]',
    ]) {
      expect(looksLikeKernelThread(name), name).toBe(true);
    }
    for (const name of [
      'watchdog',
      'migration',
      'kworker',
      '[celeryd: celery@web-01:MainProcess]',
      'sshd: alice [priv]',
      'kdevtmpfsi',
      '[mysqld]',
      'systemd',
    ]) {
      expect(looksLikeKernelThread(name), name).toBe(false);
    }
  });

  it('never reports real kernel threads, even ones the collector did not mark', () => {
    const unmarked = makeProcess({
      pid: 70,
      ppid: 2,
      exe: undefined,
      argv: [],
      comm: 'kworker/1:0',
      kernelThread: false,
    });
    const { findings } = runDetectors(
      makeSnapshot({ processes: [makeKernelThread(40, 'kworker/0:1'), unmarked] }),
      ruleset,
      [fakeKernelThread],
    );
    expect(findings).toEqual([]);
  });

  it('skipped: without a process list the detector is skipped, not clean', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [fakeKernelThread])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'fake-kernel-thread', missing: ['processes'] }],
    });
  });
});
