// Detector: files in a container image's layers that match a miner YARA rule, weighed the way the
// host's content-match weighs a file (content-weight.ts), named by image, layer and build step. A
// file a later layer deleted is still reported: anyone who pulls the image pulls that layer.
import { levelRank, type Basis, type Evidence, type Level } from '../../model/finding.js';
import type { MessageData } from '../../model/localized.js';
import type { Image, ImageFile } from '../../snapshot/image.js';
import { cappedLevel, weighFile } from '../content-weight.js';
import {
  carriesFact,
  imageFacts,
  imageFileEvidence,
  imageFingerprint,
  imageSubject,
  layerRef,
  lowerLevel,
  startedPaths,
} from '../image.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';
import { matchEvidence, matchFacts, ruleName, strongest } from './content-match.js';

/** Files reported one by one per image; the rest are counted in one more hit, so a report stays readable. */
const MAX_FILES = 12;
/** Matches listed in evidence per file, as content-match lists them. */
const MAX_LISTED = 8;
/** Refused decodings listed per file. */
const MAX_BOMBS = 4;

interface Weighed {
  file: ImageFile;
  level: Level;
  basis: Basis;
  hit: Hit;
}

/** One file's hit: its level and basis from what it is, whether the container starts it, and whether it is still there. */
function weighImageFile(img: Image, file: ImageFile, started: Set<string>): Weighed | undefined {
  const best = strongest(file.matches);
  if (!best) return undefined;
  const weight = weighFile(file);
  const runs = file.inFinal && started.has(file.path) && !weight.inert;
  let level: Level;
  let basis: Basis;
  let messageId: string;
  if (runs) {
    // The container starts it: a program in an autostart place, which keeps the rule's own level.
    [level, basis, messageId] = [best.level, 'autostart', 'started'];
  } else if (file.inFinal) {
    [level, basis] = [cappedLevel(best.level, weight), weight.basis];
    messageId = weight.reason ? 'fileWeighed' : 'file';
  } else {
    // Only inside a layer blob: nothing in the container can read or run it, but every host that
    // pulled the image holds it and an unpacking tool brings it back. One level lower, and a
    // `mention` basis because it is data in an archive, not a file of the running system.
    [level, basis, messageId] = [lowerLevel(cappedLevel(best.level, weight)), 'mention', 'historyOnly'];
  }
  const layer = layerRef(img, file.layer);
  const data: MessageData = {
    ...imageFacts(img),
    path: file.path,
    layer: file.layer,
    ...(layer ? { layerDigest: layer.digest } : {}),
    inFinal: file.inFinal ? 'yes' : 'no',
    ...(file.inFinal ? {} : { removedBy: file.removedBy ?? '?' }),
    ...(file.sha256 ? { sha256: file.sha256 } : {}),
    ...matchFacts(file.matches, best),
    ...(weight.reason ? { reason: weight.reason } : {}),
    // A mention or security material says nothing about what the image carries.
    ...(weight.basis === 'mention' || weight.inert ? {} : carriesFact(best.kind)),
  };
  const hit: Hit = {
    subject: imageSubject(img),
    level,
    basis,
    messageId,
    data,
    evidence: [
      imageFileEvidence(img, file),
      ...file.matches.slice(0, MAX_LISTED).map((m) => matchEvidence(m, 'file')),
      // What the web normaliser refused to decode (a bomb): the payload behind it was not read.
      ...(file.web?.bombs ?? [])
        .slice(0, MAX_BOMBS)
        .map((b): Evidence => ({ type: 'match', field: 'decoding refused', value: b })),
    ],
    // Nothing to do on this host: the playbook tells a person what to do with the image.
    remediate: [],
    fingerprint: imageFingerprint(img),
  };
  return { file, level, basis, hit };
}

/** The files past MAX_FILES, counted in one hit at the level of the strongest of them. */
function moreFilesHit(img: Image, rest: Weighed[]): Hit {
  const rules = [...new Set(rest.flatMap((w) => w.file.matches.map(ruleName)))].sort();
  const shown = rules.slice(0, 5).join(', ') + (rules.length > 5 ? ` (+${rules.length - 5})` : '');
  const top = rest[0]!;
  return {
    subject: imageSubject(img),
    level: top.level,
    basis: top.basis,
    messageId: 'moreFiles',
    data: { ...imageFacts(img), count: rest.length, rules: shown },
    evidence: rest.slice(0, MAX_LISTED).map((w) => w.hit.evidence[0]!),
    remediate: [],
    fingerprint: imageFingerprint(img),
  };
}

export const imageContent: Detector = {
  id: 'image-content',
  kind: 'container-image',
  category: 'miner',
  level: 'high',
  title: t('Container image carries a file that matches a miner rule', '容器镜像中有命中挖矿规则的文件'),
  description: t(
    "Reads the files of interest the image reader recorded in every layer of a docker-archive or OCI image (those with YARA matches) and reports each as part of one finding per image, naming the layer (index and digest) and the build step that added it. Web files in a layer (scripts, pages) are read as the content scan reads them on a host: obfuscated code is decoded and a match in the decoded text counts, with the decoding chain in the evidence. A match is weighed as content-match weighs a file on a host: a program, or a configuration a miner reads, keeps the rule's level; a script without an exec bit or other data is medium at most; a document or source file that only mentions a miner is low at most; rule files and indicator lists are info. A program the image's entrypoint, cmd or start scripts run keeps the rule's level whatever else it is. A file that a later layer deleted or replaced is still reported, one level lower, as present in the image's history and absent from the final filesystem: every host that pulls the image stores that layer. The rule's kind (e.g. open-source miner) is kept as what the image carries; the finding's kind is container-image. No action is taken on the host: the playbook says what to do with the image.",
    '读取镜像读取器在 docker-archive 或 OCI 镜像各层中记录的关注文件（有 YARA 命中的文件），每个镜像汇总为一条发现，并指出添加该文件的层（序号和摘要）及构建步骤。层中的网页文件（脚本、页面）按主机内容扫描的方式读取：混淆代码会被解码，解码后文本中的命中同样计入，证据中给出解码链。命中按 content-match 对主机文件的方式加权：程序或矿机会读取的配置保持规则级别；没有执行权限的脚本或其他数据最高为中危；仅提到矿机的文档或源代码最高为低危；规则文件和威胁指标列表为信息级。镜像的 entrypoint、cmd 或启动脚本会运行的程序，无论属于哪类都保持规则级别。被后续层删除或替换的文件仍会报告，级别降一级，说明它存在于镜像历史中、不在最终文件系统中：每台拉取该镜像的主机都保存着这一层。规则的类型（如开源矿机）记录为镜像携带的内容，发现本身的类型为容器镜像。不在主机上执行任何操作：处置步骤见应对手册。',
  ),
  tags: ['attack.t1525', 'attack.t1610', 'attack.t1496'],
  needs: ['image'],
  verify: t(
    "List the build steps with `docker history --no-trunc <image>` (or `podman history`) and find the one named in the evidence. Extract the layer on an analysis machine, never on a production host: `tar -xf image.tar` gives `blobs/sha256/<layer digest>` (OCI) or `<id>/layer.tar` (docker-archive); `tar -xOf <layer> <path without the leading slash> > sample` extracts the file; `sha256sum sample` should equal the sha256 in the finding's data and `yara -s rules/<namespace>.yar sample` shows the matched strings.",
    '用 `docker history --no-trunc <镜像>`（或 `podman history`）列出构建步骤，找到证据中给出的那一步。只在分析机上解开该层，切勿在生产主机上操作：`tar -xf image.tar` 得到 `blobs/sha256/<层摘要>`（OCI）或 `<id>/layer.tar`（docker-archive）；`tar -xOf <层文件> <去掉开头斜杠的路径> > sample` 取出该文件；`sha256sum sample` 应与发现数据中的 sha256 一致，`yara -s rules/<命名空间>.yar sample` 会显示命中的字符串。',
  ),
  remediation: t(
    'Nothing is changed on the scanning host. Stop and remove the containers of the image, delete the image from the hosts and registries that hold it, and find who built or pulled it (see the container-image playbook). A file only in history is still distributed with the image: rebuilding without that layer, not deleting the file in a later layer, removes it.',
    '不会修改执行扫描的主机。停止并删除该镜像的容器，从存有该镜像的主机和镜像仓库中删除它，并查明是谁构建或拉取了它（见容器镜像应对手册）。仅存在于历史中的文件仍随镜像分发：只有不带该层重新构建才能去除它，在后续层中删除并不能。',
  ),
  messages: {
    started: t(
      '{image} starts {path} (layer {layer}), which matches YARA rule {rules}',
      '{image} 启动的 {path}（第 {layer} 层）命中 YARA 规则 {rules}',
    ),
    file: t(
      '{image}: {path} (layer {layer}) matches YARA rule {rules}',
      '{image}：{path}（第 {layer} 层）命中 YARA 规则 {rules}',
    ),
    fileWeighed: t(
      '{image}: {path} (layer {layer}) matches YARA rule {rules} — {reason}',
      '{image}：{path}（第 {layer} 层）命中 YARA 规则 {rules}——{reason}',
    ),
    historyOnly: t(
      '{image}: {path} matches YARA rule {rules}; present in image history (layer {layer}), absent from the final filesystem (removed or replaced by layer {removedBy})',
      '{image}：{path} 命中 YARA 规则 {rules}；存在于镜像历史中（第 {layer} 层），不在最终文件系统中（被第 {removedBy} 层删除或替换）',
    ),
    moreFiles: t(
      '{image}: {count} more file(s) match YARA rules ({rules})',
      '{image}：另有 {count} 个文件命中 YARA 规则（{rules}）',
    ),
  },
  detect(snapshot) {
    const hits: Hit[] = [];
    for (const img of snapshot.image?.images ?? []) {
      const started = startedPaths(img);
      const weighed = img.files
        .map((f) => weighImageFile(img, f, started))
        .filter((w): w is Weighed => w !== undefined)
        // Strongest first, so the files reported one by one are the ones that matter.
        .sort(
          (a, b) =>
            levelRank(b.level) - levelRank(a.level) ||
            Number(b.file.inFinal) - Number(a.file.inFinal) ||
            a.file.path.localeCompare(b.file.path) ||
            a.file.layer - b.file.layer,
        );
      hits.push(...weighed.slice(0, MAX_FILES).map((w) => w.hit));
      if (weighed.length > MAX_FILES) hits.push(moreFilesHit(img, weighed.slice(MAX_FILES)));
    }
    return hits;
  },
};
