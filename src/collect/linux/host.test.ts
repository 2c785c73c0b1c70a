// Tests for host facts and /etc/hosts: fixture roots read exactly, an offline disk's symlinks followed
// inside the disk (not on the analyst's machine), and the live system compared with what Node reports.
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { HostSchema } from '../../snapshot/schema.js';
import { makeContext } from '../context.js';
import { FIXTURE_NOW, fixtureRoot } from '../test-helpers.js';
import { collectHost, collectHostsFile, parseHostsFile, parseOsRelease, sharesOurUts } from './host.js';

describe('parsers', () => {
  it('reads os-release values with and without quotes', () => {
    const kv = parseOsRelease(
      'NAME="Rocky Linux"\nID=rocky\nVERSION_ID=\'9.3\'\n# c\nPRETTY_NAME="A \\"quoted\\" name"\n',
    );
    expect(Object.fromEntries(kv)).toEqual({
      NAME: 'Rocky Linux',
      ID: 'rocky',
      VERSION_ID: '9.3',
      PRETTY_NAME: 'A "quoted" name',
    });
  });

  it('reads hosts lines in order, dropping comments and blank lines', () => {
    expect(
      parseHostsFile('# header\n\n127.0.0.1\tlocalhost\n0.0.0.0 a.example b.example # blocked\nlonely\n'),
    ).toEqual([
      { address: '127.0.0.1', names: ['localhost'] },
      { address: '0.0.0.0', names: ['a.example', 'b.example'] },
    ]);
  });
});

describe('collectHost on fixture roots', () => {
  it('reads every fact of the miner-host copy', async () => {
    const { host, record } = await collectHost(await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW));
    expect(host).toEqual({
      addresses: [],
      hostname: 'web-01',
      kernel: '6.1.0-13-amd64',
      distribution: { id: 'debian', name: 'Debian GNU/Linux', version: '12' },
      bootTime: '2023-11-14T22:13:20.000Z',
      cpuCount: 4,
      loadAverage: [3.98, 3.75, 2.1],
      pidMax: 4194304,
    });
    expect(record).toMatchObject({ collector: 'linux.host', sections: ['host'], status: 'ok', errors: [] });
    expect(record.note).toBeUndefined();
  });

  it('describes an offline disk from its own files, following its absolute symlinks inside the disk', async () => {
    const { host, record } = await collectHost(await makeContext(fixtureRoot('offline-disk'), FIXTURE_NOW));
    // etc/os-release -> /usr/lib/os-release: read on the host it would say "debian" or whatever runs the test.
    expect(host).toEqual({
      addresses: [],
      hostname: 'db-07',
      distribution: {
        id: 'rocky',
        name: 'Rocky Linux',
        version: '9.3',
        idLike: ['rhel', 'centos', 'fedora'],
      },
    });
    expect(() => HostSchema.parse(host)).not.toThrow();
    expect(record.status).toBe('ok');
    expect(record.note).toContain('without proc/');
    expect(record.note).toContain('not available: kernel, bootTime, cpuCount, loadAverage, pidMax');
  });

  it('reads /etc/hosts of the root, including lines a dropper added', async () => {
    const { hostsFile, record } = await collectHostsFile(
      await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW),
    );
    expect(record.status).toBe('ok');
    expect(hostsFile).toEqual([
      { address: '127.0.0.1', names: ['localhost'] },
      { address: '::1', names: ['localhost', 'ip6-localhost', 'ip6-loopback'] },
      { address: '10.0.2.15', names: ['web-01.example.internal', 'web-01'] },
      { address: '127.0.0.1', names: ['xmr.rival-pool.example'] },
      { address: '0.0.0.0', names: ['update.aegis.aliyun.com'] },
    ]);
  });
});

describe('collectHost on the live system', () => {
  it('agrees with what the operating system tells Node', async () => {
    const { host, record } = await collectHost(await makeContext('/', () => new Date()));
    expect(record.status).toBe('ok');
    expect(host.hostname).toBe(os.hostname());
    expect(host.kernel).toBe(os.release());
    expect(host.cpuCount).toBe(os.cpus().length);
    const load = os.loadavg();
    expect(host.loadAverage?.length).toBe(3);
    expect(Math.abs((host.loadAverage?.[2] ?? -1) - (load[2] ?? 0))).toBeLessThan(1);
    const bootMs = Date.parse(host.bootTime ?? '');
    expect(Math.abs(bootMs - (Date.now() - os.uptime() * 1000))).toBeLessThan(5000);
    expect(host.pidMax).toBeGreaterThan(0);
    const nodeAddresses = Object.values(os.networkInterfaces()).flatMap((list) =>
      (list ?? []).map((i) => i.address),
    );
    expect(host.addresses.map((a) => a.address).sort()).toEqual(nodeAddresses.sort());
  });
});

describe('hostname of a node read from a pod (--root /host with the host /proc)', () => {
  it('trusts the kernel hostname only when the target init shares our UTS namespace', async () => {
    const { mkdtemp, mkdir, rm, symlink } = await import('node:fs/promises');
    const path = await import('node:path');
    expect(await sharesOurUts({ live: true, proc: 'live', procDir: '/proc' })).toBe(true);
    expect(await sharesOurUts({ live: false, proc: 'copy', procDir: '/nowhere/proc' })).toBe(true);
    // This machine's own /proc seen as a mounted procfs: as pid 1's namespace says (unreadable
    // counts as "another namespace", so the root's /etc/hostname is preferred).
    const { readlinkSync } = await import('node:fs');
    let same = false;
    try {
      same = readlinkSync('/proc/1/ns/uts') === readlinkSync('/proc/self/ns/uts');
    } catch {
      same = false;
    }
    expect(await sharesOurUts({ live: false, proc: 'live', procDir: '/proc' })).toBe(same);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mh-uts-'));
    try {
      await mkdir(path.join(dir, '1/ns'), { recursive: true });
      await symlink('uts:[1]', path.join(dir, '1/ns/uts'));
      expect(await sharesOurUts({ live: false, proc: 'live', procDir: dir })).toBe(false);
      expect(await sharesOurUts({ live: false, proc: 'live', procDir: path.join(dir, 'missing') })).toBe(
        false,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
