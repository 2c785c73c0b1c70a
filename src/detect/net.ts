// Address arithmetic for matching socket endpoints against pool addresses and CIDR ranges, written
// here because node:net is off limits to pure detectors (and only isIP would be of use anyway).
import type { IocEntry } from '../iocs/types.js';

export interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let s = text.replace(/%.*$/, '');
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4tail?.[1]) {
    const v4 = parseV4(v4tail[1]);
    if (v4 === undefined) return undefined;
    s = `${s.slice(0, -v4tail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let value = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

/** Parses an address; IPv4-mapped IPv6 (::ffff:a.b.c.d, as tcp6 sockets show IPv4 peers) becomes IPv4. */
export function parseIp(text: string): ParsedIp | undefined {
  const s = text.trim().replace(/^\[|\]$/g, '');
  if (!s.includes(':')) {
    const v4 = parseV4(s);
    return v4 === undefined ? undefined : { family: 4, value: v4 };
  }
  const v6 = parseV6(s);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { family: 4, value: v6 & 0xffffffffn };
  return { family: 6, value: v6 };
}

export function isLoopback(text: string): boolean {
  const ip = parseIp(text);
  if (!ip) return false;
  return ip.family === 4 ? ip.value >> 24n === 127n : ip.value === 1n;
}

export function isUnspecified(text: string): boolean {
  const ip = parseIp(text);
  return ip !== undefined && ip.value === 0n;
}

/** "127.0.0.1:3333" or "[2001:db8::1]:3333". */
export function formatEndpoint(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

interface Range {
  family: 4 | 6;
  base: bigint;
  bits: number;
  entry: IocEntry;
}

/** Compiles address and CIDR entries once; the returned function finds the entry an address falls in. */
export function addressMatcher(entries: IocEntry[]): (address: string) => IocEntry | undefined {
  const ranges: Range[] = [];
  for (const entry of entries) {
    const [addr = '', prefix] = entry.value.split('/');
    const ip = parseIp(addr);
    if (!ip) continue;
    const width = ip.family === 4 ? 32 : 128;
    const bits = prefix === undefined ? width : Number(prefix);
    const shift = BigInt(width - bits);
    ranges.push({ family: ip.family, base: (ip.value >> shift) << shift, bits, entry });
  }
  return (address) => {
    const ip = parseIp(address);
    if (!ip) return undefined;
    const width = ip.family === 4 ? 32 : 128;
    for (const r of ranges) {
      if (r.family !== ip.family) continue;
      const shift = BigInt(width - r.bits);
      if ((ip.value >> shift) << shift === r.base) return r.entry;
    }
    return undefined;
  };
}
