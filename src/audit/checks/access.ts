// Scheduled-task and SSH checks (source §3.9 "check for suspicious scheduled tasks"; SSH hardening):
// cron entries that download and run or run from writable places, recently changed cron files, sshd
// password and root logins, and authorized_keys hygiene.
import type { Evidence } from '../../model/finding.js';
import type { CronEntry } from '../../snapshot/audit.js';
import type { AuditCheck } from '../types.js';
import { downloadExec } from '../../shell/command.js';
import { absent, daysBetween, fact, fail, listSome, pass, t, unknown } from '../util.js';

const RECENT_DAYS = 7;

const WRITABLE_DIR = /(?:^|[\s'"=;|&])(?:\/tmp|\/var\/tmp|\/dev\/shm|\/run\/shm)\//;

function where(e: CronEntry): string {
  return `${e.file}:${e.line}`;
}

function cronEvidence(e: CronEntry): Evidence {
  return fact(where(e), e.command);
}

/** Keeps a copy, then deletes exactly the offending lines (highest line first so numbers hold). */
function deleteLines(entries: CronEntry[]): string {
  const byFile = new Map<string, number[]>();
  for (const e of entries) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e.line]);
  return [...byFile]
    .map(([file, lines]) => {
      const script = [...new Set(lines)]
        .sort((a, b) => b - a)
        .map((l) => `${l}d`)
        .join(';');
      return `cp -a '${file}' '${file}.minehunter.bak' && sed -i '${script}' '${file}'`;
    })
    .join(' && ');
}

function needsCron(): AuditCheck['needs'] {
  return ['cron'];
}

export const cronDownloadExec: AuditCheck = {
  id: 'cron-download-exec',
  area: 'scheduled-tasks',
  level: 'high',
  title: t('No scheduled task downloads and runs code', '没有下载并执行代码的计划任务'),
  description: t(
    'Fails on cron entries (crontab, cron.d, user crontabs) that fetch something (curl, wget, fetch, tftp…) and run it (piped to a shell or interpreter, also through a decoder such as base64 -d; passed to `sh -c "$(curl …)"`; saved to a file the same line runs): read as the persistence-download-exec detector of scan reads them; this is how miners re-infect a host every few minutes.',
    '发现下载内容（curl、wget、fetch、tftp 等）并执行（通过管道交给 shell 或解释器，包括经过 base64 -d 等解码器；传给 `sh -c "$(curl …)"`；保存为文件后由同一行执行）的 cron 条目（crontab、cron.d、用户 crontab）即判为不通过（与 scan 的 persistence-download-exec 检测器判断方式相同）：挖矿木马借此每隔几分钟重新感染主机。',
  ),
  fix: {
    command:
      "crontab -l -u USER; sed -i 'LINEd' FILE  # the exact command for this host is printed with the evidence",
    text: t(
      'Deletes the offending lines after keeping a copy beside the file. Kill the process it started and look for what wrote it (`minehunter scan`).',
      '先在原文件旁保留备份，再删除有问题的行。结束它启动的进程，并查找写入它的来源（`minehunter scan`）。',
    ),
  },
  tags: ['attack.t1053.003', 'attack.t1105'],
  needs: needsCron(),
  run(snapshot) {
    // The same reading of a command line as the persistence detectors' (shell/command.ts), so scan and
    // audit agree on which cron line downloads and runs code.
    const bad = snapshot.audit!.cron!.entries.filter((e) => downloadExec(e.command) !== undefined);
    if (bad.length === 0)
      return pass(
        `None of ${snapshot.audit!.cron!.entries.length} cron entries downloads and runs code.`,
        `${snapshot.audit!.cron!.entries.length} 条 cron 条目中没有下载并执行代码的。`,
      );
    return fail(
      `${bad.length} cron entr${bad.length === 1 ? 'y downloads' : 'ies download'} and run code: ${listSome(bad.map(where), 4)}.`,
      `${bad.length} 条 cron 条目下载并执行代码：${listSome(bad.map(where), 4)}。`,
      bad.map(cronEvidence),
      deleteLines(bad),
    );
  },
};

export const cronWritablePath: AuditCheck = {
  id: 'cron-writable-path',
  area: 'scheduled-tasks',
  level: 'high',
  title: t('Scheduled tasks do not run from world-writable places', '计划任务不从任何人可写的位置运行'),
  description: t(
    'Fails on cron entries that run something under /tmp, /var/tmp or /dev/shm, and on cron files or directories that users other than root may write.',
    '发现运行 /tmp、/var/tmp、/dev/shm 下内容的 cron 条目，或非 root 用户可写的 cron 文件或目录即判为不通过。',
  ),
  fix: {
    command: 'chmod go-w /etc/crontab /etc/cron.d /etc/cron.d/*  # and delete the entries the evidence lists',
    text: t(
      'Removes write access for others and deletes entries that run from temporary directories.',
      '去掉其他用户的写权限，并删除从临时目录运行的条目。',
    ),
  },
  tags: ['attack.t1053.003'],
  needs: needsCron(),
  run(snapshot) {
    const cron = snapshot.audit!.cron!;
    const bad = cron.entries.filter((e) => WRITABLE_DIR.test(` ${e.command}`));
    if (bad.length === 0 && cron.writable.length === 0)
      return pass(
        'No cron entry runs from /tmp, /var/tmp or /dev/shm; cron files are not writable by others.',
        '没有 cron 条目从 /tmp、/var/tmp、/dev/shm 运行；cron 文件对其他用户不可写。',
      );
    const ev = [...bad.map(cronEvidence), ...cron.writable.map((w) => fact('writable by others', w))];
    const cmd = [
      bad.length ? deleteLines(bad) : '',
      cron.writable.length ? `chmod go-w ${cron.writable.map((w) => `'${w}'`).join(' ')}` : '',
    ]
      .filter(Boolean)
      .join(' && ');
    return fail(
      `${bad.length} entr${bad.length === 1 ? 'y runs' : 'ies run'} from a temporary directory; ${cron.writable.length} cron path(s) writable by others.`,
      `${bad.length} 条条目从临时目录运行；${cron.writable.length} 个 cron 路径对其他用户可写。`,
      ev,
      cmd,
    );
  },
};

export const cronRecentChange: AuditCheck = {
  id: 'cron-recent-change',
  area: 'scheduled-tasks',
  level: 'low',
  title: t('No cron file changed in the last week', '一周内没有 cron 文件被修改'),
  description: t(
    `Lists cron files modified in the ${RECENT_DAYS} days before collection, so a change nobody remembers making stands out. A legitimate change fails this too: review and move on.`,
    `列出采集前 ${RECENT_DAYS} 天内修改过的 cron 文件，以便发现无人记得的修改。正常修改也会判为不通过：核实后即可。`,
  ),
  fix: {
    command: 'ls -l --time-style=full-iso /etc/crontab /etc/cron.d /var/spool/cron/crontabs',
    text: t(
      'Review each changed file; delete entries nobody can account for.',
      '逐个核实被修改的文件；删除无法说明来源的条目。',
    ),
  },
  tags: ['attack.t1053.003'],
  needs: needsCron(),
  run(snapshot) {
    const cron = snapshot.audit!.cron!;
    const recent = new Map<string, string>();
    for (const e of cron.entries) {
      if (e.mtime && daysBetween(e.mtime, snapshot.collectedAt) <= RECENT_DAYS) recent.set(e.file, e.mtime);
    }
    if (recent.size === 0)
      return pass(
        `No cron file with entries changed in the last ${RECENT_DAYS} days.`,
        `近 ${RECENT_DAYS} 天内没有含条目的 cron 文件被修改。`,
      );
    return fail(
      `${recent.size} cron file(s) changed in the last ${RECENT_DAYS} days: ${listSome([...recent.keys()], 4)}.`,
      `近 ${RECENT_DAYS} 天内有 ${recent.size} 个 cron 文件被修改：${listSome([...recent.keys()], 4)}。`,
      [...recent].map(([f, m]) => fact(f, `modified ${m}`)),
    );
  },
};

const SSHD_RELOAD = 'sshd -t && (systemctl reload ssh 2>/dev/null || systemctl reload sshd)';

export const sshdPasswordAuth: AuditCheck = {
  id: 'sshd-password-authentication',
  area: 'ssh',
  level: 'medium',
  title: t('SSH does not accept passwords', 'SSH 不接受密码登录'),
  description: t(
    "Reads sshd's effective settings (`sshd -T`, or sshd_config and its Include files when sshd cannot run) and fails when PasswordAuthentication is yes (OpenSSH's default when unset): SSH password brute force is how many miner botnets spread.",
    '读取 sshd 的实际生效配置（`sshd -T`；无法运行时读取 sshd_config 及其 Include 文件），PasswordAuthentication 为 yes（未设置时 OpenSSH 的默认值）即判为不通过：很多挖矿僵尸网络靠爆破 SSH 密码传播。',
  ),
  fix: {
    command: `printf 'PasswordAuthentication no\\nKbdInteractiveAuthentication no\\n' > /etc/ssh/sshd_config.d/00-minehunter.conf && ${SSHD_RELOAD}`,
    text: t(
      'Turns password logins off. Make sure your own key login works in a second session before closing the first.',
      '关闭密码登录。关闭当前会话前，先在另一个会话中确认自己的密钥登录可用。',
    ),
  },
  tags: ['attack.t1110'],
  needs: ['sshd'],
  run(snapshot) {
    const s = snapshot.audit!.sshd!;
    if (!s.installed) return absent('No SSH server is installed.', '未安装 SSH 服务端。');
    const value = s.settings.passwordauthentication ?? 'yes';
    const ev = [
      fact('PasswordAuthentication', `${value}${s.settings.passwordauthentication ? '' : ' (default)'}`),
      fact('source', s.source),
    ];
    if (s.matchBlocks > 0) ev.push(fact('Match blocks', `${s.matchBlocks} (not evaluated)`));
    if (s.source === 'none')
      return unknown(
        'sshd is installed but its settings could not be read.',
        '已安装 sshd，但无法读取其配置。',
        ev,
      );
    if (value === 'yes') return fail('sshd accepts passwords.', 'sshd 接受密码登录。', ev);
    return pass('sshd does not accept passwords.', 'sshd 不接受密码登录。', ev);
  },
};

export const sshdRootLogin: AuditCheck = {
  id: 'sshd-root-login',
  area: 'ssh',
  level: 'high',
  title: t('root cannot log in over SSH with a password', 'root 不能通过 SSH 密码登录'),
  description: t(
    'Fails when PermitRootLogin is yes: root can log in with a password. prohibit-password (the default), forced-commands-only and no pass.',
    'PermitRootLogin 为 yes（root 可用密码登录）时判为不通过；prohibit-password（默认值）、forced-commands-only 和 no 均通过。',
  ),
  fix: {
    command: `printf 'PermitRootLogin prohibit-password\\n' > /etc/ssh/sshd_config.d/00-minehunter-root.conf && ${SSHD_RELOAD}`,
    text: t(
      'Allows root only with a key (or use `no` and sudo).',
      '只允许 root 使用密钥登录（或设为 `no` 并改用 sudo）。',
    ),
  },
  tags: ['attack.t1110', 'attack.t1078.003'],
  needs: ['sshd'],
  run(snapshot) {
    const s = snapshot.audit!.sshd!;
    if (!s.installed) return absent('No SSH server is installed.', '未安装 SSH 服务端。');
    if (s.source === 'none')
      return unknown(
        'sshd is installed but its settings could not be read.',
        '已安装 sshd，但无法读取其配置。',
      );
    const value = s.settings.permitrootlogin ?? 'prohibit-password';
    const ev = [
      fact('PermitRootLogin', `${value}${s.settings.permitrootlogin ? '' : ' (default)'}`),
      fact('source', s.source),
    ];
    if (value === 'yes')
      return fail('root may log in over SSH with a password.', 'root 可以通过 SSH 密码登录。', ev);
    return pass(`PermitRootLogin ${value}.`, `PermitRootLogin ${value}。`, ev);
  },
};

export const authorizedKeysHygiene: AuditCheck = {
  id: 'ssh-authorized-keys',
  area: 'ssh',
  level: 'medium',
  title: t('authorized_keys files are tidy', 'authorized_keys 文件规范'),
  description: t(
    'Looks at every ~/.ssh/authorized_keys and authorized_keys2 of the accounts in /etc/passwd. Fails when a file or its .ssh directory is writable by group or others (anyone could add a key), when a file is owned by another user, or when an authorized_keys2 file exists (deprecated, rarely checked, a favourite hiding place). Keys added in the last week are listed for review.',
    '检查 /etc/passwd 中各账号的 ~/.ssh/authorized_keys 和 authorized_keys2。文件或其 .ssh 目录对组或其他用户可写（任何人都能添加公钥）、文件属于其他用户，或存在 authorized_keys2 文件（已弃用、很少有人检查，是常见的藏匿位置）时判为不通过。近一周内加入的公钥会列出以便核实。',
  ),
  fix: {
    command:
      'for d in /root/.ssh /home/*/.ssh; do chmod 700 "$d"; chmod 600 "$d"/authorized_keys*; done 2>/dev/null',
    text: t(
      'Tightens permissions. Move keys from authorized_keys2 into authorized_keys (after checking each one) and delete the file; remove keys nobody recognises.',
      '收紧权限。逐一核实 authorized_keys2 中的公钥，将需要的移到 authorized_keys 后删除该文件；删除无人认领的公钥。',
    ),
  },
  tags: ['attack.t1098.004'],
  needs: ['sshd'],
  run(snapshot) {
    const s = snapshot.audit!.sshd!;
    const problems: Evidence[] = [];
    const recent: Evidence[] = [];
    for (const f of s.authorizedKeys) {
      if ((f.mode & 0o022) !== 0)
        problems.push(fact('writable by others', `${f.path} mode ${(f.mode & 0o777).toString(8)}`));
      if (f.dirMode !== undefined && (f.dirMode & 0o022) !== 0)
        problems.push(
          fact(
            'writable by others',
            `${f.path.replace(/\/[^/]+$/, '')} mode ${(f.dirMode & 0o777).toString(8)}`,
          ),
        );
      if (f.path.endsWith('authorized_keys2'))
        problems.push(fact('authorized_keys2', `${f.path} (${f.keys.length} key(s))`));
      if (f.uid !== 0 && f.user === 'root') problems.push(fact('owner', `${f.path} owned by uid ${f.uid}`));
      if (daysBetween(f.mtime, snapshot.collectedAt) <= RECENT_DAYS)
        recent.push(
          fact(
            'changed recently',
            `${f.path} modified ${f.mtime}: ${f.keys.map((k) => `${k.type} ${k.comment ?? ''}`.trim()).join('; ')}`,
          ),
        );
    }
    const keys = s.authorizedKeys.reduce((n, f) => n + f.keys.length, 0);
    if (problems.length > 0)
      return fail(
        `${problems.length} problem(s) in ${s.authorizedKeys.length} authorized_keys file(s).`,
        `${s.authorizedKeys.length} 个 authorized_keys 文件中发现 ${problems.length} 个问题。`,
        [...problems, ...recent],
      );
    return pass(
      `${s.authorizedKeys.length} authorized_keys file(s), ${keys} key(s), permissions tight${recent.length ? `; ${recent.length} changed in the last week (listed)` : ''}.`,
      `${s.authorizedKeys.length} 个 authorized_keys 文件，${keys} 个公钥，权限正常${recent.length ? `；${recent.length} 个近一周内被修改（已列出）` : ''}。`,
      recent,
    );
  },
};

export const accessChecks: AuditCheck[] = [
  cronDownloadExec,
  cronWritablePath,
  cronRecentChange,
  sshdPasswordAuth,
  sshdRootLogin,
  authorizedKeysHygiene,
];
