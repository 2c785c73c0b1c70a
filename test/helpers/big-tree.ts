// Large generated trees for the tests of long scans (Ctrl-C, the progress estimate): many files of
// mixed sizes written fast from one random block, and optional "planted" files spread through the
// tree. The block is random so the rules' prefilter does as much work as on real data.
import { randomBytes } from 'node:crypto';
import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';

const MiB = 1024 * 1024;

export interface TreeSpec {
  /** Bytes to write in all, roughly (files are whole blocks or small ones). */
  totalBytes: number;
  /** Directories the files are spread over. */
  dirs: number;
  /** Share of the bytes in files of 1..8 MiB; the rest in small files (4..64 KiB). */
  bigShare?: number;
  /** One file with this text is written into each of the first `plantDirs` directories. */
  plant?: { name: string; text: string; plantDirs: number };
}

export interface TreeInfo {
  files: number;
  bytes: number;
  planted: string[];
}

/** Writes `size` bytes of `block` (repeated) to `file`. */
async function writeRepeated(file: string, block: Buffer, size: number): Promise<void> {
  const fh = await open(file, 'w');
  try {
    for (let done = 0; done < size;) {
      const n = Math.min(block.length, size - done);
      await fh.write(block, 0, n);
      done += n;
    }
  } finally {
    await fh.close();
  }
}

/**
 * Generates the tree under `root` (which must exist): deterministic sizes, random content. Files
 * share the block, so some are byte-identical; the scan reads each (the cache, off in these tests,
 * keys on the file's identity, not its bytes).
 */
export async function generateTree(root: string, spec: TreeSpec): Promise<TreeInfo> {
  const block = randomBytes(MiB);
  const bigShare = spec.bigShare ?? 0.8;
  const perDir = spec.totalBytes / spec.dirs;
  let files = 0;
  let bytes = 0;
  const planted: string[] = [];
  for (let d = 0; d < spec.dirs; d++) {
    const dir = path.join(root, `d${String(d).padStart(4, '0')}`);
    await mkdir(dir, { recursive: true });
    if (spec.plant && d < spec.plant.plantDirs) {
      const p = path.join(dir, spec.plant.name);
      await writeFile(p, spec.plant.text);
      planted.push(p);
    }
    let big = perDir * bigShare;
    for (let i = 0; big > 0; i++) {
      const size = Math.min(big, (1 + ((d * 7 + i * 3) % 8)) * MiB);
      await writeRepeated(path.join(dir, `big${i}.bin`), block, Math.round(size));
      [files, bytes, big] = [files + 1, bytes + Math.round(size), big - size];
    }
    let small = perDir * (1 - bigShare);
    for (let i = 0; small > 0; i++) {
      const size = Math.min(small, (4 + ((d * 13 + i * 5) % 61)) * 1024);
      const start = (i * 4096) % (MiB - 65536);
      await writeFile(path.join(dir, `s${i}.dat`), block.subarray(start, start + Math.round(size)));
      [files, bytes, small] = [files + 1, bytes + Math.round(size), small - size];
    }
  }
  return { files, bytes, planted };
}
