// Which programs and scripts an entrypoint/cmd starts, through shells, interpreters and wrappers.
import { describe, expect, it } from 'vitest';
import { programsOf } from './scripts.js';

describe('programsOf', () => {
  it('names the program itself, or the script a shell or interpreter is handed', () => {
    expect(programsOf(['/docker-entrypoint.sh', 'nginx'])).toEqual(['/docker-entrypoint.sh']);
    expect(programsOf(['sh', '/start.sh'])).toEqual(['/start.sh']);
    expect(programsOf(['/bin/bash', '-e', 'run.sh'])).toEqual(['run.sh']);
    expect(programsOf(['python3', '-u', 'app.py'])).toEqual(['app.py']);
  });
  it('reads the command string of sh -c: each command’s first word and the *.sh it names', () => {
    expect(programsOf(['/bin/sh', '-c', 'chmod +x /x.sh && /x.sh; exec /usr/bin/app'])).toEqual([
      'chmod',
      '/x.sh',
      '/usr/bin/app',
    ]);
    expect(programsOf(['sh', '-ec', 'sh /opt/boot.sh'])).toEqual(['/opt/boot.sh']);
  });
  it('sees through tini, dumb-init, env and gosu', () => {
    expect(programsOf(['/sbin/tini', '--', '/entrypoint.sh'])).toEqual(['/entrypoint.sh']);
    expect(programsOf(['gosu', 'app', 'docker-entrypoint.sh'])).toEqual(['docker-entrypoint.sh']);
    expect(programsOf(['env', 'A=1', 'B=2', '/run'])).toEqual(['/run']);
  });
  it('gives nothing for an empty command or a variable', () => {
    expect(programsOf([])).toEqual([]);
    expect(programsOf(['$APP'])).toEqual([]);
  });
});
