// Sockets from /proc/net/{tcp,tcp6,udp,udp6}, once per network namespace, joined to the processes that
// hold them through the socket inodes found in /proc/PID/fd.
import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { SOCKET_PROTOCOLS, type CollectionRecord, type SocketInfo } from '../../snapshot/schema.js';
import type { CollectContext } from '../context.js';
import { CollectorLog, isGone } from '../support.js';

type Protocol = (typeof SOCKET_PROTOCOLS)[number];

/** What the process walk learnt that the socket tables need. */
export interface SocketJoin {
  /** socket inode → pids holding it open (sorted, distinct). */
  inodePids: Map<number, number[]>;
  /** network namespace inode (e.g. `4026531840`) → pids in it, ascending. */
  namespaces: Map<string, number[]>;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
};

function stateName(protocol: Protocol, hex: string): string {
  const code = hex.toUpperCase().padStart(2, '0');
  // UDP reuses TCP's numbers; an unconnected UDP socket sits in TCP_CLOSE, which ss calls UNCONN.
  if (protocol.startsWith('udp') && code === '07') return 'UNCONN';
  return TCP_STATES[code] ?? `UNKNOWN_${code}`;
}

/** The kernel prints addresses as 32-bit words in host byte order; this turns them into network order. */
function hexToBytes(hex: string, littleEndian: boolean): Uint8Array | undefined {
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length % 8 !== 0) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let w = 0; w < hex.length / 8; w++) {
    for (let b = 0; b < 4; b++) {
      const value = parseInt(hex.slice(w * 8 + b * 2, w * 8 + b * 2 + 2), 16);
      bytes[w * 4 + (littleEndian ? 3 - b : b)] = value;
    }
  }
  return bytes;
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function formatIpv6(bytes: Uint8Array): string {
  const isMapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isMapped) return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Decodes the address half of `0100007F:0CEA` (IPv4) or its 32-digit IPv6 form. */
export function decodeAddress(hex: string, littleEndian = true): string | undefined {
  const bytes = hexToBytes(hex, littleEndian);
  if (bytes?.length === 4) return bytes.join('.');
  if (bytes?.length === 16) return formatIpv6(bytes);
  return undefined;
}

export type ParsedSocket = Omit<SocketInfo, 'pids' | 'netns'>;

/** Parses one /proc/net table; `bad` counts lines that did not have the expected shape. */
export function parseProcNet(
  text: string,
  protocol: Protocol,
  littleEndian = true,
): { sockets: ParsedSocket[]; bad: number } {
  const sockets: ParsedSocket[] = [];
  let bad = 0;
  const lines = text.split('\n');
  for (const line of lines.slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length === 1 && f[0] === '') continue;
    const [local, remote, st, , , , uidText, , inodeText] = f.slice(1);
    const [lHex, lPort] = local?.split(':') ?? [];
    const [rHex, rPort] = remote?.split(':') ?? [];
    const localAddress = lHex !== undefined ? decodeAddress(lHex, littleEndian) : undefined;
    const remoteAddress = rHex !== undefined ? decodeAddress(rHex, littleEndian) : undefined;
    const localPort = parseInt(lPort ?? '', 16);
    const remotePort = parseInt(rPort ?? '', 16);
    const uid = Number(uidText);
    const inode = Number(inodeText);
    if (
      localAddress === undefined ||
      remoteAddress === undefined ||
      st === undefined ||
      !(localPort >= 0 && localPort <= 65535 && remotePort >= 0 && remotePort <= 65535) ||
      !Number.isInteger(inode) ||
      inode < 0
    ) {
      bad++;
      continue;
    }
    const state = stateName(protocol, st);
    // Sockets lingering in TIME_WAIT belong to no process any more; they only add noise.
    if (state === 'TIME_WAIT' && inode === 0) continue;
    const socket: ParsedSocket = {
      protocol,
      localAddress,
      localPort,
      remoteAddress,
      remotePort,
      state,
      inode,
    };
    if (Number.isInteger(uid) && uid >= 0) socket.uid = uid;
    sockets.push(socket);
  }
  return { sockets, bad };
}

function compareSockets(a: SocketInfo, b: SocketInfo): number {
  return (
    (a.netns ?? '').localeCompare(b.netns ?? '') ||
    a.protocol.localeCompare(b.protocol) ||
    a.localAddress.localeCompare(b.localAddress) ||
    a.localPort - b.localPort ||
    a.remoteAddress.localeCompare(b.remoteAddress) ||
    a.remotePort - b.remotePort ||
    a.inode - b.inode
  );
}

interface TableSource {
  netns?: string;
  /** Candidate `net` directories: one per pid of the namespace, tried in order as pids may exit. */
  dirs: string[];
}

export async function collectSockets(
  ctx: CollectContext,
  join: SocketJoin | undefined,
): Promise<{ sockets?: SocketInfo[]; record: CollectionRecord }> {
  const log = new CollectorLog('linux.sockets', ['sockets']);
  if (ctx.proc === 'absent') {
    return {
      record: log.record('skipped', 'offline root without proc/: sockets exist only on a running system'),
    };
  }
  const littleEndian = ctx.proc === 'live' ? os.endianness() === 'LE' : true;

  const sources: TableSource[] = [];
  if (join && join.namespaces.size > 1) {
    for (const [netns, pids] of [...join.namespaces].sort((a, b) => a[0].localeCompare(b[0]))) {
      sources.push({ netns, dirs: pids.map((pid) => path.join(ctx.procDir, String(pid), 'net')) });
    }
  } else {
    sources.push({ dirs: [path.join(ctx.procDir, 'net')] });
  }

  const sockets: SocketInfo[] = [];
  const notes: string[] = [];
  let tablesRead = 0;
  let badLines = 0;
  for (const source of sources) {
    let dir: string | undefined;
    let tcpText: string | undefined;
    for (const candidate of source.dirs) {
      try {
        tcpText = await readFile(path.join(candidate, 'tcp'), 'utf8');
        dir = candidate;
        break;
      } catch (err) {
        if (!isGone(err)) log.add(path.join(candidate, 'tcp'), err);
      }
    }
    const where = source.netns !== undefined ? `netns ${source.netns}` : 'proc/net';
    if (dir === undefined) {
      notes.push(`${where}: no readable tcp table`);
      continue;
    }
    const netDir = dir;
    const texts = await Promise.all(
      SOCKET_PROTOCOLS.map(async (protocol): Promise<string | Error> => {
        if (protocol === 'tcp') return tcpText as string;
        try {
          return await readFile(path.join(netDir, protocol), 'utf8');
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      }),
    );
    SOCKET_PROTOCOLS.forEach((protocol, i) => {
      const text = texts[i];
      // In protocol order, not in the order the reads finished: the note is the same on every run.
      if (text instanceof Error) {
        // tcp6/udp6 do not exist when IPv6 is disabled; that is a fact about the host.
        if (isGone(text)) notes.push(`${where}: no ${protocol} table`);
        else log.add(path.join(netDir, protocol), text);
        return;
      }
      if (text === undefined) return;
      tablesRead++;
      const parsed = parseProcNet(text, protocol, littleEndian);
      badLines += parsed.bad;
      for (const s of parsed.sockets) {
        const socket: SocketInfo = { ...s, pids: join?.inodePids.get(s.inode) ?? [] };
        if (source.netns !== undefined) socket.netns = source.netns;
        sockets.push(socket);
      }
    });
  }
  if (badLines > 0) log.add(undefined, new Error(`${badLines} malformed socket table line(s) skipped`));
  if (tablesRead === 0) return { record: log.record('failed', notes.join('; ')) };
  if (!join) notes.push('not joined to processes: the process walk did not run');
  if (sources.length > 1) notes.push(`${sources.length} network namespaces`);
  sockets.sort(compareSockets);
  const status = log.errorCount > 0 || !join ? 'partial' : 'ok';
  return { sockets, record: log.record(status, notes.join('; ')) };
}
