// What kind of object a file that matched a rule is, told from its first bytes: a program (ELF, PE,
// Mach-O, a script with a shebang), text, other binary data, or security material that names miners
// on purpose (YARA or Sigma rules, indicator lists and blocklists). The content-match detector
// weighs a match by it: a miner's executable is strong evidence, a README that mentions one is not.
// Only files with a match are classified, so this costs nothing on a clean tree.

import type { FileForm } from '../snapshot/schema.js';

export type { FileForm };

/** How much of a file the classifier reads: rule files and lists show what they are early. */
const HEAD = 64 * 1024;

function isMachO(b: Buffer): boolean {
  if (b.length < 4) return false;
  const m = b.readUInt32BE(0);
  return m === 0xfeedface || m === 0xfeedfacf || m === 0xcefaedfe || m === 0xcffaedfe || m === 0xcafebabe;
}

/**
 * NUL bytes or a high share of control bytes in the first 4 KiB: not text. ESC is not counted: a log
 * of a coloured terminal (a CI log, a `script` capture) is text.
 */
function looksBinary(b: Buffer): boolean {
  const n = Math.min(b.length, 4096);
  let control = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 0) return true;
    if (c < 9 || (c > 13 && c < 32 && c !== 27)) control++;
  }
  return n > 0 && control / n > 0.05;
}

/** `rule Name : tags {` followed somewhere by `condition:`: a YARA rule file, however it is named. */
const YARA_RULE = /(?:^|\n)\s*(?:(?:private|global)\s+)*rule\s+[A-Za-z_]\w*\s*(?::[\w\s]*)?\{/;
const YARA_CONDITION = /\bcondition\s*:/;

/** Sigma's required keys, each at the start of a line. */
const SIGMA_KEYS = [/(?:^|\n)title\s*:/, /(?:^|\n)logsource\s*:/, /(?:^|\n)detection\s*:/];

const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;
const SINKHOLE = /^(?:0\.0\.0\.0|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1?|0:0:0:0:0:0:0:[01])$/;
const DOMAIN = /^(?:\*\.)?(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}\.?$/i;
/** A name in a hosts entry: a domain or a single label such as `localhost`. */
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?\.?$/i;
const HASH = /^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/i;
/** Wallet-like tokens: long base58/bech32/hex strings with no spaces. */
const LONG_TOKEN = /^[A-Za-z0-9]{26,110}$/;
const URLISH = /^[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+$/i;
const IPV6ISH = /^[0-9a-f:]+$/i;

/** A single indicator: a host name, an address, a URL, a hash or a wallet-like token. */
function isIndicator(token: string): boolean {
  const v = token.replace(/^["']|["'],?$/g, '');
  return (
    DOMAIN.test(v) ||
    IPV4.test(v) ||
    (v.includes(':') && IPV6ISH.test(v)) ||
    /^(?:\d{1,3}\.){3}\d{1,3}:\d{1,5}$/.test(v) ||
    HASH.test(v) ||
    URLISH.test(v) ||
    LONG_TOKEN.test(v)
  );
}

/** Keys an indicator list written as YAML or CSV records carries besides the indicator itself. */
const PROVENANCE_KEY =
  /^(?:-\s*)?(?:source|date|note|comment|family|kind|type|description|reference|author|added|tags?|confidence|first_seen|last_seen|entries|value|indicator|domain|ip|host|port|hash|sha256|md5|url|address)\s*:/i;

/**
 * One line of a blocklist or an indicator list: a hosts entry that sends names to a sinkhole
 * (0.0.0.0, 127.x, ::1), a bare indicator, an adblock `||name^` or dnsmasq `address=/name/0.0.0.0`
 * rule, or a YAML/CSV record line around an indicator. A hosts entry that points a name at any other
 * address is not: that is how an attacker redirects a pool, and it is judged as text.
 */
function isListLine(line: string): boolean {
  const words = line.split(/[\s,;]+/).filter(Boolean);
  const first = words[0];
  if (!first) return true;
  if (IPV4.test(first) || (first.includes(':') && IPV6ISH.test(first))) {
    if (words.length === 1) return true;
    return SINKHOLE.test(first) && words.slice(1).every((w) => HOST_NAME.test(w) || w.startsWith('#'));
  }
  if (/^\|\|[^\s^]+\^/.test(first)) return true;
  const dnsmasq = /^(?:address|server|local)=\/([^/]+)\/(.*)$/.exec(line.trim());
  if (dnsmasq) return dnsmasq[2] === '' || SINKHOLE.test(dnsmasq[2]!) || dnsmasq[2] === '#';
  if (PROVENANCE_KEY.test(line.trim())) return true;
  const bare = line.trim().replace(/^-\s+/, '');
  return words.length <= 3 && isIndicator(bare.split(/[\s,;]+/)[0] ?? '');
}

/**
 * A list of indicators or a blocklist: at least 8 meaningful lines, 80% or more of them list lines
 * (a hosts file keeps a few lines of its own: localhost, the host's address, IPv6 multicast names).
 * Comments (`#`, `//`, `;`, `!`) and blank lines do not count either way.
 */
function isIndicatorList(text: string): boolean {
  let meaningful = 0;
  let listLines = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || /^(?:#|\/\/|;|!|---$)/.test(line)) continue;
    meaningful++;
    if (isListLine(line)) listLines++;
  }
  return meaningful >= 8 && listLines / meaningful >= 0.8;
}

/** Classifies a file from its bytes (the whole file or at least its first 64 KiB). */
export function fileForm(data: Buffer): FileForm {
  if (data.length >= 4 && data.readUInt32LE(0) === 0x464c457f) return 'elf';
  if (data.length >= 2 && data[0] === 0x4d && data[1] === 0x5a) return 'pe';
  if (isMachO(data)) return 'macho';
  const head = data.subarray(0, HEAD);
  if (head[0] === 0x23 && head[1] === 0x21) return 'script';
  if (looksBinary(head)) return 'binary';
  const text = head.toString('utf8');
  if (YARA_RULE.test(text) && YARA_CONDITION.test(text)) return 'yara-rules';
  if (SIGMA_KEYS.every((k) => k.test(text))) return 'sigma-rules';
  if (isIndicatorList(text)) return 'indicator-list';
  return 'text';
}
