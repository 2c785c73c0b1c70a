// `minehunter image FILE|DIR...`: each docker-archive or OCI tarball or OCI layout directory is one
// snapshot of kind container-image, analysed by the same pipeline as `scan` (detectors, allowlist,
// verdict) into one report per input. `scan --path` and `collect --path` on image inputs come here
// too, so an image is read the same way whichever command names it.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { collectSnapshot } from '../collect/index.js';
import type { Lang, Level, Localized } from '../model/finding.js';
import { analyzeSnapshot, type Analysis } from '../pipeline/analyze.js';
import { failsAt, type Report } from '../report/model.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { LayerProgress } from '../target/image/index.js';
import { toolVersion } from '../util/paths.js';
import { contentOptions, printRuleProblems, type ContentCliOptions } from './content.js';
import { EXIT, UsageError } from './errors.js';
import { writeOutput } from './output.js';

const H = {
  image: {
    en: 'analyse container images offline: docker-archive or OCI tarballs (docker/podman save), OCI layout directories',
    'zh-CN': '离线分析容器镜像：docker-archive 或 OCI 压缩包（docker/podman save 的输出）、OCI 布局目录',
  },
  imageAfter: {
    en: `
Each input is read layer by layer as a stream (gzip, zstd or plain tar layers; nothing is
extracted to disk, no runtime or registry is needed): the image config (entrypoint, cmd, env,
user, ports), the build history, every layer's files scanned with the YARA rules, whiteouts
applied, and what earlier layers held but a later one deleted. A layer that cannot be read whole
(cut, missing blob, decompression bomb, unknown codec) is said so in the report, never taken as clean.

Output: one report per input, in the order given. text: the reports one after another, each
headed by its images (name:tag, digest, layers). json: always a JSON array of reports, one per
input (even for one input), each the same versioned report as \`scan --format json\`. jsonl: the
lines of each report one after another.

Examples:
  minehunter image app.tar                      a docker save / podman save tarball
  minehunter image ./oci-dir other.oci.tar      an OCI layout directory and an OCI archive
  minehunter image app.tar --format json | jq '.[0].verdict'
  minehunter scan --path app.tar                the same report through scan

Exit codes: 0 nothing at or above --fail-on in any input, 1 findings at or above it, 2 usage error
(an input that is not an image), 3 internal error.`,
    'zh-CN': `
每个输入都以流的方式逐层读取（支持 gzip、zstd 和未压缩的 tar 层；不解压到磁盘，无需容器运行时或镜像仓库）：
镜像配置（entrypoint、cmd、环境变量、用户、端口）、构建历史、用 YARA 规则扫描每一层的文件、应用 whiteout
删除标记，并保留早期层中存在但被后续层删除的内容。无法完整读取的层（截断、缺失、解压炸弹、未知压缩格式）
会在报告中注明，绝不当作干净。

输出：每个输入一份报告，按给出的顺序。text：依次输出各报告，每份报告前列出其中的镜像（名称:标签、摘要、层数）。
json：始终输出 JSON 数组，每个输入一份报告（即使只有一个输入），每份报告与 \`scan --format json\` 的版本化报告相同。
jsonl：依次输出各报告的行。

示例：
  minehunter image app.tar                      docker save / podman save 生成的压缩包
  minehunter image ./oci-dir other.oci.tar      OCI 布局目录和 OCI 归档
  minehunter image app.tar --format json | jq '.[0].verdict'
  minehunter scan --path app.tar                通过 scan 得到相同的报告

退出码：0 所有输入都没有达到 --fail-on 级别的发现，1 有达到该级别的发现，2 用法错误（输入不是镜像），3 内部错误。`,
  },
  inputs: {
    en: 'image tarballs (docker-archive, OCI archive) or OCI layout directories',
    'zh-CN': '镜像压缩包（docker-archive、OCI 归档）或 OCI 布局目录',
  },
  rules: {
    en: 'directory of your own YARA rules (*.yar), loaded beside ours (repeatable)',
    'zh-CN': '自定义 YARA 规则目录（*.yar），与内置规则一同加载（可多次指定）',
  },
  maxFileSize: {
    en: 'files larger than this many MiB are hashed, not scanned (default 64)',
    'zh-CN': '大于此值（MiB）的文件只计算哈希、不扫描内容（默认 64）',
  },
  noContent: {
    en: 'do not scan file contents (executables are still listed with their sha256)',
    'zh-CN': '不扫描文件内容（仍列出可执行文件及其 sha256）',
  },
  cache: {
    en: 'cache file for compiled rules (default: $XDG_CACHE_HOME/minehunter/scan-cache.sqlite)',
    'zh-CN': '已编译规则的缓存文件（默认：$XDG_CACHE_HOME/minehunter/scan-cache.sqlite）',
  },
  noCache: { en: 'neither read nor write the cache', 'zh-CN': '不读取也不写入缓存' },
} satisfies Record<string, Localized>;

/** The options `image` takes; `scan` and `collect` pass theirs, which hold the same fields. */
export interface ImageCliOptions extends Pick<
  ContentCliOptions,
  'content' | 'rules' | 'cache' | 'maxFileSize'
> {
  format: string;
  failOn: Level | 'none';
  output?: string;
  quiet?: boolean;
}

/** What reading an image input takes (collect --path passes its own options, which hold these). */
export type ImageReadCliOptions = Pick<
  ImageCliOptions,
  'content' | 'rules' | 'cache' | 'maxFileSize' | 'quiet'
>;

/** What the command borrows from program.ts: the analysis inputs, the shared options and rendering. */
export interface ImageCliDeps {
  lang: Lang;
  prepare(opts: ImageCliOptions): Promise<Analysis>;
  addAnalyzeOptions(cmd: Command): void;
  /** One report in the chosen format, exactly as `scan` prints it. */
  render(report: Report, opts: ImageCliOptions): string;
}

/** The inputs that are container images, and the rest. */
export async function splitImageInputs(
  paths: readonly string[],
): Promise<{ images: string[]; others: string[] }> {
  const images: string[] = [];
  const others: string[] = [];
  if (paths.length === 0) return { images, others };
  // The image readers (tar, zstd) load only when there is a path to look at (issue 17: start-up).
  const { imageFormatOf } = await import('../target/image/format.js');
  for (const p of paths) ((await imageFormatOf(path.resolve(p))) ? images : others).push(p);
  return { images, others };
}

function layerText(lang: Lang, input: string, n: number, p: LayerProgress, of: string): string {
  const key = p.key.replace(/^blobs\/sha256\//, '').slice(0, 19);
  return lang === 'zh-CN'
    ? `镜像 ${of}${path.basename(input)}：正在读取第 ${n} 个层（${key}）……`
    : `image ${of}${path.basename(input)}: reading layer ${n} (${key})…`;
}

/** The snapshot of one image input, with a progress line per layer on a terminal. */
export async function collectImage(
  input: string,
  opts: ImageReadCliOptions,
  lang: Lang,
  place: { index: number; total: number; ruleProblemsSaid: { done: boolean } },
): Promise<Snapshot> {
  const progress = !opts.quiet && process.stderr.isTTY;
  const of = place.total > 1 ? `${place.index + 1}/${place.total} ` : '';
  let layers = 0;
  const content = contentOptions({ ...opts, path: [] }, lang, false);
  return collectSnapshot({
    root: path.resolve(input),
    toolVersion: toolVersion(),
    content,
    image: progress
      ? {
          onLayer: (p) => {
            if (p.phase === 'start')
              process.stderr.write(`\r\x1b[K${layerText(lang, input, ++layers, p, of)}`);
          },
        }
      : {},
    // Rule files are the same for every input: their problems are said once.
    onRuleProblems: (problems) => {
      if (place.ruleProblemsSaid.done) return;
      place.ruleProblemsSaid.done = true;
      printRuleProblems(problems, lang, Boolean(opts.quiet));
    },
  }).finally(() => {
    if (progress) process.stderr.write('\r\x1b[K');
  });
}

/** The lines a text report of an image input starts with: its images, digests and layers. */
export function imageHeader(snapshot: Snapshot, lang: Lang): string {
  const images = snapshot.image;
  const zh = lang === 'zh-CN';
  if (!images || images.images.length === 0)
    return zh
      ? `镜像：${snapshot.target.root} 中没有可读取的镜像\n`
      : `image: no image could be read from ${snapshot.target.root}\n`;
  return images.images
    .map((img) => {
      const bad = img.layers.filter((l) => l.status !== 'ok');
      const layers = zh
        ? `${img.layers.length} 个层${bad.length ? `，${bad.length} 个未能完整读取（${bad.map((l) => `第 ${l.index} 层 ${l.status}`).join('、')}）` : ''}`
        : `${img.layers.length} layer(s)${bad.length ? `, ${bad.length} not read whole (${bad.map((l) => `layer ${l.index} ${l.status}`).join(', ')})` : ''}`;
      return `${zh ? '镜像' : 'image'} ${img.ref}  ${img.digest}  ${layers}\n`;
    })
    .join('');
}

/**
 * Collects, analyses and prints every image input (and `extra`, a snapshot of other paths that a
 * `scan --path` named beside images). `array`: JSON output is always an array (the `image`
 * command); otherwise one report prints as `scan` prints it and several as an array.
 */
export async function runImages(
  inputs: readonly string[],
  opts: ImageCliOptions,
  deps: Pick<ImageCliDeps, 'lang' | 'prepare' | 'render'>,
  shape: { array: boolean; extra?: () => Promise<Snapshot> },
): Promise<number> {
  const { lang } = deps;
  const analysis = await deps.prepare(opts);
  const said = { done: false };
  const snapshots: Snapshot[] = [];
  for (const [index, input] of inputs.entries())
    snapshots.push(
      await collectImage(input, opts, lang, { index, total: inputs.length, ruleProblemsSaid: said }),
    );
  if (shape.extra) snapshots.push(await shape.extra());
  const reports = snapshots.map((s) =>
    analyzeSnapshot(s, analysis, { toolVersion: toolVersion(), now: new Date() }),
  );
  let text: string;
  if (opts.format === 'json' && (shape.array || reports.length > 1))
    text = JSON.stringify(reports, null, 2) + '\n';
  else
    text = reports
      .map(
        (r, i) =>
          (opts.format === 'text' && snapshots[i]?.image ? imageHeader(snapshots[i], lang) : '') +
          deps.render(r, opts),
      )
      .join(opts.format === 'text' ? '\n' : '');
  await writeOutput(opts.output, text, `image report (${opts.format})`);
  return reports.some((r) => failsAt(r, opts.failOn)) ? EXIT.findings : EXIT.clean;
}

/** Registers `minehunter image`. */
export function registerImageCommand(
  program: Command,
  deps: ImageCliDeps,
  setExit: (code: number) => void,
): void {
  const { lang } = deps;
  const cmd = program
    .command('image')
    .description(H.image[lang])
    .argument('<inputs...>', H.inputs[lang])
    .addHelpText('after', H.imageAfter[lang]);
  deps.addAnalyzeOptions(cmd);
  cmd
    .option('--rules <dir>', H.rules[lang], (v: string, p: string[]) => [...p, v], [])
    .addOption(
      new Option('--max-file-size <MiB>', H.maxFileSize[lang]).argParser((v: string) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0)
          throw new UsageError(`--max-file-size takes a positive number of MiB, not "${v}"`);
        return n;
      }),
    )
    .option('--no-content', H.noContent[lang])
    .option('--cache <file>', H.cache[lang])
    .option('--no-cache', H.noCache[lang]);
  cmd.action(async (inputs: string[], _o, c: Command) => {
    const opts = c.optsWithGlobals<ImageCliOptions>();
    const { others } = await splitImageInputs(inputs);
    // Every input is checked before any is read: a typo fails at once, not after a long image.
    const bad = others[0];
    if (bad !== undefined)
      throw new UsageError(
        existsSync(bad)
          ? `${bad}: not a container image (docker-archive or OCI tarball, OCI layout directory)`
          : `${bad}: no such file or directory`,
      );
    setExit(await runImages(inputs, opts, deps, { array: true }));
  });
}

/** Options of `scan`/`collect` that decide whether --path inputs may be read as images. */
interface PathScanOptions {
  path: string[];
  host?: boolean;
  memory?: boolean;
  full?: boolean;
}

/**
 * The image inputs among `scan --path`/`collect --path` values, or undefined when there are none or
 * the host is scanned too (--host, --memory): then every path goes to the content scan as before.
 */
export async function imagesAmongPaths(
  opts: PathScanOptions,
): Promise<{ images: string[]; others: string[] } | undefined> {
  if (opts.path.length === 0 || opts.host || opts.memory === true || opts.full) return undefined;
  const split = await splitImageInputs(opts.path);
  return split.images.length > 0 ? split : undefined;
}

/** `collect --path IMAGE`: the snapshot of one image (a snapshot is of one target). */
export function collectNamedImage(
  named: { images: string[]; others: string[] },
  opts: ImageReadCliOptions,
  lang: Lang,
): Promise<Snapshot> {
  const [only, ...more] = named.images;
  if (only === undefined || more.length > 0 || named.others.length > 0)
    throw new UsageError(
      'collect --path: name one image, or paths without images (a snapshot is of one target)',
    );
  return collectImage(only, opts, lang, { index: 0, total: 1, ruleProblemsSaid: { done: false } });
}
