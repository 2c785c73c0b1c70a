// Which command a command line asks for, and which command lines scan this host (and so start the
// process walk's worker and the CPU window ahead of the program).
import { describe, expect, it } from 'vitest';
import { requestedCommand, scansThisHost } from './command-line.js';

describe('the command line read ahead', () => {
  it('names the command: the first word that is neither an option nor --lang’s value', () => {
    expect(requestedCommand(['--lang', 'zh-CN', 'scan', '--format', 'json'])).toBe('scan');
    expect(requestedCommand(['-q', 'analyze', 'scan'])).toBe('analyze');
    expect(requestedCommand(['--lang', 'scan'])).toBeUndefined();
    expect(requestedCommand(['--version'])).toBeUndefined();
  });

  it('scans this host: scan, global options first or not, --path with --host', () => {
    for (const argv of [
      ['scan'],
      ['--lang', 'zh-CN', 'scan', '--format', 'json'],
      ['-q', 'scan', '--path', '/tmp', '--host'],
    ])
      expect(scansThisHost(argv), argv.join(' ')).toBe(true);
  });

  it('does not where no walk of this host runs', () => {
    for (const argv of [
      [],
      ['watch'],
      ['collect'],
      ['analyze', 'scan'],
      ['scan', '--help'],
      ['scan', '-h'],
      ['scan', '--root', '/mnt/disk'],
      ['scan', '--root=/mnt/disk'],
      ['scan', '--path', '/tmp'],
      ['scan', '--path=/tmp'],
      ['--lang', 'scan'],
    ])
      expect(scansThisHost(argv), argv.join(' ')).toBe(false);
  });
});
