// The plan is pure: its order (freeze, archive, kill, persistence, files, block, rescan), merging of
// the same step asked for by several findings, skips that protect the host, and --select.
import { describe, expect, it } from 'vitest';
import type { Action, Finding } from '../model/finding.js';
import { buildPlan, parseSelection, selectSteps } from './plan.js';

function finding(fingerprint: string, remediate: Action[], allowed = false): Finding {
  return {
    ruleId: 'x',
    category: 'miner',
    level: 'high',
    title: { en: 't', 'zh-CN': 't' },
    message: { en: 'm', 'zh-CN': 'm' },
    evidence: [],
    tags: [],
    verify: { en: 'v', 'zh-CN': 'v' },
    remediate,
    fingerprint,
    signals: [],
    ...(allowed ? { allowed: { by: 'exe' as const, value: 'x', source: 'allow.yml' } } : {}),
  };
}

describe('buildPlan', () => {
  const findings = [
    finding('b', [
      { type: 'block-address', address: '203.0.113.9', port: 3333 },
      { type: 'quarantine-file', path: '/tmp/.x/kworker' },
      { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/kworker' },
    ]),
    finding('a', [
      { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/kworker' },
      { type: 'remove-authorized-key', path: '/root/.ssh/authorized_keys', line: 'ssh-rsa AAAA evil' },
      { type: 'clear-immutable', path: '/root/.ssh/authorized_keys' },
      { type: 'disable-unit', unit: 'kworker.service', path: '/etc/systemd/system/kworker.service' },
      { type: 'restore-ld-preload', path: '/etc/ld.so.preload', remove: ['/usr/local/lib/libhide.so'] },
      { type: 'block-address', address: '127.0.0.1', port: 3333 },
    ]),
    finding('allowed', [{ type: 'kill-process-tree', pid: 77 }], true),
  ];

  it('orders freeze, archive, kill, immutable, persistence, preload, quarantine, block, rescan', () => {
    const plan = buildPlan(findings, { live: true });
    expect(plan.steps.map((s) => `${s.n}:${s.kind}:${s.action?.type ?? ''}`)).toEqual([
      '1:freeze:kill-process-tree',
      '2:archive:',
      '3:kill:kill-process-tree',
      '4:remove-persistence:clear-immutable',
      '5:remove-persistence:remove-authorized-key',
      '6:remove-persistence:disable-unit',
      '7:restore-ld-preload:restore-ld-preload',
      '8:quarantine:quarantine-file',
      '9:block:block-address',
      '10:block:block-address',
      '11:rescan:',
    ]);
  });

  it('merges a step asked for twice and names both findings; ignores allowed findings', () => {
    const plan = buildPlan(findings, { live: true });
    expect(plan.steps[0]!.findings).toEqual(['a', 'b']);
    expect(plan.steps.some((s) => s.action?.type === 'kill-process-tree' && s.action.pid === 77)).toBe(false);
  });

  it('archives every file a step edits or removes', () => {
    const plan = buildPlan(findings, { live: true });
    expect(plan.steps[1]!.touches.sort()).toEqual([
      '/etc/ld.so.preload',
      '/etc/systemd/system/kworker.service',
      '/root/.ssh/authorized_keys',
      '/tmp/.x/kworker',
    ]);
  });

  it('skips loopback blocks always and firewall blocks on a root that is not the running system', () => {
    const live = buildPlan(findings, { live: true }).steps.filter((s) => s.kind === 'block');
    expect(live.map((s) => Boolean(s.skip))).toEqual([false, true]);
    expect(live[1]!.skip!.en).toContain('loopback');
    const offline = buildPlan(findings, { live: false }).steps.filter((s) => s.kind === 'block');
    expect(offline.every((s) => s.skip)).toBe(true);
    const sinkhole = buildPlan(
      [finding('d', [{ type: 'block-address', address: '203.0.113.9', domain: 'pool.example' }])],
      {
        live: false,
      },
    );
    expect(sinkhole.steps.find((s) => s.kind === 'block')!.skip).toBeUndefined();
    expect(sinkhole.steps.find((s) => s.kind === 'archive')!.touches).toEqual(['/etc/hosts']);
  });

  it('is empty without findings', () => {
    expect(buildPlan([], { live: true }).steps).toEqual([]);
  });
});

describe('--select', () => {
  const plan = buildPlan(
    [
      finding('a', [
        { type: 'kill-process-tree', pid: 9 },
        { type: 'quarantine-file', path: '/tmp/x' },
      ]),
    ],
    { live: true },
  );
  it('keeps the archive step whenever a kept step touches a file', () => {
    expect(selectSteps(plan, [4]).map((s) => s.kind)).toEqual(['archive', 'quarantine']);
    expect(selectSteps(plan, [1, 3]).map((s) => s.kind)).toEqual(['freeze', 'kill']);
  });
  it('parses lists and ranges and rejects the rest', () => {
    expect(parseSelection('1,3-4', 5)).toEqual([1, 3, 4]);
    expect(() => parseSelection('0', 5)).toThrow(/outside/);
    expect(() => parseSelection('7', 5)).toThrow(/outside/);
    expect(() => parseSelection('a', 5)).toThrow(/not a step/);
  });
});
