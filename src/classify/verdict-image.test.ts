// The verdict of an image scan: the image detectors merge into one finding per image, container-image
// leads the kinds and names what the image carries, the carried kinds follow it without a host
// playbook of their own, and the container-image playbook tells a person what to do with the image.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import type { Finding } from '../model/finding.js';
import { runDetectors } from '../detect/run.js';
import { detectors } from '../detect/index.js';
import {
  imageSnapshot,
  imageWith,
  minerImage,
  nginxImage,
} from '../../test/helpers/image-snapshot-builders.js';
import { carriedKinds, classify } from './verdict.js';
import { PLAYBOOKS } from './playbooks.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const imageDetectors = detectors.filter((d) => d.id.startsWith('image-'));

function scan(images: ReturnType<typeof minerImage>[]) {
  const snap = imageSnapshot(images);
  const { findings } = runDetectors(snap, ruleset, imageDetectors);
  return { findings, verdict: classify(findings, snap.collection) };
}

describe('verdict of an image scan', () => {
  it('gives nothing for the nginx image', () => {
    const { findings, verdict } = scan([nginxImage()]);
    expect(findings).toEqual([]);
    expect(verdict).toMatchObject({ status: 'clean', kinds: [] });
  });

  it('merges every signal about an image into one critical finding of kind container-image', () => {
    const { findings } = scan([minerImage()]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f).toMatchObject({ kind: 'container-image', level: 'critical', ruleId: 'image-content' });
    expect(new Set(f!.signals.map((s) => s.ruleId))).toEqual(
      new Set(['image-content', 'image-entrypoint', 'image-env', 'image-build-step', 'image-pool-port']),
    );
    expect(carriedKinds(f!)).toEqual(['open-source-miner', 'fileless']);
  });

  it('lists container-image first, then the kinds the image carries, each without a host playbook', () => {
    const { verdict } = scan([minerImage()]);
    expect(verdict.status).toBe('infected');
    expect(verdict.kinds.map((k) => [k.kind, k.carriedBy])).toEqual([
      ['container-image', undefined],
      ['open-source-miner', 'container-image'],
      ['fileless', 'container-image'],
    ]);
    const [image, miner] = verdict.kinds;
    expect(image!.carries).toEqual(['open-source-miner', 'fileless']);
    expect(image!.playbook).toBe(PLAYBOOKS['container-image']);
    expect(miner).toMatchObject({ confidence: 'high', findingCount: 1, playbook: [] });
  });

  it('keeps container-image first when the host also runs a miner of the kind the image carries', () => {
    const { findings } = scan([minerImage()]);
    const text = { en: 'x', 'zh-CN': 'x' };
    const host: Finding = {
      ruleId: 'miner-command-line',
      kind: 'open-source-miner',
      category: 'miner',
      level: 'critical',
      title: text,
      message: text,
      evidence: [{ type: 'process', pid: 7, ppid: 1, comm: 'xmrig', argv: ['xmrig'] }],
      tags: [],
      verify: text,
      remediate: [],
      fingerprint: '0000',
      signals: [],
      basis: 'running',
    };
    const verdict = classify([host, ...findings], []);
    expect(verdict.kinds.map((k) => k.kind)).toEqual(['container-image', 'open-source-miner', 'fileless']);
    // The host's own miner keeps its own entry, chain and playbook; the image names it in `carries`.
    expect(verdict.kinds[1]).toMatchObject({ findingCount: 1, playbook: PLAYBOOKS['open-source-miner'] });
    expect(verdict.kinds[0]!.carries).toEqual(['open-source-miner', 'fileless']);
    expect(verdict.kinds[1]!.carriedBy).toBeUndefined();
  });

  it('calls a vendor installer alone suspicious, carrying nothing', () => {
    const img = imageWith({
      steps: [
        'ADD file:0a1b2c in / ',
        'RUN /bin/sh -c curl -fsSL https://deb.nodesource.com/setup_20.x | bash -',
      ],
    });
    const { verdict } = scan([img]);
    expect(verdict.status).toBe('suspicious');
    expect(verdict.kinds).toMatchObject([{ kind: 'container-image', confidence: 'medium' }]);
    expect(verdict.kinds[0]!.carries).toBeUndefined();
  });

  it('has a container-image playbook that names the containers, the image, its origin, digests and scanning', () => {
    const steps = PLAYBOOKS['container-image'].map((s) => s.en).join('\n');
    for (const want of [
      'ancestor=<image>',
      'podman ps -a --filter ancestor',
      'docker rmi <image>',
      'registry audit logs',
      'CI pipeline',
      'Pin images by digest',
      'minehunter image',
      'Rotate the secrets',
    ])
      expect(steps).toContain(want);
    expect(PLAYBOOKS['container-image'].every((s) => /[\u4e00-\u9fff]/.test(s['zh-CN']))).toBe(true);
  });
});
