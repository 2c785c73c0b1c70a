// Detector: a file that exists (stat finds it) but a listing of its directory leaves out: hiders
// remove their library, /etc/ld.so.preload and the miner's files from what ls and find show.
import type { Detector } from '../types.js';
import { t } from '../util.js';

const REASONS: Record<string, [string, string]> = {
  'ld.so.preload': ['the loader preload list', '链接器预加载列表'],
  'preload-library': ['a preloaded library', '被预加载的库'],
  exe: ["a running process's executable", '正在运行进程的可执行文件'],
  cwd: ["a running process's working directory", '正在运行进程的工作目录'],
};

export const hiddenFile: Detector = {
  id: 'hidden-file',
  kind: 'preload',
  category: 'miner',
  level: 'high',
  title: t('File hidden from directory listings', '在目录列举中被隐藏的文件'),
  description: t(
    "Takes the names a hider most wants gone (/etc/ld.so.preload, the preloaded libraries, the executables and working directories of running processes), checks that each exists with stat, and compares the directory's listing by minehunter itself with the listing `find` prints from a separate process (which goes through libc's readdir, the call preload rootkits hook). A file that stats but is missing from a listing is being hidden. The comparison is made only on a live system.",
    '选取隐藏者最想藏起来的名称（/etc/ld.so.preload、被预加载的库、正在运行进程的可执行文件和工作目录），先用 stat 确认存在，再比较 minehunter 自己列举的目录内容与另一个进程 `find` 列举的结果（后者经过 libc 的 readdir，正是预加载 rootkit 劫持的调用）。能 stat 到却不在列举结果中的文件就是被隐藏的。仅在运行中的系统上比较。',
  ),
  tags: ['attack.t1564.001', 'attack.t1014', 'attack.t1574.006'],
  needs: ['hidden'],
  verify: t(
    '`ls -la <dir> | grep <name>` prints nothing while `stat <path>` succeeds; from a statically linked busybox (`busybox ls -la <dir>`) the name shows again.',
    '`ls -la <目录> | grep <名称>` 没有输出，而 `stat <路径>` 成功；用静态链接的 busybox（`busybox ls -la <目录>`）可以重新看到该名称。',
  ),
  remediation: t(
    'Quarantine the file (for /etc/ld.so.preload take the rootkit library out first, see ld-so-preload), then remove the hider.',
    '隔离该文件（如果是 /etc/ld.so.preload，先按 ld-so-preload 的说明移除 rootkit 库），然后清除隐藏组件。',
  ),
  messages: {
    missingFromListing: t(
      '{path} ({what}) exists but is missing from {listings}',
      '{path}（{what}）存在，但不在{listings}的结果中',
    ),
  },
  detect(snapshot) {
    return (snapshot.hidden?.files ?? []).map((f) => {
      const [en, zh] = REASONS[f.reason] ?? [f.reason, f.reason];
      const from = f.missingFrom
        .map((m) => (m === 'find' ? '`find`' : "minehunter's own listing"))
        .join(' and ');
      const fromZh = f.missingFrom.map((m) => (m === 'find' ? '`find`' : 'minehunter 自身的列举')).join('和');
      return {
        subject: `file:${f.path}`,
        level:
          f.reason === 'ld.so.preload' || f.reason === 'preload-library' ? ('critical' as const) : undefined,
        messageId: 'missingFromListing',
        data: {
          path: f.path,
          reason: f.reason,
          what: t(en, zh),
          listings: t(from, fromZh),
          missingFrom: f.missingFrom.join(', '),
        },
        evidence: [
          { type: 'file' as const, path: f.path, ...(f.sha256 ? { sha256: f.sha256 } : {}) },
          {
            type: 'match' as const,
            field: 'missing from',
            value: f.missingFrom.join(', '),
            ioc: 'stat vs directory listing',
          },
        ],
        remediate:
          f.reason === 'cwd' || f.reason === 'ld.so.preload'
            ? []
            : [{ type: 'quarantine-file' as const, path: f.path }],
        fingerprint: ['hidden-file', f.path],
      };
    });
  },
};
