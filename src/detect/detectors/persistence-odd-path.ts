// Detector: a persistence entry that starts a program or script from a place software is not
// installed to: /tmp, /var/tmp, /dev/shm, elsewhere under /dev, directories with blank or dots-only
// names, hidden directories. Droppers install miners exactly there and register them with cron or
// systemd under names that look like system services.
import { executedPaths, oddProgramPath } from '../../shell/command.js';
import { entryLabel } from '../chain.js';
import { entryHit } from '../persistence.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

export const persistenceOddPath: Detector = {
  id: 'persistence-odd-path',
  category: 'persistence',
  level: 'medium',
  title: t('Persistence entry runs a program from an odd place', '持久化项从可疑位置运行程序'),
  description: t(
    'Flags a parsed persistence entry (cron, anacron, at, systemd unit Exec lines with drop-ins, rc.local, init scripts, shell start-up files, udev rules) whose command runs a program or script from /tmp, /var/tmp, /dev/shm or elsewhere under /dev, or from a directory with a blank or dots-only name (high), or from a hidden directory or hidden file (medium). Dot-directories that tool chains use by convention (~/.local, ~/.acme.sh, ~/.cargo, ~/.nvm …) are not counted. Wrappers such as nohup, setsid, sudo and env are looked through, and for `sh script` the script counts. A unit named like a system service that runs a binary from such a place is the classic disguise of a miner.',
    '标记这样的持久化项（cron、anacron、at、systemd 单元的 Exec 行及 drop-in、rc.local、init 脚本、shell 启动文件、udev 规则）：其命令从 /tmp、/var/tmp、/dev/shm 或 /dev 下其他位置、名称为空白或全是点的目录运行程序或脚本（高危），或从隐藏目录、隐藏文件运行（中危）。工具链约定使用的点目录（~/.local、~/.acme.sh、~/.cargo、~/.nvm 等）不计入。会穿透 nohup、setsid、sudo、env 等包装命令，`sh 脚本` 形式以脚本为准。以系统服务命名、却从这类位置运行二进制的单元，是挖矿程序的典型伪装。',
  ),
  tags: ['attack.t1053.003', 'attack.t1543.002', 'attack.t1036.005', 'attack.t1564.001'],
  needs: ['persistence'],
  verify: t(
    'Look at the program the entry starts (`ls -la <path>`, `file <path>`, `sha256sum <path>`) and at the entry itself (`systemctl cat <unit>`, `crontab -l -u <user>`); ask who installed it. A program in /tmp or a hidden directory that nobody claims is a dropper.',
    '查看该持久化项启动的程序（`ls -la <路径>`、`file <路径>`、`sha256sum <路径>`）以及持久化项本身（`systemctl cat <单元>`、`crontab -l -u <用户>`），确认是谁安装的。位于 /tmp 或隐藏目录、无人认领的程序就是投放器。',
  ),
  remediation: t(
    'Remove the entry, quarantine the program it starts and stop the process tree if it is running (clear immutable attributes first). Then check the other persistence places for the same path.',
    '删除该持久化项，隔离其启动的程序，如正在运行则结束进程树（先清除不可修改属性）。然后在其他持久化位置查找同一路径。',
  ),
  messages: {
    runsFromOddPlace: t('{entry} runs {path} from {where}', '{entry}运行 {path}，其位于{where}'),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    for (const entry of snapshot.persistence?.entries ?? []) {
      const odd = executedPaths(entry.command)
        .map((p) => ({ path: p, odd: oddProgramPath(p) }))
        .filter((x) => x.odd !== undefined);
      const worst = odd.find((x) => x.odd?.level === 'high') ?? odd[0];
      if (!worst?.odd) continue;
      const label = entryLabel(entry);
      const who = entry.user ? ` (${entry.user})` : '';
      hits.push(
        entryHit(snapshot, ruleset, entry, {
          level: worst.odd.level,
          messageId: 'runsFromOddPlace',
          data: {
            // The entry as a reader names it, with the user it runs as.
            entry: t(`${label.en}${who}`, `${label['zh-CN']}${who}`),
            place: entry.place,
            file: entry.file,
            ...(entry.line !== undefined ? { line: entry.line } : {}),
            ...(entry.unit ? { unit: entry.unit.name } : {}),
            ...(entry.user ? { user: entry.user } : {}),
            path: worst.path,
            where: worst.odd.why,
          },
          match: {
            type: 'match',
            field: entry.place,
            value: entry.text ?? entry.command,
            ioc: `odd place: ${worst.odd.why.en}`,
          },
        }),
      );
    }
    return hits;
  },
};
