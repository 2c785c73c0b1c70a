// Name-resolution controls: known mining pool hosts sent to a dead address in /etc/hosts. Not on the
// source's §3 checklist, so it only passes or stays unknown: a host without the block is not failed.
import { isSinkhole } from '../../detect/detectors/hosts-tampering.js';
import type { AuditCheck } from '../types.js';
import { fact, listSome, pass, t, unknown } from '../util.js';

/** Example pool hosts for the fix command: real names under entries of iocs/pool-domains.yml. */
const EXAMPLE_POOL_HOSTS = [
  'pool.supportxmr.com',
  'gulf.moneroocean.stream',
  'xmr-eu1.nanopool.org',
  'pool.hashvault.pro',
  'xmr.2miners.com',
  'donate.v2.xmrig.com',
];

export const poolDomainsBlocked: AuditCheck = {
  id: 'pool-domains-blocked',
  area: 'firewall',
  level: 'low',
  title: t('Known mining pool domains are blocked in /etc/hosts', '/etc/hosts 屏蔽了已知矿池域名'),
  description: t(
    "Passes when /etc/hosts sends known mining pool host names (minehunter's pool-domain list, iocs/pool-domains.yml; an entry also covers the hosts under it) to a dead address: 0.0.0.0, 127.0.0.0/8, ::1 or ::. A miner that looks its pool up by name then cannot reach it. An optional control the source's §3 checklist does not ask for: without it the check is unknown, never failed, so it can only raise the score. A pool name pinned to a real address is tampering, not a block (the scan's hosts-tampering finding reports it): the check is then unknown too. /etc/hosts has no wildcards and does not stop a miner that connects to an IP address or a proxy; DNS filtering and an egress firewall do more.",
    '当 /etc/hosts 把已知矿池主机名（minehunter 的矿池域名列表 iocs/pool-domains.yml；每个条目也涵盖其下的子域名）指向空地址（0.0.0.0、127.0.0.0/8、::1 或 ::）时通过：按域名查找矿池的挖矿程序将无法连上矿池。这是源文档第 3 节清单未要求的可选措施：没有这样的屏蔽时结果为未知，绝不判为不通过，因此只会提高得分。矿池域名被固定解析到真实地址属于篡改而非屏蔽（由扫描的 hosts-tampering 发现报告），此时结果同样为未知。/etc/hosts 不支持通配符，也挡不住直接连接 IP 地址或代理的挖矿程序；DNS 过滤和出站防火墙更为有效。',
  ),
  fix: {
    command: `for h in ${EXAMPLE_POOL_HOSTS.join(' ')}; do grep -qw "$h" /etc/hosts || echo "0.0.0.0 $h" >> /etc/hosts; done`,
    text: t(
      'Appends a 0.0.0.0 line for each pool host that is not in /etc/hosts yet. The file blocks exact names only: list the hosts your threat intelligence names, or block whole pool domains in your DNS resolver (a response policy zone, dnsmasq `address=/supportxmr.com/0.0.0.0`) and pool ports at the egress firewall.',
      '为 /etc/hosts 中尚未出现的每个矿池主机名追加一行 0.0.0.0。该文件只能屏蔽完整的主机名：请列出威胁情报给出的主机名，或在 DNS 解析器中屏蔽整个矿池域名（响应策略区 RPZ，dnsmasq `address=/supportxmr.com/0.0.0.0`），并在出站防火墙上封锁矿池端口。',
    ),
  },
  tags: ['attack.t1496'],
  needs: ['hostsPools'],
  run(snapshot) {
    const facts = snapshot.audit!.hostsPools!;
    const blocked = facts.names.filter((n) => isSinkhole(n.address));
    const pinned = facts.names.filter((n) => !isSinkhole(n.address));
    const evidence = [
      ...pinned.map((n) => fact('pinned', `${n.address} ${n.name} (${n.ioc})`)),
      ...blocked.map((n) => fact('blocked', `${n.address} ${n.name} (${n.ioc})`)),
    ].slice(0, 30);
    const distinct = (list: typeof blocked) => [...new Set(list.map((n) => n.name.toLowerCase()))];
    if (pinned.length > 0) {
      const names = distinct(pinned);
      return unknown(
        `/etc/hosts pins ${names.length} known pool name(s) to a real address (${listSome(names)}): that is tampering, not a block; see hosts-tampering in \`minehunter scan\`.`,
        `/etc/hosts 把 ${names.length} 个已知矿池域名固定解析到真实地址（${listSome(names)}）：这是篡改而不是屏蔽，见 \`minehunter scan\` 的 hosts-tampering 发现。`,
        evidence,
      );
    }
    if (blocked.length > 0) {
      const names = distinct(blocked);
      return pass(
        `/etc/hosts blocks ${names.length} known pool name(s): ${listSome(names)}.`,
        `/etc/hosts 屏蔽了 ${names.length} 个已知矿池域名：${listSome(names)}。`,
        evidence,
      );
    }
    return unknown(
      `/etc/hosts blocks none of the ${facts.listed} pool domains minehunter knows. Optional: not on the prevention checklist, so not a failure.`,
      `/etc/hosts 没有屏蔽 minehunter 已知的 ${facts.listed} 个矿池域名中的任何一个。这是可选措施，不在防护清单中，因此不算不通过。`,
      [fact('pool-domain list', `${facts.listFiles.join(', ')} (${facts.listed} domains)`)],
    );
  },
};

export const hostsChecks: AuditCheck[] = [poolDomainsBlocked];
