// Decompression bombs inside an image reach the snapshot and the report: a gzip layer that expands
// past the ratio limit is a `decompression-bomb` skip of that layer (the layers before and after it
// are still read), and a PHP file whose `gzinflate(base64_decode(…))` payload inflates past the web
// normaliser's budget is kept in the snapshot with its refused decodings and a `decoding-bomb`
// skip. Both are image-bomb findings (low, no kind) naming the image and layer, in English and
// Chinese, on the main thread and on the scan workers alike; a clean image gives neither.
import { rm } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAllRules } from '../../engine/content-scan.js';
import { runDetectors } from '../../detect/run.js';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import type { Finding } from '../../model/finding.js';
import { readImages } from '../../target/image/index.js';
import { collectSnapshot } from '../index.js';
import { ImageScanPool } from './scan-pool.js';
import {
  buildImage,
  cleanImageSpec,
  dockerArchive,
  gzip,
  imageTempDir,
  tarOf,
  writeInput,
} from '../../../test/helpers/image-builders.js';

const PHP = '/var/www/html/wp-content/uploads/cache.php';
const BOMB_STEP = 'ADD data.tar.gz /srv/ # buildkit';

/** A PHP dropper whose payload inflates to 16 MiB of zeros: past the normaliser's 8 MiB budget. */
function phpBomb(): string {
  const payload = deflateRawSync(Buffer.alloc(16 << 20)).toString('base64');
  return `<?php eval(gzinflate(base64_decode('${payload}'))); ?>\n`;
}

let dir: string;
let bombTar: string;
let cleanTar: string;
beforeAll(async () => {
  dir = await imageTempDir();
  const base = await tarOf([{ name: 'etc/os-release', content: 'ID=debian\n' }]);
  // 64 MiB of zeros gzip to some 64 KiB: far past 1,000 times once 64 MiB came out.
  const bomb = await tarOf([{ name: 'srv/zeros', content: Buffer.alloc(80 << 20) }]);
  const site = await tarOf([{ name: PHP.slice(1), content: phpBomb() }]);
  const built = buildImage({
    names: ['localhost/bomb:1'],
    layers: [base, bomb, site],
    compress: gzip,
    config: { Cmd: ['php-fpm'] },
    history: [
      { created_by: '/bin/sh -c #(nop) ADD file:base in / ' },
      { created_by: BOMB_STEP },
      { created_by: 'COPY site/ /var/www/html/ # buildkit' },
    ],
  });
  bombTar = await writeInput(dir, 'bomb.tar', await dockerArchive([built]));
  cleanTar = await writeInput(dir, 'clean.tar', await dockerArchive([buildImage(await cleanImageSpec())]));
}, 120_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const now = () => new Date('2026-01-02T03:04:05Z');
const content = { enabled: true, scope: 'paths' as const, paths: [], userRuleDirs: [], crossFs: false };
const ruleset = await loadRuleset([defaultIocDir()]);
const collect = (file: string) => collectSnapshot({ root: file, now, toolVersion: '9.9.9', content });

const bombFindings = (findings: Finding[]): Finding[] =>
  findings.filter((f) => f.signals.some((s) => s.ruleId === 'image-bomb'));

describe('decompression bombs in an image', () => {
  it('records the bomb layer and the bomb web file in the snapshot', async () => {
    const snap = await collect(bombTar);
    const img = snap.image?.images[0];
    expect(img?.layers.map((l) => l.status)).toEqual(['ok', 'limit', 'ok']);
    expect(img?.layers[1]?.note).toContain('decompression bomb');
    expect(img?.skips).toContainEqual(
      expect.objectContaining({
        layer: 1,
        reason: 'decompression-bomb',
        detail: expect.stringContaining('times its compressed size'),
      }),
    );
    const php = img?.files.find((f) => f.path === PHP);
    expect(php).toMatchObject({ layer: 2, inFinal: true, sha256: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(php?.web?.bombs?.[0]).toMatch(/gzinflate/);
    expect(img?.skips).toContainEqual(
      expect.objectContaining({ layer: 2, path: PHP, reason: 'decoding-bomb' }),
    );
    // A layer not read whole: the collector says so rather than looking clean.
    expect(snap.collection.find((r) => r.collector === 'image.layers')?.status).toBe('partial');
  });

  it('reports the bomb layer in the image finding, and the refused decoding, in both languages', async () => {
    const { findings } = runDetectors(await collect(bombTar), ruleset);
    // One finding per image: the PHP dropper's own match leads it, the bomb layer is a signal in it.
    const f = findings.find((x) => x.signals.some((s) => s.ruleId === 'image-bomb'));
    expect(findings).toHaveLength(1);
    const bomb = f?.signals.find((s) => s.ruleId === 'image-bomb');
    expect(bomb?.level).toBe('low');
    expect(bomb?.message.en).toMatch(
      /^localhost\/bomb:1: layer 1 is a decompression bomb \(expands \d+ times/,
    );
    expect(bomb?.message['zh-CN']).toMatch(/^localhost\/bomb:1：第 1 层是解压炸弹/);
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({ type: 'image', image: 'localhost/bomb:1', createdBy: BOMB_STEP }),
    );
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({ type: 'match', field: 'layer not read to its end' }),
    );
    // The PHP file matched as written; what its payload would decode to was refused, and says so.
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({
        type: 'match',
        field: 'decoding refused',
        value: expect.stringMatching(/gzinflate/),
      }),
    );
  });

  it('finds the web bomb on the scan workers as on the main thread', async () => {
    const { scanner } = compileAllRules();
    const pool = new ImageScanPool(scanner, 2, { timeoutMs: 10_000 });
    let pooled;
    try {
      pool.start();
      expect(await pool.workersReady()).toBe(2);
      pooled = await readImages(bombTar, { scanner: pool });
    } finally {
      await pool.close();
    }
    const php = pooled.images[0]?.files.find((f) => f.path === PHP);
    expect(php?.web?.bombs?.[0]).toMatch(/gzinflate/);
    expect(php?.sha256).toMatch(/^[a-f0-9]{64}$/);
  });

  it('gives no bomb for a clean image', async () => {
    const snap = await collect(cleanTar);
    expect(snap.image?.images[0]?.skips.filter((s) => s.reason.includes('bomb'))).toEqual([]);
    expect(bombFindings(runDetectors(snap, ruleset).findings)).toEqual([]);
  });
});
