// Detector: authorized_keys files changed shortly before the scan, listing the keys they hold. Adding
// a key is the first thing many mining campaigns do after getting in (and how they come back); a
// recent change is worth a look, and a strong signal when the dropper script that runs the miner
// names the file.
import { fileChain, persistenceFile } from '../chain.js';
import { fileHit } from '../persistence.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

/** A key file changed within this many days before the scan counts as "added recently". */
export const RECENT_DAYS = 7;

export const sshKeyRecent: Detector = {
  id: 'ssh-key-recent',
  category: 'persistence',
  level: 'low',
  title: t('SSH keys added recently', '近期添加的 SSH 公钥'),
  description: t(
    `Flags an authorized_keys file modified within ${RECENT_DAYS} days before the collection, with each key it holds (type, comment, SHA256 fingerprint, options). Low for an ordinary account, medium for root; high when a script on a persistence chain that leads to a running process names the file (a dropper that appends its key). A key written in such a dropper is named, and only its line is planned for removal. File times can be forged, so an old time proves nothing; a recent one is a lead.`,
    `标记在采集前 ${RECENT_DAYS} 天内被修改过的 authorized_keys 文件，并列出其中每把公钥（类型、注释、SHA256 指纹、选项）。普通账户为低危，root 为中危；如果某条指向运行中进程的持久化链条上的脚本引用了该文件（投放器追加自己的公钥），则为高危。投放脚本中写有的公钥会被指出，并且只计划删除这一行。文件时间可以伪造，旧的时间不能证明什么；近期的时间则是线索。`,
  ),
  tags: ['attack.t1098.004'],
  needs: ['persistence'],
  verify: t(
    'Compare the keys (`ssh-keygen -lf <file>`) with the ones your team issued, and the change time (`stat <file>`) with your change records and the auth log (`grep "Accepted publickey" /var/log/auth.log`).',
    '将公钥（`ssh-keygen -lf <文件>`）与团队签发的公钥比对，并将修改时间（`stat <文件>`）与变更记录和认证日志（`grep "Accepted publickey" /var/log/auth.log`）对照。',
  ),
  remediation: t(
    "Remove the keys nobody claims (only those lines), clear an immutable attribute on the file first, and rotate the account's credentials.",
    '删除无人认领的公钥（只删除这些行），若文件有不可修改属性先清除，并更换该账户的凭据。',
  ),
  messages: {
    changed: t(
      '{path} ({user}) changed {age} before the scan and holds {count} key(s): {keys}',
      '{path}（{user}）在扫描前 {age}被修改，包含 {count} 把公钥：{keys}',
    ),
    changedNamedByDropper: t(
      "{path} ({user}) changed {age} before the scan and holds {count} key(s): {keys}; a dropper script on a running miner's chain names this file",
      '{path}（{user}）在扫描前 {age}被修改，包含 {count} 把公钥：{keys}；运行中挖矿程序链条上的投放脚本引用了该文件',
    ),
    changedWrittenByDropper: t(
      "{path} ({user}) changed {age} before the scan and holds {count} key(s): {keys}; a dropper script on a running miner's chain names this file and writes {written}",
      '{path}（{user}）在扫描前 {age}被修改，包含 {count} 把公钥：{keys}；运行中挖矿程序链条上的投放脚本引用了该文件，并写入了 {written}',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    const collected = Date.parse(snapshot.collectedAt);
    const files = [...new Set((snapshot.persistence?.authorizedKeys ?? []).map((k) => k.file))];
    for (const file of files) {
      const modified = persistenceFile(snapshot, file)?.mtime ?? '';
      const mtime = Date.parse(modified);
      if (!Number.isFinite(mtime) || !Number.isFinite(collected)) continue;
      const ageDays = (collected - mtime) / 86_400_000;
      if (ageDays > RECENT_DAYS || ageDays < -1) continue;
      const keys = (snapshot.persistence?.authorizedKeys ?? []).filter((k) => k.file === file);
      const user = keys[0]?.user ?? '?';
      const link = fileChain(snapshot, ruleset, file);
      // Keys the dropper scripts on the chain write: those, and only those, are the campaign's.
      const dropped = new Set(
        link
          ? [link.entry.file, ...link.chain.paths].flatMap((p) => persistenceFile(snapshot, p)?.sshKeys ?? [])
          : [],
      );
      const theirs = keys.filter((k) => dropped.has(k.fingerprint));
      const named = theirs.map((k) => k.comment ?? k.fingerprint);
      const listed = keys.map((k) => `${k.keyType} ${k.comment ?? ''} ${k.fingerprint}`.replace(/\s+/g, ' '));
      const age =
        ageDays < 1
          ? t('less than a day', '不到一天')
          : t(`${Math.round(ageDays)} days`, `${Math.round(ageDays)} 天`);
      hits.push(
        fileHit(snapshot, ruleset, file, 'recent', {
          level: user === 'root' ? 'medium' : 'low',
          linkedLevel: 'high',
          messageId: !link
            ? 'changed'
            : named.length > 0
              ? 'changedWrittenByDropper'
              : 'changedNamedByDropper',
          data: {
            path: file,
            user,
            mtime: modified,
            age,
            count: keys.length,
            keys: t(listed.join('; '), listed.join('；')),
            ...(named.length > 0 ? { written: t(named.join(', '), named.join('、')) } : {}),
          },
          evidence: keys.map((k) => ({
            type: 'match' as const,
            field: 'authorized_keys',
            value: k.text,
            ioc: `${k.keyType} ${k.fingerprint}${dropped.has(k.fingerprint) ? ' (written by the dropper)' : ''}`,
          })),
          // Only keys the dropper is seen writing are removed; any other key is for a person to judge.
          remediate: theirs.map((k) => ({
            type: 'remove-authorized-key' as const,
            path: k.file,
            line: k.text,
          })),
        }),
      );
    }
    return hits;
  },
};
