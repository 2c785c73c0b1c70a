// Tests for hidden-directory: empty X11 socket dirs and home tool dirs are clean; "..." with an ELF
// in /tmp and a dot dir with a pool config are high; an empty "usr " in / is low; no section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { dirsWith, suspectDir } from '../../../test/helpers/stealth-builders.js';
import { runDetectors } from '../run.js';
import { hiddenDirectory } from './hidden-directory.js';

const ruleset = await loadRuleset([defaultIocDir()]);

describe('hidden-directory', () => {
  it('clean: an empty /tmp/.X11-unix and ~/.cargo with its tools', () => {
    const snap = makeSnapshot({
      dirs: dirsWith([
        suspectDir({ path: '/tmp/.X11-unix' }),
        suspectDir({
          path: '/root/.cargo',
          place: '/root',
          executables: [{ path: '/root/.cargo/bin/cargo', elf: true, size: 9 }],
        }),
      ]),
    });
    expect(runDetectors(snap, ruleset, [hiddenDirectory])).toEqual({ findings: [], skipped: [] });
  });

  it('findings: "..." holding an ELF, a dot dir holding a pool config, an empty look-alike in /', () => {
    const snap = makeSnapshot({
      dirs: dirsWith([
        suspectDir({
          path: '/tmp/...',
          name: 'dots',
          executables: [{ path: '/tmp/.../kthreadd', elf: true, size: 2048 }],
          entries: 1,
        }),
        suspectDir({
          path: '/home/web/.config-x',
          place: '/home/web',
          minerConfigs: [{ path: '/home/web/.config-x/config.json', match: '"pools":' }],
          entries: 1,
        }),
        suspectDir({ path: '/usr ', place: '/', name: 'lookalike', imitates: '/usr' }),
      ]),
    });
    const { findings } = runDetectors(snap, ruleset, [hiddenDirectory]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const byPath = new Map(
      findings.map((f) => [f.evidence[0]?.type === 'file' ? f.evidence[0].path : '', f]),
    );
    expect(byPath.get('/tmp/...')).toMatchObject({
      level: 'high',
      kind: 'hidden-directory',
      remediate: [{ type: 'quarantine-file', path: '/tmp/.../kthreadd' }],
    });
    expect(byPath.get('/tmp/...')).toMatchObject({
      messageId: 'holds',
      data: { path: '"/tmp/..."', place: '/tmp', name: 'dots', executables: 1, configs: 0 },
    });
    expect(byPath.get('/home/web/.config-x')?.level).toBe('high');
    expect(byPath.get('/home/web/.config-x')?.evidence).toContainEqual({
      type: 'match',
      field: 'content',
      value: '"pools":',
      ioc: 'miner configuration',
    });
    expect(byPath.get('/usr ')?.level).toBe('low');
    expect(byPath.get('/usr ')?.data).toMatchObject({ name: 'lookalike', imitates: '/usr', executables: 0 });
  });

  it('skipped: without the dirs section', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [hiddenDirectory]).skipped).toEqual([
      { ruleId: 'hidden-directory', missing: ['dirs'] },
    ]);
  });
});
