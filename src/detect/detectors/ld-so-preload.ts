// Detector: /etc/ld.so.preload names libraries the loader injects into every program. Rootkits that
// hide miners (libprocesshider and its kin) live there; packaged tools rarely do.
import type { Evidence, Level } from '../../model/finding.js';
import type { SharedObject } from '../../snapshot/stealth.js';
import type { Detector, Hit } from '../types.js';
import { inSystemLibDir, oddPlace } from '../places.js';
import { t } from '../util.js';

/** libc calls a hider intercepts to make processes, files or sockets vanish from listings. */
export const HIDING_CALLS = new Set([
  'readdir',
  'readdir64',
  'readdir_r',
  'readdir64_r',
  'opendir',
  'fdopendir',
  'scandir',
  'scandir64',
  'getdents',
  'getdents64',
  'stat',
  'lstat',
  'fopen',
  'fopen64',
  'open',
  'open64',
  'openat',
  'access',
]);

/** Evidence for one preloaded library: its file and hash, and the libc calls it overrides. */
export function libraryEvidence(lib: SharedObject): Evidence[] {
  const file: Evidence = { type: 'file', path: lib.path };
  if (lib.sha256 !== undefined) file.sha256 = lib.sha256;
  const out: Evidence[] = [file];
  if (lib.overrides && lib.overrides.length > 0) {
    out.push({
      type: 'match',
      field: 'overrides',
      value: lib.overrides.join(', '),
      ioc: 'libc functions it replaces',
    });
  }
  if (lib.package !== undefined) out.push({ type: 'match', field: 'package', value: lib.package });
  return out;
}

/** How bad one preloaded library is: hiding calls or an odd place make it critical, a package low. */
export function preloadLevel(lib: SharedObject | undefined, packageDb: boolean): Level {
  if (!lib || !lib.exists) return 'high';
  // A packaged library (fakeroot hooks stat and open too) is the package manager's to verify.
  if (lib.package !== undefined && inSystemLibDir(lib.path) && !oddPlace(lib.path)) return 'low';
  if ((lib.overrides ?? []).some((f) => HIDING_CALLS.has(f))) return 'critical';
  if (oddPlace(lib.path)) return 'critical';
  return packageDb ? 'high' : 'medium';
}

const RANK: Level[] = ['info', 'low', 'medium', 'high', 'critical'];

export const ldSoPreload: Detector = {
  id: 'ld-so-preload',
  kind: 'preload',
  category: 'miner',
  level: 'high',
  title: t(
    'Library injected into every program through /etc/ld.so.preload',
    '通过 /etc/ld.so.preload 注入所有程序的库',
  ),
  description: t(
    'Reads /etc/ld.so.preload, the file that makes the dynamic loader load the listed libraries into every dynamically linked program before anything else. Preload rootkits that hide mining processes (hooking readdir so that ps, top and ls stop showing them) install themselves there. Each entry is checked: its sha256, the libc functions it exports under the same name (read from its ELF dynamic symbol table by minehunter itself), the package that owns it and where it lives. Entries that override directory-listing or file-opening calls, live in a writable or hidden place, or are missing are critical; a library no package owns is high; a packaged library in a system library directory is low.',
    '读取 /etc/ld.so.preload：该文件让动态链接器在任何动态链接程序启动时首先加载其中列出的库。隐藏挖矿进程的预加载型 rootkit（通过劫持 readdir 让 ps、top、ls 看不到进程）就安装在这里。逐条检查：sha256、它导出的与 libc 同名的函数（由 minehunter 自己解析 ELF 动态符号表得到）、所属软件包以及存放位置。覆盖目录列举或文件打开类调用、位于可写或隐藏位置、或文件已不存在的条目为严重；不属于任何软件包的库为高危；系统库目录中属于软件包的库为低危。',
  ),
  tags: ['attack.t1574.006', 'attack.t1014', 'attack.defense-evasion'],
  needs: ['preload'],
  verify: t(
    'Run `cat /etc/ld.so.preload` from a statically linked shell or a rescue system (a hooked libc can hide the file from ls), then `nm -D --defined-only <library>` to see what it overrides and `dpkg -S <library>` to see whether a package owns it. `LD_DEBUG=libs /bin/true 2>&1 | head` shows the library being loaded.',
    '在静态链接的 shell 或救援系统中执行 `cat /etc/ld.so.preload`（被劫持的 libc 可能让 ls 看不到该文件），再用 `nm -D --defined-only <库>` 查看它覆盖了哪些函数，用 `dpkg -S <库>` 查看是否属于某个软件包。`LD_DEBUG=libs /bin/true 2>&1 | head` 可以看到该库被加载。',
  ),
  remediation: t(
    'Quarantine the library, then take its line out of /etc/ld.so.preload (the file is removed when nothing is left); clear an immutable bit first if one is set. Processes started while it was active keep it mapped: restart them, and look again for the processes it hid, which now show up.',
    '先隔离该库，再从 /etc/ld.so.preload 中删除对应行（文件为空时删除整个文件）；如设置了不可修改属性需先清除。在其生效期间启动的进程仍映射着该库，需要重启；之后再次排查它曾隐藏的进程，这些进程现在会显现出来。',
  ),
  messages: {
    loads: t('{path} makes every program load {libraries}', '{path} 让所有程序加载 {libraries}'),
    loadsOverriding: t(
      '{path} makes every program load {libraries}; it overrides {overrides}',
      '{path} 让所有程序加载 {libraries}；覆盖了 {overrides}',
    ),
  },
  detect(snapshot) {
    const preload = snapshot.preload;
    if (!preload?.ldSoPreload.exists || preload.ldSoPreload.entries.length === 0) return [];
    const file = preload.ldSoPreload;
    const byPath = new Map(preload.libraries.map((l) => [l.path, l]));
    const libs = file.entries.map(
      (e) => byPath.get(e) ?? preload.libraries.find((l) => l.path.endsWith(`/${e}`)),
    );
    const levels = libs.map((l) => preloadLevel(l, preload.packageDb !== 'none'));
    const level = levels.reduce<Level>((a, b) => (RANK.indexOf(b) > RANK.indexOf(a) ? b : a), 'info');
    const evidence: Evidence[] = [
      { type: 'file', path: file.path, ...(file.sha256 ? { sha256: file.sha256 } : {}) },
    ];
    file.entries.forEach((entry, i) => {
      evidence.push({ type: 'match', field: 'ld.so.preload entry', value: entry });
      const lib = libs[i];
      if (lib) evidence.push(...libraryEvidence(lib));
    });
    const overrides = [...new Set(libs.flatMap((l) => l?.overrides ?? []))];
    const hit: Hit = {
      subject: `file:${file.path}`,
      level,
      messageId: overrides.length > 0 ? 'loadsOverriding' : 'loads',
      data: {
        path: file.path,
        libraries: file.entries.join(', '),
        entries: file.entries.length,
        ...(overrides.length > 0 ? { overrides: t(overrides.join(', '), overrides.join('、')) } : {}),
      },
      evidence,
      remediate: [
        ...libs.flatMap((l) =>
          l?.exists && l.package === undefined ? [{ type: 'quarantine-file' as const, path: l.path }] : [],
        ),
        {
          type: 'restore-ld-preload',
          path: file.path,
          remove: file.entries.filter((_, i) => levels[i] !== 'low'),
        },
      ],
      fingerprint: ['ld.so.preload', ...file.entries],
    };
    return [hit];
  },
};
