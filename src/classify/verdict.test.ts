// The verdict: allowed findings do not count, and what was not collected is never called clean.
import { describe, expect, it } from 'vitest';
import type { Evidence, Finding } from '../model/finding.js';
import type { CollectionRecord } from '../snapshot/schema.js';
import { POLICY_SKIP_REASONS, basisOf, classify, isPolicySkip, runningProcesses } from './verdict.js';

const text = { en: 'x', 'zh-CN': 'x' };
function finding(partial: Partial<Finding>): Finding {
  return {
    ruleId: 'miner-process-name',
    kind: 'open-source-miner',
    category: 'miner',
    level: 'high',
    title: text,
    message: text,
    evidence: [],
    tags: [],
    verify: text,
    remediate: [],
    fingerprint: 'f1',
    signals: [],
    ...partial,
  };
}
const ok: CollectionRecord = {
  collector: 'processes',
  sections: ['processes'],
  status: 'ok',
  durationMs: 1,
  errors: [],
};

describe('classify', () => {
  it('calls a high miner finding infected, with the kind at high confidence', () => {
    const v = classify([finding({}), finding({ level: 'medium', fingerprint: 'f2' })], [ok]);
    expect(v.status).toBe('infected');
    expect(v.highest).toBe('high');
    expect(v.kinds.map(({ kind, confidence, findingCount }) => ({ kind, confidence, findingCount }))).toEqual(
      [{ kind: 'open-source-miner', confidence: 'high', findingCount: 2 }],
    );
  });

  it('gives each kind its evidence chain, strongest first, and its playbook in both languages', () => {
    const v = classify(
      [
        finding({ level: 'medium', fingerprint: 'weak', ruleId: 'high-cpu-odd-path' }),
        finding({ level: 'critical', fingerprint: 'strong', ruleId: 'pool-connection' }),
        finding({ kind: 'preload', level: 'high', fingerprint: 'p', ruleId: 'ld-so-preload' }),
      ],
      [ok],
    );
    const miner = v.kinds.find((k) => k.kind === 'open-source-miner')!;
    expect(miner.chain.map((c) => c.ruleId)).toEqual(['pool-connection', 'high-cpu-odd-path']);
    expect(miner.playbook.length).toBeGreaterThan(3);
    expect(miner.playbook[1]!.en).toContain('respond --apply');
    expect(miner.playbook.every((s) => /[\u4e00-\u9fff]/.test(s['zh-CN']))).toBe(true);
    const preload = v.kinds.find((k) => k.kind === 'preload')!;
    expect(preload.playbook[0]!.en).toMatch(/Distrust ps/);
    expect(preload.playbook.map((s) => s.en).join(' ')).toContain('/etc/ld.so.preload');
  });

  it('ignores allowed findings', () => {
    const v = classify([finding({ allowed: { by: 'exe', value: '/opt/x', source: 'a.yml' } })], [ok]);
    expect(v.status).toBe('clean');
    expect(v.kinds).toEqual([]);
  });

  it('calls a medium finding suspicious', () => {
    expect(classify([finding({ level: 'medium' })], [ok]).status).toBe('suspicious');
  });

  it('never calls a scan clean when a collector failed or was skipped', () => {
    const failed: CollectionRecord = { ...ok, collector: 'sockets', sections: ['sockets'], status: 'failed' };
    const v = classify([], [ok, failed]);
    expect(v.status).toBe('incomplete');
    expect(v.notCollected).toEqual(['sockets']);
  });

  it('keeps a scan clean when a special file was skipped: that is policy, not a gap', () => {
    const v = classify([], [ok], { 'special-file': 3 });
    expect(v.status).toBe('clean');
    expect(v.scanGaps).toBeUndefined();
  });

  it('keeps a scan clean for every policy reason, each listed once', () => {
    expect(new Set(POLICY_SKIP_REASONS).size).toBe(POLICY_SKIP_REASONS.length);
    const all = Object.fromEntries(POLICY_SKIP_REASONS.map((r) => [r, 2]));
    expect(classify([], [ok], all).status).toBe('clean');
  });

  it('calls a scan with a file over the size limit incomplete, and says which gaps, most first', () => {
    const v = classify([], [ok], { 'special-file': 9, 'too-large': 1, 'archive-bomb': 2, empty: 0 });
    expect(v.status).toBe('incomplete');
    expect(v.scanGaps).toEqual([
      { reason: 'archive-bomb', count: 2 },
      { reason: 'too-large', count: 1 },
    ]);
  });

  it('treats a skip reason it does not know as a gap', () => {
    expect(isPolicySkip('partly-scanned')).toBe(false);
    expect(classify([], [ok], { 'partly-scanned': 1 }).status).toBe('incomplete');
    expect(classify([], [ok], { 'some-future-reason': 1 }).status).toBe('incomplete');
  });

  it('keeps infected and suspicious ahead of incomplete, gaps still named', () => {
    const v = classify([finding({})], [ok], { unreadable: 4 });
    expect(v.status).toBe('infected');
    expect(v.scanGaps).toEqual([{ reason: 'unreadable', count: 4 }]);
    expect(classify([finding({ level: 'medium' })], [ok], { 'too-large': 1 }).status).toBe('suspicious');
  });

  it('orders kinds by their strongest evidence: level, then a running process before a file', () => {
    const v = classify(
      [
        finding({ kind: 'hidden-directory', level: 'high', fingerprint: 'd', basis: 'executable' }),
        finding({ kind: 'fileless', level: 'high', fingerprint: 'f', basis: 'running' }),
        finding({ kind: 'preload', level: 'high', fingerprint: 'p', basis: 'autostart' }),
        finding({ kind: 'web-script', level: 'critical', fingerprint: 'w', basis: 'config' }),
      ],
      [ok],
    );
    expect(v.kinds.map((k) => k.kind)).toEqual(['web-script', 'fileless', 'preload', 'hidden-directory']);
  });

  it('orders each chain by level, then basis, then fingerprint, and names the basis of each link', () => {
    const v = classify(
      [
        finding({ fingerprint: 'a', level: 'high', basis: 'mention', ruleId: 'content-match' }),
        finding({ fingerprint: 'b', level: 'high', basis: 'running', ruleId: 'pool-connection' }),
        finding({ fingerprint: 'c', level: 'critical', basis: 'config', ruleId: 'hidden-directory' }),
        finding({ fingerprint: 'd', level: 'high', basis: 'executable', ruleId: 'known-bad-hash' }),
        finding({ fingerprint: 'e', level: 'high', basis: 'executable', ruleId: 'content-match' }),
      ],
      [ok],
    );
    expect(v.kinds[0]!.chain.map((c) => [c.fingerprint, c.basis])).toEqual([
      ['c', 'config'],
      ['b', 'running'],
      ['d', 'executable'],
      ['e', 'executable'],
      ['a', 'mention'],
    ]);
  });

  it('never lets low mentions or its own output lead ahead of a kind with a running process', () => {
    const v = classify(
      [
        finding({ kind: 'web-script', level: 'low', fingerprint: 'm', basis: 'mention' }),
        finding({ kind: 'container-image', level: 'low', fingerprint: 'o', basis: 'own-output' }),
        finding({ kind: 'fileless', level: 'info', fingerprint: 'r', basis: 'running' }),
      ],
      [ok],
    );
    expect(v.kinds.map((k) => k.kind)).toEqual(['fileless', 'web-script', 'container-image']);
  });

  it('gives low confidence to a kind that only low or info mentions support', () => {
    const v = classify(
      [
        finding({ kind: 'web-script', level: 'low', fingerprint: 'm1', basis: 'mention' }),
        finding({ kind: 'web-script', level: 'info', fingerprint: 'm2', basis: 'own-output' }),
      ],
      [ok],
    );
    expect(v.kinds).toMatchObject([{ kind: 'web-script', confidence: 'low', findingCount: 2 }]);
    expect(v.status).toBe('clean');
  });

  it('derives the basis of findings from older reports that lack it', () => {
    const proc: Evidence = { type: 'process', pid: 7, ppid: 1, comm: 'x', argv: ['x'] };
    expect(basisOf(finding({ evidence: [proc] }))).toBe('running');
    expect(basisOf(finding({ category: 'persistence' }))).toBe('autostart');
    expect(basisOf(finding({ category: 'tampering' }))).toBe('autostart');
    expect(basisOf(finding({}))).toBe('executable');
    expect(basisOf(finding({ basis: 'config', evidence: [proc] }))).toBe('config');
  });
});

describe('running processes', () => {
  const proc = (pid: number, extra: Partial<Extract<Evidence, { type: 'process' }>> = {}): Evidence => ({
    type: 'process',
    pid,
    ppid: 1,
    user: 'www-data',
    comm: 'kworker',
    exe: '/tmp/.x/kworker',
    argv: ['[kworker/0:2]', '-o', 'stratum+tcp://198.51.100.7:3333', '-u', 'WALLET'],
    cpuPercent: 97.4,
    ...extra,
  });
  const wallet = '4AMinehunterTestWa11et';

  it('names each running miner with its pool and wallet, strongest first', () => {
    const v = classify(
      [
        finding({
          level: 'medium',
          fingerprint: 'z',
          evidence: [proc(99, { argv: ['./m'], cpuPercent: 40 })],
        }),
        finding({
          level: 'critical',
          fingerprint: 'y',
          basis: 'running',
          evidence: [
            proc(4242),
            {
              type: 'match',
              field: 'argv[2]',
              value: 'stratum+tcp://198.51.100.7:3333',
              ioc: 'pool URL scheme stratum+tcp://',
            },
            {
              type: 'match',
              field: 'argv[4]',
              value: wallet,
              ioc: 'iocs/wallet-patterns.yml: monero-standard',
            },
            {
              type: 'match',
              field: 'argv[6]',
              value: '--donate-level',
              ioc: 'iocs/miner-args.yml: --donate-level',
            },
            {
              type: 'socket',
              protocol: 'tcp',
              local: '10.0.0.2:50000',
              remote: '198.51.100.7:3333',
              state: 'ESTABLISHED',
              pids: [4242],
              match: 'pool port 3333',
            },
            {
              type: 'socket',
              protocol: 'tcp',
              local: '10.0.0.2:50001',
              remote: '203.0.113.9:14444',
              state: 'ESTABLISHED',
              pids: [4242],
              match: 'pool address iocs/pool-addresses.yml: 203.0.113.0/24',
            },
          ],
        }),
      ],
      [ok],
    );
    expect(v.running).toEqual([
      {
        pid: 4242,
        user: 'www-data',
        comm: 'kworker',
        exe: '/tmp/.x/kworker',
        cpuPercent: 97.4,
        level: 'critical',
        pools: ['stratum+tcp://198.51.100.7:3333', '203.0.113.9:14444'],
        wallets: [wallet],
      },
      {
        pid: 99,
        user: 'www-data',
        comm: 'kworker',
        exe: '/tmp/.x/kworker',
        cpuPercent: 40,
        level: 'medium',
        pools: [],
        wallets: [],
      },
    ]);
  });

  it('leaves out allowed, low and not-running findings', () => {
    expect(
      runningProcesses([
        finding({ level: 'low', basis: 'running', evidence: [proc(1)] }),
        finding({ basis: 'running', evidence: [proc(2)], allowed: { by: 'exe', value: '/x', source: 'a' } }),
        finding({ basis: 'executable', evidence: [proc(3)] }),
        finding({ basis: 'running', evidence: [] }),
      ]),
    ).toEqual([]);
  });
});
