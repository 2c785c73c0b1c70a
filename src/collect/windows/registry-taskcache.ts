// Scheduled tasks as the registry's TaskCache knows them (source §4.3): every task key under
// `Schedule\TaskCache\Tree` (a key with an `Id` value), whether it lost its `SD` value (hidden from
// schtasks and the Task Scheduler UI), whether its XML file under System32\Tasks is still there, and
// the commands of its binary `Actions` value in `TaskCache\Tasks\{Id}`.
import type { Hive, RegKey } from '../../target/windows/registry/index.js';
import type { TaskCacheEntry } from '../../snapshot/windows.js';
import type { VolumeLookup } from './registry-image.js';
import { iso, Values } from './registry-read.js';
import { decodeTaskActions } from './registry-task-actions.js';

export const TASK_CACHE = 'Microsoft\\Windows NT\\CurrentVersion\\Schedule\\TaskCache';
/** Far more tasks than a real system registers (a few hundred). */
export const MAX_TASKS = 10000;

/** `TaskCache\Tasks` subkeys by their lower-cased GUID, listed once. */
function tasksById(software: Hive): Map<string, RegKey> {
  const byId = new Map<string, RegKey>();
  for (const k of software.lookup(`${TASK_CACHE}\\Tasks`)?.subkeys() ?? []) byId.set(k.name.toLowerCase(), k);
  return byId;
}

/** Whether System32/Tasks holds the task's XML (a name with `/` cannot be a file on NTFS). */
async function xmlExists(rel: string, lookup: VolumeLookup): Promise<boolean> {
  if (rel.includes('/')) return false;
  return (await lookup.find(`Windows/System32/Tasks/${rel.split('\\').join('/')}`)) !== undefined;
}

/** One Tree key that names a task. */
async function entryOf(
  key: RegKey,
  rel: string,
  values: Values,
  tasks: Map<string, RegKey>,
  lookup: VolumeLookup,
): Promise<TaskCacheEntry> {
  const id = values.text('Id')!;
  const entry: TaskCacheEntry = {
    path: `\\${rel}`,
    sdMissing: !values.has('SD'),
    xmlExists: await xmlExists(rel, lookup),
  };
  if (id !== '') entry.id = id;
  const lastWrite = iso(key.lastWritten);
  if (lastWrite) entry.lastWrite = lastWrite;
  const task = tasks.get(id.toLowerCase());
  const actions = task ? decodeTaskActions(new Values(task).get('Actions')?.bytes()) : undefined;
  if (actions) entry.actions = actions;
  return entry;
}

/** Every task of the TaskCache Tree, in tree order; undefined when SOFTWARE has no TaskCache. */
export async function collectTaskCache(
  software: Hive,
  lookup: VolumeLookup,
): Promise<TaskCacheEntry[] | undefined> {
  const tree = software.lookup(`${TASK_CACHE}\\Tree`);
  if (!tree) return undefined;
  const tasks = tasksById(software);
  const out: TaskCacheEntry[] = [];
  for (const key of software.walk(tree)) {
    if (out.length >= MAX_TASKS) break;
    if (key === tree) continue;
    const values = new Values(key);
    // A key without Id is a folder of tasks.
    if (values.text('Id') === undefined) continue;
    out.push(await entryOf(key, key.path.slice(tree.path.length + 1), values, tasks, lookup));
  }
  return out;
}
