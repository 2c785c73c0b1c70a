// Runs the stealth collectors (preload, hidden processes and files, kernel modules, odd directories)
// beside the process walk: the PID probe and the directory and module reads start at once, so they
// fit in the process walk's CPU window; the parts that need the process list wait for it.
import type { CollectionRecord, ProcessInfo, Snapshot } from '../../snapshot/schema.js';
import type { Dirs, Hidden, Modules, Preload } from '../../snapshot/stealth.js';
import type { CollectContext } from '../context.js';
import { CollectorLog } from '../support.js';
import { collectDirs } from './dirs.js';
import { collectHidden, findHiddenProcesses, type HiddenProcessResult } from './hidden.js';
import { collectModules } from './modules.js';
import { collectPreload } from './preload.js';

export interface StealthResult {
  records: CollectionRecord[];
  preload?: Preload;
  hidden?: Hidden;
  modules?: Modules;
  dirs?: Dirs;
}

function crashed(
  collector: string,
  section: CollectionRecord['sections'][number],
  err: unknown,
): { record: CollectionRecord } {
  const log = new CollectorLog(collector, [section]);
  log.add(undefined, err);
  return { record: log.record('failed', 'collector crashed') };
}

export async function collectStealth(
  ctx: CollectContext,
  processes: Promise<ProcessInfo[] | undefined>,
): Promise<StealthResult> {
  const hiddenLog = new CollectorLog('linux.hidden', ['hidden']);
  // Only a live /proc can be probed: a copy lists exactly what exists.
  const probeRun: Promise<HiddenProcessResult | Error> | undefined =
    ctx.proc === 'live'
      ? findHiddenProcesses(ctx, hiddenLog).catch((err: unknown) =>
          err instanceof Error ? err : new Error(String(err)),
        )
      : undefined;
  const modulesRun = collectModules(ctx).catch((err: unknown) => crashed('linux.modules', 'modules', err));
  const dirsRun = collectDirs(ctx).catch((err: unknown) => crashed('linux.dirs', 'dirs', err));
  const preloadRun = collectPreload(ctx, processes).catch((err: unknown) =>
    crashed('linux.preload', 'preload', err),
  );
  const pre = await preloadRun;
  const procs = await processes;
  const hid = await collectHidden(
    ctx,
    probeRun,
    hiddenLog,
    procs,
    'preload' in pre ? pre.preload : undefined,
  ).catch((err: unknown) => crashed('linux.hidden', 'hidden', err));
  const [mods, dirs] = await Promise.all([modulesRun, dirsRun]);
  const result: StealthResult = { records: [pre.record, hid.record, mods.record, dirs.record] };
  if ('preload' in pre && pre.preload) result.preload = pre.preload;
  if ('hidden' in hid && hid.hidden) result.hidden = hid.hidden;
  if ('modules' in mods && mods.modules) result.modules = mods.modules;
  if ('dirs' in dirs && dirs.dirs) result.dirs = dirs.dirs;
  return result;
}

/** Puts the stealth sections and their collection records into the snapshot. */
export function applyStealth(snapshot: Snapshot, result: StealthResult): void {
  snapshot.collection.push(...result.records);
  if (result.preload) snapshot.preload = result.preload;
  if (result.hidden) snapshot.hidden = result.hidden;
  if (result.modules) snapshot.modules = result.modules;
  if (result.dirs) snapshot.dirs = result.dirs;
}
