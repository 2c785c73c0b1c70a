// Which command lines start the process walk's worker ahead (a scan of this host) and which do not.
import { describe, expect, it } from 'vitest';
import { scansLiveProcesses, WORKER_MIN_PIDS } from './proc-worker-start.js';

const argv = (...args: string[]): string[] => ['node', 'minehunter', ...args];

describe('the process walk worker started ahead', () => {
  it('is started for a scan of this host, global options first or not', () => {
    for (const args of [
      ['scan'],
      ['--lang', 'zh-CN', 'scan', '--format', 'json'],
      ['-q', 'scan', '--path', '/tmp', '--host'],
    ])
      expect(scansLiveProcesses(argv(...args), () => WORKER_MIN_PIDS)).toBe(true);
  });

  it('is not started where no walk of this host runs, or too small a one for a worker', () => {
    for (const args of [
      [],
      ['watch'],
      ['collect'],
      ['analyze', 'scan'],
      ['scan', '--help'],
      ['scan', '--root', '/mnt/disk'],
      ['scan', '--root=/mnt/disk'],
      ['scan', '--path', '/tmp'],
      ['--lang', 'scan'],
    ])
      expect(
        scansLiveProcesses(argv(...args), () => 1000),
        args.join(' '),
      ).toBe(false);
    expect(scansLiveProcesses(argv('scan'), () => WORKER_MIN_PIDS - 1)).toBe(false);
  });
});
