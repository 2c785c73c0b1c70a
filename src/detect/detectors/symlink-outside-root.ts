// Detector: a directory of an offline root (a mounted suspect disk, a copied tree) that is a symbolic
// link leading out of the root. The content scan did not follow it, so what it points to was not
// scanned; and a disk whose /opt points at an absolute path it does not hold is how a planted link
// would make a naive scanner report the analyst's own files as the suspect's.
import type { Detector } from '../types.js';
import { t } from '../util.js';

export const symlinkOutsideRoot: Detector = {
  id: 'symlink-outside-root',
  category: 'tampering',
  level: 'low',
  title: t('Symbolic link out of the target, not followed', '指向目标之外的符号链接，未跟随'),
  description: t(
    "When minehunter reads an offline root (`--root DIR`: a mounted disk, a copied tree), every path it derives inside it (the directories miners hide in, the executables a copied proc/ names, a --path under the root) is resolved the way the target itself would resolve it: absolute links start again at the root and `..` never climbs above it. A link on the way that leads out of the root is not followed: a relative link whose `..` climb above the root, or an absolute link whose target the root does not hold (on the analyst's machine it would name the analyst's own files). The places behind it were not scanned. On a real system such a link can point at another partition that was not mounted under the root; on a suspect disk it can also be planted to mislead the analysis. The finding is a note, not a verdict.",
    '读取离线根目录（`--root DIR`：挂载的磁盘、复制的目录树）时，minehunter 在其中推导出的每个路径（挖矿木马常藏身的目录、复制的 proc/ 中列出的可执行文件、根目录下的 --path）都按目标系统自己的方式解析：绝对链接从根目录重新开始，`..` 不会越过根目录。路径上指向根目录之外的链接不会被跟随：`..` 越过根目录的相对链接，或其目标在根目录中不存在的绝对链接（在分析人员的机器上它会指向分析人员自己的文件）。链接后面的位置没有被扫描。在正常系统上，这样的链接可能指向没有挂载到根目录下的另一个分区；在可疑磁盘上，它也可能是为误导分析而故意放置的。此发现只是提示，不是结论。',
  ),
  tags: ['attack.t1036', 'attack.t1564'],
  needs: ['content'],
  verify: t(
    '`ls -l <root><link>` and `readlink <root><link>` show the link and its text. If the target system keeps that path on another partition or volume, mount it under the root at that path and scan again; otherwise look at who created the link and when (`stat <root><link>`).',
    '用 `ls -l <根目录><链接>` 和 `readlink <根目录><链接>` 查看该链接及其内容。如果目标系统把该路径放在另一个分区或卷上，请把它挂载到根目录下的相应位置后重新扫描；否则请查明该链接由谁、在何时创建（`stat <根目录><链接>`）。',
  ),
  remediation: t(
    'Nothing is removed: the link is a fact about the disk, and the places behind it are unscanned, not clean. Mount the missing partition under the root and scan again, or scan what the link names on the system it came from.',
    '不删除任何内容：该链接是磁盘本身的事实，链接后面的位置是"未扫描"而不是"干净"。请把缺失的分区挂载到根目录下后重新扫描，或在该磁盘原来所在的系统上扫描链接指向的位置。',
  ),
  messages: {
    notFollowed: t(
      '{path} in the target is a symbolic link to {target}, outside the target: not followed',
      '目标中的 {path} 是指向 {target} 的符号链接，位于目标之外：未跟随',
    ),
    notFollowedUnscanned: t(
      '{path} in the target is a symbolic link to {target}, outside the target: not followed; not scanned: {unscanned}',
      '目标中的 {path} 是指向 {target} 的符号链接，位于目标之外：未跟随；未扫描：{unscanned}',
    ),
  },
  detect(snapshot) {
    return (snapshot.content?.linksOutsideRoot ?? []).map((link) => {
      const left = link.notScanned.filter((p) => p !== link.path);
      return {
        subject: `file:${link.path}#outside-root`,
        messageId: left.length > 0 ? 'notFollowedUnscanned' : 'notFollowed',
        data: {
          path: link.path,
          target: link.target,
          ...(left.length > 0
            ? { unscanned: t(left.join(', '), left.join('、')), unscannedCount: left.length }
            : {}),
        },
        evidence: [
          { type: 'file' as const, path: link.path },
          {
            type: 'match' as const,
            field: 'symlink',
            value: `${link.path} -> ${link.target}`,
            ioc: 'leads outside the target root',
          },
        ],
        remediate: [],
        // A fact about the disk's layout, not something that starts a program.
        basis: 'config' as const,
        fingerprint: ['symlink-outside-root', link.path, link.target],
      };
    });
  },
};
