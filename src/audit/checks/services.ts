// Exposed-service checks: one per service that mining campaigns scan the internet for, failing when it
// listens beyond loopback and the firewall does not certainly drop new connections to it.
import type { Level, Localized } from '../../model/finding.js';
import type { ProcessInfo, SocketInfo, Snapshot } from '../../snapshot/schema.js';
import { buildModel, evaluateProbe } from '../firewall/evaluate.js';
import type { AuditCheck } from '../types.js';
import { absent, fail, listSome, pass, reachableFromNetwork, socketEvidence, t, endpoint } from '../util.js';

interface ServiceSpec {
  id: string;
  name: string;
  /** Ports it uses by default. */
  ports: number[];
  /** Recognises its processes by task name or command line, so non-default ports count too. */
  process?: RegExp;
  level: Level;
  why: Localized;
  command: string;
  fixText: Localized;
}

const SERVICES: ServiceSpec[] = [
  {
    id: 'redis',
    name: 'Redis',
    ports: [6379],
    process: /^redis-server\b/,
    level: 'critical',
    why: t(
      'Unauthenticated Redis lets anyone write a cron job or SSH key to disk (CONFIG SET dir) or load a module: the most common way miners enter Linux servers.',
      '未认证的 Redis 允许任何人通过 CONFIG SET dir 向磁盘写入计划任务或 SSH 公钥，或加载模块：这是挖矿木马入侵 Linux 服务器最常见的途径。',
    ),
    command:
      "sed -i -E 's/^#?\\s*bind .*/bind 127.0.0.1 -::1/; s/^#?\\s*protected-mode .*/protected-mode yes/' /etc/redis/redis.conf && systemctl restart redis-server",
    fixText: t(
      'Binds Redis to loopback and turns protected mode on. If other hosts need it, keep it on a private interface, set `requirepass` to a long random password and firewall the port.',
      '将 Redis 绑定到回环地址并开启保护模式。如需其他主机访问，仅绑定内网网卡，用 `requirepass` 设置足够长的随机密码，并用防火墙限制该端口。',
    ),
  },
  {
    id: 'docker-api',
    name: 'Docker API',
    ports: [2375],
    level: 'critical',
    why: t(
      'The Docker API without TLS on 2375 gives root on the host to anyone who can reach it; campaigns start miner containers through it.',
      '未启用 TLS 的 Docker API（2375）让任何能访问它的人获得主机 root 权限；挖矿团伙通过它启动挖矿容器。',
    ),
    command:
      "grep -rn 'tcp://' /etc/docker/daemon.json /etc/systemd/system/docker.service.d/ /lib/systemd/system/docker.service; systemctl edit docker  # remove -H tcp://… then: systemctl restart docker",
    fixText: t(
      'Remove the `tcp://` listener from dockerd (the `hosts` key of /etc/docker/daemon.json or `-H` in the unit); use the unix socket, or TLS with client certificates on 2376.',
      '去掉 dockerd 的 `tcp://` 监听（/etc/docker/daemon.json 的 `hosts` 或单元文件中的 `-H`）；使用 unix 套接字，或在 2376 上启用带客户端证书的 TLS。',
    ),
  },
  {
    id: 'jenkins',
    name: 'Jenkins',
    ports: [],
    process: /jenkins\.war|\bjenkins\b/i,
    level: 'high',
    why: t(
      'Jenkins script consoles and old Jenkins CVEs are used to run miners.',
      'Jenkins 脚本控制台和旧版本漏洞常被用来运行挖矿程序。',
    ),
    command:
      "sed -i 's/^JENKINS_LISTEN_ADDRESS=.*/JENKINS_LISTEN_ADDRESS=127.0.0.1/' /etc/default/jenkins && systemctl restart jenkins",
    fixText: t(
      'Listen on loopback and publish Jenkins through a reverse proxy with authentication; keep it updated.',
      '仅监听回环地址，通过带认证的反向代理对外提供服务，并保持更新。',
    ),
  },
  {
    id: 'tomcat',
    name: 'Apache Tomcat',
    ports: [],
    process: /org\.apache\.catalina\.startup\.Bootstrap/,
    level: 'high',
    why: t(
      'Tomcat manager with default credentials lets anyone deploy a WAR that runs a miner.',
      'Tomcat manager 使用默认口令时，任何人都能部署一个运行挖矿程序的 WAR 包。',
    ),
    command:
      'rm -rf /var/lib/tomcat*/webapps/manager /var/lib/tomcat*/webapps/host-manager && systemctl restart tomcat*',
    fixText: t(
      'Remove the manager applications (or restrict them with a RemoteAddrValve to 127.0.0.1) and set `address="127.0.0.1"` on connectors that need not be public.',
      '删除 manager 应用（或用 RemoteAddrValve 限制为 127.0.0.1），不需要公开的 Connector 设置 `address="127.0.0.1"`。',
    ),
  },
  {
    id: 'weblogic',
    name: 'Oracle WebLogic',
    ports: [7001],
    process: /weblogic\.Server/,
    level: 'high',
    why: t(
      'WebLogic deserialisation bugs are a staple of mining campaigns.',
      'WebLogic 反序列化漏洞是挖矿团伙的常用入口。',
    ),
    command: 'echo "Apply the latest Oracle CPU and restrict 7001 to the admin network: ufw deny 7001/tcp"',
    fixText: t(
      'Patch WebLogic and keep its admin port off the internet.',
      '为 WebLogic 打补丁，管理端口不要暴露到公网。',
    ),
  },
  {
    id: 'jboss',
    name: 'JBoss / WildFly',
    ports: [9990],
    process: /jboss-modules\.jar|org\.jboss\./,
    level: 'high',
    why: t(
      'JBoss invokers and consoles are exploited to drop miners.',
      'JBoss 的 invoker 和控制台常被利用来投放挖矿程序。',
    ),
    command: 'ufw deny 9990/tcp  # and bind the management interface to 127.0.0.1 (-bmanagement 127.0.0.1)',
    fixText: t('Bind the management interface to loopback and patch.', '将管理接口绑定到回环地址并打补丁。'),
  },
  {
    id: 'hadoop-yarn',
    name: 'Hadoop YARN ResourceManager',
    ports: [8088],
    process: /ResourceManager/,
    level: 'high',
    why: t(
      'An unauthenticated YARN REST API runs any submitted application: a known miner entry point.',
      '未认证的 YARN REST API 会运行任何提交的应用：已知的挖矿入口。',
    ),
    command: 'ufw deny 8088/tcp  # and enable Kerberos (hadoop.security.authentication=kerberos)',
    fixText: t('Firewall 8088 and enable authentication.', '用防火墙限制 8088 并启用认证。'),
  },
  {
    id: 'elasticsearch',
    name: 'Elasticsearch',
    ports: [9200],
    process: /org\.elasticsearch\.bootstrap/,
    level: 'high',
    why: t(
      'Open Elasticsearch (old versions: script RCE) is used to run miners.',
      '开放的 Elasticsearch（旧版本存在脚本执行漏洞）常被用来运行挖矿程序。',
    ),
    command:
      "echo 'network.host: 127.0.0.1' >> /etc/elasticsearch/elasticsearch.yml && systemctl restart elasticsearch",
    fixText: t(
      'Bind to loopback or enable security (xpack.security.enabled: true).',
      '绑定回环地址，或启用安全功能（xpack.security.enabled: true）。',
    ),
  },
  {
    id: 'kubelet',
    name: 'kubelet API',
    ports: [10250],
    process: /^kubelet\b/,
    level: 'high',
    why: t(
      'An anonymous kubelet API runs commands in any pod.',
      '允许匿名访问的 kubelet API 可在任意 Pod 中执行命令。',
    ),
    command:
      'grep -n anonymous /var/lib/kubelet/config.yaml  # set authentication.anonymous.enabled: false, authorization.mode: Webhook',
    fixText: t(
      'Disable anonymous access and use Webhook authorisation.',
      '关闭匿名访问并使用 Webhook 授权。',
    ),
  },
  {
    id: 'kube-apiserver',
    name: 'Kubernetes API server',
    ports: [6443],
    process: /^kube-apiserver\b/,
    level: 'medium',
    why: t(
      'A reachable API server with anonymous access or leaked tokens lets anyone schedule miner pods.',
      '可访问的 API Server 若允许匿名访问或令牌泄露，任何人都能调度挖矿 Pod。',
    ),
    command:
      'grep -n -- --anonymous-auth /etc/kubernetes/manifests/kube-apiserver.yaml  # set --anonymous-auth=false',
    fixText: t(
      'Restrict 6443 to the admin network and disable anonymous auth.',
      '仅允许管理网络访问 6443 并关闭匿名认证。',
    ),
  },
  {
    id: 'etcd',
    name: 'etcd',
    ports: [2379],
    process: /^etcd\b/,
    level: 'high',
    why: t(
      'etcd without client certificates hands out every cluster secret.',
      '未启用客户端证书的 etcd 会泄露集群全部机密。',
    ),
    command:
      'grep -n -- --client-cert-auth /etc/kubernetes/manifests/etcd.yaml  # require --client-cert-auth=true',
    fixText: t(
      'Require client certificates and listen on loopback/cluster network only.',
      '要求客户端证书，只在回环或集群网络上监听。',
    ),
  },
  {
    id: 'postgresql',
    name: 'PostgreSQL',
    ports: [5432],
    process: /^postgres\b/,
    level: 'medium',
    why: t(
      'PostgreSQL with a weak password lets attackers run `COPY … FROM PROGRAM` as the postgres user.',
      '弱口令的 PostgreSQL 可让攻击者以 postgres 用户执行 `COPY … FROM PROGRAM`。',
    ),
    command:
      'sed -i "s/^#\\?listen_addresses.*/listen_addresses = \'localhost\'/" /etc/postgresql/*/main/postgresql.conf && systemctl restart postgresql',
    fixText: t(
      'Listen on localhost unless remote clients need it; restrict pg_hba.conf.',
      '若无远程客户端需要，仅监听 localhost；收紧 pg_hba.conf。',
    ),
  },
  {
    id: 'mysql',
    name: 'MySQL / MariaDB',
    ports: [3306],
    process: /^(?:mysqld|mariadbd)\b/,
    level: 'medium',
    why: t(
      'Weak MySQL passwords are brute-forced to load UDFs that run miners.',
      'MySQL 弱口令被爆破后，攻击者加载 UDF 运行挖矿程序。',
    ),
    command:
      "printf '[mysqld]\\nbind-address = 127.0.0.1\\n' > /etc/mysql/conf.d/zz-bind.cnf && systemctl restart mysql mariadb 2>/dev/null",
    fixText: t('Bind to 127.0.0.1 unless remote clients need it.', '若无远程客户端需要，绑定到 127.0.0.1。'),
  },
  {
    id: 'mongodb',
    name: 'MongoDB',
    ports: [27017],
    process: /^mongod\b/,
    level: 'high',
    why: t(
      'MongoDB without authorisation is wiped or abused within hours of exposure.',
      '未启用授权的 MongoDB 暴露后数小时内就会被清空或滥用。',
    ),
    command:
      "printf 'security:\\n  authorization: enabled\\nnet:\\n  bindIp: 127.0.0.1\\n' >> /etc/mongod.conf && systemctl restart mongod",
    fixText: t('Enable authorisation and bind to loopback.', '启用授权并绑定回环地址。'),
  },
  {
    id: 'memcached',
    name: 'memcached',
    ports: [11211],
    process: /^memcached\b/,
    level: 'high',
    why: t(
      'Open memcached leaks data and amplifies DDoS.',
      '开放的 memcached 会泄露数据并被用于 DDoS 放大。',
    ),
    command:
      "sed -i 's/^-l .*/-l 127.0.0.1/; s/^#\\?-U .*/-U 0/' /etc/memcached.conf && systemctl restart memcached",
    fixText: t('Listen on 127.0.0.1 and disable UDP (-U 0).', '只监听 127.0.0.1 并关闭 UDP（-U 0）。'),
  },
];

function matches(spec: ServiceSpec, s: SocketInfo, byPid: Map<number, ProcessInfo>): boolean {
  if (spec.process) {
    const owners = s.pids.map((pid) => byPid.get(pid)).filter((p): p is ProcessInfo => p !== undefined);
    if (owners.some((p) => spec.process!.test(p.comm) || spec.process!.test(p.argv.join(' ')))) return true;
    // A default port held by a process we recognise as something else is not this service.
    if (owners.length > 0) return false;
  }
  return spec.ports.includes(s.localPort);
}

function firewalled(snapshot: Snapshot, s: SocketInfo): boolean {
  const fw = snapshot.audit?.firewall;
  if (!fw) return false;
  const { model } = buildModel(fw);
  const family = s.protocol.endsWith('6') && !/^::ffff:/i.test(s.localAddress) ? 'ip6' : 'ip';
  return evaluateProbe(model, {
    direction: 'in',
    family,
    proto: s.protocol.startsWith('tcp') ? 'tcp' : 'udp',
    dport: s.localPort,
  }).blocked;
}

/** The listening sockets that belong to a service (on any address). */
export function serviceSockets(snapshot: Snapshot, id: string): SocketInfo[] {
  const spec = SERVICES.find((s) => s.id === id);
  if (!spec) return [];
  const byPid = new Map((snapshot.processes ?? []).map((p) => [p.pid, p]));
  return (snapshot.sockets ?? []).filter(
    (s) => s.protocol.startsWith('tcp') && s.state === 'LISTEN' && matches(spec, s, byPid),
  );
}

function serviceCheck(spec: ServiceSpec): AuditCheck {
  return {
    id: `exposed-${spec.id}`,
    area: 'services',
    level: spec.level,
    title: t(`${spec.name} is not reachable from the network`, `${spec.name} 未暴露到网络`),
    description: t(
      `Fails when ${spec.name} (${spec.ports.length ? `port ${spec.ports.join('/')}` : 'recognised by its process'}${spec.ports.length && spec.process ? ', or its process on any port' : ''}) listens on an address other than loopback and the firewall does not drop new connections to it. ${spec.why.en}`,
      `当 ${spec.name}（${spec.ports.length ? `端口 ${spec.ports.join('/')}` : '按进程识别'}${spec.ports.length && spec.process ? '，或其进程监听的任意端口' : ''}）在回环以外的地址上监听、且防火墙未丢弃到它的新连接时判为不通过。${spec.why['zh-CN']}`,
    ),
    fix: { command: spec.command, text: spec.fixText },
    tags: ['attack.t1190'],
    needs: ['sockets'],
    run(snapshot) {
      const all = serviceSockets(snapshot, spec.id);
      const exposed = all.filter((s) => reachableFromNetwork(s));
      const open = exposed.filter((s) => !firewalled(snapshot, s));
      if (all.length === 0) return absent(`${spec.name} is not listening.`, `${spec.name} 未在监听。`);
      if (open.length === 0) {
        const note = exposed.length
          ? t(
              `listens on ${listSome(exposed.map(endpoint))} but the firewall drops new connections`,
              `监听 ${listSome(exposed.map(endpoint))}，但防火墙会丢弃新连接`,
            )
          : t(
              `listens on loopback only (${listSome(all.map(endpoint))})`,
              `只监听回环地址（${listSome(all.map(endpoint))}）`,
            );
        return pass(
          `${spec.name} ${note.en}.`,
          `${spec.name} ${note['zh-CN']}。`,
          all.map((s) => socketEvidence(s)),
        );
      }
      return fail(
        `${spec.name} listens on ${listSome(open.map(endpoint))} and no firewall rule drops it.`,
        `${spec.name} 监听 ${listSome(open.map(endpoint))}，且没有防火墙规则拦截。`,
        open.map((s) => socketEvidence(s, spec.name)),
      );
    },
  };
}

export const serviceChecks: AuditCheck[] = SERVICES.map(serviceCheck);
