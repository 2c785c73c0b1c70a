// The incident report of an image scan, and of a host whose miner runs in a container: the Markdown
// and HTML renderers list the images with their digests, layers and build steps, and the container a
// miner process runs in; a hostile build step stays inert; kinds carried by the image add no empty
// playbook heading.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { detectors } from '../detect/index.js';
import { runDetectors } from '../detect/run.js';
import type { Finding } from '../model/finding.js';
import { buildReport } from '../report/model.js';
import { imageSnapshot, minerImage } from '../../test/helpers/image-snapshot-builders.js';
import { IntakeSchema } from './intake.js';
import { IncidentReportSchema, buildIncidentReport } from './model.js';
import { SCRIPT, renderIncidentHtml } from './render-html.js';
import { renderIncidentMarkdown } from './render-md.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const text = { en: 'x', 'zh-CN': 'x' };
const HOSTILE_STEP = 'RUN /bin/sh -c echo "<script>alert(1)</script>" > /x';

/** A miner process in a podman container, as the live-container mapping reports it. */
const containerMiner: Finding = {
  ruleId: 'miner-command-line',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'high',
  title: text,
  message: { en: 'PID 4242 (/usr/local/bin/app) runs a miner', 'zh-CN': '进程 PID 4242 运行矿机' },
  evidence: [
    {
      type: 'process',
      pid: 4242,
      ppid: 4200,
      comm: 'app',
      exe: '/usr/local/bin/app',
      argv: ['/usr/local/bin/app', '-o', 'stratum+tcp://198.51.100.7:3333'],
      container: {
        runtime: 'podman',
        id: 'f'.repeat(64),
        name: 'web-1',
        image: 'docker.io/evil/webapp:latest',
        pod: 'web',
        namespace: 'shop',
      },
    },
  ],
  tags: [],
  verify: text,
  remediate: [],
  fingerprint: 'p1',
  signals: [],
  basis: 'running',
};

function incident() {
  const img = minerImage();
  const snap = imageSnapshot([img]);
  const { findings, skipped } = runDetectors(
    snap,
    ruleset,
    detectors.filter((d) => d.needs.includes('image')),
  );
  // Evidence quoting a build step an attacker wrote to break out of the report's markup.
  findings[0]!.evidence.push({ type: 'image', image: img.ref, digest: img.digest, createdBy: HOSTILE_STEP });
  const report = buildReport({
    snapshot: snap,
    findings: [...findings, containerMiner],
    skipped,
    rulesetHash: 'h',
    toolVersion: '0.1.0',
    now: new Date('2026-11-26T12:00:00.000Z'),
  });
  const r = buildIncidentReport({
    report,
    intake: IntakeSchema.parse({}),
    attachments: [],
    now: new Date('2026-11-26T12:30:00.000Z'),
  });
  return { img, report, r };
}

describe('incident report of an image', () => {
  const { img, report, r } = incident();

  it('lists each image once with the layers, steps and files its findings name', () => {
    expect(IncidentReportSchema.parse(r)).toEqual(r);
    expect(r.images).toHaveLength(1);
    expect(r.images![0]).toMatchObject({ image: 'docker.io/evil/webapp:latest', digest: img.digest });
    expect(r.images![0]!.items).toContainEqual({
      layer: { index: 2, digest: img.layers[2]!.digest },
      createdBy: 'COPY app /usr/local/bin/app # buildkit',
      path: '/usr/local/bin/app',
      inFinal: true,
    });
    expect(r.processes[0]!.container).toMatchObject({ runtime: 'podman', name: 'web-1' });
  });

  it('shows them in Markdown, in both languages', () => {
    const en = renderIncidentMarkdown(r, 'en', { target: report.target });
    expect(en).toContain('Scope: container images in /work/images/app.tar');
    expect(en).toContain('### Container images');
    expect(en).toContain(`- \` docker.io/evil/webapp:latest \` \` ${img.digest} \``);
    expect(en).toContain(
      `layer 2 \` ${img.layers[2]!.digest} \` · \` /usr/local/bin/app \` · build step: \` COPY app /usr/local/bin/app # buildkit \``,
    );
    expect(en).toContain('only in the image history (removed or replaced by layer 4)');
    expect(en).toContain(
      '  - Container: podman ffffffffffff web-1 (docker.io/evil/webapp:latest) pod shop/web',
    );
    // open-source-miner has its own playbook (the host's process); fileless is only carried: no heading.
    expect(en).toContain('### What to do, in order: open-source miner');
    expect(en).not.toContain('What to do, in order: fileless');
    const zh = renderIncidentMarkdown(r, 'zh-CN');
    expect(zh).toContain('### 容器镜像');
    expect(zh).toContain('构建步骤');
    expect(zh).toContain('仅存在于镜像历史中（被第 4 层删除或替换）');
  });

  it('shows them in HTML, escaped', () => {
    const html = renderIncidentHtml(r, 'en');
    expect(html).toContain('<h3>Container images</h3>');
    expect(html).toContain(`<code>${img.layers[2]!.digest}</code>`);
    expect(html).toContain('build step: <code>COPY app /usr/local/bin/app # buildkit</code>');
    expect(html).toContain('Container: podman ffffffffffff web-1');
    // Only the report's own script (filter and sort), never one from the image's text.
    expect(html.replace(`<script>${SCRIPT}</script>`, '')).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});
