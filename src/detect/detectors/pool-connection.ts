// Detector: sockets to mining pools, recognised by port (iocs/pool-ports.yml), by address
// (iocs/pool-addresses.yml and the user's lists) or because /etc/hosts maps the peer to a pool name.
import type { IocEntry, PoolPortEntry } from '../../iocs/types.js';
import type { Action, Evidence, Level } from '../../model/finding.js';
import type { MessageData } from '../../model/localized.js';
import type { HostsEntry, ProcessInfo, SocketInfo } from '../../snapshot/schema.js';
import { addressMatcher, formatEndpoint, isLoopback, isUnspecified, parseIp } from '../net.js';
import type { Detector, Hit } from '../types.js';
import {
  iocRef,
  matchDomain,
  parsePoolUrl,
  processActions,
  processEvidence,
  processFingerprint,
  processRef,
  processesByPid,
  processSubject,
  t,
  uniqueBy,
} from '../util.js';

interface SocketMatch {
  socket: SocketInfo;
  strong: boolean;
  /** The message telling why the peer is a pool, and its facts beyond the socket's own. */
  messageId: string;
  data: MessageData;
  match: string;
}

/**
 * Addresses /etc/hosts gives to pool names. Loopback and 0.0.0.0 entries are left out: they are how
 * miners (and administrators) block competing pools, and counting them would flag every local socket.
 */
function hostsPoolMap(
  hosts: HostsEntry[] | undefined,
  domains: IocEntry[],
): Map<string, { name: string; entry: IocEntry }> {
  const map = new Map<string, { name: string; entry: IocEntry }>();
  for (const line of hosts ?? []) {
    if (isLoopback(line.address) || isUnspecified(line.address)) continue;
    const key = canonical(line.address);
    for (const name of line.names) {
      const entry = matchDomain(name, domains);
      if (entry && !map.has(key)) map.set(key, { name, entry });
    }
  }
  return map;
}

/** One spelling per address, so ::ffff:10.0.0.5 in a tcp6 socket equals 10.0.0.5 in /etc/hosts. */
function canonical(address: string): string {
  const ip = parseIp(address);
  return ip ? `${ip.family}:${ip.value.toString(16)}` : address.toLowerCase();
}

function displayAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

function socketEvidence(s: SocketInfo, match: string): Evidence {
  return {
    type: 'socket',
    protocol: s.protocol,
    local: formatEndpoint(displayAddress(s.localAddress), s.localPort),
    remote: formatEndpoint(displayAddress(s.remoteAddress), s.remotePort),
    state: s.state,
    pids: [...s.pids],
    match,
  };
}

function blockAction(s: SocketInfo): Action[] {
  // Blocking a loopback peer would cut the host off from itself and stop nothing.
  if (isLoopback(s.remoteAddress)) return [];
  return [{ type: 'block-address', address: displayAddress(s.remoteAddress), port: s.remotePort }];
}

/** Which pool URL, if any, a socket's owner names in its own command line for that very peer. */
function commandLinePools(processes: ProcessInfo[] | undefined): (s: SocketInfo) => string | undefined {
  // The pool a process names in its own command line (stratum+tcp://198.51.100.7:9000) is a pool
  // whatever its port. Only address literals: host names would need resolving, which we never do.
  const namedPools = new Map<number, Map<string, string>>();
  for (const p of processes ?? []) {
    for (const arg of p.argv) {
      const url = parsePoolUrl(arg);
      if (!url || url.port === undefined || parseIp(url.host) === undefined) continue;
      const own = namedPools.get(p.pid) ?? new Map<string, string>();
      own.set(`${canonical(url.host)}:${url.port}`, url.url);
      namedPools.set(p.pid, own);
    }
  }
  return (s: SocketInfo): string | undefined => {
    const key = `${canonical(s.remoteAddress)}:${s.remotePort}`;
    for (const pid of s.pids) {
      const url = namedPools.get(pid)?.get(key);
      if (url) return url;
    }
    return undefined;
  };
}

/** The strongest indicator a socket's peer matches (address, /etc/hosts, command line, then port). */
function socketMatch(
  s: SocketInfo,
  address: IocEntry | undefined,
  hosts: { name: string; entry: IocEntry } | undefined,
  named: string | undefined,
  port: PoolPortEntry | undefined,
): SocketMatch | undefined {
  if (address) {
    return {
      socket: s,
      strong: true,
      messageId: 'poolAddress',
      data: { pool: address.value },
      match: `pool address ${iocRef(address)}`,
    };
  } else if (hosts) {
    return {
      socket: s,
      strong: true,
      messageId: 'hostsPool',
      data: { host: hosts.name, pool: hosts.entry.value },
      match: `/etc/hosts: ${displayAddress(s.remoteAddress)} ${hosts.name} (${iocRef(hosts.entry)})`,
    };
  } else if (named) {
    return {
      socket: s,
      strong: true,
      messageId: 'commandLinePool',
      data: { url: named },
      match: `pool in its command line: ${named}`,
    };
  } else if (port) {
    return {
      socket: s,
      strong: false,
      messageId: 'poolPort',
      data: {},
      match: `pool port ${iocRef(port)}`,
    };
  }
  return undefined;
}

/** One hit for a process (or an ownerless socket) from its pool connections, strongest first. */
function groupHit(
  subject: string,
  pid: number | undefined,
  items: SocketMatch[],
  process: ProcessInfo | undefined,
): Hit | undefined {
  items.sort((a, b) => Number(b.strong) - Number(a.strong));
  const first = items[0];
  if (!first) return undefined;
  const level: Level = first.strong ? 'high' : 'medium';
  const owner = process
    ? processRef(process)
    : pid === undefined
      ? t(
          `A socket with no visible owner (inode ${first.socket.inode})`,
          `一个看不到所属进程的套接字（inode ${first.socket.inode}）`,
        )
      : t(`PID ${pid}`, `进程 PID ${pid}`);
  const more = items.length - 1;
  const evidence: Evidence[] = [
    ...(process ? [processEvidence(process)] : []),
    ...items.map((m) => socketEvidence(m.socket, m.match)),
  ];
  const remediate: Action[] = uniqueBy(
    [
      ...(process
        ? processActions(process)
        : pid === undefined
          ? []
          : [{ type: 'kill-process-tree' as const, pid }]),
      ...items.flatMap((m) => blockAction(m.socket)),
    ],
    (a) => JSON.stringify(a),
  );
  const endpoints = [
    ...new Set(items.map((m) => formatEndpoint(displayAddress(m.socket.remoteAddress), m.socket.remotePort))),
  ].sort();
  return {
    subject,
    level,
    messageId: first.messageId,
    data: {
      owner,
      ...(pid === undefined ? { inode: first.socket.inode } : { pid }),
      remote: formatEndpoint(displayAddress(first.socket.remoteAddress), first.socket.remotePort),
      address: displayAddress(first.socket.remoteAddress),
      port: first.socket.remotePort,
      ...first.data,
      // The other pool connections of the owner, as a count and as the phrase after the message.
      others: more,
      more:
        more > 0
          ? t(` (and ${more} more pool connection${more > 1 ? 's' : ''})`, `（另有 ${more} 个矿池连接）`)
          : t('', ''),
    },
    evidence,
    remediate,
    fingerprint: process ? processFingerprint(process) : ['socket', ...endpoints],
  };
}

export const poolConnection: Detector = {
  id: 'pool-connection',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'high',
  title: t('Connection to a mining pool', '连接到矿池'),
  description: t(
    "Matches the sockets in the snapshot (not listening ones) against mining-pool indicators: a known pool address or range from iocs/pool-addresses.yml or the user's own lists, a peer address that /etc/hosts maps to a known pool host name, or the very address:port a process names in its own stratum+tcp:// command-line URL, is a strong signal (level high). A TCP connection to a port pools typically use (3333, 4444, 5555, 7777, 9999, 14444, 45700, MoneroOcean's 10001–18192 …, iocs/pool-ports.yml) is a weak one (level medium): those ports are not exclusive to pools, so it becomes strong only together with another signal on the same process. Ports that common services use by default (80, 443, 8080, 8888, 9000 …) are not listed. Loopback peers count too, since miners often talk to a local pool proxy; connections the host accepted on one of its listening ports are inbound and do not count. Pool names are never resolved at scan time: that would trip intrusion detection and slow the scan down.",
    '将快照中的套接字（监听套接字除外）与矿池指标比对：已知矿池地址或网段（iocs/pool-addresses.yml 或用户自己的列表）、/etc/hosts 映射到已知矿池主机名的对端地址，或者进程在自身命令行 stratum+tcp:// URL 中指定的地址和端口，属于强信号（级别高）。连接到矿池常用端口（3333、4444、5555、7777、9999、14444、45700、MoneroOcean 的 10001–18192 等，见 iocs/pool-ports.yml）的 TCP 连接属于弱信号（级别中）：这些端口并非矿池独有，只有与同一进程的其他信号同时出现才会升级。常见服务默认使用的端口（80、443、8080、8888、9000 等）不在列表中。回环地址上的对端同样计入，因为挖矿程序常连接本地矿池代理；主机在自身监听端口上接受的连接属于入站连接，不计入。扫描时从不解析矿池域名：解析会触发入侵检测，也会拖慢扫描。',
  ),
  tags: ['attack.t1496', 'attack.t1071', 'attack.command-and-control'],
  needs: ['sockets'],
  verify: t(
    'Run `ss -tnp` (or `netstat -tnp`) and find the connection and the owning process; `ls -l /proc/<pid>/exe` shows the program. A capture such as `tcpdump -A -c 20 host <address> and port <port>` shows JSON-RPC stratum messages ("login", "job", "submit") if it is a pool.',
    '执行 `ss -tnp`（或 `netstat -tnp`）找到该连接及所属进程；`ls -l /proc/<pid>/exe` 显示其程序。用 `tcpdump -A -c 20 host <地址> and port <端口>` 抓包，如果是矿池，会看到 JSON-RPC 的 stratum 消息（"login"、"job"、"submit"）。',
  ),
  remediation: t(
    'Kill the process tree that holds the connection and quarantine its executable; block the pool address (except loopback, where the local pool proxy is itself a process to remove). Check /etc/hosts for pool entries planted by the intruder.',
    '结束持有该连接的进程树并隔离其可执行文件；封禁矿池地址（回环地址除外，本地矿池代理本身就是要清除的进程）。检查 /etc/hosts 中是否有入侵者写入的矿池条目。',
  ),
  messages: {
    poolAddress: t(
      '{owner} connects to {remote}, a known mining-pool address{more}',
      '{owner}连接到 {remote}，这是已知的矿池地址{more}',
    ),
    hostsPool: t(
      '{owner} connects to {remote}, which /etc/hosts maps to the pool host {host}{more}',
      '{owner}连接到 {remote}，/etc/hosts 将其映射到矿池主机 {host}{more}',
    ),
    commandLinePool: t(
      '{owner} connects to {remote}, the pool its own command line names ({url}){more}',
      '{owner}连接到 {remote}，即其命令行中指定的矿池（{url}）{more}',
    ),
    poolPort: t(
      '{owner} connects to {remote}, a mining-pool port{more}',
      '{owner}连接到 {remote}，这是矿池常用端口{more}',
    ),
  },
  detect(snapshot, ruleset) {
    const ports = new Map<number, PoolPortEntry>(ruleset.poolPorts.map((p) => [p.port, p]));
    const byAddress = addressMatcher(ruleset.poolAddresses);
    const hostsMap = hostsPoolMap(snapshot.hostsFile, ruleset.poolDomains);
    const processes = processesByPid(snapshot);

    // Connections accepted by a local listener are inbound: a pool's address as the *client* of our
    // web server is not this host mining. Only connections the host opened count.
    const listening = new Set(
      (snapshot.sockets ?? [])
        .filter((s) => s.state === 'LISTEN')
        .map((s) => `${s.protocol.replace('6', '')}:${s.localPort}`),
    );
    const namedBy = commandLinePools(snapshot.processes);

    const matches: SocketMatch[] = [];
    for (const s of snapshot.sockets ?? []) {
      if (s.state === 'LISTEN' || s.remotePort === 0 || isUnspecified(s.remoteAddress)) continue;
      if (listening.has(`${s.protocol.replace('6', '')}:${s.localPort}`)) continue;
      // A closed connection lingering in TIME_WAIT has no owner and no inode: nothing left to act on.
      if (s.pids.length === 0 && s.inode === 0) continue;
      const address = byAddress(s.remoteAddress);
      const hosts = hostsMap.get(canonical(s.remoteAddress));
      const port = s.protocol.startsWith('tcp') ? ports.get(s.remotePort) : undefined;
      const named = namedBy(s);
      const match = socketMatch(s, address, hosts, named, port);
      if (match) matches.push(match);
    }

    // One hit per process (or per ownerless socket), strongest connection first.
    const groups = new Map<string, { pid?: number; items: SocketMatch[] }>();
    for (const m of matches) {
      const owners = m.socket.pids.length > 0 ? m.socket.pids : [undefined];
      for (const pid of owners) {
        const subject = pid === undefined ? `socket:${m.socket.inode}` : processSubject(pid);
        const group = groups.get(subject) ?? { pid, items: [] };
        group.items.push(m);
        groups.set(subject, group);
      }
    }

    const hits: Hit[] = [];
    for (const [subject, { pid, items }] of groups) {
      const hit = groupHit(subject, pid, items, pid === undefined ? undefined : processes.get(pid));
      if (hit) hits.push(hit);
    }
    return hits;
  },
};
