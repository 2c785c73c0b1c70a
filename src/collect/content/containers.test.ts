// The content scan of running containers' roots: offline through the merged overlay directory (the
// container-node fixture), live through /proc/PID/root (this test process's own link stands in for a
// container's: the walk must go down it although its host path is under /proc). Paths are shown as
// `<container>:/path`; a container's executable is never looked up among the host's files.
import { cp, mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAllRules, scanContent } from '../../engine/content-scan.js';
import { collectSnapshot } from '../index.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from '../test-helpers.js';
import type { ContentCollectOptions } from './index.js';
import { acquireHostLock } from '../../../test/helpers/host-lock.js';

const FIXTURE = path.join(FIXTURE_ROOTS, 'container-node');
const XMRIG_CONFIG = JSON.stringify({
  background: true,
  'donate-level': 1,
  randomx: { '1gb-pages': false },
  pools: [{ url: 'stratum+tcp://127.0.0.1:3333', user: '4AMinehunterTestWa11et', pass: 'x' }],
});

const content: ContentCollectOptions = {
  enabled: true,
  scope: 'default',
  paths: [],
  userRuleDirs: [],
  crossFs: false,
  memory: false,
  outputRegistry: new Map(),
};

describe('content scan of containers on an offline node disk', () => {
  // A copy outside the checkout: the scan leaves minehunter's own tree (and so its fixtures) out.
  let NODE: string;
  // The copy holds a miner's config under /tmp: tests that scan this host must not see it, so it
  // exists only while the host lock is held (as look-alike processes do).
  let release: () => Promise<void>;
  beforeAll(async () => {
    release = await acquireHostLock();
    NODE = path.join(await mkdtemp(path.join(os.tmpdir(), 'mh-container-node-')), 'root');
    await cp(FIXTURE, NODE, { recursive: true, verbatimSymlinks: true });
  }, 200_000);
  afterAll(async () => {
    await rm(path.dirname(NODE), { recursive: true, force: true });
    await release?.();
  });

  it('walks a container’s merged directory and shows its files under its name', async () => {
    const snap = await collectSnapshot({ root: NODE, now: FIXTURE_NOW, toolVersion: '9.9.9', content });
    const c = snap.content!;
    // Only the default places the container has, each once, after the host's own.
    expect(c.roots.filter((r) => r.startsWith('web:'))).toEqual(['web:/tmp', 'web:/etc']);
    const config = c.files.find((f) => f.path === 'web:/tmp/.ice/config.json');
    expect(config?.matches.map((m) => m.rule)).toEqual(
      expect.arrayContaining(['MH_Config_XMRig_JSON', 'MH_Config_XMRig_Stealth']),
    );
    // The merged dir is not also reported as a host path of the disk.
    expect(c.files.some((f) => f.path.includes('/overlay2/'))).toBe(false);
    // Container executables are not in their (empty or absent) roots: none is taken from the host's files.
    expect(c.files.map((f) => f.path).filter((p) => /worker|redis-server|\/app\/api/.test(p))).toEqual([]);
    expect(snap.collection.find((r) => r.collector === 'content.scan')?.status).toBe('ok');
  });

  it('scan --path looks for no containers', async () => {
    const snap = await collectSnapshot({
      root: NODE,
      now: FIXTURE_NOW,
      toolVersion: '9.9.9',
      scope: 'paths',
      content: { ...content, scope: 'paths', paths: [path.join(NODE, 'etc')] },
    });
    expect(snap.collection.map((r) => r.collector)).not.toContain('linux.containers');
    expect(snap.content?.roots.some((r) => r.includes(':/'))).toBe(false);
  });
});

describe('labelled roots through /proc/PID/root', () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('walks down a /proc/PID/root link and labels what it finds', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mh-labelled-root-'));
    await mkdir(path.join(dir, 'sub', 'deeper'), { recursive: true });
    await writeFile(path.join(dir, 'sub', 'deeper', 'config.json'), XMRIG_CONFIG);
    const root = `/proc/${process.pid}/root`;
    const { content: c } = await scanContent(
      {
        scope: 'default',
        roots: [],
        labelledRoots: [{ label: 'box', root, dirs: [path.join(root, dir)] }],
        oneFileSystem: true,
        maxFileSize: 1024 * 1024,
        exclude: [],
        workers: 1,
      },
      compileAllRules(),
    );
    expect(c.roots).toEqual([`box:${dir}`]);
    expect(c.files.map((f) => f.path)).toEqual([`box:${dir}/sub/deeper/config.json`]);
    expect(c.files[0]?.matches.length).toBeGreaterThan(0);
  });
});
