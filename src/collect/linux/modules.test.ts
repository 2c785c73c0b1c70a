// Tests for the kernel module collector: a fixture with a module hidden from /proc/modules, a foreign
// tainting one and a DKMS one; its clean twin; and this machine, whose kernel may have no /proc/modules.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeContext } from '../context.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from '../test-helpers.js';
import { collectModules, parseProcModules } from './modules.js';

describe('collectModules', () => {
  it('compares /proc/modules with /sys/module and the module tree', async () => {
    const ctx = await makeContext(path.join(FIXTURE_ROOTS, 'stealth-modules'), FIXTURE_NOW);
    const { modules, record } = await collectModules(ctx);
    expect(record.status).toBe('ok');
    expect(modules).toEqual({
      procModules: true,
      moduleTree: '/lib/modules/6.1.0-28-amd64',
      tainted: 12288,
      modules: [
        { name: 'diamorphine', taints: '', inProcModules: false, inSysModule: true, inTree: false },
        {
          name: 'ext4',
          size: 1015808,
          state: 'Live',
          taints: '',
          inProcModules: true,
          inSysModule: true,
          inTree: true,
        },
        {
          name: 'hidemod',
          size: 16384,
          state: 'Live',
          taints: 'OE',
          inProcModules: true,
          inSysModule: true,
          inTree: false,
        },
        {
          name: 'vboxdrv',
          size: 696320,
          state: 'Live',
          taints: 'OE',
          inProcModules: true,
          inSysModule: true,
          inTree: true,
        },
      ],
    });
  });

  it('clean twin: one in-tree module, untainted; built-in modules without initstate are not "hidden"', async () => {
    const ctx = await makeContext(path.join(FIXTURE_ROOTS, 'stealth-modules-clean'), FIXTURE_NOW);
    const { modules } = await collectModules(ctx);
    expect(modules?.modules.map((m) => m.name)).toEqual(['ext4']);
    expect(modules?.tainted).toBe(0);
  });

  it('this machine: a missing /proc/modules is recorded as not collected, never as "no modules"', async () => {
    const ctx = await makeContext('/', () => new Date());
    const { modules, record } = await collectModules(ctx);
    if (existsSync('/proc/modules')) {
      expect(modules?.procModules).toBe(true);
      expect(record.status === 'ok' || record.status === 'partial').toBe(true);
    } else {
      expect(modules?.procModules).toBe(false);
      expect(record.status).toBe('partial');
      expect(record.errors[0]).toMatchObject({ path: '/proc/modules', code: 'ENOENT' });
      expect(record.errors[0]?.message).toMatch(/^not collected/);
    }
  });

  it('an offline root without proc/ is skipped', async () => {
    const ctx = await makeContext(path.join(FIXTURE_ROOTS, 'offline-disk'), FIXTURE_NOW);
    expect((await collectModules(ctx)).record.status).toBe('skipped');
  });

  it('parses taint letters', () => {
    expect(parseProcModules('a 1 0 - Live 0x0 (OE)\nb 2 1 a, Loading 0x0\n')).toEqual([
      { name: 'a', size: 1, state: 'Live', taints: 'OE' },
      { name: 'b', size: 2, state: 'Loading', taints: '' },
    ]);
  });
});
