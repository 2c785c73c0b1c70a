// The collectors of a container-image target: `image.layers` reads the tarball or OCI layout the
// target names (target/image/), scanning every layer's files with the same YARA rules as the host
// content scan (ours and the user's --rules), web files also as the web normaliser decodes them
// (file-scan.ts), and fills the snapshot's `image` section. A layer that
// could not be read whole makes the record `partial`, never a clean-looking `ok`.
import { stat } from 'node:fs/promises';
import type { CollectOptions } from '../index.js';
import { CollectorLog } from '../support.js';
import type { Collector, CollectorResult } from '../runner.js';
import type { CollectContext } from '../context.js';
import type { Images } from '../../snapshot/image.js';
import { compileAllRules, DEFAULT_MAX_FILE_SIZE } from '../../engine/content-scan.js';
import { EngineUnavailableError } from '../../engine/yara.js';
import { cpuBudget } from '../../util/cpu-budget.js';
import {
  readImages,
  type ContentScanner,
  type ImageLimits,
  type LayerProgress,
} from '../../target/image/index.js';
import { scanLayerFile, webFlag } from './file-scan.js';
import { EarlyWorkers, ImageScanPool } from './scan-pool.js';

/** What `image.layers` takes besides the content options (rules, cache, size limit). */
export interface ImageCollectOptions {
  /** Each layer blob's start and end, for a progress line on big images. */
  onLayer?: (p: LayerProgress) => void;
  /** Tests and benches tighten the reader's limits. */
  limits?: Partial<ImageLimits>;
}

/**
 * The YARA rules as the image reader's scanner, or the reason there is none. With more than one
 * core the files are scanned (and hashed) on worker threads while the main thread reads the layers;
 * `close` stops them.
 */
function scannerOf(
  opts: CollectOptions,
  log: CollectorLog,
  large: boolean,
): { scanner?: ContentScanner; close?: () => Promise<void>; note?: string; failed?: boolean } {
  const content = opts.content;
  // Asked for: not a failure, said in the note.
  if (content && !content.enabled)
    return { note: 'content scan off (--no-content): executables listed, not scanned' };
  const workers = cpuBudget();
  // A large image needs the workers: they start while the rules compile, and get them after.
  const early = workers > 1 && large ? new EarlyWorkers(workers) : undefined;
  try {
    const { scanner, problems } = compileAllRules(content?.userRuleDirs ?? [], content?.cachePath);
    opts.onRuleProblems?.(problems);
    for (const p of problems)
      if (p.severity === 'error') log.add(p.file, Object.assign(new Error(p.message.en), { code: p.code }));
    if (workers > 1) {
      // The options compileAllRules compiled with (its scans time out after 10 s).
      const pool = new ImageScanPool(scanner, workers, { timeoutMs: 10_000 }, early);
      if (large) pool.start();
      return { scanner: pool, close: () => pool.close() };
    }
    return {
      scanner: {
        // One core: the engine is synchronous and fast on small files; a layer is read one file at a
        // time, each where it lies when it can be. An engine error is thrown, as the reader records
        // it as the file's scan-error.
        inline: true,
        scan: (data, path) => {
          const outcome = scanLayerFile(scanner, data, webFlag(path));
          if (outcome.error !== undefined) throw new Error(outcome.error);
          return outcome;
        },
      },
    };
  } catch (err) {
    void early?.close();
    log.add(undefined, err);
    const why = err instanceof EngineUnavailableError ? err.localized.en : 'rules could not be compiled';
    return { note: `${why}: executables listed, not scanned`, failed: true };
  }
}

/** One line for the record: what was read and what was not. */
function summary(images: Images): { bad: number; note: string } {
  const layers = images.images.flatMap((i) => i.layers);
  const bad = layers.filter((l) => l.status !== 'ok');
  const files = images.images.reduce((n, i) => n + i.filesScanned, 0);
  const parts = [`${images.images.length} image(s), ${layers.length} layer(s), ${files} files read`];
  if (bad.length > 0) {
    const byStatus = new Map<string, number>();
    for (const l of bad) byStatus.set(l.status, (byStatus.get(l.status) ?? 0) + 1);
    parts.push(`layers not read whole: ${[...byStatus].map(([s, n]) => `${n} ${s}`).join(', ')}`);
  }
  if (images.skips.length > 0) parts.push(`${images.skips.length} problem(s) with the archive itself`);
  if (images.images.length === 0) parts.push('no image could be read');
  return {
    bad: bad.length + images.skips.length + (images.images.length === 0 ? 1 : 0),
    note: parts.join('; '),
  };
}

/** An input worth the scan workers from the start: a tarball of 64 MiB or more, or a layout. */
async function isLarge(input: string): Promise<boolean> {
  try {
    const st = await stat(input);
    return st.isDirectory() || st.size >= 64 * 1024 * 1024;
  } catch {
    return false;
  }
}

async function collectImages(ctx: CollectContext, opts: CollectOptions): Promise<CollectorResult> {
  const log = new CollectorLog('image.layers', ['image']);
  const { scanner, close, note: scanNote, failed } = scannerOf(opts, log, await isLarge(ctx.root));
  let image: Images;
  try {
    image = await readImages(ctx.root, {
      ...(scanner ? { scanner } : {}),
      limits: { maxScanBytes: opts.content?.maxFileSize ?? DEFAULT_MAX_FILE_SIZE, ...opts.image?.limits },
      ...(opts.image?.onLayer ? { onLayer: opts.image.onLayer } : {}),
    });
  } finally {
    await close?.();
  }
  const { bad, note } = summary(image);
  const status = bad > 0 || log.errorCount > 0 || failed ? 'partial' : 'ok';
  return {
    part: { image, host: { addresses: [] } },
    records: [log.record(status, [note, scanNote].filter(Boolean).join('; '))],
  };
}

/** The collectors of a container-image target (the Linux ones are recorded as not applicable by the caller). */
export function imageCollectors(opts: CollectOptions): Collector[] {
  return [{ id: 'image.layers', sections: ['image'], run: (ctx) => collectImages(ctx, opts) }];
}
