// Tests for pool-connection: normal traffic (ssh, https, local Postgres and Jupyter, loopback pool
// blocks in /etc/hosts) never hits; pool ports are medium, pool addresses and /etc/hosts pool names
// high; several sockets of one process make one hit; without sockets the detector is skipped.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { runDetectors } from '../run.js';
import {
  cleanHostProcesses,
  cleanHostSnapshot,
  makeProcess,
  makeSnapshot,
  makeSocket,
} from '../../../test/helpers/snapshot-builders.js';
import { poolConnection } from './pool-connection.js';

// A user's own address list, loaded beside the bundled data the way --iocs does it.
const userDir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-pool-addrs-'));
await writeFile(
  path.join(userDir, 'pools.yml'),
  [
    'kind: pool-addresses',
    'entries:',
    '  - { value: 198.51.100.0/24, family: TestPool, source: "incident IR-1", date: 2026-11-26 }',
    '  - { value: "2001:db8:dead::/48", family: TestPool, source: "incident IR-1", date: 2026-11-26 }',
    '',
  ].join('\n'),
);
afterAll(() => rm(userDir, { recursive: true, force: true }));
const ruleset = await loadRuleset([defaultIocDir(), userDir]);
const userFile = `${path.basename(userDir)}/pools.yml`;

const miner = makeProcess({
  pid: 4242,
  user: 'www-data',
  exe: '/tmp/.x/kworker',
  argv: ['[kworker/0:2]'],
  comm: 'kworker',
});

describe('pool-connection', () => {
  it('clean: finds nothing on a normal host, whose /etc/hosts blocks pools via loopback', () => {
    expect(runDetectors(cleanHostSnapshot(), ruleset, [poolConnection])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a connection to a pool port on loopback is medium and blocks nothing', () => {
    const sockets = [
      makeSocket({
        localAddress: '127.0.0.1',
        localPort: 40_404,
        remoteAddress: '127.0.0.1',
        remotePort: 3333,
        pids: [4242],
      }),
      // The fake pool's own side of the same connection, and its listener: servers are not clients.
      makeSocket({
        localAddress: '127.0.0.1',
        localPort: 3333,
        remoteAddress: '127.0.0.1',
        remotePort: 40_404,
        pids: [99],
      }),
      makeSocket({ localAddress: '127.0.0.1', localPort: 3333, state: 'LISTEN', pids: [99] }),
      // Pools speak TCP: a UDP datagram to 3333 is something else.
      makeSocket({
        protocol: 'udp',
        localPort: 41_000,
        remoteAddress: '10.0.0.1',
        remotePort: 3333,
        pids: [4242],
      }),
    ];
    const { findings } = runDetectors(makeSnapshot({ processes: [miner], sockets }), ruleset, [
      poolConnection,
    ]);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(FindingSchema.parse(finding)).toEqual(finding);
    expect(finding).toMatchObject({
      ruleId: 'pool-connection',
      level: 'medium',
      messageId: 'poolPort',
      data: {
        owner: { en: 'PID 4242 (/tmp/.x/kworker)', 'zh-CN': '进程 PID 4242（/tmp/.x/kworker）' },
        pid: 4242,
        remote: '127.0.0.1:3333',
        address: '127.0.0.1',
        port: 3333,
        others: 0,
      },
      remediate: [
        { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/kworker' },
        { type: 'quarantine-file', path: '/tmp/.x/kworker' },
      ],
    });
    expect(finding?.evidence[1]).toEqual({
      type: 'socket',
      protocol: 'tcp',
      local: '127.0.0.1:40404',
      remote: '127.0.0.1:3333',
      state: 'ESTABLISHED',
      pids: [4242],
      match: 'pool port iocs/pool-ports.yml: 3333',
    });
  });

  it('findings: known pool addresses are high, IPv4-mapped and IPv6 peers included, one hit per process', () => {
    const sockets = [
      makeSocket({
        protocol: 'tcp6',
        localAddress: '::ffff:10.0.0.2',
        localPort: 50_001,
        remoteAddress: '::ffff:198.51.100.7',
        remotePort: 443,
        pids: [4242],
      }),
      makeSocket({
        protocol: 'tcp6',
        localAddress: '2001:db8::2',
        localPort: 50_002,
        remoteAddress: '2001:db8:dead::1',
        remotePort: 10128,
        pids: [4242],
      }),
      makeSocket({
        localPort: 50_003,
        remoteAddress: '203.0.113.5',
        remotePort: 14444,
        state: 'SYN_SENT',
        pids: [4242],
      }),
    ];
    const { findings } = runDetectors(makeSnapshot({ processes: [miner], sockets }), ruleset, [
      poolConnection,
    ]);
    expect(findings).toHaveLength(1);
    const [finding] = findings;
    expect(finding?.level).toBe('high');
    expect(finding).toMatchObject({
      messageId: 'poolAddress',
      data: {
        pid: 4242,
        remote: '198.51.100.7:443',
        address: '198.51.100.7',
        port: 443,
        pool: '198.51.100.0/24',
        others: 2,
        more: { en: ' (and 2 more pool connections)', 'zh-CN': '（另有 2 个矿池连接）' },
      },
    });
    expect(finding?.message.en).toBe(
      'PID 4242 (/tmp/.x/kworker) connects to 198.51.100.7:443, a known mining-pool address (and 2 more pool connections)',
    );
    expect(
      finding?.evidence.slice(1).map((e) => (e.type === 'socket' ? [e.remote, e.match] : e.type)),
    ).toEqual([
      ['198.51.100.7:443', `pool address ${userFile}: 198.51.100.0/24`],
      ['[2001:db8:dead::1]:10128', `pool address ${userFile}: 2001:db8:dead::/48`],
      ['203.0.113.5:14444', 'pool port iocs/pool-ports.yml: 14444'],
    ]);
    expect(finding?.remediate.filter((a) => a.type === 'block-address')).toEqual([
      { type: 'block-address', address: '198.51.100.7', port: 443 },
      { type: 'block-address', address: '2001:db8:dead::1', port: 10128 },
      { type: 'block-address', address: '203.0.113.5', port: 14444 },
    ]);
  });

  it('findings: a peer that /etc/hosts maps to a pool name is high, whatever its port', () => {
    const snapshot = makeSnapshot({
      processes: [miner],
      sockets: [
        makeSocket({ localPort: 50_010, remoteAddress: '203.0.113.9', remotePort: 443, pids: [4242] }),
      ],
      hostsFile: [
        { address: '127.0.0.1', names: ['localhost'] },
        { address: '203.0.113.9', names: ['xmr-eu1.nanopool.org'] },
      ],
    });
    const [finding] = runDetectors(snapshot, ruleset, [poolConnection]).findings;
    expect(finding?.level).toBe('high');
    expect(finding).toMatchObject({
      messageId: 'hostsPool',
      data: {
        pid: 4242,
        remote: '203.0.113.9:443',
        host: 'xmr-eu1.nanopool.org',
        pool: 'nanopool.org',
        others: 0,
      },
    });
    expect(finding?.evidence[1]).toMatchObject({
      match: '/etc/hosts: 203.0.113.9 xmr-eu1.nanopool.org (iocs/pool-domains.yml: nanopool.org)',
    });
  });

  it('findings: the pool a process names in its own command line is high, on any port', () => {
    const named = makeProcess({
      pid: 4300,
      exe: '/tmp/.x/php',
      argv: ['php', '-o', 'stratum+tcp://192.0.2.44:9000', '-u', 'w'],
    });
    const sockets = [
      makeSocket({ localPort: 50_030, remoteAddress: '192.0.2.44', remotePort: 9000, pids: [4300] }),
      // Another process talking to the same endpoint did not name it: nothing to see.
      makeSocket({ localPort: 50_031, remoteAddress: '192.0.2.44', remotePort: 9000, pids: [4301] }),
    ];
    const { findings } = runDetectors(makeSnapshot({ processes: [named], sockets }), ruleset, [
      poolConnection,
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      level: 'high',
      messageId: 'commandLinePool',
      data: { pid: 4300, remote: '192.0.2.44:9000', url: 'stratum+tcp://192.0.2.44:9000', others: 0 },
    });
  });

  it('findings: a socket without a visible owner is reported on its own, and a pid without a process list still is', () => {
    const sockets = [
      makeSocket({
        inode: 777,
        localPort: 50_020,
        remoteAddress: '198.51.100.8',
        remotePort: 3333,
        pids: [],
      }),
      makeSocket({ localPort: 50_021, remoteAddress: '203.0.113.6', remotePort: 7777, pids: [5150] }),
    ];
    const { findings, skipped } = runDetectors(makeSnapshot({ sockets }), ruleset, [poolConnection]);
    expect(skipped).toEqual([]);
    expect(findings.map((f) => [f.level, f.messageId, f.remediate])).toEqual([
      ['high', 'poolAddress', [{ type: 'block-address', address: '198.51.100.8', port: 3333 }]],
      [
        'medium',
        'poolPort',
        [
          { type: 'kill-process-tree', pid: 5150 },
          { type: 'block-address', address: '203.0.113.6', port: 7777 },
        ],
      ],
    ]);
    expect(findings[0]?.data).toMatchObject({
      owner: {
        en: 'A socket with no visible owner (inode 777)',
        'zh-CN': '一个看不到所属进程的套接字（inode 777）',
      },
      inode: 777,
      remote: '198.51.100.8:3333',
      pool: '198.51.100.0/24',
    });
    expect(findings[0]?.data).not.toHaveProperty('pid');
    expect(findings[1]?.data).toMatchObject({
      owner: { en: 'PID 5150', 'zh-CN': '进程 PID 5150' },
      pid: 5150,
      remote: '203.0.113.6:7777',
    });
  });

  it('skipped: without sockets the detector is skipped, not clean', () => {
    expect(
      runDetectors(makeSnapshot({ processes: cleanHostProcesses() }), ruleset, [poolConnection]),
    ).toEqual({
      findings: [],
      skipped: [{ ruleId: 'pool-connection', missing: ['sockets'] }],
    });
  });
});
