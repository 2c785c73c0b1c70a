// End-to-end, live: the clean-workstation corpus as this machine's own /root (bind-mounted inside a
// private mount namespace, with a sinkholing /etc/hosts bound over the real one there), minehunter's
// saved outputs under /root and /tmp, a process that loads the toolchain libraries and a native
// addon from a checkout under /tmp the way Python and node do. The live scan in that namespace
// reports nothing at medium or above about any of it, while a second process that loads a library
// from a hidden directory in /tmp is still reported. The host's real /root and /etc/hosts are never
// touched: the mounts exist only inside the namespace and go away with it.
import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model/finding.js';
import {
  CLI_PATH,
  cliEnv,
  describeFinding,
  ensureBuilt,
  processEvidence,
  type ReportJson,
} from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';
import {
  DOCUMENTS,
  TOOLCHAIN_LIBS,
  buildSharedObject,
  placeToolchainLibs,
  savedOutputRuns,
  sinkholeHosts,
  writeSavedOutputs,
} from '../helpers/workstation.js';

const execFileP = promisify(execFile);
const HOLDER_SOURCE = fileURLToPath(new URL('../lookalike/dlopen-holder.c', import.meta.url));
const SERIOUS = new Set(['critical', 'high', 'medium']);
/** Every format is covered by clean-workstation.test.ts; here the ones a responder saves most. */
const LIVE_KINDS = ['scan.txt', 'scan.json', 'snapshot.json', 'incident.md', 'evidence', 'plan.json'];

let dir: string;
let report: ReportJson;
let cleanPid: number;
let dirtyPid: number;
let dirtyLib: string;
let tmpOutputs: string[];

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `script` as root in a private mount namespace; returns its stdout. */
function inNamespace(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(`namespace script exited ${code}\nstderr:\n${stderr}\nstdout:\n${stdout.slice(0, 1000)}`),
        );
    });
  });
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-workstation-live-');
  const home = path.join(dir, 'home');
  const so = await buildSharedObject(dir);
  await placeToolchainLibs(home, so);
  for (const [rel, text] of Object.entries(DOCUMENTS)) {
    await mkdir(path.dirname(path.join(home, rel)), { recursive: true });
    await writeFile(path.join(home, rel), text);
  }
  // A checkout under /tmp with a native addon, and a library in a hidden directory (the twin).
  const addon = path.join(
    dir,
    'checkout',
    'node_modules',
    'sharp',
    'build',
    'Release',
    'sharp-linux-x64.node',
  );
  await mkdir(path.dirname(addon), { recursive: true });
  await copyFile(so, addon);
  dirtyLib = path.join(dir, '.x', 'libhelper.so');
  await mkdir(path.dirname(dirtyLib), { recursive: true });
  await copyFile(so, dirtyLib);
  const holder = path.join(home, 'bin', 'dlopen-holder');
  await mkdir(path.dirname(holder), { recursive: true });
  await execFileP('cc', ['-O1', '-Wall', '-o', holder, HOLDER_SOURCE, '-ldl']);
  await chmod(holder, 0o755);
  const hosts = path.join(dir, 'hosts');
  await writeFile(hosts, sinkholeHosts());
  // Saved outputs under /tmp, written as a user would, outside the namespace.
  tmpOutputs = await writeSavedOutputs(path.join(dir, 'case'), LIVE_KINDS);

  const node = quote(process.execPath);
  const cli = quote(CLI_PATH);
  const libs = TOOLCHAIN_LIBS.filter((rel) => !rel.startsWith('src/')).map((rel) => quote(`/root/${rel}`));
  const script = [
    'set -e',
    `mount --bind ${quote(home)} /root`,
    // The home is built under /tmp, which a scan reads too: hide that copy, as a real /root is not there.
    `mount -t tmpfs none ${quote(home)}`,
    `mount --bind ${quote(hosts)} /etc/hosts`,
    // Saved outputs under /root, written inside the namespace so they are recorded as /root/case/….
    'mkdir -p /root/case',
    ...savedOutputRuns('/root/case', LIVE_KINDS).map(
      (r) => `${node} ${cli} ${r.args.map(quote).join(' ')} >/dev/null || [ $? -eq 1 ]`,
    ),
    `/root/bin/dlopen-holder ${libs.join(' ')} ${quote(addon)} > ${quote(path.join(dir, 'clean.ready'))} &`,
    'CLEAN=$!',
    `/root/bin/dlopen-holder ${quote(dirtyLib)} > ${quote(path.join(dir, 'dirty.ready'))} &`,
    'DIRTY=$!',
    `for i in $(seq 100); do grep -q ready ${quote(path.join(dir, 'clean.ready'))} && grep -q ready ${quote(path.join(dir, 'dirty.ready'))} && break; sleep 0.1; done`,
    `echo $CLEAN $DIRTY > ${quote(path.join(dir, 'pids'))}`,
    `${node} ${cli} scan --format json --fail-on none > ${quote(path.join(dir, 'scan.json'))} || true`,
    'kill $CLEAN $DIRTY',
  ].join('\n');
  await inNamespace(script, await cliEnv());
  [cleanPid, dirtyPid] = (await readFile(path.join(dir, 'pids'), 'utf8')).trim().split(' ').map(Number) as [
    number,
    number,
  ];
  report = JSON.parse(await readFile(path.join(dir, 'scan.json'), 'utf8')) as ReportJson;
}, 400_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function pidsOf(f: Finding): number[] {
  return processEvidence(f).map((e) => e.pid);
}

function touchesCorpus(f: Finding): boolean {
  const files = f.evidence.flatMap((e) => (e.type === 'file' ? [e.path] : []));
  return (
    (!pidsOf(f).includes(dirtyPid) && files.some((p) => p.startsWith('/root/') || p.startsWith(`${dir}/`))) ||
    (pidsOf(f).includes(cleanPid) && !pidsOf(f).includes(dirtyPid)) ||
    f.ruleId === 'hosts-tampering'
  );
}

describe('the clean workstation as the live host (in a private mount namespace)', () => {
  it('nothing at medium or above about the corpus, its saved outputs or the process loading toolchain libraries', () => {
    const serious = report.findings.filter((f) => SERIOUS.has(f.level) && !f.allowed && touchesCorpus(f));
    expect(serious.map(describeFinding)).toEqual([]);
  });

  it('the corpus was scanned: a README about XMRig is a low mention, a saved report our own output', () => {
    const readme = report.findings.find((f) =>
      f.evidence.some((e) => e.type === 'file' && e.path === '/root/docs/xmrig/README.md'),
    );
    expect(readme).toMatchObject({ level: 'low', basis: 'mention' });
    const own = report.findings
      .filter((f) => f.basis === 'own-output')
      .flatMap((f) => f.evidence.flatMap((e) => (e.type === 'file' ? [e.path] : [])));
    expect(own).toContain('/root/case/scan.json');
    expect(own).toContain(tmpOutputs.find((p) => p.endsWith('scan.json')));
  });

  it('the twin: a library loaded from a hidden directory in /tmp is still reported', () => {
    const found = report.findings.filter((f) => pidsOf(f).includes(dirtyPid));
    expect(
      found.some(
        (f) =>
          (f.level === 'high' || f.level === 'critical') &&
          f.signals.some((s) => s.ruleId === 'odd-shared-object'),
      ),
      found.map(describeFinding).join('\n'),
    ).toBe(true);
    expect(JSON.stringify(found)).toContain(dirtyLib);
  });
});
