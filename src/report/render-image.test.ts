// The report of an image scan names, for its finding, the image with its tag, the image digest, the
// layer digest and the build step that added the miner, in text (English and Chinese) and JSON; the
// scope line says it read an image archive; the verdict lists container-image first.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { detectors } from '../detect/index.js';
import { runDetectors } from '../detect/run.js';
import { imageSnapshot, minerImage } from '../../test/helpers/image-snapshot-builders.js';
import { ReportSchema, buildReport } from './model.js';
import { renderText } from './render-text.js';

const ruleset = await loadRuleset([defaultIocDir()]);

function imageReport() {
  const img = minerImage();
  const snap = imageSnapshot([img]);
  const { findings, skipped } = runDetectors(
    snap,
    ruleset,
    detectors.filter((d) => d.needs.includes('image')),
  );
  const report = buildReport({
    snapshot: snap,
    findings,
    skipped,
    rulesetHash: 'ruleset-hash',
    toolVersion: '0.1.0',
    now: new Date('2026-11-26T12:00:00.000Z'),
  });
  return { img, report };
}

describe('report of an image scan', () => {
  const { img, report } = imageReport();
  const miner = img.layers[2]!;
  const dropper = img.layers[3]!;

  it('names image, tag, digest, layer digest and build step in English', () => {
    const out = renderText(report, { lang: 'en', color: false });
    expect(out).toContain('Scope: container images in /work/images/app.tar');
    expect(out).toMatch(/Verdict: INFECTED\n {2}• container-image miner/);
    // The headline names the image with its tag, the file and its layer.
    expect(out).toContain(
      '    docker.io/evil/webapp:latest starts /usr/local/bin/app (layer 2), which matches YARA rule miners-cpu.MH_XMRig_Miner',
    );
    expect(out).toContain(
      `image: docker.io/evil/webapp:latest ${img.digest} layer 2 ${miner.digest} /usr/local/bin/app`,
    );
    expect(out).toContain('build step: COPY app /usr/local/bin/app # buildkit');
    expect(out).toContain(`layer 3 ${dropper.digest} /tmp/d.sh`);
    expect(out).toContain('only in the image history');
    expect(out).toContain('docker rmi <image>');
  });

  it('names them in Chinese too', () => {
    const out = renderText(report, { lang: 'zh-CN', color: false });
    expect(out).toContain('范围：/work/images/app.tar 中的容器镜像');
    expect(out).toContain('docker.io/evil/webapp:latest 启动的 /usr/local/bin/app（第 2 层）命中 YARA 规则');
    expect(out).toContain(
      `镜像: docker.io/evil/webapp:latest ${img.digest} 层 2 ${miner.digest} /usr/local/bin/app`,
    );
    expect(out).toContain('构建步骤: COPY app /usr/local/bin/app # buildkit');
    expect(out).toContain('存在于镜像历史中（第 3 层），不在最终文件系统中');
  });

  it('keeps them in the JSON report, schema-valid', () => {
    const json = JSON.parse(JSON.stringify(report)) as unknown;
    expect(ReportSchema.parse(json)).toEqual(report);
    const [f] = report.findings;
    expect(f!.evidence).toContainEqual({
      type: 'image',
      image: 'docker.io/evil/webapp:latest',
      digest: img.digest,
      layer: { index: 2, digest: miner.digest },
      createdBy: 'COPY app /usr/local/bin/app # buildkit',
      path: '/usr/local/bin/app',
      inFinal: true,
    });
    expect(report.verdict.kinds[0]).toMatchObject({
      kind: 'container-image',
      carries: ['open-source-miner', 'fileless'],
    });
  });
});
