// Firewall checks (source §3.1): a host firewall that filters inbound traffic, the SMB/NetBIOS/RPC
// ports 135, 137-139 and 445 blocked both ways, and nothing (Samba's smbd/nmbd) serving them.
import type { Evidence } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { AuditFacts } from '../../snapshot/audit.js';
import { buildModel, evaluateProbe, hasInboundFilter } from '../firewall/evaluate.js';
import type { FilterModel, Probe } from '../firewall/ir.js';
import type { AuditCheck } from '../types.js';
import { smbOpenings } from '../firewall/firewalld.js';
import { fact, fail, listSome, pass, reachableFromNetwork, socketEvidence, t, unknown } from '../util.js';

export const SMB_PORTS = [135, 137, 138, 139, 445] as const;

function frontends(fw: NonNullable<AuditFacts['firewall']>): Evidence[] {
  const ev: Evidence[] = [];
  if (fw.ufw?.installed) ev.push(fact('ufw', fw.ufw.enabled ? 'enabled' : 'installed, not enabled'));
  if (fw.firewalld?.installed) ev.push(fact('firewalld', 'installed'));
  return ev;
}

function modelOf(snapshot: Snapshot): { model: FilterModel; problems: string[] } | undefined {
  const fw = snapshot.audit?.firewall;
  return fw ? buildModel(fw) : undefined;
}

export const firewallActive: AuditCheck = {
  id: 'firewall-active',
  area: 'firewall',
  level: 'high',
  title: t('A host firewall filters inbound traffic', '主机防火墙对入站流量进行过滤'),
  description: t(
    'Reads the live packet-filter ruleset (`nft -j list ruleset`, `iptables-save`, `ip6tables-save`) and passes when at least one input chain can drop traffic (a drop policy or a drop/reject rule). ufw and firewalld write into these same rulesets, so they are judged by what is loaded, not by their configuration files.',
    '读取当前生效的包过滤规则（`nft -j list ruleset`、`iptables-save`、`ip6tables-save`），只要有一条入站链能丢弃流量（默认策略为 drop，或存在 drop/reject 规则）即通过。ufw 和 firewalld 也写入这些规则，因此以实际加载的规则为准，而不是看它们的配置文件。',
  ),
  fix: {
    command: 'apt-get install -y ufw && ufw allow OpenSSH && ufw default deny incoming && ufw --force enable',
    text: t(
      'Installs and enables ufw with inbound traffic denied by default; SSH is allowed first so the session is not cut off. Allow the other services this host must offer with `ufw allow PORT/tcp`.',
      '安装并启用 ufw，入站默认拒绝；先放行 SSH 以免断开当前会话。其他需要对外提供的服务用 `ufw allow 端口/tcp` 放行。',
    ),
  },
  tags: ['attack.t1190'],
  needs: ['firewall'],
  run(snapshot) {
    const fw = snapshot.audit!.firewall!;
    const built = modelOf(snapshot)!;
    const ev = [
      ...built.model.sources.map((s) => fact('ruleset', s)),
      ...frontends(fw),
      ...built.problems.map((p) => fact('problem', p)),
    ];
    if (built.model.sources.length === 0) {
      // An offline root reaches here only with firewalld's saved zones (issue 23): no ruleset is
      // loaded there, and whether firewalld starts at boot is not decided from files.
      if (!snapshot.target.live)
        return unknown(
          "An offline root has no loaded ruleset; only firewalld's saved zones were read (smb-ports-blocked judges them).",
          '离线目录没有已加载的防火墙规则；只读取了 firewalld 保存的区域配置（由 smb-ports-blocked 判定）。',
          ev,
        );
      return unknown(
        'No ruleset could be read (nft and iptables-save are missing or failed; run as root).',
        '无法读取任何防火墙规则（nft 和 iptables-save 缺失或执行失败；请以 root 运行）。',
        ev,
      );
    }
    if (!hasInboundFilter(built.model)) {
      const n = built.model.chains.length;
      return fail(
        `No firewall: ${n === 0 ? 'the ruleset is empty' : 'no input chain drops anything'}; every listening port is open to the network.`,
        `没有防火墙：${n === 0 ? '规则集为空' : '没有任何入站链会丢弃流量'}；所有监听端口都对网络开放。`,
        ev,
      );
    }
    const drops = built.model.chains.filter((c) => c.hook === 'input' && c.filter).map((c) => c.id);
    return pass(
      `Inbound filtering is active (${listSome(drops, 4)}).`,
      `入站过滤已生效（${listSome(drops, 4)}）。`,
      ev,
    );
  },
};

function describeProbe(p: Probe): string {
  return `${p.direction === 'in' ? 'in' : 'out'} ${p.proto}/${p.dport} ${p.family === 'ip' ? 'IPv4' : 'IPv6'}`;
}

/**
 * firewalld's saved zones (issue 23): SMB/RPC ports opened in the default or public zone fail with
 * the zone and the rule that opens them. With zones and no readable ruleset, closed zones pass on
 * inbound traffic (firewalld zones do not filter outbound).
 */
function firewalldVerdict(
  fw: NonNullable<AuditFacts['firewall']>,
): ReturnType<AuditCheck['run']> | undefined {
  const zones = fw.firewalld?.zones;
  if (!zones || zones.length === 0) return undefined;
  const wanted = new Set([fw.firewalld?.defaultZone ?? 'public', 'public']);
  const ev: Evidence[] = [];
  for (const z of zones.filter((z) => wanted.has(z.name)))
    for (const o of smbOpenings(z, SMB_PORTS))
      ev.push(fact(`firewalld zone ${z.name} (${z.file})`, `${o.port}: ${o.rule}`));
  const zoneNames = [...wanted].join(', ');
  if (ev.length > 0)
    return fail(
      `firewalld opens SMB/RPC ports in zone ${zoneNames}: ${listSome(
        ev.map((e) => ('value' in e ? String(e.value) : '')),
        3,
      )}.`,
      `firewalld 在区域 ${zoneNames} 中开放了 SMB/RPC 端口：${listSome(
        ev.map((e) => ('value' in e ? String(e.value) : '')),
        3,
      )}。`,
      ev,
    );
  return pass(
    `firewalld zone ${zoneNames} opens none of 135, 137-139, 445 inbound (outbound is not filtered by zones).`,
    `firewalld 区域 ${zoneNames} 未对入站开放 135、137-139、445（区域不过滤出站）。`,
    zones.map((z) => fact('firewalld zone', `${z.name} (${z.file})`)),
  );
}

export const smbPortsBlocked: AuditCheck = {
  id: 'smb-ports-blocked',
  area: 'firewall',
  level: 'high',
  title: t('Ports 135, 137-139 and 445 are blocked both ways', '135、137-139、445 端口双向封禁'),
  description: t(
    'Evaluates the loaded ruleset for a new TCP and UDP connection to each of 135, 137, 138, 139 and 445, inbound (input hook) and outbound (output hook), over IPv4 and (when enabled) IPv6, arriving on or leaving through a real interface. Passes only when every one is certainly dropped or rejected; a rule the audit cannot decide (an address or rate-limit match) counts as possibly letting it through. Worm-style miners (WannaMine and relatives) spread over SMB/RPC.',
    '针对 135、137、138、139、445 的每个端口，分别以 TCP 和 UDP 新建连接、入站（input 钩子）和出站（output 钩子）、IPv4 和（启用时）IPv6，从真实网卡进出，逐条推演已加载的规则。只有全部确定被丢弃或拒绝才通过；无法判定的规则（按地址、限速匹配）按"可能放行"计。蠕虫式挖矿木马（WannaMine 等）通过 SMB/RPC 传播。',
  ),
  fix: {
    command:
      "nft add table inet minehunter_smb && nft add chain inet minehunter_smb in '{ type filter hook input priority -10; }' && nft add chain inet minehunter_smb out '{ type filter hook output priority -10; }' && nft add rule inet minehunter_smb in meta l4proto '{ tcp, udp }' th dport '{ 135, 137-139, 445 }' drop && nft add rule inet minehunter_smb out meta l4proto '{ tcp, udp }' th dport '{ 135, 137-139, 445 }' drop",
    text: t(
      'Adds a table of its own that drops these ports in both directions before other rules see them. To keep it after a reboot, append `nft list table inet minehunter_smb` to /etc/nftables.conf and `systemctl enable nftables`. With ufw: `for p in 135 137:139 445; do ufw deny $p/tcp; ufw deny $p/udp; ufw deny out $p/tcp; ufw deny out $p/udp; done`.',
      '新建一个独立的表，在其他规则之前双向丢弃这些端口。重启后仍要生效：把 `nft list table inet minehunter_smb` 的输出追加到 /etc/nftables.conf 并 `systemctl enable nftables`。使用 ufw 时：`for p in 135 137:139 445; do ufw deny $p/tcp; ufw deny $p/udp; ufw deny out $p/tcp; ufw deny out $p/udp; done`。',
    ),
  },
  tags: ['attack.t1210', 'attack.t1021.002'],
  needs: ['firewall'],
  run(snapshot) {
    const fw = snapshot.audit!.firewall!;
    const zoned = firewalldVerdict(fw);
    if (zoned?.status === 'fail') return zoned;
    const built = modelOf(snapshot)!;
    if (built.model.sources.length === 0) {
      if (zoned) return zoned;
      return unknown(
        'No ruleset could be read.',
        '无法读取防火墙规则。',
        built.problems.map((p) => fact('problem', p)),
      );
    }
    const families: Array<'ip' | 'ip6'> = fw.ipv6Enabled ? ['ip', 'ip6'] : ['ip'];
    const open: Probe[] = [];
    let blocked = 0;
    for (const direction of ['in', 'out'] as const)
      for (const family of families)
        for (const proto of ['tcp', 'udp'] as const)
          for (const dport of SMB_PORTS) {
            const probe: Probe = { direction, family, proto, dport };
            if (evaluateProbe(built.model, probe).blocked) blocked++;
            else open.push(probe);
          }
    if (!hasInboundFilter(built.model) && built.model.chains.length === 0) {
      return fail(
        'No firewall: nothing blocks 135, 137-139 or 445 in either direction.',
        '没有防火墙：135、137-139、445 端口在两个方向上均未封禁。',
        [fact('ruleset', 'empty')],
      );
    }
    if (open.length === 0) {
      return pass(
        `All ${blocked} combinations (TCP/UDP, in/out${fw.ipv6Enabled ? ', IPv4/IPv6' : ', IPv4'}) are dropped.`,
        `全部 ${blocked} 种组合（TCP/UDP、入站/出站${fw.ipv6Enabled ? '、IPv4/IPv6' : '、IPv4'}）均被丢弃。`,
        built.model.sources.map((s) => fact('ruleset', s)),
      );
    }
    const names = open.map(describeProbe);
    return fail(
      `${open.length} of ${open.length + blocked} port/direction combinations are not blocked: ${listSome(names, 6)}.`,
      `${open.length + blocked} 种端口/方向组合中有 ${open.length} 种未封禁：${listSome(names, 6)}。`,
      [
        ...built.model.sources.map((s) => fact('ruleset', s)),
        ...names.slice(0, 20).map((n) => fact('not blocked', n)),
      ],
    );
  },
};

const SAMBA_PROCS = /^(?:smbd|nmbd|samba|winbindd)$/;

export const smbNotListening: AuditCheck = {
  id: 'smb-not-listening',
  area: 'firewall',
  level: 'medium',
  title: t('No SMB/NetBIOS service listens on the network', '没有对网络开放的 SMB/NetBIOS 服务'),
  description: t(
    "Fails when a socket listens on 135, 137, 138, 139 or 445 on an address other than loopback, or when Samba's smbd/nmbd run: the Linux counterpart of the source's advice to disable the Windows Browser and LanmanServer services.",
    '当 135、137、138、139、445 端口在回环以外的地址上监听，或 Samba 的 smbd/nmbd 在运行时判为不通过：相当于源文档中"禁用 Windows 的 Browser 和 LanmanServer 服务"在 Linux 上的对应做法。',
  ),
  fix: {
    command: 'systemctl disable --now smbd nmbd samba-ad-dc 2>/dev/null; systemctl mask smbd nmbd',
    text: t(
      'Stops Samba and keeps it from starting again. If this host must share files, keep Samba but restrict it with `interfaces = lo <lan-if>` and `bind interfaces only = yes` in /etc/samba/smb.conf, and firewall 445 from everything but the LAN.',
      '停止 Samba 并禁止其再次启动。如果必须共享文件，请保留 Samba，但在 /etc/samba/smb.conf 中设置 `interfaces = lo <内网网卡>` 和 `bind interfaces only = yes`，并用防火墙只允许内网访问 445。',
    ),
  },
  tags: ['attack.t1021.002'],
  needs: ['sockets'],
  run(snapshot) {
    const sockets = (snapshot.sockets ?? []).filter(
      (s) => reachableFromNetwork(s) && (SMB_PORTS as readonly number[]).includes(s.localPort),
    );
    const procs = (snapshot.processes ?? []).filter((p) => SAMBA_PROCS.test(p.comm));
    if (sockets.length === 0 && procs.length === 0) {
      return pass(
        'Nothing listens on 135, 137-139 or 445 beyond loopback.',
        '135、137-139、445 端口没有在回环以外监听。',
      );
    }
    const ev: Evidence[] = [
      ...sockets.map((s) => socketEvidence(s, `SMB/NetBIOS port ${s.localPort}`)),
      ...procs.map((p) => fact('process', `${p.comm} (pid ${p.pid})`)),
    ];
    return fail(
      `${sockets.length} socket(s) on SMB/NetBIOS ports and ${procs.length} Samba process(es).`,
      `SMB/NetBIOS 端口上有 ${sockets.length} 个监听，Samba 进程 ${procs.length} 个。`,
      ev,
    );
  },
};

export const firewallChecks: AuditCheck[] = [firewallActive, smbPortsBlocked, smbNotListening];
