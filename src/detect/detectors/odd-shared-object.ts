// Detector: a shared object mapped into running processes from a place libraries do not come from
// (/tmp, /dev/shm, a hidden directory, a memfd) or sitting in a system library directory while no
// package owns it: how injected hooks and miner payloads look in /proc/PID/maps.
import type { Evidence, Level, Localized } from '../../model/finding.js';
import type { Detector, Hit } from '../types.js';
import { inSystemLibDir, oddPlace, writablePlace } from '../places.js';
import { processesByPid, processEvidence, t } from '../util.js';
import { libraryEvidence } from './ld-so-preload.js';

/** At most this many mapping processes are listed as evidence; the message gives the count. */
const MAX_PROCESS_EVIDENCE = 5;

export const oddSharedObject: Detector = {
  id: 'odd-shared-object',
  kind: 'preload',
  category: 'miner',
  level: 'medium',
  title: t(
    'Shared object loaded from an odd place or owned by no package',
    '从可疑位置加载或不属于任何软件包的共享库',
  ),
  description: t(
    "Goes through every file-backed shared object mapped into a process (/proc/PID/maps; minehunter's own process included, since a preload rootkit is loaded into it too). A library mapped from /tmp, /var/tmp, /dev/shm, /run, /dev or an anonymous memory file is high; one from a hidden or blank-named directory, or one in a system library directory that no installed package owns (dpkg's file lists), is medium. Libraries in other places (applications under /opt, language add-ons under a project directory) are not reported. A library that was deleted after being loaded is reported only when it lived in one of those odd places, since package upgrades delete libraries that long-running daemons still map.",
    '检查映射到进程中的每个文件型共享库（/proc/PID/maps；包括 minehunter 自身进程，因为预加载 rootkit 也会被加载进来）。从 /tmp、/var/tmp、/dev/shm、/run、/dev 或匿名内存文件映射的库为高危；来自隐藏或空白名称目录的库，或位于系统库目录却不属于任何已安装软件包（dpkg 文件清单）的库为中危。其他位置的库（/opt 下的应用、项目目录下的语言扩展）不报告。加载后被删除的库只在原位置属于上述可疑位置时报告，因为软件包升级会删除长期运行的守护进程仍在映射的库。',
  ),
  tags: ['attack.t1574.006', 'attack.t1055', 'attack.defense-evasion'],
  needs: ['processes', 'preload'],
  verify: t(
    '`grep <library> /proc/*/maps` lists the processes that map it; `dpkg -S <library>` tells whether a package owns it; `nm -D --defined-only <library>` shows which libc functions it replaces. A library nobody installed, in /tmp or a hidden directory, is an implant.',
    '`grep <库> /proc/*/maps` 列出映射它的进程；`dpkg -S <库>` 判断它是否属于某个软件包；`nm -D --defined-only <库>` 显示它替换了哪些 libc 函数。位于 /tmp 或隐藏目录、无人安装的库就是植入物。',
  ),
  remediation: t(
    'Quarantine the library and find how it is loaded (ld.so.preload, LD_PRELOAD, a dlopen by a miner); restart the processes that map it once that is removed.',
    '隔离该库并查明它是如何被加载的（ld.so.preload、LD_PRELOAD、挖矿程序 dlopen）；移除加载途径后重启映射它的进程。',
  ),
  detect(snapshot) {
    const preload = snapshot.preload;
    if (!preload) return [];
    const procs = processesByPid(snapshot);
    const mappers = new Map<string, number[]>();
    for (const p of procs.values()) {
      for (const m of p.maps) {
        const file = m.replace(/ \(deleted\)$/, '');
        mappers.set(file, [...(mappers.get(file) ?? []), p.pid]);
      }
    }
    const hits: Hit[] = [];
    for (const lib of preload.libraries) {
      if (!lib.sources.includes('maps')) continue;
      const pids = mappers.get(lib.path) ?? [];
      if (pids.length === 0) continue;
      let level: Level | undefined;
      let why: Localized | undefined;
      const place = oddPlace(lib.path);
      if (place) {
        level = writablePlace(lib.path) || lib.path.startsWith('/memfd:') ? 'high' : 'medium';
        why = t(`it is loaded from ${place.en}`, `它从${place['zh-CN']}加载`);
      } else if (
        lib.exists &&
        inSystemLibDir(lib.path) &&
        lib.package === undefined &&
        preload.packageDb !== 'none'
      ) {
        level = 'medium';
        why = t('no installed package owns it', '它不属于任何已安装的软件包');
      }
      if (!level || !why) continue;
      const shown = pids.slice(0, MAX_PROCESS_EVIDENCE);
      const evidence: Evidence[] = [
        ...libraryEvidence(lib),
        ...shown.flatMap((pid) => {
          const p = procs.get(pid);
          return p ? [processEvidence(p)] : [];
        }),
      ];
      const list = shown.join(', ') + (pids.length > shown.length ? ', …' : '');
      hits.push({
        subject: `file:${lib.path}`,
        level,
        message: t(
          `${lib.path} is mapped into ${pids.length} process(es) (PID ${list}): ${why.en}`,
          `${lib.path} 被映射到 ${pids.length} 个进程中（PID ${list}）：${why['zh-CN']}`,
        ),
        evidence,
        remediate:
          lib.exists && !lib.path.startsWith('/memfd:') ? [{ type: 'quarantine-file', path: lib.path }] : [],
        fingerprint: ['shared-object', lib.path, lib.sha256 ?? ''],
      });
    }
    return hits;
  },
};
