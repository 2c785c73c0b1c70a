// The `minehunter watch` command: keeps watching a host (or --root) in the foreground and sends one
// event per new finding, counted repeat and resolved finding to its sinks (JSON lines on stdout by
// default; a file, syslog, a webhook, Falcosidekick with --sink); --once runs one cycle for cron and
// tests. The allowlist is read again when it changes. SIGINT/SIGTERM stop it after saving its state.
// First: for `watch`, the young generation stays small before the modules below load (watch-heap.ts).
import '../pipeline/watch-heap.js';
import os from 'node:os';
import path from 'node:path';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { collectSnapshot } from '../collect/index.js';
import { defaultAllowlistPath, loadAllowlist } from '../allow/allowlist.js';
import type { Finding, Lang, Localized } from '../model/finding.js';
import { analyzeSnapshot, prepareAnalysis, type Analysis } from '../pipeline/analyze.js';
import { runWatch } from '../pipeline/watch.js';
import { openStateStore } from '../pipeline/watch-store.js';
import { createSinks, parseSinkUri, SinkUriError, type SinkSpec } from '../pipeline/sinks/index.js';
import { stateDir } from '../util/output-registry.js';
import { defaultCachePath, toolVersion } from '../util/paths.js';
import { setDerivedCacheDir } from '../util/derived-cache.js';
import { EXIT, UsageError } from './errors.js';

const HELP = {
  watch: {
    en: 'keep watching this machine: raise each finding once, count repeats, report when it is resolved (JSON lines, syslog, webhooks)',
    'zh-CN': '持续监视本机：每个发现只告警一次，统计重复次数，消失时报告已解决（JSON 行、syslog、webhook）',
  },
  after: {
    en: `
Every --interval seconds watch compares the processes (pid, program, arguments), the sockets and the
persistence places (cron, systemd units, /etc/ld.so.preload, rc files, profiles, authorized_keys,
/etc/hosts, sudoers, udev) with the last look; a change to a persistence place wakes it at once.
New processes and sockets still there two seconds later get a quick look (only their facts are
collected; a program already seen clean with the same arguments is skipped); a changed persistence
place gets its collectors and the content scan (YARA, as scan --path) of its changed files. The full
scan runs at start and every --full-every minutes, at the lowest CPU priority; watch measures its
own CPU use (shown in each note) and spaces the full scans out while it is over --cpu-budget.
Each event is one JSON line:
  {"event":"finding","first_seen":…,"fingerprint":…,"finding":{…}}   a finding seen for the first time
                                                   ("changed":true: raised again, its evidence changed)
  {"event":"repeat","fingerprint":…,"count":N,…}                      still there (at most once an hour)
  {"event":"resolved","fingerprint":…,…}                              gone from two scans in a row
What was already said is kept in the SQLite database of the scan cache ($XDG_CACHE_HOME/minehunter/
scan-cache.sqlite), one row per --state name, so a restart (even after SIGKILL) repeats nothing; a
JSON state file an earlier version left at --state is imported once. Allowlisted findings
raise nothing, and the allowlist is read again when it changes. \`minehunter ack FINGERPRINT\` stops
the repeats of one finding until its evidence changes. deploy/systemd/minehunter-watch.service runs
it as a service.

Sinks (--sink, repeatable; default stdout; every sink's failures show in the health line on stderr):
  stdout                               JSON lines on standard output
  file:PATH                            JSON lines appended to PATH (same as -o PATH)
  syslog+udp://HOST[:514]              RFC 5424 with structured data [minehunter@32473 …]
  syslog+tcp://HOST[:514]              octet-counted frames (RFC 6587), queued on disk
  syslog+tls://HOST[:6514]             the same over TLS (--tls-ca, --tls-cert, --tls-key)
  syslog:///dev/log                    the local syslog socket
  …?format=cef  …?facility=local3      CEF instead of RFC 5424; the facility (default auth)
  webhook+https://HOST/PATH            POST of each event as JSON, retried with backoff, queued on disk
  falcosidekick+http://HOST:2801/      POST in Falco's alert shape, for Falcosidekick's outputs
  …?backoff=1&backoff-max=60&queue-max=10000&queue-bytes=20971520   retry and queue bounds
Queues live beside the state file (queue/); beyond their bounds the oldest alerts are dropped and
counted. Each alert carries an id (Idempotency-Key header for HTTP) that stays the same if resent.

Examples:
  minehunter watch
  minehunter watch --interval 30 --full-every 120 -o /var/log/minehunter/alerts.jsonl
  minehunter watch --sink syslog+tls://siem.example:6514 --tls-ca /etc/minehunter/ca.pem
  minehunter watch --sink 'syslog+udp://10.0.0.5:514?format=cef' --sink stdout
  minehunter watch --sink webhook+https://hooks.example/minehunter --sink falcosidekick+http://falcosidekick:2801/
  minehunter watch --once --state /var/lib/minehunter/watch-state.json   (from cron)
  minehunter watch --root /mnt/disk --once`,
    'zh-CN': `
watch 每隔 --interval 秒将进程（pid、程序、参数）、套接字和持久化位置（cron、systemd 单元、
/etc/ld.so.preload、rc 文件、profile、authorized_keys、/etc/hosts、sudoers、udev）与上一次比较；
持久化位置一有变化即立即检查。两秒后仍存在的新进程和套接字会被快速检查（只采集它们的信息；
已确认无害、参数相同的程序不再检查）；发生变化的持久化位置会运行相应采集器，并对其中变化的文件做
内容扫描（YARA，同 scan --path）。完整扫描在启动时及每隔 --full-every 分钟以最低 CPU 优先级运行；
watch 自行测量其 CPU 占用（显示在每条说明中），超出 --cpu-budget 时拉长完整扫描的间隔。
每个事件输出一行 JSON：
  {"event":"finding","first_seen":…,"fingerprint":…,"finding":{…}}   首次出现的发现
                                                   （"changed":true：证据已变化，再次告警）
  {"event":"repeat","fingerprint":…,"count":N,…}                      仍然存在（每小时至多一次）
  {"event":"resolved","fingerprint":…,…}                              连续两次扫描都未出现
已报告过的内容保存在扫描缓存的 SQLite 数据库中（$XDG_CACHE_HOME/minehunter/scan-cache.sqlite，
每个 --state 名称一行），因此重启（即使是 SIGKILL 之后）不会重复告警；旧版本留在 --state 的 JSON 状态文件会被导入一次。白名单中的发现不会告警，白名单文件变化后会重新读取。
\`minehunter ack 指纹\` 可停止某个发现的重复告警，直到其证据发生变化。
deploy/systemd/minehunter-watch.service 可将其作为服务运行。

输出目标（--sink，可多次指定；默认标准输出；每个目标的失败都会显示在标准错误的健康状态行中）：
  stdout                               标准输出上的 JSON 行
  file:路径                            追加到文件的 JSON 行（同 -o 路径）
  syslog+udp://主机[:514]              RFC 5424，附结构化数据 [minehunter@32473 …]
  syslog+tcp://主机[:514]              按字节数分帧（RFC 6587），在磁盘上排队
  syslog+tls://主机[:6514]             同上，经 TLS（--tls-ca、--tls-cert、--tls-key）
  syslog:///dev/log                    本机 syslog 套接字
  …?format=cef  …?facility=local3      用 CEF 代替 RFC 5424；设施（默认 auth）
  webhook+https://主机/路径            每个事件以 JSON POST 发送，失败按退避重试，在磁盘上排队
  falcosidekick+http://主机:2801/      以 Falco 告警格式 POST，交给 Falcosidekick 转发
  …?backoff=1&backoff-max=60&queue-max=10000&queue-bytes=20971520   重试与队列上限
队列位于状态文件旁（queue/）；超出上限时丢弃最旧的告警并计数。每条告警带有固定的 id
（HTTP 中为 Idempotency-Key 头），重发时不变。

示例：
  minehunter watch
  minehunter watch --interval 30 --full-every 120 -o /var/log/minehunter/alerts.jsonl
  minehunter watch --sink syslog+tls://siem.example:6514 --tls-ca /etc/minehunter/ca.pem
  minehunter watch --sink 'syslog+udp://10.0.0.5:514?format=cef' --sink stdout
  minehunter watch --sink webhook+https://hooks.example/minehunter --sink falcosidekick+http://falcosidekick:2801/
  minehunter watch --once --state /var/lib/minehunter/watch-state.json   （由 cron 调用）
  minehunter watch --root /mnt/disk --once`,
  },
  root: {
    en: 'watch this directory as / (a mounted disk or copied tree)',
    'zh-CN': '将此目录视为根目录监视（挂载的磁盘或拷贝出的目录树）',
  },
  interval: { en: 'seconds between looks', 'zh-CN': '两次检查之间的秒数' },
  fullEvery: {
    en: 'minutes between full scans even when nothing changed',
    'zh-CN': '即使没有变化，也每隔多少分钟完整扫描一次',
  },
  once: { en: 'run one cycle (a scan) and exit', 'zh-CN': '只运行一轮（一次扫描）后退出' },
  state: {
    en: "this watcher's state name (default $XDG_STATE_HOME/minehunter/watch-state.json): its row in the scan cache's SQLite database, a JSON state left there is imported once; acks and queues live beside it",
    'zh-CN':
      '此监视程序的状态名（默认 $XDG_STATE_HOME/minehunter/watch-state.json）：即其在扫描缓存 SQLite 数据库中的行，该处已有的 JSON 状态会被导入一次；确认文件和队列位于其旁',
  },
  output: {
    en: 'append the JSON lines to this file instead of stdout (same as --sink file:FILE)',
    'zh-CN': '将 JSON 行追加到此文件而非标准输出（同 --sink file:文件）',
  },
  sink: {
    en: 'where alerts go (repeatable): stdout, file:PATH, syslog+udp|tcp|tls://HOST:PORT, syslog:///dev/log, webhook+http(s)://…, falcosidekick+http(s)://…',
    'zh-CN':
      '告警发送目标（可多次指定）：stdout、file:路径、syslog+udp|tcp|tls://主机:端口、syslog:///dev/log、webhook+http(s)://…、falcosidekick+http(s)://…',
  },
  tlsCa: { en: 'CA certificate(s) (PEM) the TLS sinks trust', 'zh-CN': 'TLS 目标信任的 CA 证书（PEM）' },
  tlsCert: { en: 'client certificate (PEM) for the TLS sinks', 'zh-CN': 'TLS 目标使用的客户端证书（PEM）' },
  tlsKey: { en: 'private key (PEM) of --tls-cert', 'zh-CN': '--tls-cert 的私钥（PEM）' },
  noContent: {
    en: 'do not content-scan (YARA) the files that change in persistence places',
    'zh-CN': '不对持久化位置中发生变化的文件做内容扫描（YARA）',
  },
  rules: {
    en: 'directory of your own YARA rules (*.yar) for that content scan (repeatable)',
    'zh-CN': '用于该内容扫描的自定义 YARA 规则目录（*.yar，可多次指定）',
  },
  allow: {
    en: 'allowlist file (repeatable); read again when it changes',
    'zh-CN': '白名单文件（可多次指定）；变化后重新读取',
  },
  noDefaultAllow: { en: 'do not read the per-user default allowlist', 'zh-CN': '不读取用户默认白名单' },
  iocs: { en: 'extra IOC directory (repeatable)', 'zh-CN': '额外的 IOC 目录（可多次指定）' },
  cpuWindow: { en: 'CPU sampling window of each scan in ms', 'zh-CN': '每次扫描的 CPU 采样窗口（毫秒）' },
  cpuBudget: {
    en: 'average percent of one core watch may use (measured by itself); over it, full scans are spaced out',
    'zh-CN': 'watch 平均可占用单个核心的百分比（由其自身测量）；超出时拉长完整扫描的间隔',
  },
  quiet: { en: 'no progress notes on stderr', 'zh-CN': '不在标准错误输出进度说明' },
  stopped: { en: 'watch stopped; state saved', 'zh-CN': '监视已停止；状态已保存' },
  allowReloaded: { en: 'allowlist changed, read again', 'zh-CN': '白名单已变化，已重新读取' },
} satisfies Record<string, Localized>;

interface WatchCliOptions {
  root: string;
  interval: number;
  fullEvery: number;
  once?: boolean;
  state?: string;
  output?: string;
  sink: string[];
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  content: boolean;
  rules: string[];
  allow: string[];
  defaultAllow: boolean;
  iocs: string[];
  cpuWindow: number;
  cpuBudget: number;
  quiet?: boolean;
}

function number(flag: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min)
      throw new UsageError(`${flag} takes a number ≥ ${min}, not "${value}"`);
    return n;
  };
}

const list = (v: string, p: string[]) => [...p, v];

export function defaultWatchStatePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'watch-state.json');
}

export function registerWatchCommand(program: Command, lang: Lang, setExit: (code: number) => void): void {
  const h = (k: keyof typeof HELP) => HELP[k][lang];
  program
    .command('watch')
    .description(h('watch'))
    .addHelpText('after', h('after'))
    .option('--root <dir>', h('root'), '/')
    .addOption(
      new Option('--interval <seconds>', h('interval')).default(10).argParser(number('--interval', 0.1)),
    )
    .addOption(
      new Option('--full-every <minutes>', h('fullEvery')).default(60).argParser(number('--full-every', 0)),
    )
    .option('--once', h('once'))
    .option('--state <file>', h('state'))
    .option('-o, --output <file>', h('output'))
    .option('--sink <uri>', h('sink'), list, [])
    .option('--tls-ca <file>', h('tlsCa'))
    .option('--tls-cert <file>', h('tlsCert'))
    .option('--tls-key <file>', h('tlsKey'))
    .option('--no-content', h('noContent'))
    .option('--rules <dir>', h('rules'), list, [])
    .option('--allow <file>', h('allow'), list, [])
    .option('--no-default-allow', h('noDefaultAllow'))
    .option('--iocs <dir>', h('iocs'), list, [])
    .addOption(
      new Option('--cpu-window <ms>', h('cpuWindow')).default(300).argParser(number('--cpu-window', 0)),
    )
    .addOption(
      new Option('--cpu-budget <percent>', h('cpuBudget')).default(1).argParser(number('--cpu-budget', 0)),
    )
    .option('-q, --quiet', h('quiet'))
    .action(async (_opts, cmd: Command) => {
      setExit(await watchAction(cmd.optsWithGlobals<WatchCliOptions>(), lang));
    });
}

/** The sinks named on the command line (-o FILE is a file sink), checked before anything runs. */
function sinkSpecs(opts: WatchCliOptions): SinkSpec[] {
  const uris = [...opts.sink, ...(opts.output ? [`file:${path.resolve(opts.output)}`] : [])];
  for (const [flag, file] of [
    ['--tls-ca', opts.tlsCa],
    ['--tls-cert', opts.tlsCert],
    ['--tls-key', opts.tlsKey],
  ] as const)
    if (file !== undefined && !existsSync(file)) throw new UsageError(`${flag} ${file}: no such file`);
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey))
    throw new UsageError('--tls-cert and --tls-key go together');
  try {
    return uris.map(parseSinkUri);
  } catch (err) {
    if (err instanceof SinkUriError) throw new UsageError(err.message);
    throw err;
  }
}

/** The target's own host name (a copied root names its machine in etc/hostname), else this machine's. */
function hostNameOf(root: string): string {
  if (root !== '/') {
    try {
      const name = readFileSync(path.join(root, 'etc', 'hostname'), 'utf8').trim();
      if (name) return name;
    } catch {
      // no etc/hostname in the copy
    }
  }
  return os.hostname();
}

/**
 * The allowlist files and their last modification times: reload() reads them again when one of
 * them changed (or appeared, or went away), keeping the previous allowlist when the new text is bad.
 */
function allowlistReloader(
  opts: WatchCliOptions,
  analysis: Analysis,
  note: (t: string) => void,
  lang: Lang,
): () => Promise<string | undefined> {
  const optional = opts.defaultAllow ? [defaultAllowlistPath()] : [];
  const files = [...opts.allow, ...optional];
  const mtimes = async () =>
    (
      await Promise.all(
        files.map((f) =>
          stat(f).then(
            (s) => s.mtimeMs,
            () => 0,
          ),
        ),
      )
    ).join(',');
  let last: Promise<string> = mtimes();
  return async () => {
    const now = await mtimes();
    if (now === (await last)) return undefined;
    last = Promise.resolve(now);
    try {
      analysis.allowlist = await loadAllowlist(opts.allow, optional);
      note(HELP.allowReloaded[lang]);
      return 'allowlist changed';
    } catch (err) {
      note(`allowlist: ${(err as Error).message}; the previous one stays in force`);
      return undefined;
    }
  };
}

async function watchAction(opts: WatchCliOptions, lang: Lang): Promise<number> {
  const root = path.resolve(opts.root);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new UsageError(`--root ${opts.root}: not a directory`);
  for (const d of opts.iocs) if (!existsSync(d)) throw new UsageError(`--iocs ${d}: no such directory`);
  for (const d of opts.rules)
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new UsageError(`--rules ${d}: not a directory`);
  const specs = sinkSpecs(opts);
  lowerPriority();
  const analysis = await prepareAnalysis({
    iocDirs: opts.iocs,
    allowFiles: opts.allow,
    optionalAllowFiles: opts.defaultAllow ? [defaultAllowlistPath()] : [],
    iocCacheDir: path.join(path.dirname(defaultCachePath()), 'iocs'),
  });
  const note = (text: string) => {
    if (!opts.quiet) process.stderr.write(`minehunter watch: ${text}\n`);
  };
  const stateFile = path.resolve(opts.state ?? defaultWatchStatePath());
  // The collectors' derived caches (dpkg list index) beside the scan cache, as scan keeps them.
  setDerivedCacheDir(path.join(path.dirname(defaultCachePath()), 'derived'));
  const sinks = await createSinks(specs, {
    queueDir: path.join(path.dirname(stateFile), 'queue'),
    tls: { ca: opts.tlsCa, cert: opts.tlsCert, key: opts.tlsKey },
    lang,
    host: hostNameOf(root),
    toolVersion: toolVersion(),
    // A failing sink is said even with -q: it is the only place the user learns of it.
    note: (text) => process.stderr.write(`minehunter watch: ${text}\n`),
  });
  const store = openStateStore({ database: defaultCachePath(), name: stateFile, note });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const findingsOf = async (collected: Parameters<typeof analyzeSnapshot>[0]): Promise<Finding[]> =>
    analyzeSnapshot(collected, analysis, { toolVersion: toolVersion(), now: new Date() }).findings;
  try {
    await runWatch({
      root,
      intervalMs: opts.interval * 1000,
      fullEveryMs: opts.fullEvery * 60_000,
      once: Boolean(opts.once),
      stateFile,
      store,
      signal: controller.signal,
      note,
      deliver: (events) => sinks.send(events),
      health: () => sinks.healthLine(),
      reload: allowlistReloader(opts, analysis, note, lang),
      io: {
        collect: (req) =>
          collectSnapshot({
            root,
            cpuWindowMs: opts.cpuWindow,
            hashExecutables: true,
            toolVersion: toolVersion(),
            scope: 'host',
            ...(req?.only ? { only: req.only } : {}),
            ...(req?.pids ? { pids: req.pids } : {}),
          }),
        analyse: findingsOf,
      },
      cpuBudget: opts.cpuBudget,
      ...(opts.content
        ? { contentScan: async (files: string[]) => findingsOf(await contentSnapshot(root, files, opts)) }
        : {}),
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // What is queued gets a moment to go out; what cannot stays on disk for the next start.
    await sinks.close(opts.once ? 10_000 : 3000);
    store.close();
  }
  if (controller.signal.aborted) note(HELP.stopped[lang]);
  return EXIT.clean;
}

/** A watcher gives way to the host's own work: the lowest CPU priority (nice 19), where allowed. */
function lowerPriority(): void {
  try {
    os.setPriority(0, os.constants.priority.PRIORITY_LOW);
  } catch {
    // not permitted here: it runs at the priority it was given
  }
}

/** The content scan of the changed files only, as `scan --path FILE…` runs it (through the scan cache). */
function contentSnapshot(root: string, files: string[], opts: WatchCliOptions) {
  return collectSnapshot({
    root,
    toolVersion: toolVersion(),
    hashExecutables: false,
    scope: 'paths',
    content: {
      enabled: true,
      scope: 'paths',
      paths: files,
      userRuleDirs: opts.rules.map((d) => path.resolve(d)),
      crossFs: false,
      cachePath: defaultCachePath(),
      memory: false,
    },
  });
}
