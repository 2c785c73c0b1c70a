// Detector: immutable (`chattr +i`) or append-only (`chattr +a`) attributes on persistence files and
// the programs they start. Droppers set them so that an admin's `crontab -r`, `rm` or an edit of
// authorized_keys fails with "Operation not permitted", and rival miners cannot take over.
import { fileChain } from '../chain.js';
import { fileHit } from '../persistence.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

export const immutablePersistence: Detector = {
  id: 'immutable-persistence',
  category: 'tampering',
  level: 'medium',
  title: t('Persistence file locked with chattr', '持久化文件被 chattr 锁定'),
  description: t(
    'Checks the attributes `lsattr` reports on every persistence file (crontabs, cron.d, at jobs, systemd units and drop-ins, rc.local, init scripts, shell start-up files, udev rules, authorized_keys, sudoers, /etc/hosts) and on the scripts and programs their entries start, and flags immutable (i) or append-only (a) ones. Package managers never set these attributes; droppers do, so that removal fails. Medium on its own, high when the file is on the chain to a running process. When lsattr is missing or the filesystem keeps no attributes the collection says so, and this detector has nothing to judge.',
    '检查 `lsattr` 报告的所有持久化文件（crontab、cron.d、at 任务、systemd 单元与 drop-in、rc.local、init 脚本、shell 启动文件、udev 规则、authorized_keys、sudoers、/etc/hosts）以及其条目启动的脚本和程序的属性，标记带有不可修改（i）或仅追加（a）属性的文件。软件包管理器从不设置这些属性；投放器会设置，使删除失败。单独出现为中危，文件位于指向运行中进程的链条上时为高危。如果没有 lsattr 或文件系统不保存属性，采集记录会说明，此检测器无从判断。',
  ),
  tags: ['attack.t1222.002', 'attack.t1564'],
  needs: ['persistence'],
  verify: t(
    'Run `lsattr <file>`: an `i` or `a` among the flags confirms it; `stat <file>` shows when the file last changed.',
    '执行 `lsattr <文件>`：标志中出现 `i` 或 `a` 即可确认；`stat <文件>` 显示文件最后修改时间。',
  ),
  remediation: t(
    'Clear the attribute (with chattr, removing i and a) before any other step touches the file, then remove what the dropper added. Look for a `chattr` binary that was replaced or renamed (droppers do that too).',
    '在其他步骤处理该文件之前先清除属性（用 chattr 去掉 i 和 a 属性），再删除投放器添加的内容。同时检查 `chattr` 程序是否被替换或改名（投放器也会这样做）。',
  ),
  messages: {
    locked: t(
      '{what} {path} is {attributes} (chattr +{flags})',
      '{what} {path} 被设为{attributes}（chattr +{flags}）',
    ),
    lockedOnChain: t(
      '{what} {path} is {attributes} (chattr +{flags}), on the chain to a running process',
      '{what} {path} 被设为{attributes}（chattr +{flags}），位于指向运行中进程的链条上',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    for (const file of snapshot.persistence?.files ?? []) {
      const flags = file.attributes ?? [];
      if (flags.length === 0) continue;
      const names = flags.map((f) => (f === 'i' ? t('immutable', '不可修改') : t('append-only', '仅追加')));
      const linked = fileChain(snapshot, ruleset, file.path) !== undefined;
      const what =
        file.role === 'config'
          ? t('persistence file', '持久化文件')
          : t('program started by a persistence entry', '持久化项启动的程序');
      hits.push(
        fileHit(snapshot, ruleset, file.path, 'attributes', {
          level: 'medium',
          linkedLevel: 'high',
          messageId: linked ? 'lockedOnChain' : 'locked',
          data: {
            what,
            role: file.role,
            path: file.path,
            attributes: t(names.map((n) => n.en).join(' and '), names.map((n) => n['zh-CN']).join('且')),
            flags: flags.join(''),
          },
          evidence: [{ type: 'match', field: 'attributes', value: flags.join(''), ioc: 'lsattr' }],
          remediate: [{ type: 'clear-immutable', path: file.path }],
        }),
      );
    }
    return hits;
  },
};
