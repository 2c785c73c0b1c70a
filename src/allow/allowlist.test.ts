// Tests for the allowlist: the documented format parses, bad files fail with file and line, a missing
// default file is fine, and matches mark findings allowed without ever removing one.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { runDetectors } from '../detect/run.js';
import type { Finding } from '../model/finding.js';
import { makeProcess, makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import {
  AllowlistError,
  applyAllowlist,
  defaultAllowlistPath,
  loadAllowlist,
  parseAllowlist,
} from './allowlist.js';

const SAMPLE = fileURLToPath(new URL('./testdata/allow.yml', import.meta.url));
const temps: string[] = [];
async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-allow-'));
  temps.push(dir);
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

function parseError(text: string): AllowlistError {
  try {
    parseAllowlist(text, 'allow.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(AllowlistError);
    return e as AllowlistError;
  }
  throw new Error('expected an AllowlistError');
}

// Real findings from the real detectors, so the allowlist is tested against what a scan produces.
const ruleset = await loadRuleset([defaultIocDir()]);
const sanctioned = makeProcess({
  pid: 300,
  exe: '/opt/pool-node/xmrig',
  argv: ['/opt/pool-node/xmrig', '-c', '/etc/xmrig.json'],
  exeSha256: '1111111111111111111111111111111111111111111111111111111111111111',
});
const vetted = makeProcess({
  pid: 301,
  exe: '/srv/bench/cpuminer',
  argv: ['/srv/bench/cpuminer', '--benchmark'],
  exeSha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
});
const intruder = makeProcess({ pid: 302, exe: '/tmp/.x/xmrig', argv: ['/tmp/.x/xmrig'] });
const findings = runDetectors(makeSnapshot({ processes: [sanctioned, vetted, intruder] }), ruleset).findings;
const byExe = (list: Finding[], exe: string) =>
  list.find((f) => f.evidence.some((e) => e.type === 'process' && e.exe === exe));

describe('parseAllowlist', () => {
  it('reads the documented format, normalising hashes and noting file and line', () => {
    expect(parseAllowlist(`# c\n${'allow:\n'}  - exe: /a\n    reason: r\n`, 'f.yml')).toEqual([
      { by: 'exe', value: '/a', reason: 'r', source: 'f.yml:3' },
    ]);
  });

  it('accepts a bare list, an empty file and an empty list', () => {
    expect(
      parseAllowlist(
        '- sha256: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\n  reason: r\n',
        'f.yml',
      ),
    ).toEqual([
      {
        by: 'sha256',
        value: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        reason: 'r',
        source: 'f.yml:1',
      },
    ]);
    expect(parseAllowlist('', 'f.yml')).toEqual([]);
    expect(parseAllowlist('# nothing allowed yet\n', 'f.yml')).toEqual([]);
    expect(parseAllowlist('allow: []\n', 'f.yml')).toEqual([]);
    expect(parseAllowlist('allow:\n', 'f.yml')).toEqual([]);
  });

  it.each([
    ['broken YAML', 'allow:\n  - exe: /a\n   reason: [\n', /^allow\.yml:\d+: not valid YAML/],
    ['an entry without a reason', 'allow:\n  - exe: /a\n', /^allow\.yml:2: entry 1: "reason"/],
    [
      'an entry with two keys',
      'allow:\n  - exe: /a\n    sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n    reason: r\n',
      /^allow\.yml:2: entry 1 must name exactly one of fingerprint, exe or sha256 \(found exe, sha256\)/,
    ],
    ['an entry with none', 'allow:\n  - reason: r\n', /found none/],
    ['a short fingerprint', 'allow:\n  - fingerprint: abc\n    reason: r\n', /16 hex digits/],
    ['a relative exe', 'allow:\n  - exe: xmrig\n    reason: r\n', /absolute path/],
    ['a typo in a key', 'allow:\n  - exe: /a\n    reasn: r\n', /^allow\.yml:2: entry 1: /],
    ['an unknown top-level key', 'alow:\n  - exe: /a\n    reason: r\n', /^allow\.yml:1: unknown key "alow"/],
    ['a scalar', 'just text\n', /expected a list, or a mapping/],
  ])('rejects %s with file and line', (_label, text, message) => {
    const error = parseError(text);
    expect(error.localized.en).toMatch(message);
    expect(error.localized['zh-CN']).toMatch(/^allow\.yml/);
  });
});

describe('loadAllowlist', () => {
  it('reads the sample file', async () => {
    const list = await loadAllowlist([SAMPLE]);
    expect(list.files).toEqual([SAMPLE]);
    expect(list.entries).toEqual([
      {
        by: 'fingerprint',
        value: '0123456789abcdef',
        reason: 'research miner approved in ticket SEC-1234',
        added: '2026-11-26',
        source: `${SAMPLE}:3`,
      },
      {
        by: 'exe',
        value: '/opt/pool-node/xmrig',
        reason: "the company's own mining rig",
        source: `${SAMPLE}:6`,
      },
      {
        by: 'sha256',
        value: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
        reason: 'vetted build of our benchmark tool',
        source: `${SAMPLE}:8`,
      },
    ]);
  });

  it('tolerates a missing optional (default) file but not a missing given one', async () => {
    const missing = path.join(os.tmpdir(), 'minehunter-no-such-allow.yml');
    expect(await loadAllowlist([], [missing])).toEqual({ entries: [], files: [] });
    await expect(loadAllowlist([missing])).rejects.toThrow(
      /cannot read allowlist .*minehunter-no-such-allow\.yml \(ENOENT\)/,
    );
  });

  it('names the file and line of a bad entry', async () => {
    const file = await tempFile('allow.yml', 'allow:\n  - exe: /a\n    reason: ok\n  - exe: /b\n');
    await expect(loadAllowlist([file])).rejects.toThrow(`${file}:4: entry 2: "reason"`);
  });

  it('reads a file once even when given twice', async () => {
    const list = await loadAllowlist([SAMPLE], [SAMPLE]);
    expect(list.entries).toHaveLength(3);
  });
});

describe('applyAllowlist', () => {
  it('marks matches by exe and by sha256, leaves the rest alone and removes nothing', async () => {
    expect(findings).toHaveLength(3);
    const allowed = applyAllowlist(findings, await loadAllowlist([SAMPLE]));
    expect(allowed).toHaveLength(3);
    expect(byExe(allowed, '/opt/pool-node/xmrig')?.allowed).toEqual({
      by: 'exe',
      value: '/opt/pool-node/xmrig',
      reason: "the company's own mining rig",
      source: `${SAMPLE}:6`,
    });
    expect(byExe(allowed, '/srv/bench/cpuminer')?.allowed).toMatchObject({
      by: 'sha256',
      source: `${SAMPLE}:8`,
    });
    expect(byExe(allowed, '/tmp/.x/xmrig')?.allowed).toBeUndefined();
    // The input is not modified.
    expect(findings.every((f) => f.allowed === undefined)).toBe(true);
  });

  it('matches a finding by its fingerprint, in any case', () => {
    const target = byExe(findings, '/tmp/.x/xmrig');
    const fingerprint = target?.fingerprint.toUpperCase() ?? '';
    const entries = parseAllowlist(
      `allow:\n  - fingerprint: ${fingerprint}\n    reason: lab sample\n`,
      'lab.yml',
    );
    const result = applyAllowlist(findings, entries);
    expect(byExe(result, '/tmp/.x/xmrig')?.allowed).toEqual({
      by: 'fingerprint',
      value: target?.fingerprint,
      reason: 'lab sample',
      source: 'lab.yml:2',
    });
    expect(result.filter((f) => f.allowed)).toHaveLength(1);
  });

  it('keeps the first matching entry', () => {
    const entries = parseAllowlist(
      'allow:\n  - exe: /opt/pool-node/xmrig\n    reason: first\n  - exe: /opt/pool-node/xmrig\n    reason: second\n',
      'a.yml',
    );
    expect(byExe(applyAllowlist(findings, entries), '/opt/pool-node/xmrig')?.allowed?.reason).toBe('first');
  });
});

describe('defaultAllowlistPath', () => {
  it('uses an absolute XDG_CONFIG_HOME, else ~/.config', () => {
    expect(defaultAllowlistPath({ XDG_CONFIG_HOME: '/etc/xdg-user' }, '/home/a')).toBe(
      '/etc/xdg-user/minehunter/allow.yml',
    );
    expect(defaultAllowlistPath({}, '/home/a')).toBe('/home/a/.config/minehunter/allow.yml');
    expect(defaultAllowlistPath({ XDG_CONFIG_HOME: 'relative/dir' }, '/home/a')).toBe(
      '/home/a/.config/minehunter/allow.yml',
    );
  });
});
