// A worker thread of the image scan (scan-pool.ts): restores the compiled rules its first message
// hands it (it may start while they are being compiled), then takes two kinds of work. Batches of
// files an image layer held, their bytes side by side in one buffer that travels (transferred, not
// copied) here and back: each file is scanned (a web file as decoded too, see file-scan.ts), and
// hashed when the reader wants its sha256 (an executable) or it matched; only outcomes that say
// something are answered. Where the files lie and their digests travel as typed arrays: a list of
// objects per batch cost the main thread more to copy into the message than the scan of the
// batch's small files. And whole layer blobs, read here from the archive file at their offset
// (target/image/blob.ts readLayerJob): parsed, hashed and scanned on this thread, the layer's
// outcome sent back whole, so the main thread neither reads nor copies their bytes and layers are
// read side by side.
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import { loadCompiledRules, type RuleFileSpec, type ScanOptions } from '../../engine/yara.js';
// From its own modules, not the reader's index: a worker loads no more than it runs.
import { readLayerJob } from '../../target/image/blob.js';
import type { ContentScanner, LayerJob, LayerScan, ScanOutcome } from '../../target/image/types.js';
import { scanLayerFile, scanWithDigest, webFlag, WANT_SHA256 } from './file-scan.js';

export interface ImageWorkerInit {
  blob: Uint8Array;
  hash: string;
  files: RuleFileSpec[];
  options: ScanOptions;
}

/**
 * Per file of a batch, FILE_FIELDS numbers: its offset in the buffer, its length, its flags
 * (WANT_SHA256, and the web flags of file-scan.ts that send a web file through the normaliser).
 */
export const FILE_FIELDS = 3;
export { WANT_SHA256 };

export type ToImageWorker =
  /** The compiled rules, the first message: a worker may start before they are compiled. */
  | { type: 'rules'; init: ImageWorkerInit }
  | { type: 'batch'; id: number; buffer: ArrayBuffer; files: Uint32Array }
  /** A whole layer blob to read from its file (ContentScanner.readLayer). */
  | { type: 'layer'; id: number; job: LayerJob };

export type FromImageWorker =
  | { type: 'ready' }
  | {
      type: 'batch';
      id: number;
      /** The batch's buffer, back for the next batch. */
      buffer: ArrayBuffer;
      /** The files hashed (ascending), and their digests, 32 bytes each in the same order. */
      hashed: Uint32Array;
      digests: Uint8Array;
      /**
       * Files with matches, an error or a web decoding bomb (the sha256 of those with matches or a
       * bomb is in `digests`); the rest found nothing.
       */
      outcomes: [number, ScanOutcome][];
    }
  | { type: 'layer'; id: number; scan?: LayerScan; error?: string }
  | { type: 'fatal'; message: string };

const digestOf = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

/** Room kept for the next file of a layer read here, up to this size (a larger file gets its own). */
const MAX_ROOM = 32 * 1024 * 1024;

/**
 * The scanner a layer read on this thread uses: each file is scanned as its entry ends, before the
 * next one is read, where it lies in the chunk read from the archive when it lies whole in one,
 * else in one buffer that serves every such file in turn.
 */
function layerScanner(scanner: Parameters<typeof scanLayerFile>[0]): ContentScanner {
  let room = Buffer.allocUnsafeSlow(1 << 20);
  return {
    inline: true,
    room(size) {
      if (size <= room.length) return room.subarray(0, size);
      if (size > MAX_ROOM) return Buffer.allocUnsafeSlow(size);
      room = Buffer.allocUnsafeSlow(2 ** Math.ceil(Math.log2(size)));
      return room.subarray(0, size);
    },
    scan: (data, path, want) => {
      const outcome = scanWithDigest(scanner, data, (want?.sha256 ? WANT_SHA256 : 0) | webFlag(path));
      if (outcome.error !== undefined) throw new Error(outcome.error);
      return outcome;
    },
  };
}

/** The rules restored from `init`, or the reason they could not be. */
function restore(init: ImageWorkerInit): ReturnType<typeof loadCompiledRules> | Error {
  try {
    return loadCompiledRules(Buffer.from(init.blob), init.hash, init.files, init.options);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** Scans one batch, its files side by side in `buffer`, and sends its outcomes with the buffer back. */
function scanBatch(
  scanner: Parameters<typeof scanLayerFile>[0],
  msg: Extract<ToImageWorker, { type: 'batch' }>,
  send: (msg: FromImageWorker, transfer?: ArrayBuffer[]) => void,
): void {
  const { files, buffer } = msg;
  const hashed: number[] = [];
  const digests: Buffer[] = [];
  const outcomes: [number, ScanOutcome][] = [];
  for (let i = 0; i * FILE_FIELDS < files.length; i++) {
    const at = i * FILE_FIELDS;
    const data = Buffer.from(buffer, files[at], files[at + 1]);
    const want = ((files[at + 2] as number) & WANT_SHA256) !== 0;
    const scanned = scanLayerFile(scanner, data, files[at + 2] as number);
    const outcome =
      scanned.matches.length > 0 || scanned.error !== undefined || scanned.web ? scanned : undefined;
    if (outcome) outcomes.push([i, outcome]);
    if (want || outcome?.matches.length || outcome?.web) {
      hashed.push(i);
      digests.push(digestOf(data));
    }
  }
  send(
    {
      type: 'batch',
      id: msg.id,
      buffer,
      hashed: Uint32Array.from(hashed),
      digests: new Uint8Array(Buffer.concat(digests)),
      outcomes,
    },
    [buffer],
  );
}

const port = parentPort;
if (port) {
  const send = (msg: FromImageWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  let scanner: ReturnType<typeof loadCompiledRules> | undefined;
  let local: ContentScanner | undefined;
  port.on('message', (msg: ToImageWorker) => {
    if (msg.type === 'rules') {
      const restored = restore(msg.init);
      if (restored instanceof Error) return send({ type: 'fatal', message: restored.message });
      scanner = restored;
      local = layerScanner(scanner);
      return send({ type: 'ready' });
    }
    // Work comes only once this worker said it is ready.
    if (!scanner || !local)
      return send({ type: 'fatal', message: 'image scan worker: work before its rules' });
    if (msg.type === 'batch') return scanBatch(scanner, msg, send);
    readLayerJob(msg.job, local).then(
      (scan) => send({ type: 'layer', id: msg.id, scan }),
      (err: unknown) =>
        send({ type: 'layer', id: msg.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
}
