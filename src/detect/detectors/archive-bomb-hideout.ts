// Detector: an archive bomb (an entry that expands hundreds of times its compressed size, or whose
// data overlaps another entry's) lying where miners and their droppers hide: /tmp, /var/tmp,
// /dev/shm, /run, web roots and home directories. Nobody keeps such a thing there for work; it is
// there to make a scanner give up on the archive, so on its own it is worth a look (low). The same
// bomb in /srv/data or under /opt is an oddity, not a finding. Read from the content scan's skips.
import type { Localized } from '../../model/finding.js';
import { pathInContainer } from '../../snapshot/container.js';
import { writablePlace } from '../places.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

/** Web roots and home directories: where a dropper lands through a web application or a user. */
const HIDEOUTS: { test: RegExp; label: Localized }[] = [
  {
    test: /^\/var\/www\/|^\/srv\/(?:www|http|htdocs)\/|^\/usr\/share\/nginx\/html\/|\/public_html\/|\/webapps\//,
    label: t('a web root', 'Web 根目录'),
  },
  { test: /^\/home\/[^/]+\/|^\/root\//, label: t('a home directory', '用户主目录') },
];

/** Where miners hide, for an archive at `file` (a running container's `web-1:/tmp/x` inside it). */
export function hideoutOf(file: string): Localized | undefined {
  const inner = pathInContainer(file);
  return writablePlace(inner) ?? HIDEOUTS.find((h) => h.test.test(inner))?.label;
}

/** `/tmp/a.zip!x/zeros.bin` is an entry of `/tmp/a.zip`: that file is what lies somewhere. */
function split(path: string): { archive: string; entry: string | undefined } {
  const i = path.indexOf('!');
  return i < 0
    ? { archive: path, entry: undefined }
    : { archive: path.slice(0, i), entry: path.slice(i + 1) };
}

/** Bomb entries listed by name in a finding; the rest are counted. */
const MAX_LISTED = 5;

export const archiveBombHideout: Detector = {
  id: 'archive-bomb-hideout',
  category: 'tampering',
  level: 'low',
  title: t('Archive bomb where miners hide', '挖矿木马藏身处的压缩炸弹'),
  description: t(
    "The content scan opens zip, tar and tar.gz archives entry by entry. An entry that expands more than 200 times its compressed size (and past 1 MiB), whose header understates what it expands to, or whose data overlaps another entry's is an archive bomb: it is skipped and listed among the scan's skips with the reason `archive-bomb`, while the other entries are still scanned. A bomb serves no purpose but to make a scanner give up on the archive (or run out of memory), so one lying in /tmp, /var/tmp, /dev/shm, /run, a web root or a home directory, the places droppers write to, is reported on its own at low level. Elsewhere (data directories, /opt, backups) it is left to the skip list.",
    '内容扫描逐个条目打开 zip、tar 和 tar.gz 压缩包。解压后超过压缩大小 200 倍（且大于 1 MiB）、头部少报解压大小，或数据与其他条目重叠的条目就是压缩炸弹：该条目被跳过，并以原因 `archive-bomb` 列入扫描的跳过列表，其余条目照常扫描。压缩炸弹除了让扫描器放弃整个压缩包（或耗尽内存）之外别无用途，因此位于 /tmp、/var/tmp、/dev/shm、/run、Web 根目录或用户主目录（投放程序写入的位置）中的压缩炸弹单独报告为低危。其他位置（数据目录、/opt、备份）的只记录在跳过列表中。',
  ),
  tags: ['attack.t1027.001', 'attack.t1027'],
  needs: ['content'],
  verify: t(
    '`unzip -lv <archive>` (or `tar -tvzf <archive>`) lists the entry with its size: gigabytes from a file of a few hundred kilobytes. Do not extract it; `unzip -p <archive> <entry> | head -c 64 | xxd` shows what it is made of (usually zeros). Then list the other entries and scan them, e.g. `unzip -p <archive> <other> | sha256sum`.',
    '`unzip -lv <压缩包>`（或 `tar -tvzf <压缩包>`）会列出该条目及其大小：几百 KB 的文件解压出数 GB。不要解压；`unzip -p <压缩包> <条目> | head -c 64 | xxd` 可查看其内容（通常全是零）。然后列出其他条目并逐个检查，例如 `unzip -p <压缩包> <其他条目> | sha256sum`。',
  ),
  remediation: t(
    'Quarantine the archive (kept, hash-verified, for the incident record), then look at what else the same user or process wrote nearby and when: a bomb next to a miner was put there to keep scanners away from it. The other entries of the archive were scanned; a miner among them is reported by content-match on its own.',
    '隔离该压缩包（保留并校验哈希，作为事件记录），然后查看同一用户或进程在附近写入的其他文件及时间：放在挖矿程序旁边的压缩炸弹是为了让扫描器避开它。压缩包中的其他条目已被扫描；其中若有挖矿程序，会由 content-match 单独报告。',
  ),
  messages: {
    bombInHideout: t(
      '{path}, in {place}, holds an archive bomb: {entries} ({detail})',
      '{path}（位于{place}）含有压缩炸弹：{entries}（{detail}）',
    ),
  },
  detect(snapshot) {
    const byArchive = new Map<string, { entries: string[]; detail: string }>();
    for (const s of snapshot.content?.skipped ?? []) {
      if (s.reason !== 'archive-bomb') continue;
      const { archive, entry } = split(s.path);
      const seen = byArchive.get(archive) ?? { entries: [], detail: s.detail ?? '' };
      seen.entries.push(entry ?? '');
      byArchive.set(archive, seen);
    }
    const hits: Hit[] = [];
    for (const [archive, bomb] of byArchive) {
      const place = hideoutOf(archive);
      if (!place) continue;
      hits.push({
        subject: `file:${archive}`,
        basis: 'executable',
        messageId: 'bombInHideout',
        data: { path: archive, place, entries: entriesText(bomb.entries), detail: bomb.detail },
        evidence: [
          { type: 'file', path: archive },
          ...bomb.entries.slice(0, MAX_LISTED).map((e) => ({
            type: 'match' as const,
            field: 'archive bomb',
            value: e === '' ? archive : `${archive}!${e}`,
            ioc: 'content scan skip: archive-bomb',
          })),
        ],
        // A running container's file (`web-1:/tmp/x`) is the container's to fix, not a host path.
        remediate: archive.startsWith('/') ? [{ type: 'quarantine-file', path: archive }] : [],
        fingerprint: ['archive-bomb-hideout', archive],
      });
    }
    return hits;
  },
};

/** The bomb entries as the message names them: the whole file, or the first few entries and a count. */
function entriesText(entries: string[]): Localized {
  if (entries.includes('')) return t('the whole file', '整个文件');
  const listed = entries.slice(0, MAX_LISTED).join(', ');
  const more = entries.length - MAX_LISTED;
  return more > 0
    ? t(`${listed} and ${more} more`, `${listed} 等 ${entries.length} 个条目`)
    : t(listed, listed);
}
