// The watch state machine: a finding is raised once, repeats are counted and announced at most once
// an hour (never once acknowledged), a material change raises it again, one missed scan is a blip
// and two resolve it, allowed findings raise nothing (and newly allowed ones resolve), and a saved
// state read back (or a damaged one) behaves as a user restarting the watcher expects.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import {
  applyAcks,
  applyScan,
  emptyState,
  hasPendingMisses,
  parseAcks,
  parseState,
  type WatchState,
} from './watch-state.js';

function finding(fingerprint: string, extra: Partial<Finding> = {}): Finding {
  return {
    ruleId: 'miner-process-name',
    category: 'process',
    level: 'critical',
    title: { en: 'Miner', 'zh-CN': '矿工' },
    message: { en: 'xmrig runs', 'zh-CN': 'xmrig 在运行' },
    evidence: [],
    tags: [],
    verify: { en: 'look', 'zh-CN': '看' },
    remediate: [],
    fingerprint,
    signals: [],
    ...extra,
  } as Finding;
}

const T0 = new Date('2026-01-01T00:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

function run(state: WatchState, fps: string[], when: Date) {
  return applyScan(
    state,
    fps.map((f) => finding(f)),
    when,
  );
}

describe('watch state', () => {
  it('raises a new finding once, then counts it silently', () => {
    const first = run(emptyState(), ['a', 'b'], T0);
    expect(first.events.map((e) => [e.event, e.fingerprint])).toEqual([
      ['finding', 'a'],
      ['finding', 'b'],
    ]);
    const second = run(first.state, ['a', 'b'], at(1));
    expect(second.events).toEqual([]);
    expect(second.state.findings.a!.count).toBe(2);
    expect(second.state.findings.a!.firstSeen).toBe(T0.toISOString());
  });

  it('announces the repeat count at most once an hour', () => {
    let { state } = run(emptyState(), ['a'], T0);
    const events: unknown[] = [];
    for (let m = 10; m <= 130; m += 10) {
      const r = run(state, ['a'], at(m));
      state = r.state;
      events.push(...r.events);
    }
    // Seen at 0..130 min: announced at 60 (count 7) and 120 (count 13), nothing else.
    expect(events).toEqual([
      expect.objectContaining({ event: 'repeat', fingerprint: 'a', count: 7 }),
      expect.objectContaining({ event: 'repeat', fingerprint: 'a', count: 13 }),
    ]);
  });

  it('resolves a finding only after two consecutive scans without it', () => {
    let { state } = run(emptyState(), ['a', 'b'], T0);
    const miss1 = run(state, ['b'], at(1));
    expect(miss1.events).toEqual([]);
    expect(hasPendingMisses(miss1.state)).toBe(true);
    const miss2 = run(miss1.state, ['b'], at(2));
    expect(miss2.events).toEqual([
      expect.objectContaining({ event: 'resolved', fingerprint: 'a', first_seen: T0.toISOString() }),
    ]);
    expect(miss2.state.findings.a).toBeUndefined();
    expect(hasPendingMisses(miss2.state)).toBe(false);
    // Back after being resolved: a new finding again.
    state = run(miss2.state, ['a', 'b'], at(3)).state;
    expect(state.findings.a!.firstSeen).toBe(at(3).toISOString());
  });

  it('keeps a finding that comes back after one miss, without a second alert', () => {
    const { state } = run(emptyState(), ['a'], T0);
    const miss = run(state, [], at(1));
    const back = run(miss.state, ['a'], at(2));
    expect(back.events).toEqual([]);
    expect(back.state.findings.a!.misses).toBe(0);
    expect(run(back.state, [], at(3)).events).toEqual([]);
  });

  it('raises nothing for allowed findings and one event per fingerprint in a scan', () => {
    const allowed = finding('x', { allowed: { by: 'fingerprint', value: 'x', source: 'allow.yml' } });
    const r = applyScan(emptyState(), [allowed, finding('y'), finding('y')], T0);
    expect(r.events.map((e) => e.fingerprint)).toEqual(['y']);
    expect(Object.keys(r.state.findings)).toEqual(['y']);
  });

  it('reads its own saved state back and starts afresh on a damaged one', () => {
    const { state } = run(emptyState(), ['a'], T0);
    const back = parseState(JSON.stringify(state));
    expect(back.problem).toBeUndefined();
    expect(run(back.state, ['a'], at(1)).events).toEqual([]);
    expect(parseState('{not json').problem).toMatch(/not JSON/);
    expect(parseState('{"version":2,"findings":{}}').problem).toMatch(/version 1/);
    // A damaged entry is dropped, the rest kept.
    const mixed = parseState(
      JSON.stringify({ version: 1, findings: { ...state.findings, b: { ruleId: 1 } } }),
    );
    expect(Object.keys(mixed.state.findings)).toEqual(['a']);
  });

  it('stops announcing repeats of an acknowledged finding, re-raises it when its evidence changes', () => {
    const proc = (exe: string, cpu: number) =>
      finding('a', {
        evidence: [
          { type: 'process', pid: 10, ppid: 1, comm: 'k', exe, argv: ['k'], cpuPercent: cpu },
          { type: 'match', field: 'cpu', value: `${cpu}%` },
        ],
      });
    let { state } = applyScan(emptyState(), [proc('/tmp/k', 90)], T0);
    const acked = applyAcks(state, parseAcks(`{"fingerprint":"a","at":"${at(1).toISOString()}"}\n{broken\n`));
    expect(acked.acked).toEqual(['a']);
    state = acked.state;
    // Read again (a restart): the same ack changes nothing.
    expect(applyAcks(state, [{ fingerprint: 'a', at: at(1).toISOString() }]).acked).toEqual([]);
    const events: unknown[] = [];
    for (let m = 10; m <= 130; m += 10) {
      // CPU and the matches derived from it change every scan: not material.
      const r = applyScan(state, [proc('/tmp/k', 50 + m)], at(m));
      state = r.state;
      events.push(...r.events);
    }
    expect(events).toEqual([]);
    expect(state.findings.a!.count).toBe(14);
    // The program is replaced: raised again, the ack is gone, the count goes on.
    const swapped = applyScan(state, [proc('/tmp/other', 99)], at(140));
    expect(swapped.events).toEqual([
      expect.objectContaining({ event: 'finding', fingerprint: 'a', changed: true }),
    ]);
    expect(swapped.state.findings.a).toMatchObject({ acked: undefined, count: 15 });
    expect(applyScan(swapped.state, [proc('/tmp/other', 10)], at(141)).events).toEqual([]);
  });

  it('resolves at once a finding the allowlist now covers', () => {
    const { state } = run(emptyState(), ['a', 'b'], T0);
    const allowed = finding('a', { allowed: { by: 'fingerprint', value: 'a', source: 'allow.yml' } });
    const r = applyScan(state, [allowed, finding('b')], at(1));
    expect(r.events).toEqual([
      expect.objectContaining({ event: 'resolved', fingerprint: 'a', reason: 'allowed' }),
    ]);
    expect(Object.keys(r.state.findings)).toEqual(['b']);
  });
});
