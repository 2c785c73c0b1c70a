// Finds wallet addresses in text: a token must have the shape from iocs/wallet-patterns.yml and,
// where the coin has one, pass its checksum, so hashes and ids of the same shape are not mistaken.
import { createHash } from 'node:crypto';
import type { WalletPatternEntry } from '../iocs/types.js';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58Decode(text: string): Uint8Array | undefined {
  let value = 0n;
  for (const ch of text) {
    const digit = BASE58.indexOf(ch);
    if (digit < 0) return undefined;
    value = value * 58n + BigInt(digit);
  }
  const bytes: number[] = [];
  while (value > 0n) {
    bytes.unshift(Number(value & 0xffn));
    value >>= 8n;
  }
  for (const ch of text) {
    if (ch !== '1') break;
    bytes.unshift(0);
  }
  return Uint8Array.from(bytes);
}

/** Bitcoin-style Base58Check: the last four bytes are the start of sha256(sha256(payload)). */
export function base58CheckValid(text: string): boolean {
  const bytes = base58Decode(text);
  if (!bytes || bytes.length < 5) return false;
  const payload = bytes.subarray(0, -4);
  const first = createHash('sha256').update(payload).digest();
  const second = createHash('sha256').update(first).digest();
  return bytes.subarray(-4).every((b, i) => b === second[i]);
}

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    BECH32_GEN.forEach((g, i) => {
      if ((top >>> i) & 1) chk ^= g;
    });
  }
  return chk >>> 0;
}

/** BIP-173 bech32 or BIP-350 bech32m checksum (lower-case addresses). */
export function bech32Valid(text: string): boolean {
  const sep = text.lastIndexOf('1');
  if (sep < 1 || sep + 7 > text.length || text.length > 90) return false;
  const hrp = text.slice(0, sep);
  const data: number[] = [];
  for (const ch of text.slice(sep + 1)) {
    const d = BECH32_CHARSET.indexOf(ch);
    if (d < 0) return false;
    data.push(d);
  }
  const expanded = [
    ...[...hrp].map((c) => c.charCodeAt(0) >> 5),
    0,
    ...[...hrp].map((c) => c.charCodeAt(0) & 31),
  ];
  const check = bech32Polymod([...expanded, ...data]);
  return check === 1 || check === 0x2bc830a3;
}

export interface WalletMatch {
  entry: WalletPatternEntry;
  token: string;
}

const compiled = new WeakMap<WalletPatternEntry[], { entry: WalletPatternEntry; re: RegExp }[]>();

function compile(patterns: WalletPatternEntry[]): { entry: WalletPatternEntry; re: RegExp }[] {
  let list = compiled.get(patterns);
  if (!list) {
    list = patterns.flatMap((entry) => {
      try {
        return [{ entry, re: new RegExp(entry.pattern) }];
      } catch {
        return [];
      }
    });
    compiled.set(patterns, list);
  }
  return list;
}

/** Wallet addresses in `text`, which is split into tokens at every character that is not a letter or digit. */
export function findWallets(text: string, patterns: WalletPatternEntry[]): WalletMatch[] {
  const list = compile(patterns);
  const matches: WalletMatch[] = [];
  for (const token of text.split(/[^A-Za-z0-9]+/)) {
    // No wallet format is shorter than 26 characters; skipping short tokens keeps the scan cheap.
    if (token.length < 26) continue;
    for (const { entry, re } of list) {
      if (!re.test(token)) continue;
      if (entry.check === 'base58check' && !base58CheckValid(token)) continue;
      if (entry.check === 'bech32' && !bech32Valid(token)) continue;
      matches.push({ entry, token });
      break;
    }
  }
  return matches;
}
