// Detector: sudo rules that let a service account (or an account that does not exist) run anything
// as root without a password, or that allow a program in an odd place without one: the way a
// campaign that got in through a web app or database keeps root.
import { executedPaths, oddProgramPath } from '../../shell/command.js';
import { fileHit } from '../persistence.js';
import type { MessageData } from '../../model/localized.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

/** Accounts under this uid (other than root) are system and service accounts on Debian and Red Hat. */
const FIRST_HUMAN_UID = 1000;

export const sudoersNopasswdOdd: Detector = {
  id: 'sudoers-nopasswd-odd',
  category: 'persistence',
  level: 'high',
  title: t('Passwordless sudo for a service account or odd program', '服务账户或可疑程序可免密 sudo'),
  description: t(
    'Reads /etc/sudoers and /etc/sudoers.d and flags a NOPASSWD rule that gives ALL commands to a service account (uid 1–999 such as www-data, postgres, redis) or to a user name with no account, or that allows a program in /tmp, /var/tmp, /dev/shm or a hidden directory. Intruders who came in through a web application or a database add such a rule to keep root. Passwordless sudo for ordinary login users and for groups (the cloud-image default) is not reported.',
    '读取 /etc/sudoers 与 /etc/sudoers.d，标记这样的 NOPASSWD 规则：把全部命令（ALL）授予服务账户（uid 1–999，如 www-data、postgres、redis）或不存在的用户名，或允许运行位于 /tmp、/var/tmp、/dev/shm、隐藏目录中的程序。通过 Web 应用或数据库入侵的攻击者会添加这样的规则以保留 root 权限。普通登录用户和用户组的免密 sudo（云镜像的默认设置）不报告。',
  ),
  tags: ['attack.t1548.003'],
  needs: ['persistence'],
  verify: t(
    'Run `sudo -l -U <user>` and read the rule (`grep -rn NOPASSWD /etc/sudoers /etc/sudoers.d`); ask who added it and why the account needs root.',
    '执行 `sudo -l -U <用户>` 并查看规则（`grep -rn NOPASSWD /etc/sudoers /etc/sudoers.d`），确认是谁添加的、该账户为何需要 root。',
  ),
  remediation: t(
    'Remove the rule (with `visudo -f <file>`, so a syntax error cannot lock you out), quarantine a drop-in file that holds only this rule, and check what the account ran as root (`journalctl _COMM=sudo`).',
    '删除该规则（使用 `visudo -f <文件>`，避免语法错误把自己锁在外面），只包含这条规则的 drop-in 文件可整体隔离，并检查该账户以 root 身份运行过什么（`journalctl _COMM=sudo`）。',
  ),
  messages: {
    passwordless: t(
      '{file}:{line} lets {who} run {commands} as {runAs} without a password: {why}',
      '{file}:{line} 允许 {who} 免密码以 {runAs} 身份运行 {commands}：{why}',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    const accounts = new Map((snapshot.persistence?.accounts ?? []).map((a) => [a.name, a]));
    for (const rule of snapshot.persistence?.sudoRules ?? []) {
      if (!rule.nopasswd || rule.who.startsWith('%') || rule.who === 'root') continue;
      let why: ReturnType<typeof t> | undefined;
      // Why the rule is reported, as facts: `no-account`, `service-account` (with the uid) or
      // `odd-program` (with the program's path).
      let reason: MessageData = {};
      if (/^ALL\b/.test(rule.commands) && !/^[A-Z][A-Z0-9_]*$/.test(rule.who)) {
        const account = accounts.get(rule.who);
        // Without the account list nothing is known about the user.
        if (!account) {
          if (accounts.size > 0) {
            why = t(`${rule.who} has no account in /etc/passwd`, `${rule.who} 在 /etc/passwd 中没有账户`);
            reason = { reason: 'no-account' };
          }
        } else if (account.uid > 0 && account.uid < FIRST_HUMAN_UID) {
          why = t(
            `${rule.who} is a service account (uid ${account.uid})`,
            `${rule.who} 是服务账户（uid ${account.uid}）`,
          );
          reason = { reason: 'service-account', uid: account.uid };
        }
      }
      if (!why) {
        const odd = rule.commands
          .split(',')
          .flatMap((c) => executedPaths(c.trim()))
          .map((p) => ({ p, odd: oddProgramPath(p) }))
          .find((x) => x.odd);
        if (odd?.odd) {
          why = t(
            `it allows ${odd.p} from ${odd.odd.why.en}`,
            `允许运行 ${odd.p}，其位于${odd.odd.why['zh-CN']}`,
          );
          reason = { reason: 'odd-program', program: odd.p };
        }
      }
      if (!why) continue;
      const dropIn =
        rule.file !== '/etc/sudoers' &&
        (snapshot.persistence?.sudoRules ?? []).filter((r) => r.file === rule.file).length === 1;
      hits.push(
        fileHit(snapshot, ruleset, rule.file, `${rule.line}`, {
          messageId: 'passwordless',
          data: {
            file: rule.file,
            line: rule.line,
            who: rule.who,
            commands: rule.commands,
            runAs: rule.runAs || 'root',
            why,
            ...reason,
          },
          evidence: [{ type: 'match', field: 'sudoers', value: rule.text, ioc: why.en }],
          remediate: dropIn
            ? [{ type: 'quarantine-file', path: rule.file }]
            : [{ type: 'remove-line', path: rule.file, line: rule.text }],
        }),
      );
    }
    return hits;
  },
};
