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
    expect(v.kinds).toEqual([{ kind: 'open-source-miner', confidence: 'high', findingCount: 2 }]);
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
