// Tests for the live-Windows parser and collectors, against recorded PowerShell 5.1 output (the CI
// has no Windows): the infected recording (a miner from Users\Public talking to port 4444, a hidden
// SYSTEM task running encoded PowerShell, a WMI CommandLineEventConsumer) gives those findings
// through the same detectors as Linux processes and offline volumes; the clean twin gives nothing at
// medium or above; PowerShell's quirks (a lone object for a list, /Date()/ dates, enum numbers,
// nulls, a BOM) are absorbed; a failed part or a failed run is a failed record, never a crash.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema, levelRank } from '../../model/finding.js';
import { SnapshotSchema, type Snapshot } from '../../snapshot/schema.js';
import { runDetectors } from '../../detect/run.js';
import { runCollectors } from '../runner.js';
import type { CollectContext } from '../context.js';
import type { CollectOptions } from '../index.js';
import { isLiveWindowsRoot } from '../../target/recognize.js';
import { LiveOutputError, parseLiveOutput, psDate } from './parse.js';
import { defenderNote, windowsLiveCollectors, type PowerShellRunner } from './index.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const recording = (name: 'infected' | 'clean'): string =>
  readFileSync(new URL(`../../../test/fixtures/windows-live/${name}.json`, import.meta.url), 'utf8');

/** The snapshot `collect` assembles from the live collectors, with PowerShell replaced by `run`. */
async function liveSnapshot(run: PowerShellRunner): Promise<Snapshot> {
  // The live collectors read only PowerShell's output, never the context.
  const ctx = {} as CollectContext;
  const { part, collection } = await runCollectors(ctx, windowsLiveCollectors({} as CollectOptions, run));
  const { host, ...sections } = part;
  return SnapshotSchema.parse({
    schemaVersion: 1,
    tool: { name: 'minehunter', version: '0.0.0-test' },
    collectedAt: '2025-12-03T09:00:00.000Z',
    target: { kind: 'windows-live', root: 'C:\\', live: true },
    host: host ?? { addresses: [] },
    collection,
    ...sections,
  });
}

describe('parseLiveOutput', () => {
  const facts = parseLiveOutput(recording('infected'));

  it('reads processes as the process detectors expect them: Windows argv split, no Idle, kernel processes marked', () => {
    const byPid = new Map(facts.processes!.map((p) => [p.pid, p]));
    expect(byPid.has(0)).toBe(false);
    expect(byPid.get(4)).toMatchObject({ comm: 'System', kernelThread: true, argv: [] });
    expect(byPid.get(6212)).toMatchObject({
      ppid: 1012,
      comm: 'svchost.exe',
      exe: 'C:\\Users\\Public\\svchost.exe',
      argv: [
        'C:\\Users\\Public\\svchost.exe',
        '-o',
        'pool.minexmr.com:4444',
        '-p',
        'x',
        '--donate-level',
        '1',
      ],
      startTime: '2025-12-02T09:00:00.000Z',
      cpuTimeSec: 36100,
      kernelThread: false,
    });
    // Quoted program path: the quotes go, the spaces stay in one argument.
    expect(byPid.get(5128)!.argv).toEqual([
      'C:\\Users\\alice\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe',
      '/background',
    ]);
    // A protected process: PowerShell prints null for what it cannot read.
    expect(byPid.get(3880)).toMatchObject({
      comm: 'MsMpEng.exe',
      argv: [],
      readErrors: ['CommandLine: not readable'],
    });
    expect(byPid.get(3880)!.exe).toBeUndefined();
  });

  it('reads connections with their owning process and the TCP state enum as Linux state names', () => {
    const sockets = facts.sockets!;
    expect(sockets).toContainEqual({
      protocol: 'tcp',
      localAddress: '192.168.1.50',
      localPort: 50123,
      remoteAddress: '203.0.113.9',
      remotePort: 4444,
      state: 'ESTABLISHED',
      inode: 0,
      pids: [6212],
    });
    expect(sockets.find((s) => s.localPort === 445)).toMatchObject({
      protocol: 'tcp6',
      state: 'LISTEN',
      pids: [4],
    });
    expect(sockets.find((s) => s.state === 'TIME_WAIT')!.pids).toEqual([]);
    // `udp` was printed as a lone object, not a list.
    expect(sockets.filter((s) => s.protocol === 'udp')).toEqual([
      expect.objectContaining({ localPort: 5353, state: 'UNCONN', pids: [1396] }),
    ]);
  });

  it('reads services, drivers, Run keys, tasks and WMI in the offline collectors’ shapes', () => {
    const w = facts.windows;
    expect(w.system).toEqual({
      computerName: 'WS-FIN-07',
      productName: 'Microsoft Windows 10 Pro',
      currentBuild: '19045',
      currentControlSet: 'CurrentControlSet',
      hives: [],
    });
    expect(w.services!.find((s) => s.name === 'Dnscache')).toMatchObject({
      key: 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\Dnscache',
      type: 'share-process',
      typeValue: 0x20,
      start: 'auto',
      startValue: 2,
      serviceDll: '%SystemRoot%\\System32\\dnsrslvr.dll',
      objectName: 'NT AUTHORITY\\NetworkService',
    });
    expect(w.services!.find((s) => s.name === 'ACPI')).toMatchObject({
      type: 'kernel-driver',
      start: 'boot',
    });
    expect(w.autostarts!.map((a) => `${a.place} ${a.hive} ${a.value}`)).toEqual([
      'run HKLM SecurityHealth',
      'winlogon-shell HKLM Shell',
      'winlogon-userinit HKLM Userinit',
      'run HKCU OneDrive',
    ]);
    expect(w.autostarts![3]).toMatchObject({
      key: 'HKCU\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run',
      user: 'alice',
    });
    const task = w.tasks!.find((t) => t.path === '\\Microsoft\\Windows\\UpdateOrchestrator\\Refresh')!;
    expect(task).toMatchObject({
      hidden: true,
      enabled: true,
      userId: 'SYSTEM',
      runLevel: 'HighestAvailable',
    });
    expect(task.triggers).toEqual([{ kind: 'boot' }]);
    expect(task.actions[0]!.decoded![0]!.text).toContain('DownloadFile');
    // A lone trigger object, a COM handler printed as one object instead of a list.
    const oneDrive = w.tasks!.find((t) => t.path.startsWith('\\OneDrive'))!;
    expect(oneDrive.triggers).toEqual([{ kind: 'calendar', repetition: 'PT24H' }]);
    expect(w.tasks!.find((t) => t.path.endsWith('CreateObjectTask'))!.actions).toEqual([
      { type: 'com', classId: '{8D8F9E2F-F1A2-4BE4-9F0D-0A7C1E3FF3D2}' },
    ]);
    const wmi = w.wmi!.find((s) => s.consumer.name === 'SysUpdConsumer')!;
    expect(wmi).toMatchObject({
      source: 'cim',
      bound: true,
      consumer: { class: 'CommandLineEventConsumer' },
      filter: {
        name: 'SysUpdFilter',
        query: expect.stringContaining("ISA 'Win32_PerfFormattedData_PerfOS_System'"),
      },
    });
  });

  it('reads the host and Defender: caption and build, boot time, real-time protection off, an exclusion', () => {
    expect(facts.host).toEqual({
      hostname: 'WS-FIN-07',
      kernel: '10.0.19045',
      distribution: { id: 'windows', name: 'Microsoft Windows 10 Pro', version: '19045' },
      bootTime: '2025-12-02T08:00:00.000Z',
      cpuCount: 8,
      addresses: [],
    });
    expect(defenderNote(facts.defender)).toBe(
      'Defender: real-time protection off, behaviour monitoring off; exclusions: path C:\\Users\\Public',
    );
  });

  it('reads the dates PowerShell prints: /Date(ms)/ with or without offset, ISO, DMTF, a {value} wrapper', () => {
    expect(psDate('/Date(1764662400000)/')).toBe('2025-12-02T08:00:00.000Z');
    expect(psDate('/Date(1764662400000+0100)/')).toBe('2025-12-02T08:00:00.000Z');
    expect(psDate('2025-12-02T09:00:00+01:00')).toBe('2025-12-02T08:00:00.000Z');
    expect(psDate('20251202090000.000000+060')).toBe('2025-12-02T08:00:00.000Z');
    expect(psDate({ value: '/Date(0)/', DisplayHint: 2 })).toBe('1970-01-01T00:00:00.000Z');
    expect(psDate('yesterday')).toBeUndefined();
    expect(psDate(null)).toBeUndefined();
  });

  it('keeps a part PowerShell could not read out, and refuses output that holds no JSON object', () => {
    const part = parseLiveOutput(
      JSON.stringify({ errors: { part: 'processes', message: 'Access denied' }, connections: [] }),
    );
    expect(part.processes).toBeUndefined();
    expect(part.sockets).toEqual([]);
    expect(part.errors).toEqual([{ part: 'processes', message: 'Access denied' }]);
    expect(() => parseLiveOutput('powershell.exe : The term is not recognized')).toThrow(LiveOutputError);
    expect(() => parseLiveOutput('{"processes": [')).toThrow(LiveOutputError);
    expect(() => parseLiveOutput('')).toThrow(LiveOutputError);
  });

  it('skips items of the wrong shape instead of failing', () => {
    const odd = parseLiveOutput(
      JSON.stringify({
        processes: [null, 7, 'x', { ProcessId: 'abc' }, { ProcessId: -3 }, { ProcessId: 9, Name: 'a.exe' }],
        connections: [{ LocalAddress: '0.0.0.0', LocalPort: 99999 }, { LocalPort: 1 }],
        tasks: [{ TaskPath: '\\' }, { TaskName: 'n', Actions: [{ Class: 'MSFT_TaskAction' }] }],
        runKeys: [{ Key: 'HKLM:\\SOFTWARE\\Elsewhere', Values: [{ Name: 'a', Data: 'b' }] }],
        wmiConsumers: [{ Class: 'FancyConsumer', Name: 'f' }],
      }),
    );
    expect(odd.processes!.map((p) => p.pid)).toEqual([9]);
    expect(odd.sockets).toEqual([]);
    expect(odd.windows.tasks).toEqual([
      expect.objectContaining({ path: '\\n', actions: [{ type: 'other' }], enabled: true, hidden: false }),
    ]);
    expect(odd.windows.autostarts).toEqual([]);
    expect(odd.windows.wmi).toEqual([
      expect.objectContaining({ consumer: { class: 'other', name: 'f' }, bound: false }),
    ]);
  });
});

describe('windows-live collectors and the detectors', () => {
  it('infected recording: the miner process and its pool connection, the encoded task, the WMI consumer', async () => {
    const snapshot = await liveSnapshot(() => Promise.resolve(recording('infected')));
    expect(snapshot.collection.map((r) => `${r.collector} ${r.status}`)).toEqual([
      'windows-live.host ok',
      'windows-live.processes ok',
      'windows-live.sockets ok',
      'windows-live.services ok',
      'windows-live.tasks ok',
      'windows-live.wmi ok',
    ]);
    const { findings } = runDetectors(snapshot, ruleset);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const summary = findings.map((f) => `${f.level} ${f.signals.map((s) => s.ruleId).join('+')}`);
    expect(summary).toEqual([
      'critical miner-command-line+pool-connection',
      'critical windows-scheduled-task',
      'critical windows-wmi-subscription',
    ]);
    const miner = findings[0]!;
    expect(miner.data).toMatchObject({ pid: 6212 });
    expect(miner.evidence).toContainEqual(expect.objectContaining({ value: 'pool.minexmr.com' }));
    expect(JSON.stringify(miner.evidence)).toContain('203.0.113.9');
    expect(findings[1]!.data).toMatchObject({ task: '\\Microsoft\\Windows\\UpdateOrchestrator\\Refresh' });
    expect(findings[2]!.data).toMatchObject({ consumer: 'SysUpdConsumer', bound: 'yes' });
  });

  it('clean recording: nothing at medium or above; the parts PowerShell failed are recorded', async () => {
    const snapshot = await liveSnapshot(() => Promise.resolve(recording('clean')));
    const { findings, skipped } = runDetectors(snapshot, ruleset);
    expect(findings.filter((f) => levelRank(f.level) >= levelRank('medium'))).toEqual([]);
    // Every process, network and Windows detector ran.
    for (const id of [
      'miner-command-line',
      'pool-connection',
      'windows-scheduled-task',
      'windows-wmi-subscription',
    ])
      expect(skipped.map((s) => s.ruleId)).not.toContain(id);
    const sockets = snapshot.collection.find((r) => r.collector === 'windows-live.sockets')!;
    expect(sockets).toMatchObject({
      status: 'partial',
      errors: [{ path: 'udp', message: expect.stringContaining('Get-NetUDPEndpoint') }],
    });
    expect(snapshot.sockets).toHaveLength(1);
    expect(snapshot.collection.find((r) => r.collector === 'windows-live.host')!.note).toBe(
      'Defender: on; no exclusions listed',
    );
  });

  it('PowerShell missing or printing no JSON: every section failed with the reason, no crash', async () => {
    for (const run of [
      () => Promise.reject(new Error('spawn powershell.exe ENOENT')),
      () => Promise.resolve('Windows PowerShell\r\nCopyright (C) Microsoft Corporation.\r\n'),
    ] satisfies PowerShellRunner[]) {
      const snapshot = await liveSnapshot(run);
      expect(snapshot.collection.map((r) => r.status)).toEqual(Array(6).fill('failed'));
      expect(snapshot.processes).toBeUndefined();
      expect(snapshot.windows).toBeUndefined();
      expect(snapshot.collection[0]!.errors[0]!.message).toMatch(/ENOENT|no JSON object/);
    }
  });

  it('runs PowerShell once for all the sections', async () => {
    let runs = 0;
    await liveSnapshot(() => {
      runs++;
      return Promise.resolve(recording('clean'));
    });
    expect(runs).toBe(1);
  });
});

describe('isLiveWindowsRoot', () => {
  it('is the system drive when minehunter runs on Windows, never on Linux', () => {
    expect(isLiveWindowsRoot('C:\\', 'win32', 'C:')).toBe(true);
    expect(isLiveWindowsRoot('c:\\', 'win32', 'C:')).toBe(true);
    expect(isLiveWindowsRoot('D:\\', 'win32', 'C:')).toBe(false);
    expect(isLiveWindowsRoot('C:\\mnt\\copy', 'win32', 'C:')).toBe(false);
    expect(isLiveWindowsRoot('/', 'linux', 'C:')).toBe(false);
  });
});
