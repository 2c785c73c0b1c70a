// Detector: a shared object mapped into running processes from a place libraries do not come from
// (/tmp, /dev/shm, a hidden directory, a memfd) or sitting in a system library directory while no
// package owns it: how injected hooks and miner payloads look in /proc/PID/maps. Objects in a language
// or toolchain manager's tree (src/detect/toolchains.ts) are ordinary when the file itself is sound.
// A packaged library in its proper place can still be patched (a libc or libpam exporting hooks): its
// content against the package's record (src/collect/linux/packages/mapped-integrity.ts) tells.
import type { Evidence, Localized } from '../../model/finding.js';
import type { ProcessInfo } from '../../snapshot/schema.js';
import type { Preload, SharedObject } from '../../snapshot/stealth.js';
import type { Detector, Hit } from '../types.js';
import { oddLibraryPlace } from '../places.js';
import { toolchainOf, type ToolchainLayout } from '../toolchains.js';
import { processesByPid, processEvidence, t } from '../util.js';
import { libraryEvidence } from './ld-so-preload.js';

/** At most this many mapping processes are listed as evidence; the message gives the count. */
const MAX_PROCESS_EVIDENCE = 5;
/** The kernel's mark on a mapping whose file was deleted. */
const DELETED = ' (deleted)';
/** Bits whose addition to a library's mode lets others replace code root's processes load. */
const WIDENING = 0o6022;

export const oddSharedObject: Detector = {
  id: 'odd-shared-object',
  kind: 'preload',
  category: 'miner',
  level: 'medium',
  title: t(
    'Shared object loaded from an odd place, owned by no package, or changed since its package installed it',
    '从可疑位置加载、不属于任何软件包或自软件包安装后被改动的共享库',
  ),
  description: t(
    "Goes through every file-backed shared object mapped into a process (/proc/PID/maps; minehunter's own process included, since a preload rootkit is loaded into it too). A library mapped from /tmp, /var/tmp, /dev/shm, /run, /dev or an anonymous memory file is high; one from a hidden or blank-named directory, or one in a system library directory that no installed package owns (dpkg's file lists, the rpm database or apk's installed database), is medium. Libraries in other places (applications under /opt, language add-ons under a project directory) are not reported. A library that was deleted after being loaded is reported only when it lived in one of those odd places, since package upgrades delete libraries that long-running daemons still map. Language and toolchain managers install shared objects in such places as a matter of course: pyenv (~/.pyenv/versions), nvm (~/.nvm/versions/node), rustup and Cargo (~/.rustup/toolchains, ~/.cargo/registry|git|bin, a target/debug|release build directory), conda, Miniconda, Anaconda and mamba, pipx, the Python user site-packages (~/.local/lib/python*/site-packages), pipenv and virtualenvwrapper environments, SDKMAN! (~/.sdkman/candidates), a Python environment (<dir>/lib/python3.X/site-packages) and a Node.js native addon (node_modules/<package>/…/*.node, also in a checkout under /tmp or /var/tmp). An object in one of those trees is not reported when the file is owned by root or by the user the process runs as, is not world-writable and was not deleted; otherwise the finding says which of these failed, and a fact that was not collected counts as failed. Manager homes are never recognised inside /tmp or /var/tmp; no tree is recognised inside /dev/shm, /run, /dev or a memfd, under a hidden directory of /tmp or /var/tmp, or in a path with `..` in it (the table: src/detect/toolchains.ts). A library named by /etc/ld.so.preload, LD_PRELOAD or LD_AUDIT is never exempt (ld-so-preload and ld-env-preload report the preload itself). Every mapped library a package owns is also checked against the package database, as `rpm -V` does: the file on disk against the md5 dpkg recorded (/var/lib/dpkg/info/<package>.md5sums), the SHA-1 apk recorded (Z: in /lib/apk/db/installed) or the digest, size and mode rpm recorded (%config files excluded; a library prelink rewrote, on a host that has prelink, is not reported); dpkg and apk record no mode, so there the check is digest only. A different digest is high, naming the package and both digests, with the processes that map the file as evidence; a mode that differs from rpm's is high when a write bit for group or others or a setuid/setgid bit was added, medium otherwise. Only mappings that are not deleted are compared, so a daemon still running the copy a package upgrade replaced is not reported; at most 512 MiB of libraries are hashed per scan, and the collection note says when that budget ran out.",
    '检查映射到进程中的每个文件型共享库（/proc/PID/maps；包括 minehunter 自身进程，因为预加载 rootkit 也会被加载进来）。从 /tmp、/var/tmp、/dev/shm、/run、/dev 或匿名内存文件映射的库为高危；来自隐藏或空白名称目录的库，或位于系统库目录却不属于任何已安装软件包（dpkg 文件清单、rpm 数据库或 apk 的 installed 数据库）的库为中危。其他位置的库（/opt 下的应用、项目目录下的语言扩展）不报告。加载后被删除的库只在原位置属于上述可疑位置时报告，因为软件包升级会删除长期运行的守护进程仍在映射的库。语言和工具链管理器本来就会把共享库装在这类位置：pyenv（~/.pyenv/versions）、nvm（~/.nvm/versions/node）、rustup 与 Cargo（~/.rustup/toolchains、~/.cargo/registry|git|bin、target/debug|release 构建目录）、conda、Miniconda、Anaconda 与 mamba、pipx、Python 用户级 site-packages（~/.local/lib/python*/site-packages）、pipenv 与 virtualenvwrapper 虚拟环境、SDKMAN!（~/.sdkman/candidates）、Python 环境（<目录>/lib/python3.X/site-packages）以及 Node.js 原生扩展（node_modules/<包>/…/*.node，包括 /tmp 或 /var/tmp 下的代码检出）。位于这些目录树中的文件，若属主为 root 或进程运行所用的用户、不是所有人可写且未被删除，则不报告；否则发现会说明哪一项不满足，未采集到的信息按不满足处理。/tmp 与 /var/tmp 中不认可管理器主目录；/dev/shm、/run、/dev 与 memfd 中、/tmp 或 /var/tmp 的隐藏目录下以及含 `..` 的路径中，任何目录树都不认可（列表见 src/detect/toolchains.ts）。被 /etc/ld.so.preload、LD_PRELOAD 或 LD_AUDIT 指定的库一律不豁免（预加载本身由 ld-so-preload 与 ld-env-preload 报告）。每个属于软件包的已映射库还会像 `rpm -V` 一样与软件包数据库比对：磁盘上的文件与 dpkg 记录的 md5（/var/lib/dpkg/info/<软件包>.md5sums）、apk 记录的 SHA-1（/lib/apk/db/installed 中的 Z:）或 rpm 记录的摘要、大小和权限比对（不含 %config 文件；在装有 prelink 的主机上被 prelink 改写过的库不报告）；dpkg 和 apk 不记录权限，因此只比对摘要。摘要不同为高危，发现会写明软件包和两个摘要，并以映射该文件的进程为证据；权限与 rpm 记录不同时，新增组或其他用户的写权限或 setuid/setgid 位为高危，其他变化为中危。只比对未被删除的映射，因此仍在运行已被软件包升级替换的旧库的守护进程不会被报告；每次扫描最多计算 512 MiB 库文件的摘要，超出时采集说明会注明。',
  ),
  tags: ['attack.t1574.006', 'attack.t1055', 'attack.defense-evasion'],
  needs: ['processes', 'preload'],
  verify: t(
    '`grep <library> /proc/*/maps` lists the processes that map it; `dpkg -S <library>` (`rpm -qf`, `apk info --who-owns`) tells whether a package owns it; `nm -D --defined-only <library>` shows which libc functions it replaces. A library nobody installed, in /tmp or a hidden directory, is an implant.',
    '`grep <库> /proc/*/maps` 列出映射它的进程；`dpkg -S <库>`（`rpm -qf`、`apk info --who-owns`）判断它是否属于某个软件包；`nm -D --defined-only <库>` 显示它替换了哪些 libc 函数。位于 /tmp 或隐藏目录、无人安装的库就是植入物。',
  ),
  remediation: t(
    'Quarantine the library and find how it is loaded (ld.so.preload, LD_PRELOAD, a dlopen by a miner); restart the processes that map it once that is removed. A packaged library that differs from its package is not quarantined (the processes that map it, often every one, need it): reinstall the package from a trusted mirror (`apt-get install --reinstall <package>`, `dnf reinstall <package>`, `apk fix <package>`; `rpm --setperms <package>` for a mode), then restart the processes that map it.',
    '隔离该库并查明它是如何被加载的（ld.so.preload、LD_PRELOAD、挖矿程序 dlopen）；移除加载途径后重启映射它的进程。与软件包记录不同的软件包库不做隔离（映射它的进程，往往是全部进程，都需要它）：从可信镜像重新安装该软件包（`apt-get install --reinstall <软件包>`、`dnf reinstall <软件包>`、`apk fix <软件包>`；权限问题用 `rpm --setperms <软件包>`），然后重启映射它的进程。',
  ),
  messages: {
    mapped: t(
      '{path} is mapped into {processes} process(es) (PID {pids}): {why}',
      '{path} 被映射到 {processes} 个进程中（PID {pids}）：{why}',
    ),
    mappedFromToolchain: t(
      '{path} is mapped into {processes} process(es) (PID {pids}): {why}; it lies in {tree}, which would be normal, but {problems}',
      '{path} 被映射到 {processes} 个进程中（PID {pids}）：{why}；它位于{tree}中，本属正常，但{problems}',
    ),
    modifiedPackaged: t(
      '{path} is mapped into {processes} process(es) (PID {pids}) but differs from what package {package} installed ({algorithm} {actual}, expected {expected})',
      '{path} 被映射到 {processes} 个进程中（PID {pids}），但与软件包 {package} 安装的版本不同（{algorithm} {actual}，应为 {expected}）',
    ),
    packagedModeChanged: t(
      '{path} is mapped into {processes} process(es) (PID {pids}); its mode is {mode}, but package {package} installed it with mode {expectedMode}',
      '{path} 被映射到 {processes} 个进程中（PID {pids}）；其权限为 {mode}，而软件包 {package} 安装时为 {expectedMode}',
    ),
  },
  detect(snapshot) {
    const preload = snapshot.preload;
    if (!preload) return [];
    const procs = processesByPid(snapshot);
    // Per library, the processes that map it and whether their mapping says " (deleted)".
    const mappers = new Map<string, Map<number, boolean>>();
    for (const p of procs.values()) {
      for (const m of p.maps) {
        const deleted = m.endsWith(DELETED);
        const file = deleted ? m.slice(0, -DELETED.length) : m;
        const byPid = mappers.get(file) ?? new Map<number, boolean>();
        byPid.set(p.pid, (byPid.get(p.pid) ?? false) || deleted);
        mappers.set(file, byPid);
      }
    }
    const hits: Hit[] = [];
    for (const lib of preload.libraries) {
      if (!lib.sources.includes('maps')) continue;
      const byPid = mappers.get(lib.path);
      if (!byPid || byPid.size === 0) continue;
      const odd = oddLibraryPlace(lib.path, lib, preload.packageDb !== 'none');
      if (!odd) {
        const hit = integrityHit(lib, byPid, procs, preload.packageDb);
        if (hit) hits.push(hit);
        continue;
      }
      let pids = [...byPid.keys()];
      // A library the loader is told to preload is never an ordinary toolchain file.
      const preloaded = lib.sources.some((s) => s !== 'maps');
      const layout = preloaded ? undefined : toolchainOf(lib.path);
      const problems: Localized[] = [];
      if (layout) {
        // Ordinary for the processes whose file is sound; reported for the others, with why.
        pids = pids.filter((pid) => {
          const found = toolchainProblems(lib, procs.get(pid), byPid.get(pid) ?? false);
          for (const f of found) if (!problems.some((x) => x.en === f.en)) problems.push(f);
          return found.length > 0;
        });
        if (pids.length === 0) continue;
      }
      const shown = pids.slice(0, MAX_PROCESS_EVIDENCE);
      const evidence: Evidence[] = [
        ...libraryEvidence(lib),
        ...(layout ? toolchainEvidence(lib, layout) : []),
        ...integrityEvidence(lib, preload.packageDb),
        ...shown.flatMap((pid) => {
          const p = procs.get(pid);
          return p ? [processEvidence(p)] : [];
        }),
      ];
      const list = shown.join(', ') + (pids.length > shown.length ? ', …' : '');
      hits.push({
        subject: `file:${lib.path}`,
        level: odd.level,
        messageId: layout ? 'mappedFromToolchain' : 'mapped',
        data: {
          path: lib.path,
          processes: pids.length,
          pids: list,
          why: odd.why,
          ...(layout
            ? {
                toolchain: layout.id,
                tree: layout.label,
                problems: t(
                  problems.map((x) => x.en).join(', and '),
                  problems.map((x) => x['zh-CN']).join('，并且'),
                ),
              }
            : {}),
        },
        evidence,
        remediate:
          lib.exists && !lib.path.startsWith('/memfd:') ? [{ type: 'quarantine-file', path: lib.path }] : [],
        fingerprint: ['shared-object', lib.path, lib.sha256 ?? ''],
      });
    }
    return hits;
  },
};

/** "0644": permission bits as chmod writes them. */
function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/**
 * Why a shared object in a toolchain tree is not an ordinary toolchain file for one process that maps
 * it; empty when it is. Ordinary means: still on disk and not deleted under the process, owned by root
 * or by the process's user, not world-writable. A fact that was not collected counts against it.
 */
export function toolchainProblems(
  lib: SharedObject,
  proc: ProcessInfo | undefined,
  deleted: boolean,
): Localized[] {
  const out: Localized[] = [];
  if (deleted || !lib.exists) {
    out.push(t('it was deleted after it was loaded', '它在加载后已被删除'));
    return out;
  }
  if (lib.uid === undefined || lib.mode === undefined) {
    out.push(t('its owner and mode were not collected', '未采集到它的属主和权限'));
    return out;
  }
  if ((lib.mode & 0o002) !== 0)
    out.push(t(`it is world-writable (mode ${octal(lib.mode)})`, `它所有人可写（权限 ${octal(lib.mode)}）`));
  if (lib.uid !== 0 && lib.uid !== proc?.uid) {
    const user = proc?.uid === undefined ? t('unknown', '未知') : t(`uid ${proc.uid}`, `uid ${proc.uid}`);
    out.push(
      t(
        `it is owned by uid ${lib.uid}, neither root nor the process's user (${user.en})`,
        `它的属主是 uid ${lib.uid}，既不是 root 也不是进程的用户（${user['zh-CN']}）`,
      ),
    );
  }
  return out;
}

/** The toolchain tree the object lies in and the owner and mode facts the judgement rests on. */
function toolchainEvidence(lib: SharedObject, layout: ToolchainLayout): Evidence[] {
  const facts =
    lib.uid !== undefined && lib.mode !== undefined
      ? `owner uid ${lib.uid}, mode ${octal(lib.mode)}`
      : 'owner and mode not collected';
  return [{ type: 'match', field: 'toolchain tree', value: `${layout.id}: ${facts}`, ioc: layout.label.en }];
}

/** The package record against the file, when they differ: digest, and on rpm hosts size and mode. */
function integrityEvidence(lib: SharedObject, manager: Preload['packageDb']): Evidence[] {
  const v = lib.integrity;
  if (!v || (v.status !== 'modified' && v.mode === v.expectedMode)) return [];
  const pkg = `${manager} ${lib.package ?? '?'}`;
  const out: Evidence[] = [];
  if (v.status === 'modified' && v.algorithm)
    out.push({
      type: 'match',
      field: v.algorithm,
      value: v.actual ?? '?',
      ioc: `${pkg}: ${v.listed ?? lib.path} ${v.expected ?? ''}`,
    });
  if (v.size !== undefined && v.expectedSize !== undefined && v.size !== v.expectedSize)
    out.push({ type: 'match', field: 'size', value: String(v.size), ioc: `${pkg}: ${v.expectedSize}` });
  if (v.mode !== undefined && v.expectedMode !== undefined && v.mode !== v.expectedMode)
    out.push({ type: 'match', field: 'mode', value: octal(v.mode), ioc: `${pkg}: ${octal(v.expectedMode)}` });
  return out;
}

/**
 * A packaged library in an ordinary place whose file differs from its package's record: content
 * (high) or, on rpm hosts, mode. Only processes whose mapping is not deleted are named: a deleted
 * mapping is an older file than the one compared (src/collect/linux/packages/mapped-integrity.ts
 * compares only libraries some process maps live).
 */
function integrityHit(
  lib: SharedObject,
  byPid: Map<number, boolean>,
  procs: Map<number, ProcessInfo>,
  manager: Preload['packageDb'],
): Hit | undefined {
  const v = lib.integrity;
  if (!v || lib.package === undefined || v.status === 'not-checked') return undefined;
  const modified = v.status === 'modified';
  const modeChanged = v.mode !== undefined && v.expectedMode !== undefined && v.mode !== v.expectedMode;
  if (!modified && !modeChanged) return undefined;
  const pids = [...byPid].filter(([, deleted]) => !deleted).map(([pid]) => pid);
  if (pids.length === 0) return undefined;
  const shown = pids.slice(0, MAX_PROCESS_EVIDENCE);
  const common = {
    path: lib.path,
    processes: pids.length,
    pids: shown.join(', ') + (pids.length > shown.length ? ', …' : ''),
    package: lib.package,
  };
  const evidence: Evidence[] = [
    ...libraryEvidence(lib),
    ...integrityEvidence(lib, manager),
    ...shown.flatMap((pid) => {
      const p = procs.get(pid);
      return p ? [processEvidence(p)] : [];
    }),
  ];
  // Not quarantined: the processes that map a packaged library (libc: all of them) need it.
  if (modified)
    return {
      subject: `file:${lib.path}`,
      level: 'high',
      messageId: 'modifiedPackaged',
      data: {
        ...common,
        algorithm: v.algorithm ?? '?',
        actual: v.actual ?? '?',
        expected: v.expected ?? '?',
      },
      evidence,
      remediate: [],
      fingerprint: ['shared-object-integrity', lib.path, v.actual ?? ''],
    };
  const mode = v.mode!;
  const expectedMode = v.expectedMode!;
  return {
    subject: `file:${lib.path}`,
    level: (mode & ~expectedMode & WIDENING) !== 0 ? 'high' : 'medium',
    messageId: 'packagedModeChanged',
    data: { ...common, mode: octal(mode), expectedMode: octal(expectedMode) },
    evidence,
    remediate: [],
    fingerprint: ['shared-object-mode', lib.path, octal(mode)],
  };
}
