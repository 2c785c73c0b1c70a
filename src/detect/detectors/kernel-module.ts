// Detector: kernel modules that hide (in /sys/module but missing from /proc/modules), that taint
// the kernel as out-of-tree, unsigned or force-loaded, or whose file is not in the distribution's
// module tree: the Linux side of the driver kind, where rootkits hide miners from everything.
import type { Level } from '../../model/finding.js';
import type { KernelModule } from '../../snapshot/stealth.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

/** Kernel taint bits (Documentation/admin-guide/tainted-kernels.rst) worth naming here. */
export const TAINT_BITS: Record<number, [string, string]> = {
  0: ['proprietary module (P)', '专有模块（P）'],
  1: ['module force-loaded (F)', '强制加载的模块（F）'],
  12: ['out-of-tree module (O)', '树外模块（O）'],
  13: ['unsigned module (E)', '未签名模块（E）'],
};

/** Why a module stands out and how much, as the id of its message; undefined for an ordinary one. */
function moduleLevel(m: KernelModule): { level: Level; messageId: string } | undefined {
  if (m.inSysModule && !m.inProcModules) return { level: 'critical', messageId: 'hidden' };
  const out = m.taints.includes('O');
  const unsigned = m.taints.includes('E');
  const forced = m.taints.includes('F');
  if (m.inTree === false && (out || unsigned)) return { level: 'high', messageId: 'taintingNotInTree' };
  if (m.inTree === false) return { level: 'medium', messageId: 'notInTree' };
  if (forced) return { level: 'medium', messageId: 'forceLoaded' };
  if (out || unsigned) return { level: 'low', messageId: 'tainting' };
  if (m.inProcModules && !m.inSysModule) return { level: 'medium', messageId: 'noSysModule' };
  return undefined;
}

export const kernelModule: Detector = {
  id: 'kernel-module',
  kind: 'driver',
  category: 'miner',
  level: 'medium',
  title: t('Hidden or foreign kernel module', '被隐藏或来历不明的内核模块'),
  description: t(
    "Compares /proc/modules (what lsmod shows) with /sys/module: a loadable module present in sysfs but missing from the list has unlinked itself, which is what kernel rootkits that hide miners do (critical). Modules whose file is not named in the running kernel's modules.dep or modules.builtin are high when they also taint the kernel as out-of-tree (O) or unsigned (E), else medium; force-loaded modules (F) are medium; other out-of-tree or unsigned modules (DKMS drivers) are low. When /proc/modules does not exist (kernels without module support, some sandboxes) the module list is recorded as not collected and only the taint flags are read.",
    '比较 /proc/modules（lsmod 显示的内容）与 /sys/module：在 sysfs 中存在却不在列表中的可加载模块已把自己从列表中摘除，这正是隐藏挖矿程序的内核 rootkit 的做法（严重）。文件不在当前内核 modules.dep 或 modules.builtin 中的模块，如果还使内核被标记为树外（O）或未签名（E）则为高危，否则为中危；强制加载的模块（F）为中危；其他树外或未签名模块（DKMS 驱动）为低危。当 /proc/modules 不存在时（内核不支持模块、部分沙箱），模块列表记为未采集，只读取污染标志。',
  ),
  tags: ['attack.t1547.006', 'attack.t1014'],
  needs: ['modules'],
  verify: t(
    '`lsmod | grep <name>` against `ls /sys/module/<name>`; `modinfo <name>` shows its file, signer and vermod; `cat /proc/sys/kernel/tainted` and `dmesg | grep -i taint` show when the kernel was tainted.',
    '对比 `lsmod | grep <名称>` 和 `ls /sys/module/<名称>`；`modinfo <名称>` 显示其文件、签名者和版本信息；`cat /proc/sys/kernel/tainted` 和 `dmesg | grep -i taint` 显示内核何时被污染。',
  ),
  remediation: t(
    'A hidden module cannot be trusted to unload: take an image of memory if you can, remove its file and the entry that loads it (/etc/modules, /etc/modules-load.d, modprobe.d, initramfs), then reboot the host; for a foreign module that is not hidden, `rmmod` it after finding what installed it.',
    '被隐藏的模块无法被可靠卸载：如有可能先获取内存镜像，删除其文件和加载它的配置（/etc/modules、/etc/modules-load.d、modprobe.d、initramfs），然后重启主机；对于未被隐藏的来历不明模块，查明安装来源后用 `rmmod` 卸载。',
  ),
  messages: {
    hidden: t(
      'Kernel module {module}: it is loaded (/sys/module) but hidden from /proc/modules and lsmod',
      '内核模块 {module}：它已加载（/sys/module）却在 /proc/modules 和 lsmod 中被隐藏',
    ),
    taintingNotInTree: t(
      "Kernel module {module}: it taints the kernel ({taints}) and its file is not in the distribution's module tree",
      '内核模块 {module}：它使内核被标记污染（{taints}），且其文件不在发行版的模块目录中',
    ),
    notInTree: t(
      "Kernel module {module}: its file is not in the distribution's module tree",
      '内核模块 {module}：其文件不在发行版的模块目录中',
    ),
    forceLoaded: t(
      'Kernel module {module}: it was force-loaded (F)',
      '内核模块 {module}：它是被强制加载的（F）',
    ),
    tainting: t(
      'Kernel module {module}: it taints the kernel ({taints}): out-of-tree or unsigned, e.g. a DKMS driver',
      '内核模块 {module}：它使内核被标记污染（{taints}）：树外或未签名，例如 DKMS 驱动',
    ),
    noSysModule: t(
      'Kernel module {module}: it is listed in /proc/modules but has no /sys/module entry',
      '内核模块 {module}：它在 /proc/modules 中但没有 /sys/module 条目',
    ),
    taintUnexplained: t(
      'The kernel is tainted ({tainted}: {flags}) by no module now listed',
      '内核已被污染（{tainted}：{flags}），但当前列出的模块都无法解释',
    ),
  },
  detect(snapshot) {
    const hits: Hit[] = [];
    for (const m of snapshot.modules?.modules ?? []) {
      const judged = moduleLevel(m);
      if (!judged) continue;
      hits.push({
        subject: `module:${m.name}`,
        level: judged.level,
        messageId: judged.messageId,
        data: { module: m.name, ...(m.taints ? { taints: m.taints } : {}) },
        evidence: [
          { type: 'match', field: 'module', value: m.name },
          ...(m.taints ? [{ type: 'match' as const, field: 'taints', value: m.taints }] : []),
        ],
        remediate: [],
        fingerprint: ['kernel-module', m.name],
      });
    }
    const tainted = snapshot.modules?.tainted ?? 0;
    const letters: Record<number, string> = { 0: 'P', 1: 'F', 12: 'O', 13: 'E' };
    const unexplained = Object.keys(TAINT_BITS)
      .map(Number)
      .filter((bit) => (tainted & (1 << bit)) !== 0)
      .filter(
        (bit) => !(snapshot.modules?.modules ?? []).some((m) => m.taints.includes(letters[bit] ?? '?')),
      );
    if (unexplained.length > 0) {
      const names = unexplained.map((bit) => TAINT_BITS[bit] as [string, string]);
      hits.push({
        subject: 'kernel:taint',
        level: 'low',
        messageId: 'taintUnexplained',
        data: {
          tainted,
          flags: t(names.map((n) => n[0]).join(', '), names.map((n) => n[1]).join('、')),
          letters: unexplained.map((bit) => letters[bit] ?? '?').join(''),
        },
        evidence: [{ type: 'match', field: 'tainted', value: String(tainted) }],
        remediate: [],
        fingerprint: ['kernel-taint', String(tainted)],
      });
    }
    return hits;
  },
};
