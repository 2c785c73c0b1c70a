// Detector: a process that exists (its /proc/PID answers when asked directly) but that the /proc
// listing or `ps` leaves out: someone is hiding it, with a preload library or a kernel rootkit.
import type { Evidence } from '../../model/finding.js';
import type { HiddenProcess } from '../../snapshot/stealth.js';
import type { Detector } from '../types.js';
import { processesByPid, t } from '../util.js';

function evidenceOf(h: HiddenProcess, ppid: number): Evidence {
  const e: Evidence = { type: 'process', pid: h.pid, ppid, comm: h.comm, argv: [...h.argv] };
  if (h.exe !== undefined) e.exe = h.exe;
  if (h.exeDeleted) e.exeDeleted = true;
  return e;
}

export const hiddenProcess: Detector = {
  id: 'hidden-process',
  kind: 'preload',
  category: 'miner',
  level: 'critical',
  title: t('Process hidden from the process list', '从进程列表中被隐藏的进程'),
  description: t(
    "Probes every PID up to the kernel's pid_max by opening /proc/PID directly and compares the answer with the /proc directory listing and with `ps -e`, twice, so a process that merely started or ended between two looks is not counted. A PID that answers but is missing from a listing both times is being hidden: a preload library hooking libc's readdir hides it from ps, top and ls; a kernel rootkit hides it from every listing. Threads are told apart by their Tgid, so a thread of a listed process is never reported. Nothing legitimate hides processes, so this is critical; the finding carries the hidden process's executable, arguments and threads. The probe covers all PIDs when pid_max is at most 65536; above that it stops at the highest PID in use plus 32768 and a 400 ms budget, and says how far it got.",
    '逐个直接打开 /proc/PID 探测直到内核 pid_max 的所有 PID，并将结果与 /proc 目录列举和 `ps -e` 的输出比较，共比较两次，以免把刚启动或刚退出的进程算进去。能直接访问却两次都不在某个列举结果中的 PID 就是被隐藏的：劫持 libc readdir 的预加载库会让 ps、top、ls 看不到它；内核 rootkit 会让所有列举都看不到它。线程按 Tgid 区分，已列出进程的线程不会被报告。没有正当程序会隐藏进程，因此为严重级别；发现中包含被隐藏进程的可执行文件、参数和线程。pid_max 不超过 65536 时探测全部 PID；更大时探测到正在使用的最大 PID 再加 32768，并限时 400 毫秒，同时说明探测到了哪里。',
  ),
  tags: ['attack.t1014', 'attack.t1564', 'attack.t1574.006', 'attack.t1496'],
  needs: ['hidden'],
  verify: t(
    '`ls /proc | grep -x <pid>` prints nothing while `cat /proc/<pid>/status` works; `ls -l /proc/<pid>/exe` and `tr "\\0" " " < /proc/<pid>/cmdline` show what it runs. Check /etc/ld.so.preload and `LD_PRELOAD` of your shell; from a statically linked busybox the process may show up again.',
    '`ls /proc | grep -x <pid>` 没有输出，而 `cat /proc/<pid>/status` 可以读取；`ls -l /proc/<pid>/exe` 和 `tr "\\0" " " < /proc/<pid>/cmdline` 显示它运行的程序。检查 /etc/ld.so.preload 和当前 shell 的 `LD_PRELOAD`；用静态链接的 busybox 可能又能看到该进程。',
  ),
  remediation: t(
    'Copy the executable from /proc/<pid>/exe into quarantine, kill the process tree, then remove what hid it (the ld.so.preload entry and library, or the kernel module) and look for the persistence that restarts it.',
    '先从 /proc/<pid>/exe 把可执行文件复制到隔离区，结束进程树，再移除隐藏它的组件（ld.so.preload 条目和库，或内核模块），并排查会重新启动它的持久化机制。',
  ),
  messages: {
    hidden: t(
      '{process} exists but is hidden from {from}; it runs: {command}',
      '{process}存在，但在{from}中被隐藏；其命令行：{command}',
    ),
  },
  detect(snapshot) {
    const listed = processesByPid(snapshot);
    return (snapshot.hidden?.processes ?? []).map((h) => {
      const label = h.exe ?? h.argv[0] ?? h.comm;
      const from = h.missingFrom.map((m) => (m === 'ps' ? '`ps`' : 'the /proc listing')).join(' and ');
      const fromZh = h.missingFrom.map((m) => (m === 'ps' ? '`ps`' : '/proc 目录列举')).join('和');
      // The process walk may still have read it (its own listing was not hooked): that record has more.
      const known = listed.get(h.pid);
      return {
        subject: `process:${h.pid}`,
        messageId: 'hidden',
        data: {
          process: t(`PID ${h.pid} (${label})`, `进程 PID ${h.pid}（${label}）`),
          pid: h.pid,
          ...(h.exe !== undefined ? { exe: h.exe } : {}),
          command: h.argv.join(' ') || h.comm,
          from: t(from, fromZh),
          missingFrom: h.missingFrom.join(', '),
          threads: h.threads.length,
        },
        evidence: [
          evidenceOf(h, known?.ppid ?? h.ppid ?? 0),
          {
            type: 'match',
            field: 'missing from',
            value: h.missingFrom.join(', '),
            ioc: 'PID probe vs listings',
          },
          { type: 'match', field: 'threads', value: h.threads.join(' ') },
        ],
        remediate: [
          h.exe
            ? { type: 'kill-process-tree' as const, pid: h.pid, exe: h.exe }
            : { type: 'kill-process-tree' as const, pid: h.pid },
        ],
        fingerprint: ['process', h.exe ?? '', h.argv.length > 0 ? h.argv.join(' ') : h.comm],
      };
    });
  },
};
