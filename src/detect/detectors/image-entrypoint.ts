// Detector: what a container of the image starts — the entrypoint and cmd, and the start scripts they
// run — read with the host's command-line recognisers: miner arguments (miner-command-line), a
// download that is run (persistence-download-exec's downloadExec), a program in an odd place.
import type { Evidence, Level, Localized } from '../../model/finding.js';
import type { MessageData } from '../../model/localized.js';
import type { Image } from '../../snapshot/image.js';
import type { Ruleset } from '../../iocs/types.js';
import { downloadExec, executedPaths, oddProgramPath, splitCommands } from '../../shell/command.js';
import {
  carriesFact,
  imageEvidence,
  imageFacts,
  imageFingerprint,
  imageSubject,
  startArgv,
  startShellText,
  startSource,
} from '../image.js';
import type { Detector, Hit } from '../types.js';
import { t, uniqueBy } from '../util.js';
import { argvSignals, judgeSignals, type Signal as ArgSignal } from './miner-command-line.js';

/** What a container runs at start: the config's command, or one start script. */
interface StartText {
  /** How a reader names it: "its entrypoint and cmd", "start script /docker-entrypoint.sh". */
  source: Localized;
  /** Evidence field prefix: `config` or the script's path. */
  field: string;
  /** Each simple command as words, for the miner-argument recogniser. */
  commands: string[][];
  /** The shell text, for the download-and-run and program recognisers. */
  text: string;
}

function startTexts(img: Image): StartText[] {
  const argv = startArgv(img);
  const out: StartText[] = [];
  if (argv.length > 0) {
    const text = startShellText(argv);
    // The exec form is one command already; `sh -c '…'` holds several.
    const inner = splitCommands(text).map((c) => c.words);
    out.push({ source: startSource(img), field: 'config', commands: [argv, ...inner], text });
  }
  for (const s of img.startScripts)
    out.push({
      source: t(`start script ${s.path}`, `启动脚本 ${s.path}`),
      field: s.path,
      commands: splitCommands(s.text).map((c) => c.words),
      text: s.text,
    });
  return out;
}

/**
 * The miner indicators of a start text, over all its commands: a start script sets the wallet in one
 * line and starts the miner with it in the next, so the script is judged as a whole, the way the host
 * judges one process's command line. Each command's first word is kept (`argvSignals` skips argv[0]).
 */
function startSignals(st: StartText, ruleset: Ruleset): ArgSignal[] {
  const all = st.commands.flatMap((words) =>
    argvSignals(['', ...words], ruleset).map((s) => ({
      ...s,
      evidence:
        s.evidence.type === 'match' ? { ...s.evidence, field: `${st.field}: ${words[0] ?? ''}` } : s.evidence,
    })),
  );
  return uniqueBy(all, (s) => s.key);
}

function listed(signals: ArgSignal[]): Localized {
  const shown = signals.slice(0, 3).map((s) => s.label);
  const more = signals.length - shown.length;
  const en = shown.map((l) => l.en).join(', ') + (more > 0 ? ` and ${more} more` : '');
  const zh = shown.map((l) => l['zh-CN']).join('，') + (more > 0 ? `，另有 ${more} 项` : '');
  return t(en, zh);
}

function hit(img: Image, level: Level, messageId: string, data: MessageData, evidence: Evidence[]): Hit {
  return {
    subject: imageSubject(img),
    level,
    // Whatever the entrypoint starts runs in every container of the image: an autostart place.
    basis: 'autostart',
    messageId,
    data: { ...imageFacts(img), ...data },
    evidence: [imageEvidence(img), ...evidence],
    remediate: [],
    fingerprint: imageFingerprint(img),
  };
}

function textHits(img: Image, st: StartText, ruleset: Ruleset): Hit[] {
  const hits: Hit[] = [];
  const judged = judgeSignals(startSignals(st, ruleset));
  if (judged)
    hits.push(
      hit(
        img,
        judged.level,
        'minerArguments',
        { source: st.source, arguments: listed(judged.ordered), ...carriesFact('open-source-miner') },
        judged.ordered.map((s) => s.evidence),
      ),
    );
  const dl = downloadExec(st.text);
  if (dl) {
    // A container that fetches its payload each time it starts ships a clean-looking image: high.
    const url = dl.url ?? '?';
    hits.push(
      hit(
        img,
        'high',
        'downloadsAtStart',
        { source: st.source, url, downloader: dl.downloader, ...(dl.savedTo ? { savedTo: dl.savedTo } : {}) },
        [{ type: 'match', field: st.field, value: url, ioc: `download and run: ${dl.downloader} ${url}` }],
      ),
    );
  }
  for (const program of executedPaths(st.text)) {
    const odd = oddProgramPath(program);
    if (!odd) continue;
    hits.push(
      hit(img, odd.level, 'oddProgram', { source: st.source, program, why: odd.why }, [
        { type: 'match', field: st.field, value: program, ioc: odd.why.en },
      ]),
    );
  }
  return hits;
}

export const imageEntrypoint: Detector = {
  id: 'image-entrypoint',
  kind: 'container-image',
  category: 'miner',
  level: 'high',
  title: t('Container image starts a miner', '容器镜像启动挖矿程序'),
  description: t(
    "Reads what every container of the image starts — the config's Entrypoint with its Cmd appended (or the Cmd alone), the body of a `sh -c` command, and the start scripts they run as the image reader read them from the final filesystem — with the same recognisers the host scan applies to a process's command line and to persistence entries: miner arguments (pool URLs, options only miners take such as --donate-level, algorithm names, pool host names, wallet addresses; one strong indicator or two weak ones, high when one is specific to miners, as in miner-command-line), a command that downloads code and runs it (high: the image looks clean and fetches its payload at start), and a program started from /tmp, /dev/shm or a hidden directory (as in persistence-odd-path). A start script is judged as a whole, since it may set the wallet in one line and start the miner with it in the next. The evidence names the image and the config field or script.",
    '读取镜像每个容器启动时运行的内容——配置中的 Entrypoint 加上其后的 Cmd（或单独的 Cmd）、`sh -c` 命令的内容，以及它们运行的启动脚本（由镜像读取器从最终文件系统中读出）——使用主机扫描对进程命令行和持久化项所用的同一套识别逻辑：挖矿参数（矿池 URL、只有矿机才用的选项如 --donate-level、算法名、矿池主机名、钱包地址；与 miner-command-line 相同，一个强指标或两个弱指标即命中，含矿机专用指标时为高危）、下载并执行代码的命令（高危：镜像看似干净，启动时才拉取载荷），以及从 /tmp、/dev/shm 或隐藏目录启动的程序（与 persistence-odd-path 相同）。启动脚本作为整体判断，因为它可能在一行中设置钱包、在下一行用它启动矿机。证据给出镜像以及配置字段或脚本。',
  ),
  tags: ['attack.t1610', 'attack.t1525', 'attack.t1496', 'attack.t1105'],
  needs: ['image'],
  verify: t(
    "`docker image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' <image>` (or `podman image inspect`) shows the start command; read a start script on an analysis machine with `docker create --name x <image> && docker cp x:<path> - | tar -xO; docker rm x`, which copies it out without running the image.",
    "`docker image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' <镜像>`（或 `podman image inspect`）显示启动命令；在分析机上用 `docker create --name x <镜像> && docker cp x:<路径> - | tar -xO; docker rm x` 读取启动脚本，只复制文件而不运行镜像。",
  ),
  remediation: t(
    'Nothing is changed on the scanning host. Stop and remove the containers of the image and delete the image (see the container-image playbook); block the pool hosts and download URLs the evidence names, and report the wallet to the pool operator.',
    '不会修改执行扫描的主机。停止并删除该镜像的容器并删除镜像（见容器镜像应对手册）；封禁证据中的矿池主机和下载地址，并将钱包地址报告给矿池运营方。',
  ),
  messages: {
    minerArguments: t(
      '{image} starts a miner: miner arguments in {source}: {arguments}',
      '{image} 会启动矿机：{source}中带有挖矿参数 {arguments}',
    ),
    downloadsAtStart: t(
      '{image} downloads {url} with {downloader} and runs it each time a container starts ({source})',
      '{image} 在每次容器启动时用 {downloader} 下载 {url} 并执行（{source}）',
    ),
    oddProgram: t(
      '{image} starts {program} from {why} ({source})',
      '{image} 从{why}启动 {program}（{source}）',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    for (const img of snapshot.image?.images ?? [])
      for (const st of startTexts(img)) hits.push(...textHits(img, st, ruleset));
    return hits;
  },
};
