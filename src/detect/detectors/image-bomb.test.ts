// Tests for image-bomb: an image whose layers hold no bomb (a cut layer, a web file decoded whole) is
// clean; a layer recorded as a decompression bomb, a web file whose decoding was refused and a
// compressed archive that is a bomb are low findings with no kind, naming image, layer and file;
// without an image section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import type { Image } from '../../snapshot/image.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import {
  imageSnapshot,
  imageWith,
  unreadImageSnapshot,
} from '../../../test/helpers/image-snapshot-builders.js';
import { runDetectors } from '../run.js';
import { imageBomb } from './image-bomb.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const STEPS = ['ADD file:0a1b2c in / ', 'COPY site/ /var/www/html/ # buildkit'];
const REFUSED = 'php:gzinflate: output exceeds the 8388608-byte budget left';

function withSkips(img: Image, skips: Image['skips']): Image {
  return { ...img, skips };
}

describe('image-bomb', () => {
  it('clean: a cut layer and a web file decoded whole are no bomb', () => {
    const img = withSkips(
      imageWith({
        steps: STEPS,
        files: [{ path: '/var/www/html/a.php', layer: 1, web: { stopped: 'time budget of 2000 ms spent' } }],
      }),
      [{ layer: 1, path: 'blobs/sha256/ab', reason: 'truncated', detail: 'file cut after 10 of 20 bytes' }],
    );
    expect(runDetectors(imageSnapshot([img]), ruleset, [imageBomb])).toEqual({ findings: [], skipped: [] });
  });

  it('findings: a bomb layer and a bomb web file, one low finding per image, no kind', () => {
    const img = withSkips(
      imageWith({
        ref: 'docker.io/evil/site:2',
        steps: STEPS,
        files: [
          { path: '/var/www/html/cache.php', layer: 1, sha256: 'c'.repeat(64), web: { bombs: [REFUSED] } },
        ],
      }),
      [
        {
          layer: 0,
          path: 'blobs/sha256/aa',
          reason: 'decompression-bomb',
          detail: 'expands 4000 times its compressed size (limit 1000): a decompression bomb',
        },
      ],
    );
    const { findings } = runDetectors(imageSnapshot([img]), ruleset, [imageBomb]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toBeTruthy();
    expect(f).toMatchObject({ ruleId: 'image-bomb', level: 'low', category: 'tampering' });
    expect(f?.kind).toBeUndefined();
    const en = f?.signals.map((s) => s.message.en).join('\n');
    const zh = f?.signals.map((s) => s.message['zh-CN']).join('\n');
    expect(en).toContain('docker.io/evil/site:2: layer 0 is a decompression bomb (expands 4000 times');
    expect(en).toContain(
      '/var/www/html/cache.php (layer 1): 1 decoding(s) of its web content refused as a bomb',
    );
    expect(zh).toContain('第 0 层是解压炸弹');
    expect(zh).toContain('/var/www/html/cache.php（第 1 层）');
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({
        type: 'image',
        layer: expect.objectContaining({ index: 0 }),
        createdBy: STEPS[0],
      }),
    );
    expect(f?.evidence).toContainEqual({ type: 'match', field: 'decoding refused', value: REFUSED });
  });

  it('findings: a compressed archive that is a bomb, named by its path', () => {
    const snap = imageSnapshot([], '/work/images/bomb.tar.gz');
    snap.image?.skips.push({
      path: '/work/images/bomb.tar.gz',
      reason: 'decompression-bomb',
      detail: 'the archive cannot be read past this point: expands 5000 times its compressed size',
    });
    const { findings } = runDetectors(snap, ruleset, [imageBomb]);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.message.en).toMatch(
      /^\/work\/images\/bomb\.tar\.gz: the compressed image archive is a decompression bomb/,
    );
    expect(findings[0]?.evidence[0]).toEqual({ type: 'file', path: '/work/images/bomb.tar.gz' });
  });

  it('skipped: an image target whose archive could not be read; not applicable on a host', () => {
    expect(runDetectors(unreadImageSnapshot(), ruleset, [imageBomb])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'image-bomb', missing: ['image'] }],
    });
    expect(runDetectors(makeSnapshot({}), ruleset, [imageBomb])).toEqual({ findings: [], skipped: [] });
  });
});
