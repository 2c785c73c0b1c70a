// The collectors of a Windows volume (a mounted NTFS system drive, a copied one, a triage
// collection): the registry (system facts, services and drivers, autostarts, TaskCache), the task
// XML files, WMI permanent subscriptions, the folders miners hide in, and the content scan of the
// volume's hiding places. Each fills its own fields of the snapshot's `windows` section; the Linux
// collectors are recorded as not applicable, never as clean.
import type { CollectOptions } from '../index.js';
import type { Collector } from '../runner.js';
import { collectRegistry } from './registry.js';
import { collectTasks } from './tasks.js';
import { collectWmi } from './wmi.js';
import { collectWindowsFiles } from './files.js';

/** The Windows collectors in the order of their records; the content scan is added by the caller. */
export function windowsCollectors(_opts: CollectOptions): Collector[] {
  return [
    {
      id: 'windows.registry',
      sections: ['host', 'windows-registry'],
      run: async (ctx) => {
        const { windows, host, record } = await collectRegistry(ctx);
        return { part: { windows, host }, records: [record] };
      },
    },
    {
      id: 'windows.tasks',
      sections: ['windows-tasks'],
      run: async (ctx) => {
        const { tasks, record } = await collectTasks(ctx);
        return { part: tasks ? { windows: { tasks } } : {}, records: [record] };
      },
    },
    {
      id: 'windows.wmi',
      sections: ['windows-wmi'],
      run: async (ctx) => {
        const { wmi, record } = await collectWmi(ctx);
        return { part: wmi ? { windows: { wmi } } : {}, records: [record] };
      },
    },
    {
      id: 'windows.files',
      sections: ['windows-files'],
      run: async (ctx) => {
        const { files, limits, record } = await collectWindowsFiles(ctx);
        return { part: files ? { windows: { files, limits } } : {}, records: [record] };
      },
    },
  ];
}
