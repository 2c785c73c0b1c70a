// Tests for file-form: programs by their magic, scripts by their shebang, rule files and indicator
// lists by their structure whatever they are named, and what only resembles them stays text.
import { describe, expect, it } from 'vitest';
import { fileForm } from './file-form.js';

const text = (s: string) => fileForm(Buffer.from(s));

describe('fileForm', () => {
  it('tells programs by their first bytes', () => {
    expect(fileForm(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]))).toBe('elf');
    expect(fileForm(Buffer.from('MZ\x90\x00\x03\x00', 'latin1'))).toBe('pe');
    expect(fileForm(Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1]))).toBe('macho');
    expect(text('#!/bin/sh\ncurl http://x | sh\n')).toBe('script');
    expect(fileForm(Buffer.from([1, 2, 0, 4, 5]))).toBe('binary');
    // A coloured terminal log is text, however many escape sequences it holds.
    expect(text('\x1b[32m✓\x1b[39m test passed\n'.repeat(200))).toBe('text');
    expect(fileForm(Buffer.from('\x01\x02\x03\x04\x05\x06 some bytes\x07\x08'.repeat(50)))).toBe('binary');
  });

  it('finds YARA and Sigma rule files by their structure', () => {
    expect(
      text('import "pe"\n\nrule XMRig : miner {\n  strings:\n    $a = "xmrig"\n  condition:\n    $a\n}\n'),
    ).toBe('yara-rules');
    expect(
      text(
        'title: Miner\nid: 1\nlogsource:\n  category: process_creation\ndetection:\n  sel:\n    CommandLine|contains: xmrig\n',
      ),
    ).toBe('sigma-rules');
    // Saying "rule" in prose is not a rule file.
    expect(text('The rule of thumb: xmrig is a miner.\nIts condition: bad.\n')).toBe('text');
  });

  it('finds indicator lists and sinkhole blocklists', () => {
    const hosts = [
      '127.0.0.1 localhost',
      '::1 localhost ip6-localhost',
      'ff02::1 ip6-allnodes',
      ...[
        'pool.supportxmr.com',
        'xmr.nanopool.org',
        'gulf.moneroocean.stream',
        'donate.v2.xmrig.com',
        'pool.minexmr.com',
        'c3pool.com',
        'pool.hashvault.pro',
        'xmr.2miners.com',
      ].map((d) => `0.0.0.0 ${d}`),
    ].join('\n');
    expect(text(hosts)).toBe('indicator-list');
    const yaml = [
      'kind: pool-domains',
      'entries:',
      ...[1, 2, 3, 4, 5].flatMap((i) => [
        `  - value: pool${i}.example.com`,
        '    source: https://example.com/',
        '    date: 2026-11-26',
      ]),
    ].join('\n');
    expect(text(yaml)).toBe('indicator-list');
    expect(text(Array.from({ length: 10 }, (_, i) => `||pool${i}.example.com^`).join('\n'))).toBe(
      'indicator-list',
    );
  });

  it('a hosts file that sends pool names to another address is not a blocklist', () => {
    const redirect = Array.from({ length: 10 }, (_, i) => `203.0.113.${i} pool${i}.supportxmr.com`).join(
      '\n',
    );
    expect(text(redirect)).toBe('text');
  });

  it('a miner config is text, not a list', () => {
    expect(
      text(
        '{\n  "pools": [{ "url": "pool.supportxmr.com:443", "user": "4Abc", "pass": "x" }],\n  "donate-level": 1\n}\n',
      ),
    ).toBe('text');
  });
});
