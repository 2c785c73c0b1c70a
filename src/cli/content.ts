// The content-scan part of the command line: its options (--no-content, --full, --path, --rules,
// --cache, --no-cache, --cross-fs, --max-file-size, --memory), their help in en and zh-CN, and the
// messages about broken rule files; the progress line is cli/progress.ts.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import type { ContentCollectOptions } from '../collect/content/index.js';
import type { ContentProgress } from '../engine/content-scan.js';
import type { RuleProblem } from '../engine/yara.js';
import type { Lang, Localized } from '../model/finding.js';
import { defaultCachePath } from '../util/paths.js';
import { UsageError } from './errors.js';
import { ScanProgress } from './progress.js';

const help = {
  noContent: {
    en: 'skip the YARA content scan of files and process memory',
    'zh-CN': '跳过对文件和进程内存的 YARA 内容扫描',
  },
  full: {
    en: 'content-scan every local filesystem (default: process executables and the places miners hide)',
    'zh-CN': '对所有本地文件系统做内容扫描（默认：进程可执行文件及挖矿木马常藏身的目录）',
  },
  path: {
    en: 'scan this file or directory (repeatable); the report is about these paths only',
    'zh-CN': '扫描此文件或目录（可多次指定）；报告只针对这些路径',
  },
  host: {
    en: "with --path: scan this host's processes, sockets, persistence and stealth too",
    'zh-CN': '与 --path 同用：同时扫描本机的进程、网络连接、持久化和隐藏手段',
  },
  rules: {
    en: 'directory of your own YARA rules (*.yar), loaded beside ours (repeatable)',
    'zh-CN': '自定义 YARA 规则目录（*.yar），与内置规则一同加载（可多次指定）',
  },
  cache: {
    en: 'scan cache file (default: $XDG_CACHE_HOME/minehunter/scan-cache.sqlite)',
    'zh-CN': '扫描缓存文件（默认：$XDG_CACHE_HOME/minehunter/scan-cache.sqlite）',
  },
  noCache: { en: 'neither read nor write the scan cache', 'zh-CN': '不读取也不写入扫描缓存' },
  crossFs: {
    en: 'let the content scan cross into other filesystems below a scanned directory',
    'zh-CN': '内容扫描可进入被扫描目录下的其他文件系统',
  },
  maxFileSize: {
    en: 'read files up to this many MiB whole (default 64); larger ones are scanned by their parts: a program by its segments, other files by head, tail and non-constant regions',
    'zh-CN':
      '不超过此值（MiB）的文件整体读取（默认 64）；更大的文件按部分扫描：程序按其段，其他文件按开头、结尾与非恒定区域',
  },
  memory: {
    en: 'scan process memory (default: on, off with --path)',
    'zh-CN': '扫描进程内存（默认开启；使用 --path 时关闭）',
  },
  noMemory: { en: 'do not scan process memory', 'zh-CN': '不扫描进程内存' },
} satisfies Record<string, Localized>;

export interface ContentCliOptions {
  content: boolean;
  full?: boolean;
  path: string[];
  host?: boolean;
  rules: string[];
  cache?: string | false;
  crossFs?: boolean;
  maxFileSize?: number;
  memory?: boolean;
  quiet?: boolean;
}

function list(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function addContentOptions(cmd: Command, lang: Lang): void {
  const h = (k: keyof typeof help) => help[k][lang];
  cmd
    .option('--no-content', h('noContent'))
    .option('--full', h('full'))
    .option('--path <path>', h('path'), list, [])
    .option('--host', h('host'))
    .option('--rules <dir>', h('rules'), list, [])
    .option('--cache <file>', h('cache'))
    .option('--no-cache', h('noCache'))
    .option('--cross-fs', h('crossFs'))
    .addOption(
      new Option('--max-file-size <MiB>', h('maxFileSize')).argParser((v: string) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0)
          throw new UsageError(`--max-file-size takes a positive number of MiB, not "${v}"`);
        return n;
      }),
    )
    .option('--memory', h('memory'))
    .option('--no-memory', h('noMemory'));
}

const MiB = 1024 * 1024;

/** Turns the parsed flags into collector options; a --path or --rules that does not exist is a usage error. */
export function contentOptions(
  opts: ContentCliOptions,
  lang: Lang,
  progress: boolean | ((p: ContentProgress) => void),
): ContentCollectOptions {
  for (const p of opts.path)
    if (!existsSync(p)) throw new UsageError(`--path ${p}: no such file or directory`);
  for (const d of opts.rules) {
    if (!existsSync(d) || !statSync(d).isDirectory()) throw new UsageError(`--rules ${d}: not a directory`);
  }
  if (opts.full && opts.path.length > 0) throw new UsageError('--full and --path cannot be used together');
  // A callback is the caller's progress line (cli/progress.ts); true asks for one of its own.
  const line = progress === true && !opts.quiet ? new ScanProgress(lang, 'tty') : undefined;
  const onProgress =
    typeof progress === 'function' ? progress : line ? (p: ContentProgress) => line.content(p) : undefined;
  const out: ContentCollectOptions = {
    enabled: opts.content,
    scope: opts.full ? 'full' : opts.path.length > 0 ? 'paths' : 'default',
    paths: opts.path.map((p) => path.resolve(p)),
    userRuleDirs: opts.rules.map((d) => path.resolve(d)),
    crossFs: Boolean(opts.crossFs),
    onProgress,
  };
  if (opts.maxFileSize !== undefined) out.maxFileSize = Math.round(opts.maxFileSize * MiB);
  if (opts.cache !== false) out.cachePath = path.resolve(opts.cache ?? defaultCachePath());
  if (opts.memory !== undefined) out.memory = opts.memory;
  return out;
}

/** Rule files that failed to load are always said (on stderr): the scan ran without them. */
export function printRuleProblems(problems: readonly RuleProblem[], lang: Lang, quiet: boolean): void {
  for (const p of problems) {
    if (p.severity === 'warning' && quiet) continue;
    // Clear the progress line first when there is one.
    process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}minehunter: ${p.message[lang]}\n`);
  }
}
