// The verdict: allowed findings do not count, and what was not collected is never called clean.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import type { CollectionRecord } from '../snapshot/schema.js';
import { classify } from './verdict.js';

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
});
