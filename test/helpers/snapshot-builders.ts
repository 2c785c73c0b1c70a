// Builders for literal snapshots in detector tests: each returns a schema-valid object from just the
// fields a test cares about, plus a realistic clean host that no detector may flag.
import {
  SnapshotSchema,
  SocketSchema,
  ProcessSchema,
  type CollectionRecord,
  type Content,
  type HostsEntry,
  type ProcessInfo,
  type Section,
  type Snapshot,
  type SocketInfo,
} from '../../src/snapshot/schema.js';
import { cleanIntegrity, cleanPersistence } from './persistence-data.js';
import { dirsWith, hiddenWith, modulesWith, preloadWith } from './stealth-builders.js';

/** The clock the builders' snapshots were "collected" at. */
export const COLLECTED_AT = '2026-11-26T12:00:00.000Z';

function basename(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

/**
 * A process with harmless defaults. `comm` defaults to what the kernel would show: the first 15
 * characters of the executable's (or argv[0]'s) base name; `argv` defaults to `[exe]`.
 */
export function makeProcess(partial: Partial<ProcessInfo> = {}): ProcessInfo {
  const exe = 'exe' in partial ? partial.exe : '/usr/bin/true';
  const argv = partial.argv ?? (exe ? [exe] : []);
  const comm = partial.comm ?? basename(exe ?? argv[0] ?? 'true').slice(0, 15);
  return ProcessSchema.parse({
    pid: 1000,
    ppid: 1,
    uid: 0,
    user: 'root',
    cpuTimeSec: 0,
    exeDeleted: false,
    exeMemfd: false,
    kernelThread: false,
    env: {},
    maps: [],
    ...partial,
    exe,
    argv,
    comm,
  });
}

/** A kernel thread as the collector reports it: no exe, empty argv, child of kthreadd. */
export function makeKernelThread(pid: number, comm: string): ProcessInfo {
  return makeProcess({ pid, ppid: 2, comm, exe: undefined, argv: [], kernelThread: true, user: 'root' });
}

let nextInode = 40_000;

/** An ESTABLISHED TCP socket from 10.0.0.2 unless told otherwise; inodes count up per call. */
export function makeSocket(partial: Partial<SocketInfo> = {}): SocketInfo {
  return SocketSchema.parse({
    protocol: 'tcp',
    localAddress: '10.0.0.2',
    localPort: 45_678,
    remoteAddress: '0.0.0.0',
    remotePort: 0,
    state: 'ESTABLISHED',
    inode: nextInode++,
    uid: 0,
    pids: [],
    ...partial,
  });
}

/**
 * A snapshot holding the given parts. Unless `collection` is given, every section whose data is
 * present (plus `host`) is recorded as collected ok, and the others as not collected at all, the
 * way a failed collector leaves them.
 */
export function makeSnapshot(partial: Partial<Snapshot> = {}): Snapshot {
  const sections: Section[] = ['host'];
  if (partial.processes) sections.push('processes');
  if (partial.sockets) sections.push('sockets');
  if (partial.hostsFile) sections.push('hosts-file');
  if (partial.content) sections.push('content');
  if (partial.preload) sections.push('preload');
  if (partial.hidden) sections.push('hidden');
  if (partial.modules) sections.push('modules');
  if (partial.dirs) sections.push('dirs');
  if (partial.persistence) sections.push('persistence');
  if (partial.integrity) sections.push('integrity');
  const collection: CollectionRecord[] = partial.collection ?? [
    { collector: 'test-builder', sections, status: 'ok', durationMs: 1, errors: [] },
  ];
  return SnapshotSchema.parse({
    schemaVersion: 1,
    tool: { name: 'minehunter', version: '0.0.0-test' },
    collectedAt: COLLECTED_AT,
    target: { root: '/', live: true },
    host: {
      hostname: 'web-01',
      kernel: '6.1.0-28-amd64',
      distribution: { id: 'debian', name: 'Debian GNU/Linux', version: '12' },
      bootTime: '2026-11-20T08:00:00.000Z',
      cpuCount: 2,
      addresses: [{ interface: 'eth0', address: '10.0.0.2', family: 'IPv4' }],
    },
    ...partial,
    collection,
  });
}

const started = (minutesAgo: number) =>
  new Date(Date.parse(COLLECTED_AT) - minutesAgo * 60_000).toISOString();

/**
 * A realistic clean web/database host: kernel threads (with the names miners imitate), sshd, nginx
 * behind TLS, PostgreSQL with -p, a busy node and java service (java -jar … -a), Chrome under a
 * user, a Python training job with --cuda, a developer's rustc in ~/.rustup, the watchdog daemon,
 * a celery worker with its bracketed title, an admin grepping for "stratum+tcp://", and a Jupyter
 * notebook on 8888. No detector may report anything here.
 */
export function cleanHostProcesses(): ProcessInfo[] {
  return [
    makeProcess({ pid: 1, ppid: 0, exe: '/usr/lib/systemd/systemd', argv: ['/sbin/init'], comm: 'systemd' }),
    makeKernelThread(2, 'kthreadd'),
    makeKernelThread(3, 'rcu_gp'),
    makeKernelThread(12, 'ksoftirqd/0'),
    makeKernelThread(13, 'migration/0'),
    makeKernelThread(14, 'watchdog/0'),
    makeKernelThread(40, 'kworker/0:1-events'),
    makeKernelThread(41, 'kworker/u4:2-events_unbound'),
    makeKernelThread(60, 'kswapd0'),
    makeKernelThread(61, 'kdevtmpfs'),
    makeProcess({
      pid: 410,
      exe: '/usr/sbin/sshd',
      argv: ['sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 startups'],
    }),
    makeProcess({ pid: 2210, ppid: 410, exe: '/usr/sbin/sshd', argv: ['sshd: alice [priv]'], comm: 'sshd' }),
    makeProcess({
      pid: 2215,
      ppid: 2210,
      uid: 1000,
      user: 'alice',
      exe: '/usr/bin/bash',
      argv: ['-bash'],
      comm: 'bash',
    }),
    makeProcess({
      pid: 2290,
      ppid: 2215,
      uid: 1000,
      user: 'alice',
      exe: '/usr/bin/grep',
      argv: ['grep', '-rn', 'stratum+tcp://', '/etc', '--donate-level'],
    }),
    makeProcess({
      pid: 2291,
      ppid: 2215,
      exe: '/usr/bin/ssh',
      argv: ['ssh', '-p', '2222', '-o', 'ServerAliveInterval=30', 'deploy@10.0.0.9'],
    }),
    makeProcess({
      pid: 520,
      exe: '/usr/sbin/nginx',
      argv: ['nginx: master process /usr/sbin/nginx -g daemon on; master_process on;'],
    }),
    makeProcess({
      pid: 521,
      ppid: 520,
      uid: 33,
      user: 'www-data',
      exe: '/usr/sbin/nginx',
      argv: ['nginx: worker process'],
    }),
    makeProcess({
      pid: 610,
      uid: 112,
      user: 'postgres',
      exe: '/usr/lib/postgresql/15/bin/postgres',
      argv: [
        '/usr/lib/postgresql/15/bin/postgres',
        '-D',
        '/var/lib/postgresql/15/main',
        '-p',
        '5432',
        '-c',
        'config_file=/etc/postgresql/15/main/postgresql.conf',
      ],
      cpuPercent: 95,
      cpuPercentLifetime: 80,
      cpuTimeSec: 40_000,
      startTime: started(60 * 24 * 6),
    }),
    makeProcess({
      pid: 611,
      ppid: 610,
      uid: 112,
      user: 'postgres',
      exe: '/usr/lib/postgresql/15/bin/postgres',
      argv: ['postgres: 15/main: checkpointer '],
    }),
    makeProcess({
      pid: 700,
      uid: 1001,
      user: 'app',
      exe: '/usr/bin/node',
      argv: ['node', '--max-old-space-size=2048', '/srv/app/dist/server.js', '--port', '3000'],
      cpuPercent: 120,
      cpuPercentLifetime: 70,
      cpuTimeSec: 9_000,
      startTime: started(240),
    }),
    makeProcess({
      pid: 760,
      uid: 1001,
      user: 'app',
      exe: '/usr/lib/jvm/java-17-openjdk-amd64/bin/java',
      argv: ['java', '-Xmx2g', '-jar', '/opt/reports/reports.jar', '-a', 'fast', '-p', 'x', '--threads', '4'],
      comm: 'java',
      cpuPercent: 60,
      cpuPercentLifetime: 55,
      cpuTimeSec: 3_000,
      startTime: started(100),
    }),
    makeProcess({
      pid: 3100,
      uid: 1000,
      user: 'alice',
      exe: '/opt/google/chrome/chrome',
      argv: [
        '/opt/google/chrome/chrome',
        '--type=renderer',
        '--lang=en-US',
        '--enable-features=NetworkService',
        '--field-trial-handle=1,2,3',
      ],
    }),
    makeProcess({
      pid: 3300,
      uid: 1000,
      user: 'alice',
      exe: '/usr/bin/python3.11',
      argv: ['python3', 'train.py', '--cuda', '--epochs', '30'],
      comm: 'python3',
      cpuPercent: 100,
      cpuPercentLifetime: 98,
      cpuTimeSec: 5_000,
      startTime: started(90),
    }),
    makeProcess({
      pid: 3400,
      uid: 1000,
      user: 'alice',
      exe: '/home/alice/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc',
      argv: [
        '/home/alice/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/bin/rustc',
        '--crate-name',
        'server',
        '--edition=2021',
        'src/main.rs',
      ],
      cpuPercent: 100,
      cpuPercentLifetime: 97,
      cpuTimeSec: 80,
      startTime: started(1.5),
    }),
    makeProcess({
      pid: 3500,
      uid: 1000,
      user: 'alice',
      exe: '/home/alice/bin/backup.sh',
      argv: ['/bin/sh', '/home/alice/bin/backup.sh'],
      comm: 'backup.sh',
      cpuPercent: 2,
      cpuPercentLifetime: 1,
    }),
    makeProcess({ pid: 800, exe: '/usr/sbin/watchdog', argv: ['/usr/sbin/watchdog'] }),
    makeProcess({
      pid: 900,
      uid: 1001,
      user: 'app',
      exe: '/usr/bin/python3.11',
      argv: ['[celeryd: celery@web-01:MainProcess] -active- (worker -A tasks)'],
      comm: 'celery',
    }),
    makeProcess({
      pid: 950,
      uid: 1000,
      user: 'alice',
      exe: '/usr/bin/python3.11',
      argv: ['/usr/bin/python3', '-m', 'jupyter', 'notebook', '--port=8888'],
      comm: 'jupyter-noteboo',
    }),
    makeProcess({
      pid: 990,
      exe: '/usr/bin/openssl',
      argv: ['openssl', 'dgst', '-sha256', '/srv/app/dist/server.js'],
    }),
    makeProcess({
      pid: 991,
      exe: '/usr/bin/shasum',
      argv: ['shasum', '-a', '256', '/srv/app/release.tar.gz'],
    }),
  ];
}

export function cleanHostSockets(): SocketInfo[] {
  return [
    makeSocket({ localAddress: '0.0.0.0', localPort: 22, state: 'LISTEN', pids: [410] }),
    makeSocket({ protocol: 'tcp6', localAddress: '::', localPort: 22, state: 'LISTEN', pids: [410] }),
    makeSocket({ localPort: 22, remoteAddress: '203.0.113.50', remotePort: 51_234, pids: [2210] }),
    makeSocket({ localAddress: '0.0.0.0', localPort: 443, state: 'LISTEN', pids: [520, 521] }),
    // An inbound visitor whose address the pool-connection tests list as a pool: accepted, not opened.
    makeSocket({ localPort: 443, remoteAddress: '198.51.100.23', remotePort: 61_000, pids: [521] }),
    makeSocket({ localAddress: '127.0.0.1', localPort: 5432, state: 'LISTEN', pids: [610] }),
    makeSocket({
      localAddress: '127.0.0.1',
      localPort: 41_000,
      remoteAddress: '127.0.0.1',
      remotePort: 5432,
      pids: [700],
    }),
    makeSocket({
      localAddress: '127.0.0.1',
      localPort: 5432,
      remoteAddress: '127.0.0.1',
      remotePort: 41_000,
      pids: [611],
    }),
    makeSocket({ localPort: 50_100, remoteAddress: '140.82.112.3', remotePort: 443, pids: [3100] }),
    makeSocket({
      protocol: 'tcp6',
      localAddress: '2001:db8::2',
      localPort: 50_200,
      remoteAddress: '2001:db8:1::80',
      remotePort: 443,
      pids: [3100],
    }),
    makeSocket({ localAddress: '127.0.0.1', localPort: 8888, state: 'LISTEN', pids: [950] }),
    makeSocket({
      localAddress: '127.0.0.1',
      localPort: 52_000,
      remoteAddress: '127.0.0.1',
      remotePort: 8888,
      pids: [3100],
    }),
    makeSocket({ localPort: 53_000, remoteAddress: '10.0.0.9', remotePort: 2222, pids: [2291] }),
    makeSocket({
      localPort: 53_100,
      remoteAddress: '10.0.0.10',
      remotePort: 8080,
      state: 'TIME_WAIT',
      inode: 0,
      pids: [],
    }),
    makeSocket({
      protocol: 'udp',
      localAddress: '10.0.0.2',
      localPort: 40_000,
      remoteAddress: '10.0.0.1',
      remotePort: 53,
      state: 'ESTABLISHED',
      pids: [410],
    }),
  ];
}

export function cleanHostHostsFile(): HostsEntry[] {
  return [
    { address: '127.0.0.1', names: ['localhost'] },
    { address: '127.0.1.1', names: ['web-01'] },
    { address: '::1', names: ['localhost', 'ip6-localhost', 'ip6-loopback'] },
    { address: '10.0.0.9', names: ['db-replica.internal'] },
    // How miners and admins block competitors' pools: loopback entries must not make local sockets pool sockets.
    { address: '127.0.0.1', names: ['pool.minexmr.com', 'xmr.pool.minergate.com'] },
    { address: '0.0.0.0', names: ['supportxmr.com'] },
  ];
}

export function cleanHostSnapshot(): Snapshot {
  return makeSnapshot({
    processes: cleanHostProcesses(),
    sockets: cleanHostSockets(),
    hostsFile: cleanHostHostsFile(),
    content: cleanHostContent(),
    persistence: cleanPersistence(),
    integrity: cleanIntegrity(),
    ...cleanStealth(cleanHostProcesses()),
  });
}

/** The stealth sections of a clean host: nothing preloaded or hidden, packaged libraries only. */
export function cleanStealth(
  processes: ProcessInfo[],
): Pick<Snapshot, 'preload' | 'hidden' | 'modules' | 'dirs'> {
  const mapped = [...new Set(processes.flatMap((p) => p.maps))].sort();
  return {
    preload: {
      ...preloadWith([]),
      libraries: mapped.map((path) => ({ path, sources: ['maps' as const], exists: true, package: 'libc6' })),
    },
    hidden: hiddenWith(),
    modules: modulesWith({ modules: [] }),
    dirs: dirsWith([]),
  };
}

/** A content scan of a clean host: executables listed with their hashes, no rule matched. */
export function cleanHostContent(): NonNullable<Snapshot['content']> {
  return {
    scope: 'default',
    roots: ['/tmp', '/var/tmp', '/dev/shm', '/etc', '/home', '/root'],
    engine: 'yara-x 0.7.2',
    ruleSetHash: '0'.repeat(64),
    ruleFiles: ['rules/miners-cpu.yar'],
    files: [
      { path: '/usr/sbin/sshd', size: 1_200_000, sha256: '1'.repeat(64), executable: true, matches: [] },
      {
        path: '/usr/local/bin/node-exporter',
        size: 9_800_000,
        sha256: '2'.repeat(64),
        executable: true,
        matches: [],
      },
    ],
    memory: [{ pid: 410, exe: '/usr/sbin/sshd', regions: 12, bytes: 2_000_000, matches: [] }],
    skipped: [{ path: '/run/systemd/notify', reason: 'special-file', detail: 'socket' }],
    stats: {
      files: 5_400,
      bytes: 430_000_000,
      cached: 0,
      archiveEntries: 0,
      skipped: 1,
      skippedByReason: { 'special-file': 1 },
      memoryProcesses: 1,
      memoryBytes: 2_000_000,
      durationMs: 3_600,
    },
  };
}

/** A content section with the given parts: an ordinary default-scope scan that found nothing else. */
export function makeContent(partial: Partial<Content> = {}): Content {
  return {
    scope: 'default',
    roots: ['/tmp'],
    engine: 'yara-x 0.7.2',
    ruleSetHash: 'f'.repeat(64),
    ruleFiles: [],
    files: [],
    skipped: [],
    stats: {
      files: 10,
      bytes: 1000,
      cached: 0,
      archiveEntries: 0,
      skipped: 0,
      skippedByReason: {},
      memoryProcesses: 0,
      memoryBytes: 0,
      durationMs: 5,
    },
    ...partial,
  };
}
