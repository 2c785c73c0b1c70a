// Tests for the address helpers pool-connection relies on: parsing, mapped IPv4, CIDR matching.
import { describe, expect, it } from 'vitest';
import { addressMatcher, formatEndpoint, isLoopback, isUnspecified, parseIp } from './net.js';

const entry = (value: string) => ({ value, source: 's s', date: '2026-11-26' });

describe('parseIp', () => {
  it('parses IPv4, IPv6 with compression and IPv4-mapped IPv6 as IPv4', () => {
    expect(parseIp('10.0.0.5')).toEqual({ family: 4, value: 0x0a000005n });
    expect(parseIp('::ffff:10.0.0.5')).toEqual({ family: 4, value: 0x0a000005n });
    expect(parseIp('2001:db8::1')).toEqual({ family: 6, value: (0x20010db8n << 96n) | 1n });
    expect(parseIp('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIp('fe80::1%eth0')?.family).toBe(6);
  });

  it('rejects what is not an address', () => {
    for (const bad of [
      '',
      '256.1.1.1',
      '1.2.3',
      'pool.example.com',
      '1::2::3',
      '1:2:3:4:5:6:7:8:9',
      'gggg::1',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });
});

describe('address classes', () => {
  it('knows loopback and unspecified addresses in both families', () => {
    expect(['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1'].every(isLoopback)).toBe(true);
    expect(['10.0.0.1', '::2', '128.0.0.1'].some(isLoopback)).toBe(false);
    expect(['0.0.0.0', '::'].every(isUnspecified)).toBe(true);
    expect(isUnspecified('0.0.0.1')).toBe(false);
  });

  it('formats IPv6 endpoints in brackets', () => {
    expect(formatEndpoint('10.0.0.1', 3333)).toBe('10.0.0.1:3333');
    expect(formatEndpoint('2001:db8::1', 3333)).toBe('[2001:db8::1]:3333');
  });
});

describe('addressMatcher', () => {
  it('matches single addresses and CIDR ranges of either family', () => {
    const match = addressMatcher([
      entry('198.51.100.7'),
      entry('203.0.113.0/24'),
      entry('2001:db8:dead::/48'),
    ]);
    expect(match('198.51.100.7')?.value).toBe('198.51.100.7');
    expect(match('198.51.100.8')).toBeUndefined();
    expect(match('203.0.113.255')?.value).toBe('203.0.113.0/24');
    expect(match('::ffff:203.0.113.1')?.value).toBe('203.0.113.0/24');
    expect(match('203.0.114.0')).toBeUndefined();
    expect(match('2001:db8:dead:beef::1')?.value).toBe('2001:db8:dead::/48');
    expect(match('2001:db8:deae::1')).toBeUndefined();
    expect(match('not an address')).toBeUndefined();
  });
});
