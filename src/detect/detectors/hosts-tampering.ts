// Detector: /etc/hosts lines a mining campaign writes: security vendors' update and reporting hosts
// sent to a dead address (so the cloud agent or antivirus cannot phone home or update), and pool
// host names pinned to a real address (so the miner reaches its pool even when DNS blocks the name).
// Pool names sent to a dead address are the opposite, a defence: one informational finding.
import type { IocEntry } from '../../iocs/types.js';
import type { Evidence } from '../../model/finding.js';
import type { HostsEntry } from '../../snapshot/schema.js';
import { matchDomain, t } from '../util.js';
import { isLoopback, isUnspecified, parseIp } from '../net.js';
import { fileEvidence, fileHit } from '../persistence.js';
import type { Detector, Hit } from '../types.js';

/**
 * Hosts that security agents and scanners contact for updates and reporting. Written by the minehunter
 * project; `source` is the product the domain belongs to. Kept here, not in iocs/, because they are not
 * miner indicators: a sinkhole of one in /etc/hosts means "someone blinded the agent", whatever the
 * miner. Alibaba Cloud names the disabling of its agent as a mining-campaign trait in its guide.
 */
export const SECURITY_VENDOR_DOMAINS: { value: string; vendor: string; source: string; date: string }[] = [
  {
    value: 'aegis.aliyun.com',
    vendor: 'Alibaba Cloud Security Center (Aegis)',
    source:
      'https://www.alibabacloud.com/help/en/security-center/use-cases/best-practices-for-handling-mining-programs',
    date: '2026-11-26',
  },
  {
    value: 'aegis.aliyuncs.com',
    vendor: 'Alibaba Cloud Security Center (Aegis)',
    source: 'https://www.alibabacloud.com/product/security-center',
    date: '2026-11-26',
  },
  {
    value: 'yundun.aliyun.com',
    vendor: 'Alibaba Cloud Security (Yundun)',
    source: 'https://www.alibabacloud.com/product/security-center',
    date: '2026-11-26',
  },
  {
    value: 'yunjing.qcloud.com',
    vendor: 'Tencent Cloud Workload Protection (YunJing)',
    source: 'https://cloud.tencent.com/product/cwp',
    date: '2026-11-26',
  },
  {
    value: 'hss.myhuaweicloud.com',
    vendor: 'Huawei Cloud Host Security Service',
    source: 'https://www.huaweicloud.com/product/hss.html',
    date: '2026-11-26',
  },
  {
    value: 'database.clamav.net',
    vendor: 'ClamAV signature updates',
    source: 'https://www.clamav.net/',
    date: '2026-11-26',
  },
  {
    value: 'crowdstrike.com',
    vendor: 'CrowdStrike Falcon',
    source: 'https://www.crowdstrike.com/',
    date: '2026-11-26',
  },
  {
    value: 'sentinelone.net',
    vendor: 'SentinelOne',
    source: 'https://www.sentinelone.com/',
    date: '2026-11-26',
  },
  { value: '360safe.com', vendor: 'Qihoo 360', source: 'https://www.360.cn/', date: '2026-11-26' },
];

function vendorOf(name: string) {
  const n = name.toLowerCase().replace(/\.$/, '');
  return SECURITY_VENDOR_DOMAINS.find((d) => n === d.value || n.endsWith(`.${d.value}`));
}

/** A sinkhole: the name resolves to this host (127.0.0.0/8, ::1) or to nowhere (0.0.0.0, ::). */
export function isSinkhole(address: string): boolean {
  return isLoopback(address) || isUnspecified(address);
}

/** One /etc/hosts name that is a known pool host, with the address the line gives it. */
export interface HostsPoolName {
  address: string;
  name: string;
  /** The hosts line as the evidence shows it: `address name name…`. */
  line: string;
  pool: IocEntry;
  /** The address is a sinkhole: the line blocks the pool rather than pins it. */
  sinkhole: boolean;
}

/**
 * The /etc/hosts names that are known pool hosts (the pool-domain IOC list, a value matching itself and
 * every host under it), in file order. Lines whose address is not an IP address are left out.
 * hosts-tampering and the audit's pool-domains-blocked check both read the file through this.
 */
export function hostsPoolNames(hosts: HostsEntry[], poolDomains: IocEntry[]): HostsPoolName[] {
  return hosts.flatMap((entry) => entry.names.flatMap((name) => poolName(entry, name, poolDomains) ?? []));
}

function poolName(entry: HostsEntry, name: string, poolDomains: IocEntry[]): HostsPoolName | undefined {
  const pool = matchDomain(name, poolDomains);
  if (!pool || !parseIp(entry.address)) return undefined;
  const line = `${entry.address} ${entry.names.join(' ')}`;
  return { address: entry.address, name, line, pool, sinkhole: isSinkhole(entry.address) };
}

/** `iocs/pool-domains.yml: supportxmr.com`: which list entry a name matched. */
export function poolIoc(pool: IocEntry): string {
  return `${pool.file ?? 'iocs'}: ${pool.value}`;
}

export const hostsTampering: Detector = {
  id: 'hosts-tampering',
  category: 'tampering',
  level: 'medium',
  title: t('/etc/hosts tampered with', '/etc/hosts 被篡改'),
  description: t(
    "Reads /etc/hosts and flags two kinds of line mining campaigns write: a security product's update or reporting host (Alibaba Cloud Aegis, Tencent Cloud YunJing, Huawei HSS, ClamAV, CrowdStrike …; the list is in the detector) sent to 127.0.0.1 or 0.0.0.0, so the agent cannot report or update (medium); and a mining pool host name from the IOC lists pinned to a routable address, so the miner reaches its pool even where DNS filters the name (high). Pool names sent to a dead address (0.0.0.0, 127.0.0.0/8, ::1 or ::) are the opposite, the standard way to keep miners from their pools (campaigns use it to lock out rivals too): they make one informational finding, \"pool domains blocked here (N names)\", with the names as evidence and nothing to remove, never joined to a process's finding; `minehunter audit` counts the same lines as a prevention control (pool-domains-blocked). When a dropper script on a running miner's persistence chain names /etc/hosts, the hit joins that miner's finding.",
    '读取 /etc/hosts，标记挖矿团伙会写入的两类行：把安全产品的更新或上报域名（阿里云安骑士 Aegis、腾讯云云镜、华为云主机安全 HSS、ClamAV、CrowdStrike 等，列表见检测器源码）指向 127.0.0.1 或 0.0.0.0，使其无法上报或更新（中危）；把 IOC 列表中的矿池域名固定解析到可路由地址，使挖矿程序在 DNS 过滤该域名时仍能连上矿池（高危）。指向空地址（0.0.0.0、127.0.0.0/8、::1 或 ::）的矿池域名恰恰相反，是阻止挖矿程序连接矿池的标准防护手段（挖矿团伙也用它排挤竞争对手）：只生成一条提示级发现“本机已屏蔽矿池域名（N 个）”，以这些域名为证据，没有需要删除的内容，也不会并入任何进程的发现；`minehunter audit` 将同样的行计为一项防护措施（pool-domains-blocked）。如果运行中挖矿程序持久化链条上的投放脚本引用了 /etc/hosts，命中会并入该挖矿程序的发现。',
  ),
  tags: ['attack.t1562.001', 'attack.t1565.001'],
  needs: ['hosts-file'],
  verify: t(
    'Read /etc/hosts (`grep -vn "^#" /etc/hosts`) and ask who added the lines; `stat /etc/hosts` and `lsattr /etc/hosts` show when it changed and whether it was made immutable.',
    '查看 /etc/hosts（`grep -vn "^#" /etc/hosts`），确认这些行是谁添加的；`stat /etc/hosts` 与 `lsattr /etc/hosts` 显示修改时间以及是否被设为不可修改。',
  ),
  remediation: t(
    'Remove the lines (clear an immutable attribute first), restart the security agent and check that it reports again; block the pinned pool address at the firewall.',
    '删除这些行（先清除不可修改属性），重启安全代理并确认其恢复上报；在防火墙上封锁被固定的矿池地址。',
  ),
  messages: {
    vendorSinkholed: t(
      '/etc/hosts sends {name} ({vendor}) to {address}: the security agent can no longer reach it',
      '/etc/hosts 把 {name}（{vendor}）指向 {address}：安全代理无法再连接它',
    ),
    poolPinned: t(
      '/etc/hosts pins the mining pool {name} to {address}',
      '/etc/hosts 把矿池域名 {name} 固定解析到 {address}',
    ),
    poolsBlocked: t('pool domains blocked here ({names})', '本机已屏蔽矿池域名（{names}）'),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    const blocked: HostsPoolName[] = [];
    for (const entry of snapshot.hostsFile ?? []) {
      for (const name of entry.names) {
        const line = `${entry.address} ${entry.names.join(' ')}`;
        const vendor = vendorOf(name);
        if (vendor && isSinkhole(entry.address)) {
          hits.push(
            fileHit(snapshot, ruleset, '/etc/hosts', name, {
              level: 'medium',
              linkedLevel: 'high',
              messageId: 'vendorSinkholed',
              data: { name, vendor: vendor.vendor, domain: vendor.value, address: entry.address },
              evidence: [
                { type: 'match', field: 'hosts', value: line, ioc: `security vendor: ${vendor.vendor}` },
              ],
              remediate: [{ type: 'remove-line', path: '/etc/hosts', line }],
            }),
          );
          continue;
        }
        const pool = poolName(entry, name, ruleset.poolDomains);
        if (pool?.sinkhole) blocked.push(pool);
        else if (pool) {
          hits.push(
            fileHit(snapshot, ruleset, '/etc/hosts', name, {
              level: 'high',
              messageId: 'poolPinned',
              data: { name, address: entry.address, pool: pool.pool.value },
              evidence: [{ type: 'match', field: 'hosts', value: line, ioc: poolIoc(pool.pool) }],
              remediate: [
                { type: 'remove-line', path: '/etc/hosts', line },
                { type: 'block-address', address: entry.address, domain: name },
              ],
            }),
          );
        }
      }
    }
    // Blocked pool names: a defence, so one informational finding about the file, never joined to a
    // process's finding (it is no sign of a miner) and with nothing to undo.
    const names = [...new Set(blocked.map((x) => x.name.toLowerCase()))];
    if (names.length > 0) {
      const evidence: Evidence[] = [
        fileEvidence(snapshot, '/etc/hosts'),
        ...blocked.map((x): Evidence => ({
          type: 'match',
          field: 'hosts',
          value: `${x.address} ${x.name}`,
          ioc: poolIoc(x.pool),
        })),
      ];
      hits.push({
        subject: 'file:/etc/hosts#pool-domains-blocked',
        level: 'info',
        messageId: 'poolsBlocked',
        data: {
          names: t(`${names.length} ${names.length === 1 ? 'name' : 'names'}`, `${names.length} 个`),
          count: names.length,
        },
        evidence,
        remediate: [],
        // A setting of this host, not something that starts a program.
        basis: 'config',
        fingerprint: ['hosts', 'pool-domains-blocked'],
      });
    }
    return hits;
  },
};
