// Tests for miner-command-line: normal command lines (ssh -p, psql -p, java -a, python --cuda, grep
// for miner strings) never hit; miner options, algorithms, pool URLs, pool hosts and wallets do, at
// the level their strength warrants; without a process list the detector is skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema, type Finding } from '../../model/finding.js';
import type { ProcessInfo } from '../../snapshot/schema.js';
import { runDetectors } from '../run.js';
import { cleanHostSnapshot, makeProcess, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { minerCommandLine } from './miner-command-line.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const MONERO =
  '4AMinehunterTestWa11etNotRea1DoNotSendFundsHere111111111111111111111111111111111111111111111111';
/** The Bitcoin genesis block's address: a real, checksum-valid P2PKH address. */
const BITCOIN = '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa';

function findingsFor(...processes: ProcessInfo[]): Finding[] {
  return runDetectors(makeSnapshot({ processes }), ruleset, [minerCommandLine]).findings;
}
function pidOf(f: Finding | undefined): number | undefined {
  const p = f?.evidence[0];
  return p?.type === 'process' ? p.pid : undefined;
}

describe('miner-command-line', () => {
  it('clean: finds nothing on a normal host, including an admin grepping for miner strings', () => {
    expect(runDetectors(cleanHostSnapshot(), ruleset, [minerCommandLine])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a disguised XMRig command line is high, with every indicator as evidence', () => {
    const miner = makeProcess({
      pid: 4242,
      exe: '/var/tmp/.font-unix/php-fpm',
      argv: [
        'php-fpm',
        '-o',
        'stratum+tcp://198.51.100.20:3333',
        '-u',
        `${MONERO}.rig1`,
        '-p',
        'x',
        '--donate-level=1',
        '-B',
      ],
    });
    const [finding, ...rest] = findingsFor(miner);
    expect(rest).toEqual([]);
    expect(FindingSchema.parse(finding)).toEqual(finding);
    expect(finding?.level).toBe('high');
    expect(finding).toMatchObject({
      messageId: 'argumentsAndMore',
      data: {
        pid: 4242,
        arguments: {
          en: 'stratum+tcp://198.51.100.20:3333, Monero wallet 4AMinehunt…111111, --donate-level',
          'zh-CN': 'stratum+tcp://198.51.100.20:3333，Monero 钱包 4AMinehunt…111111，--donate-level',
        },
        more: 2,
        indicators: 5,
        strong: 3,
        weak: 2,
      },
    });
    expect(finding?.message.en).toBe(
      'PID 4242 (/var/tmp/.font-unix/php-fpm) runs with miner arguments: stratum+tcp://198.51.100.20:3333, Monero wallet 4AMinehunt…111111, --donate-level and 2 more',
    );
    expect(finding?.evidence.slice(1)).toEqual([
      {
        type: 'match',
        field: 'argv[2]',
        value: 'stratum+tcp://198.51.100.20:3333',
        ioc: 'pool URL scheme stratum+tcp://',
      },
      { type: 'match', field: 'argv[4]', value: MONERO, ioc: 'iocs/wallet-patterns.yml: monero-standard' },
      {
        type: 'match',
        field: 'argv[7]',
        value: '--donate-level=1',
        ioc: 'iocs/miner-args.yml: --donate-level',
      },
      {
        type: 'match',
        field: 'argv[1]',
        value: '-o stratum+tcp://198.51.100.20:3333',
        ioc: 'iocs/pool-ports.yml: 3333',
      },
      { type: 'match', field: 'argv[5]', value: '-p x', ioc: 'iocs/miner-args.yml: -p x' },
    ]);
    expect(finding?.remediate).toEqual([
      { type: 'kill-process-tree', pid: 4242, exe: '/var/tmp/.font-unix/php-fpm' },
      { type: 'quarantine-file', path: '/var/tmp/.font-unix/php-fpm' },
      { type: 'block-address', address: '198.51.100.20', port: 3333 },
    ]);
  });

  it('findings: a GPU miner with a generic binary name is caught by its algorithm and pool host', () => {
    const gminer = makeProcess({
      pid: 500,
      exe: '/home/rig/gminer/miner',
      argv: [
        './miner',
        '--algo',
        'ethash',
        '--server',
        'eth.2miners.com:2020',
        '--user',
        '0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5',
      ],
    });
    const [finding] = findingsFor(gminer);
    expect(finding?.level).toBe('high');
    expect(finding).toMatchObject({
      messageId: 'arguments',
      data: {
        pid: 500,
        arguments: {
          en: '--algo ethash, pool host eth.2miners.com, Ethereum wallet 0x52bc44d5…7be3b5',
          'zh-CN': '--algo ethash，矿池主机 eth.2miners.com，Ethereum 钱包 0x52bc44d5…7be3b5',
        },
        indicators: 3,
      },
    });
    expect(finding?.data).not.toHaveProperty('more');
    expect(finding?.evidence.slice(1)).toEqual([
      { type: 'match', field: 'argv[1]', value: '--algo ethash', ioc: 'iocs/miner-args.yml: ethash' },
      {
        type: 'match',
        field: 'argv[4]',
        value: 'eth.2miners.com',
        ioc: 'iocs/pool-domains.yml: 2miners.com',
      },
      {
        type: 'match',
        field: 'argv[6]',
        value: '0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5',
        ioc: 'iocs/wallet-patterns.yml: ethereum',
      },
    ]);
  });

  it('findings: weak indicators count only in pairs and give medium', () => {
    const pair = makeProcess({
      pid: 601,
      exe: '/usr/bin/python3.11',
      argv: ['python3', 'm.py', '-o', 'pool.example.net:14444', '-p', 'x'],
    });
    const walletAndPass = makeProcess({
      pid: 602,
      exe: '/opt/w/w',
      argv: ['/opt/w/w', '-u', BITCOIN, '-p', 'x'],
    });
    const onlyWallet = makeProcess({
      pid: 603,
      exe: '/usr/bin/bitcoin-cli',
      argv: ['bitcoin-cli', 'sendtoaddress', BITCOIN, '0.1'],
    });
    // Right shape, wrong checksum: not an address, so -p x stays alone.
    const badChecksum = makeProcess({
      pid: 604,
      exe: '/opt/w/w',
      argv: ['/opt/w/w', '-u', '1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb', '-p', 'x'],
    });
    const onlyAlgoFlag = makeProcess({ pid: 605, exe: '/usr/bin/zip', argv: ['zip', '-a', 'x', '-p', 'x'] });
    const findings = findingsFor(pair, walletAndPass, onlyWallet, badChecksum, onlyAlgoFlag);
    findings.sort((a, b) => (pidOf(a) ?? 0) - (pidOf(b) ?? 0));
    expect(findings.map((f) => [pidOf(f), f.level])).toEqual([
      [601, 'medium'],
      [602, 'medium'],
    ]);
    expect(findings.map((f) => f.data)).toMatchObject([
      { pid: 601, strong: 0, weak: 2 },
      { pid: 602, strong: 0, weak: 2 },
    ]);
    expect(findings[1]?.evidence.slice(1)).toEqual([
      { type: 'match', field: 'argv[2]', value: BITCOIN, ioc: 'iocs/wallet-patterns.yml: bitcoin-base58' },
      { type: 'match', field: 'argv[3]', value: '-p x', ioc: 'iocs/miner-args.yml: -p x' },
    ]);
  });

  it('findings: a pool host alone is medium; a Monero wallet alone is medium', () => {
    const api = makeProcess({
      pid: 700,
      exe: '/usr/bin/curl',
      argv: ['curl', '-s', 'https://supportxmr.com/api/miner/stats'],
    });
    const wallet = makeProcess({
      pid: 701,
      exe: '/usr/local/bin/collector',
      argv: ['collector', `--payout=${MONERO}`],
    });
    const findings = findingsFor(api, wallet).sort((a, b) => (pidOf(a) ?? 0) - (pidOf(b) ?? 0));
    expect(findings.map((f) => [pidOf(f), f.level, f.evidence[1]])).toEqual([
      [
        700,
        'medium',
        {
          type: 'match',
          field: 'argv[2]',
          value: 'supportxmr.com',
          ioc: 'iocs/pool-domains.yml: supportxmr.com',
        },
      ],
      [
        701,
        'medium',
        { type: 'match', field: 'argv[1]', value: MONERO, ioc: 'iocs/wallet-patterns.yml: monero-standard' },
      ],
    ]);
  });

  it('findings: reads options from a title rewritten into argv[0], and from a fake grep outside the system dirs', () => {
    const retitled = makeProcess({
      pid: 800,
      exe: '/dev/shm/x',
      argv: ['xmrig --donate-level 1 -o pool.minexmr.com:4444'],
    });
    const fakeGrep = makeProcess({ pid: 801, exe: '/tmp/grep', argv: ['grep', '--randomx-mode=fast'] });
    const findings = findingsFor(retitled, fakeGrep);
    expect(findings.map(pidOf).sort()).toEqual([800, 801]);
    const first = findings.find((f) => pidOf(f) === 800);
    expect(first?.evidence[1]).toEqual({
      type: 'match',
      field: 'argv[0] word 2',
      value: '--donate-level',
      ioc: 'iocs/miner-args.yml: --donate-level',
    });
    // A pool given by host name is never resolved, so there is no address to block.
    expect(first?.remediate.some((a) => a.type === 'block-address')).toBe(false);
  });

  it('skipped: without a process list the detector is skipped, not clean', () => {
    expect(runDetectors(makeSnapshot({ sockets: [] }), ruleset, [minerCommandLine])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'miner-command-line', missing: ['processes'] }],
    });
  });
});
