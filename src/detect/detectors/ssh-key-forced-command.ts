// Detector: an authorized_keys entry whose `command="…"` option forces a program that downloads and
// runs code or lives in an odd place. Campaigns use forced commands so that every login with their
// key, even one an admin tries to audit, restarts the dropper.
import { downloadExec, executedPaths, oddProgramPath } from '../../shell/command.js';
import { fileHit } from '../persistence.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

export const sshKeyForcedCommand: Detector = {
  id: 'ssh-key-forced-command',
  category: 'persistence',
  level: 'high',
  title: t('SSH key with a suspicious forced command', 'SSH 公钥带有可疑的强制命令'),
  description: t(
    'Reads the authorized_keys files of every account and flags a key whose `command="…"` option downloads and runs code or starts a program from /tmp, /var/tmp, /dev/shm, a blank-named or hidden directory. Such a key runs the attacker\'s program on every login with it. Ordinary forced commands (rrsync, backup wrappers in system paths) are not reported.',
    '读取所有账户的 authorized_keys 文件，标记 `command="…"` 选项会下载并执行代码、或从 /tmp、/var/tmp、/dev/shm、空白名称目录或隐藏目录启动程序的公钥。每次用这把公钥登录都会运行攻击者的程序。普通的强制命令（rrsync、位于系统路径的备份包装脚本）不会报告。',
  ),
  tags: ['attack.t1098.004', 'attack.t1546'],
  needs: ['persistence'],
  verify: t(
    'Read the key line (`grep -n "command=" ~<user>/.ssh/authorized_keys`) and compare the key fingerprint (`ssh-keygen -lf <file>`) with the keys your team issued.',
    '查看该公钥行（`grep -n "command=" ~<用户>/.ssh/authorized_keys`），并将公钥指纹（`ssh-keygen -lf <文件>`）与团队签发的公钥比对。',
  ),
  remediation: t(
    'Remove the key line (the other keys stay), quarantine the program it forces and rotate credentials of the account. Clear an immutable attribute on the file first.',
    '删除该公钥行（其他公钥保留），隔离其强制运行的程序，并更换该账户的凭据。若文件有不可修改属性，先清除。',
  ),
  messages: {
    downloadsAndRuns: t(
      '{keyType} key {key} of {user} ({file}:{line}) forces a command that downloads and runs {payload}',
      '{user} 的 {keyType} 公钥 {key}（{file}:{line}）强制执行的命令下载并执行 {payload}',
    ),
    runsFromOddPlace: t(
      '{keyType} key {key} of {user} ({file}:{line}) forces a command that runs {path} from {where}',
      '{user} 的 {keyType} 公钥 {key}（{file}:{line}）强制执行的命令运行 {path}，其位于{where}',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    for (const key of snapshot.persistence?.authorizedKeys ?? []) {
      if (key.command === undefined) continue;
      const dl = downloadExec(key.command);
      const odd = executedPaths(key.command)
        .map((p) => ({ p, odd: oddProgramPath(p) }))
        .find((x) => x.odd);
      if (!dl && !odd) continue;
      const facts = {
        keyType: key.keyType,
        key: key.comment ?? key.fingerprint,
        fingerprint: key.fingerprint,
        ...(key.comment !== undefined ? { comment: key.comment } : {}),
        user: key.user,
        file: key.file,
        line: key.line,
        command: key.command,
      };
      hits.push(
        fileHit(snapshot, ruleset, key.file, `${key.fingerprint}`, {
          messageId: dl ? 'downloadsAndRuns' : 'runsFromOddPlace',
          data: dl
            ? {
                ...facts,
                payload: t(dl.url ?? 'code', dl.url ?? '代码'),
                ...(dl.url !== undefined ? { url: dl.url } : {}),
                downloader: dl.downloader,
              }
            : { ...facts, path: odd!.p, where: odd!.odd!.why },
          evidence: [
            {
              type: 'match',
              field: 'authorized_keys',
              value: key.text,
              ioc: `forced command: ${key.command}`,
            },
          ],
          remediate: [{ type: 'remove-authorized-key', path: key.file, line: key.text }],
        }),
      );
    }
    return hits;
  },
};
