// Patch, anti-virus and cloud-agent checks (source §3.2, §3.6, §3.9): pending security updates from
// apt's local lists or the updateinfo in dnf/yum's repository cache, the running kernel against the
// newest installed, an AV/EDR agent and fresh signatures, and cloud security agents that were stopped
// or deleted.
import type { Evidence } from '../../model/finding.js';
import type { PackageFacts } from '../../snapshot/audit.js';
import { AGENTS } from '../agents.js';
import { compareDebVersions } from '../debversion.js';
import { compareRpmVersions } from '../rpmversion.js';
import type { AuditCheck, CheckOutcome } from '../types.js';
import { absent, compareVersions, daysBetween, fact, fail, listSome, pass, t, unknown } from '../util.js';

const LISTS_MAX_AGE_DAYS = 7;
const SIGNATURES_MAX_AGE_DAYS = 7;

/** The rpm front ends: dnf (4 or 5) and yum; `rpm` is a database neither manages. */
const RPM_MANAGERS = new Set<PackageFacts['manager']>(['dnf', 'yum', 'rpm']);

/** What installs pending security updates now and from then on, per front end. */
const RPM_FIX: Record<'dnf' | 'yum', string> = {
  dnf: 'dnf -y upgrade --security && dnf -y install dnf-automatic && systemctl enable --now dnf-automatic-install.timer',
  yum: "yum -y update --security && yum -y install yum-cron && sed -i 's/^apply_updates = no/apply_updates = yes/' /etc/yum/yum-cron.conf && systemctl enable --now yum-cron",
};

/** What the rpm facts say about patch age, as evidence for both patch checks. */
function rpmAgeEvidence(pk: PackageFacts): Evidence[] {
  const ev: Evidence[] = [];
  if (pk.listsUpdatedAt) ev.push(fact('repository metadata updated', pk.listsUpdatedAt));
  const h = pk.history;
  if (h?.lastTransactionAt)
    ev.push(fact('last transaction', `${h.lastTransactionAt}${h.command ? ` (${h.command})` : ''}`));
  if (h?.lastUpgradeAt) ev.push(fact('last upgrade', h.lastUpgradeAt));
  if (pk.newestInstallAt) ev.push(fact('newest package installed', pk.newestInstallAt));
  return ev;
}

/** security-updates on an rpm host: the updateinfo advisories against the rpm database. */
function rpmSecurityUpdates(pk: PackageFacts): CheckOutcome {
  if (pk.manager === 'rpm')
    return unknown(
      'An rpm database that neither dnf nor yum manages (zypper and others are not read yet): pending security updates are not checked.',
      '本系统的 rpm 数据库不由 dnf 或 yum 管理（暂不读取 zypper 等）：未检查待安装的安全更新。',
      rpmAgeEvidence(pk),
    );
  const tool = pk.manager === 'yum' ? 'yum' : 'dnf';
  if (pk.securityLists.length === 0) {
    if (pk.error)
      return unknown(
        `No security advisory (updateinfo) could be read: ${pk.error}`,
        `无法读取安全公告（updateinfo）：${pk.error}`,
        rpmAgeEvidence(pk),
      );
    if (!pk.repoCaches)
      return unknown(
        `No repository metadata cache on disk (/var/cache/${tool}): ${tool} never refreshed it here, or \`${tool} clean all\` removed it, so pending security updates cannot be known offline. \`${tool} makecache\` downloads it.`,
        `磁盘上没有软件仓库元数据缓存（/var/cache/${tool}）：本机从未刷新过，或已被 \`${tool} clean all\` 清除，离线无法得知待安装的安全更新。执行 \`${tool} makecache\` 可下载元数据。`,
        rpmAgeEvidence(pk),
      );
    return unknown(
      `The ${pk.repoCaches} cached repositories carry no security advisories (updateinfo); CentOS 7 and some mirrors publish none, so pending security updates cannot be known offline.`,
      `缓存的 ${pk.repoCaches} 个软件仓库都没有安全公告（updateinfo）；CentOS 7 和部分镜像源不发布安全公告，离线无法得知待安装的安全更新。`,
      rpmAgeEvidence(pk),
    );
  }
  const pending = pk.candidates.filter((c) => compareRpmVersions(c.candidate, c.installed) > 0);
  const ev: Evidence[] = pending.slice(0, 30).map((u) => {
    const ids = u.advisories?.length ? ` (${listSome(u.advisories, 4)})` : '';
    return fact('pending', `${u.name}.${u.arch} ${u.installed} → ${u.candidate}${ids}`);
  });
  ev.push(...rpmAgeEvidence(pk));
  if (pk.modularSkipped)
    ev.push(fact('module-stream advisory entries not checked', String(pk.modularSkipped)));
  if (pk.error) ev.push(fact('not read', pk.error));
  const files = pk.securityLists.length;
  if (pending.length === 0)
    return pass(
      `No installed package is older than the fixed versions the security advisories name (${files} updateinfo file(s) read).`,
      `所有已安装的包均不低于安全公告中的修复版本（读取了 ${files} 个 updateinfo 文件）。`,
      ev,
    );
  const names = [...new Set(pending.map((u) => u.name))];
  const ids = [...new Set(pending.flatMap((u) => u.advisories ?? []))].sort();
  return fail(
    `${names.length} package(s) have a pending security update: ${listSome(names)}${ids.length ? ` (advisories ${listSome(ids, 6)})` : ''}.`,
    `有 ${names.length} 个包存在待安装的安全更新：${listSome(names)}${ids.length ? `（安全公告 ${listSome(ids, 6)}）` : ''}。`,
    ev,
    RPM_FIX[tool],
  );
}

export const securityUpdates: AuditCheck = {
  id: 'security-updates',
  area: 'patches',
  level: 'high',
  title: t('No security update is pending', '没有待安装的安全更新'),
  description: t(
    "Compares every installed package (/var/lib/dpkg/status) with the versions in the security suites' package lists already on disk (/var/lib/apt/lists/*security*), using dpkg's version order, and fails when a list has a newer version. On rpm hosts (RHEL, Rocky, Alma, CentOS, Fedora, Amazon Linux) it compares the rpm database with the security advisories (updateinfo: RHSA-…, ALSA-…, FEDORA-…) in the repository metadata dnf or yum cached (/var/cache/dnf, /var/cache/libdnf5, /var/cache/yum), using rpm's version order; without a cache it cannot tell. No network and no apt, dnf or yum run. Miners get in through known holes in the OS, middleware and databases. How current the answer is depends on when the lists or metadata were last refreshed: see package-lists-fresh.",
    '用 dpkg 的版本比较规则，将每个已安装的包（/var/lib/dpkg/status）与本地已有的安全更新源软件包列表（/var/lib/apt/lists/*security*）中的版本比较，列表中有更新的版本即判为不通过。在 rpm 系主机（RHEL、Rocky、Alma、CentOS、Fedora、Amazon Linux）上，用 rpm 的版本比较规则，将 rpm 数据库与 dnf 或 yum 缓存的软件仓库元数据（/var/cache/dnf、/var/cache/libdnf5、/var/cache/yum）中的安全公告（updateinfo：RHSA-…、ALSA-…、FEDORA-… 等）比较；没有缓存时无法判断。不联网，也不运行 apt、dnf 或 yum。挖矿木马经由操作系统、中间件和数据库的已知漏洞入侵。结果的时效取决于软件包列表或元数据上次刷新的时间，见 package-lists-fresh。',
  ),
  fix: {
    command: 'apt-get update && apt-get -y upgrade && apt-get install -y unattended-upgrades',
    text: t(
      'Installs the pending updates and unattended-upgrades, which applies security updates daily from then on. Restart the services (or reboot) the updates touch.',
      '安装待更新的包，并安装 unattended-upgrades 以便今后每天自动安装安全更新。更新涉及的服务需要重启（或重启主机）。',
    ),
  },
  tags: ['attack.t1190'],
  needs: ['packages'],
  run(snapshot) {
    const pk = snapshot.audit!.packages!;
    if (pk.manager === 'none')
      return unknown(
        'No dpkg or rpm database on this system; other package managers are not checked yet.',
        '本系统没有 dpkg 或 rpm 数据库；暂不检查其他包管理器。',
      );
    if (RPM_MANAGERS.has(pk.manager)) return rpmSecurityUpdates(pk);
    if (pk.securityLists.length === 0) {
      return unknown(
        pk.error
          ? `No security package list could be read: ${pk.error}`
          : 'No security package list on disk (no security suite in sources.list, or `apt-get update` never ran).',
        pk.error
          ? `无法读取安全更新源列表：${pk.error}`
          : '本地没有安全更新源的软件包列表（sources.list 中没有安全源，或从未执行 `apt-get update`）。',
      );
    }
    const pending = pk.candidates.filter((c) => compareDebVersions(c.candidate, c.installed) > 0);
    const ev: Evidence[] = pending
      .slice(0, 30)
      .map((u) => fact('pending', `${u.name} ${u.installed} → ${u.candidate}`));
    if (pk.listsUpdatedAt) ev.push(fact('package lists updated', pk.listsUpdatedAt));
    if (pending.length === 0) {
      return pass(
        `Every installed package is at least at the security suites' version (${pk.securityLists.length} list(s) read).`,
        `所有已安装的包均不低于安全更新源中的版本（读取了 ${pk.securityLists.length} 个列表）。`,
        ev,
      );
    }
    const names = [...new Set(pending.map((u) => u.name))];
    return fail(
      `${names.length} package(s) have a pending security update: ${listSome(names)}.`,
      `有 ${names.length} 个包存在待安装的安全更新：${listSome(names)}。`,
      ev,
    );
  },
};

export const packageListsFresh: AuditCheck = {
  id: 'package-lists-fresh',
  area: 'patches',
  level: 'low',
  title: t('Package lists were refreshed in the last week', '软件包列表在一周内更新过'),
  description: t(
    `Fails when apt's package lists (/var/lib/apt/lists) are older than ${LISTS_MAX_AGE_DAYS} days at collection time: pending security updates cannot be seen in stale lists. On rpm hosts the newer of the repository metadata cache (dnf/yum) and the last successful dnf/yum transaction (history database) counts; with neither, a newest install time in the rpm database older than that still fails it.`,
    `采集时 apt 软件包列表（/var/lib/apt/lists）超过 ${LISTS_MAX_AGE_DAYS} 天未更新即判为不通过：过期的列表看不到待安装的安全更新。在 rpm 系主机上，以软件仓库元数据缓存（dnf/yum）与上次成功的 dnf/yum 事务（历史数据库）中较新的一个为准；两者都没有时，若 rpm 数据库中最近的安装时间也早于此期限，同样判为不通过。`,
  ),
  fix: {
    command: 'apt-get update',
    text: t(
      'Refreshes the lists; unattended-upgrades does it daily.',
      '刷新软件包列表；unattended-upgrades 会每天自动执行。',
    ),
  },
  tags: [],
  needs: ['packages'],
  run(snapshot) {
    const pk = snapshot.audit!.packages!;
    if (pk.manager === 'none')
      return unknown('No apt/dpkg or rpm on this system.', '本系统没有 apt/dpkg 或 rpm。');
    if (RPM_MANAGERS.has(pk.manager)) return rpmListsFresh(pk, snapshot.collectedAt);
    if (!pk.listsUpdatedAt)
      return fail(
        'No package lists: `apt-get update` has never run.',
        '没有软件包列表：从未执行过 `apt-get update`。',
      );
    const age = daysBetween(pk.listsUpdatedAt, snapshot.collectedAt);
    const ev = [fact('package lists updated', pk.listsUpdatedAt)];
    if (age > LISTS_MAX_AGE_DAYS)
      return fail(
        `Package lists are ${Math.floor(age)} days old.`,
        `软件包列表已有 ${Math.floor(age)} 天未更新。`,
        ev,
      );
    return pass(
      `Package lists are ${Math.max(0, Math.floor(age))} day(s) old.`,
      `软件包列表 ${Math.max(0, Math.floor(age))} 天前更新。`,
      ev,
    );
  },
};

/**
 * package-lists-fresh on an rpm host: dnf refreshes expired metadata on every run, so the newer of
 * the cache and the last successful transaction says how stale "no pending update" may be.
 */
function rpmListsFresh(pk: PackageFacts, collectedAt: string): CheckOutcome {
  const ev = rpmAgeEvidence(pk);
  if (pk.manager === 'rpm')
    return unknown(
      'An rpm database that neither dnf nor yum manages: no repository metadata to date.',
      '本系统的 rpm 数据库不由 dnf 或 yum 管理：没有可判断时间的软件仓库元数据。',
      ev,
    );
  const tool = pk.manager === 'yum' ? 'yum' : 'dnf';
  const fix = `${tool} makecache`;
  const cache = pk.listsUpdatedAt;
  const trans = pk.history?.lastTransactionAt;
  const days = (at: string) => Math.floor(daysBetween(at, collectedAt));
  if (!cache && !trans) {
    const installed = pk.newestInstallAt;
    if (installed && days(installed) > LISTS_MAX_AGE_DAYS)
      return fail(
        `No repository metadata cache and no ${tool} history, and the newest package was installed ${days(installed)} days ago.`,
        `没有软件仓库元数据缓存，也没有 ${tool} 历史记录，最近一次安装软件包是在 ${days(installed)} 天前。`,
        ev,
        fix,
      );
    return unknown(
      `No repository metadata cache and no ${tool} history on disk: when the metadata was last refreshed cannot be told.`,
      `磁盘上没有软件仓库元数据缓存，也没有 ${tool} 历史记录：无法判断元数据上次刷新的时间。`,
      ev,
    );
  }
  const byCache = cache !== undefined && (!trans || cache >= trans);
  const age = days(byCache ? cache! : trans!);
  const shown = Math.max(0, age);
  if (age > LISTS_MAX_AGE_DAYS)
    return byCache
      ? fail(`Repository metadata is ${age} days old.`, `软件仓库元数据已有 ${age} 天未更新。`, ev, fix)
      : fail(
          `The last successful ${tool} transaction was ${age} days ago, and no newer repository metadata is cached.`,
          `上次成功的 ${tool} 事务是在 ${age} 天前，且没有更新的软件仓库元数据缓存。`,
          ev,
          fix,
        );
  return byCache
    ? pass(`Repository metadata is ${shown} day(s) old.`, `软件仓库元数据 ${shown} 天前更新。`, ev)
    : pass(
        `The last successful ${tool} transaction was ${shown} day(s) ago.`,
        `上次成功的 ${tool} 事务是在 ${shown} 天前。`,
        ev,
      );
}

export const kernelCurrent: AuditCheck = {
  id: 'kernel-current',
  area: 'patches',
  level: 'medium',
  title: t('The newest installed kernel is running', '正在运行已安装的最新内核'),
  description: t(
    'Compares the running kernel (uname -r) with the kernels installed in /lib/modules and /boot. A newer installed kernel means a security fix waits for a reboot.',
    '比较正在运行的内核（uname -r）与 /lib/modules 和 /boot 中已安装的内核。已安装了更新的内核，说明有安全修复在等待重启生效。',
  ),
  fix: {
    command: 'systemctl reboot',
    text: t('Reboot into the newest kernel at a convenient time.', '在合适的时间重启以加载最新内核。'),
  },
  tags: [],
  needs: ['kernel'],
  run(snapshot) {
    const k = snapshot.audit!.kernel!;
    if (!k.running) return unknown('The running kernel version is not known.', '未知当前运行的内核版本。');
    if (k.installed.length === 0) {
      return unknown(
        `Kernel ${k.running} runs, but no kernel is installed on this file system (a container, or a kernel managed outside the OS).`,
        `运行的内核为 ${k.running}，但本文件系统中没有安装内核（容器，或由系统外部管理内核）。`,
        [fact('running', k.running)],
      );
    }
    const newest = [...k.installed].sort(compareVersions).at(-1)!;
    const ev = [fact('running', k.running), fact('newest installed', newest)];
    if (compareVersions(newest, k.running) > 0)
      return fail(
        `Kernel ${k.running} runs but ${newest} is installed: reboot to apply it.`,
        `正在运行 ${k.running}，但已安装 ${newest}：需重启生效。`,
        ev,
      );
    return pass(
      `The newest installed kernel (${k.running}) is running.`,
      `正在运行已安装的最新内核（${k.running}）。`,
      ev,
    );
  },
};

export const antivirusPresent: AuditCheck = {
  id: 'antivirus-present',
  area: 'antivirus',
  level: 'medium',
  title: t('An anti-virus or EDR agent runs', '有杀毒软件或 EDR 代理在运行'),
  description: t(
    'Passes when ClamAV is installed or a known anti-virus, EDR or cloud security agent (Alibaba aegis, Tencent YunJing, Huawei HSS, CrowdStrike, Defender, SentinelOne, Wazuh…) is installed and its process runs.',
    '安装了 ClamAV，或已安装并正在运行已知的杀毒、EDR 或云安全代理（阿里云安骑士 aegis、腾讯云主机安全 YunJing、华为云 HSS、CrowdStrike、Defender、SentinelOne、Wazuh 等）时通过。',
  ),
  fix: {
    command: 'apt-get install -y clamav clamav-freshclam && systemctl enable --now clamav-freshclam',
    text: t(
      "Installs ClamAV with automatic signature updates; schedule `clamscan -ri /` or use your cloud provider's agent instead.",
      '安装 ClamAV 并启用自动更新病毒库；可定期执行 `clamscan -ri /`，或改用云厂商提供的安全代理。',
    ),
  },
  tags: [],
  needs: ['agents', 'processes'],
  run(snapshot) {
    const facts = snapshot.audit!.agents!;
    const procs = snapshot.processes ?? [];
    const running = AGENTS.filter((a) => {
      const trace = facts.agents.find((f) => f.agent === a.id);
      const installed = (trace?.present.length ?? 0) > 0;
      return installed && (a.id === 'clamav' || procs.some((p) => a.processes.test(p.comm)));
    });
    if (running.length > 0)
      return pass(
        `Found: ${running.map((a) => a.name).join(', ')}.`,
        `已发现：${running.map((a) => a.name).join('、')}。`,
        running.map((a) => fact('agent', a.name)),
      );
    return fail(
      'No anti-virus, EDR or cloud security agent is installed and running.',
      '没有已安装并运行的杀毒、EDR 或云安全代理。',
    );
  },
};

export const antivirusSignaturesFresh: AuditCheck = {
  id: 'antivirus-signatures-fresh',
  area: 'antivirus',
  level: 'medium',
  title: t('ClamAV signatures are current', 'ClamAV 病毒库是最新的'),
  description: t(
    `When ClamAV is installed, reads the build time from the header of each signature database (/var/lib/clamav/*.cvd, *.cld) and fails when the newest is older than ${SIGNATURES_MAX_AGE_DAYS} days or none exists. Without ClamAV there is nothing to check (see antivirus-present).`,
    `安装了 ClamAV 时，读取各病毒库文件（/var/lib/clamav/*.cvd、*.cld）头部的构建时间，最新的超过 ${SIGNATURES_MAX_AGE_DAYS} 天或没有病毒库即判为不通过。未安装 ClamAV 时无需检查（见 antivirus-present）。`,
  ),
  fix: {
    command: 'systemctl stop clamav-freshclam; freshclam && systemctl start clamav-freshclam',
    text: t(
      'Downloads current signatures and keeps freshclam updating them.',
      '下载最新病毒库，并保持 freshclam 自动更新。',
    ),
  },
  tags: [],
  needs: ['agents'],
  run(snapshot) {
    const clam = snapshot.audit!.agents!.clamav;
    if (!clam.installed)
      return absent('ClamAV is not installed; nothing to update.', '未安装 ClamAV，无需更新病毒库。');
    const dated = clam.databases.filter((d) => d.builtAt);
    const ev = clam.databases.map((d) =>
      fact('database', `${d.file}${d.builtAt ? ` built ${d.builtAt}` : ''}`),
    );
    if (dated.length === 0)
      return fail('ClamAV is installed but has no signature database.', '已安装 ClamAV，但没有病毒库。', ev);
    const newest = dated
      .map((d) => d.builtAt!)
      .sort()
      .at(-1)!;
    const age = daysBetween(newest, snapshot.collectedAt);
    if (age > SIGNATURES_MAX_AGE_DAYS)
      return fail(
        `The newest ClamAV signatures are ${Math.floor(age)} days old.`,
        `最新的 ClamAV 病毒库已有 ${Math.floor(age)} 天。`,
        ev,
      );
    return pass(
      `ClamAV signatures are ${Math.max(0, Math.floor(age))} day(s) old.`,
      `ClamAV 病毒库 ${Math.max(0, Math.floor(age))} 天前更新。`,
      ev,
    );
  },
};

export const securityAgentTampered: AuditCheck = {
  id: 'security-agent-tampered',
  area: 'antivirus',
  level: 'high',
  title: t('Cloud security agents are neither stopped nor removed', '云安全代理未被停止或卸载'),
  description: t(
    'Mining scripts stop and uninstall the agents of Alibaba Cloud (aegis, CloudMonitor), Tencent Cloud (YunJing, barad), Baidu (BCM, HostEye) and Huawei (HostGuard) before they start mining. Fails when an agent is installed but none of its processes runs (stopped) or when its service files remain but its install directory is gone (removed).',
    '挖矿脚本在开始挖矿前会停止并卸载阿里云（安骑士 aegis、云监控）、腾讯云（云镜 YunJing、barad）、百度云（BCM、HostEye）和华为云（HostGuard）的代理。已安装但没有任何进程在运行（被停止），或服务文件还在但安装目录已消失（被卸载）时判为不通过。',
  ),
  fix: {
    command:
      'minehunter scan  # find what stopped it first, then reinstall the agent from your cloud console',
    text: t(
      'A deliberately stopped agent means the host is likely compromised: run a scan and clean up first, then reinstall the agent with the command your cloud console gives (e.g. Alibaba: Security Center → Install Agent).',
      '代理被人为停止通常意味着主机已被入侵：请先扫描并清理，再按云控制台给出的命令重新安装代理（如阿里云：云安全中心 → 安装客户端）。',
    ),
  },
  tags: ['attack.t1562.001'],
  needs: ['agents', 'processes'],
  run(snapshot) {
    const facts = snapshot.audit!.agents!;
    const procs = snapshot.processes ?? [];
    const problems: Evidence[] = [];
    const seen: string[] = [];
    for (const a of AGENTS.filter((x) => x.cloud)) {
      const f = facts.agents.find((x) => x.agent === a.id);
      if (!f) continue;
      const running = procs.some((p) => a.processes.test(p.comm));
      if (f.present.length > 0 && !running)
        problems.push(fact('stopped', `${a.name}: ${f.present.join(', ')} present, no process running`));
      else if (f.present.length === 0 && f.traces.length > 0)
        problems.push(fact('removed', `${a.name}: ${f.traces.join(', ')} left, install directory gone`));
      else if (f.present.length > 0) seen.push(a.name);
    }
    if (problems.length > 0)
      return fail(
        `${problems.length} cloud security agent(s) stopped or removed.`,
        `${problems.length} 个云安全代理被停止或卸载。`,
        problems,
      );
    return pass(
      seen.length
        ? `Running: ${seen.join(', ')}.`
        : 'No cloud security agent is installed, and none left traces of removal.',
      seen.length ? `正在运行：${seen.join('、')}。` : '未安装云安全代理，也没有被卸载的痕迹。',
    );
  },
};

export const hygieneChecks: AuditCheck[] = [
  securityUpdates,
  packageListsFresh,
  kernelCurrent,
  antivirusPresent,
  antivirusSignaturesFresh,
  securityAgentTampered,
];
