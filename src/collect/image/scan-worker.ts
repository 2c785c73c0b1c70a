// A worker thread of the image scan (scan-pool.ts): restores the compiled rules it is handed, then
// takes batches of files an image layer held, their bytes side by side in one buffer that travels
// (transferred, not copied) here and back. Each file is scanned (a web file as decoded too, see
// file-scan.ts), and hashed when the reader wants its sha256 (an executable) or it matched; only
// outcomes that say something are answered. Where
// the files lie and their digests travel as typed arrays: a list of objects per batch cost the
// main thread more to copy into the message than the scan of the batch's small files.
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { loadCompiledRules, type RuleFileSpec, type ScanOptions } from '../../engine/yara.js';
import type { ScanOutcome } from '../../target/image/index.js';
import { scanLayerFile } from './file-scan.js';

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
/** Flag: hash the file whatever the scan finds. */
export const WANT_SHA256 = 1;

export type ToImageWorker = { type: 'batch'; id: number; buffer: ArrayBuffer; files: Uint32Array };

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
  | { type: 'fatal'; message: string };

const digestOf = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

const port = parentPort;
if (port) {
  const send = (msg: FromImageWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
  try {
    const init = workerData as ImageWorkerInit;
    const scanner = loadCompiledRules(Buffer.from(init.blob), init.hash, init.files, init.options);
    port.on('message', (msg: ToImageWorker) => {
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
    });
    send({ type: 'ready' });
  } catch (err) {
    send({ type: 'fatal', message: err instanceof Error ? err.message : String(err) });
  }
}
