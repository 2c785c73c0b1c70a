// Tests for persistence-odd-path: installed programs, ~/.local and ~/.acme.sh never hit; programs in
// /tmp, /dev/shm, blank-named and hidden directories do, through wrappers and `sh script`; without
// the persistence section the detector is skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import type { PersistenceEntry } from '../../snapshot/persistence.js';
import { runDetectors } from '../run.js';
import { cleanPersistence, cron, snapshotWith, unit } from '../../../test/helpers/persistence-builders.js';
import { persistenceOddPath } from './persistence-odd-path.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const run = (...entries: PersistenceEntry[]) =>
  runDetectors(snapshotWith({ persistence: { ...cleanPersistence(), entries } }), ruleset, [
    persistenceOddPath,
  ]).findings;

describe('persistence-odd-path', () => {
  it('clean: finds nothing in the persistence places of a clean server', () => {
    expect(
      runDetectors(snapshotWith({ persistence: cleanPersistence() }), ruleset, [persistenceOddPath]),
    ).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a unit named like a system service running a binary from /dev/shm is high', () => {
    const [f, ...rest] = run(unit('dbus-broker-helper.service', '/dev/shm/.dbus/dbus-daemon --session'));
    expect(rest).toEqual([]);
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      ruleId: 'persistence-odd-path',
      level: 'high',
      messageId: 'runsFromOddPlace',
      data: {
        place: 'systemd',
        unit: 'dbus-broker-helper.service',
        user: 'root',
        path: '/dev/shm/.dbus/dbus-daemon',
        where: { en: '/dev/shm, shared memory that lives only in RAM' },
      },
      message: {
        en: 'systemd unit dbus-broker-helper.service (ExecStart) (root) runs /dev/shm/.dbus/dbus-daemon from /dev/shm, shared memory that lives only in RAM',
      },
      remediate: [
        {
          type: 'disable-unit',
          unit: 'dbus-broker-helper.service',
          path: '/etc/systemd/system/dbus-broker-helper.service',
        },
      ],
    });
  });

  it('findings: odd places through wrappers and interpreters; hidden directories are medium', () => {
    const findings = run(
      cron('nohup /tmp/.X11-unix/.rsync/kswapd0 >/dev/null 2>&1 &', { line: 1 }),
      cron('sh /var/tmp/.ldr.sh', { line: 2 }),
      cron('sudo -u www-data setsid /usr/lib/.../x', { line: 3 }),
      cron('/home/alice/.cache/.x/kthreadd -q', { line: 4 }),
      cron('/opt/app/.hidden-run', { line: 5 }),
      // Not odd: installed programs and tool-chain dot-directories; /tmp as an argument only.
      cron('/usr/bin/find /tmp -mtime +7 -delete', { line: 10 }),
      cron('/home/alice/.local/bin/sync', { line: 11 }),
      cron('/root/.acme.sh/acme.sh --cron', { line: 12 }),
    );
    const rows = findings.map((f) => {
      const where = f.data?.where;
      return [f.data?.line, f.level, f.messageId, f.data?.path, typeof where === 'object' ? where.en : where];
    });
    expect(rows.sort()).toEqual([
      [
        1,
        'high',
        'runsFromOddPlace',
        '/tmp/.X11-unix/.rsync/kswapd0',
        '/tmp, a world-writable temporary directory',
      ],
      [2, 'high', 'runsFromOddPlace', '/var/tmp/.ldr.sh', '/var/tmp, a world-writable temporary directory'],
      [3, 'high', 'runsFromOddPlace', '/usr/lib/.../x', 'a directory with a blank or dots-only name'],
      [4, 'medium', 'runsFromOddPlace', '/home/alice/.cache/.x/kthreadd', 'a hidden directory (.x)'],
      [5, 'medium', 'runsFromOddPlace', '/opt/app/.hidden-run', 'a hidden file'],
    ]);
    for (const f of findings) expect(f.data).toMatchObject({ file: '/etc/cron.d/job', user: 'root' });
  });

  it('skipped: without the persistence section the detector is skipped, not clean', () => {
    expect(runDetectors(snapshotWith({}), ruleset, [persistenceOddPath]).skipped).toEqual([
      { ruleId: 'persistence-odd-path', missing: ['persistence'] },
    ]);
  });
});
