// Starts the content scan's first worker early: a small module, loaded with the collectors, while
// the content scan's own modules (YARA-X, SQLite, the walker) load only when it runs.
import type { CollectContext } from '../context.js';
import type { ContentCollectOptions } from './index.js';
import { prestartScanWorker } from '../../engine/pool.js';

/** Whether process memory is scanned: on a live host, unless turned off (default off for --path). */
export function scansMemory(ctx: CollectContext, opts: ContentCollectOptions): boolean {
  return (opts.memory ?? opts.scope !== 'paths') && ctx.live;
}

/**
 * Starts the content scan's first worker ahead of its rules when the scan will surely need one (it
 * scans process memory): its ~100 ms start-up then overlaps the process walk instead of delaying the
 * memory scan (issue 17). A warm --path rescan still starts no thread.
 */
export function prestartContentScan(ctx: CollectContext, opts: ContentCollectOptions): void {
  if (opts.enabled && scansMemory(ctx, opts)) prestartScanWorker();
}
