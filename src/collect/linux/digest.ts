// Hashes a target file in one read pass into several digests (md5 and sha256 for dpkg, sha1 for apk…)
// through one scratch buffer per file. The integrity checks hash a few dozen system binaries and
// libraries on every scan; read as a stream, each 64 KiB chunk was a new buffer, which left tens of
// megabytes of garbage for the collector and raised the scan's peak RSS (issue 17).
import { createHash } from 'node:crypto';
import type { TargetFs } from '../../target/fs.js';

/** Bytes read per call: a few system calls for a typical binary, and a small, short-lived buffer. */
const CHUNK = 256 * 1024;

/** The hex digest of the file in each algorithm asked for, in the order asked. */
export async function digestsOf(
  fs: TargetFs,
  file: string,
  algorithms: readonly string[],
): Promise<string[]> {
  const hashes = algorithms.map((a) => createHash(a));
  const fh = await fs.open(file);
  try {
    const { size } = await fh.stat();
    // A size of 0 may be a special file that reads anyway: then whole chunks.
    const buf = Buffer.allocUnsafe(size > 0 ? Math.min(CHUNK, size) : CHUNK);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      const view = buf.subarray(0, bytesRead);
      for (const h of hashes) h.update(view);
    }
  } finally {
    await fh.close();
  }
  return hashes.map((h) => h.digest('hex'));
}
