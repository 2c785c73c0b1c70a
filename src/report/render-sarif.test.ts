// SARIF output: a valid 2.1.0 log whose rules carry the fix, and whose results are fail/pass/open
// with levels a code-scanning dashboard understands.
import { describe, expect, it } from 'vitest';
import { makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import { runAudit } from '../audit/run.js';
import type { AuditCheck } from '../audit/types.js';
import { fail, pass, t, unknown } from '../audit/util.js';
import { SARIF_SCHEMA, renderSarif, sarifFromAudit } from './render-sarif.js';

const mk = (id: string, level: AuditCheck['level'], run: AuditCheck['run']): AuditCheck => ({
  id,
  area: 'ssh',
  level,
  title: t(`Title ${id}`, `标题 ${id}`),
  description: t(`What ${id} checks`, `${id} 检查的内容`),
  fix: { command: `fix ${id}`, text: t('How to fix', '如何修复') },
  tags: ['attack.t1110'],
  needs: [],
  run,
});
const checks = [
  mk('x-fail', 'critical', () => fail('broken', '坏了', [{ type: 'file', path: '/etc/ssh/sshd config' }])),
  mk('y-pass', 'medium', () => pass('fine', '正常')),
  mk('z-unknown', 'low', () => unknown('?', '？')),
];
const report = runAudit(makeSnapshot({}), { toolVersion: '9.9.9', now: new Date(0), checks });

interface SarifRule {
  id: string;
  shortDescription: { text: string };
  help: { markdown: string };
  defaultConfiguration: { level: string };
  properties: Record<string, unknown>;
}
interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  kind: string;
  level: string;
  message: { text: string };
  partialFingerprints: Record<string, string>;
  locations: Array<{
    physicalLocation?: { artifactLocation: { uri: string } };
    logicalLocations?: Array<{ name: string }>;
  }>;
}

describe('sarifFromAudit', () => {
  const log = JSON.parse(sarifFromAudit(report, checks, 'en')) as {
    $schema: string;
    version: string;
    runs: Array<{
      tool: { driver: { name: string; version: string; rules: SarifRule[] } };
      results: SarifResult[];
    }>;
  };
  const run = log.runs[0]!;

  it('is a SARIF 2.1.0 log from minehunter', () => {
    expect(log.$schema).toBe(SARIF_SCHEMA);
    expect(log.version).toBe('2.1.0');
    expect(run.tool.driver).toMatchObject({ name: 'minehunter', version: '9.9.9' });
  });

  it('has one rule per check with the fix command in its help and a security severity', () => {
    const rule = run.tool.driver.rules.find((r) => r.id === 'x-fail')!;
    expect(rule.shortDescription.text).toBe('Title x-fail');
    expect(rule.help.markdown).toContain('```sh\nfix x-fail\n```');
    expect(rule.properties['security-severity']).toBe('9.5');
    expect(rule.defaultConfiguration.level).toBe('error');
  });

  it('maps fail/pass/unknown to result kinds and levels, with fingerprints and locations', () => {
    const byRule = new Map(run.results.map((r) => [r.ruleId, r]));
    expect(byRule.get('x-fail')).toMatchObject({ kind: 'fail', level: 'error', message: { text: 'broken' } });
    expect(byRule.get('y-pass')).toMatchObject({ kind: 'pass', level: 'none' });
    expect(byRule.get('z-unknown')).toMatchObject({ kind: 'open', level: 'none' });
    expect(byRule.get('x-fail')!.locations[0]!.physicalLocation!.artifactLocation.uri).toBe(
      'file:///etc/ssh/sshd%20config',
    );
    expect(byRule.get('y-pass')!.locations[0]!.logicalLocations![0]!.name).toBe('y-pass');
    expect(byRule.get('x-fail')!.partialFingerprints['minehunter/v1']).toMatch(/^[0-9a-f]{16}$/);
    for (const r of run.results) expect(run.tool.driver.rules[r.ruleIndex]!.id).toBe(r.ruleId);
  });

  it('speaks Chinese when asked', () => {
    const zh = JSON.parse(sarifFromAudit(report, checks, 'zh-CN')) as typeof log;
    expect(zh.runs[0]!.results.find((r) => r.ruleId === 'x-fail')!.message.text).toBe('坏了');
  });
});

describe('renderSarif', () => {
  it('maps levels: medium → warning, low → note', () => {
    const log = JSON.parse(
      renderSarif({
        toolVersion: '1',
        lang: 'en',
        rules: [],
        results: [
          {
            ruleId: 'm',
            kind: 'fail',
            level: 'medium',
            message: t('m', 'm'),
            fingerprint: 'f',
            evidence: [],
          },
          { ruleId: 'l', kind: 'fail', level: 'low', message: t('l', 'l'), fingerprint: 'g', evidence: [] },
        ],
      }),
    ) as { runs: Array<{ results: Array<{ level: string; ruleIndex?: number }> }> };
    expect(log.runs[0]!.results.map((r) => r.level)).toEqual(['warning', 'note']);
    expect(log.runs[0]!.results[0]!.ruleIndex).toBeUndefined();
  });
});
