// Windows audit checks of source §3.1 (issue 22): firewall profiles on, SMB/RPC/NetBIOS ports
// (TCP/UDP 135, 137–139, 445) blocked inbound and outbound by a rule and not opened by another, the Browser and
// Server services disabled, SMBv1 off, no administrative shares, shares reviewed. WannaMine and the
// source's campaigns spread through exactly these ports and services (EternalBlue over SMBv1).
import type { Evidence } from '../../model/finding.js';
import type { WindowsFirewallRule } from '../../snapshot/audit-windows.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { AuditCheck, CheckOutcome } from '../types.js';
import { fact, fail, listSome, pass, t } from '../util.js';
import {
  commentSafe,
  disableServiceStep,
  dwordStep,
  fixCommandOf,
  notRead,
  psQuote,
  regFact,
  windowsFacts,
  type FixStep,
  type FixSteps,
} from './windows-util.js';

/** The ports §3.1 asks to block, on both TCP (6) and UDP (17). */
export const SMB_PORTS = [135, 137, 138, 139, 445];
export const SMB_PORTS_TEXT = '135,137-139,445';
const PROTOCOLS = [
  { n: 6, name: 'TCP' },
  { n: 17, name: 'UDP' },
] as const;
export const BLOCK_RULE_NAME = (proto: string, dir: 'in' | 'out' = 'in') =>
  `minehunter: block SMB/RPC ${dir === 'in' ? 'inbound' : 'outbound'} ${proto}`;

// ---- firewall profiles ----

const profilesSteps: FixSteps = () => [
  {
    key: 'firewall-profiles',
    what: t(
      'Turn Windows Firewall on for the Domain, Private and Public profiles',
      '为域、专用和公用配置文件启用 Windows 防火墙',
    ),
    guard: `@(Get-NetFirewallProfile | Where-Object { -not $_.Enabled }).Count -gt 0`,
    body: 'Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True',
  },
];

export const windowsFirewallProfiles: AuditCheck = {
  id: 'windows-firewall-profiles',
  area: 'firewall',
  level: 'high',
  title: t('Windows Firewall is on for every profile', 'Windows 防火墙在所有配置文件中均已启用'),
  description: t(
    'Reads EnableFirewall of the Domain, Private (StandardProfile) and Public profiles under SharedAccess\\Parameters\\FirewallPolicy (a group-policy value wins). Fails when a profile is off: no rule, not even a block rule for SMB, applies while it is off.',
    '读取 SharedAccess\\Parameters\\FirewallPolicy 下域、专用（StandardProfile）和公用配置文件的 EnableFirewall（组策略设置优先）。任一配置文件关闭即判为不通过：关闭期间任何规则（包括 SMB 阻止规则）都不生效。',
  ),
  fix: {
    command: 'Set-NetFirewallProfile -Profile Domain,Private,Public -Enabled True',
    text: t(
      'Turns the firewall on for all three profiles (PowerShell as Administrator). If group policy turns it off, change the policy too.',
      '为三个配置文件启用防火墙（以管理员身份运行 PowerShell）。若由组策略关闭，还需修改该策略。',
    ),
  },
  tags: ['windows', 'firewall', 'source-3.1'],
  needs: ['windows'],
  run(s) {
    const fw = windowsFacts(s).firewall;
    if (!fw) return notRead('The firewall policy', '防火墙策略');
    const ev = fw.profiles.map((p) =>
      regFact(p.key, 'EnableFirewall', p.enabled === undefined ? undefined : p.enabled ? 1 : 0),
    );
    // An unset EnableFirewall means on (Windows' default).
    const off = fw.profiles.filter((p) => p.enabled === false).map((p) => p.profile);
    if (off.length)
      return fail(
        `Windows Firewall is off for: ${off.join(', ')}.`,
        `以下配置文件的 Windows 防火墙已关闭：${off.join(', ')}。`,
        ev,
        fixCommandOf(profilesSteps(s)),
      );
    return pass('Windows Firewall is on for every profile.', '所有配置文件均已启用 Windows 防火墙。', ev);
  },
};

// ---- SMB/RPC ports ----

type Direction = 'in' | 'out';

/** The ports a rule matches on: local ports inbound (this host's services), remote ports outbound. */
function portsOf(rule: WindowsFirewallRule, dir: Direction): string[] {
  return dir === 'in' ? rule.localPorts : rule.remotePorts;
}

/** Whether a rule's ports include `port` (empty or `Any` is every port; RPC-EPMap is 135). */
export function coversPort(rule: WindowsFirewallRule, port: number, dir: Direction = 'in'): boolean {
  const ports = portsOf(rule, dir);
  if (ports.length === 0) return true;
  return ports.some((p) => {
    const v = p.trim().toLowerCase();
    if (v === 'any' || v === '*') return true;
    if (v === 'rpc-epmap') return port === 135;
    const m = /^(\d+)(?:-(\d+))?$/.exec(v);
    if (!m) return false;
    const lo = Number(m[1]);
    const hi = m[2] !== undefined ? Number(m[2]) : lo;
    return port >= lo && port <= hi;
  });
}

function matchesProtocol(rule: WindowsFirewallRule, proto: number): boolean {
  return rule.protocol === undefined || rule.protocol === 256 || rule.protocol === proto;
}

function ruleLabel(r: WindowsFirewallRule): string {
  return r.name && !r.name.startsWith('@') ? `${r.name} (${r.id})` : r.id;
}

/** Active allow rules that name one of the ports (an allow for "any port" is an app's rule, not one for SMB). */
function openingRules(rules: WindowsFirewallRule[], dir: Direction): WindowsFirewallRule[] {
  return rules.filter(
    (r) =>
      r.active &&
      r.direction === dir &&
      r.action === 'allow' &&
      portsOf(r, dir).length > 0 &&
      PROTOCOLS.some((p) => matchesProtocol(r, p.n)) &&
      SMB_PORTS.some((port) => coversPort(r, port, dir)) &&
      !portsOf(r, dir).some((p) => /^(any|\*)$/i.test(p.trim())),
  );
}

/** (protocol, port) pairs no active block rule of that direction covers. */
function unblocked(rules: WindowsFirewallRule[], dir: Direction): string[] {
  const blocks = rules.filter((r) => r.active && r.direction === dir && r.action === 'block');
  const out: string[] = [];
  for (const p of PROTOCOLS)
    for (const port of SMB_PORTS)
      if (!blocks.some((r) => matchesProtocol(r, p.n) && coversPort(r, port, dir)))
        out.push(`${p.name}/${port}`);
  return out;
}

const DIR_TEXT = {
  in: { en: 'inbound', zh: '入站', ps: 'Inbound', param: 'LocalPort' },
  out: { en: 'outbound', zh: '出站', ps: 'Outbound', param: 'RemotePort' },
} as const;

function portSteps(dir: Direction): FixSteps {
  return (s) => {
    const rules = windowsFacts(s).firewall?.rules ?? [];
    const steps: FixStep[] = [];
    const missing = unblocked(rules, dir);
    const d = DIR_TEXT[dir];
    for (const p of PROTOCOLS) {
      if (!missing.some((m) => m.startsWith(`${p.name}/`))) continue;
      const name = psQuote(BLOCK_RULE_NAME(p.name, dir));
      steps.push({
        key: `block-smb-${dir}-${p.name}`,
        what: t(
          `Block ${d.en} ${p.name} ${SMB_PORTS_TEXT} (RPC, NetBIOS, SMB)`,
          `阻止${d.zh} ${p.name} ${SMB_PORTS_TEXT}（RPC、NetBIOS、SMB）`,
        ),
        guard: `-not (Get-NetFirewallRule -DisplayName ${name} -ErrorAction SilentlyContinue)`,
        body: `New-NetFirewallRule -DisplayName ${name} -Direction ${d.ps} -Protocol ${p.name} -${d.param} ${SMB_PORTS_TEXT} -Action Block -Profile Any | Out-Null`,
      });
    }
    for (const r of openingRules(rules, dir)) {
      const id = psQuote(r.id);
      steps.push({
        key: `disable-rule:${r.id}`,
        what: t(
          `Disable the ${d.en} allow rule ${commentSafe(ruleLabel(r))} that opens the same ports`,
          `禁用放行相同端口的${d.zh}规则 ${commentSafe(ruleLabel(r))}`,
        ),
        guard: `(Get-NetFirewallRule -Name ${id} -ErrorAction SilentlyContinue).Enabled -eq 'True'`,
        body: `Disable-NetFirewallRule -Name ${id}`,
      });
    }
    return steps;
  };
}

const smbPortsSteps = portSteps('in');
const smbOutboundSteps = portSteps('out');

/** The outcome of a port check in one direction. */
function runPorts(s: Snapshot, dir: Direction): CheckOutcome {
  const fw = windowsFacts(s).firewall;
  if (!fw) return notRead('The firewall rules', '防火墙规则');
  const d = DIR_TEXT[dir];
  const missing = unblocked(fw.rules, dir);
  const opening = openingRules(fw.rules, dir);
  const rulesKey = `${fw.key}\\FirewallRules`;
  const ev: Evidence[] = [
    ...opening.map((r) => regFact(rulesKey, r.id, r.raw)),
    ...fw.rules
      .filter(
        (r) =>
          r.active &&
          r.direction === dir &&
          r.action === 'block' &&
          SMB_PORTS.some((p) => coversPort(r, p, dir)),
      )
      .slice(0, 4)
      .map((r) => regFact(rulesKey, r.id, r.raw)),
  ];
  // No rule to show: the rule list itself is the evidence of what is missing.
  if (ev.length === 0)
    ev.push(fact(rulesKey, `${fw.rules.length} rule(s) read, none ${d.en} for TCP/UDP ${SMB_PORTS_TEXT}`));
  const fix = fixCommandOf((dir === 'in' ? smbPortsSteps : smbOutboundSteps)(s));
  if (opening.length)
    return fail(
      `${d.en[0]!.toUpperCase()}${d.en.slice(1)} allow rule(s) open SMB/RPC ports: ${listSome(opening.map(ruleLabel), 4)}${missing.length ? `; not blocked: ${listSome(missing)}` : ''}.`,
      `${d.zh}放行规则开放了 SMB/RPC 端口：${listSome(opening.map(ruleLabel), 4)}${missing.length ? `；未被阻止：${listSome(missing)}` : ''}。`,
      ev,
      fix,
    );
  if (missing.length)
    return fail(
      `No active ${d.en} block rule covers ${listSome(missing, 10)} (${fw.rules.length} rules read).`,
      `没有启用的${d.zh}阻止规则覆盖 ${listSome(missing, 10)}（共读取 ${fw.rules.length} 条规则）。`,
      ev,
      fix,
    );
  return pass(
    `${d.en[0]!.toUpperCase()}${d.en.slice(1)} TCP and UDP ${SMB_PORTS_TEXT} are blocked and no allow rule opens them.`,
    `${d.zh} TCP 和 UDP ${SMB_PORTS_TEXT} 均被阻止，且没有放行规则开放这些端口。`,
    ev,
  );
}

export const windowsSmbPortsBlocked: AuditCheck = {
  id: 'windows-smb-ports-blocked',
  area: 'firewall',
  level: 'critical',
  title: t(
    'Inbound TCP/UDP 135, 137-139 and 445 are blocked by the firewall',
    '防火墙阻止入站 TCP/UDP 135、137-139 和 445 端口',
  ),
  description: t(
    `Parses the rules of FirewallPolicy\\FirewallRules (and the group-policy rules). Passes when active inbound block rules cover TCP and UDP ${SMB_PORTS_TEXT} and no active inbound allow rule names one of those ports. An allow rule fails the check even next to a block rule: a block wins in Windows Firewall only until the block rule is removed or an authenticated-bypass rule applies, and the allow rule shows the ports were meant to be open. Profile conditions of rules are not weighed (every rule counts for every profile).`,
    `解析 FirewallPolicy\\FirewallRules 中的规则（以及组策略规则）。当启用的入站阻止规则覆盖 TCP 和 UDP ${SMB_PORTS_TEXT}，且没有任何启用的入站放行规则指定这些端口时通过。即使同时存在阻止规则，放行规则也会导致不通过：阻止规则只在未被删除、且没有经身份验证绕过规则时才优先，而放行规则说明这些端口本意是开放的。不区分规则的配置文件条件（每条规则视为对所有配置文件生效）。`,
  ),
  fix: {
    command: `New-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC inbound TCP' -Direction Inbound -Protocol TCP -LocalPort ${SMB_PORTS_TEXT} -Action Block -Profile Any; New-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC inbound UDP' -Direction Inbound -Protocol UDP -LocalPort ${SMB_PORTS_TEXT} -Action Block -Profile Any`,
    text: t(
      'Adds the two block rules of source §3.1 (PowerShell as Administrator; netsh advfirewall firewall add rule … action=block does the same) and disables allow rules for these ports. Blocking 445 ends file and printer sharing to this host: on a file server, limit the rules with -RemoteAddress instead.',
      '添加来源 §3.1 中的两条阻止规则（以管理员身份运行 PowerShell；netsh advfirewall firewall add rule … action=block 效果相同），并禁用放行这些端口的规则。阻止 445 端口会中断到本机的文件和打印机共享：文件服务器上应改用 -RemoteAddress 限定范围。',
    ),
  },
  tags: ['windows', 'firewall', 'smb', 'source-3.1'],
  needs: ['windows'],
  run: (s) => runPorts(s, 'in'),
};

export const windowsSmbOutboundBlocked: AuditCheck = {
  id: 'windows-smb-outbound-blocked',
  area: 'firewall',
  level: 'medium',
  title: t(
    'Outbound TCP/UDP 135, 137-139 and 445 are blocked by the firewall',
    '防火墙阻止出站 TCP/UDP 135、137-139 和 445 端口',
  ),
  description: t(
    `Same rules, other direction (source §3.1 asks for both): passes when active outbound block rules cover remote TCP and UDP ${SMB_PORTS_TEXT} and no active outbound allow rule names one of those remote ports. Blocked outbound, a miner on this host cannot spread to its neighbours over SMB the way WannaMine does.`,
    `同样的规则，另一个方向（来源 §3.1 要求双向阻止）：当启用的出站阻止规则覆盖远程 TCP 和 UDP ${SMB_PORTS_TEXT}，且没有启用的出站放行规则指定这些远程端口时通过。阻止出站后，本机上的挖矿木马就无法像 WannaMine 那样通过 SMB 向邻近主机传播。`,
  ),
  fix: {
    command: `New-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC outbound TCP' -Direction Outbound -Protocol TCP -RemotePort ${SMB_PORTS_TEXT} -Action Block -Profile Any; New-NetFirewallRule -DisplayName 'minehunter: block SMB/RPC outbound UDP' -Direction Outbound -Protocol UDP -RemotePort ${SMB_PORTS_TEXT} -Action Block -Profile Any`,
    text: t(
      'Adds the two outbound block rules (PowerShell as Administrator). This host can then no longer open file shares or map drives: where it must, limit the rules with -RemoteAddress to everything but the file servers.',
      '添加两条出站阻止规则（以管理员身份运行 PowerShell）。此后本机将无法访问文件共享或映射网络驱动器：确有需要时，用 -RemoteAddress 把文件服务器排除在规则之外。',
    ),
  },
  tags: ['windows', 'firewall', 'smb', 'source-3.1'],
  needs: ['windows'],
  run: (s) => runPorts(s, 'out'),
};

// ---- services ----

const SHARING_SERVICES = ['Browser', 'LanmanServer'];

const servicesSteps: FixSteps = (s) =>
  (windowsFacts(s).services ?? [])
    .filter((x) => SHARING_SERVICES.includes(x.name) && x.present && x.start !== 'disabled')
    .map((x) =>
      disableServiceStep(x.name, t(`Stop and disable the ${x.name} service`, `停止并禁用 ${x.name} 服务`)),
    );

export const windowsSharingServices: AuditCheck = {
  id: 'windows-sharing-services-disabled',
  area: 'services',
  level: 'high',
  title: t(
    'The Computer Browser and Server (LanmanServer) services are disabled',
    'Computer Browser 和 Server（LanmanServer）服务已禁用',
  ),
  description: t(
    'Reads the Start value of Services\\Browser and Services\\LanmanServer in the current control set, as source §3.1 asks (sc config Browser start= disabled, sc config LanmanServer start= disabled). A service that is not installed passes. On a host that must share files, keep LanmanServer and rely on the firewall rule instead.',
    '按来源 §3.1 的要求（sc config Browser start= disabled、sc config LanmanServer start= disabled），读取当前控制集中 Services\\Browser 和 Services\\LanmanServer 的 Start 值。未安装的服务视为通过。需要共享文件的主机可保留 LanmanServer，改为依靠防火墙规则。',
  ),
  fix: {
    command:
      'sc.exe config Browser start= disabled; sc.exe stop Browser; sc.exe config LanmanServer start= disabled; sc.exe stop LanmanServer',
    text: t(
      'Disables and stops both services (as Administrator). Stopping LanmanServer ends every share of this host, the admin shares too.',
      '禁用并停止这两个服务（需管理员权限）。停止 LanmanServer 会关闭本机所有共享，包括管理共享。',
    ),
  },
  tags: ['windows', 'smb', 'source-3.1'],
  needs: ['windows'],
  run(s) {
    const services = windowsFacts(s).services;
    if (!services) return notRead('The services', '服务配置');
    const ours = services.filter((x) => SHARING_SERVICES.includes(x.name));
    const ev = ours.map((x) =>
      regFact(x.key, 'Start', x.present ? (x.startValue ?? 'not set') : '(no such service)'),
    );
    const on = ours.filter((x) => x.present && x.start !== 'disabled');
    if (on.length)
      return fail(
        `Not disabled: ${on.map((x) => `${x.name} (${x.start})`).join(', ')}.`,
        `未禁用：${on.map((x) => `${x.name}（${x.start}）`).join('、')}。`,
        ev,
        fixCommandOf(servicesSteps(s)),
      );
    return pass(
      'Browser and LanmanServer are disabled or not installed.',
      'Browser 和 LanmanServer 已禁用或未安装。',
      ev,
    );
  },
};

// ---- SMBv1 ----

function smb1State(s: Snapshot): { server: boolean; client: boolean; ev: Evidence[] } | undefined {
  const w = windowsFacts(s);
  if (!w.sharing || !w.services) return undefined;
  const srv = w.services.find((x) => x.name === 'srv');
  const mrx = w.services.find((x) => x.name === 'mrxsmb10');
  // SMB1 unset: the SMBv1 server is on when its driver (srv) is installed and not disabled.
  const server =
    w.sharing.smb1 !== undefined ? w.sharing.smb1 !== 0 : srv?.present === true && srv.start !== 'disabled';
  const client = mrx?.present === true && mrx.start !== 'disabled';
  const ev = [regFact(w.sharing.key, 'SMB1', w.sharing.smb1)];
  for (const x of [srv, mrx])
    if (x) ev.push(regFact(x.key, 'Start', x.present ? (x.startValue ?? 'not set') : '(no such service)'));
  return { server, client, ev };
}

const smb1Steps: FixSteps = (s) => {
  const st = smb1State(s);
  const steps: FixStep[] = [];
  if (st?.server)
    steps.push({
      key: 'smb1-server',
      what: t('Turn the SMBv1 server off', '关闭 SMBv1 服务器端'),
      guard: '(Get-SmbServerConfiguration).EnableSMB1Protocol',
      body: 'Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force',
    });
  if (st?.client)
    steps.push({
      key: 'smb1-feature',
      what: t(
        'Remove the SMBv1 feature (client and server; takes effect after a restart)',
        '移除 SMBv1 功能（客户端和服务器端，重启后生效）',
      ),
      guard: "(Get-WindowsOptionalFeature -Online -FeatureName SMB1Protocol).State -ne 'Disabled'",
      body: 'Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol -NoRestart | Out-Null',
    });
  return steps;
};

export const windowsSmb1Disabled: AuditCheck = {
  id: 'windows-smb1-disabled',
  area: 'services',
  level: 'high',
  title: t('SMBv1 is off (server and client)', 'SMBv1 已关闭（服务器端和客户端）'),
  description: t(
    'Reads LanmanServer\\Parameters\\SMB1 and the start types of the SMBv1 drivers srv (server) and mrxsmb10 (client). SMBv1 is what EternalBlue exploits; WannaMine and the miners of the source spread through it.',
    '读取 LanmanServer\\Parameters\\SMB1 以及 SMBv1 驱动 srv（服务器端）和 mrxsmb10（客户端）的启动类型。永恒之蓝利用的正是 SMBv1，WannaMine 和来源中的挖矿木马借此传播。',
  ),
  fix: {
    command:
      'Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force; Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol -NoRestart',
    text: t(
      'Turns the SMBv1 server off at once and removes the SMBv1 feature at the next restart (PowerShell as Administrator). Very old devices (XP, old NAS) can then no longer connect.',
      '立即关闭 SMBv1 服务器端，并在下次重启时移除 SMBv1 功能（以管理员身份运行 PowerShell）。此后很旧的设备（XP、旧 NAS）将无法连接。',
    ),
  },
  tags: ['windows', 'smb', 'source-3.1'],
  needs: ['windows'],
  run(s) {
    const st = smb1State(s);
    if (!st) return notRead('The SMB settings', 'SMB 设置');
    const on = [...(st.server ? ['server'] : []), ...(st.client ? ['client'] : [])];
    if (on.length)
      return fail(
        `SMBv1 is on: ${on.join(', ')}.`,
        `SMBv1 已开启：${on.join('、')}。`,
        st.ev,
        fixCommandOf(smb1Steps(s)),
      );
    return pass('SMBv1 is off.', 'SMBv1 已关闭。', st.ev);
  },
};

// ---- admin shares ----

const LANMAN_PARAMS = 'HKLM\\SYSTEM\\ControlSet001\\Services\\LanmanServer\\Parameters';

const adminSharesSteps: FixSteps = (s) => {
  const sh = windowsFacts(s).sharing;
  const key = sh?.key ?? LANMAN_PARAMS;
  const steps: FixStep[] = [];
  if (sh?.autoShareWks !== 0)
    steps.push(
      dwordStep(
        key,
        'AutoShareWks',
        0,
        t(
          'Stop creating the admin shares (C$, ADMIN$) on a workstation',
          '工作站不再自动创建管理共享（C$、ADMIN$）',
        ),
      ),
    );
  if (sh?.autoShareServer !== 0)
    steps.push(
      dwordStep(
        key,
        'AutoShareServer',
        0,
        t('Stop creating the admin shares on a server', '服务器不再自动创建管理共享'),
      ),
    );
  return steps;
};

export const windowsAdminShares: AuditCheck = {
  id: 'windows-admin-shares',
  area: 'services',
  level: 'medium',
  title: t('Administrative shares (C$, ADMIN$) are turned off', '管理共享（C$、ADMIN$）已关闭'),
  description: t(
    'Reads AutoShareWks and AutoShareServer under LanmanServer\\Parameters. Unset or 1, Windows creates C$, ADMIN$ and the like at every start: with one stolen administrator password a worm copies its miner there and starts it as a service (PsExec style).',
    '读取 LanmanServer\\Parameters 下的 AutoShareWks 和 AutoShareServer。未设置或为 1 时，Windows 每次启动都会创建 C$、ADMIN$ 等共享：蠕虫只要窃得一个管理员口令，就能把挖矿程序复制到这里并以服务方式启动（PsExec 手法）。',
  ),
  fix: {
    command:
      "New-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters' -Name AutoShareWks -PropertyType DWord -Value 0 -Force; New-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters' -Name AutoShareServer -PropertyType DWord -Value 0 -Force",
    text: t(
      'Takes effect when the Server service restarts (Restart-Service LanmanServer -Force). Some management tools (SCCM, remote backup) use ADMIN$; check before turning it off there.',
      '在 Server 服务重启后生效（Restart-Service LanmanServer -Force）。部分管理工具（SCCM、远程备份）依赖 ADMIN$，关闭前请确认。',
    ),
  },
  tags: ['windows', 'smb', 'source-3.1'],
  needs: ['windows'],
  run(s) {
    const sh = windowsFacts(s).sharing;
    if (!sh) return notRead('The Server service settings', 'Server 服务设置');
    const ev = [
      regFact(sh.key, 'AutoShareWks', sh.autoShareWks),
      regFact(sh.key, 'AutoShareServer', sh.autoShareServer),
    ];
    if (sh.autoShareWks === 0 && sh.autoShareServer === 0)
      return pass('Administrative shares are turned off.', '管理共享已关闭。', ev);
    return fail(
      'Windows creates the administrative shares (AutoShareWks/AutoShareServer not 0).',
      'Windows 会自动创建管理共享（AutoShareWks/AutoShareServer 不为 0）。',
      ev,
      fixCommandOf(adminSharesSteps(s)),
    );
  },
};

// ---- shares ----

const sharesSteps: FixSteps = (s) =>
  (windowsFacts(s).sharing?.shares ?? []).map((sh) => {
    const q = psQuote(sh.name);
    return {
      key: `share:${sh.name}`,
      what: t(
        `Remove the share ${commentSafe(sh.name)} (review first: only if nobody needs it)`,
        `删除共享 ${commentSafe(sh.name)}（请先确认：仅在无人需要时删除）`,
      ),
      guard: `Get-SmbShare -Name ${q} -ErrorAction SilentlyContinue`,
      body: `Remove-SmbShare -Name ${q} -Force`,
    };
  });

export const windowsShares: AuditCheck = {
  id: 'windows-shares',
  area: 'services',
  level: 'low',
  title: t('No folder is shared over SMB', '没有通过 SMB 共享的文件夹'),
  description: t(
    'Lists the shares defined in LanmanServer\\Shares (not the automatic admin shares) for review: every share is a place a worm with one password can write to.',
    '列出 LanmanServer\\Shares 中定义的共享（不含自动创建的管理共享）以供审查：每个共享都是蠕虫获得一个口令后就能写入的地方。',
  ),
  fix: {
    command: "Remove-SmbShare -Name 'NAME' -Force",
    text: t(
      'Remove shares nobody needs; keep the others with share and NTFS permissions limited to the accounts that use them.',
      '删除无人使用的共享；保留的共享应将共享权限和 NTFS 权限限制为实际使用的账户。',
    ),
  },
  tags: ['windows', 'smb', 'source-3.1'],
  needs: ['windows'],
  run(s) {
    const sh = windowsFacts(s).sharing;
    if (!sh) return notRead('The shares', '共享列表');
    const ev = sh.shares.map((x) => regFact(sh.sharesKey, x.name, x.path ? `Path=${x.path}` : undefined));
    if (sh.shares.length === 0) return pass('No folder is shared.', '没有共享的文件夹。', ev);
    const list = listSome(sh.shares.map((x) => (x.path ? `${x.name} (${x.path})` : x.name)));
    return fail(`Shared: ${list}.`, `已共享：${list}。`, ev, fixCommandOf(sharesSteps(s)));
  },
};

export const windowsNetworkChecks: AuditCheck[] = [
  windowsFirewallProfiles,
  windowsSmbPortsBlocked,
  windowsSmbOutboundBlocked,
  windowsSharingServices,
  windowsSmb1Disabled,
  windowsAdminShares,
  windowsShares,
];

export const windowsNetworkFixes: Record<string, FixSteps> = {
  'windows-firewall-profiles': profilesSteps,
  'windows-smb-ports-blocked': smbPortsSteps,
  'windows-smb-outbound-blocked': smbOutboundSteps,
  'windows-sharing-services-disabled': servicesSteps,
  'windows-smb1-disabled': smb1Steps,
  'windows-admin-shares': adminSharesSteps,
  'windows-shares': sharesSteps,
};
