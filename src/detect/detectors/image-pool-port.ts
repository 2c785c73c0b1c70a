// Detector: an image that exposes a port mining pools and pool proxies listen on (iocs/pool-ports.yml,
// as pool-connection reads it), counted only beside another sign of mining in the same image: those
// ports are also Selenium's (4444), Flower's (5555) and many dev servers', so alone they say nothing.
import type { PoolPortEntry, Ruleset } from '../../iocs/types.js';
import type { Evidence } from '../../model/finding.js';
import type { Image } from '../../snapshot/image.js';
import { weighFile } from '../content-weight.js';
import { imageEvidence, imageFacts, imageFingerprint, imageSubject, startArgv } from '../image.js';
import type { Detector, Hit } from '../types.js';
import { iocRef, t } from '../util.js';
import { strongest } from './content-match.js';
import { argvSignals, judgeSignals } from './miner-command-line.js';

/** `3333/tcp` → 3333; UDP ports are not what stratum uses. */
function tcpPort(spec: string): number | undefined {
  const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/i.exec(spec.trim());
  if (!m?.[1] || (m[2] && m[2].toLowerCase() !== 'tcp')) return undefined;
  return Number(m[1]);
}

/**
 * Whether the image shows mining elsewhere: a file whose match is more than a mention, or miner
 * indicators in its start command or environment (read as image-entrypoint and image-env read them).
 * A weak signal needs a second one, as weak command-line indicators do in miner-command-line.
 */
function minesOtherwise(img: Image, ruleset: Ruleset): boolean {
  const file = img.files.some((f) => {
    const weight = weighFile(f);
    return strongest(f.matches) !== undefined && weight.basis !== 'mention' && !weight.inert;
  });
  if (file) return true;
  const envWords = img.config.env.flatMap((e) => e.slice(e.indexOf('=') + 1).split(/\s+/));
  return judgeSignals(argvSignals(['', ...startArgv(img), ...envWords], ruleset)) !== undefined;
}

export const imagePoolPort: Detector = {
  id: 'image-pool-port',
  kind: 'container-image',
  category: 'miner',
  level: 'low',
  title: t('Container image exposes a mining-pool port', '容器镜像开放矿池端口'),
  description: t(
    "Reads the image config's ExposedPorts for TCP ports mining pools and pool proxies listen on (iocs/pool-ports.yml, the list pool-connection uses: 3333, 4444, 5555, 7777, 14444 …). An image that exposes one may be a pool proxy or a stratum relay that other miners connect to. The same ports are the defaults of ordinary software (Selenium Grid on 4444, Celery Flower on 5555, development servers), so a port is reported only when the same image shows mining in another way — a file matching a miner rule, or miner indicators in its start command or environment — and then at low level, adding one more independent signal to the image's finding.",
    '读取镜像配置中的 ExposedPorts，查找矿池和矿池代理监听的 TCP 端口（iocs/pool-ports.yml，与 pool-connection 使用同一列表：3333、4444、5555、7777、14444 等）。开放此类端口的镜像可能是供其他矿机连接的矿池代理或 stratum 中继。这些端口也是普通软件的默认端口（Selenium Grid 的 4444、Celery Flower 的 5555、各种开发服务器），因此只有当同一镜像还以其他方式显示挖矿迹象——有文件命中挖矿规则，或启动命令、环境变量中有挖矿指标——时才报告，级别为低，作为该镜像发现的又一个独立信号。',
  ),
  tags: ['attack.t1496', 'attack.t1610'],
  needs: ['image'],
  verify: t(
    "`docker image inspect --format '{{json .Config.ExposedPorts}}' <image>` lists the ports; on a host running the image, `ss -ltnp` shows whether a container listens there and which program does.",
    "`docker image inspect --format '{{json .Config.ExposedPorts}}' <镜像>` 列出端口；在运行该镜像的主机上，`ss -ltnp` 显示容器是否在该端口监听以及由哪个程序监听。",
  ),
  remediation: t(
    'Nothing is changed on the scanning host. Handle the image as its other signals say (see the container-image playbook), and block the port between your containers and the internet if a pool proxy ran.',
    '不会修改执行扫描的主机。按该镜像的其他信号处理（见容器镜像应对手册）；如果曾运行矿池代理，在容器与互联网之间封禁该端口。',
  ),
  messages: {
    poolPorts: t(
      '{image} exposes {ports}, port(s) mining pools and pool proxies listen on',
      '{image} 开放了 {ports}，这是矿池和矿池代理监听的端口',
    ),
  },
  detect(snapshot, ruleset) {
    const known = new Map<number, PoolPortEntry>(ruleset.poolPorts.map((p) => [p.port, p]));
    const hits: Hit[] = [];
    for (const img of snapshot.image?.images ?? []) {
      const found = img.config.exposedPorts.flatMap((spec) => {
        const port = tcpPort(spec);
        const entry = port === undefined ? undefined : known.get(port);
        return entry ? [{ spec, entry }] : [];
      });
      if (found.length === 0 || !minesOtherwise(img, ruleset)) continue;
      const evidence: Evidence[] = found.map(({ spec, entry }) => ({
        type: 'match',
        field: 'config ExposedPorts',
        value: spec,
        ioc: iocRef(entry),
      }));
      hits.push({
        subject: imageSubject(img),
        basis: 'config',
        messageId: 'poolPorts',
        data: { ...imageFacts(img), ports: found.map((f) => f.spec).join(', ') },
        evidence: [imageEvidence(img), ...evidence],
        remediate: [],
        fingerprint: imageFingerprint(img),
      });
    }
    return hits;
  },
};
