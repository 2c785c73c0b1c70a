// Tests for the odd-directory collector on fixture roots ("...", a blank name, a dot dir with a pool
// config, "usr " beside /usr) and their clean twin, and for the name classifier.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeContext } from '../context.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from '../test-helpers.js';
import { classifyName, collectDirs } from './dirs.js';

describe('collectDirs', () => {
  it('finds the hiding places and what they hold', async () => {
    const ctx = await makeContext(path.join(FIXTURE_ROOTS, 'stealth-hidden-dir'), FIXTURE_NOW);
    const { dirs, record } = await collectDirs(ctx);
    expect(record.status).toBe('ok');
    const short = dirs?.suspects.map((d) => ({
      path: d.path,
      name: d.name,
      exe: d.executables.map((e) => `${e.path}${e.elf ? ' (elf)' : ''}`),
      configs: d.minerConfigs.map((c) => c.path),
    }));
    expect(short).toEqual([
      { path: '/dev/shm/ ', name: 'blank', exe: ['/dev/shm/ /run.sh'], configs: ['/dev/shm/ /run.sh'] },
      { path: '/home/alice/.config-x', name: 'dot', exe: [], configs: ['/home/alice/.config-x/c.json'] },
      { path: '/tmp/...', name: 'dots', exe: ['/tmp/.../kthreadd (elf)'], configs: [] },
      { path: '/tmp/.X11-unix', name: 'dot', exe: [], configs: [] },
      { path: '/usr ', name: 'lookalike', exe: [], configs: [] },
      { path: '/var/tmp/.cache', name: 'dot', exe: [], configs: ['/var/tmp/.cache/config.json'] },
    ]);
    expect(dirs?.suspects.find((d) => d.path === '/usr ')?.imitates).toBe('/usr');
  });

  it('clean twin: only ordinary dot directories, holding nothing miner-like', async () => {
    const ctx = await makeContext(path.join(FIXTURE_ROOTS, 'stealth-hidden-dir-clean'), FIXTURE_NOW);
    const { dirs } = await collectDirs(ctx);
    expect(dirs?.suspects.map((d) => d.path)).toEqual(['/home/alice/.cargo', '/tmp/.X11-unix']);
    expect(dirs?.suspects.flatMap((d) => d.minerConfigs)).toEqual([]);
  });

  it('classifies names', () => {
    expect(classifyName('...', '/tmp')).toEqual({ name: 'dots' });
    expect(classifyName(' ', '/var/tmp')).toEqual({ name: 'blank' });
    expect(classifyName('.ICE-unix', '/tmp')).toEqual({ name: 'dot' });
    expect(classifyName('systemd', '/tmp')).toEqual({ name: 'lookalike', imitates: 'systemd' });
    expect(classifyName('systemd', '/run')).toBeUndefined();
    expect(classifyName('lib64 ', '/')).toEqual({ name: 'lookalike', imitates: '/lib64' });
    expect(classifyName('usr', '/')).toBeUndefined();
    expect(classifyName('build-42', '/tmp')).toBeUndefined();
  });
});
