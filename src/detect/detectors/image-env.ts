// Detector: an image's environment (config Env) that holds miner settings: pool URLs, pool host
// names, wallet addresses, miner options such as --donate-level, or variables named after them
// (DONATE_LEVEL=1, ALGO=rx/0), which miner images use to configure the miner they start.
import type { Ruleset } from '../../iocs/types.js';
import type { Localized } from '../../model/finding.js';
import type { Image } from '../../snapshot/image.js';
import { carriesFact, imageEvidence, imageFacts, imageFingerprint, imageSubject } from '../image.js';
import type { Detector, Hit } from '../types.js';
import { t, uniqueBy } from '../util.js';
import { argvSignals, judgeSignals, type Signal as ArgSignal } from './miner-command-line.js';

/**
 * The option a variable's name spells (`DONATE_LEVEL` → `--donate-level`), also without its first
 * segment (`XMRIG_DONATE_LEVEL` → `--donate-level`): only names that are miner options match, and
 * generic ones (`--cuda`, `--coin`) are weak, so two of them are needed, as on a command line.
 */
function nameOptions(name: string): string[] {
  const kebab = name.toLowerCase().replace(/_/g, '-');
  const cut = kebab.indexOf('-');
  return cut > 0 ? [`--${kebab}`, `--${kebab.slice(cut + 1)}`] : [`--${kebab}`];
}

/** The indicators of one `NAME=value`, read as the words of a command line. */
function envSignals(entry: string, ruleset: Ruleset): ArgSignal[] {
  const eq = entry.indexOf('=');
  const name = eq < 0 ? entry : entry.slice(0, eq);
  const value = eq < 0 ? '' : entry.slice(eq + 1);
  const words = value.split(/\s+/).filter(Boolean);
  const spelled = value === '' ? [] : nameOptions(name).flatMap((o) => [o, value]);
  return argvSignals(['', ...words, ...spelled], ruleset).map((s) => {
    if (s.evidence.type !== 'match') return s;
    // A signal from the spelled option shows the variable as the image has it, not `--donate-level`.
    const index = Number(/^argv\[(\d+)\]/.exec(s.evidence.field)?.[1] ?? 0);
    const fromName = index > words.length;
    const shown = `${name}=${value}`;
    return {
      ...s,
      ...(fromName ? { label: t(shown, shown) } : {}),
      evidence: { ...s.evidence, field: `env ${name}`, ...(fromName ? { value: shown } : {}) },
    };
  });
}

function listed(signals: ArgSignal[]): Localized {
  const shown = signals.slice(0, 3).map((s) => s.label);
  const more = signals.length - shown.length;
  return t(
    shown.map((l) => l.en).join(', ') + (more > 0 ? ` and ${more} more` : ''),
    shown.map((l) => l['zh-CN']).join('，') + (more > 0 ? `，另有 ${more} 项` : ''),
  );
}

function envHit(img: Image, ruleset: Ruleset): Hit | undefined {
  // Judged over the whole environment: POOL in one variable and WALLET in another make one miner.
  const signals = uniqueBy(
    img.config.env.flatMap((e) => envSignals(e, ruleset)),
    (s) => s.key,
  );
  const judged = judgeSignals(signals);
  if (!judged) return undefined;
  const names = [
    ...new Set(judged.ordered.map((s) => (s.evidence.type === 'match' ? s.evidence.field : ''))),
  ];
  return {
    subject: imageSubject(img),
    level: judged.level,
    // The environment is configuration the miner reads when the container starts.
    basis: 'config',
    messageId: 'minerSettings',
    data: {
      ...imageFacts(img),
      settings: listed(judged.ordered),
      variables: names.map((n) => n.replace(/^env /, '')).join(', '),
      ...carriesFact('open-source-miner'),
    },
    evidence: [imageEvidence(img), ...judged.ordered.map((s) => s.evidence)],
    remediate: [],
    fingerprint: imageFingerprint(img),
  };
}

export const imageEnv: Detector = {
  id: 'image-env',
  kind: 'container-image',
  category: 'miner',
  level: 'high',
  title: t('Container image environment configures a miner', '容器镜像的环境变量配置了矿机'),
  description: t(
    "Reads the image config's Env (NAME=value) for miner settings, with the recogniser miner-command-line applies to a command line: pool URLs (stratum+tcp:// and its variants), pool host names, wallet addresses (checksums verified), options only miners take (--donate-level, --randomx-mode …) and algorithm names. A variable's name counts as the option it spells — DONATE_LEVEL=1 as --donate-level 1, ALGO=rx/0 as --algo rx/0, also with a prefix such as XMRIG_ — since miner images pass their settings that way. The environment is judged as a whole (the pool in one variable, the wallet in another): one strong indicator or two weak ones; high when one is specific to miners, medium otherwise. Ordinary variables (PATH, versions, locale, CUDA_VERSION) never match.",
    '读取镜像配置中的 Env（NAME=value），用 miner-command-line 识别命令行的同一套逻辑查找矿机设置：矿池 URL（stratum+tcp:// 及其变体）、矿池主机名、钱包地址（校验和已验证）、只有矿机才用的选项（--donate-level、--randomx-mode 等）和算法名。变量名按其拼出的选项计算——DONATE_LEVEL=1 视为 --donate-level 1，ALGO=rx/0 视为 --algo rx/0，带 XMRIG_ 之类前缀时同样如此——因为矿机镜像常这样传递设置。整个环境作为整体判断（矿池在一个变量中、钱包在另一个变量中）：一个强指标或两个弱指标即命中；含矿机专用指标时为高危，否则为中危。普通变量（PATH、版本号、语言区域、CUDA_VERSION）不会命中。',
  ),
  tags: ['attack.t1496', 'attack.t1525', 'attack.t1610'],
  needs: ['image'],
  verify: t(
    "`docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' <image>` (or `podman image inspect`) lists the variables; compare the pool and wallet with the evidence.",
    "`docker image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' <镜像>`（或 `podman image inspect`）列出环境变量；将其中的矿池和钱包与证据对照。",
  ),
  remediation: t(
    'Nothing is changed on the scanning host. Stop and remove the containers of the image and delete the image (see the container-image playbook); block the pool hosts and report the wallet to the pool operator.',
    '不会修改执行扫描的主机。停止并删除该镜像的容器并删除镜像（见容器镜像应对手册）；封禁矿池主机，并将钱包地址报告给矿池运营方。',
  ),
  messages: {
    minerSettings: t(
      '{image} sets miner settings in its environment ({variables}): {settings}',
      '{image} 在环境变量（{variables}）中设置了矿机参数：{settings}',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    for (const img of snapshot.image?.images ?? []) {
      const h = envHit(img, ruleset);
      if (h) hits.push(h);
    }
    return hits;
  },
};
