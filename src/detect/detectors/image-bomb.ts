// Detector: what a container image hides behind a decompression bomb: a layer (or the compressed
// `save` output itself) that expands far past its compressed size, and web files in a layer whose
// encoded payload the web normaliser refused to decode. The image reader stops there and records a
// skip (target/image/layer.ts, collect/image/file-scan.ts); this says so in the report, low and with
// no kind, as archive-bomb-hideout and content-match do on a host: what the bomb hides was not read.
import type { Evidence } from '../../model/finding.js';
import type { Image, ImageFile, ImageSkip, Images } from '../../snapshot/image.js';
import {
  imageFacts,
  imageFileEvidence,
  imageFingerprint,
  imageSubject,
  layerRef,
  layerStep,
} from '../image.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';

/** The skip reason the reader gives a layer or an archive that expands too far for its size. */
export const BOMB_REASON = 'decompression-bomb';

/** Decodings listed per file in evidence. */
const MAX_LISTED = 4;

function layerBombHit(img: Image, skip: ImageSkip & { layer: number }): Hit {
  const layer = layerRef(img, skip.layer);
  const createdBy = layerStep(img, skip.layer);
  const evidence: Evidence[] = [
    {
      type: 'image',
      image: img.ref,
      digest: img.digest,
      ...(layer ? { layer } : {}),
      ...(createdBy !== undefined ? { createdBy } : {}),
    },
    { type: 'match', field: 'layer not read to its end', value: skip.detail ?? skip.reason },
  ];
  return {
    subject: imageSubject(img),
    level: 'low',
    messageId: 'layerBomb',
    data: {
      ...imageFacts(img),
      layer: skip.layer,
      ...(layer ? { layerDigest: layer.digest } : {}),
      detail: skip.detail ?? '',
    },
    evidence,
    remediate: [],
    fingerprint: [...imageFingerprint(img), 'bomb', String(skip.layer)],
  };
}

/** A web file of a layer with decodings refused as bombs (a file with a match is content's to report). */
function fileBombHit(img: Image, file: ImageFile): Hit | undefined {
  const bombs = file.web?.bombs ?? [];
  if (bombs.length === 0 || file.matches.length > 0) return undefined;
  return {
    subject: imageSubject(img),
    level: 'low',
    messageId: 'fileBomb',
    data: {
      ...imageFacts(img),
      path: file.path,
      layer: file.layer,
      bombs: bombs.length,
      ...(file.sha256 ? { sha256: file.sha256 } : {}),
    },
    evidence: [
      imageFileEvidence(img, file),
      ...bombs
        .slice(0, MAX_LISTED)
        .map((b): Evidence => ({ type: 'match', field: 'decoding refused', value: b })),
    ],
    remediate: [],
    fingerprint: [...imageFingerprint(img), 'bomb', file.path, String(file.layer)],
  };
}

/** The compressed archive itself expanded too far: no image past that point could be read. */
function archiveBombHit(images: Images, skip: ImageSkip): Hit {
  return {
    subject: `image-archive:${images.source}`,
    level: 'low',
    messageId: 'archiveBomb',
    data: { source: images.source, detail: skip.detail ?? '' },
    evidence: [
      { type: 'file', path: images.source },
      { type: 'match', field: 'archive not read to its end', value: skip.detail ?? skip.reason },
    ],
    remediate: [],
    fingerprint: ['image-archive-bomb', images.source],
  };
}

export const imageBomb: Detector = {
  id: 'image-bomb',
  category: 'tampering',
  level: 'low',
  title: t('Container image hides content behind a decompression bomb', '容器镜像用解压炸弹隐藏内容'),
  description: t(
    "The image reader expands every layer as a stream and meters what comes out: a layer that expands more than 1,000 times its compressed size (past 64 MiB) is a decompression bomb, and is read only up to that point; the same holds for a compressed `docker save` output as a whole. Web files in a layer (scripts, pages, PHP) are decoded by the web normaliser, which refuses a decoding far larger than its input or nested past its depth limit (e.g. `eval(gzinflate(base64_decode(…)))` of a payload that inflates to gigabytes). Each is recorded in the snapshot (a `decompression-bomb` or `decoding-bomb` skip, the file's refused decodings) and reported here at low level with no kind: a real image has no reason to carry one, it stops scanners, and what it hides was not read. A web file that also matches a miner rule is reported by image-content, with the refused decodings in its evidence.",
    '镜像读取器以流的方式展开每一层并计量输出：展开后超过压缩大小 1000 倍（且超过 64 MiB）的层就是解压炸弹，只读取到该处为止；压缩的 `docker save` 输出整体也是如此。层中的 Web 文件（脚本、页面、PHP）由 Web 内容规范化器解码，规范化器拒绝输出远大于输入或嵌套超过深度上限的解码（例如展开后达数 GB 的 `eval(gzinflate(base64_decode(…)))`）。每一处都会记录在快照中（跳过原因为 `decompression-bomb` 或 `decoding-bomb`，以及该文件被拒绝的解码），并在此报告为低危、不归类：正常镜像没有理由带有解压炸弹，它会让扫描器中止，其中隐藏的内容未被读取。同时命中挖矿规则的 Web 文件由 image-content 报告，证据中列出被拒绝的解码。',
  ),
  tags: ['attack.t1027', 'attack.t1610'],
  needs: ['image'],
  verify: t(
    'On an analysis machine, never a production host: `tar -xOf image.tar <layer blob> | gzip -dc | head -c 100M | wc -c` shows the layer expanding without end (`gzip -l` shows the ratio); for a web file, extract it (`tar -xOf <layer> <path>`) and look at the encoded payload in a text editor, decoding it step by step with an output limit (`base64 -d | head -c 1M`).',
    '只在分析机上操作，切勿在生产主机上：`tar -xOf image.tar <层 blob> | gzip -dc | head -c 100M | wc -c` 可看到该层不断展开（`gzip -l` 显示压缩比）；对 Web 文件，先取出文件（`tar -xOf <层文件> <路径>`），在文本编辑器中查看编码后的载荷，并在限制输出的前提下逐步解码（`base64 -d | head -c 1M`）。',
  ),
  remediation: t(
    'Nothing is changed on the scanning host. Do not run the image: find who built or pushed it, and rebuild it from a known Dockerfile if it is yours. Scan the unread part with an unpacking tool on an analysis machine with a disk quota if you need to know what it hides.',
    '不会修改执行扫描的主机。不要运行该镜像：查明是谁构建或推送了它；如果是自己的镜像，用已知的 Dockerfile 重新构建。如需知道其中隐藏了什么，在设有磁盘配额的分析机上用解包工具扫描未读取的部分。',
  ),
  messages: {
    layerBomb: t(
      '{image}: layer {layer} is a decompression bomb ({detail}); the layer was read only up to that point',
      '{image}：第 {layer} 层是解压炸弹（{detail}）；该层只读取到此处为止',
    ),
    fileBomb: t(
      '{image}: {path} (layer {layer}): {bombs} decoding(s) of its web content refused as a bomb; what they hide was not read',
      '{image}：{path}（第 {layer} 层）：其 Web 内容中有 {bombs} 处解码因疑似解码炸弹被拒绝；其中隐藏的内容未被读取',
    ),
    archiveBomb: t(
      '{source}: the compressed image archive is a decompression bomb ({detail}); it was read only up to that point',
      '{source}：压缩的镜像归档是解压炸弹（{detail}）；只读取到此处为止',
    ),
  },
  detect(snapshot) {
    const images = snapshot.image;
    if (!images) return [];
    const hits: Hit[] = [];
    for (const s of images.skips) if (s.reason === BOMB_REASON) hits.push(archiveBombHit(images, s));
    for (const img of images.images) {
      for (const s of img.skips)
        if (s.reason === BOMB_REASON && s.layer !== undefined)
          hits.push(layerBombHit(img, { ...s, layer: s.layer }));
      for (const f of img.files) {
        const hit = fileBombHit(img, f);
        if (hit) hits.push(hit);
      }
    }
    return hits;
  },
};
