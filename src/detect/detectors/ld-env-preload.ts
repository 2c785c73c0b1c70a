// Detector: a process whose environment tells the loader to inject a library (LD_PRELOAD, LD_AUDIT)
// or to search an odd directory first (LD_LIBRARY_PATH): the per-process form of a preload rootkit.
import type { Evidence, Level } from '../../model/finding.js';
import type { SharedObject } from '../../snapshot/stealth.js';
import type { Detector, Hit } from '../types.js';
import { oddPlace } from '../places.js';
import { isUserland, processEvidence, processFingerprint, processRef, processSubject, t } from '../util.js';
import { libraryEvidence, preloadLevel } from './ld-so-preload.js';

const RANK: Level[] = ['info', 'low', 'medium', 'high', 'critical'];
const max = (a: Level, b: Level): Level => (RANK.indexOf(b) > RANK.indexOf(a) ? b : a);

function findLib(libs: SharedObject[], entry: string): SharedObject | undefined {
  return (
    libs.find((l) => l.path === entry) ??
    libs.find((l) => !entry.includes('/') && l.path.endsWith(`/${entry}`))
  );
}

export const ldEnvPreload: Detector = {
  id: 'ld-env-preload',
  kind: 'preload',
  category: 'miner',
  level: 'high',
  title: t('Process started with a library injected through its environment', '进程通过环境变量被注入库'),
  description: t(
    'Looks at the dynamic loader variables in every process environment. LD_PRELOAD and LD_AUDIT load a library into the process before its own code runs; LD_LIBRARY_PATH makes the loader search a directory before the system ones. Miners and their hiders use them to hook libc in selected processes without touching /etc/ld.so.preload. A library that overrides directory-listing or file-opening calls, lives in a writable or hidden place or is missing is critical; one no package owns is high; a packaged library (fakeroot, jemalloc, sanitizers) is low. LD_LIBRARY_PATH is reported (medium) only when it points into a writable or hidden directory.',
    '检查每个进程环境中的动态链接器变量。LD_PRELOAD 和 LD_AUDIT 会在进程自身代码运行前加载一个库；LD_LIBRARY_PATH 让链接器优先在某个目录中查找库。挖矿程序及其隐藏组件借此在特定进程中劫持 libc，而无需修改 /etc/ld.so.preload。覆盖目录列举或文件打开类调用、位于可写或隐藏位置、或已不存在的库为严重；不属于任何软件包的库为高危；属于软件包的库（fakeroot、jemalloc、sanitizer 等）为低危。LD_LIBRARY_PATH 仅在指向可写或隐藏目录时报告（中危）。',
  ),
  tags: ['attack.t1574.006', 'attack.defense-evasion'],
  needs: ['processes', 'preload'],
  verify: t(
    '`tr "\\0" "\\n" < /proc/<pid>/environ | grep ^LD_` shows the variables; `grep <library> /proc/<pid>/maps` confirms the library is mapped; `nm -D --defined-only <library>` lists what it overrides. Find who started the process (`ps -o ppid= -p <pid>`) and where the variable was set (shell profiles, systemd Environment=, /etc/environment).',
    '`tr "\\0" "\\n" < /proc/<pid>/environ | grep ^LD_` 显示这些变量；`grep <库> /proc/<pid>/maps` 确认库已被映射；`nm -D --defined-only <库>` 列出它覆盖的函数。找出启动该进程的父进程（`ps -o ppid= -p <pid>`）以及变量是在哪里设置的（shell 配置文件、systemd 的 Environment=、/etc/environment）。',
  ),
  remediation: t(
    'Quarantine the library, remove the variable from wherever it is set, and restart the process without it. If the process is itself a miner, kill its tree.',
    '隔离该库，从设置它的位置删除该变量，并在不带该变量的情况下重启进程。如果该进程本身就是挖矿程序，结束其进程树。',
  ),
  messages: {
    runsWith: t('{process} runs with {variables}', '{process}带有 {variables} 运行'),
  },
  detect(snapshot) {
    const libs = snapshot.preload?.libraries ?? [];
    const packageDb = snapshot.preload?.packageDb !== 'none';
    const hits: Hit[] = [];
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p)) continue;
      let level: Level | undefined;
      const evidence: Evidence[] = [processEvidence(p)];
      const named: string[] = [];
      const quarantine: string[] = [];
      for (const name of ['LD_PRELOAD', 'LD_AUDIT'] as const) {
        const value = p.env[name];
        if (value === undefined || value.trim() === '') continue;
        for (const entry of value.split(/[\s:]+/).filter((e) => e !== '')) {
          const lib = findLib(libs, entry);
          const l = preloadLevel(lib, packageDb);
          level = max(level ?? 'info', l);
          named.push(`${name}=${entry}`);
          evidence.push({ type: 'match', field: `env.${name}`, value: entry });
          if (lib) evidence.push(...libraryEvidence(lib));
          if (lib?.exists && lib.package === undefined) quarantine.push(lib.path);
        }
      }
      const llp = p.env.LD_LIBRARY_PATH;
      if (llp !== undefined) {
        const odd = llp.split(':').filter((d) => d !== '' && oddPlace(`${d.replace(/\/$/, '')}/x`));
        if (odd.length > 0) {
          level = max(level ?? 'info', 'medium');
          named.push(`LD_LIBRARY_PATH=${odd.join(':')}`);
          evidence.push({ type: 'match', field: 'env.LD_LIBRARY_PATH', value: llp });
        }
      }
      if (level === undefined) continue;
      hits.push({
        subject: processSubject(p.pid),
        level,
        messageId: 'runsWith',
        data: {
          process: processRef(p),
          pid: p.pid,
          variables: t(named.join(', '), named.join('、')),
        },
        evidence,
        remediate: quarantine.map((path) => ({ type: 'quarantine-file' as const, path })),
        fingerprint: processFingerprint(p),
      });
    }
    return hits;
  },
};
