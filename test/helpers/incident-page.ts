// The HTML incident report of an infected look-alike fixture root (by default miner-host: a disguised
// miner, a containerised xmrig, fileless payloads, an LD_PRELOAD library and hosts edits), built
// in-process as `minehunter report --format html` builds it: for the browser test of the page and the
// README screenshots.
import path from 'node:path';
import { collectSnapshot } from '../../src/collect/index.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from '../../src/collect/test-helpers.js';
import { defaultIocDir, loadRuleset } from '../../src/iocs/load.js';
import { runDetectors } from '../../src/detect/run.js';
import { buildReport, type Report } from '../../src/report/model.js';
import { IntakeSchema } from '../../src/incident/intake.js';
import { buildIncidentReport } from '../../src/incident/model.js';
import { snapshotMarks } from '../../src/incident/charts.js';
import { renderIncidentHtml } from '../../src/incident/render-html.js';
import type { Lang } from '../../src/model/finding.js';

export interface FixtureIncidentPage {
  report: Report;
  html: Record<Lang, string>;
}

export async function fixtureIncidentPage(root = 'miner-host'): Promise<FixtureIncidentPage> {
  const ruleset = await loadRuleset([defaultIocDir()]);
  const snapshot = await collectSnapshot({
    root: path.join(FIXTURE_ROOTS, root),
    now: FIXTURE_NOW,
    toolVersion: '0.0.0',
  });
  const { findings, skipped } = runDetectors(snapshot, ruleset);
  const now = FIXTURE_NOW();
  const report = buildReport({
    snapshot,
    findings,
    skipped,
    rulesetHash: ruleset.hash,
    toolVersion: '0.0.0',
    now,
  });
  const intake = IntakeSchema.parse({
    organization: { name: 'Example Co. 示例公司', contact: 'Li Lei', phone: '+86 10 0000 0000' },
    incident: { location: 'Rack B7, DC-2' },
  });
  const incident = buildIncidentReport({ report, snapshot, intake, attachments: [], now });
  const render = (lang: Lang): string =>
    renderIncidentHtml(incident, lang, {
      target: report.target,
      findings: report.findings,
      marks: snapshotMarks(snapshot, report.findings, lang),
    });
  return { report, html: { en: render('en'), 'zh-CN': render('zh-CN') } };
}
