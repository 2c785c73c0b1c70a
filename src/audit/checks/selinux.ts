// SELinux checks (issue 23): on the RHEL family SELinux confines the services miners break into
// (a Redis or web server cannot write cron files or ~/.ssh), which is why droppers run `setenforce 0`
// and rewrite /etc/selinux/config. Two checks, so the weight follows the damage: SELinux switched off
// (medium) and SELinux not enforcing (low). Both compare the configured mode with the running one and
// name both when they differ. Distributions that do not use SELinux are not applicable, with the reason.
import type { Evidence } from '../../model/finding.js';
import { SELINUX_MODES, type SelinuxFacts, type SelinuxMode } from '../../snapshot/audit.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { AuditCheck, CheckOutcome } from '../types.js';
import { absent, fact, fail, pass, t, unknown } from '../util.js';

/** os-release IDs whose distributions ship SELinux enforcing by default (derivatives name one in ID_LIKE). */
const SELINUX_FAMILY = new Set(['rhel', 'centos', 'fedora']);

type Distribution = NonNullable<Snapshot['host']['distribution']>;

function distroLabel(d: Distribution | undefined): string {
  if (!d) return 'an unknown distribution';
  const name = [d.id ?? d.name ?? 'unknown', d.version].filter(Boolean).join(' ');
  const like = d.idLike?.length ? `, like ${d.idLike.join(' ')}` : '';
  return `${name} (${d.packageManager ? `package manager ${d.packageManager}` : 'no package database'}${like})`;
}

function distroEvidence(d: Distribution | undefined): Evidence[] {
  if (!d) return [fact('distribution', 'unknown (no os-release)')];
  const ev = [fact('distribution', [d.id ?? d.name ?? '?', d.version].filter(Boolean).join(' '))];
  if (d.idLike?.length) ev.push(fact('ID_LIKE', d.idLike.join(' ')));
  ev.push(fact('package manager', d.packageManager ?? 'none found'));
  return ev;
}

/**
 * SELinux is this distribution's own access control: an RHEL-family ID or ID_LIKE, or an rpm
 * database on a system that names no family. SUSE is rpm-based but ships AppArmor, so its ID rules
 * it out.
 */
export function usesSelinux(d: Distribution | undefined): boolean {
  const names = [d?.id, ...(d?.idLike ?? [])].filter((n): n is string => n !== undefined);
  if (names.some((n) => SELINUX_FAMILY.has(n))) return true;
  if (names.some((n) => n.includes('suse'))) return false;
  return d?.packageManager === 'rpm' && names.length === 0;
}

/** The configured mode: a mode, `missing` (no config file) or `unrecognized` (a value libselinux ignores). */
function configured(f: SelinuxFacts): SelinuxMode | 'missing' | 'unrecognized' {
  if (!f.config) return 'missing';
  const mode = f.config.mode;
  return SELINUX_MODES.includes(mode as SelinuxMode) ? (mode as SelinuxMode) : 'unrecognized';
}

function stateEvidence(f: SelinuxFacts): Evidence[] {
  const ev: Evidence[] = [];
  if (f.config) {
    ev.push(fact('/etc/selinux/config SELINUX', f.config.mode ?? '(not set)'));
    if (f.config.type) ev.push(fact('/etc/selinux/config SELINUXTYPE', f.config.type));
  } else ev.push(fact('/etc/selinux/config', f.installed ? 'missing' : 'missing (no /etc/selinux)'));
  if (f.live) ev.push(fact('running mode', `${f.live} (/sys/fs/selinux)`));
  else if (f.liveNote) ev.push(fact('running mode', `unknown: ${f.liveNote}`));
  return ev;
}

/** "configured X, running Y" in both languages, with a sentence on why they differ when they do. */
function describeState(f: SelinuxFacts): { en: string; zh: string } {
  const cfg = configured(f);
  const cfgEn =
    cfg === 'missing'
      ? 'no /etc/selinux/config (no policy configured)'
      : cfg === 'unrecognized'
        ? `/etc/selinux/config sets SELINUX=${f.config?.mode ?? ''}, which is not a mode`
        : `configured ${cfg}${f.config?.type ? ` (${f.config.type})` : ''}`;
  const cfgZh =
    cfg === 'missing'
      ? '没有 /etc/selinux/config（未配置策略）'
      : cfg === 'unrecognized'
        ? `/etc/selinux/config 中 SELINUX=${f.config?.mode ?? ''} 不是有效模式`
        : `配置为 ${cfg}${f.config?.type ? `（${f.config.type}）` : ''}`;
  if (!f.live) return { en: cfgEn, zh: cfgZh };
  const differ = (SELINUX_MODES as readonly string[]).includes(cfg) && f.live !== cfg;
  return {
    en: `${cfgEn}, running ${f.live}${differ ? ': they differ, so the mode was changed since boot (`setenforce`) or the config was edited and not yet applied' : ''}`,
    zh: `${cfgZh}，当前运行为 ${f.live}${differ ? '：两者不一致，说明启动后模式被改过（`setenforce`），或配置已修改但尚未生效' : ''}`,
  };
}

/** Not applicable on a distribution that does not use SELinux and shows no trace of it. */
function notUsed(snapshot: Snapshot): CheckOutcome | undefined {
  const f = snapshot.audit!.selinux!;
  const d = snapshot.host.distribution;
  const traces = f.installed || f.config !== undefined || (f.live !== undefined && f.live !== 'disabled');
  if (usesSelinux(d) || traces) return undefined;
  const label = distroLabel(d);
  return absent(
    `${label} does not use SELinux by default (Debian, Ubuntu and SUSE ship AppArmor) and has no /etc/selinux: not applicable.`,
    `${label} 默认不使用 SELinux（Debian、Ubuntu、SUSE 使用 AppArmor），且没有 /etc/selinux：不适用。`,
    [...distroEvidence(d), ...stateEvidence(f)],
  );
}

const RHEL_NOTE = t(
  'SELinux confines the services miners break into: an exploited Redis, web or database server cannot write cron files, ~/.ssh or /tmp binaries it has no business writing. Droppers turn it off first (`setenforce 0`, `sed -i s/SELINUX=enforcing/SELINUX=disabled/ /etc/selinux/config`). Applies on the RHEL family (RHEL, CentOS, Rocky, Alma, Fedora, Oracle, Amazon Linux: os-release ID or ID_LIKE, or an rpm database without a named family) and wherever /etc/selinux exists; elsewhere not applicable. Offline roots are judged by the config alone.',
  'SELinux 会约束挖矿团伙入侵的服务：被利用的 Redis、Web 或数据库服务无法写入 cron 文件、~/.ssh 或 /tmp 下的程序。挖矿脚本通常先关闭它（`setenforce 0`、`sed -i s/SELINUX=enforcing/SELINUX=disabled/ /etc/selinux/config`）。适用于 RHEL 系（RHEL、CentOS、Rocky、Alma、Fedora、Oracle、Amazon Linux：按 os-release 的 ID 或 ID_LIKE，或没有标明系别但有 rpm 数据库）以及存在 /etc/selinux 的系统；其他系统不适用。离线目录只依据配置文件判断。',
);

const ENABLE =
  "grubby --update-kernel ALL --remove-args selinux; sed -i 's/^SELINUX=.*/SELINUX=permissive/' /etc/selinux/config && fixfiles -F onboot  # then reboot";

export const selinuxEnabled: AuditCheck = {
  id: 'selinux-enabled',
  area: 'antivirus',
  level: 'medium',
  title: t('SELinux is not switched off', 'SELinux 未被关闭'),
  description: t(
    `Fails when /etc/selinux/config sets SELINUX=disabled or is missing, or when the running kernel has no SELinux policy loaded (no /sys/fs/selinux, or processes in the \`kernel\` context). ${RHEL_NOTE.en}`,
    `/etc/selinux/config 设置 SELINUX=disabled 或该文件不存在，或正在运行的内核未加载 SELinux 策略（没有 /sys/fs/selinux，或进程处于 \`kernel\` 上下文）时判为不通过。${RHEL_NOTE['zh-CN']}`,
  ),
  fix: {
    command: ENABLE,
    text: t(
      'Turns SELinux back on in permissive mode and relabels the file system at the next boot (a system that ran without SELinux has unlabelled files). Reboot, check `ausearch -m avc -ts boot` for denials, then set enforcing (see selinux-enforcing). A mode you did not set yourself is a sign of a dropper: run `minehunter scan`.',
      '以 permissive 模式重新启用 SELinux，并在下次启动时重新标记文件系统（关闭 SELinux 期间创建的文件没有标签）。重启后用 `ausearch -m avc -ts boot` 检查拒绝记录，再设为 enforcing（见 selinux-enforcing）。如果模式不是你自己改的，说明可能有挖矿脚本：请运行 `minehunter scan`。',
    ),
  },
  tags: ['attack.t1562.001'],
  needs: ['selinux'],
  run(snapshot) {
    const skip = notUsed(snapshot);
    if (skip) return skip;
    const f = snapshot.audit!.selinux!;
    const cfg = configured(f);
    const state = describeState(f);
    const ev = [...stateEvidence(f), ...distroEvidence(snapshot.host.distribution)];
    if (cfg === 'disabled' || cfg === 'missing' || f.live === 'disabled')
      return fail(
        `SELinux is off: ${state.en}.`,
        `SELinux 已关闭：${state.zh}。`,
        ev,
        // Without a config there is no policy to turn on: the package brings both.
        cfg === 'missing' ? `dnf install -y selinux-policy-targeted && ${ENABLE}` : undefined,
      );
    if (cfg === 'unrecognized' && !f.live)
      return unknown(`Cannot tell: ${state.en}.`, `无法判定：${state.zh}。`, ev);
    return pass(`SELinux is on: ${state.en}.`, `SELinux 已启用：${state.zh}。`, ev);
  },
};

/** The commands that make exactly this host enforce: the running mode, the configured one, or both. */
function enforceCommand(f: SelinuxFacts, live: boolean): string | undefined {
  const parts: string[] = [];
  if (live && f.live === 'permissive') parts.push('setenforce 1');
  if (f.config && f.config.mode !== 'enforcing')
    parts.push("sed -i 's/^SELINUX=.*/SELINUX=enforcing/' /etc/selinux/config");
  return parts.length ? parts.join(' && ') : undefined;
}

export const selinuxEnforcing: AuditCheck = {
  id: 'selinux-enforcing',
  area: 'antivirus',
  level: 'low',
  title: t('SELinux enforces its policy', 'SELinux 处于强制（enforcing）模式'),
  description: t(
    `Fails unless both the configured mode (SELINUX= in /etc/selinux/config) and, on a running system, the current mode (/sys/fs/selinux/enforce) are enforcing: permissive only logs what it should block. A switched-off SELinux fails here too, and weighs more in selinux-enabled. ${RHEL_NOTE.en}`,
    `只有配置的模式（/etc/selinux/config 中的 SELINUX=）以及运行中系统的当前模式（/sys/fs/selinux/enforce）都是 enforcing 才通过：permissive 只记录本应阻止的操作。SELinux 被关闭时此项同样不通过，并在 selinux-enabled 中计更高权重。${RHEL_NOTE['zh-CN']}`,
  ),
  fix: {
    command: "setenforce 1 && sed -i 's/^SELINUX=.*/SELINUX=enforcing/' /etc/selinux/config",
    text: t(
      'Enforces now and after reboots. Check `ausearch -m avc -ts recent` first: what permissive mode logged is what enforcing will block, so fix labels (`restorecon -Rv PATH`) or booleans (`setsebool -P …`) a legitimate service needs.',
      '立即并在重启后保持强制模式。先用 `ausearch -m avc -ts recent` 查看记录：permissive 模式记下的就是 enforcing 将阻止的操作，请为正常服务修正标签（`restorecon -Rv 路径`）或布尔值（`setsebool -P …`）。',
    ),
  },
  tags: ['attack.t1562.001'],
  needs: ['selinux'],
  run(snapshot) {
    const skip = notUsed(snapshot);
    if (skip) return skip;
    const f = snapshot.audit!.selinux!;
    const cfg = configured(f);
    const state = describeState(f);
    const ev = [...stateEvidence(f), ...distroEvidence(snapshot.host.distribution)];
    // A missing config counts as not enforcing: the next boot loads no policy.
    const weak = [cfg, f.live].some((m) => m !== undefined && m !== 'unrecognized' && m !== 'enforcing');
    const off = cfg === 'disabled' || cfg === 'missing' || f.live === 'disabled';
    if (weak)
      return fail(
        `SELinux does not enforce: ${state.en}${off ? ' (turn it on first: selinux-enabled)' : ''}.`,
        `SELinux 未处于强制模式：${state.zh}${off ? '（请先启用：selinux-enabled）' : ''}。`,
        ev,
        enforceCommand(f, snapshot.target.live),
      );
    // What the next boot does with a value libselinux ignores is not for the audit to guess.
    if (cfg === 'unrecognized') return unknown(`Cannot tell: ${state.en}.`, `无法判定：${state.zh}。`, ev);
    return pass(`SELinux enforces: ${state.en}.`, `SELinux 处于强制模式：${state.zh}。`, ev);
  },
};

export const selinuxChecks: AuditCheck[] = [selinuxEnabled, selinuxEnforcing];
