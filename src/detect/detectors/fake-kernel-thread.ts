// Detector: a userland process dressed up as a kernel thread ("[kworker/0:1]", "kthreadd",
// "ksoftirqd/0"), the disguise miners use so `ps` and `top` readers skip over them.
import type { Evidence } from '../../model/finding.js';
import type { ProcessInfo } from '../../snapshot/schema.js';
import type { Detector, Hit } from '../types.js';
import {
  basename,
  isUserland,
  processActions,
  processEvidence,
  processFingerprint,
  processRef,
  processSubject,
  t,
} from '../util.js';

/**
 * Names of Linux kernel threads. Generic words (watchdog, migration, cpuhp…) count only in the
 * per-CPU form the kernel uses (`watchdog/0`), because userland daemons such as /usr/sbin/watchdog
 * legitimately carry the bare word.
 */
const KERNEL_THREAD_NAMES = [
  'kworker/[\\w:.+-]+',
  'kthreadd',
  'ksoftirqd/\\d+',
  'migration/\\d+',
  'cpuhp/\\d+',
  'idle_inject/\\d+',
  'watchdog/\\d+',
  'watchdogd',
  'rcu_(?:sched|bh|preempt|gp|par_gp|tasks(?:_\\w+)?)',
  'rcuo[bcps]/\\d+',
  'kswapd\\d+',
  'khugepaged',
  'kcompactd\\d+',
  'kdevtmpfs',
  'ksmd',
  'kauditd',
  'khungtaskd',
  'oom_reaper',
  'kblockd',
  'kintegrityd',
  'kthrotld',
  'writeback',
  'mm_percpu_wq',
  'netns',
  'kstrp',
  'ipv6_addrconf',
  'jbd2/[\\w.-]+',
  'ext4-rsv-conver',
  'xfsaild/[\\w.-]+',
  'scsi_eh_\\d+',
  'scsi_tmf_\\d+',
  'irq/\\d+-[\\w.:-]+',
  'kcryptd(?:_io)?(?:/[\\w:.-]+)?',
  'bioset',
  'ata_sff',
  'edac-poller',
  'khelper',
  'kpsmoused',
  'zswap-shrink',
  'ecryptfs-kthrea',
  'kaluad',
  'kmpath_rdacd',
  'ttm_swap',
  'inet_frag_wq',
  'tpm_dev_wq',
  'blkcg_punt_bio',
  'slub_flushwq',
  'charger_manager',
];
const NAME = `(?:${KERNEL_THREAD_NAMES.join('|')})`;
/** Bare (`kworker/0:1`) or in the brackets ps adds to kernel threads (`[kworker/0:1]`), maybe padded. */
const KERNEL_THREAD_RE = new RegExp(`^(?:${NAME}|\\[\\s*${NAME}\\s*\\].*)$`);

export function looksLikeKernelThread(name: string): boolean {
  return KERNEL_THREAD_RE.test(name.trim());
}

function disguise(p: ProcessInfo): { field: string; value: string } | undefined {
  const candidates: { field: string; value: string }[] = [];
  if (p.argv[0]) candidates.push({ field: 'argv[0]', value: p.argv[0] });
  candidates.push({ field: 'comm', value: p.comm });
  if (p.exe) candidates.push({ field: 'exe', value: basename(p.exe) });
  return candidates.find((c) => looksLikeKernelThread(c.value));
}

export const fakeKernelThread: Detector = {
  id: 'fake-kernel-thread',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'high',
  title: t('Userland process disguised as a kernel thread', '伪装成内核线程的用户态进程'),
  description: t(
    'Kernel threads such as kworker/0:1, kthreadd or ksoftirqd/0 have no executable and an empty command line; ps shows them in brackets. A process whose argv[0], task name (comm) or executable name looks like one of them but which has an executable or a command line of its own is a userland program in disguise, a trick cryptomining malware uses so that people reading ps or top pass over it. Generic words (watchdog, migration) count only in the per-CPU form the kernel uses (watchdog/0), so daemons like /usr/sbin/watchdog do not hit.',
    'kworker/0:1、kthreadd、ksoftirqd/0 等内核线程没有可执行文件，命令行为空，ps 会用方括号显示它们。如果一个进程的 argv[0]、任务名（comm）或可执行文件名看起来像内核线程，却有自己的可执行文件或命令行，那就是伪装的用户态程序，这是挖矿木马常用的手法，让查看 ps 或 top 的人忽略它。watchdog、migration 这类通用词只有在内核使用的每 CPU 形式（watchdog/0）下才计入，因此 /usr/sbin/watchdog 这类守护进程不会命中。',
  ),
  tags: ['attack.t1036.005', 'attack.defense-evasion', 'attack.t1496'],
  needs: ['processes'],
  verify: t(
    'A real kernel thread has no executable: `ls -l /proc/<pid>/exe` fails and `cat /proc/<pid>/cmdline` is empty, and its parent is kthreadd (`ps -o ppid= -p <pid>` prints 2). If exe points to a file, or the parent is not 2, the process is a disguised userland program; `grep -E "Name|PPid|Uid" /proc/<pid>/status` shows who runs it.',
    '真正的内核线程没有可执行文件：`ls -l /proc/<pid>/exe` 会失败，`cat /proc/<pid>/cmdline` 为空，且父进程是 kthreadd（`ps -o ppid= -p <pid>` 输出 2）。如果 exe 指向一个文件，或父进程不是 2，该进程就是伪装的用户态程序；`grep -E "Name|PPid|Uid" /proc/<pid>/status` 可查看运行者。',
  ),
  remediation: t(
    'Kill the process tree and quarantine the executable it really runs (copy /proc/<pid>/exe first if the file was deleted). Legitimate software has no reason to pose as a kernel thread, so also look for the dropper, its persistence and how it got in.',
    '结束进程树并隔离它实际运行的可执行文件（如文件已被删除，先复制 /proc/<pid>/exe）。正常软件没有理由伪装成内核线程，因此还要排查投放器、持久化机制以及入侵途径。',
  ),
  messages: {
    executable: t(
      '{process} calls itself "{name}" like a kernel thread, but has the executable {exe}',
      '{process}自称“{name}”，伪装成内核线程，但它有可执行文件 {exe}',
    ),
    commandLine: t(
      '{process} calls itself "{name}" like a kernel thread, but has a command line of its own',
      '{process}自称“{name}”，伪装成内核线程，但它有自己的命令行',
    ),
  },
  detect(snapshot) {
    const hits: Hit[] = [];
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p)) continue;
      const found = disguise(p);
      if (!found) continue;
      const evidence: Evidence[] = [
        processEvidence(p),
        { type: 'match', field: found.field, value: found.value, ioc: 'kernel thread name' },
      ];
      hits.push({
        subject: processSubject(p.pid),
        messageId: p.exe ? 'executable' : 'commandLine',
        data: {
          process: processRef(p),
          pid: p.pid,
          name: found.value,
          field: found.field,
          ...(p.exe ? { exe: p.exe } : {}),
        },
        evidence,
        remediate: processActions(p),
        fingerprint: processFingerprint(p),
      });
    }
    return hits;
  },
};
