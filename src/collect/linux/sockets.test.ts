// Tests for the socket collector: address decoding against an independent IPv6 formatter, the fixture
// tables joined to their pids across namespaces, and a real loopback listener held by a child process.
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { SocketSchema, type SocketInfo } from '../../snapshot/schema.js';
import { makeContext } from '../context.js';
import { FIXTURE_NOW, firstLine, fixtureRoot, killChildren, startChild } from '../test-helpers.js';
import { collectProcesses } from './processes.js';
import { collectSockets, decodeAddress, formatIpv6, parseProcNet } from './sockets.js';

/** The WHATWG URL parser serialises IPv6 hosts per RFC 5952 too: an oracle that shares no code with ours. */
const whatwg = (bytes: Uint8Array): string => {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
};

describe('address decoding', () => {
  it('reads IPv4 words in host (little-endian) byte order', () => {
    expect(decodeAddress('0100007F')).toBe('127.0.0.1');
    expect(decodeAddress('0F02000A')).toBe('10.0.2.15');
    expect(decodeAddress('00000000')).toBe('0.0.0.0');
    expect(decodeAddress('0100007F', false)).toBe('1.0.0.127');
  });

  it('reads IPv6 as four little-endian words and prints compressed text', () => {
    expect(decodeAddress('00000000000000000000000000000000')).toBe('::');
    expect(decodeAddress('00000000000000000000000001000000')).toBe('::1');
    expect(decodeAddress('B80D0120000000000000000010000000')).toBe('2001:db8::10');
    expect(decodeAddress('B80D0120010000000000000005000000')).toBe('2001:db8:0:1::5');
    expect(decodeAddress('0000000000000000FFFF00000F02000A')).toBe('::ffff:10.0.2.15');
    expect(decodeAddress('000080FE00000000FF00FC00010000FE')).toBe('fe80::fc:ff:fe00:1');
  });

  it('rejects text that is not an address', () => {
    expect(decodeAddress('XYZ')).toBeUndefined();
    expect(decodeAddress('0100007')).toBeUndefined();
  });

  it('agrees with the WHATWG URL serialiser on zero-heavy and random addresses', () => {
    const cases: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(16);
      // Zero random groups so that runs of zeros, ties and edges all occur.
      for (let g = 0; g < 8; g++) if (Math.random() < 0.5) bytes.writeUInt16BE(0, g * 2);
      if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) continue;
      cases.push(bytes);
    }
    for (const bytes of cases) expect(formatIpv6(bytes)).toBe(whatwg(bytes));
  });
});

describe('parseProcNet', () => {
  const header =
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
  const line = (sl: number, local: string, remote: string, st: string, uid: number, inode: number): string =>
    `${String(sl).padStart(4)}: ${local} ${remote} ${st} 00000000:00000000 00:00000000 00000000 ${String(uid).padStart(5)}        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

  it('names states, keeps the uid and inode, and drops inode-less TIME_WAIT noise', () => {
    const text =
      header +
      line(0, '0100007F:0CEA', '00000000:0000', '0A', 999, 12345) +
      line(1, '0F02000A:A8CA', '077100CB:0D05', '01', 33, 31337) +
      line(2, '0F02000A:A7F8', '077100CB:0D05', '06', 0, 0) +
      line(3, '0F02000A:A7F9', '077100CB:0D05', '08', 33, 31338) +
      'garbage line\n';
    const { sockets, bad } = parseProcNet(text, 'tcp');
    expect(bad).toBe(1);
    expect(sockets).toEqual([
      {
        protocol: 'tcp',
        localAddress: '127.0.0.1',
        localPort: 3306,
        remoteAddress: '0.0.0.0',
        remotePort: 0,
        state: 'LISTEN',
        inode: 12345,
        uid: 999,
      },
      {
        protocol: 'tcp',
        localAddress: '10.0.2.15',
        localPort: 43210,
        remoteAddress: '203.0.113.7',
        remotePort: 3333,
        state: 'ESTABLISHED',
        inode: 31337,
        uid: 33,
      },
      expect.objectContaining({ state: 'CLOSE_WAIT', inode: 31338 }),
    ]);
  });

  it('calls an unconnected UDP socket UNCONN and a connected one ESTABLISHED', () => {
    const text =
      header +
      line(0, '3500007F:0035', '00000000:0000', '07', 101, 1) +
      line(1, '0F02000A:C000', '08080808:0035', '01', 0, 2);
    expect(parseProcNet(text, 'udp').sockets.map((s) => s.state)).toEqual(['UNCONN', 'ESTABLISHED']);
  });
});

const find = (sockets: SocketInfo[] | undefined, inode: number): SocketInfo | undefined =>
  sockets?.find((s) => s.inode === inode);

describe('collectSockets on fixture roots', () => {
  it('reads each network namespace once and joins sockets to pids through fd links', async () => {
    const ctx = await makeContext(fixtureRoot('miner-host'), FIXTURE_NOW);
    const procs = await collectProcesses(ctx, { cpuWindowMs: 0, hashExecutables: false });
    const { sockets, record } = await collectSockets(ctx, procs.join);
    expect(record.status).toBe('ok');
    expect(record.note).toContain('2 network namespaces');
    for (const s of sockets ?? []) expect(() => SocketSchema.parse(s)).not.toThrow();
    expect(sockets?.map((s) => s.inode).sort((a, b) => a - b)).toEqual([
      20053, 21000, 21001, 31337, 40001, 40002, 42420, 50000,
    ]);
    expect(find(sockets, 31337)).toEqual({
      protocol: 'tcp',
      localAddress: '10.0.2.15',
      localPort: 43210,
      remoteAddress: '203.0.113.7',
      remotePort: 3333,
      state: 'ESTABLISHED',
      inode: 31337,
      uid: 33,
      pids: [1337],
      netns: '4026531840',
    });
    expect(find(sockets, 40001)).toMatchObject({
      protocol: 'tcp6',
      localAddress: '2001:db8::10',
      localPort: 40000,
      remoteAddress: '2001:db8:0:1::5',
      remotePort: 5555,
      state: 'ESTABLISHED',
      pids: [2024],
    });
    expect(find(sockets, 40002)).toMatchObject({
      localAddress: '::ffff:10.0.2.15',
      remoteAddress: '::ffff:198.51.100.9',
      remotePort: 14444,
      pids: [2024],
    });
    expect(find(sockets, 21001)).toMatchObject({
      protocol: 'tcp6',
      localAddress: '::',
      localPort: 22,
      state: 'LISTEN',
      pids: [412],
    });
    expect(find(sockets, 20053)).toMatchObject({
      protocol: 'udp',
      localAddress: '127.0.0.53',
      state: 'UNCONN',
      pids: [1],
    });
    // The miner inside the container namespace, read from the table of a pid in that namespace.
    expect(find(sockets, 42420)).toMatchObject({
      localAddress: '172.17.0.2',
      remoteAddress: '192.0.2.10',
      remotePort: 3333,
      pids: [4242],
      netns: '4026532286',
    });
    // A socket no visible process holds is still reported, with no pids.
    expect(find(sockets, 50000)).toMatchObject({ localAddress: '127.0.0.1', localPort: 631, pids: [] });
  });

  it('joins a listening socket shared by a master and its worker to both pids, without netns', async () => {
    const ctx = await makeContext(fixtureRoot('clean-host'), FIXTURE_NOW);
    const procs = await collectProcesses(ctx, { cpuWindowMs: 0, hashExecutables: false });
    const { sockets, record } = await collectSockets(ctx, procs.join);
    expect(record).toMatchObject({ status: 'ok', errors: [] });
    expect(find(sockets, 22080)).toEqual({
      protocol: 'tcp',
      localAddress: '0.0.0.0',
      localPort: 80,
      remoteAddress: '0.0.0.0',
      remotePort: 0,
      state: 'LISTEN',
      inode: 22080,
      uid: 0,
      pids: [800, 801],
    });
    expect(find(sockets, 22081)).toMatchObject({
      remoteAddress: '198.51.100.20',
      remotePort: 52311,
      pids: [801],
    });
  });

  it('is skipped for a root without proc/, and partial when processes could not be joined', async () => {
    const offline = await collectSockets(
      await makeContext(fixtureRoot('offline-disk'), FIXTURE_NOW),
      undefined,
    );
    expect(offline.sockets).toBeUndefined();
    expect(offline.record.status).toBe('skipped');
    const unjoined = await collectSockets(
      await makeContext(fixtureRoot('clean-host'), FIXTURE_NOW),
      undefined,
    );
    expect(unjoined.record.status).toBe('partial');
    expect(find(unjoined.sockets, 22080)?.pids).toEqual([]);
  });
});

describe('collectSockets on the live system', () => {
  afterEach(killChildren);

  it('finds a loopback listener with the pid of the child holding it, and the connection to it', async () => {
    const server = await startChild(process.execPath, [
      '-e',
      "const s = require('net').createServer((c) => c.on('data', () => {})).listen(0, '127.0.0.1', () => console.log(s.address().port)); setTimeout(() => process.exit(0), 30000);",
    ]);
    const port = Number(await firstLine(server));
    const client = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
    try {
      const ctx = await makeContext('/', () => new Date());
      const procs = await collectProcesses(ctx, { cpuWindowMs: 0, hashExecutables: false });
      const { sockets, record } = await collectSockets(ctx, procs.join);
      expect(record.status === 'ok' || record.status === 'partial').toBe(true);
      const listener = sockets?.find((s) => s.state === 'LISTEN' && s.localPort === port);
      expect(listener).toMatchObject({ protocol: 'tcp', localAddress: '127.0.0.1', pids: [server.pid] });
      const outgoing = sockets?.find(
        (s) => s.state === 'ESTABLISHED' && s.remotePort === port && s.localPort === client.localPort,
      );
      expect(outgoing).toMatchObject({ remoteAddress: '127.0.0.1', pids: [process.pid] });
      const accepted = sockets?.find(
        (s) => s.state === 'ESTABLISHED' && s.localPort === port && s.remotePort === client.localPort,
      );
      expect(accepted?.pids).toEqual([server.pid]);
    } finally {
      client.destroy();
    }
  });
});
