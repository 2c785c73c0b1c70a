// Detector: a command line that carries what only miners take: stratum:// pool URLs, miner options
// and algorithm names (iocs/miner-args.yml), pool host names and wallet addresses.
import type { IocEntry, MinerArgEntry, PoolPortEntry, Ruleset, Strength } from '../../iocs/types.js';
import type { Action, Evidence, Level, Localized } from '../../model/finding.js';
import type { ProcessInfo } from '../../snapshot/schema.js';
import { isLoopback, parseIp } from '../net.js';
import type { Detector, Hit } from '../types.js';
import {
  basename,
  iocRef,
  isUserland,
  matchDomain,
  parsePoolUrl,
  processActions,
  processEvidence,
  processFingerprint,
  processRef,
  processSubject,
  t,
  uniqueBy,
} from '../util.js';
import { hostsIn } from '../hosts.js';
import { findWallets } from '../wallets.js';

/** Options whose value is a pool as host:port; a pool port there is a weak signal. */
const POOL_OPTIONS = new Set(['-o', '--url', '-url', '--pool', '-pool', '--server', '-epool']);
/**
 * Text tools an administrator hunts miners with (`grep -r stratum+tcp:// /etc`, `pkill -f xmrig`):
 * their arguments name miner strings without being miners. Only trusted when the executable really
 * is the system's tool, so a miner cannot hide by calling itself grep.
 */
const SEARCH_TOOLS = new Set([
  'grep',
  'egrep',
  'fgrep',
  'zgrep',
  'rg',
  'ag',
  'ack',
  'pgrep',
  'pkill',
  'killall',
  'find',
  'strings',
  'less',
  'more',
  'vi',
  'vim',
  'nano',
  'journalctl',
  'minehunter',
]);
const SYSTEM_BIN = /^\/(?:usr\/(?:local\/)?)?s?bin\//;

interface Compiled {
  options: Map<string, MinerArgEntry>;
  optionValues: Map<string, Map<string, MinerArgEntry>>;
  algoOptions: Set<string>;
  algorithms: Map<string, MinerArgEntry>;
  poolPorts: Map<number, PoolPortEntry>;
}

const cache = new WeakMap<Ruleset, Compiled>();

function compile(ruleset: Ruleset): Compiled {
  let c = cache.get(ruleset);
  if (c) return c;
  c = {
    options: new Map(),
    optionValues: new Map(),
    algoOptions: new Set(),
    algorithms: new Map(),
    poolPorts: new Map(),
  };
  for (const e of ruleset.minerArgs) {
    const type = e.type ?? 'option';
    if (type === 'option') c.options.set(e.value, e);
    else if (type === 'algo-option') c.algoOptions.add(e.value);
    else if (type === 'algorithm') c.algorithms.set(e.value.toLowerCase(), e);
    else {
      const [flag = '', value = ''] = e.value.split(' ');
      const values = c.optionValues.get(flag) ?? new Map<string, MinerArgEntry>();
      values.set(value.toLowerCase(), e);
      c.optionValues.set(flag, values);
    }
  }
  for (const p of ruleset.poolPorts) c.poolPorts.set(p.port, p);
  cache.set(ruleset, c);
  return c;
}

export interface Signal {
  strength: Strength;
  /** Whether the signal is specific to mining software (drives the level) rather than to mining as such. */
  minerSpecific: boolean;
  key: string;
  label: Localized;
  evidence: Evidence;
  block?: Action;
}

function argsOf(p: Pick<ProcessInfo, 'argv'>): { field: string; text: string }[] {
  // A process that rewrote its title into one string still shows its options inside argv[0].
  if (p.argv.length === 1 && /\s/.test(p.argv[0] ?? '')) {
    return (p.argv[0] ?? '')
      .split(/\s+/)
      .slice(1)
      .map((text, i) => ({ field: `argv[0] word ${i + 2}`, text }));
  }
  return p.argv.slice(1).map((text, i) => ({ field: `argv[${i + 1}]`, text }));
}

function abbreviate(value: string): string {
  return value.length > 24 ? `${value.slice(0, 10)}…${value.slice(-6)}` : value;
}

function poolHost(authority: string): { host: string; port?: number } {
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(hostPort);
  if (v6?.[1]) return { host: v6[1], port: v6[2] ? Number(v6[2]) : undefined };
  const [host = '', port] = hostPort.split(':');
  return { host, port: port && /^\d+$/.test(port) ? Number(port) : undefined };
}

function signalsOf(p: Pick<ProcessInfo, 'argv'>, ruleset: Ruleset, c: Compiled): Signal[] {
  const signals: Signal[] = [];
  const args = argsOf(p);
  const push = (s: Signal) => signals.push(s);
  const entrySignal = (entry: MinerArgEntry, field: string, value: string, label: string) =>
    push({
      strength: entry.strength ?? 'weak',
      minerSpecific: true,
      key: `arg:${entry.type ?? 'option'}:${entry.value}`,
      label: t(label, label),
      evidence: { type: 'match', field, value, ioc: iocRef(entry) },
    });

  args.forEach(({ field, text }, i) => {
    const next = args[i + 1]?.text;
    const eq = text.indexOf('=');
    const flag = text.startsWith('-') && eq > 0 ? text.slice(0, eq) : text;
    const inlineValue = text.startsWith('-') && eq > 0 ? text.slice(eq + 1) : undefined;
    const value = inlineValue ?? next;

    const url = parsePoolUrl(text);
    if (url) {
      const { host, port } = url;
      const literal = parseIp(host) !== undefined;
      push({
        strength: 'strong',
        minerSpecific: true,
        key: `url:${url.url.toLowerCase()}`,
        label: t(url.url, url.url),
        evidence: { type: 'match', field, value: url.url, ioc: `pool URL scheme ${url.scheme}://` },
        block:
          literal && !isLoopback(host)
            ? port === undefined
              ? { type: 'block-address', address: host }
              : { type: 'block-address', address: host, port }
            : undefined,
      });
    }

    if (text.startsWith('-')) {
      const option = c.options.get(flag);
      if (option) entrySignal(option, field, text, flag);
      const valued = value === undefined ? undefined : c.optionValues.get(flag)?.get(value.toLowerCase());
      if (valued && value !== undefined) entrySignal(valued, field, `${flag} ${value}`, `${flag} ${value}`);
      if (c.algoOptions.has(flag) && value !== undefined) {
        const algorithm = c.algorithms.get(value.toLowerCase());
        if (algorithm) entrySignal(algorithm, field, `${flag} ${value}`, `${flag} ${value}`);
      }
      if (POOL_OPTIONS.has(flag) && value !== undefined) {
        const { port } = poolHost(value.replace(/^[a-z0-9+]+:\/\//i, ''));
        const poolPort = port === undefined ? undefined : c.poolPorts.get(port);
        if (poolPort) {
          push({
            strength: 'weak',
            minerSpecific: false,
            key: `pool-port:${port}`,
            label: t(`${flag} ${value}`, `${flag} ${value}`),
            evidence: { type: 'match', field, value: `${flag} ${value}`, ioc: iocRef(poolPort) },
          });
        }
      }
    }

    for (const host of hostsIn(text)) {
      const domain: IocEntry | undefined = matchDomain(host, ruleset.poolDomains);
      if (domain) {
        push({
          strength: 'strong',
          minerSpecific: false,
          key: `domain:${host.toLowerCase()}`,
          label: t(`pool host ${host}`, `矿池主机 ${host}`),
          evidence: { type: 'match', field, value: host, ioc: iocRef(domain) },
        });
      }
    }

    for (const wallet of findWallets(text, ruleset.walletPatterns)) {
      push({
        strength: wallet.entry.strength ?? 'weak',
        minerSpecific: false,
        key: `wallet:${wallet.token}`,
        label: t(
          `${wallet.entry.coin} wallet ${abbreviate(wallet.token)}`,
          `${wallet.entry.coin} 钱包 ${abbreviate(wallet.token)}`,
        ),
        evidence: { type: 'match', field, value: wallet.token, ioc: iocRef(wallet.entry) },
      });
    }
  });
  return uniqueBy(signals, (s) => s.key);
}

/**
 * Whether a set of indicators is enough, and at which level: one strong indicator or two weak ones;
 * high when one of them is specific to mining software. Shared with the image detectors.
 */
export function judgeSignals(
  signals: Signal[],
): { level: Level; strong: Signal[]; weak: Signal[]; ordered: Signal[] } | undefined {
  const strong = signals.filter((s) => s.strength === 'strong');
  const weak = signals.filter((s) => s.strength === 'weak');
  if (strong.length === 0 && weak.length < 2) return undefined;
  const level: Level = strong.some((s) => s.minerSpecific) ? 'high' : 'medium';
  return { level, strong, weak, ordered: [...strong, ...weak] };
}

/**
 * The miner indicators in an argv, read as this detector reads a process's command line: used by
 * image-entrypoint and image-env for an image's start command, its start scripts and its Env.
 */
export function argvSignals(argv: string[], ruleset: Ruleset): Signal[] {
  return signalsOf({ argv }, ruleset, compile(ruleset));
}

function isSearchTool(p: ProcessInfo): boolean {
  const name = basename(p.argv[0] ?? p.comm);
  if (!SEARCH_TOOLS.has(name)) return false;
  return p.exe === undefined ? false : SYSTEM_BIN.test(p.exe) && !p.exeDeleted;
}

export const minerCommandLine: Detector = {
  id: 'miner-command-line',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'high',
  title: t('Command line carries miner arguments', '命令行带有挖矿参数'),
  description: t(
    'Reads each userland command line for what miners are started with: pool URLs (stratum+tcp://, stratum+ssl://, stratum2+tcp:// and the ethproxy/nicehash variants), options only miners take (--donate-level, --randomx-mode, --max-cpu-usage, --nicehash, --rig-id, -epool …), an algorithm given to -a/--algo/--algorithm (rx/0, cn/r, kawpow, ethash, …), host names of public pools and wallet addresses (Monero, Bitcoin, Ethereum, Litecoin, Ravencoin, Zcash, Dogecoin; checksums verified where the coin has one). Each indicator in iocs/miner-args.yml is strong or weak: one strong indicator is enough, weak ones (-p x, --cuda, --opencl, a pool port after -o, a Bitcoin address) count only in pairs, so ordinary programs such as ssh -p 2222, psql -p 5432, shasum -a 256 or java -jar app.jar -a fast never hit. The level is high when a pool URL or a miner-specific option or algorithm is present, medium otherwise.',
    '读取每个用户态进程的命令行，查找挖矿程序启动时才会带的内容：矿池 URL（stratum+tcp://、stratum+ssl://、stratum2+tcp:// 以及 ethproxy/nicehash 变体）、只有挖矿程序才用的选项（--donate-level、--randomx-mode、--max-cpu-usage、--nicehash、--rig-id、-epool 等）、传给 -a/--algo/--algorithm 的算法名（rx/0、cn/r、kawpow、ethash 等）、公共矿池主机名以及钱包地址（门罗币、比特币、以太坊、莱特币、渡鸦币、Zcash、狗狗币；有校验和的币种会验证校验和）。iocs/miner-args.yml 中每个指标分为强或弱：一个强指标即可命中，弱指标（-p x、--cuda、--opencl、-o 后的矿池端口、比特币地址）须两个同时出现才算，因此 ssh -p 2222、psql -p 5432、shasum -a 256、java -jar app.jar -a fast 之类的普通程序不会命中。出现矿池 URL 或挖矿程序专用的选项或算法时级别为高，否则为中。',
  ),
  tags: ['attack.t1496', 'attack.impact'],
  needs: ['processes'],
  verify: t(
    'Read the full command line with `tr "\\0" " " < /proc/<pid>/cmdline` and note the pool, wallet and algorithm; compare `ls -l /proc/<pid>/exe` with the program name the process shows; check `ls -l /proc/<pid>/cwd` for a config.json next to the binary.',
    '用 `tr "\\0" " " < /proc/<pid>/cmdline` 读取完整命令行，记下矿池、钱包和算法；将 `ls -l /proc/<pid>/exe` 与进程显示的程序名对比；用 `ls -l /proc/<pid>/cwd` 查看二进制旁是否有 config.json。',
  ),
  remediation: t(
    'Kill the process tree and quarantine its executable; block pool addresses given as IP literals. Report the wallet address to the pool operator, which can ban it. Find and remove what started the process (cron, systemd, profiles, the parent process).',
    '结束进程树并隔离其可执行文件；封禁以 IP 形式给出的矿池地址。可将钱包地址报告给矿池运营方，由其封禁。找出并清除启动该进程的机制（cron、systemd、配置文件、父进程）。',
  ),
  messages: {
    arguments: t(
      '{process} runs with miner arguments: {arguments}',
      '{process}的命令行带有挖矿参数：{arguments}',
    ),
    argumentsAndMore: t(
      '{process} runs with miner arguments: {arguments} and {more} more',
      '{process}的命令行带有挖矿参数：{arguments}，另有 {more} 项',
    ),
  },
  detect(snapshot, ruleset) {
    const compiled = compile(ruleset);
    const hits: Hit[] = [];
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p) || isSearchTool(p)) continue;
      const judged = judgeSignals(signalsOf(p, ruleset, compiled));
      if (!judged) continue;
      const { level, strong, weak, ordered } = judged;
      const shown = ordered.slice(0, 3).map((s) => s.label);
      const more = ordered.length - shown.length;
      const list = t(shown.map((l) => l.en).join(', '), shown.map((l) => l['zh-CN']).join('，'));
      const blocks = uniqueBy(
        ordered.flatMap((s) => (s.block ? [s.block] : [])),
        (a) => JSON.stringify(a),
      );
      hits.push({
        subject: processSubject(p.pid),
        level,
        messageId: more > 0 ? 'argumentsAndMore' : 'arguments',
        data: {
          process: processRef(p),
          pid: p.pid,
          arguments: list,
          ...(more > 0 ? { more } : {}),
          indicators: ordered.length,
          strong: strong.length,
          weak: weak.length,
        },
        evidence: [processEvidence(p), ...ordered.map((s) => s.evidence)],
        remediate: [...processActions(p), ...blocks],
        fingerprint: processFingerprint(p),
      });
    }
    return hits;
  },
};
