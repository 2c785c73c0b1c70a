// Reads the JSON document the live-Windows script prints (script.ts) into the snapshot's sections:
// processes and sockets in the shapes the Linux collectors give (so the process and network
// detectors run unchanged), and services, autostarts, tasks and WMI subscriptions in the shapes the
// offline Windows collectors give (so the Windows detectors run unchanged). Pure: no I/O. Windows
// PowerShell 5.1's ConvertTo-Json quirks are absorbed here: one item printed as an object instead of
// a list, dates as `/Date(ms)/`, enums as numbers, nulls for what a protected process hides.
import type { Host, ProcessInfo, SocketInfo } from '../../snapshot/schema.js';
import {
  WMI_CONSUMER_CLASSES,
  type DecodedScript,
  type ScheduledTask,
  type Windows,
  type WindowsAutostart,
  type WindowsService,
  type WmiSubscription,
} from '../../snapshot/windows.js';
import { splitWindowsArgs } from '../../target/windows/powershell.js';
import { serviceStart, serviceType } from '../windows/registry-services.js';
import { decodedOf } from '../windows/tasks.js';

type Json = Record<string, unknown>;

/** Defender's state as Get-MpComputerStatus and Get-MpPreference tell it (no snapshot field yet). */
export interface DefenderFacts {
  antivirusEnabled?: boolean;
  realTimeProtectionEnabled?: boolean;
  behaviorMonitorEnabled?: boolean;
  tamperProtected?: boolean;
  signaturesUpdated?: string;
  /** ExclusionPath, ExclusionProcess, ExclusionExtension, ExclusionIpAddress as listed. */
  exclusions: { paths: string[]; processes: string[]; extensions: string[]; addresses: string[] };
}

/** One part the script could not read, or a problem found while reading its output. */
export interface LivePartError {
  part: string;
  message: string;
}

export interface LiveFacts {
  host: Host;
  /** Absent when the part could not be read (its error is in `errors`). */
  processes?: ProcessInfo[];
  sockets?: SocketInfo[];
  windows: Pick<Windows, 'system' | 'services' | 'autostarts' | 'tasks' | 'wmi'>;
  defender?: DefenderFacts;
  errors: LivePartError[];
}

/** The output is not a JSON object at all (PowerShell missing, killed, or printing an error). */
export class LiveOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveOutputError';
  }
}

// ---- PowerShell's JSON, read defensively ----

/** A list whatever PowerShell printed: nothing, one object, or a list. */
function list(v: unknown): Json[] {
  if (v === undefined || v === null) return [];
  const items = Array.isArray(v) ? v : [v];
  return items.filter((x): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x));
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v === '' ? undefined : v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function strings(v: unknown): string[] {
  return (Array.isArray(v) ? v : [v]).flatMap((x) => (str(x) === undefined ? [] : [str(x)!]));
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+(?:\.\d+)?$/.test(v.trim())) return Number(v);
  return undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'True' || v === 'true') return true;
  if (v === 'False' || v === 'false') return false;
  return undefined;
}

const MS_DATE = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/;
const DMTF = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.\d{6}([+-]\d{3})$/;

/**
 * A date as ISO 8601: `/Date(ms)/` (5.1; the offset, when written, does not change the instant),
 * an ISO string (PowerShell 7), a DMTF string (Get-WmiObject), or a `{value: …}` wrapper.
 */
export function psDate(v: unknown): string | undefined {
  if (typeof v === 'object' && v !== null && 'value' in v) return psDate((v as Json).value);
  if (typeof v !== 'string') return undefined;
  const ms = MS_DATE.exec(v);
  let d: Date | undefined;
  if (ms) d = new Date(Number(ms[1]));
  else {
    const dmtf = DMTF.exec(v);
    if (dmtf) {
      const [, y, mo, da, h, mi, s, off] = dmtf;
      const utc = Date.UTC(Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(s));
      d = new Date(utc - Number(off) * 60_000);
    } else if (/^\d{4}-\d{2}-\d{2}T/.test(v)) d = new Date(v);
  }
  return d && Number.isFinite(d.getTime()) ? d.toISOString() : undefined;
}

// ---- processes and sockets ----

/** Processes of the kernel itself: no image file, no command line, never userland. */
const KERNEL_PROCESSES = new Set(['system', 'registry', 'memory compression', 'secure system', 'vmmem']);

/** The program's name without a Windows folder, as argv[0] would be on Linux. */
function processOf(p: Json): ProcessInfo | undefined {
  const pid = num(p.ProcessId);
  if (pid === undefined || pid <= 0 || !Number.isInteger(pid)) return undefined; // the Idle process
  const name = str(p.Name) ?? '';
  const commandLine = str(p.CommandLine);
  const exe = str(p.ExecutablePath);
  // 100-ns units (FILETIME ticks).
  const ticks = (num(p.KernelModeTime) ?? 0) + (num(p.UserModeTime) ?? 0);
  const out: ProcessInfo = {
    pid,
    ppid: num(p.ParentProcessId) ?? 0,
    comm: name,
    argv: commandLine ? splitWindowsArgs(commandLine).map((a) => a.value) : [],
    exeDeleted: false,
    exeMemfd: false,
    cpuTimeSec: Math.round(ticks / 1e5) / 100,
    kernelThread: exe === undefined && commandLine === undefined && KERNEL_PROCESSES.has(name.toLowerCase()),
    env: {},
    maps: [],
  };
  if (exe !== undefined) out.exe = exe;
  const start = psDate(p.CreationDate);
  if (start) out.startTime = start;
  const rss = num(p.WorkingSetSize);
  if (rss !== undefined) out.rssBytes = Math.round(rss);
  const threads = num(p.ThreadCount);
  if (threads !== undefined) out.threads = Math.round(threads);
  // A protected process (or any process of another user when not elevated) hides both.
  if (commandLine === undefined && !out.kernelThread) out.readErrors = ['CommandLine: not readable'];
  return out;
}

/** MSFT_NetTCPConnection.State (TcpState) in the names the Linux collector uses. */
const TCP_STATES: Record<number, string> = {
  1: 'CLOSE',
  2: 'LISTEN',
  3: 'SYN_SENT',
  4: 'SYN_RECV',
  5: 'ESTABLISHED',
  6: 'FIN_WAIT1',
  7: 'FIN_WAIT2',
  8: 'CLOSE_WAIT',
  9: 'CLOSING',
  10: 'LAST_ACK',
  11: 'TIME_WAIT',
  12: 'DELETE_TCB',
  100: 'BOUND',
};
const TCP_STATE_NAMES: Record<string, string> = {
  closed: 'CLOSE',
  listen: 'LISTEN',
  synsent: 'SYN_SENT',
  synreceived: 'SYN_RECV',
  established: 'ESTABLISHED',
  finwait1: 'FIN_WAIT1',
  finwait2: 'FIN_WAIT2',
  closewait: 'CLOSE_WAIT',
  closing: 'CLOSING',
  lastack: 'LAST_ACK',
  timewait: 'TIME_WAIT',
  deletetcb: 'DELETE_TCB',
  bound: 'BOUND',
};

function tcpState(v: unknown): string {
  if (typeof v === 'number') return TCP_STATES[v] ?? String(v);
  if (typeof v === 'string') return TCP_STATE_NAMES[v.toLowerCase()] ?? v.toUpperCase();
  return 'UNKNOWN';
}

function port(v: unknown): number | undefined {
  const n = num(v);
  return n !== undefined && Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}

function socketOf(c: Json, udp: boolean): SocketInfo | undefined {
  const localAddress = str(c.LocalAddress);
  const localPort = port(c.LocalPort);
  if (localAddress === undefined || localPort === undefined) return undefined;
  const v6 = localAddress.includes(':');
  const pid = num(c.OwningProcess);
  return {
    protocol: `${udp ? 'udp' : 'tcp'}${v6 ? '6' : ''}` as SocketInfo['protocol'],
    localAddress,
    localPort,
    remoteAddress: udp ? (v6 ? '::' : '0.0.0.0') : (str(c.RemoteAddress) ?? (v6 ? '::' : '0.0.0.0')),
    remotePort: udp ? 0 : (port(c.RemotePort) ?? 0),
    state: udp ? 'UNCONN' : tcpState(c.State),
    // Windows has no socket inodes: the owning process is the join.
    inode: 0,
    pids: pid !== undefined && Number.isInteger(pid) && pid > 0 ? [pid] : [],
  };
}

// ---- services and drivers ----

const SERVICE_TYPE_VALUES: Record<string, number> = {
  'kernel driver': 0x1,
  'file system driver': 0x2,
  'own process': 0x10,
  'share process': 0x20,
};
const START_VALUES: Record<string, number> = { boot: 0, system: 1, auto: 2, manual: 3, disabled: 4 };

/** Win32_Service / Win32_SystemDriver in the shape readService gives for a registry key. */
function serviceOf(s: Json): WindowsService | undefined {
  const name = str(s.Name);
  if (name === undefined) return undefined;
  const typeText = s.ServiceType;
  const typeValue =
    typeof typeText === 'string' ? SERVICE_TYPE_VALUES[typeText.toLowerCase()] : num(typeText);
  const startText = s.StartMode;
  const startValue = typeof startText === 'string' ? START_VALUES[startText.toLowerCase()] : num(startText);
  const svc: WindowsService = {
    name,
    key: `HKLM\\SYSTEM\\CurrentControlSet\\Services\\${name}`,
    controlSet: 'CurrentControlSet',
    type: serviceType(typeValue),
    start: serviceStart(startValue),
  };
  if (typeValue !== undefined) svc.typeValue = typeValue;
  if (startValue !== undefined) svc.startValue = startValue;
  const texts = {
    displayName: 'DisplayName',
    description: 'Description',
    imagePath: 'PathName',
    objectName: 'StartName',
    serviceDll: 'ServiceDll',
  } as const;
  for (const [field, key] of Object.entries(texts) as Array<[keyof typeof texts, string]>) {
    const text = str(s[key]);
    if (text !== undefined) svc[field] = text;
  }
  return svc;
}

// ---- Run keys and Winlogon ----

/** A Run-like key as PowerShell names it (`HKLM:\SOFTWARE\…\Run`) to its place, or none. */
function placeOf(key: string): WindowsAutostart['place'] | 'winlogon' | undefined {
  if (/\\Winlogon$/i.test(key)) return 'winlogon';
  if (/\\Policies\\Explorer\\Run$/i.test(key)) return 'run-policy';
  if (/\\RunOnce$/i.test(key)) return 'runonce';
  if (/\\Run$/i.test(key)) return 'run';
  return undefined;
}

function autostartsOf(k: Json): WindowsAutostart[] {
  const psKey = str(k.Key);
  const hive = /^HKLM:?\\/i.test(psKey ?? '') ? 'HKLM' : /^HKCU:?\\/i.test(psKey ?? '') ? 'HKCU' : undefined;
  const place = psKey ? placeOf(psKey) : undefined;
  if (!psKey || !hive || !place) return [];
  const key = psKey.replace(/^(HK[A-Z]+):/i, '$1');
  const user = hive === 'HKCU' ? str(k.User) : undefined;
  const out: WindowsAutostart[] = [];
  for (const v of list(k.Values)) {
    const value = str(v.Name);
    const data = typeof v.Data === 'string' ? v.Data : undefined;
    if (value === undefined || data === undefined) continue;
    let valuePlace: WindowsAutostart['place'];
    if (place !== 'winlogon') {
      // Windows runs only non-empty string values.
      if (data.trim() === '') continue;
      valuePlace = place;
    } else if (value.toLowerCase() === 'shell') valuePlace = 'winlogon-shell';
    else if (value.toLowerCase() === 'userinit' && hive === 'HKLM') valuePlace = 'winlogon-userinit';
    else continue;
    const entry: WindowsAutostart = { place: valuePlace, hive, key, value, data };
    if (user !== undefined) entry.user = user;
    out.push(entry);
  }
  return out;
}

// ---- scheduled tasks ----

const TRIGGER_KINDS: Record<string, string> = {
  boot: 'boot',
  logon: 'logon',
  time: 'time',
  daily: 'calendar',
  weekly: 'calendar',
  monthly: 'calendar',
  monthlydow: 'calendar',
  idle: 'idle',
  event: 'event',
  registration: 'registration',
  sessionstatechange: 'session-state-change',
};

/** MSFT_TaskBootTrigger → boot, as task-xml.ts names the XML's BootTrigger. */
function triggerKind(cimClass: string | undefined): string {
  const stem = /^MSFT_Task(.*)Trigger$/i.exec(cimClass ?? '')?.[1]?.toLowerCase() ?? '';
  return TRIGGER_KINDS[stem] ?? (cimClass || 'other');
}

/** Principal.RunLevel (TaskRunLevel: 0 Limited, 1 Highest) in the XML's words. */
function runLevel(v: unknown): string | undefined {
  if (v === 1 || v === 'Highest') return 'HighestAvailable';
  if (v === 0 || v === 'Limited') return 'LeastPrivilege';
  return undefined;
}

function actionOf(a: Json): ScheduledTask['actions'][number] {
  const cls = str(a.Class) ?? '';
  if (/ComHandler/i.test(cls)) {
    const classId = str(a.ClassId);
    return classId ? { type: 'com', classId } : { type: 'com' };
  }
  const command = str(a.Execute);
  if (!/ExecAction/i.test(cls) && command === undefined) return { type: 'other' };
  const out: ScheduledTask['actions'][number] = { type: 'exec' };
  if (command !== undefined) out.command = command;
  const args = str(a.Arguments);
  if (args !== undefined) out.arguments = args;
  const dir = str(a.WorkingDirectory);
  if (dir !== undefined) out.workingDirectory = dir;
  const decoded = command === undefined ? [] : decodedOf(`${command} ${args ?? ''}`);
  if (decoded.length > 0) out.decoded = decoded;
  return out;
}

/** TaskState 1 is Disabled; Settings.Enabled says the same when it was read. */
function taskOf(t: Json): ScheduledTask | undefined {
  const name = str(t.TaskName);
  if (name === undefined) return undefined;
  const folder = str(t.TaskPath) ?? '\\';
  const taskPath = `${folder.endsWith('\\') ? folder : `${folder}\\`}${name}`;
  const enabled = bool(t.Enabled) ?? !(t.State === 1 || t.State === 'Disabled');
  const out: ScheduledTask = {
    path: taskPath,
    // Where the Task Scheduler keeps its XML on this system.
    file: `C:\\Windows\\System32\\Tasks${taskPath}`,
    hidden: bool(t.Hidden) ?? false,
    enabled,
    triggers: list(t.Triggers).map((tr) => {
      const repetition = str(tr.Repetition);
      const kind = triggerKind(str(tr.Class));
      return repetition ? { kind, repetition } : { kind };
    }),
    actions: list(t.Actions).map(actionOf),
  };
  const fields = { author: 'Author', description: 'Description', userId: 'UserId' } as const;
  for (const [field, key] of Object.entries(fields) as Array<[keyof typeof fields, string]>) {
    const text = str(t[key]);
    if (text !== undefined) out[field] = text;
  }
  const date = str(t.Date);
  if (date !== undefined) out.date = psDate(date) ?? date;
  const level = runLevel(t.RunLevel);
  if (level !== undefined) out.runLevel = level;
  return out;
}

// ---- WMI subscriptions ----

const MAX_SCRIPT_CHARS = 4000;

function wmiOf(doc: Json): WmiSubscription[] {
  const filters = new Map(list(doc.wmiFilters).map((f) => [str(f.Name) ?? '', str(f.Query)]));
  const bindings = list(doc.wmiBindings);
  const classes: readonly string[] = WMI_CONSUMER_CLASSES;
  return list(doc.wmiConsumers).flatMap((c) => {
    const name = str(c.Name);
    if (name === undefined) return [];
    const cls = str(c.Class) ?? 'other';
    const consumer: WmiSubscription['consumer'] = {
      class: (classes.includes(cls) ? cls : 'other') as WmiSubscription['consumer']['class'],
      name,
    };
    const fields = {
      commandLineTemplate: 'CommandLineTemplate',
      executablePath: 'ExecutablePath',
      scriptingEngine: 'ScriptingEngine',
      scriptFileName: 'ScriptFileName',
    } as const;
    for (const [field, key] of Object.entries(fields) as Array<[keyof typeof fields, string]>) {
      const text = str(c[key]);
      if (text !== undefined) consumer[field] = text;
    }
    const script = str(c.ScriptText);
    if (script !== undefined) consumer.scriptText = script.slice(0, MAX_SCRIPT_CHARS);
    const binding = bindings.find(
      (b) => str(b.Consumer) === name && (str(b.ConsumerClass) === undefined || str(b.ConsumerClass) === cls),
    );
    const filterName = binding ? str(binding.Filter) : undefined;
    const sub: WmiSubscription = {
      source: 'cim',
      file: 'root\\subscription',
      consumer,
      bound: binding !== undefined,
    };
    if (filterName !== undefined) {
      const query = filters.get(filterName);
      sub.filter = query !== undefined ? { name: filterName, query } : { name: filterName };
    }
    const command = consumer.commandLineTemplate ?? consumer.executablePath;
    const decoded: DecodedScript[] = [
      ...(command !== undefined ? decodedOf(command, MAX_SCRIPT_CHARS) : []),
      ...(script !== undefined ? decodedOf(script, MAX_SCRIPT_CHARS) : []),
    ];
    if (decoded.length > 0) sub.decoded = decoded;
    return [sub];
  });
}

// ---- system, host, Defender ----

function hostOf(system: Json | undefined): Host {
  const host: Host = { addresses: [] };
  if (!system) return host;
  const hostname = str(system.ComputerName);
  if (hostname) host.hostname = hostname;
  const version = str(system.Version);
  if (version) host.kernel = version;
  const caption = str(system.Caption);
  const build = str(system.BuildNumber);
  host.distribution = {
    id: 'windows',
    ...(caption ? { name: caption } : {}),
    ...(build ? { version: build } : {}),
  };
  const boot = psDate(system.LastBootUpTime);
  if (boot) host.bootTime = boot;
  const cpus = num(system.NumberOfLogicalProcessors);
  if (cpus !== undefined && Number.isInteger(cpus) && cpus > 0) host.cpuCount = cpus;
  return host;
}

function defenderOf(status: Json | undefined, pref: Json | undefined): DefenderFacts | undefined {
  if (!status && !pref) return undefined;
  const out: DefenderFacts = {
    exclusions: {
      paths: strings(pref?.ExclusionPath),
      processes: strings(pref?.ExclusionProcess),
      extensions: strings(pref?.ExclusionExtension),
      addresses: strings(pref?.ExclusionIpAddress),
    },
  };
  const flags = {
    antivirusEnabled: 'AntivirusEnabled',
    realTimeProtectionEnabled: 'RealTimeProtectionEnabled',
    behaviorMonitorEnabled: 'BehaviorMonitorEnabled',
    tamperProtected: 'IsTamperProtected',
  } as const;
  for (const [field, key] of Object.entries(flags) as Array<[keyof typeof flags, string]>) {
    const b = bool(status?.[key]);
    if (b !== undefined) out[field] = b;
  }
  const updated = psDate(status?.AntivirusSignatureLastUpdated);
  if (updated) out.signaturesUpdated = updated;
  return out;
}

/** The part's list, or undefined when the script could not read it (then its error says why). */
function part<T>(
  doc: Json,
  key: string,
  failed: Set<string>,
  read: (x: Json) => T | T[] | undefined,
): T[] | undefined {
  if (failed.has(key) && (doc[key] === undefined || doc[key] === null)) return undefined;
  return list(doc[key]).flatMap((x) => {
    const r = read(x);
    return r === undefined ? [] : Array.isArray(r) ? r : [r];
  });
}

/** The object a stdout holds: a BOM or a console banner before the JSON is skipped. */
function documentOf(stdout: string): Json {
  const text = stdout.replace(/^\uFEFF/, '');
  const start = text.indexOf('{');
  if (start < 0)
    throw new LiveOutputError(`no JSON object in PowerShell's output: ${text.trim().slice(0, 200)}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text.slice(start));
  } catch (err) {
    throw new LiveOutputError(`PowerShell's output is not JSON: ${(err as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new LiveOutputError("PowerShell's output is not a JSON object");
  return doc as Json;
}

/** Parses the script's stdout. Throws LiveOutputError only when no document can be read at all. */
export function parseLiveOutput(stdout: string): LiveFacts {
  const doc = documentOf(stdout);
  const errors: LivePartError[] = list(doc.errors).map((e) => ({
    part: str(e.part) ?? '?',
    message: str(e.message) ?? 'unknown error',
  }));
  const failed = new Set(errors.map((e) => e.part));
  const system = list(doc.system)[0];
  const processes = part(doc, 'processes', failed, processOf);
  const tcp = part(doc, 'connections', failed, (c) => socketOf(c, false));
  const udp = part(doc, 'udp', failed, (c) => socketOf(c, true)) ?? [];
  const services = part(doc, 'services', failed, serviceOf);
  const drivers = part(doc, 'drivers', failed, serviceOf);
  const tasks = part(doc, 'tasks', failed, taskOf);
  const windows: LiveFacts['windows'] = {};
  if (system) {
    const computerName = str(system.ComputerName);
    const productName = str(system.Caption);
    const currentBuild = str(system.BuildNumber);
    windows.system = {
      ...(computerName ? { computerName } : {}),
      ...(productName ? { productName } : {}),
      ...(currentBuild ? { currentBuild } : {}),
      currentControlSet: 'CurrentControlSet',
      hives: [],
    };
  }
  if (services || drivers) windows.services = [...(services ?? []), ...(drivers ?? [])];
  if (!failed.has('runKeys') || doc.runKeys) windows.autostarts = list(doc.runKeys).flatMap(autostartsOf);
  if (tasks) windows.tasks = tasks;
  if (!failed.has('wmiConsumers')) windows.wmi = wmiOf(doc);
  const out: LiveFacts = { host: hostOf(system), windows, errors };
  if (processes) out.processes = processes;
  if (tcp) out.sockets = [...tcp, ...udp];
  const defender = defenderOf(list(doc.defenderStatus)[0], list(doc.defenderPreference)[0]);
  if (defender) out.defender = defender;
  return out;
}
