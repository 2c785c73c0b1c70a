// Detector: a system tool an admin uses to look for a miner (ps, top, ss, netstat, ls, lsof, find,
// crontab, systemctl, chattr…) whose content differs from what its package installed, or that no
// package installed. Campaigns replace these tools so the miner, its files and its connections do
// not show; a wrong checksum on `ps` means nothing `ps` says can be trusted. On rpm hosts the mode
// is compared too: a setuid bit added to a packaged tool is a way back to root.
import type { Evidence } from '../../model/finding.js';
import type { BinaryCheck } from '../../snapshot/persistence.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

/** The setuid and setgid bits: added to a tool, they make it run as its owner (root). */
const SETID = 0o6000;

export const systemBinaryModified: Detector = {
  id: 'system-binary-modified',
  category: 'tampering',
  level: 'high',
  title: t('System tool replaced or not from a package', '系统工具被替换或不属于任何软件包'),
  description: t(
    "Compares the md5 of the programs an admin relies on to inspect a host (ps, top, htop, pgrep, pkill, kill, killall, netstat, ss, ls, lsof, find, du, crontab, systemctl, chattr, lsattr, w, who, last, login, su, sudo, uptime, free, ifconfig, ip, iptables, sshd, passwd) with the sums dpkg recorded in /var/lib/dpkg/info/*.md5sums (digest only: dpkg records no size or mode), or on rpm hosts with the md5/sha256 digests, sizes and modes in the rpm database, as `rpm -V` does (SQLite rpmdb.sqlite, Berkeley DB Packages or SUSE NDB Packages.db, read directly; %config files excluded from the content check; a binary prelink rewrote, with its .gnu.prelink_undo section on a host that has prelink, is noted as not comparable rather than reported), following /usr-merge (/bin/ps is /usr/bin/ps). A different sum is high: the tool was replaced, typically to hide the miner; the evidence shows the recorded size beside the actual one on rpm hosts. On rpm hosts a mode that differs from the package's is reported even when the content is intact: high when a setuid or setgid bit was added (the tool then runs as root for anyone), medium otherwise. A tool in /usr/bin or /usr/sbin that no package lists is medium. Only these programs are checked, so a scan stays fast; libraries mapped into processes are checked by odd-shared-object. On systems with neither dpkg nor rpm this check is reported as not collected.",
    '将管理员检查主机时依赖的程序（ps、top、htop、pgrep、pkill、kill、killall、netstat、ss、ls、lsof、find、du、crontab、systemctl、chattr、lsattr、w、who、last、login、su、sudo、uptime、free、ifconfig、ip、iptables、sshd、passwd）的 md5 与 dpkg 在 /var/lib/dpkg/info/*.md5sums 中记录的值比对（仅比对摘要：dpkg 不记录大小和权限）；rpm 系统上则像 `rpm -V` 一样与 rpm 数据库中的 md5/sha256 摘要、大小和权限比对（直接读取 SQLite rpmdb.sqlite、Berkeley DB Packages 或 SUSE 的 NDB Packages.db；%config 文件不做内容比对；在装有 prelink 的主机上带 .gnu.prelink_undo 段、被 prelink 改写过的程序记为无法比对，不报告），并考虑 /usr 合并（/bin/ps 即 /usr/bin/ps）。校验值不同为高危：工具被替换，通常是为了隐藏挖矿程序；rpm 系统上证据中并列记录的大小与实际大小。rpm 系统上权限与软件包记录不同时，即使内容未变也会报告：新增 setuid 或 setgid 位为高危（任何人运行该工具都获得 root 身份），其他权限变化为中危。位于 /usr/bin 或 /usr/sbin 却不属于任何软件包的工具为中危。只检查这些程序，以保持扫描速度；映射到进程中的共享库由 odd-shared-object 检查。既没有 dpkg 也没有 rpm 的系统上此项检查记为未采集。',
  ),
  tags: ['attack.t1036.005', 'attack.t1014', 'attack.t1554'],
  needs: ['integrity'],
  verify: t(
    'Run `dpkg -V <package>` (or `debsums <package>`; `rpm -V <package>` on rpm hosts) from a trusted medium; compare `sha256sum <path>` with the same package version on a clean machine; `ls -la --time=ctime <path>` shows when it was replaced.',
    '从可信介质运行 `dpkg -V <软件包>`（或 `debsums <软件包>`；rpm 系统上为 `rpm -V <软件包>`）；将 `sha256sum <路径>` 与干净机器上同版本软件包比对；`ls -la --time=ctime <路径>` 显示其被替换的时间。',
  ),
  remediation: t(
    "Quarantine the replaced program and reinstall its package (`apt-get install --reinstall <package>`) from a trusted mirror. Until then, inspect the host with tools you bring along (a static busybox) or from a rescue system: the installed ones may lie. A changed mode alone: restore the package's modes (`rpm --setperms <package>`) and find out who changed it and why (a setuid tool is a way back to root).",
    '隔离被替换的程序，并从可信镜像重新安装其软件包（`apt-get install --reinstall <软件包>`）。在此之前，请使用自带的工具（静态编译的 busybox）或在救援系统中检查主机：已安装的工具可能会说谎。仅权限被改：恢复软件包记录的权限（`rpm --setperms <软件包>`），并查明是谁、为何修改（带 setuid 的工具是重新获得 root 的后门）。',
  ),
  messages: {
    modified: t(
      '{path} differs from what package {package} installed (md5 {md5}, expected {expectedMd5})',
      '{path} 与软件包 {package} 安装的版本不同（md5 {md5}，应为 {expectedMd5}）',
    ),
    modifiedSha256: t(
      '{path} differs from what package {package} installed (sha256 {sha256}, expected {expectedSha256})',
      '{path} 与软件包 {package} 安装的版本不同（sha256 {sha256}，应为 {expectedSha256}）',
    ),
    unpackaged: t('{path} belongs to no installed package', '{path} 不属于任何已安装的软件包'),
    modeChanged: t(
      '{path} has mode {mode}, but package {package} installed it with mode {expectedMode} ({change})',
      '{path} 的权限为 {mode}，而软件包 {package} 安装时为 {expectedMode}（{change}）',
    ),
  },
  detect(snapshot) {
    const hits: Hit[] = [];
    // rpm hosts (issue 23) are checked the same way; the evidence names the database that was read.
    const manager = snapshot.integrity?.packageManager === 'rpm' ? 'rpm' : 'dpkg';
    for (const b of snapshot.integrity?.binaries ?? []) {
      const modeHit = modeChangeHit(b, manager);
      if (modeHit) hits.push(modeHit);
      if (b.status !== 'modified' && b.status !== 'unpackaged') continue;
      const modified = b.status === 'modified';
      // rpm ≥ 4.6 records sha256, so the sentence and the evidence compare sha256 with sha256.
      const bySha = modified && b.expectedSha256 !== undefined;
      const expected = bySha ? b.expectedSha256 : b.expectedMd5;
      hits.push({
        subject: `file:${b.path}`,
        level: modified ? 'high' : 'medium',
        messageId: !modified ? 'unpackaged' : bySha ? 'modifiedSha256' : 'modified',
        // An unknown package or sum reads "?" in the sentence, as the record had none.
        data: !modified
          ? { path: b.path, ...(b.actualMd5 ? { md5: b.actualMd5 } : {}) }
          : {
              path: b.path,
              package: b.package ?? '?',
              ...(bySha
                ? { sha256: b.sha256 ?? '?', expectedSha256: b.expectedSha256 ?? '?' }
                : { md5: b.actualMd5 ?? '?', expectedMd5: b.expectedMd5 ?? '?' }),
              ...(b.packagePath ? { packagePath: b.packagePath } : {}),
            },
        evidence: [
          b.sha256 ? { type: 'file', path: b.path, sha256: b.sha256 } : { type: 'file', path: b.path },
          {
            type: 'match',
            field: bySha ? 'sha256' : 'md5',
            value: (bySha ? b.sha256 : b.actualMd5) ?? '?',
            ioc: modified
              ? `${manager} ${b.package ?? '?'}: ${b.packagePath ?? b.path} ${expected ?? ''}`
              : `no ${manager} ${manager === 'rpm' ? 'database' : 'md5sums'} entry`,
          },
          ...(modified ? sizeAndMode(b, manager) : []),
        ],
        remediate: modified ? [{ type: 'quarantine-file', path: b.path }] : [],
        fingerprint: ['integrity', b.path, b.actualMd5 ?? ''],
      });
    }
    return hits;
  },
};

/** "0755": permission bits as chmod writes them. */
function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

/** rpm -V's S and M beside a changed digest: the recorded size and mode against the file's. */
function sizeAndMode(b: BinaryCheck, manager: string): Evidence[] {
  const out: Evidence[] = [];
  if (b.expectedSize !== undefined && b.size !== undefined && b.expectedSize !== b.size)
    out.push({
      type: 'match',
      field: 'size',
      value: String(b.size),
      ioc: `${manager} ${b.package ?? '?'}: ${b.expectedSize}`,
    });
  if (b.expectedMode !== undefined && b.mode !== undefined && b.expectedMode !== b.mode)
    out.push({
      type: 'match',
      field: 'mode',
      value: octal(b.mode),
      ioc: `${manager} ${b.package ?? '?'}: ${octal(b.expectedMode)}`,
    });
  return out;
}

/**
 * A packaged tool whose content is as installed (or not comparable) but whose mode is not: rpm
 * records modes, dpkg does not. A changed digest is the "modified" hit, which shows the mode beside it.
 */
function modeChangeHit(b: BinaryCheck, manager: string): Hit | undefined {
  if (b.status === 'modified' || b.status === 'unpackaged' || b.status === 'unreadable') return undefined;
  if (b.expectedMode === undefined || b.mode === undefined || b.expectedMode === b.mode) return undefined;
  const setid = (b.mode & ~b.expectedMode & SETID) !== 0;
  return {
    subject: `file:${b.path}`,
    level: setid ? 'high' : 'medium',
    messageId: 'modeChanged',
    data: {
      path: b.path,
      package: b.package ?? '?',
      mode: octal(b.mode),
      expectedMode: octal(b.expectedMode),
      change: setid
        ? t('a setuid or setgid bit was added', '新增了 setuid 或 setgid 位')
        : t('permission bits changed', '权限位被修改'),
      ...(b.packagePath ? { packagePath: b.packagePath } : {}),
    },
    evidence: [
      b.sha256 ? { type: 'file', path: b.path, sha256: b.sha256 } : { type: 'file', path: b.path },
      {
        type: 'match',
        field: 'mode',
        value: octal(b.mode),
        ioc: `${manager} ${b.package ?? '?'}: ${b.packagePath ?? b.path} ${octal(b.expectedMode)}`,
      },
    ],
    remediate: [],
    fingerprint: ['integrity-mode', b.path, octal(b.mode)],
  };
}
