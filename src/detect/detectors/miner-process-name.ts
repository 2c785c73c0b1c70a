// Detector: a process whose executable, task name or argv[0] is the name of a known miner or miner
// dropper from iocs/miner-names.yml (xmrig, xmr-stak, cpuminer, kdevtmpfsi, …).
import type { IocEntry } from '../../iocs/types.js';
import type { Evidence } from '../../model/finding.js';
import type { ProcessInfo } from '../../snapshot/schema.js';
import type { Detector, Hit } from '../types.js';
import {
  basename,
  iocRef,
  isUserland,
  processActions,
  processEvidence,
  processFingerprint,
  processRef,
  processSubject,
  t,
} from '../util.js';

/** The kernel keeps the first 15 bytes of a task name; longer miner names show up cut in `comm`. */
const COMM_LENGTH = 15;

interface NameMatch {
  field: string;
  value: string;
  entry: IocEntry;
}

/**
 * A whole name, or the name followed by a version the way release archives spell it
 * (xmrig-6.21.0, cpuminer_v3.8). Never a substring: "minerd" must not hit "dbminerd-helper".
 */
function matches(candidate: string, name: string): boolean {
  if (candidate === name) return true;
  if (!candidate.startsWith(name)) return false;
  return /^[-_.]v?\d[\w.-]*$/.test(candidate.slice(name.length));
}

function findName(p: ProcessInfo, names: IocEntry[]): NameMatch | undefined {
  const candidates: { field: string; value: string; comm?: boolean }[] = [];
  if (p.exe) candidates.push({ field: 'exe', value: basename(p.exe) });
  if (p.argv[0]) candidates.push({ field: 'argv[0]', value: basename(p.argv[0]) });
  candidates.push({ field: 'comm', value: p.comm, comm: true });
  for (const c of candidates) {
    const lower = c.value.toLowerCase();
    for (const entry of names) {
      const truncated = c.comm && lower.length === COMM_LENGTH && entry.value.slice(0, COMM_LENGTH) === lower;
      if (truncated || matches(lower, entry.value)) return { field: c.field, value: c.value, entry };
    }
  }
  return undefined;
}

export const minerProcessName: Detector = {
  id: 'miner-process-name',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'high',
  title: t('Process runs a known miner program', '进程运行的是已知挖矿程序'),
  description: t(
    'Looks at every userland process and compares the base name of its executable, its argv[0] and its kernel task name (comm) with the names of open-source miners (XMRig and its forks, xmr-stak, cpuminer/minerd, ccminer, T-Rex, lolMiner, NBMiner, PhoenixMiner, SRBMiner, nanominer, TeamRedMiner, …) and of known miner droppers such as Kinsing and its kdevtmpfsi miner, listed with sources in iocs/miner-names.yml. Names match case-insensitively and only whole (a version suffix such as xmrig-6.21.0 is allowed), so short names cannot hit unrelated programs. Renamed miners are caught by the other detectors; this one catches the many infections that do not bother to rename.',
    '检查每个用户态进程，将其可执行文件名、argv[0] 和内核任务名（comm）与开源挖矿程序（XMRig 及其分支、xmr-stak、cpuminer/minerd、ccminer、T-Rex、lolMiner、NBMiner、PhoenixMiner、SRBMiner、nanominer、TeamRedMiner 等）以及 Kinsing 及其 kdevtmpfsi 挖矿程序等已知投放器的名称比对，名单及出处见 iocs/miner-names.yml。比对不区分大小写，且只做整名匹配（允许 xmrig-6.21.0 这样的版本后缀），因此短名称不会误中无关程序。改过名的挖矿程序由其他检测器发现；本检测器发现大量懒得改名的感染。',
  ),
  tags: ['attack.t1496', 'attack.impact'],
  needs: ['processes'],
  verify: t(
    'Run `ls -l /proc/<pid>/exe` and `tr "\\0" " " < /proc/<pid>/cmdline` to see what the process runs and with which pool and wallet; `sha256sum /proc/<pid>/exe` and look the hash up; check who started it with `ps -o user,ppid,lstart -p <pid>` and whether anyone on the host installed a miner on purpose.',
    '执行 `ls -l /proc/<pid>/exe` 和 `tr "\\0" " " < /proc/<pid>/cmdline` 查看进程运行的程序及其矿池和钱包参数；用 `sha256sum /proc/<pid>/exe` 计算哈希并查询；用 `ps -o user,ppid,lstart -p <pid>` 查看启动者，并确认主机上是否有人有意安装了挖矿程序。',
  ),
  remediation: t(
    'Kill the process tree, then quarantine the executable (a hash-verified copy is kept) so it cannot be restarted. Look for what restarts it: cron entries, systemd units, shell profiles and the parent process. If the miner is sanctioned, add it to the allowlist instead.',
    '结束该进程树，再隔离其可执行文件（保留经哈希校验的副本），使其无法再次启动。排查负责重启它的机制：cron 任务、systemd 单元、shell 配置文件以及父进程。如果这是经批准的挖矿程序，请将其加入白名单。',
  ),
  messages: {
    minerName: t(
      '{process} runs a program named "{name}", a known miner or miner dropper',
      '{process}运行的程序名为“{name}”，这是已知的挖矿程序或挖矿投放器',
    ),
    minerNameFamily: t(
      '{process} runs a program named "{name}", a known miner or miner dropper ({family})',
      '{process}运行的程序名为“{name}”，这是已知的挖矿程序或挖矿投放器（{family}）',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p)) continue;
      const match = findName(p, ruleset.minerNames);
      if (!match) continue;
      const family = match.entry.family;
      const evidence: Evidence[] = [
        processEvidence(p),
        { type: 'match', field: match.field, value: match.value, ioc: iocRef(match.entry) },
      ];
      hits.push({
        subject: processSubject(p.pid),
        messageId: family ? 'minerNameFamily' : 'minerName',
        data: {
          process: processRef(p),
          pid: p.pid,
          name: match.value,
          field: match.field,
          listed: match.entry.value,
          ...(family ? { family } : {}),
        },
        evidence,
        remediate: processActions(p),
        fingerprint: processFingerprint(p),
      });
    }
    return hits;
  },
};
