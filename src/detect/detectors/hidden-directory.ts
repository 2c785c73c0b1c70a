// Detector: a directory with a name meant not to be seen or to pass for a system one (".", blank,
// "...", "usr ", /tmp/systemd) that holds executables or miner configuration.
import type { Evidence, Level, Localized } from '../../model/finding.js';
import type { SuspectDir } from '../../snapshot/stealth.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

const TEMP_PLACES = new Set(['/tmp', '/var/tmp', '/dev/shm', '/run']);
const MAX_LISTED = 5;

function nameWhy(d: SuspectDir): Localized {
  switch (d.name) {
    case 'blank':
      return t('a blank name', '空白名称');
    case 'dots':
      return t('a dots-only name', '全是点的名称');
    case 'lookalike':
      return t(
        `a name imitating ${d.imitates ?? 'a system directory'}`,
        `模仿 ${d.imitates ?? '系统目录'} 的名称`,
      );
    default:
      return t('a hidden (dot) name', '隐藏（点开头）名称');
  }
}

/** The level for a directory, or undefined when it is only an ordinary dot-directory. */
export function dirLevel(d: SuspectDir): Level | undefined {
  const configs = d.minerConfigs.length > 0;
  const elf = d.executables.some((e) => e.elf);
  const exec = d.executables.length > 0;
  const temp = TEMP_PLACES.has(d.place);
  if (configs) return 'high';
  if (d.name === 'dot') {
    // Home directories are full of dot-directories holding tools (~/.cargo, ~/.nvm): not a signal.
    if (!temp) return undefined;
    return elf ? 'high' : exec ? 'medium' : undefined;
  }
  // Blank, dots-only and look-alike names have no honest use.
  if (elf) return 'high';
  if (exec) return 'medium';
  return d.name === 'lookalike' && d.place !== '/' ? undefined : 'low';
}

export const hiddenDirectory: Detector = {
  id: 'hidden-directory',
  kind: 'hidden-directory',
  category: 'miner',
  level: 'medium',
  title: t('Miner files in a hidden or disguised directory', '隐藏或伪装目录中的挖矿文件'),
  description: t(
    'Reads the top level of /tmp, /var/tmp, /dev/shm, /run, every home directory and / for directories whose names hide them (a leading dot, blanks, "..." and other dots-only names) or imitate system directories ("usr " beside /usr, /tmp/systemd, Cyrillic look-alike letters), walks each a few levels deep (bounded) and reports those that hold miner configuration (pools, stratum URLs, donate-level, RandomX) as high, ELF executables as high, other executable files as medium. A blank, dots-only or look-alike name in / is low even when empty. Ordinary dot-directories in home directories (~/.cargo, ~/.nvm) are reported only when they hold miner configuration.',
    '读取 /tmp、/var/tmp、/dev/shm、/run、所有用户主目录以及 / 的顶层，找出名称用于隐藏自身（点开头、空白、"..." 等全是点的名称）或模仿系统目录（与 /usr 并列的 "usr "、/tmp/systemd、西里尔字母形近字）的目录，在有限深度内遍历，含挖矿配置（矿池、stratum 地址、donate-level、RandomX）的报告为高危，含 ELF 可执行文件为高危，含其他可执行文件为中危。/ 下空白、全是点或仿冒名称的目录即使为空也报告为低危。用户主目录中的普通点目录（~/.cargo、~/.nvm）只有在含挖矿配置时才报告。',
  ),
  tags: ['attack.t1564.001', 'attack.t1036.005', 'attack.t1496'],
  needs: ['dirs'],
  verify: t(
    '`ls -la <place> | cat -A` shows the exact name (blanks and look-alike letters included); `find <dir> -type f -exec file {} +` tells executables from data; `grep -rE "stratum|pools|donate" <dir>` finds the miner configuration.',
    '`ls -la <位置> | cat -A` 显示确切名称（包括空白和形近字母）；`find <目录> -type f -exec file {} +` 区分可执行文件和数据；`grep -rE "stratum|pools|donate" <目录>` 查找挖矿配置。',
  ),
  messages: {
    holds: t('{path} in {place} has {why} and holds {holds}', '{place} 中的 {path} 使用{why}，其中有{holds}'),
  },
  remediation: t(
    'Quarantine the executables and configuration files inside, kill any process running from the directory, then remove it and find what created it (its owner and mtime point to the account and the time).',
    '隔离其中的可执行文件和配置文件，结束从该目录运行的进程，然后删除该目录，并查明是谁创建的（所有者和修改时间指向账户和时间）。',
  ),
  detect(snapshot) {
    const hits: Hit[] = [];
    for (const d of snapshot.dirs?.suspects ?? []) {
      const level = dirLevel(d);
      if (!level) continue;
      const why = nameWhy(d);
      const parts: Localized[] = [];
      if (d.minerConfigs.length > 0)
        parts.push(
          t(
            `${d.minerConfigs.length} miner configuration file(s)`,
            `${d.minerConfigs.length} 个挖矿配置文件`,
          ),
        );
      if (d.executables.length > 0)
        parts.push(t(`${d.executables.length} executable(s)`, `${d.executables.length} 个可执行文件`));
      const holds = parts.length > 0 ? parts : [t('nothing yet', '暂无内容')];
      const evidence: Evidence[] = [{ type: 'file', path: d.path }];
      for (const c of d.minerConfigs.slice(0, MAX_LISTED))
        evidence.push(
          { type: 'file', path: c.path },
          { type: 'match', field: 'content', value: c.match, ioc: 'miner configuration' },
        );
      for (const e of d.executables.slice(0, MAX_LISTED)) evidence.push({ type: 'file', path: e.path });
      hits.push({
        subject: `file:${d.path}`,
        level,
        messageId: 'holds',
        data: {
          path: JSON.stringify(d.path),
          place: d.place,
          name: d.name,
          ...(d.imitates ? { imitates: d.imitates } : {}),
          why,
          holds: t(holds.map((h) => h.en).join(' and '), holds.map((h) => h['zh-CN']).join('和')),
          configs: d.minerConfigs.length,
          executables: d.executables.length,
        },
        evidence,
        remediate: [...d.minerConfigs, ...d.executables]
          .slice(0, 2 * MAX_LISTED)
          .map((f) => ({ type: 'quarantine-file' as const, path: f.path })),
        fingerprint: ['hidden-directory', d.path],
      });
    }
    return hits;
  },
};
