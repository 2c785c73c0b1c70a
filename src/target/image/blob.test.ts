// readLayerJob, the way a scan worker reads a layer blob from its archive file: large files' bytes
// are read from the file straight into their room (blob.ts DIRECT_BYTES), small ones come with the
// chunks. Whatever the path, the layer must read as the same blob handed over in one piece does:
// same digest, files, hashes, matches, hard links, scripts and skips; a file cut short stays cut.
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  imageTempDir,
  lookalikeMinerBytes,
  sha256,
  tarOf,
  writeInput,
  yaraScanner,
} from '../../../test/helpers/image-builders.js';
import { readBlob, readLayerJob, type BlobContext } from './blob.js';
import { DEFAULT_IMAGE_LIMITS, type ContentScanner, type LayerScan } from './types.js';

const MiB = 1024 * 1024;
let dir: string;
beforeAll(async () => {
  dir = await imageTempDir();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Bytes that vary (so no run of zeros), the same every run. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** As a scan worker's: synchronous, one room for the files that span chunks, hashes when asked or matched. */
function workerLikeScanner(): ContentScanner {
  const rules = yaraScanner();
  let room = Buffer.alloc(MiB);
  return {
    inline: true,
    room(size) {
      if (size > room.length) room = Buffer.alloc(2 ** Math.ceil(Math.log2(size)));
      return room.subarray(0, size);
    },
    scan(data, _path, want) {
      const o = rules.scan(data, _path) as Awaited<ReturnType<ContentScanner['scan']>>;
      const hash = want?.sha256 || o.matches.length > 0;
      return hash ? { ...o, sha256: createHash('sha256').update(data).digest('hex') } : o;
    },
  };
}

const limits = { ...DEFAULT_IMAGE_LIMITS, maxScanBytes: 8 * MiB };

/** What a layer read must agree on, with its maps as sorted lists. */
function facts(s: LayerScan) {
  const sorted = <T>(m: Map<string, T>) => [...m].sort(([a], [b]) => a.localeCompare(b));
  return {
    digest: s.digest,
    size: s.size,
    entries: s.entries,
    status: s.status,
    files: sorted(s.files),
    scripts: sorted(s.scripts),
    nodes: sorted(s.nodes),
    skips: s.skips,
    filesScanned: s.filesScanned,
  };
}

describe('readLayerJob', () => {
  it('reads large files straight into their room, to the same layer as one chunk gives', async () => {
    const miner = lookalikeMinerBytes();
    // The look-alike lies across the first chunk boundaries of the big file's bytes.
    const big = Buffer.concat([bytes(MiB + 300_000, 1), miner, bytes(2 * MiB, 2)]);
    const layer = await tarOf([
      { name: 'etc/a.conf', content: 'key=value\n' },
      { name: 'usr/bin/big', content: big, mode: 0o755 },
      { name: 'usr/bin/big2', type: 'link', linkname: 'usr/bin/big' },
      { name: 'entrypoint.sh', content: '#!/bin/sh\nexec /usr/bin/big\n', mode: 0o755 },
      { name: 'opt/one-mib-and-one', content: bytes(MiB + 1, 3) },
      { name: 'opt/huge', content: bytes(9 * MiB, 4), mode: 0o755 },
      { name: 'opt/small', content: bytes(70_000, 5) },
    ]);
    // The blob between other bytes of the archive, as in a tarball.
    const file = await writeInput(dir, 'archive.bin', Buffer.concat([bytes(1536, 6), layer, bytes(5000, 7)]));
    const job = {
      file,
      offset: 1536,
      size: layer.length,
      key: 'blobs/sha256/x',
      limits,
      scriptBudget: 1 << 20,
    };
    const direct = await readLayerJob(job, workerLikeScanner());

    const ctx: BlobContext = {
      limits,
      scanner: workerLikeScanner(),
      scripts: { left: 1 << 20, exhausted: false },
      keepDoc: () => false,
    };
    const whole = await readBlob(
      (async function* () {
        yield layer;
      })(),
      job.key,
      ctx,
      layer.length,
    );
    if (whole.kind !== 'layer') throw new Error('not read as a layer');
    expect(facts(direct)).toEqual(facts(whole.scan));
    expect(direct.digest).toBe(`sha256:${sha256(layer)}`);
    expect(direct.status).toBe('ok');
    const found = direct.files.get('/usr/bin/big');
    expect(found?.sha256).toBe(sha256(big));
    expect(found?.matches.length).toBeGreaterThan(0);
    expect(direct.files.get('/usr/bin/big2')?.sha256).toBe(sha256(big));
    expect(direct.files.get('/opt/huge')?.sha256).toBe(sha256(bytes(9 * MiB, 4)));
    expect(direct.scripts.get('/entrypoint.sh')).toContain('exec /usr/bin/big');
  });

  it('records a file the archive cuts short inside its bytes', async () => {
    const layer = await tarOf([
      { name: 'etc/a.conf', content: 'key=value\n' },
      { name: 'usr/bin/big', content: bytes(3 * MiB, 8), mode: 0o755 },
    ]);
    const cut = layer.subarray(0, 2 * MiB);
    const file = await writeInput(dir, 'cut.bin', cut);
    const job = { file, offset: 0, size: layer.length, key: 'cut', limits, scriptBudget: 0 };
    const scan = await readLayerJob(job, workerLikeScanner());
    expect(scan.status).toBe('truncated');
    expect(scan.nodes.get('/etc/a.conf')).toBe('file');
    expect(scan.skips.map((s) => s.reason)).toContain('truncated');
  });
});
