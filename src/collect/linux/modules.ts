// Kernel modules: /proc/modules against /sys/module (a rootkit that unlinks itself from the module
// list usually leaves its sysfs directory), the kernel's taint flags, and whether each module is
// named in the distribution's module tree (modules.dep / modules.builtin of the running kernel).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CollectionRecord } from '../../snapshot/schema.js';
import type { KernelModule, Modules } from '../../snapshot/stealth.js';
import type { CollectContext } from '../context.js';
import { CollectorLog, isGone } from '../support.js';

/** Module names compare with `-` and `_` equal, as the kernel does. */
export function normalizeModuleName(name: string): string {
  return name.replace(/-/g, '_');
}

export interface ProcModule {
  name: string;
  size: number;
  state: string;
  taints: string;
}

/** `name size refcount deps state address [(taints)]` per line. */
export function parseProcModules(text: string): ProcModule[] {
  const out: ProcModule[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 5 || !f[0]) continue;
    const taints = /\(([A-Z]+)\)\s*$/.exec(line)?.[1] ?? '';
    out.push({ name: f[0], size: Number(f[1]) || 0, state: f[4] ?? '', taints });
  }
  return out;
}

/** Module names from modules.dep (`kernel/drivers/x/foo.ko.xz: deps…`) or modules.builtin (one path a line). */
export function parseModuleTree(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const file = line.split(':')[0]?.trim();
    if (!file) continue;
    const base = path.posix.basename(file).replace(/\.ko(?:\.(?:xz|gz|zst))?$/, '');
    names.add(normalizeModuleName(base));
  }
  return names;
}

export interface ModulesCollection {
  modules?: Modules;
  record: CollectionRecord;
}

/** `read()`, or undefined when it throws. */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

export function collectModules(ctx: CollectContext): Promise<ModulesCollection> {
  return Promise.resolve(modulesOf(ctx));
}

function modulesOf(ctx: CollectContext): ModulesCollection {
  const log = new CollectorLog('linux.modules', ['modules']);
  if (ctx.proc === 'absent') {
    return {
      record: log.record(
        'skipped',
        'offline root without proc/: kernel modules exist only on a running system',
      ),
    };
  }
  const notes: string[] = [];
  // Small /proc and /sys files and a stat per module, read on the spot: a thread-pool round trip
  // each, queued behind the process walk and the content scan, cost far more (issue 17).
  const release = (
    attempt(() => readFileSync(path.join(ctx.procDir, 'sys/kernel/osrelease'), 'utf8')) ?? ''
  ).trim();
  let procText: string | undefined;
  try {
    procText = readFileSync(path.join(ctx.procDir, 'modules'), 'utf8');
  } catch (err) {
    if (!isGone(err)) log.add(path.join(ctx.procDir, 'modules'), err);
  }
  const taintedText = attempt(() => readFileSync(path.join(ctx.procDir, 'sys/kernel/tainted'), 'utf8'));
  const sysNames = attempt(() => ctx.fs.namesSync('sys/module'));

  // Only loadable modules have an initstate file; built-in ones with parameters appear too, without it.
  const sysLoaded = new Set<string>();
  if (sysNames) {
    for (const name of sysNames) {
      // undefined: built in (or gone)
      if (attempt(() => ctx.fs.statSync(`sys/module/${name}/initstate`)))
        sysLoaded.add(normalizeModuleName(name));
    }
  } else notes.push('no /sys/module');

  let tree: Set<string> | undefined;
  let moduleTree: string | undefined;
  if (release !== '') {
    for (const base of [`lib/modules/${release}`, `usr/lib/modules/${release}`]) {
      const texts = ['modules.dep', 'modules.builtin'].map((f) =>
        attempt(() => ctx.fs.textSync(`${base}/${f}`)),
      );
      if (texts[0] === undefined) continue;
      tree = new Set(texts.flatMap((t) => (t ? [...parseModuleTree(t)] : [])));
      moduleTree = `/${base}`;
      break;
    }
  }
  if (!tree) notes.push(`no module tree for kernel ${release || '?'}: in-tree check not made`);

  const procModules = procText !== undefined ? parseProcModules(procText) : undefined;
  const byName = new Map<string, KernelModule>();
  for (const m of procModules ?? []) {
    const key = normalizeModuleName(m.name);
    byName.set(key, {
      name: m.name,
      size: m.size,
      state: m.state,
      taints: m.taints,
      inProcModules: true,
      inSysModule: sysLoaded.has(key),
    });
  }
  // Loadable modules sysfs knows but the list does not are only meaningful when the list exists.
  if (procModules) {
    for (const key of sysLoaded) {
      if (!byName.has(key))
        byName.set(key, { name: key, taints: '', inProcModules: false, inSysModule: true });
    }
  }
  for (const [key, m] of byName) if (tree) m.inTree = tree.has(key);

  const modules: Modules = {
    procModules: procModules !== undefined,
    modules: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  if (moduleTree) modules.moduleTree = moduleTree;
  const tainted = taintedText !== undefined ? Number(taintedText.trim()) : NaN;
  if (Number.isInteger(tainted) && tainted >= 0) modules.tainted = tainted;

  if (!procModules) {
    // Said as "not collected", never as "no modules": the kernel has no module support, or a
    // sandbox hides the list. Taint flags are still read.
    log.add(
      path.join(ctx.procDir, 'modules'),
      Object.assign(
        new Error(
          'not collected: /proc/modules does not exist (kernel without loadable modules, or hidden by a sandbox)',
        ),
        { code: 'ENOENT' },
      ),
    );
    return { modules, record: log.record('partial', ['module list not collected', ...notes].join('; ')) };
  }
  notes.unshift(`${procModules.length} modules`);
  return { modules, record: log.record(log.errorCount > 0 ? 'partial' : 'ok', notes.join('; ')) };
}
