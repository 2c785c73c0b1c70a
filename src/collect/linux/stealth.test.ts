// Each stealth fixture root through the whole collect + detect path, beside its clean twin: the
// hiding trick is reported by its detector, the twin yields nothing from the stealth detectors.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { runDetectors } from '../../detect/run.js';
import { collectSnapshot } from '../index.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from '../test-helpers.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const STEALTH_RULES = new Set([
  'ld-so-preload',
  'ld-env-preload',
  'odd-shared-object',
  'hidden-process',
  'hidden-file',
  'fileless',
  'hidden-directory',
  'kernel-module',
]);

async function scan(name: string): Promise<string[]> {
  const snapshot = await collectSnapshot({
    root: path.join(FIXTURE_ROOTS, name),
    now: FIXTURE_NOW,
    toolVersion: 'test',
    cpuWindowMs: 0,
  });
  return runDetectors(snapshot, ruleset)
    .findings.filter((f) => STEALTH_RULES.has(f.ruleId))
    .map((f) => `${f.level} ${f.ruleId}: ${f.message.en}`)
    .sort();
}

describe('stealth fixture roots', () => {
  it('stealth-fileless: memfd, curl|bash, /dev/shm, base64 payload and a deleted binary', async () => {
    expect(await scan('stealth-fileless')).toEqual([
      'critical fileless: PID 3100 (/memfd:kworker (deleted)): its executable is an anonymous memory file (/memfd:kworker) that never existed on disk, and it keeps a CPU core busy',
      // kdevtmpfsi is also a known miner name: the miner detector's signal escalates this one.
      'critical fileless: PID 3104 (/var/tmp/kdevtmpfsi (deleted)): its executable /var/tmp/kdevtmpfsi was deleted after it started; it was started from /var/tmp (world-writable)',
      'high fileless: PID 3101 (/usr/bin/bash): it feeds a download straight into an interpreter',
      'high fileless: PID 3102 (/dev/shm/.x/sysupdate): it was started from /dev/shm (shared memory, RAM only)',
      'high fileless: PID 3103 (/usr/bin/python3.11): it decodes a payload carried in its command line',
    ]);
    expect(await scan('stealth-fileless-clean')).toEqual([]);
  });

  it('stealth-modules: a module hidden from /proc/modules, a foreign one, a DKMS one', async () => {
    expect(await scan('stealth-modules')).toEqual([
      'critical kernel-module: Kernel module diamorphine: it is loaded (/sys/module) but hidden from /proc/modules and lsmod',
      "high kernel-module: Kernel module hidemod: it taints the kernel (OE) and its file is not in the distribution's module tree",
      'low kernel-module: Kernel module vboxdrv: it taints the kernel (OE): out-of-tree or unsigned, e.g. a DKMS driver',
    ]);
    expect(await scan('stealth-modules-clean')).toEqual([]);
  });

  it('stealth-hidden-dir: "...", a blank name, dot dirs with pool configs, "usr " in /', async () => {
    expect(await scan('stealth-hidden-dir')).toEqual([
      'high hidden-directory: "/dev/shm/ " in /dev/shm has a blank name and holds 1 miner configuration file(s) and 1 executable(s)',
      'high hidden-directory: "/home/alice/.config-x" in /home/alice has a hidden (dot) name and holds 1 miner configuration file(s)',
      'high hidden-directory: "/tmp/..." in /tmp has a dots-only name and holds 1 executable(s)',
      'high hidden-directory: "/var/tmp/.cache" in /var/tmp has a hidden (dot) name and holds 1 miner configuration file(s)',
      'low hidden-directory: "/usr " in / has a name imitating /usr and holds nothing yet',
    ]);
    expect(await scan('stealth-hidden-dir-clean')).toEqual([]);
  });

  it('stealth-preload: an ld.so.preload entry whose library is missing; the twin has none', async () => {
    expect(await scan('stealth-preload')).toEqual([
      'high ld-so-preload: /etc/ld.so.preload makes every program load /usr/local/lib/libsystem.so',
    ]);
    expect(await scan('stealth-preload-clean')).toEqual([]);
  });
});
