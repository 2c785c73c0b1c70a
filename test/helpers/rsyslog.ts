// A real rsyslog (Debian's rsyslogd) for the sink tests, started on loopback with its own config,
// pid file and work directory in a temp dir: UDP, TCP and TLS (gtls, a test CA made with openssl)
// inputs and a unix datagram socket, each written by omfile to its own file, so a test reads what
// rsyslog itself parsed (app-name, msgid, structured data, message).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export type RsyslogInput = 'udp' | 'tcp' | 'tls' | 'unix';

export interface Rsyslog {
  udpPort: number;
  tcpPort: number;
  tlsPort: number;
  /** The unix datagram socket imuxsock listens on. */
  socket: string;
  /** The test CA's certificate: what the client trusts. */
  caFile: string;
  /** The lines rsyslog wrote for one input: "APP-NAME MSGID STRUCTURED-DATA MSG". */
  lines(input: RsyslogInput): string[];
  stop(): Promise<void>;
}

export const RSYSLOGD = '/usr/sbin/rsyslogd';

async function freePort(kind: 'tcp' | 'udp'): Promise<number> {
  if (kind === 'udp') {
    const s = dgram.createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** A CA and a server certificate for 127.0.0.1 signed by it, made with openssl in `dir`. */
export async function makeTestCa(dir: string): Promise<{ ca: string; cert: string; key: string }> {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileP('openssl', args, { cwd: dir });
  await ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=minehunter test CA',
    '-keyout',
    f('ca-key.pem'),
    '-out',
    f('ca.pem'),
  );
  await ssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server-key.pem'),
    '-out',
    f('server.csr'),
  );
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  await ssl(
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca-key.pem'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
    '-out',
    f('server.pem'),
  );
  return { ca: f('ca.pem'), cert: f('server.pem'), key: f('server-key.pem') };
}

function config(
  dir: string,
  ports: { udp: number; tcp: number; tls: number },
  tls: { ca: string; cert: string; key: string },
  socket: string,
): string {
  const out = (n: RsyslogInput) => path.join(dir, 'out', `${n}.log`);
  return `
global(workDirectory="${path.join(dir, 'work')}" maxMessageSize="64k"
  defaultNetstreamDriverCAFile="${tls.ca}" defaultNetstreamDriverCertFile="${tls.cert}"
  defaultNetstreamDriverKeyFile="${tls.key}")
module(load="imudp")
module(load="imtcp" maxSessions="50")
module(load="imuxsock" sysSock.use="off")
template(name="parsed" type="string" string="%app-name% %msgid% %structured-data% %msg%\\n")
${(['udp', 'tcp', 'tls', 'unix'] as const)
  .map((n) => `ruleset(name="${n}") { action(type="omfile" file="${out(n)}" template="parsed") }`)
  .join('\n')}
input(type="imudp" address="127.0.0.1" port="${ports.udp}" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="${ports.tcp}" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="${ports.tls}" ruleset="tls"
  streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imuxsock" socket="${socket}" ruleset="unix" useSpecialParser="off" createPath="on")
`;
}

async function waitListening(port: number, deadline: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`rsyslogd is not listening on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts rsyslogd -n with its own config under `dir` (which the caller removes afterwards). */
export async function startRsyslog(dir: string): Promise<Rsyslog> {
  mkdirSync(path.join(dir, 'work'), { recursive: true });
  mkdirSync(path.join(dir, 'out'), { recursive: true });
  const tls = await makeTestCa(dir);
  const ports = { udp: await freePort('udp'), tcp: await freePort('tcp'), tls: await freePort('tcp') };
  const socket = path.join(dir, 'log.sock');
  const conf = path.join(dir, 'rsyslog.conf');
  writeFileSync(conf, config(dir, ports, tls, socket));
  await execFileP(RSYSLOGD, ['-N1', '-f', conf]).catch((err: { stderr?: string }) => {
    throw new Error(`rsyslogd rejects its test config:\n${err.stderr ?? ''}`);
  });
  const child: ChildProcess = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', path.join(dir, 'rsyslogd.pid')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 15_000;
  try {
    await waitListening(ports.tcp, deadline);
    await waitListening(ports.tls, deadline);
    while (!existsSync(socket)) {
      if (Date.now() > deadline) throw new Error(`rsyslogd made no socket ${socket}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  const lines = (input: RsyslogInput) => {
    const file = path.join(dir, 'out', `${input}.log`);
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  };
  return {
    udpPort: ports.udp,
    tcpPort: ports.tcp,
    tlsPort: ports.tls,
    socket,
    caFile: tls.ca,
    lines,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
