// Detector: build steps (`history[].created_by`) that download code and run it — piped into a shell,
// or saved, made executable and started — and files added from a URL that a later step or the
// entrypoint runs. A common shortcut in honest Dockerfiles as well as how miner images are made, so
// medium on its own and high only when the download itself looks like a dropper's.
import type { Ruleset } from '../../iocs/types.js';
import type { Level, Localized } from '../../model/finding.js';
import type { Image, ImageHistoryStep } from '../../snapshot/image.js';
import { downloadExec, executedPaths, oddProgramPath } from '../../shell/command.js';
import {
  imageFacts,
  imageFingerprint,
  imageStepEvidence,
  imageSubject,
  parseBuildStep,
  startArgv,
  startShellText,
} from '../image.js';
import { parseIp } from '../net.js';
import type { Detector, Hit } from '../types.js';
import { basename, matchDomain, t } from '../util.js';

/** Host of an http(s)/ftp URL, without credentials and port. */
function urlHost(url: string): string | undefined {
  const m = /^[a-z]+:\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^/:?#]+)/i.exec(url);
  return m?.[1]?.replace(/^\[|\]$/g, '');
}

/**
 * Why a download-and-run step is more than the installer shortcut many Dockerfiles take (a vendor's
 * `https://…/setup` piped into bash), or undefined when nothing sets it apart. Vendors publish their
 * installers under a name over TLS; droppers fetch from bare addresses, pool hosts and odd places.
 */
function dropperSign(
  url: string | undefined,
  savedTo: string | undefined,
  ruleset: Ruleset,
): Localized | undefined {
  const host = url ? urlHost(url) : undefined;
  if (host && parseIp(host))
    return t(`it fetches from a bare IP address (${host})`, `从裸 IP 地址（${host}）下载`);
  if (host && matchDomain(host, ruleset.poolDomains))
    return t(`it fetches from a mining-pool host (${host})`, `从矿池主机（${host}）下载`);
  const odd = savedTo ? oddProgramPath(savedTo) : undefined;
  if (odd) return t(`it saves the download to ${odd.why.en}`, `把下载内容保存到${odd.why['zh-CN']}`);
  return undefined;
}

const INSTALLER = t(
  'the shortcut many vendor installers take; review what that URL served when the image was built',
  '许多厂商安装脚本采用的捷径；请核查构建镜像时该 URL 提供的内容',
);

function stepHit(
  img: Image,
  step: ImageHistoryStep,
  level: Level,
  messageId: string,
  data: Hit['data'],
  value: string,
): Hit {
  return {
    subject: imageSubject(img),
    level,
    // The build recipe is the image's configuration (a Dockerfile counts as one in content-weight):
    // the step ran once on a builder; what it left behind is in the layer the content scan reads.
    basis: 'config',
    messageId,
    data: {
      ...imageFacts(img),
      step: step.index,
      ...(step.layer !== undefined ? { layer: step.layer } : {}),
      ...data,
    },
    evidence: [
      imageStepEvidence(img, step),
      { type: 'match', field: `history[${step.index}]`, value, ioc: 'download and run' },
    ],
    remediate: [],
    fingerprint: imageFingerprint(img),
  };
}

/** A RUN step that downloads and runs in one command. */
function downloadRunHit(img: Image, step: ImageHistoryStep, text: string, ruleset: Ruleset): Hit | undefined {
  const dl = downloadExec(text);
  if (!dl) return undefined;
  const sign = dropperSign(dl.url, dl.savedTo, ruleset);
  return stepHit(
    img,
    step,
    sign ? 'high' : 'medium',
    dl.how === 'pipe' ? 'pipesToInterpreter' : 'savesAndRuns',
    {
      url: dl.url ?? '?',
      downloader: dl.downloader,
      ...(dl.how === 'file' ? { savedTo: dl.savedTo ?? '?' } : {}),
      why: sign ?? INSTALLER,
    },
    dl.url ?? text,
  );
}

/**
 * `ADD <url> <dest>` (BuildKit records the URL) followed by a step, or the start command, that runs
 * the added file: the download and the run are split over two instructions.
 */
function addedThenRunHits(img: Image, ruleset: Ruleset): Hit[] {
  const hits: Hit[] = [];
  const steps = img.history.map((h) => ({ step: h, parsed: parseBuildStep(h.createdBy) }));
  steps.forEach(({ step, parsed }, i) => {
    if (parsed.instruction !== 'ADD') return;
    const words = parsed.text.split(/\s+/).filter((w) => !w.startsWith('--'));
    const url = words.find((w) => /^(?:https?|ftp):\/\//i.test(w));
    const dest = words[words.length - 1];
    if (!url || !dest || dest === url) return;
    const target = dest.endsWith('/') ? `${dest}${basename(url.replace(/[?#].*$/, ''))}` : dest;
    const later = steps.slice(i + 1).filter((s) => s.parsed.instruction === 'RUN');
    const runner = later.find((s) => executedPaths(s.parsed.text).includes(target));
    const atStart = executedPaths(startShellText(startArgv(img))).includes(target);
    if (!runner && !atStart) return;
    const sign = dropperSign(url, target, ruleset);
    const by = runner
      ? t(`build step ${runner.step.index}`, `构建步骤 ${runner.step.index}`)
      : t('the entrypoint', 'entrypoint');
    hits.push(
      stepHit(
        img,
        step,
        sign ? 'high' : 'medium',
        'addedThenRun',
        { url, path: target, runner: by, why: sign ?? INSTALLER },
        url,
      ),
    );
  });
  return hits;
}

export const imageBuildStep: Detector = {
  id: 'image-build-step',
  kind: 'container-image',
  category: 'miner',
  level: 'medium',
  title: t('Container image build step downloads and runs code', '容器镜像的构建步骤下载并执行代码'),
  description: t(
    "Reads the image's build history (history[].created_by in the forms docker, BuildKit and buildah write) and flags a RUN step that fetches something with curl, wget or similar and runs it — piped into a shell or interpreter, or saved to a file the same step then executes — with the recogniser persistence-download-exec uses for cron lines and units, and an ADD of a URL whose file a later RUN step or the entrypoint runs. Vendors' installers are often run this way, so such a step is medium on its own: the layer it produced holds whatever the URL served that day, and the content scan of that layer tells what it was. It is high when the download looks like a dropper's: a bare IP address, a mining-pool host, or a file saved to /tmp, /dev/shm or a hidden directory. With other signals on the same image (a miner file in the layer, miner arguments at start) the image's finding rises.",
    '读取镜像的构建历史（docker、BuildKit、buildah 写入的 history[].created_by），用 persistence-download-exec 识别 cron 行和单元的同一套逻辑，标记用 curl、wget 等获取内容并执行的 RUN 步骤——通过管道交给 shell 或解释器，或保存为文件后由同一步骤执行——以及 ADD 一个 URL、其文件随后被 RUN 步骤或 entrypoint 运行的情况。厂商的安装脚本常以这种方式运行，因此单独出现时为中危：该步骤产生的层保存着当天 URL 提供的内容，对该层的内容扫描会说明那是什么。下载看起来像投放器时为高危：裸 IP 地址、矿池主机，或保存到 /tmp、/dev/shm 或隐藏目录。同一镜像上还有其他信号（层中有矿机文件、启动时带挖矿参数）时，该镜像的发现级别会升高。',
  ),
  tags: ['attack.t1525', 'attack.t1105', 'attack.t1059.004'],
  needs: ['image'],
  verify: t(
    '`docker history --no-trunc <image>` (or `podman history --no-trunc`) shows the step in full; fetch its URL only from an isolated analysis machine and compare it with the file the step left in its layer (extract the layer named in the evidence with tar, as for image-content).',
    '`docker history --no-trunc <镜像>`（或 `podman history --no-trunc`）显示完整步骤；只在隔离的分析机上获取其中的 URL，并与该步骤留在层中的文件对照（按 image-content 的方法用 tar 取出证据中给出的层）。',
  ),
  remediation: t(
    'Nothing is changed on the scanning host. Rebuild the image from a Dockerfile that fetches pinned, checksummed artifacts instead of running what a URL serves, or from a trusted base; if the download was a dropper, treat every container of the image as compromised (see the container-image playbook).',
    '不会修改执行扫描的主机。改用固定版本并校验哈希的构件、而不是直接运行 URL 提供内容的 Dockerfile 重新构建镜像，或改用可信的基础镜像；如果下载的是投放器，则应将该镜像的所有容器视为已被入侵（见容器镜像应对手册）。',
  ),
  messages: {
    pipesToInterpreter: t(
      '{image}: build step {step} downloads {url} with {downloader} and pipes it into an interpreter — {why}',
      '{image}：构建步骤 {step} 用 {downloader} 下载 {url} 并通过管道交给解释器执行——{why}',
    ),
    savesAndRuns: t(
      '{image}: build step {step} downloads {url} with {downloader} to {savedTo} and runs it — {why}',
      '{image}：构建步骤 {step} 用 {downloader} 把 {url} 下载到 {savedTo} 并执行——{why}',
    ),
    addedThenRun: t(
      '{image}: build step {step} adds {url} as {path}, which {runner} runs — {why}',
      '{image}：构建步骤 {step} 把 {url} 添加为 {path}，随后由{runner}运行——{why}',
    ),
  },
  detect(snapshot, ruleset) {
    const hits: Hit[] = [];
    for (const img of snapshot.image?.images ?? []) {
      for (const step of img.history) {
        const parsed = parseBuildStep(step.createdBy);
        if (parsed.instruction !== 'RUN') continue;
        const h = downloadRunHit(img, step, parsed.text, ruleset);
        if (h) hits.push(h);
      }
      hits.push(...addedThenRunHits(img, ruleset));
    }
    return hits;
  },
};
