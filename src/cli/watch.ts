// The `minehunter watch` command: keeps watching a host (or --root) in the foreground and prints one
// JSON line per event (a new finding, a counted repeat, a resolved finding) on stdout or to -o FILE;
// --once runs one cycle for cron and tests. SIGINT/SIGTERM stop it after saving its state.
import path from 'node:path';
import { appendFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { collectSnapshot } from '../collect/index.js';
import { defaultAllowlistPath } from '../allow/allowlist.js';
import { defaultCachePath } from '../engine/cache.js';
import type { Lang, Localized } from '../model/finding.js';
import { analyzeSnapshot, prepareAnalysis } from '../pipeline/analyze.js';
import { runWatch } from '../pipeline/watch.js';
import { stateDir } from '../util/output-registry.js';
import { toolVersion } from '../util/paths.js';
import { EXIT, UsageError } from './errors.js';

const HELP = {
  watch: {
    en: 'keep watching this machine: raise each finding once, count repeats, report when it is resolved (JSON lines)',
    'zh-CN': '持续监视本机：每个发现只告警一次，统计重复次数，消失时报告已解决（JSON 行）',
  },
  after: {
    en: `
Every --interval seconds watch compares the processes (pid, program, arguments), the sockets and the
persistence places (cron, systemd units, /etc/ld.so.preload, rc files, profiles, authorized_keys,
/etc/hosts, sudoers, udev) with the last look; a change to a persistence place wakes it at once. On
any change, and every --full-every minutes, it scans the host and prints one JSON line per event:
  {"event":"finding","first_seen":…,"fingerprint":…,"finding":{…}}   a finding seen for the first time
  {"event":"repeat","fingerprint":…,"count":N,…}                      still there (at most once an hour)
  {"event":"resolved","fingerprint":…,…}                              gone from two scans in a row
What was already said is kept in the state file, so a restart repeats nothing. Allowlisted findings
raise nothing. deploy/systemd/minehunter-watch.service runs it as a service.

Examples:
  minehunter watch
  minehunter watch --interval 30 --full-every 120 -o /var/log/minehunter/alerts.jsonl
  minehunter watch --once --state /var/lib/minehunter/watch-state.json   (from cron)
  minehunter watch --root /mnt/disk --once`,
    'zh-CN': `
watch 每隔 --interval 秒将进程（pid、程序、参数）、套接字和持久化位置（cron、systemd 单元、
/etc/ld.so.preload、rc 文件、profile、authorized_keys、/etc/hosts、sudoers、udev）与上一次比较；
持久化位置一有变化即立即检查。发生任何变化时，以及每隔 --full-every 分钟，它会扫描主机，并为每个事件输出一行 JSON：
  {"event":"finding","first_seen":…,"fingerprint":…,"finding":{…}}   首次出现的发现
  {"event":"repeat","fingerprint":…,"count":N,…}                      仍然存在（每小时至多一次）
  {"event":"resolved","fingerprint":…,…}                              连续两次扫描都未出现
已报告过的内容保存在状态文件中，重启后不会重复告警。白名单中的发现不会告警。
deploy/systemd/minehunter-watch.service 可将其作为服务运行。

示例：
  minehunter watch
  minehunter watch --interval 30 --full-every 120 -o /var/log/minehunter/alerts.jsonl
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
    en: 'state file (default $XDG_STATE_HOME/minehunter/watch-state.json)',
    'zh-CN': '状态文件（默认 $XDG_STATE_HOME/minehunter/watch-state.json）',
  },
  output: {
    en: 'append the JSON lines to this file instead of stdout',
    'zh-CN': '将 JSON 行追加到此文件而非标准输出',
  },
  allow: { en: 'allowlist file (repeatable)', 'zh-CN': '白名单文件（可多次指定）' },
  noDefaultAllow: { en: 'do not read the per-user default allowlist', 'zh-CN': '不读取用户默认白名单' },
  iocs: { en: 'extra IOC directory (repeatable)', 'zh-CN': '额外的 IOC 目录（可多次指定）' },
  cpuWindow: { en: 'CPU sampling window of each scan in ms', 'zh-CN': '每次扫描的 CPU 采样窗口（毫秒）' },
  quiet: { en: 'no progress notes on stderr', 'zh-CN': '不在标准错误输出进度说明' },
  stopped: { en: 'watch stopped; state saved', 'zh-CN': '监视已停止；状态已保存' },
} satisfies Record<string, Localized>;

interface WatchCliOptions {
  root: string;
  interval: number;
  fullEvery: number;
  once?: boolean;
  state?: string;
  output?: string;
  allow: string[];
  defaultAllow: boolean;
  iocs: string[];
  cpuWindow: number;
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
    .option('--allow <file>', h('allow'), (v: string, p: string[]) => [...p, v], [])
    .option('--no-default-allow', h('noDefaultAllow'))
    .option('--iocs <dir>', h('iocs'), (v: string, p: string[]) => [...p, v], [])
    .addOption(
      new Option('--cpu-window <ms>', h('cpuWindow')).default(300).argParser(number('--cpu-window', 0)),
    )
    .option('-q, --quiet', h('quiet'))
    .action(async (_opts, cmd: Command) => {
      setExit(await watchAction(cmd.optsWithGlobals<WatchCliOptions>(), lang));
    });
}

async function watchAction(opts: WatchCliOptions, lang: Lang): Promise<number> {
  const root = path.resolve(opts.root);
  if (!existsSync(root) || !statSync(root).isDirectory())
    throw new UsageError(`--root ${opts.root}: not a directory`);
  for (const d of opts.iocs) if (!existsSync(d)) throw new UsageError(`--iocs ${d}: no such directory`);
  const analysis = await prepareAnalysis({
    iocDirs: opts.iocs,
    allowFiles: opts.allow,
    optionalAllowFiles: opts.defaultAllow ? [defaultAllowlistPath()] : [],
    iocCacheDir: path.join(path.dirname(defaultCachePath()), 'iocs'),
  });
  const note = (text: string) => {
    if (!opts.quiet) process.stderr.write(`minehunter watch: ${text}\n`);
  };
  const output = opts.output ? path.resolve(opts.output) : undefined;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await runWatch({
      root,
      intervalMs: opts.interval * 1000,
      fullEveryMs: opts.fullEvery * 60_000,
      once: Boolean(opts.once),
      stateFile: path.resolve(opts.state ?? defaultWatchStatePath()),
      signal: controller.signal,
      note,
      emit: async (line) => {
        if (output) await appendFile(output, line);
        else process.stdout.write(line);
      },
      scan: async () => {
        const snapshot = await collectSnapshot({
          root,
          cpuWindowMs: opts.cpuWindow,
          hashExecutables: true,
          toolVersion: toolVersion(),
          scope: 'host',
        });
        return analyzeSnapshot(snapshot, analysis, { toolVersion: toolVersion(), now: new Date() }).findings;
      },
    });
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (controller.signal.aborted) note(HELP.stopped[lang]);
  return EXIT.clean;
}
