// A reversible byte mask for the files where minehunter keeps its own miner strings (the installed
// rule and IOC bundle, compiled rules, cached results), so they never lie on disk in clear.
//
// This is not secrecy: the key is right here and anyone can undo it. It exists because on-access
// antivirus scanners (and minehunter's own scan, or another team's YARA sweep) read every file that
// is written, and a file full of "stratum+tcp://", XMRig option names and pool domains looks exactly
// like a miner's configuration to them: they quarantine the rule set, or alarm on it. XOR with a
// fixed key stream, behind a fixed header, makes those bytes look like nothing while costing about
// a millisecond per 200 KiB to undo.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The first bytes of every masked file: a binary start (like PNG's) so no tool takes it for text. */
export const MASK_HEADER = Buffer.from([0x89, 0x4d, 0x48, 0x4d, 0x01, 0x0d, 0x0a, 0x1a]); // \x89 M H M 1 \r \n \x1a

/**
 * 4093 bytes (a prime, so the stream's period lines up with no record or page size) drawn from a
 * sha256 chain over a fixed seed: fixed forever, since masked files written by one version must be
 * read by the next.
 */
const KEY_STREAM: Buffer = (() => {
  const out = Buffer.alloc(4093);
  let block = createHash('sha256').update('minehunter mask v1').digest();
  for (let i = 0; i < out.length; i += block.length) {
    block.copy(out, i);
    block = createHash('sha256').update(block).digest();
  }
  return out;
})();

function xor(data: Uint8Array, offset: number): Buffer {
  const out = Buffer.allocUnsafe(data.length - offset);
  const period = KEY_STREAM.length;
  for (let i = 0, k = 0; i < out.length; i++, k = k + 1 === period ? 0 : k + 1) {
    out[i] = data[offset + i]! ^ KEY_STREAM[k]!;
  }
  return out;
}

/** Whether `data` starts with the mask header. */
export function isMasked(data: Uint8Array): boolean {
  if (data.length < MASK_HEADER.length) return false;
  for (let i = 0; i < MASK_HEADER.length; i++) if (data[i] !== MASK_HEADER[i]) return false;
  return true;
}

/** `data` masked: the header, then every byte XORed with the key stream. */
export function maskBytes(data: Uint8Array): Buffer {
  return Buffer.concat([MASK_HEADER, xor(data, 0)]);
}

/** The bytes maskBytes was given; throws when `data` is not masked (a damaged or foreign file). */
export function unmaskBytes(data: Uint8Array): Buffer {
  if (!isMasked(data)) throw new Error('not masked data (the mask header is missing)');
  return xor(data, MASK_HEADER.length);
}

/** Masked data unmasked, anything else as it is (files written before masking, the user's own files). */
export function unmaskIfMasked(data: Buffer): Buffer {
  return isMasked(data) ? xor(data, MASK_HEADER.length) : data;
}

/** A file's content, unmasked when it is masked. Throws what readFileSync throws. */
export function readUnmasked(file: string): Buffer {
  return unmaskIfMasked(readFileSync(file));
}
