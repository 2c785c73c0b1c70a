// Tests for the rule runner: skipped detectors, correlation of several signals on one process into
// one escalated finding, fingerprints that survive a restart and a JSON round trip, and a stable order.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { FindingSchema, type Finding } from '../model/finding.js';
import { SnapshotSchema, type ProcessInfo, type SocketInfo } from '../snapshot/schema.js';
import {
  COLLECTED_AT,
  cleanHostProcesses,
  cleanHostSnapshot,
  cleanHostSockets,
  makeProcess,
  makeSnapshot,
  makeSocket,
} from '../../test/helpers/snapshot-builders.js';
import { detectors } from './index.js';
import { escalate, fingerprintOf, runDetectors } from './run.js';
import type { Detector } from './types.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const minutesAgo = (m: number) => new Date(Date.parse(COLLECTED_AT) - m * 60_000).toISOString();

/** The e2e look-alike as the collector sees it: dot-dir, kernel-thread name, pool URL, wallet, CPU. */
function lookalike(pid = 4242, partial: Partial<ProcessInfo> = {}): ProcessInfo {
  return makeProcess({
    pid,
    ppid: 1,
    user: 'runner',
    exe: '/tmp/minehunter-e2e-x/.cache/.X11-unix/kworker',
    argv: [
      '[kworker/0:2]',
      '-o',
      'stratum+tcp://127.0.0.1:3333',
      '-u',
      '4AMinehunterTestWa11etNotRea1DoNotSendFundsHere111111111111111111111111111111111111111111111111',
      '-p',
      'x',
    ],
    comm: 'kworker/0:2',
    cpuPercent: 99,
    cpuPercentLifetime: 96,
    cpuTimeSec: 115,
    startTime: minutesAgo(2),
    ...partial,
  });
}
const poolSocket = (pid = 4242): SocketInfo =>
  makeSocket({
    localAddress: '127.0.0.1',
    localPort: 40_404,
    remoteAddress: '127.0.0.1',
    remotePort: 3333,
    pids: [pid],
  });

describe('runDetectors', () => {
  it('reports nothing above info and skips nothing on a clean host', () => {
    const { findings, skipped } = runDetectors(cleanHostSnapshot(), ruleset);
    expect(skipped).toEqual([]);
    // The clean host's /etc/hosts sinkholes pool names: one info finding says so, nothing else.
    expect(findings.map((f) => [f.level, f.ruleId, f.remediate])).toEqual([['info', 'hosts-tampering', []]]);
  });

  it('correlates every signal on one process into one critical finding, strongest first', () => {
    // Every other section of a clean host is there too, so no detector is skipped.
    const snapshot = makeSnapshot({
      ...cleanHostSnapshot(),
      processes: [...cleanHostProcesses(), lookalike()],
      sockets: [...cleanHostSockets(), poolSocket()],
    });
    const { findings: all, skipped } = runDetectors(snapshot, ruleset);
    expect(skipped).toEqual([]);
    const findings = all.filter((f) => f.level !== 'info');
    expect(findings).toHaveLength(1);
    const [f] = findings as [Finding];
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f.ruleId).toBe('miner-command-line');
    expect(f.kind).toBe('open-source-miner');
    expect(f.level).toBe('critical');
    expect(f.signals.map((s) => [s.ruleId, s.level])).toEqual([
      ['miner-command-line', 'high'],
      ['pool-connection', 'high'],
      ['fake-kernel-thread', 'high'],
      ['high-cpu-odd-path', 'medium'],
    ]);
    // One process record, then each detector's own evidence, nothing twice.
    expect(f.evidence.filter((e) => e.type === 'process')).toHaveLength(1);
    expect(f.evidence.filter((e) => e.type === 'socket')).toEqual([
      {
        type: 'socket',
        protocol: 'tcp',
        local: '127.0.0.1:40404',
        remote: '127.0.0.1:3333',
        state: 'ESTABLISHED',
        pids: [4242],
        match: 'pool in its command line: stratum+tcp://127.0.0.1:3333',
      },
    ]);
    expect(new Set(f.evidence.map((e) => JSON.stringify(e))).size).toBe(f.evidence.length);
    expect(f.remediate).toEqual([
      { type: 'kill-process-tree', pid: 4242, exe: '/tmp/minehunter-e2e-x/.cache/.X11-unix/kworker' },
      { type: 'quarantine-file', path: '/tmp/minehunter-e2e-x/.cache/.X11-unix/kworker' },
    ]);
    expect(f.tags).toEqual(expect.arrayContaining(['attack.t1496', 'attack.t1036.005']));
    expect(f.verify.en.split('\n')).toHaveLength(4);
  });

  it('raises two independent medium signals to high', () => {
    // Busy from /tmp and talking to a pool port, but no miner arguments or disguise.
    const p = makeProcess({
      pid: 5000,
      exe: '/tmp/.cache/worker',
      argv: ['/tmp/.cache/worker'],
      cpuPercent: 90,
      cpuPercentLifetime: 90,
      cpuTimeSec: 540,
      startTime: minutesAgo(10),
    });
    const { findings } = runDetectors(makeSnapshot({ processes: [p], sockets: [poolSocket(5000)] }), ruleset);
    expect(findings.map((f) => [f.ruleId, f.level, f.signals.map((s) => s.ruleId)])).toEqual([
      ['pool-connection', 'high', ['pool-connection', 'high-cpu-odd-path']],
    ]);
  });

  it('gives the same process the same fingerprint across restarts and a JSON round trip', () => {
    const first = runDetectors(
      makeSnapshot({ processes: [lookalike(4242)], sockets: [poolSocket(4242)] }),
      ruleset,
    );
    // Restarted: another pid, start time and CPU figures; without sockets fewer detectors fire.
    const again = runDetectors(
      makeSnapshot({ processes: [lookalike(777, { cpuPercent: 70, startTime: minutesAgo(30) })] }),
      ruleset,
    );
    const roundTrip = SnapshotSchema.parse(
      JSON.parse(JSON.stringify(makeSnapshot({ processes: [lookalike(4242)], sockets: [poolSocket(4242)] }))),
    );
    const analysed = runDetectors(roundTrip, ruleset);
    expect(first.findings[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(again.findings[0]?.fingerprint).toBe(first.findings[0]?.fingerprint);
    expect(analysed).toEqual(first);
    // A different executable is a different thing.
    const other = runDetectors(
      makeSnapshot({ processes: [lookalike(4242, { exe: '/tmp/other/kworker' })] }),
      ruleset,
    );
    expect(other.findings[0]?.fingerprint).not.toBe(first.findings[0]?.fingerprint);
  });

  it('sorts by level, then fingerprint, whatever order the processes come in', () => {
    const processes = [
      lookalike(10),
      makeProcess({ pid: 11, exe: '/opt/a/xmrig', argv: ['/opt/a/xmrig'] }),
      makeProcess({ pid: 12, exe: '/opt/b/xmrig', argv: ['/opt/b/xmrig'] }),
      makeProcess({ pid: 13, exe: '/usr/bin/curl', argv: ['curl', 'https://supportxmr.com/api'] }),
    ];
    const forward = runDetectors(makeSnapshot({ processes }), ruleset).findings;
    const backward = runDetectors(makeSnapshot({ processes: [...processes].reverse() }), ruleset).findings;
    expect(backward).toEqual(forward);
    expect(forward.map((f) => f.level)).toEqual(['critical', 'high', 'high', 'medium']);
    const highs = forward.filter((f) => f.level === 'high').map((f) => f.fingerprint);
    expect(highs).toEqual([...highs].sort());
  });

  it('skips detectors whose sections failed to collect, and says which sections were missing', () => {
    const snapshot = makeSnapshot({
      processes: [lookalike()],
      sockets: [poolSocket()],
      collection: [
        {
          collector: 'linux-processes',
          sections: ['host', 'processes'],
          status: 'ok',
          durationMs: 5,
          errors: [],
        },
        {
          collector: 'linux-sockets',
          sections: ['sockets'],
          status: 'failed',
          durationMs: 1,
          errors: [{ message: 'EACCES' }],
        },
      ],
    });
    const { findings, skipped } = runDetectors(snapshot, ruleset);
    // Sections this snapshot never had skip their detectors too; the failed one must be named.
    expect(skipped.filter((d) => d.missing.includes('sockets'))).toEqual([
      { ruleId: 'pool-connection', missing: ['sockets'] },
    ]);
    expect(findings[0]?.signals.map((s) => s.ruleId)).not.toContain('pool-connection');
  });

  it('lists every needed section a detector misses', () => {
    const needy: Detector = { ...detectors[0]!, id: 'needy', needs: ['processes', 'sockets', 'hosts-file'] };
    expect(runDetectors(makeSnapshot({ sockets: [] }), ruleset, [needy]).skipped).toEqual([
      { ruleId: 'needy', missing: ['processes', 'hosts-file'] },
    ]);
  });
});

describe('escalate', () => {
  it('raises one step for two signals and to critical for three or more', () => {
    expect(escalate('medium', 1)).toBe('medium');
    expect(escalate('medium', 2)).toBe('high');
    expect(escalate('high', 2)).toBe('critical');
    expect(escalate('critical', 2)).toBe('critical');
    expect(escalate('low', 3)).toBe('critical');
  });
});

describe('fingerprintOf', () => {
  it('is 16 hex digits of sha256 over the parts', () => {
    expect(fingerprintOf(['process', '/tmp/x', '/tmp/x -o a'])).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprintOf(['a', 'b'])).not.toBe(fingerprintOf(['ab']));
  });
});
