// Runs the stealth collectors (preload, hidden processes and files, kernel modules, odd directories)
// beside the process walk: the PID probe and the directory and module reads start at once, so they
// fit in the process walk's CPU window; the parts that need the process list wait for it.
import type { CollectionRecord, ProcessInfo } from '../../snapshot/schema.js';
import type { CollectContext } from '../context.js';
import { runCollector, type CollectorResult } from '../runner.js';
import { CollectorLog } from '../support.js';
import { collectDirs } from './dirs.js';
import { collectHidden, findHiddenProcesses, type HiddenProcessResult } from './hidden.js';
import { collectModules } from './modules.js';
import type { PidProbe } from './pid-probe.js';
import { collectPreload } from './preload.js';

/** A sub-collector's own result, or its `failed` record when it crashed. */
const crashed = (record: CollectionRecord) => ({ record });

/**
 * Collects the preload, hidden, modules and dirs sections with one record each, in that order.
 * `processes` is the process walk still in flight; `pidProbe` the PID probe its worker runs, when
 * it runs one (else the hidden-process check probes here).
 */
export async function collectStealth(
  ctx: CollectContext,
  processes: Promise<ProcessInfo[] | undefined>,
  pidProbe?: Promise<PidProbe | undefined>,
): Promise<CollectorResult> {
  const hiddenLog = new CollectorLog('linux.hidden', ['hidden']);
  // Only a live /proc can be probed: a copy lists exactly what exists.
  const probeRun: Promise<HiddenProcessResult | Error> | undefined =
    ctx.proc === 'live'
      ? findHiddenProcesses(ctx, hiddenLog, pidProbe).catch((err: unknown) =>
          err instanceof Error ? err : new Error(String(err)),
        )
      : undefined;
  const modulesRun = runCollector(
    new CollectorLog('linux.modules', ['modules']),
    () => collectModules(ctx),
    crashed,
  );
  const dirsRun = runCollector(new CollectorLog('linux.dirs', ['dirs']), () => collectDirs(ctx), crashed);
  const pre = await runCollector(
    new CollectorLog('linux.preload', ['preload']),
    () => collectPreload(ctx, processes),
    crashed,
  );
  const procs = await processes;
  const hid = await runCollector(
    new CollectorLog('linux.hidden', ['hidden']),
    () => collectHidden(ctx, probeRun, hiddenLog, procs, pre.preload),
    crashed,
  );
  const [mods, dirs] = await Promise.all([modulesRun, dirsRun]);
  return {
    part: { preload: pre.preload, hidden: hid.hidden, modules: mods.modules, dirs: dirs.dirs },
    records: [pre.record, hid.record, mods.record, dirs.record],
  };
}
