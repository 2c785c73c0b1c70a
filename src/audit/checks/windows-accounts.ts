// Windows audit checks of source §3.7 (issue 22) on the local accounts of the SAM hive (flags only,
// read-only): the built-in Administrator and Guest disabled, no enabled account that may have an empty
// password, and enabled accounts whose password never expires listed. Worms that spread over SMB and
// RDP try the built-in Administrator first, with a dictionary.
import type { AuditCheck } from '../types.js';
import { absent, fact, fail, listSome, pass, t } from '../util.js';
import {
  commentSafe,
  fixCommandOf,
  psQuote,
  windowsFacts,
  type FixStep,
  type FixSteps,
} from './windows-util.js';

type User = NonNullable<ReturnType<typeof windowsFacts>['accounts']>['users'][number];

const BUILTIN: Record<number, string> = { 500: 'built-in Administrator', 501: 'Guest' };

function flagsText(u: User): string {
  return `0x${u.flags.toString(16).padStart(4, '0')}${u.disabled ? ' disabled' : ''}${u.passwordNotRequired ? ' password-not-required' : ''}${u.passwordNeverExpires ? ' password-never-expires' : ''}`;
}

function userEvidence(key: string, u: User) {
  return fact(
    `${key}\\${u.rid.toString(16).toUpperCase().padStart(8, '0')}\\F`,
    `${u.name} (RID ${u.rid}): ${flagsText(u)}`,
  );
}

/** Enabled built-in accounts and enabled accounts that need no password. */
function exposedAccounts(users: User[]): Array<{ user: User; why: string }> {
  const out: Array<{ user: User; why: string }> = [];
  for (const u of users) {
    if (u.disabled) continue;
    const builtin = BUILTIN[u.rid];
    if (builtin) out.push({ user: u, why: `${builtin} enabled` });
    else if (u.passwordNotRequired) out.push({ user: u, why: 'no password required' });
  }
  return out;
}

const accountsSteps: FixSteps = (s) =>
  exposedAccounts(windowsFacts(s).accounts?.users ?? []).map(({ user, why }): FixStep => {
    const q = psQuote(user.name);
    if (BUILTIN[user.rid])
      return {
        key: `disable-user:${user.rid}`,
        what: t(
          `Disable the account ${commentSafe(user.name)} (${why})`,
          `禁用账户 ${commentSafe(user.name)}（${why}）`,
        ),
        guard: `(Get-LocalUser -Name ${q} -ErrorAction SilentlyContinue).Enabled`,
        body: `Disable-LocalUser -Name ${q}`,
      };
    return {
      key: `password-required:${user.rid}`,
      what: t(
        `Require a password for ${commentSafe(user.name)} (set one first)`,
        `要求账户 ${commentSafe(user.name)} 必须设置口令（请先为其设置口令）`,
      ),
      guard: `-not (Get-LocalUser -Name ${q} -ErrorAction SilentlyContinue).PasswordRequired`,
      body: `net.exe user ${q} /passwordreq:yes`,
    };
  });

/** Both account checks read the SAM hive; a volume without one leaves them with nothing to judge. */
function noSam(): ReturnType<typeof absent> {
  return absent(
    'The volume holds no SAM hive to read accounts from.',
    '该卷中没有可读取账户的 SAM 配置单元。',
  );
}

export const windowsLocalAccounts: AuditCheck = {
  id: 'windows-local-accounts',
  area: 'credentials',
  level: 'high',
  title: t(
    'Built-in Administrator and Guest are disabled; every account needs a password',
    '内置 Administrator 和 Guest 已禁用，所有账户都需要口令',
  ),
  description: t(
    'Reads the account-control flags of each local account in the SAM hive (read-only; the F value only, never a password hash). Fails when the built-in Administrator (RID 500) or Guest (RID 501) is enabled, or an enabled account has "password not required" set: SMB and RDP worms try exactly these with a password dictionary. Not applicable when the volume holds no SAM hive.',
    '读取 SAM 配置单元中每个本地账户的账户控制标志（只读；仅读取 F 值，从不读取口令哈希）。内置 Administrator（RID 500）或 Guest（RID 501）处于启用状态，或某个启用的账户设置了“不需要口令”时判为不通过：SMB 和 RDP 蠕虫正是用口令字典尝试这些账户。卷中没有 SAM 配置单元时不适用。',
  ),
  fix: {
    command: "Disable-LocalUser -Name 'Administrator'",
    text: t(
      'Disables the built-in account (PowerShell as Administrator) after another administrator account with a strong password exists; for an account without a required password, set a strong password, then net user NAME /passwordreq:yes.',
      '在已有另一个使用强口令的管理员账户后，禁用内置账户（以管理员身份运行 PowerShell）；对不要求口令的账户，先设置强口令，再执行 net user 账户名 /passwordreq:yes。',
    ),
  },
  tags: ['windows', 'credentials', 'source-3.7'],
  needs: ['windows'],
  run(s) {
    const acc = windowsFacts(s).accounts;
    if (!acc) return noSam();
    const bad = exposedAccounts(acc.users);
    const ev = acc.users.map((u) => userEvidence(acc.key, u));
    if (bad.length) {
      const list = listSome(bad.map((b) => `${b.user.name} (${b.why})`));
      return fail(
        `Exposed accounts: ${list}.`,
        `存在风险的账户：${list}。`,
        ev,
        fixCommandOf(accountsSteps(s)),
      );
    }
    return pass(
      `${acc.users.length} local account(s); the built-in ones are disabled and every enabled one needs a password.`,
      `共 ${acc.users.length} 个本地账户；内置账户均已禁用，所有启用的账户都需要口令。`,
      ev,
    );
  },
};

const expirySteps: FixSteps = (s) =>
  (windowsFacts(s).accounts?.users ?? [])
    .filter((u) => !u.disabled && u.passwordNeverExpires)
    .map((u) => {
      const q = psQuote(u.name);
      return {
        key: `password-expires:${u.rid}`,
        what: t(
          `Let the password of ${commentSafe(u.name)} expire`,
          `让账户 ${commentSafe(u.name)} 的口令按策略过期`,
        ),
        guard: `$null -eq (Get-LocalUser -Name ${q} -ErrorAction SilentlyContinue).PasswordExpires`,
        body: `Set-LocalUser -Name ${q} -PasswordNeverExpires $false`,
      };
    });

export const windowsPasswordExpiry: AuditCheck = {
  id: 'windows-password-expiry',
  area: 'credentials',
  level: 'low',
  title: t('No enabled account has a password that never expires', '没有口令永不过期的启用账户'),
  description: t(
    'Lists the enabled local accounts whose "password never expires" flag is set (SAM, read-only). A password that is never changed stays valid for as long as it is known: one leaked or guessed once opens the host for good.',
    '列出设置了“口令永不过期”标志的启用本地账户（SAM，只读）。从不更换的口令一旦泄露或被猜中，就会一直有效。',
  ),
  fix: {
    command: "Set-LocalUser -Name 'NAME' -PasswordNeverExpires $false",
    text: t(
      'Lets the password expire under the local password policy (PowerShell as Administrator); service accounts that cannot change passwords are better replaced by managed service accounts.',
      '使口令按本地口令策略过期（以管理员身份运行 PowerShell）；无法更换口令的服务账户最好改用托管服务账户。',
    ),
  },
  tags: ['windows', 'credentials', 'source-3.7'],
  needs: ['windows'],
  run(s) {
    const acc = windowsFacts(s).accounts;
    if (!acc) return noSam();
    const never = acc.users.filter((u) => !u.disabled && u.passwordNeverExpires);
    const ev = never.map((u) => userEvidence(acc.key, u));
    if (never.length) {
      const list = listSome(never.map((u) => u.name));
      return fail(
        `Passwords that never expire: ${list}.`,
        `口令永不过期的账户：${list}。`,
        ev,
        fixCommandOf(expirySteps(s)),
      );
    }
    return pass('Every enabled account has an expiring password.', '所有启用账户的口令都会过期。', ev);
  },
};

export const windowsAccountChecks: AuditCheck[] = [windowsLocalAccounts, windowsPasswordExpiry];

export const windowsAccountFixes: Record<string, FixSteps> = {
  'windows-local-accounts': accountsSteps,
  'windows-password-expiry': expirySteps,
};
