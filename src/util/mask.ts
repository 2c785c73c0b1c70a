// A reversible byte mask for the files where minehunter keeps its own miner strings (the installed
// rule and IOC bundle, compiled rules, cached results), so they never lie on disk in clear.
//
// This is not secrecy: the key is right here and anyone can undo it. It exists because on-access
// antivirus scanners (and minehunter's own scan, or another team's YARA sweep) read every file that
// is written, and a file full of "stratum+tcp://", XMRig option names and pool domains looks exactly
// like a miner's configuration to them: they quarantine the rule set, or alarm on it. XOR with a
// fixed key stream, behind a fixed header, makes those bytes look like nothing while costing about
// a millisecond per 200 KiB to undo.
import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The first bytes of every masked file: a binary start (like PNG's) so no tool takes it for text. */
export const MASK_HEADER = Buffer.from([0x89, 0x4d, 0x48, 0x4d, 0x01, 0x0d, 0x0a, 0x1a]); // \x89 M H M 1 \r \n \x1a

/** The key stream's length: a prime, so its period lines up with no record or page size. */
const KEY_BYTES = 4093;

interface KeyStream {
  /** The KEY_BYTES of the stream. */
  bytes: Buffer;
  /** The stream four times over as 32-bit words: word j of any aligned data takes word j % KEY_BYTES. */
  words: Uint32Array;
}

let keyStream: KeyStream | undefined;

/**
 * 4093 bytes drawn from a sha256 chain over a fixed seed: fixed forever, since masked files written
 * by one version must be read by the next. Built on first use, not at import: most commands that
 * load this module (every scan does, through the rule and IOC loaders) may never mask a byte, and
 * start-up is part of every command's time (issue 17).
 */
function key(): KeyStream {
  if (keyStream) return keyStream;
  const bytes = Buffer.alloc(KEY_BYTES);
  let block = sha256('minehunter mask v1');
  for (let i = 0; i < bytes.length; i += block.length) {
    block.copy(bytes, i);
    block = sha256(block);
  }
  // lcm(4, 4093) bytes: the stream lines up with 32-bit words again after four periods. Four
  // copies, not a loop over 16 KiB: this runs once per process, before the loop is optimised.
  const words = new Uint32Array(KEY_BYTES);
  const wordBytes = Buffer.from(words.buffer);
  for (let i = 0; i < 4; i++) bytes.copy(wordBytes, i * KEY_BYTES);
  keyStream = { bytes, words };
  return keyStream;
}

/** The sha256 of `data`, one-shot where Node has crypto.hash (20.12 on): the chain is 128 of them. */
function sha256(data: string | Buffer): Buffer {
  return typeof crypto.hash === 'function'
    ? crypto.hash('sha256', data, 'buffer')
    : crypto.createHash('sha256').update(data).digest();
}

/**
 * `data` from `offset` on, XORed with the key stream from its start. Four bytes at a time where the
 * output is aligned (a compiled rule set is megabytes, unmasked on every scan), byte by byte for the
 * rest; the same bytes either way.
 */
function xor(data: Uint8Array, offset: number): Buffer {
  const n = data.length - offset;
  const out = Buffer.allocUnsafe(n);
  out.set(data.subarray(offset));
  const { bytes, words } = key();
  const whole = out.byteOffset % 4 === 0 ? n >>> 2 : 0;
  if (whole > 0) {
    const view = new Uint32Array(out.buffer, out.byteOffset, whole);
    for (let j = 0, k = 0; j < whole; j++, k = k + 1 === KEY_BYTES ? 0 : k + 1) view[j]! ^= words[k]!;
  }
  for (let i = whole * 4; i < n; i++) out[i]! ^= bytes[i % KEY_BYTES]!;
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
