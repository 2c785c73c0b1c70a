// Tests for the IOC loader: the bundled data loads and keeps its invariants, bad files fail with the
// file, line and entry named, and a user's directory loads beside the project's own.
import { mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildRuleset, defaultIocDir, IocLoadError, loadRuleset, parseIocFile } from './load.js';

const temps: string[] = [];
async function tempDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-iocs-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function loadError(dirs: string[]): Promise<IocLoadError> {
  const error = await loadRuleset(dirs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IocLoadError);
  return error as IocLoadError;
}

describe('the bundled iocs/', () => {
  it('is found next to the sources and loads every kind with provenance on each entry', async () => {
    expect(defaultIocDir()).toBe(path.resolve(import.meta.dirname, '../../iocs'));
    const r = await loadRuleset([defaultIocDir()]);
    expect(r.files.map((f) => path.basename(f))).toEqual([
      'hashes.yml',
      'miner-args.yml',
      'miner-names.yml',
      'pool-addresses.yml',
      'pool-domains.yml',
      'pool-ports.yml',
      'wallet-patterns.yml',
    ]);
    const all = [
      ...r.minerNames,
      ...r.minerArgs,
      ...r.poolPorts,
      ...r.poolDomains,
      ...r.poolAddresses,
      ...r.walletPatterns,
      ...r.fileHashes,
    ];
    expect(all.length).toBeGreaterThan(150);
    for (const entry of all) {
      expect(entry.source, entry.value).toMatch(/https?:\/\/\S+|\w+ \w+/);
      expect(entry.date, entry.value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(entry.file, entry.value).toMatch(/^iocs\/[a-z-]+\.yml$/);
    }
    expect(r.minerNames.map((e) => e.value)).toEqual(
      expect.arrayContaining([
        'xmrig',
        'xmr-stak',
        'minerd',
        'ccminer',
        't-rex',
        'lolminer',
        'kdevtmpfsi',
        'kinsing',
      ]),
    );
    expect(r.poolDomains.map((e) => e.value)).toEqual(
      expect.arrayContaining(['supportxmr.com', 'moneroocean.stream']),
    );
  });

  it('lists no port that a common legitimate service uses by default', async () => {
    const r = await loadRuleset([defaultIocDir()]);
    const ports = r.poolPorts.map((p) => p.port);
    expect(ports).toEqual(expect.arrayContaining([3333, 4444, 5555, 7777, 14444, 45700, 10128]));
    for (const legit of [
      22, 25, 53, 80, 443, 2222, 3000, 3306, 5432, 6379, 6666, 8000, 8080, 8443, 8888, 9000, 9200,
    ]) {
      expect(ports).not.toContain(legit);
    }
  });

  it('keeps generic flags weak so that they never hit on their own', async () => {
    const r = await loadRuleset([defaultIocDir()]);
    const weak = new Set(r.minerArgs.filter((e) => e.strength === 'weak').map((e) => e.value));
    for (const generic of ['-p x', '--cuda', '--opencl', 'scrypt', 'x11', 'gr'])
      expect(weak.has(generic), generic).toBe(true);
    const values = r.minerArgs.map((e) => e.value);
    for (const never of ['-p', '-o', '-u', '-t', '-k']) expect(values).not.toContain(never);
  });

  it('hashes the data, not the paths: the same files in another directory hash alike', async () => {
    const a = await loadRuleset([defaultIocDir()]);
    const copy = await tempDir({
      'pool-ports.yml':
        'kind: pool-ports\nentries:\n  - { port: 3333, source: "https://example.org/a", date: 2026-11-26 }\n',
    });
    const b = await loadRuleset([copy]);
    const c = await loadRuleset([
      await tempDir({
        'x.yml':
          'kind: pool-ports\nentries:\n  - { port: 3333, source: "https://example.org/a", date: 2026-11-26 }\n',
      }),
    ]);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(c.hash);
    expect(b.hash).not.toBe(a.hash);
  });
});

describe('user directories', () => {
  it('load beside the bundled data, in the order given', async () => {
    const mine = await tempDir({
      'campaign.yaml': [
        'kind: pool-addresses',
        'entries:',
        '  - value: 198.51.100.7',
        '    family: ExampleCampaign',
        '    source: internal incident IR-2026-042',
        '    date: 2026-11-26',
        '  - { value: "2001:db8:bad::/48", source: "internal incident IR-2026-042", date: 2026-11-26 }',
        '',
      ].join('\n'),
      'README.md': 'not an indicator file',
    });
    const r = await loadRuleset([defaultIocDir(), mine]);
    expect(r.poolAddresses.map((e) => [e.value, e.file])).toEqual([
      ['198.51.100.7', `${path.basename(mine)}/campaign.yaml`],
      ['2001:db8:bad::/48', `${path.basename(mine)}/campaign.yaml`],
    ]);
    expect(r.files.at(-1)).toBe(path.join(mine, 'campaign.yaml'));
    expect(r.minerNames.length).toBeGreaterThan(0);
  });

  it('that do not exist are an error naming the directory', async () => {
    const error = await loadError([path.join(os.tmpdir(), 'minehunter-no-such-dir')]);
    expect(error.localized.en).toMatch(/cannot read indicator directory .*minehunter-no-such-dir \(ENOENT\)/);
    expect(error.localized['zh-CN']).toMatch(/无法读取指标目录/);
  });
});

describe('bad indicator files', () => {
  it('reject an entry without source, naming the file, line and entry', async () => {
    const dir = await tempDir({
      'names.yml': [
        'kind: miner-names',
        'entries:',
        '  - value: xmrig',
        '    source: https://github.com/xmrig/xmrig',
        '    date: 2026-11-26',
        '  - value: evilminer',
        '    date: 2026-11-26',
        '',
      ].join('\n'),
    });
    const error = await loadError([dir]);
    expect(error.line).toBe(6);
    expect(error.localized.en).toContain(
      `${path.basename(dir)}/names.yml:6: entry 2 (evilminer) has no "source"`,
    );
    expect(error.localized.en).toContain(path.join(dir, 'names.yml'));
    expect(error.localized['zh-CN']).toContain('第 2 条 (evilminer)缺少 "source"');
  });

  it('reject an entry without date', () => {
    const text = 'kind: pool-ports\nentries:\n  - port: 3333\n    source: https://example.org\n';
    expect(() => parseIocFile(text, 'iocs/pool-ports.yml')).toThrow(
      'iocs/pool-ports.yml:3: entry 1 (3333) has no "date"',
    );
  });

  it('reject malformed YAML with its line', () => {
    const text = 'kind: miner-names\nentries: []\nkind: pool-ports\n';
    const error = (() => {
      try {
        parseIocFile(text, 'x.yml');
      } catch (e) {
        return e as IocLoadError;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(IocLoadError);
    expect(error?.localized.en).toMatch(/^x\.yml:3: not valid YAML/);
    expect(error?.line).toBe(3);
  });

  it.each([
    ['an unknown kind', 'kind: pool-names\nentries: []\n', /"kind" must be one of miner-names, miner-args/],
    [
      'an unknown field (a typo)',
      'kind: pool-domains\nentries:\n  - { value: a.example, source: s s, date: 2026-11-26, famliy: X }\n',
      /entry 1 \(a\.example\)/,
    ],
    [
      'a bad CIDR',
      'kind: pool-addresses\nentries:\n  - { value: 10.0.0.0/33, source: s s, date: 2026-11-26 }\n',
      /must be an IPv4\/IPv6 address or CIDR range/,
    ],
    [
      'an unanchored wallet pattern',
      'kind: wallet-patterns\nentries:\n  - { value: w, coin: C, pattern: "4[0-9]+", strength: weak, source: s s, date: 2026-11-26 }\n',
      /must be anchored/,
    ],
    [
      'a bad date',
      'kind: miner-names\nentries:\n  - { value: a, source: s s, date: 26.11.2026 }\n',
      /YYYY-MM-DD/,
    ],
    [
      'a repeated value',
      'kind: miner-names\nentries:\n  - { value: a, source: s s, date: 2026-11-26 }\n  - { value: A, source: s s, date: 2026-11-26 }\n',
      /x\.yml:4: entry 2 \(A\) repeats "a"/,
    ],
    [
      'an option without strength',
      'kind: miner-args\nentries:\n  - { value: --x, type: option, source: s s, date: 2026-11-26 }\n',
      /"strength"/,
    ],
  ])('reject %s', (_label, text, message) => {
    expect(() => parseIocFile(text, 'x.yml')).toThrow(message);
  });

  it('accept a YAML 1.1 document, whose dates parse as timestamps', () => {
    const text =
      '%YAML 1.1\n---\nkind: miner-names\nentries:\n  - { value: XMRig, source: s s, date: 2026-11-26 }\n';
    expect(parseIocFile(text, 'x.yml').entries).toEqual([
      { value: 'xmrig', source: 's s', date: '2026-11-26', file: 'x.yml' },
    ]);
  });
});

describe('buildRuleset', () => {
  it('normalises names and domains to lower case and ports to values', () => {
    const r = buildRuleset([
      parseIocFile(
        'kind: pool-domains\nentries:\n  - { value: "*.Pool.Example", source: s s, date: 2026-11-26 }\n',
        'd.yml',
      ),
      parseIocFile(
        'kind: pool-ports\nentries:\n  - { port: 14444, source: s s, date: 2026-11-26 }\n',
        'p.yml',
      ),
    ]);
    expect(r.poolDomains[0]?.value).toBe('pool.example');
    expect(r.poolPorts[0]).toMatchObject({ port: 14444, value: '14444' });
  });
});

describe('file-hashes lists', () => {
  it('accepts sha256 entries (any case) with provenance and refuses anything else', () => {
    const ok = parseIocFile(
      'kind: file-hashes\nentries:\n  - { value: "' +
        'AB'.repeat(32) +
        '", name: miner, kind: fileless, source: "incident IR-1", date: 2026-11-26 }\n',
      'iocs/hashes-x.yml',
    );
    expect(ok.entries[0]).toMatchObject({ value: 'ab'.repeat(32), name: 'miner', kind: 'fileless' });
    expect(() =>
      parseIocFile(
        'kind: file-hashes\nentries:\n  - { value: "abc", source: "s s", date: 2026-11-26 }\n',
        'iocs/hashes-x.yml',
      ),
    ).toThrow(/iocs\/hashes-x\.yml:3: entry 1 \(abc\): "value" must be a sha256/);
  });
});

describe('the parse cache', () => {
  const campaign = (address: string): string =>
    [
      'kind: pool-addresses',
      'entries:',
      `  - { value: "${address}", source: "internal IR-7", date: 2026-11-26 }`,
      '',
    ].join('\n');

  it('gives the same ruleset as parsing, and parses an edited file again instead of serving it stale', async () => {
    const mine = await tempDir({ 'campaign.yml': campaign('198.51.100.7') });
    const cacheDir = await tempDir({});
    const uncached = await loadRuleset([defaultIocDir(), mine]);
    const first = await loadRuleset([defaultIocDir(), mine], { cacheDir });
    const second = await loadRuleset([defaultIocDir(), mine], { cacheDir });
    expect(first.hash).toBe(uncached.hash);
    expect(second.hash).toBe(uncached.hash);
    const cached = await readdir(cacheDir);
    expect(cached.length).toBeGreaterThan(0);
    // Never the indicators in the clear: a content scan of this directory must find nothing.
    for (const name of cached) {
      expect((await readFile(path.join(cacheDir, name))).includes('supportxmr')).toBe(false);
    }

    await writeFile(path.join(mine, 'campaign.yml'), campaign('203.0.113.9'));
    const edited = await loadRuleset([defaultIocDir(), mine], { cacheDir });
    expect(edited.poolAddresses.map((e) => e.value)).toContain('203.0.113.9');
    expect(edited.poolAddresses.map((e) => e.value)).not.toContain('198.51.100.7');
  });

  it('keeps one parse per file: an edit or a new build drops the parses no run reads any more', async () => {
    const mine = await tempDir({ 'campaign.yml': campaign('198.51.100.7') });
    const cacheDir = await tempDir({});
    await loadRuleset([defaultIocDir(), mine], { cacheDir });
    const warm = (await readdir(cacheDir)).sort();
    // What an older build left (its names carry no current parser prefix), and a month-old parse.
    const oldBuild = `${'0'.repeat(64)}.json.deflate`;
    await writeFile(path.join(cacheDir, oldBuild), 'x');
    const monthOld = `${warm[0]!.split('-')[0]}-${'1'.repeat(12)}-${'2'.repeat(64)}.json.deflate`;
    await writeFile(path.join(cacheDir, monthOld), 'x');
    const longAgo = new Date(Date.now() - 40 * 24 * 3600 * 1000);
    await utimes(path.join(cacheDir, monthOld), longAgo, longAgo);
    // A warm load never lists the directory, so they stay until a miss.
    await loadRuleset([defaultIocDir(), mine], { cacheDir });
    expect((await readdir(cacheDir)).sort()).toEqual([...warm, oldBuild, monthOld].sort());

    await writeFile(path.join(mine, 'campaign.yml'), campaign('203.0.113.9'));
    const edited = await loadRuleset([defaultIocDir(), mine], { cacheDir });
    expect(edited.poolAddresses.map((e) => e.value)).toContain('203.0.113.9');
    const after = await readdir(cacheDir);
    expect(after).toHaveLength(warm.length); // the edited file's new parse replaced its old one
    expect(after).not.toContain(oldBuild);
    expect(after).not.toContain(monthOld);
    expect(after.filter((name) => warm.includes(name))).toHaveLength(warm.length - 1);
  });

  it('keeps the Windows names parsed too, and parses an edited list again', async () => {
    const names = (value: string): string =>
      JSON.stringify({
        kind: 'windows-names',
        entries: [{ value, type: 'file', source: 'internal IR-7', date: '2026-11-26' }],
      });
    const mine = await tempDir({ 'windows-names-team.json': names('svchostt.exe') });
    const cacheDir = await tempDir({});
    const uncached = await loadRuleset([mine]);
    const first = await loadRuleset([mine], { cacheDir });
    expect(await readdir(cacheDir)).toHaveLength(1);
    const second = await loadRuleset([mine], { cacheDir });
    expect(first).toEqual(uncached);
    expect(second).toEqual(uncached);
    expect(second.windowsNames?.map((e) => e.value)).toEqual(['svchostt.exe']);

    await writeFile(path.join(mine, 'windows-names-team.json'), names('csrsss.exe'));
    const edited = await loadRuleset([mine], { cacheDir });
    expect(edited.windowsNames?.map((e) => e.value)).toEqual(['csrsss.exe']);
    expect(await readdir(cacheDir)).toHaveLength(1);
  });

  it('still refuses an entry without provenance when a cache directory is given', async () => {
    const mine = await tempDir({
      'bad.yml': [
        'kind: pool-addresses',
        'entries:',
        '  - { value: "198.51.100.8", date: 2026-11-26 }',
        '',
      ].join('\n'),
    });
    const cacheDir = await tempDir({});
    await expect(loadRuleset([mine], { cacheDir })).rejects.toBeInstanceOf(IocLoadError);
  });
});
