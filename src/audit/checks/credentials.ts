// Weak-credential checks: the outcome of the login tests the collector ran against services on this
// machine (127.0.0.1 / ::1 only), one check per service, plus Redis's CONFIG SET dir trick.
import type { Evidence, Level, Localized } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { LoginResult, LoginService } from '../../snapshot/audit.js';
import type { AuditCheck, CheckOutcome } from '../types.js';
import { absent, fact, fail, pass, t, unknown } from '../util.js';

interface CredSpec {
  id: string;
  service: LoginService;
  name: string;
  level: Level;
  what: Localized;
  command: string;
  fixText: Localized;
}

function describe(r: LoginResult): string {
  if (r.outcome === 'open') return `${r.endpoint}: no credentials needed (${r.detail})`;
  if (r.outcome === 'weak')
    return `${r.endpoint}: ${r.user ? `user "${r.user}" ` : ''}password "${r.password ?? ''}" accepted`;
  return `${r.endpoint}: ${r.outcome} (${r.detail}, ${r.attempts} attempt(s))`;
}

function describeZh(r: LoginResult): string {
  if (r.outcome === 'open') return `${r.endpoint}：无需任何凭据（${r.detail}）`;
  if (r.outcome === 'weak')
    return `${r.endpoint}：${r.user ? `用户 "${r.user}" ` : ''}口令 "${r.password ?? ''}" 登录成功`;
  const o = r.outcome === 'protected' ? '字典口令均被拒绝' : '无法判断';
  return `${r.endpoint}：${o}（${r.detail}，尝试 ${r.attempts} 次）`;
}

function loginEvidence(r: LoginResult): Evidence {
  return fact(`${r.service} login`, describe(r));
}

/** Shared verdict over the login results for one service. */
function judge(snapshot: Snapshot, spec: CredSpec): CheckOutcome {
  const logins = snapshot.audit!.logins!;
  const results = logins.results.filter((r) => r.service === spec.service);
  const skipped = logins.notTested.filter((n) => n.service === spec.service);
  const ev = [
    ...results.map(loginEvidence),
    ...skipped.map((n) => fact(`${spec.service} not tested`, `${n.endpoint}: ${n.reason}`)),
  ];
  const bad = results.filter((r) => r.outcome === 'open' || r.outcome === 'weak');
  if (bad.length > 0) {
    return fail(
      `${spec.name} ${spec.what.en}: ${bad.map(describe).join('; ')}.`,
      `${spec.name} ${spec.what['zh-CN']}：${bad.map(describeZh).join('；')}。`,
      ev,
    );
  }
  if (results.length === 0 && skipped.length === 0) {
    return absent(`No ${spec.name} found listening on this machine.`, `本机未发现监听中的 ${spec.name}。`);
  }
  if (!logins.enabled) {
    return unknown(
      `${spec.name} is listening but login tests were turned off (--no-login-tests).`,
      `${spec.name} 正在监听，但登录测试已关闭（--no-login-tests）。`,
      ev,
    );
  }
  const undecided = results.filter((r) => r.outcome === 'unknown');
  if (undecided.length > 0 || skipped.length > 0) {
    return unknown(
      `Could not test every ${spec.name}: ${[...undecided.map(describe), ...skipped.map((s) => `${s.endpoint}: ${s.reason}`)].join('; ')}.`,
      `未能测试全部 ${spec.name}：${[...undecided.map(describeZh), ...skipped.map((s) => `${s.endpoint}：${s.reason}`)].join('；')}。`,
      ev,
    );
  }
  return pass(
    `Every ${spec.name} refused the built-in dictionary (${results.map((r) => r.endpoint).join(', ')}).`,
    `所有 ${spec.name} 均拒绝了内置字典口令（${results.map((r) => r.endpoint).join('、')}）。`,
    ev,
  );
}

const SPECS: CredSpec[] = [
  {
    id: 'redis-auth',
    service: 'redis',
    name: 'Redis',
    level: 'critical',
    what: t('accepts commands without a strong password', '无需强口令即可执行命令'),
    command:
      'p=$(openssl rand -hex 24); sed -i -E "s/^#?\\s*requirepass .*/requirepass $p/" /etc/redis/redis.conf && systemctl restart redis-server && echo "new password: $p"',
    fixText: t(
      'Sets a long random `requirepass` (clients must be given it) and restarts Redis. With Redis 6+, ACL users (`ACL SETUSER`) are the finer-grained alternative.',
      '设置足够长的随机 `requirepass`（需同步给客户端）并重启 Redis。Redis 6 及以上也可使用更细粒度的 ACL 用户（`ACL SETUSER`）。',
    ),
  },
  {
    id: 'postgresql-auth',
    service: 'postgresql',
    name: 'PostgreSQL',
    level: 'critical',
    what: t('accepts a default or dictionary password', '接受默认或字典口令'),
    command: 'sudo -u postgres psql -c "ALTER ROLE postgres PASSWORD \'$(openssl rand -hex 24)\'"',
    fixText: t(
      'Give every role that can log in a long random password (repeat for the role the evidence names) and use `scram-sha-256`, never `trust`, in pg_hba.conf for TCP connections.',
      '为每个可登录的角色设置足够长的随机口令（对证据中列出的角色逐一执行），pg_hba.conf 中 TCP 连接使用 `scram-sha-256`，不要用 `trust`。',
    ),
  },
  {
    id: 'mysql-auth',
    service: 'mysql',
    name: 'MySQL/MariaDB',
    level: 'critical',
    what: t('accepts a default or dictionary password', '接受默认或字典口令'),
    command: "mysql -e \"ALTER USER 'root'@'localhost' IDENTIFIED BY '$(openssl rand -hex 24)'\"",
    fixText: t(
      'Set long random passwords for the accounts the evidence names; run `mysql_secure_installation` to drop anonymous users and remote root.',
      '为证据中列出的账号设置足够长的随机口令；运行 `mysql_secure_installation` 删除匿名用户和远程 root。',
    ),
  },
  {
    id: 'tomcat-manager-auth',
    service: 'tomcat-manager',
    name: 'Tomcat manager',
    level: 'critical',
    what: t('accepts a default password', '接受默认口令'),
    command:
      'grep -n "<user " /etc/tomcat*/tomcat-users.xml  # change the password, or remove the manager-gui/manager-script roles',
    fixText: t(
      'Change the manager user passwords in tomcat-users.xml (or remove the manager app) and restart Tomcat.',
      '修改 tomcat-users.xml 中 manager 用户的口令（或删除 manager 应用）并重启 Tomcat。',
    ),
  },
  {
    id: 'jenkins-script-console',
    service: 'jenkins',
    name: 'Jenkins',
    level: 'critical',
    what: t('opens its script console without a strong login', '无需强口令即可打开脚本控制台'),
    command:
      'grep -n -A2 "<authorizationStrategy" /var/lib/jenkins/config.xml  # must not be Unsecured/AnonymousReadAll-with-admin',
    fixText: t(
      'Enable security (Manage Jenkins → Security): a real security realm and matrix- or role-based authorisation with no rights for Anonymous.',
      '启用安全设置（系统管理 → 安全）：配置真实的安全域，并使用矩阵或基于角色的授权，不给匿名用户任何权限。',
    ),
  },
  {
    id: 'mongodb-auth',
    service: 'mongodb',
    name: 'MongoDB',
    level: 'high',
    what: t('accepts commands without authentication', '无需认证即可执行命令'),
    command:
      "printf 'security:\\n  authorization: enabled\\n' >> /etc/mongod.conf && systemctl restart mongod",
    fixText: t(
      'Create an admin user first, then enable authorisation and restart mongod.',
      '先创建管理员用户，再启用授权并重启 mongod。',
    ),
  },
];

function credCheck(spec: CredSpec): AuditCheck {
  return {
    id: spec.id,
    area: 'credentials',
    level: spec.level,
    title: t(`${spec.name} has no weak or missing password`, `${spec.name} 不存在弱口令或空口令`),
    description: t(
      `Logs in to every ${spec.name} listening on this machine, over 127.0.0.1 or ::1 only, with a real client: first with no credentials, then with a short built-in dictionary (extensible with --credentials), at most a few tries per account and a pause between tries so no account is locked. Fails when ${spec.name} ${spec.what.en}. Turned off with --no-login-tests.`,
      `用真实客户端、仅通过 127.0.0.1 或 ::1 登录本机上监听的每个 ${spec.name}：先不带凭据，再用内置的小字典（可用 --credentials 扩充），每个账号只尝试几次并在两次尝试之间停顿，绝不会锁定账号。${spec.name} ${spec.what['zh-CN']}时判为不通过。可用 --no-login-tests 关闭。`,
    ),
    fix: { command: spec.command, text: spec.fixText },
    tags: ['attack.t1110.001', 'attack.t1078.001'],
    needs: ['logins'],
    run: (snapshot) => judge(snapshot, spec),
  };
}

export const redisConfigSetDir: AuditCheck = {
  id: 'redis-config-set-dir',
  area: 'credentials',
  level: 'high',
  title: t('Redis refuses CONFIG SET dir', 'Redis 拒绝 CONFIG SET dir'),
  description: t(
    "Where the login test got into Redis, it reads `CONFIG GET dir` and sends `CONFIG SET dir` with that same value, so nothing changes. If Redis accepts it, whoever logs in can point Redis's dump file at /var/spool/cron or ~/.ssh and write a cron job or key: the classic miner drop. Redis 7's `enable-protected-configs no` (the default) refuses it.",
    '在登录测试成功进入 Redis 的情况下，读取 `CONFIG GET dir` 并以相同的值发送 `CONFIG SET dir`，因此不会改变任何设置。如果 Redis 接受，登录者就能把转储文件指向 /var/spool/cron 或 ~/.ssh，写入计划任务或公钥：这是投放挖矿程序的经典手法。Redis 7 的 `enable-protected-configs no`（默认值）会拒绝它。',
  ),
  fix: {
    command:
      'printf \'enable-protected-configs no\\nrename-command CONFIG ""\\n\' >> /etc/redis/redis.conf && systemctl restart redis-server',
    text: t(
      'Refuses changes to protected settings and hides the CONFIG command (Redis 6+: or give clients ACL users without `+@admin`).',
      '拒绝修改受保护的配置并隐藏 CONFIG 命令（Redis 6 及以上也可为客户端配置不含 `+@admin` 的 ACL 用户）。',
    ),
  },
  tags: ['attack.t1053.003', 'attack.t1098.004'],
  needs: ['logins'],
  run(snapshot) {
    const results = snapshot.audit!.logins!.results.filter((r) => r.service === 'redis');
    const allowed = results.filter((r) => r.configSetDir === 'allowed');
    const ev = results.map((r) =>
      fact('redis CONFIG SET dir', `${r.endpoint}: ${r.configSetDir ?? 'not-tested'}`),
    );
    if (allowed.length > 0) {
      return fail(
        `CONFIG SET dir is accepted on ${allowed.map((r) => r.endpoint).join(', ')}: Redis can be made to write files anywhere its user may.`,
        `${allowed.map((r) => r.endpoint).join('、')} 接受 CONFIG SET dir：可让 Redis 在其用户有权限的任何位置写文件。`,
        ev,
      );
    }
    const entered = results.filter((r) => r.outcome === 'open' || r.outcome === 'weak');
    if (entered.some((r) => r.configSetDir !== 'denied')) {
      return unknown('Logged in but could not test CONFIG SET dir.', '已登录但未能测试 CONFIG SET dir。', ev);
    }
    if (results.length === 0 && !snapshot.audit!.logins!.enabled)
      return absent('No Redis was tested.', '未测试任何 Redis。', ev);
    return pass(
      entered.length
        ? 'Redis refuses CONFIG SET dir.'
        : 'No Redis could be entered with the dictionary, so CONFIG SET dir is out of reach.',
      entered.length
        ? 'Redis 拒绝 CONFIG SET dir。'
        : '无法用字典口令登录任何 Redis，CONFIG SET dir 无从利用。',
      ev,
    );
  },
};

export const credentialChecks: AuditCheck[] = [...SPECS.map(credCheck), redisConfigSetDir];
