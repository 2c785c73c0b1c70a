// rpmvercmp against rpm's own test vectors (tests/rpmvercmp.at in rpm-software-management/rpm) and,
// where the rpm binary is installed, against rpm.vercmp itself on a spread of generated pairs.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compareEvr, compareRpmVersions, formatEvr, parseEvr, rpmvercmp } from './rpmversion.js';

/** RPMVERCMP(a, b, expected) lines of rpm's tests/rpmvercmp.at, in its order. */
const RPM_VECTORS: [string, string, number][] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0', '1.0', 1],
  ['2.0.1', '2.0.1', 0],
  ['2.0', '2.0.1', -1],
  ['2.0.1', '2.0', 1],
  ['2.0.1a', '2.0.1a', 0],
  ['2.0.1a', '2.0.1', 1],
  ['2.0.1', '2.0.1a', -1],
  ['5.5p1', '5.5p1', 0],
  ['5.5p1', '5.5p2', -1],
  ['5.5p2', '5.5p1', 1],
  ['5.5p10', '5.5p10', 0],
  ['5.5p1', '5.5p10', -1],
  ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1],
  ['10.1xyz', '10xyz', 1],
  ['xyz10', 'xyz10', 0],
  ['xyz10', 'xyz10.1', -1],
  ['xyz10.1', 'xyz10', 1],
  ['xyz.4', 'xyz.4', 0],
  ['xyz.4', '8', -1],
  ['8', 'xyz.4', 1],
  ['xyz.4', '2', -1],
  ['2', 'xyz.4', 1],
  ['5.5p2', '5.6p1', -1],
  ['5.6p1', '5.5p2', 1],
  ['5.6p1', '6.5p1', -1],
  ['6.5p1', '5.6p1', 1],
  ['6.0.rc1', '6.0', 1],
  ['6.0', '6.0.rc1', -1],
  ['10b2', '10a1', 1],
  ['10a2', '10b2', -1],
  ['1.0aa', '1.0aa', 0],
  ['1.0a', '1.0aa', -1],
  ['1.0aa', '1.0a', 1],
  ['10.0001', '10.0001', 0],
  ['10.0001', '10.1', 0],
  ['10.1', '10.0001', 0],
  ['10.0001', '10.0039', -1],
  ['10.0039', '10.0001', 1],
  ['4.999.9', '5.0', -1],
  ['5.0', '4.999.9', 1],
  ['20101121', '20101121', 0],
  ['20101121', '20101122', -1],
  ['20101122', '20101121', 1],
  ['2_0', '2_0', 0],
  ['2.0', '2_0', 0],
  ['2_0', '2.0', 0],
  ['a', 'a', 0],
  ['a+', 'a+', 0],
  ['a+', 'a_', 0],
  ['a_', 'a+', 0],
  ['+a', '+a', 0],
  ['+a', '_a', 0],
  ['_a', '+a', 0],
  ['+_', '+_', 0],
  ['_+', '+_', 0],
  ['_+', '_+', 0],
  ['+', '_', 0],
  ['_', '+', 0],
  ['1.0~rc1', '1.0~rc1', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc2', '1.0~rc1', 1],
  ['1.0~rc1~git123', '1.0~rc1~git123', 0],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0~rc1', '1.0~rc1~git123', 1],
  ['1.0^', '1.0^', 0],
  ['1.0^', '1.0', 1],
  ['1.0', '1.0^', -1],
  ['1.0^git1', '1.0^git1', 0],
  ['1.0^git1', '1.0', 1],
  ['1.0', '1.0^git1', -1],
  ['1.0^git1', '1.0^git2', -1],
  ['1.0^git2', '1.0^git1', 1],
  ['1.0^git1', '1.01', -1],
  ['1.01', '1.0^git1', 1],
  ['1.0^20160101', '1.0^20160101', 0],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0.1', '1.0^20160101', 1],
  ['1.0^20160101^git1', '1.0^20160101^git1', 0],
  ['1.0^20160102', '1.0^20160101^git1', 1],
  ['1.0^20160101^git1', '1.0^20160102', -1],
  ['1.0~rc1^git1', '1.0~rc1^git1', 0],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc1^git1', -1],
  ['1.0^git1~pre', '1.0^git1~pre', 0],
  ['1.0^git1', '1.0^git1~pre', 1],
  ['1.0^git1~pre', '1.0^git1', -1],
];

const hasRpm = (() => {
  try {
    execFileSync('rpm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe('rpmvercmp', () => {
  it.each(RPM_VECTORS)('rpmvercmp(%s, %s) = %d (rpm test vector)', (a, b, want) => {
    expect(rpmvercmp(a, b)).toBe(want);
  });

  it('keeps the behaviours rpm documents as odd (RhBug:811992, non-ASCII bytes are separators)', () => {
    expect(rpmvercmp('1b.fc17', '1.fc17')).toBe(-1);
    expect(rpmvercmp('1.fc17', '1b.fc17')).toBe(1);
    expect(rpmvercmp('1g.fc17', '1.fc17')).toBe(1);
    expect(rpmvercmp('1.1.α', '1.1.β')).toBe(0);
    expect(rpmvercmp('1.1.ββ', '1.1.αα')).toBe(0);
  });

  it.skipIf(!hasRpm)('agrees with rpm.vercmp of the installed rpm on generated pairs', () => {
    const parts = ['0', '1', '01', '10', '2', 'a', 'b', 'rc', '~', '^', '.', '_', '+', 'el9', 'fc17', '~pre'];
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const gen = (): string => Array.from({ length: 1 + rnd(5) }, () => parts[rnd(parts.length)]).join('');
    const pairs = Array.from({ length: 400 }, () => [gen(), gen()] as const);
    const lua = pairs.map(([a, b]) => `print(rpm.vercmp("${a}", "${b}") .. "\\n")`).join(' ');
    const out = execFileSync('rpm', ['--eval', `%{lua: ${lua}}`], { encoding: 'utf8' });
    const want = out.trim().split(/\s+/).map(Number);
    expect(pairs.map(([a, b]) => rpmvercmp(a, b))).toEqual(want);
  });
});

describe('epoch:version-release', () => {
  it('parses and prints EVRs as rpm shows them', () => {
    expect(parseEvr('1:3.0.7-25.el9_3')).toEqual({ epoch: 1, version: '3.0.7', release: '25.el9_3' });
    expect(parseEvr('3.3.17-14.el9')).toEqual({ version: '3.3.17', release: '14.el9' });
    expect(parseEvr('2.0')).toEqual({ version: '2.0' });
    expect(formatEvr({ epoch: 0, version: '1.2', release: '3' })).toBe('1.2-3');
    expect(formatEvr({ epoch: 2, version: '1.2', release: '3' })).toBe('2:1.2-3');
  });

  it('orders by epoch, then version, then release', () => {
    expect(compareRpmVersions('1:1.0-1', '2.0-1')).toBe(1);
    expect(compareRpmVersions('0:2.0-1', '2.0-1')).toBe(0);
    expect(compareRpmVersions('3.3.17-14.el9', '3.3.17-15.el9')).toBe(-1);
    expect(compareRpmVersions('3.3.17-14.el9_3.1', '3.3.17-14.el9')).toBe(1);
    expect(compareRpmVersions('5.14.0-362.8.1.el9_3', '5.14.0-427.13.1.el9_4')).toBe(-1);
    // A missing release is not compared, as in an rpm dependency without one.
    expect(compareEvr({ version: '1.0' }, { version: '1.0', release: '9' })).toBe(0);
  });
});
