// Web files inside image layers go through the web normaliser as they do under --path: an image
// whose second layer adds a site with an obfuscated miner loader appended to a real minified bundle
// (string array, hex escapes, atob) and a page whose pool URL is spelled in character codes is
// found, with the layer and build step named and the decoded excerpt in the evidence, on the main
// thread and on the scan workers alike; the clean twin (the same site without the injections, plus
// a minified framework build) gives nothing.
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAllRules } from '../../engine/content-scan.js';
import { MINER_LOADER, obfuscatedLoader } from '../../engine/web-normalise/test-helpers.js';
import { runDetectors } from '../../detect/run.js';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import type { Evidence, Finding } from '../../model/finding.js';
import type { Image } from '../../snapshot/image.js';
import { readImages } from '../../target/image/index.js';
import { collectSnapshot } from '../index.js';
import { ImageScanPool } from './scan-pool.js';
import { REPO_ROOT } from '../../../test/helpers/cli.js';
import {
  buildImage,
  dockerArchive,
  imageTempDir,
  tarOf,
  writeInput,
  type ImageSpec,
} from '../../../test/helpers/image-builders.js';

const nodeModules = (p: string): string => path.join(REPO_ROOT, 'node_modules', p);
/** A real minified bundle a site serves as its main.js (zip.js is a dependency). */
const MAIN_BUNDLE = readFileSync(nodeModules('@zip.js/zip.js/index.min.js'), 'latin1');
/** A normal minified framework build beside it. */
const FRAMEWORK_BUNDLE = readFileSync(nodeModules('ajv/dist/ajv.min.js'), 'latin1');

const SITE_STEP = 'COPY site/ /usr/share/nginx/html/ # buildkit';
const MAIN_JS = '/usr/share/nginx/html/js/main.js';
const PAGE = '/usr/share/nginx/html/index.html';

/** The miner's script tag and start call, every character as a character code. */
function charCodePage(): string {
  const codes = [...MINER_LOADER].map((c) => c.charCodeAt(0)).join(',');
  return `<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>\n<script>(new Function(String.fromCharCode(${codes})))();</script>\n</body></html>\n`;
}

/** A two-layer nginx-like image: a base layer, then the site. */
async function siteImage(name: string, infected: boolean): Promise<ImageSpec> {
  const base = await tarOf([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\n' },
  ]);
  const main = infected
    ? `${MAIN_BUNDLE}\n${obfuscatedLoader({ style: 'checksum', rotation: 4 })}\n`
    : MAIN_BUNDLE;
  const page = infected
    ? charCodePage()
    : '<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1></body></html>\n';
  const site = await tarOf([
    { name: 'usr/share/nginx/html/', type: 'directory' },
    { name: 'usr/share/nginx/html/js/', type: 'directory' },
    { name: MAIN_JS.slice(1), content: main },
    { name: 'usr/share/nginx/html/js/ajv.min.js', content: FRAMEWORK_BUNDLE },
    { name: PAGE.slice(1), content: page },
  ]);
  return {
    names: [name],
    layers: [base, site],
    config: { Cmd: ['nginx', '-g', 'daemon off;'], User: 'nginx' },
    history: [{ created_by: '/bin/sh -c #(nop) ADD file:base in / ' }, { created_by: SITE_STEP }],
  };
}

let dir: string;
let infectedTar: string;
let cleanTar: string;
beforeAll(async () => {
  dir = await imageTempDir();
  infectedTar = await writeInput(
    dir,
    'site.tar',
    await dockerArchive([buildImage(await siteImage('localhost/site:1', true))]),
  );
  cleanTar = await writeInput(
    dir,
    'clean.tar',
    await dockerArchive([buildImage(await siteImage('localhost/site-clean:1', false))]),
  );
}, 60_000);
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const now = () => new Date('2026-01-02T03:04:05Z');
const content = { enabled: true, scope: 'paths' as const, paths: [], userRuleDirs: [], crossFs: false };
const ruleset = await loadRuleset([defaultIocDir()]);

async function collect(file: string) {
  return collectSnapshot({ root: file, now, toolVersion: '9.9.9', content });
}

/** The decoded matches of each web file of an image, as `path: rule (chain)`. */
function decodedMatches(img: Image | undefined): string[] {
  return (img?.files ?? [])
    .flatMap((f) =>
      f.matches.filter((m) => m.decoded).map((m) => `${f.path}: ${m.rule} (${m.decoded?.chain.join(' > ')})`),
    )
    .sort();
}

type ImageEvidence = Extract<Evidence, { type: 'image' }>;

describe('web files in image layers', () => {
  it('finds the obfuscated loader and the character-code page, naming the layer and the build step', async () => {
    const snap = await collect(infectedTar);
    const img = snap.image?.images[0];
    const found = decodedMatches(img);
    // The loader is behind a rotated string array, hex escapes and atob; the page behind char codes.
    expect(found.some((s) => s.startsWith(`${MAIN_JS}: MH_Web_CoinHive`) && s.includes('atob'))).toBe(true);
    expect(found.some((s) => s.startsWith(`${PAGE}: `) && s.includes('fromCharCode'))).toBe(true);
    // Neither file matches as written: only decoding finds them.
    for (const p of [MAIN_JS, PAGE])
      expect(img?.files.find((f) => f.path === p)?.matches.every((m) => m.decoded !== undefined)).toBe(true);

    const findings: Finding[] = runDetectors(snap, ruleset).findings;
    const imageFinding = findings.find((f) => f.ruleId === 'image-content' || f.kind === 'container-image');
    expect(imageFinding?.kind).toBe('container-image');
    expect(['critical', 'high', 'medium']).toContain(imageFinding?.level);
    const site = img?.layers.find((l) => l.index === 1);
    const evidence = (imageFinding?.evidence ?? []).filter((e): e is ImageEvidence => e.type === 'image');
    const mainEvidence = evidence.find((e) => e.path === MAIN_JS);
    expect(mainEvidence).toMatchObject({
      image: 'localhost/site:1',
      layer: { index: 1, digest: site?.digest },
      createdBy: SITE_STEP,
    });
    // The decoded excerpt is in the evidence, with the techniques undone.
    const decoded = (imageFinding?.evidence ?? []).filter(
      (e): e is Extract<Evidence, { type: 'match' }> => e.type === 'match' && e.field.includes('(decoded: '),
    );
    expect(decoded.map((e) => e.value).join('\n')).toContain('CoinHive');
  });

  it('gives nothing for the clean twin', async () => {
    const snap = await collect(cleanTar);
    expect(snap.image?.images[0]?.files.filter((f) => f.matches.length > 0)).toEqual([]);
    const findings = runDetectors(snap, ruleset).findings;
    expect(findings.filter((f) => ['critical', 'high', 'medium'].includes(f.level))).toEqual([]);
  });

  it('decodes on the scan workers as on the main thread', async () => {
    const { scanner } = compileAllRules();
    const pool = new ImageScanPool(scanner, 2, { timeoutMs: 10_000 });
    let pooled;
    try {
      pool.start();
      expect(await pool.workersReady()).toBe(2);
      pooled = await readImages(infectedTar, { scanner: pool });
    } finally {
      await pool.close();
    }
    const onMain = (await collect(infectedTar)).image?.images[0];
    expect(decodedMatches(pooled.images[0])).toEqual(decodedMatches(onMain));
    expect(decodedMatches(pooled.images[0]).length).toBeGreaterThanOrEqual(2);
  });
});
