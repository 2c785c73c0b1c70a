// A fixed incident for the report renderers' tests and goldens: a literal snapshot and findings (not
// the live detectors, so a detector's wording change does not move the goldens), an argv carrying
// HTML and ANSI escapes, a filled intake, evidence attachments and samples, and a fixed clock.
import type { Finding } from '../../src/model/finding.js';
import { buildReport } from '../../src/report/model.js';
import { IntakeSchema } from '../../src/incident/intake.js';
import { buildIncidentReport, type IncidentReport } from '../../src/incident/model.js';
import { makeProcess, makeSnapshot, makeSocket, COLLECTED_AT } from './snapshot-builders.js';

export const HOSTILE_ARGV = [
  '/tmp/.x/kworker',
  '<script>alert(1)</script>',
  '\u001b[31mred\u001b[0m',
  '-o',
  'stratum+tcp://203.0.113.7:3333',
];
export const FIXED_NOW = new Date('2026-11-26T12:30:00.000Z');

const text = (en: string, zh: string) => ({ en, 'zh-CN': zh });

export function fixtureInputs() {
  const miner = makeProcess({
    pid: 4242,
    ppid: 1,
    exe: '/tmp/.x/kworker',
    argv: HOSTILE_ARGV,
    comm: 'kworker',
    startTime: '2026-11-26T09:00:00.000Z',
    cpuTimeSec: 18_000,
    cpuPercent: 180,
  });
  const snapshot = makeSnapshot({
    processes: [miner],
    sockets: [makeSocket({ remoteAddress: '203.0.113.7', remotePort: 3333, pids: [4242] })],
  });
  const finding: Finding = {
    ruleId: 'pool-connection',
    kind: 'open-source-miner',
    category: 'miner',
    level: 'critical',
    title: text('Connection to a mining pool', '连接矿池'),
    message: text(
      'PID 4242 (/tmp/.x/kworker) connects to 203.0.113.7:3333',
      '进程 4242（/tmp/.x/kworker）连接 203.0.113.7:3333',
    ),
    evidence: [
      {
        type: 'process',
        pid: 4242,
        ppid: 1,
        user: 'root',
        comm: 'kworker',
        exe: '/tmp/.x/kworker',
        argv: HOSTILE_ARGV,
        cpuPercent: 180,
        startTime: '2026-11-26T09:00:00.000Z',
      },
      {
        type: 'socket',
        protocol: 'tcp',
        local: '10.0.0.2:45678',
        remote: '203.0.113.7:3333',
        state: 'ESTABLISHED',
        pids: [4242],
      },
    ],
    tags: ['attack.t1496'],
    verify: text('ls -l /proc/4242/exe', 'ls -l /proc/4242/exe'),
    remediate: [
      { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/kworker' },
      { type: 'quarantine-file', path: '/tmp/.x/kworker' },
    ],
    fingerprint: 'pool-connection:/tmp/.x/kworker',
    signals: [],
  };
  const report = buildReport({
    snapshot,
    findings: [finding],
    skipped: [],
    rulesetHash: 'ruleset-hash',
    toolVersion: '0.1.0',
    now: new Date(COLLECTED_AT),
  });
  const intake = IntakeSchema.parse({
    organization: {
      name: 'Example Co. 示例公司',
      address: '1 Example Road',
      contact: 'Li Lei',
      phone: '+86 10 0000 0000',
    },
    incident: {
      time: '2026-11-26 10:00 CST',
      location: 'Rack B7, DC-2',
      relatedIps: ['198.51.100.20'],
      symptoms: 'Fans loud, web slow',
    },
    assets: { systems: ['web-01 (shop front end)'] },
    loss: { items: [{ item: 'staff time', amount: 500 }] },
  });
  return { report, snapshot, intake };
}

export function fixtureIncident(): IncidentReport {
  const { report, snapshot, intake } = fixtureInputs();
  return buildIncidentReport({
    report,
    snapshot,
    intake,
    attachments: [
      { name: 'logs/var/log/auth.log', sha256: 'a'.repeat(64), size: 1234, note: '/var/log/auth.log' },
    ],
    samples: {
      archive: 'samples.zip',
      password: 'infected',
      files: [{ path: '/tmp/.x/kworker', sha256: 'b'.repeat(64) }],
    },
    now: FIXED_NOW,
  });
}
