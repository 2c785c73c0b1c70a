// Debian version order against cases whose answer `dpkg --compare-versions` gives.
import { describe, expect, it } from 'vitest';
import { compareDebVersions } from './debversion.js';

const sign = (n: number) => Math.sign(n);

describe('compareDebVersions', () => {
  it.each([
    ['1.10.1-3+deb12u1', '1.10.1-3', 1],
    ['3.0.22-1~deb12u2', '3.0.19-1~deb12u2', 1],
    ['1.0~rc1', '1.0', -1],
    ['1.0', '1.0-0', 0],
    ['1:1.0', '2.0', 1],
    ['2.36-9+deb12u4', '2.36-9+deb12u10', -1],
    ['5.2.15-2+b13', '5.2.15-2+b8', 1],
    ['1.0a', '1.0+', -1],
    ['22.01+really26.02+dfsg-0+deb12u1', '22.01+dfsg-8', 1],
    ['7.0.15-1~deb12u1', '7.0.15-1~deb12u1', 0],
  ])('%s vs %s → %i', (a, b, want) => {
    expect(sign(compareDebVersions(a, b))).toBe(want);
    expect(sign(compareDebVersions(b, a))).toBe(-want || 0);
  });
});
