// The audit runner: ordering by priority, the weighted score, --fail-on, "not collected" as unknown,
// a crashing check contained, and the text rendering in both languages.
import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import { renderAuditText } from '../report/render-audit-text.js';
import { AuditReportSchema, auditFailsAt, runAudit } from './run.js';
import type { AuditCheck } from './types.js';
import { absent, fail, pass, t } from './util.js';

function check(
  id: string,
  level: AuditCheck['level'],
  run: AuditCheck['run'],
  needs: AuditCheck['needs'] = [],
): AuditCheck {
  return {
    id,
    area: 'firewall',
    level,
    title: t(`title ${id}`, `标题 ${id}`),
    description: t('d', '描述'),
    fix: { command: `fix-${id}`, text: t('fix it', '修复') },
    tags: [],
    needs,
    run,
  };
}

const checks: AuditCheck[] = [
  check('a-pass', 'critical', () => pass('ok', '好')),
  check('b-fail-medium', 'medium', () => fail('bad', '坏', [], 'specific-fix')),
  check('c-fail-high', 'high', () => fail('bad', '坏')),
  check('d-absent', 'critical', () => absent('none here', '不存在')),
  check('e-missing', 'high', () => pass('x', 'x'), ['firewall']),
  check('f-crash', 'low', () => {
    throw new Error('boom');
  }),
];

const report = runAudit(makeSnapshot({}), {
  toolVersion: '1.2.3',
  now: new Date('2026-11-26T12:00:00Z'),
  checks,
});

describe('runAudit', () => {
  it('orders failures first, then unknown, then passes, worst level first', () => {
    expect(report.checks.map((c) => `${c.status} ${c.id}`)).toEqual([
      'fail c-fail-high',
      'fail b-fail-medium',
      'unknown e-missing',
      'unknown f-crash',
      'pass a-pass',
      'pass d-absent',
    ]);
    expect(AuditReportSchema.parse(report)).toEqual(report);
  });

  it('scores passed weight over decided weight, leaving out unknown and not-applicable checks', () => {
    // critical pass 10 / (10 + high 6 + medium 3) = 52.6 → 53
    expect(report.score).toEqual({ value: 53, pass: 2, fail: 2, unknown: 2 });
  });

  it('reports not collected and crashed checks as unknown with the reason', () => {
    expect(report.checks.find((c) => c.id === 'e-missing')?.message.en).toBe('Not collected: firewall.');
    expect(report.checks.find((c) => c.id === 'f-crash')?.message.en).toBe('The check failed: boom');
  });

  it('uses a host-specific fix command when the check gives one', () => {
    expect(report.checks.find((c) => c.id === 'b-fail-medium')?.fix.command).toBe('specific-fix');
    expect(report.checks.find((c) => c.id === 'c-fail-high')?.fix.command).toBe('fix-c-fail-high');
  });

  it('turns failures into exposure findings', () => {
    expect(report.findings.map((f) => [f.ruleId, f.category, f.level])).toEqual([
      ['c-fail-high', 'exposure', 'high'],
      ['b-fail-medium', 'exposure', 'medium'],
    ]);
  });

  it('fails at a threshold the way --fail-on says', () => {
    expect(auditFailsAt(report, 'high')).toBe(true);
    expect(auditFailsAt(report, 'critical')).toBe(false);
    expect(auditFailsAt(report, 'none')).toBe(false);
  });
});

describe('renderAuditText', () => {
  it('prints the score, details for failures with their fix command, one line per pass', () => {
    const en = renderAuditText(report, { lang: 'en', color: false });
    expect(en).toContain('Score 53/100 · 2 failed · 2 unknown · 2 passed');
    expect(en).toContain('[FAIL] title c-fail-high');
    expect(en).toContain('$ specific-fix');
    expect(en).not.toContain('$ fix-a-pass');
    expect(en).toContain('✓ title a-pass');
    expect(en.indexOf('c-fail-high')).toBeLessThan(en.indexOf('b-fail-medium'));
  });
  it('speaks Chinese with --lang zh-CN', () => {
    const zh = renderAuditText(report, { lang: 'zh-CN', color: false });
    expect(zh).toContain('得分 53/100 · 不通过 2 · 未知 2 · 通过 2');
    expect(zh).toContain('[不通过] 标题 c-fail-high');
    expect(zh).toContain('未进行登录测试');
  });
});
