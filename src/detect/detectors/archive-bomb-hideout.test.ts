// Tests for archive-bomb-hideout: bomb entries in /tmp, /dev/shm, a web root or a home directory are
// one low finding per archive (entries listed, the archive quarantined); the same bomb in /srv/data,
// other skips in /tmp, or a running container's file without a host action, are as expected; without
// a content section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeContent, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { runDetectors } from '../run.js';
import { archiveBombHideout, hideoutOf } from './archive-bomb-hideout.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const DETAIL = '943718400 bytes from 917260 (ratio 1029:1)';
const bomb = (path: string) => ({ path, reason: 'archive-bomb', detail: DETAIL });

describe('archive-bomb-hideout', () => {
  it('clean: a bomb in /srv/data or /opt, and other skips in /tmp, are no finding', () => {
    const snap = makeSnapshot({
      content: makeContent({
        skipped: [
          bomb('/srv/data/backup.zip!zeros.bin'),
          bomb('/opt/app/fixtures.tar.gz!big'),
          {
            path: '/tmp/x.zip!big.iso',
            reason: 'too-large',
            detail: '90000000 bytes > entry limit 67108864',
          },
          { path: '/tmp/y.zip', reason: 'archive-corrupt', detail: 'no zip end record' },
        ],
      }),
    });
    expect(runDetectors(snap, ruleset, [archiveBombHideout])).toEqual({ findings: [], skipped: [] });
    expect(hideoutOf('/srv/www/site/a.zip')).toBeDefined();
    expect(hideoutOf('/srv/data/a.zip')).toBeUndefined();
  });

  it('findings: one low finding per archive in a hideout, its bomb entries listed, the archive quarantined', () => {
    const snap = makeSnapshot({
      content: makeContent({
        skipped: [
          bomb('/tmp/.x/drop.zip!zeros.bin'),
          bomb('/tmp/.x/drop.zip!inner.zip!more-zeros'),
          bomb('/var/www/html/up/site.tar.gz!a'),
          bomb('/home/ann/dl.gz'),
          bomb('web-1:/dev/shm/k.zip!z'),
        ],
      }),
    });
    const { findings } = runDetectors(snap, ruleset, [archiveBombHideout]);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const byPath = new Map(findings.map((f) => [f.data?.path, f]));
    expect([...byPath.keys()].sort()).toEqual([
      '/home/ann/dl.gz',
      '/tmp/.x/drop.zip',
      '/var/www/html/up/site.tar.gz',
      'web-1:/dev/shm/k.zip',
    ]);
    const drop = byPath.get('/tmp/.x/drop.zip');
    expect(drop).toMatchObject({
      ruleId: 'archive-bomb-hideout',
      level: 'low',
      messageId: 'bombInHideout',
      remediate: [{ type: 'quarantine-file', path: '/tmp/.x/drop.zip' }],
      data: { entries: { en: 'zeros.bin, inner.zip!more-zeros' }, detail: DETAIL },
    });
    expect(drop?.evidence).toContainEqual({
      type: 'match',
      field: 'archive bomb',
      value: '/tmp/.x/drop.zip!zeros.bin',
      ioc: 'content scan skip: archive-bomb',
    });
    expect(drop?.kind).toBeUndefined();
    expect(byPath.get('/var/www/html/up/site.tar.gz')?.message.en).toContain('in a web root');
    expect(byPath.get('/home/ann/dl.gz')?.message['zh-CN']).toContain('整个文件');
    // Inside a running container: reported, but no host file to quarantine.
    expect(byPath.get('web-1:/dev/shm/k.zip')?.remediate).toEqual([]);
  });

  it('skipped: without a content section (--no-content) the detector is skipped, not clean', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [archiveBombHideout]).skipped).toEqual([
      { ruleId: 'archive-bomb-hideout', missing: ['content'] },
    ]);
  });
});
