// The scheduled tasks of a Windows volume (source §4.3, issue 14): every task file under
// Windows/System32/Tasks, read as Task Scheduler writes it (UTF-16LE with a BOM, sometimes UTF-8),
// with its actions resolved on the volume and the scripts a PowerShell action carries decoded
// (-EncodedCommand, FromBase64String), so a detector sees `IEX (New-Object Net.WebClient)…`
// rather than base64. A file that does not parse is kept as a task with its error: an attacker's
// truncated or binary file in the Tasks folder is itself worth showing. Legacy Windows/Tasks/*.job
// files are listed, not parsed. The walk is bounded (files, depth, size) and never follows links.
import type { CollectContext } from '../context.js';
import type { CollectionRecord } from '../../snapshot/schema.js';
import type { DecodedScript, ScheduledTask, VolumeFile, Windows } from '../../snapshot/windows.js';
import type { TargetFs } from '../../target/fs.js';
import { analyzePowerShell, decodedScripts } from '../../target/windows/powershell.js';
import { readTaskXml, taskPrincipal, type TaskAction } from '../../target/windows/task-xml.js';
import { findOnVolume, programOf, volumeRelative } from '../../target/windows/volume.js';
import { CollectorLog, errorMessage } from '../support.js';

export const TASK_LIMITS = {
  /** Task files read; a real system has a few hundred. */
  maxFiles: 20_000,
  /** Folder depth under Tasks; Microsoft's own go four deep. */
  maxDepth: 12,
  /** Largest task file read; real ones are a few KiB. */
  maxFileBytes: 1024 * 1024,
  /** Longest decoded script kept per layer, in characters. */
  maxScriptChars: 4000,
  /** Images hashed when no larger than this. */
  maxHashBytes: 64 * 1024 * 1024,
};

const TASKS_DIR = 'Windows/System32/Tasks';
const LEGACY_DIR = 'Windows/Tasks';

/** Where a bare program name (`powershell.exe`) is found first on a default PATH. */
const PATH_DIRS = [
  'Windows/System32',
  'Windows',
  'Windows/System32/Wbem',
  'Windows/System32/WindowsPowerShell/v1.0',
];

type TaskResult = { tasks?: Windows['tasks']; record: CollectionRecord };

/** Decoded layers as the snapshot keeps them: how, text (bounded), truncated. */
export function decodedOf(commandLine: string, maxChars = TASK_LIMITS.maxScriptChars): DecodedScript[] {
  if (!/powershell|pwsh|frombase64string/i.test(commandLine)) return [];
  return decodedScripts(analyzePowerShell(commandLine)).map((layer) => {
    const cut = layer.text.length > maxChars;
    return {
      how: layer.via,
      text: cut ? layer.text.slice(0, maxChars) : layer.text,
      ...(cut || layer.truncated ? { truncated: true } : {}),
    };
  });
}

/**
 * The program a command names, resolved on the volume: a full path (or one with %SystemRoot%…)
 * is looked up whatever its case; a bare name is looked for in the default PATH folders (not
 * found there: "could not tell", since PATH may hold other folders).
 */
export async function resolveProgram(
  fs: TargetFs,
  command: string,
  cache: Map<string, VolumeFile | undefined>,
  user?: string,
): Promise<VolumeFile | undefined> {
  const program = programOf(command);
  if (program === '') return undefined;
  const key = `${user ?? ''}\0${program.toLowerCase()}`;
  if (cache.has(key)) return cache.get(key);
  let result: VolumeFile | undefined;
  if (!/[\\/]/.test(program)) {
    const names = /\.\w{2,4}$/.test(program) ? [program] : [`${program}.exe`, program];
    search: for (const dir of PATH_DIRS)
      for (const name of names) {
        const found = await findOnVolume(fs, `${dir}/${name}`);
        if (found !== undefined) {
          result = { file: found, exists: true };
          break search;
        }
      }
  } else {
    const rel = volumeRelative(program, user);
    if (rel !== undefined) {
      const found = await findOnVolume(fs, rel);
      result = found !== undefined ? { file: found, exists: true } : { exists: false };
    }
  }
  if (result?.file !== undefined) {
    try {
      const st = await fs.stat(result.file);
      if (st.isFile()) {
        result.size = st.size;
        if (st.size <= TASK_LIMITS.maxHashBytes) result.sha256 = await fs.hash(result.file);
      }
    } catch {
      // Listed but unreadable: the path and existence are still facts.
    }
  }
  cache.set(key, result);
  return result;
}

async function actionOf(
  fs: TargetFs,
  action: TaskAction,
  cache: Map<string, VolumeFile | undefined>,
): Promise<ScheduledTask['actions'][number]> {
  if (action.type === 'com-handler') return { type: 'com', classId: action.classId };
  if (action.type === 'other') return { type: 'other' };
  const out: ScheduledTask['actions'][number] = { type: 'exec', command: action.command };
  if (action.arguments !== undefined) out.arguments = action.arguments;
  if (action.workingDirectory !== undefined) out.workingDirectory = action.workingDirectory;
  const image = await resolveProgram(fs, action.command, cache);
  if (image) out.image = image;
  const decoded = decodedOf(`${action.command} ${action.arguments ?? ''}`);
  if (decoded.length > 0) out.decoded = decoded;
  return out;
}

function failedTask(taskPath: string, file: string, error: string, mtime?: Date): ScheduledTask {
  return {
    path: taskPath,
    file,
    hidden: false,
    enabled: false,
    triggers: [],
    actions: [],
    ...(mtime ? { mtime: mtime.toISOString() } : {}),
    error,
  };
}

/** One task file read into the snapshot's shape; failures become a task with `error`. */
async function readTask(
  fs: TargetFs,
  file: string,
  taskPath: string,
  cache: Map<string, VolumeFile | undefined>,
  log: CollectorLog,
): Promise<ScheduledTask> {
  let mtime: Date | undefined;
  try {
    const st = await fs.lstat(file);
    mtime = st.mtime;
    if (st.size > TASK_LIMITS.maxFileBytes) {
      const why = `the task file has ${st.size} bytes, more than the ${TASK_LIMITS.maxFileBytes} read`;
      log.add(file, new Error(why));
      return failedTask(taskPath, file, why, mtime);
    }
    const bytes = await fs.read(file, { maxBytes: TASK_LIMITS.maxFileBytes + 1 });
    const read = readTaskXml(bytes, { maxBytes: TASK_LIMITS.maxFileBytes });
    if (!read.ok) {
      const why = read.error.message.en;
      log.add(file, new Error(why));
      return failedTask(taskPath, file, why, mtime);
    }
    const { task } = read;
    const principal = taskPrincipal(task);
    const out: ScheduledTask = {
      path: taskPath,
      file,
      encoding: read.encoding,
      hidden: task.settings.hidden,
      enabled: task.settings.enabled,
      triggers: task.triggers.map((t) => ({
        kind: t.kind === 'other' ? t.element : t.kind,
        ...(t.repetition?.interval ? { repetition: t.repetition.interval } : {}),
      })),
      actions: [],
      mtime: mtime.toISOString(),
    };
    if (task.registration.author !== undefined) out.author = task.registration.author;
    if (task.registration.description !== undefined) out.description = task.registration.description;
    if (task.registration.date !== undefined) out.date = task.registration.date;
    const userId = principal?.userId ?? principal?.groupId;
    if (userId !== undefined) out.userId = userId;
    if (principal?.runLevel !== undefined) out.runLevel = principal.runLevel;
    for (const action of task.actions) out.actions.push(await actionOf(fs, action, cache));
    return out;
  } catch (err) {
    log.add(file, err);
    return failedTask(taskPath, file, errorMessage(err), mtime);
  }
}

interface Walk {
  files: { file: string; taskPath: string }[];
  truncated: boolean;
  links: number;
}

/** Task files under `dir`, depth first, sorted, links left alone, bounded in count and depth. */
async function walkTasks(
  fs: TargetFs,
  dir: string,
  rel: string[],
  depth: number,
  walk: Walk,
  log: CollectorLog,
): Promise<void> {
  let entries;
  try {
    entries = await fs.list(dir);
  } catch (err) {
    log.add(dir, err);
    return;
  }
  for (const e of entries) {
    if (walk.files.length >= TASK_LIMITS.maxFiles) {
      walk.truncated = true;
      return;
    }
    if (e.isLink) {
      walk.links++;
      continue;
    }
    if (e.isDir) {
      if (depth + 1 > TASK_LIMITS.maxDepth) walk.truncated = true;
      else await walkTasks(fs, e.path, [...rel, e.name], depth + 1, walk, log);
    } else if (e.isFile) walk.files.push({ file: e.path, taskPath: `\\${[...rel, e.name].join('\\')}` });
  }
}

/** Legacy `.job` files (Task Scheduler 1.0): listed with their mtime, not parsed. */
async function legacyJobs(fs: TargetFs, log: CollectorLog): Promise<ScheduledTask[]> {
  const dir = await findOnVolume(fs, LEGACY_DIR);
  if (dir === undefined) return [];
  const out: ScheduledTask[] = [];
  try {
    for (const e of await fs.list(dir)) {
      if (!e.isFile || !/\.job$/i.test(e.name) || out.length >= 1000) continue;
      let mtime: Date | undefined;
      try {
        mtime = (await fs.lstat(e.path)).mtime;
      } catch {
        // The name alone is still worth listing.
      }
      out.push(failedTask(`\\${e.name}`, e.path, 'legacy .job format not parsed', mtime));
    }
  } catch (err) {
    log.add(dir, err);
  }
  return out;
}

/** Reads every task file of the volume into `windows.tasks`. */
export async function collectTasks(ctx: CollectContext): Promise<TaskResult> {
  const log = new CollectorLog('windows.tasks', ['windows-tasks']);
  const dir = await findOnVolume(ctx.fs, TASKS_DIR);
  const jobs = await legacyJobs(ctx.fs, log);
  if (dir === undefined) {
    const note = `no ${TASKS_DIR} folder on the volume: scheduled tasks not read`;
    if (jobs.length === 0) return { record: log.record('skipped', note) };
    return { tasks: jobs, record: log.record('partial', note) };
  }
  const walk: Walk = { files: [], truncated: false, links: 0 };
  await walkTasks(ctx.fs, dir, [], 0, walk, log);
  const cache = new Map<string, VolumeFile | undefined>();
  const tasks: ScheduledTask[] = [];
  for (const { file, taskPath } of walk.files) tasks.push(await readTask(ctx.fs, file, taskPath, cache, log));
  tasks.push(...jobs);
  const notes: string[] = [`${walk.files.length} task file(s) read from ${dir}`];
  if (jobs.length > 0) notes.push(`${jobs.length} legacy .job file(s) listed, not parsed`);
  if (walk.truncated)
    notes.push(
      `stopped at ${TASK_LIMITS.maxFiles} files or depth ${TASK_LIMITS.maxDepth}: some tasks not read`,
    );
  if (walk.links > 0) notes.push(`${walk.links} symbolic link(s) not followed`);
  const failed = tasks.filter(
    (t) => t.error !== undefined && t.error !== 'legacy .job format not parsed',
  ).length;
  if (failed > 0) notes.push(`${failed} task file(s) could not be parsed`);
  const status = log.errorCount > 0 || walk.truncated ? 'partial' : 'ok';
  return { tasks, record: log.record(status, notes.join('; ')) };
}
