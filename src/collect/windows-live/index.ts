// The collectors of a `windows-live` target (Node running on Windows, pointed at its own system
// drive): one PowerShell run (script.ts) reads processes, connections, services and drivers, Run
// keys, scheduled tasks, WMI subscriptions and Defender's state through CIM; parse.ts turns its JSON
// into the sections the Linux process/network detectors and the offline Windows detectors read.
// Each section gets its own record, so a part PowerShell could not read is `failed` (never clean)
// while the rest is reported. The folder walk of an offline volume is not run on a live system.
import { execFile } from 'node:child_process';
import type { CollectOptions } from '../index.js';
import type { Collector, SnapshotPart } from '../runner.js';
import type { CollectionRecord, Section } from '../../snapshot/schema.js';
import { CollectorLog } from '../support.js';
import { errorMessage } from '../../util/errors.js';
import { liveScript, POWERSHELL_ARGS, type LivePart } from './script.js';
import { parseLiveOutput, type DefenderFacts, type LiveFacts } from './parse.js';

/** Runs the script and hands back its stdout. Injected by tests, which have no PowerShell. */
export type PowerShellRunner = (script: string) => Promise<string>;

export const LIVE_LIMITS = {
  /** A host with tens of thousands of tasks or connections still answers well within this. */
  timeoutMs: 60_000,
  maxBufferBytes: 64 * 1024 * 1024,
};

/**
 * powershell.exe (Windows PowerShell 5.1, present on every supported Windows) with the script on
 * stdin. A non-zero exit with a JSON document on stdout is still read: the parts say what failed.
 */
export const runPowerShell: PowerShellRunner = (script) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      'powershell.exe',
      [...POWERSHELL_ARGS],
      {
        encoding: 'buffer',
        timeout: LIVE_LIMITS.timeoutMs,
        maxBuffer: LIVE_LIMITS.maxBufferBytes,
        windowsHide: true,
      },
      (err, stdout, stderr) => {
        const out = stdout.toString('utf8');
        if (err && !out.includes('{'))
          reject(
            new Error(
              `powershell.exe: ${err.message}${stderr.length > 0 ? `: ${stderr.toString('utf8').trim().slice(0, 300)}` : ''}`,
            ),
          );
        else resolve(out);
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(script, 'utf8');
  });

/** One collector of the live facts: the section(s) it fills, the script parts it reads, its part. */
interface LiveSection {
  id: string;
  sections: Section[];
  parts: LivePart[];
  /** Its part of the snapshot, or undefined when its parts could not be read at all. */
  take: (facts: LiveFacts) => SnapshotPart | undefined;
  note?: (facts: LiveFacts) => string | undefined;
}

/** Defender's state in one line for the record's note (the snapshot has no field for it yet). */
export function defenderNote(d: DefenderFacts | undefined): string | undefined {
  if (!d) return undefined;
  const off = [
    d.antivirusEnabled === false ? 'antivirus off' : undefined,
    d.realTimeProtectionEnabled === false ? 'real-time protection off' : undefined,
    d.behaviorMonitorEnabled === false ? 'behaviour monitoring off' : undefined,
    d.tamperProtected === false ? 'tamper protection off' : undefined,
  ].filter((x) => x !== undefined);
  const ex = d.exclusions;
  const exclusions = [
    ...ex.paths.map((p) => `path ${p}`),
    ...ex.processes.map((p) => `process ${p}`),
    ...ex.extensions.map((p) => `extension ${p}`),
    ...ex.addresses.map((p) => `address ${p}`),
  ];
  const parts = [
    off.length > 0 ? off.join(', ') : 'on',
    exclusions.length > 0 ? `exclusions: ${exclusions.join('; ')}` : 'no exclusions listed',
  ];
  return `Defender: ${parts.join('; ')}`;
}

const LIVE_SECTIONS: LiveSection[] = [
  {
    id: 'windows-live.host',
    sections: ['host'],
    parts: ['system'],
    take: (f) => ({ host: f.host }),
    note: (f) => defenderNote(f.defender),
  },
  {
    id: 'windows-live.processes',
    sections: ['processes'],
    parts: ['processes'],
    take: (f) => (f.processes ? { processes: f.processes } : undefined),
  },
  {
    id: 'windows-live.sockets',
    sections: ['sockets'],
    parts: ['connections', 'udp'],
    take: (f) => (f.sockets ? { sockets: f.sockets } : undefined),
  },
  {
    // Services, drivers, Run keys and the system facts: what the offline path reads from the hives.
    id: 'windows-live.services',
    sections: ['windows-registry'],
    parts: ['services', 'drivers', 'runKeys'],
    take: (f) => {
      const { system, services, autostarts } = f.windows;
      if (!services && !autostarts) return undefined;
      return { windows: { ...(system ? { system } : {}), services, autostarts } };
    },
  },
  {
    id: 'windows-live.tasks',
    sections: ['windows-tasks'],
    parts: ['tasks'],
    take: (f) => (f.windows.tasks ? { windows: { tasks: f.windows.tasks } } : undefined),
  },
  {
    id: 'windows-live.wmi',
    sections: ['windows-wmi'],
    parts: ['wmiFilters', 'wmiConsumers', 'wmiBindings'],
    take: (f) => (f.windows.wmi ? { windows: { wmi: f.windows.wmi } } : undefined),
  },
];

/** The record and part of one section, from the facts (or the reason there are none). */
export function liveResult(
  spec: Pick<LiveSection, 'id' | 'sections' | 'parts' | 'take' | 'note'>,
  facts: LiveFacts | Error,
): { part?: SnapshotPart; records: CollectionRecord[] } {
  const log = new CollectorLog(spec.id, spec.sections);
  if (facts instanceof Error) {
    log.add(undefined, facts);
    return { records: [log.record('failed', 'PowerShell could not be run or printed no JSON')] };
  }
  for (const e of facts.errors)
    if ((spec.parts as string[]).includes(e.part)) log.add(e.part, new Error(e.message));
  const part = spec.take(facts);
  const status = part === undefined ? 'failed' : log.errorCount > 0 ? 'partial' : 'ok';
  return { part, records: [log.record(status, spec.note?.(facts))] };
}

/**
 * The live collectors. The script runs once, when the first of them starts; each one then takes its
 * sections from the same document. `run` is powershell.exe unless a test injects recorded output.
 */
export function windowsLiveCollectors(
  _opts: CollectOptions,
  run: PowerShellRunner = runPowerShell,
): Collector[] {
  let facts: Promise<LiveFacts | Error> | undefined;
  const read = (): Promise<LiveFacts | Error> => {
    facts ??= run(liveScript()).then(
      (stdout) => {
        try {
          return parseLiveOutput(stdout);
        } catch (err) {
          return err instanceof Error ? err : new Error(errorMessage(err));
        }
      },
      (err: unknown) => (err instanceof Error ? err : new Error(errorMessage(err))),
    );
    return facts;
  };
  return LIVE_SECTIONS.map((spec, i) => ({
    id: spec.id,
    sections: spec.sections,
    // One progress line for the one PowerShell run.
    announce: i === 0,
    run: async () => liveResult(spec, await read()),
  }));
}
