// The terminal report: verdict first, findings by level with evidence, verify and actions, in both
// languages; hostile argv stays inert; colour only when asked.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import { buildReport } from './model.js';
import { renderText } from './render-text.js';
import type { Snapshot } from '../snapshot/schema.js';

const snapshot: Snapshot = {
  schemaVersion: 1,
  tool: { name: 'minehunter', version: '0.1.0' },
  collectedAt: '2026-11-26T10:00:00.000Z',
  target: { root: '/', live: true },
  host: { hostname: 'web-01', kernel: '6.1.0', distribution: { name: 'Debian GNU/Linux 12' }, addresses: [] },
  processes: [],
  sockets: [],
  collection: [{ collector: 'processes', sections: ['processes'], status: 'ok', durationMs: 5, errors: [] }],
};

const finding: Finding = {
  ruleId: 'miner-command-line',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'critical',
  title: { en: 'Miner command line', 'zh-CN': '矿机命令行' },
  message: { en: 'PID 4242 runs a miner', 'zh-CN': 'PID 4242 运行矿机' },
  evidence: [
    {
      type: 'process',
      pid: 4242,
      ppid: 1,
      user: 'www-data',
      comm: 'kworker',
      exe: '/tmp/.x/kworker',
      exeDeleted: true,
      argv: ['[kworker/0:2]', '-o', 'stratum+tcp://127.0.0.1:3333', '--pass', '\x1b[31mred\x1b[0m'],
    },
    {
      type: 'socket',
      protocol: 'tcp',
      local: '127.0.0.1:50000',
      remote: '127.0.0.1:3333',
      state: 'ESTABLISHED',
      pids: [4242],
      match: 'pool port 3333',
    },
  ],
  tags: ['attack.t1496'],
  verify: { en: 'Run ls -l /proc/4242/exe', 'zh-CN': '运行 ls -l /proc/4242/exe' },
  remediate: [
    { type: 'kill-process-tree', pid: 4242 },
    { type: 'quarantine-file', path: '/tmp/.x/kworker' },
  ],
  fingerprint: 'abcdef0123456789',
  signals: [],
};

const report = buildReport({
  snapshot,
  findings: [
    finding,
    {
      ...finding,
      level: 'low',
      fingerprint: 'f2',
      allowed: { by: 'exe', value: '/opt/miner', reason: 'lab rig', source: 'allow.yml' },
    },
  ],
  skipped: [{ ruleId: 'pool-connection', missing: ['sockets'] }],
  rulesetHash: 'h',
  toolVersion: '0.1.0',
  now: new Date('2026-11-26T10:00:01Z'),
});

describe('renderText', () => {
  it('shows verdict, evidence, verification, actions and the allowed finding in English', () => {
    const out = renderText(report, { lang: 'en', color: false });
    expect(out).toContain('Verdict: INFECTED');
    expect(out).toContain('open-source miner (confidence high, 1)');
    expect(out).toContain('CRITICAL (1)');
    expect(out).toContain('pid 4242 ppid 1 user www-data exe /tmp/.x/kworker (deleted)');
    expect(out).toContain('argv: [kworker/0:2] -o stratum+tcp://127.0.0.1:3333 --pass \\x1b[31mred\\x1b[0m');
    expect(out).toContain('127.0.0.1:50000 → 127.0.0.1:3333 ESTABLISHED pid 4242 (pool port 3333)');
    expect(out).toContain('Verify by hand\n      Run ls -l /proc/4242/exe');
    expect(out).toContain('1. Stop process tree 4242');
    expect(out).toContain('Allowed by your allowlist (1)');
    expect(out).toContain('allowed by exe /opt/miner (allow.yml)');
    expect(out).toContain('pool-connection: sockets');
  });

  it('speaks Simplified Chinese', () => {
    const out = renderText(report, { lang: 'zh-CN', color: false });
    expect(out).toContain('结论: 已感染');
    expect(out).toContain('严重 (1)');
    expect(out).toContain('矿机命令行');
    expect(out).toContain('人工核实');
  });

  it('prints no escape sequence at all without colour, and colours with it', () => {
    expect(renderText(report, { lang: 'en', color: false })).not.toContain('\x1b');
    expect(renderText(report, { lang: 'en', color: true })).toContain('\x1b[');
  });
});
