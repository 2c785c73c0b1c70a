// The incident timeline dates the miner's files, not only its processes: the birth time of a file
// (statx) where the filesystem keeps one, else its modification time, sets "first seen". Checked on
// a literal snapshot, and on a fake root whose files get set times, collected and analysed for real.
import { mkdir, mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSnapshot } from '../collect/index.js';
import { stampMatchedFiles } from '../collect/file-times.js';
import { analyzeSnapshot, prepareAnalysis } from '../pipeline/analyze.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { Report } from '../report/model.js';
import { FIXED_NOW, fixtureInputs } from '../../test/helpers/incident-fixture.js';
import { snapshotMarks } from './charts.js';
import { emptyIntake } from './intake.js';
import { buildIncidentReport, fileTimeEvents } from './model.js';
import { renderIncidentMarkdown } from './render-md.js';
import { renderIncidentHtml } from './render-html.js';

// The real clock: the files' birth times are now, and times after the scan are not taken as first seen.
const NOW = new Date(Date.now() + 60_000);
const PLANTED = new Date('2026-01-02T03:04:05.000Z');

function incidentOf(report: Report, snapshot: Snapshot) {
  return buildIncidentReport({ report, snapshot, intake: emptyIntake(), attachments: [], now: NOW });
}

describe('file times on the incident timeline (literal snapshot)', () => {
  const finding = {
    ruleId: 'content-match',
    kind: 'open-source-miner',
    category: 'miner',
    level: 'critical',
    title: { en: 'miner', 'zh-CN': '矿机' },
    message: { en: 'matches', 'zh-CN': '匹配' },
    evidence: [
      { type: 'file', path: '/opt/.x/xmrig' },
      { type: 'file', path: '/opt/.x/config.json' },
    ],
    tags: [],
    verify: { en: '', 'zh-CN': '' },
    remediate: [],
    fingerprint: 'f',
  } as unknown as Report['findings'][number];
  const match = [{ rule: 'r', namespace: 'n', tags: [], strings: [] }] as never[];
  const snapshot = {
    content: {
      files: [
        // Copied in with its original mtime: born here in November, "modified" in 2021.
        {
          path: '/opt/.x/xmrig',
          size: 1,
          executable: true,
          matches: match,
          mtime: '2021-05-01T00:00:00.000Z',
          birthtime: '2026-11-20T10:00:00.000Z',
        },
        // No birth time kept: its modification time stands.
        { path: '/opt/.x/config.json', size: 1, matches: match, mtime: '2026-11-21T10:00:00.000Z' },
        // Not named by a finding: not on the timeline.
        { path: '/srv/other', size: 1, matches: match, mtime: '2020-01-01T00:00:00.000Z' },
      ],
    },
  } as unknown as Snapshot;

  it('gives born and modified events, born first-seen over an older copied mtime', () => {
    const events = fileTimeEvents(snapshot, [finding]);
    expect(events.map((e) => [e.time, e.kind, e.event.en])).toEqual([
      ['2021-05-01T00:00:00.000Z', 'file', 'miner program /opt/.x/xmrig last modified'],
      ['2026-11-20T10:00:00.000Z', 'file', 'miner program /opt/.x/xmrig created'],
      ['2026-11-21T10:00:00.000Z', 'file', 'miner file /opt/.x/config.json last modified'],
    ]);
    expect(events[1]!.event['zh-CN']).toBe('矿机程序 /opt/.x/xmrig 创建');
  });
});

describe('file times of a running miner found by its behaviour alone (literal snapshot)', () => {
  // The report fixture: a pool connection names PID 4242 (/tmp/.x/kworker, started 09:00 on 26
  // November); no content match. Its program was copied in with its original mtime and born on 20
  // November; its command line names a config written the next day.
  const { report, snapshot } = fixtureInputs();
  const miner = snapshot.processes!.find((p) => p.pid === 4242)!;
  miner.argv = [...miner.argv, '-c', 'c.json'];
  miner.exeTimes = { mtime: '2021-05-01T00:00:00.000Z', birthtime: '2026-11-20T10:00:00.000Z' };
  miner.configFiles = [{ path: '/tmp/.x/c.json', mtime: '2026-11-21T10:00:00.000Z' }];
  // A process with times that no finding names: not on the timeline.
  snapshot.processes!.push({ ...miner, pid: 77, exe: '/usr/sbin/cron', configFiles: [] });

  it('puts the program and its config on the timeline and in the report, and dates first seen from them', () => {
    expect(fileTimeEvents(snapshot, report.findings).map((e) => [e.time, e.kind, e.event.en])).toEqual([
      ['2021-05-01T00:00:00.000Z', 'file', 'miner program /tmp/.x/kworker last modified'],
      ['2026-11-20T10:00:00.000Z', 'file', 'miner program /tmp/.x/kworker created'],
      ['2026-11-21T10:00:00.000Z', 'file', 'miner config file /tmp/.x/c.json last modified'],
    ]);
    const incident = buildIncidentReport({
      report,
      snapshot,
      intake: emptyIntake(),
      attachments: [],
      now: FIXED_NOW,
    });
    // Born here days before the process now running was started.
    expect(incident.incident.firstSeen).toBe('2026-11-20T10:00:00.000Z');
    const en = renderIncidentMarkdown(incident, 'en');
    expect(en).toContain('| 2026-11-20T10:00:00.000Z | miner program /tmp/.x/kworker created |');
    expect(en).toContain('| 2026-11-21T10:00:00.000Z | miner config file /tmp/.x/c.json last modified |');
    expect(en).not.toContain('/usr/sbin/cron');
    expect(renderIncidentMarkdown(incident, 'zh-CN')).toContain('矿机配置文件 /tmp/.x/c.json 最后修改');
    const html = renderIncidentHtml(incident, 'en', {
      findings: report.findings,
      marks: snapshotMarks(snapshot, report.findings, 'en'),
    });
    expect(html).toContain('miner program /tmp/.x/kworker created');
  });
});

describe('file times of a fake root, collected and analysed', () => {
  let root: string;
  let snapshot: Snapshot;
  let report: Report;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'minehunter-file-times-'));
    await mkdir(path.join(root, 'etc', 'cron.d'), { recursive: true });
    await mkdir(path.join(root, 'opt', '.x'), { recursive: true });
    // A cron line starting a program from a hidden directory: a persistence finding that names both files.
    await writeFile(
      path.join(root, 'etc', 'cron.d', 'sync'),
      '* * * * * root /opt/.x/kworker >/dev/null 2>&1\n',
    );
    await writeFile(path.join(root, 'opt', '.x', 'kworker'), '#!/bin/sh\nsleep 1\n', { mode: 0o755 });
    for (const f of ['etc/cron.d/sync', 'opt/.x/kworker']) await utimes(path.join(root, f), PLANTED, PLANTED);
    snapshot = await collectSnapshot({ root, now: () => NOW, toolVersion: '9.9.9' });
    const analysis = await prepareAnalysis({ iocDirs: [], allowFiles: [], optionalAllowFiles: [] });
    report = analyzeSnapshot(snapshot, analysis, { toolVersion: '9.9.9', now: NOW });
  }, 120_000);

  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('records mtime, and the birth time exactly when the filesystem gives one', async () => {
    const born = (await stat(path.join(root, 'opt', '.x', 'kworker'))).birthtimeMs;
    const rec = snapshot.persistence?.files.find((f) => f.path === '/opt/.x/kworker');
    expect(rec?.mtime).toBe(PLANTED.toISOString());
    if (born > 0) expect(rec?.birthtime).toBe(new Date(born).toISOString());
    else expect(rec).not.toHaveProperty('birthtime');
  });

  it('dates first seen from the files: their birth where kept, else the mtime set on them', async () => {
    const born = (await stat(path.join(root, 'etc', 'cron.d', 'sync'))).birthtimeMs;
    const incident = incidentOf(report, snapshot);
    const expected = born > 0 ? new Date(born).toISOString() : PLANTED.toISOString();
    // Both files were written in this test: their births are the same moment to within the run.
    expect(incident.incident.firstSeen?.slice(0, 16)).toBe(expected.slice(0, 16));
    const texts = incident.timeline.map((e) => `${e.time} ${e.event.en}`);
    expect(texts).toContain(`${PLANTED.toISOString()} autostart file /etc/cron.d/sync last modified`);
    expect(texts).toContain(`${PLANTED.toISOString()} file it starts /opt/.x/kworker last modified`);
    if (born > 0) expect(texts.some((t) => t.endsWith('autostart file /etc/cron.d/sync created'))).toBe(true);
    for (const lang of ['en', 'zh-CN'] as const) {
      const md = renderIncidentMarkdown(incident, lang);
      expect(md).toContain(
        lang === 'en'
          ? `| ${PLANTED.toISOString()} | file it starts /opt/.x/kworker last modified |`
          : '被启动的文件 /opt/.x/kworker 最后修改',
      );
      const html = renderIncidentHtml(incident, lang, { findings: report.findings });
      // On the timeline chart's file lane, and once in the events table.
      expect(html).toContain(
        lang === 'en'
          ? 'file it starts /opt/.x/kworker last modified'
          : '被启动的文件 /opt/.x/kworker 最后修改',
      );
      const row =
        lang === 'en'
          ? '<td>file it starts /opt/.x/kworker last modified</td>'
          : '<td>被启动的文件 /opt/.x/kworker 最后修改</td>';
      expect(html.split(row).length - 1).toBe(1);
    }
  });

  it('stamps a matched file of the content scan with its times, and leaves archive entries alone', async () => {
    const file = path.join(root, 'opt', '.x', 'kworker');
    const files = [
      { path: file, matches: [{}] },
      { path: `${file}!inner`, matches: [{}] },
      { path: path.join(root, 'gone'), matches: [{}] },
      { path: file, matches: [] },
    ] as { path: string; matches: unknown[]; mtime?: string; birthtime?: string }[];
    await stampMatchedFiles(files, (p) => import('node:fs/promises').then((m) => m.lstat(p)));
    expect(files[0]!.mtime).toBe(PLANTED.toISOString());
    const born = (await stat(file)).birthtimeMs;
    expect(files[0]!.birthtime).toBe(born > 0 ? new Date(born).toISOString() : undefined);
    expect(files.slice(1).map((f) => f.mtime)).toEqual([undefined, undefined, undefined]);
  });
});
