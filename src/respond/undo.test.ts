// apply then undo on a temporary root, for every file-changing action: a systemd unit (disabled, its
// wants/ link removed, its file quarantined), one authorized_keys line behind chattr +i, one library in
// /etc/ld.so.preload, a pool name sinkholed in /etc/hosts. Undo restores every byte, mode, the link
// and the immutable attribute; a file changed after respond is left alone and reported.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import { applyPlan } from './apply.js';
import { buildPlan } from './plan.js';
import { undoJournal } from './undo.js';
import { readJournal } from './journal.js';

let dir: string;
let root: string;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const KEY_BAD = 'ssh-rsa AAAAB3NzaBADKEY attacker@evil';
const KEY_GOOD = 'ssh-ed25519 AAAAC3NzaGOODKEY admin@corp';

const attrs = (f: string): string => execFileSync('lsattr', ['-d', f]).toString().split(/\s+/)[0] ?? '';

async function layout(): Promise<Record<string, Buffer>> {
  await mkdir(path.join(root, 'etc/systemd/system/multi-user.target.wants'), { recursive: true });
  await mkdir(path.join(root, 'root/.ssh'), { recursive: true });
  await writeFile(
    path.join(root, 'etc/systemd/system/kworker.service'),
    '[Service]\nExecStart=/tmp/.x/kworker\n',
    { mode: 0o644 },
  );
  await symlink(
    '/etc/systemd/system/kworker.service',
    path.join(root, 'etc/systemd/system/multi-user.target.wants/kworker.service'),
  );
  await writeFile(path.join(root, 'root/.ssh/authorized_keys'), `${KEY_GOOD}\n${KEY_BAD}\n`, { mode: 0o600 });
  await writeFile(path.join(root, 'etc/ld.so.preload'), '/usr/local/lib/libhide.so\n', { mode: 0o644 });
  await writeFile(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n', { mode: 0o644 });
  execFileSync('chattr', ['+i', path.join(root, 'root/.ssh/authorized_keys')]);
  const out: Record<string, Buffer> = {};
  for (const f of [
    'etc/systemd/system/kworker.service',
    'root/.ssh/authorized_keys',
    'etc/ld.so.preload',
    'etc/hosts',
  ])
    out[f] = await readFile(path.join(root, f));
  return out;
}

const finding: Finding = {
  ruleId: 'persistence-test',
  category: 'persistence',
  level: 'high',
  title: { en: 't', 'zh-CN': 't' },
  message: { en: 'm', 'zh-CN': 'm' },
  evidence: [],
  tags: [],
  verify: { en: 'v', 'zh-CN': 'v' },
  remediate: [
    { type: 'disable-unit', unit: 'kworker.service', path: '/etc/systemd/system/kworker.service' },
    { type: 'remove-authorized-key', path: '/root/.ssh/authorized_keys', line: KEY_BAD },
    { type: 'restore-ld-preload', path: '/etc/ld.so.preload', remove: ['/usr/local/lib/libhide.so'] },
    { type: 'block-address', address: '203.0.113.7', domain: 'pool.example.org' },
  ],
  fingerprint: 'fp-1',
  signals: [],
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-undo-'));
  root = path.join(dir, 'root');
  await mkdir(path.join(dir, 'out'));
});
afterEach(async () => {
  try {
    execFileSync('chattr', ['-i', path.join(root, 'root/.ssh/authorized_keys')]);
  } catch {
    // already gone or not immutable
  }
  await rm(dir, { recursive: true, force: true });
});

async function apply() {
  const plan = buildPlan([finding], { live: false });
  return applyPlan(plan.steps, {
    root,
    live: false,
    outDir: path.join(dir, 'out'),
    password: 'infected',
    zipCrypto: true,
    toolVersion: '0.0.0-test',
    now: () => new Date(),
    rescan: async () => ({ findings: 0, serious: 0 }),
  });
}

describe('apply and undo on a temporary root', () => {
  it('changes exactly what the plan says and undo restores every byte, link and attribute', async () => {
    const original = await layout();
    const result = await apply();
    expect(result.steps.filter((s) => s.status === 'failed').map((s) => s.message)).toEqual([]);
    expect(result.manifest!.encryption).toBe('zipcrypto');

    expect(
      lstatSync(path.join(root, 'etc/systemd/system/kworker.service'), { throwIfNoEntry: false }),
    ).toBeUndefined();
    expect(
      lstatSync(path.join(root, 'etc/systemd/system/multi-user.target.wants/kworker.service'), {
        throwIfNoEntry: false,
      }),
    ).toBeUndefined();
    expect(await readFile(path.join(root, 'root/.ssh/authorized_keys'), 'utf8')).toBe(`${KEY_GOOD}\n`);
    expect(lstatSync(path.join(root, 'etc/ld.so.preload'), { throwIfNoEntry: false })).toBeUndefined();
    expect(await readFile(path.join(root, 'etc/hosts'), 'utf8')).toBe(
      '127.0.0.1 localhost\n0.0.0.0 pool.example.org # minehunter sinkhole\n',
    );

    const { steps } = await readJournal(result.journal);
    const keyStep = steps.find((s) => s.action?.type === 'remove-authorized-key')!;
    expect(keyStep.files[0]!.clearedAttributes).toBe('i');
    expect(keyStep.files[0]!.before).toBe(sha(original['root/.ssh/authorized_keys']!));

    const outcomes = await undoJournal(result.journal, { password: 'infected', force: false });
    expect(outcomes.filter((o) => o.status !== 'restored')).toEqual([]);
    for (const [f, bytes] of Object.entries(original))
      expect(sha(await readFile(path.join(root, f))), f).toBe(sha(bytes));
    expect(lstatSync(path.join(root, 'root/.ssh/authorized_keys')).mode & 0o777).toBe(0o600);
    expect(attrs(path.join(root, 'root/.ssh/authorized_keys'))).toContain('i');
    expect(
      await readlink(path.join(root, 'etc/systemd/system/multi-user.target.wants/kworker.service')),
    ).toBe('/etc/systemd/system/kworker.service');
  });

  it('leaves a file that changed after respond alone and says so', async () => {
    await layout();
    const result = await apply();
    await writeFile(path.join(root, 'etc/hosts'), '127.0.0.1 localhost\n10.0.0.1 edited-later\n');
    const outcomes = await undoJournal(result.journal, { password: 'infected', force: false });
    const hosts = outcomes.find((o) => o.what === '/etc/hosts')!;
    expect(hosts.status).toBe('conflict');
    expect(await readFile(path.join(root, 'etc/hosts'), 'utf8')).toContain('edited-later');
  });

  it('refuses to edit a file whose line is gone, and a wrong password cannot undo', async () => {
    await layout();
    execFileSync('chattr', ['-i', path.join(root, 'root/.ssh/authorized_keys')]);
    await writeFile(path.join(root, 'root/.ssh/authorized_keys'), `${KEY_GOOD}\n`);
    const result = await apply();
    const keyStep = result.steps.find((s) => s.action?.type === 'remove-authorized-key')!;
    expect(keyStep.status).toBe('failed');
    expect(keyStep.message).toContain('no longer holds');
    await expect(undoJournal(result.journal, { password: 'wrong', force: false })).rejects.toThrow();
  });
});
