// The syslog sinks, written with node:dgram, node:net and node:tls (the npm syslog clients lack TLS
// and structured data). UDP: one datagram per record, no queue (a datagram is never acknowledged).
// TCP and TLS: octet-counted frames (RFC 6587) over one kept connection, through the on-disk queue,
// reconnecting after a failure. A local socket (/dev/log): Node cannot send unix datagrams, so a
// SOCK_STREAM socket (syslog-ng's) is written with node:net, and a SOCK_DGRAM one (rsyslog's and
// journald's) through util-linux `logger -u SOCKET`, which keeps our fields as structured data.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { cef, facts, octetFrame, rfc5424, SD_ID } from './format-syslog.js';
import { tlsOptions } from './http.js';
import { QueuedSink, type Transport } from './queued.js';
import { alertText, levelOf } from './text.js';
import type { SinkSpec } from './uri.js';
import { errorText, type AlertEnvelope, type Sink, type SinkContext, type SinkHealth } from './types.js';

type SyslogSpec = Extract<SinkSpec, { kind: 'syslog' }>;

function recordOf(spec: SyslogSpec, ctx: SinkContext): (a: AlertEnvelope) => string {
  return (a) =>
    spec.format === 'cef'
      ? cef(a, spec.facility, ctx.lang, ctx.toolVersion)
      : rfc5424(a, spec.facility, ctx.lang);
}

/** Counts and the last error, for the sinks that send directly (UDP, local socket). */
class Tally {
  sent = 0;
  failed = 0;
  error: string | undefined;
  constructor(
    private readonly name: string,
    private readonly ctx: SinkContext,
  ) {}
  ok(): void {
    this.sent++;
    if (this.error) this.ctx.note(`${this.name}: sending again`);
    this.error = undefined;
  }
  fail(err: unknown): void {
    this.failed++;
    const text = errorText(err);
    if (text !== this.error) this.ctx.note(`${this.name}: ${text}`);
    this.error = text;
  }
  health(): SinkHealth {
    return {
      name: this.name,
      sent: this.sent,
      failed: this.failed,
      ...(this.error ? { error: this.error } : {}),
    };
  }
}

function udpSink(spec: SyslogSpec, ctx: SinkContext): Sink {
  const tally = new Tally(spec.uri, ctx);
  const format = recordOf(spec, ctx);
  const socket = dgram.createSocket(net.isIPv6(spec.host) ? 'udp6' : 'udp4');
  socket.on('error', (err) => tally.fail(err));
  socket.unref();
  return {
    name: spec.uri,
    send: (a) =>
      new Promise<void>((resolve) => {
        socket.send(Buffer.from(format(a), 'utf8'), spec.port, spec.host, (err) => {
          if (err) tally.fail(err);
          else tally.ok();
          resolve();
        });
      }),
    health: () => tally.health(),
    close: async () => {
      socket.close();
    },
  };
}

/** One kept TCP or TLS connection; a failed write drops it and the next record reconnects. */
function streamTransport(spec: SyslogSpec, ctx: SinkContext): Transport {
  let socket: net.Socket | undefined;
  const connect = (): Promise<net.Socket> =>
    new Promise((resolve, reject) => {
      const s =
        spec.transport === 'tls'
          ? tls.connect({
              host: spec.host,
              port: spec.port,
              servername: net.isIP(spec.host) ? undefined : spec.host,
              ...tlsOptions(ctx.tls),
            })
          : net.connect({ host: spec.host, port: spec.port });
      const ready = spec.transport === 'tls' ? 'secureConnect' : 'connect';
      const timer = setTimeout(() => s.destroy(new Error('connect timed out after 10 s')), 10_000);
      s.once(ready, () => {
        clearTimeout(timer);
        s.off('error', reject);
        s.on('error', () => s.destroy());
        s.on('close', () => {
          if (socket === s) socket = undefined;
        });
        // The receiver says nothing on a syslog stream; anything it sends is read and dropped.
        s.resume();
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  return {
    async deliver(record) {
      socket ??= await connect();
      const s = socket;
      await new Promise<void>((resolve, reject) =>
        s.write(octetFrame(record), (err) => {
          if (!err) return resolve();
          s.destroy();
          reject(err);
        }),
      );
    },
    close: () => socket?.end(),
  };
}

/** `logger` arguments for one alert: the same facts, as structured data of our SD-ID. */
export function loggerArgs(a: AlertEnvelope, spec: SyslogSpec, ctx: SinkContext): string[] {
  const severity = { critical: 'crit', high: 'err', medium: 'warning', low: 'notice', info: 'info' }[
    levelOf(a)
  ];
  const facility =
    Object.entries({ kern: 0, user: 1, daemon: 3, auth: 4, syslog: 5, authpriv: 10 }).find(
      ([, n]) => n === spec.facility,
    )?.[0] ?? `local${spec.facility - 16}`;
  const args = [
    '-u',
    spec.socket,
    '--socket-errors=on',
    '--rfc5424',
    '-t',
    'minehunter',
    `--id=${process.pid}`,
  ];
  args.push(
    '-p',
    `${facility}.${a.event.event === 'resolved' ? 'info' : severity}`,
    '--msgid',
    a.event.event.toUpperCase(),
  );
  if (spec.format === 'cef')
    return [...args, '--', cef(a, spec.facility, ctx.lang, ctx.toolVersion).replace(/^.*? - /, '')];
  args.push('--sd-id', SD_ID);
  for (const [k, v] of facts(a)) args.push('--sd-param', `${k}="${v.replace(/[\\"\]]/g, (c) => `\\${c}`)}"`);
  return [...args, '--', alertText(a, ctx.lang)];
}

function unixSink(spec: SyslogSpec, ctx: SinkContext): Sink {
  const tally = new Tally(spec.uri, ctx);
  const format = recordOf(spec, ctx);
  let stream: net.Socket | undefined;
  /** Learned on the first send: a stream socket is written directly, a datagram one via logger. */
  let datagram = false;
  const viaLogger = (a: AlertEnvelope) =>
    new Promise<void>((resolve, reject) =>
      execFile('logger', loggerArgs(a, spec, ctx), { timeout: 10_000 }, (err, _out, stderr) =>
        err ? reject(new Error(`logger: ${stderr.trim() || err.message}`)) : resolve(),
      ),
    );
  const viaStream = (a: AlertEnvelope) =>
    new Promise<void>((resolve, reject) => {
      const write = (s: net.Socket) => s.write(`${format(a)}\n`, (err) => (err ? reject(err) : resolve()));
      if (stream) return write(stream);
      const s = net.connect(spec.socket);
      s.once('connect', () => {
        s.on('error', () => s.destroy());
        s.on('close', () => (stream = undefined));
        stream = s;
        write(s);
      });
      s.once('error', reject);
    });
  return {
    name: spec.uri,
    async send(a) {
      try {
        if (!datagram) {
          try {
            await viaStream(a);
            return tally.ok();
          } catch (err) {
            // EPROTOTYPE: the socket is SOCK_DGRAM, which only a datagram sender reaches.
            if ((err as NodeJS.ErrnoException).code !== 'EPROTOTYPE') throw err;
            datagram = true;
          }
        }
        await viaLogger(a);
        tally.ok();
      } catch (err) {
        tally.fail(err);
      }
    },
    health: () => tally.health(),
    close: async () => void stream?.end(),
  };
}

export function syslogSink(spec: SyslogSpec, ctx: SinkContext): Sink {
  if (spec.transport === 'udp') return udpSink(spec, ctx);
  if (spec.transport === 'unix') return unixSink(spec, ctx);
  return new QueuedSink(spec.uri, ctx, spec.queue, recordOf(spec, ctx), streamTransport(spec, ctx));
}
