// End-to-end: work a scan shares between processes and runs (issue 20) never hides a miner. Two
// processes of one executable (test/lookalike/twin.c), only one of which wrote miner strings into
// its heap: the memory scan reports that one and not its twin. An executable replaced on disk while
// its old image still runs (a new inode at the same path, same mtime): the scan cache does not
// answer for it, the new file is scanned again and reported; an unchanged rescan answers from the
// cache with the same finding.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, processEvidence, runCliJson, type ReportJson } from '../helpers/cli.js';
import { acquireHostLock, makeTempDir } from '../helpers/lookalike.js';

const execFileP = promisify(execFile);
const SOURCE = fileURLToPath(new URL('../lookalike/twin.c', import.meta.url));

let dir: string;
let binary: string;
let cache: string;
const children: ChildProcess[] = [];
let release: (() => Promise<void>) | undefined;
let decoder: number;
let twin: number;
let withMemory: ReportJson;

async function compile(out: string, plain: boolean): Promise<void> {
  await mkdir(path.dirname(out), { recursive: true });
  const args = ['-O2', '-Wall', '-I', path.dirname(SOURCE), ...(plain ? ['-DPLAIN'] : []), '-o', out, SOURCE];
  await execFileP('cc', args);
}

/** Starts the twin, resolved once it has written its region. */
async function start(arg: 'decode' | 'idle'): Promise<number> {
  const proc = spawn(binary, [arg], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(proc);
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.once('data', () => resolve());
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`twin exited early (${code})`)));
  });
  return proc.pid as number;
}

const memoryFields = (r: ReportJson, pid: number): string[] =>
  r.findings
    .filter((f) => processEvidence(f).some((e) => e.pid === pid))
    .flatMap((f) =>
      f.evidence.flatMap((e) => (e.type === 'match' && e.field.startsWith('yara memory:') ? [e.field] : [])),
    );

/** The content-match findings on the file at `file`. */
const fileMatches = (r: ReportJson, file: string) =>
  r.findings.filter(
    (f) => f.ruleId === 'content-match' && f.evidence.some((e) => e.type === 'file' && e.path === file),
  );

/** The content scan's collection note: "N files, B bytes, K from cache". */
const contentNote = (r: ReportJson): string =>
  (r.collection as { collector: string; note?: string }[]).find((c) => c.collector === 'content.scan')
    ?.note ?? '';

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-sharing-');
  binary = path.join(dir, 'bin', 'svc-worker');
  cache = path.join(dir, 'scan-cache.sqlite');
  await compile(binary, false);
  await compile(path.join(dir, 'stage', 'svc-worker'), true);
  release = await acquireHostLock();
  decoder = await start('decode');
  twin = await start('idle');
  const empty = path.join(dir, 'empty');
  await mkdir(empty);
  withMemory = (
    await runCliJson(
      ['scan', '--path', empty, '--memory', '--format', 'json', '--fail-on', 'none', '--no-cache'],
      {
        timeoutMs: 180_000,
      },
    )
  ).json;
}, 600_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await release?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('two processes of one executable, one with miner strings written into its heap', () => {
  it('the memory scan reports the one that wrote them', () => {
    expect(
      memoryFields(withMemory, decoder),
      JSON.stringify(withMemory.findings.map((f) => f.message.en)),
    ).toContain('yara memory: miners-cpu.MH_XMRig_Miner');
  });

  it('and not its twin, which runs the same file', () => {
    expect(memoryFields(withMemory, twin)).toEqual([]);
  });
});

describe('an executable replaced on disk while its old image still runs', () => {
  it('is scanned again at its new inode, and answered from the cache once unchanged', async () => {
    const scanBin = async () =>
      (
        await runCliJson(
          ['scan', '--path', path.dirname(binary), '--format', 'json', '--fail-on', 'none', '--cache', cache],
          {
            timeoutMs: 180_000,
          },
        )
      ).json;
    const before = await scanBin();
    expect(fileMatches(before, binary)).toEqual([]);
    // Replaced as package managers and droppers do: a new file renamed over the path, so a new inode,
    // with the old file's times, so only its identity tells it apart. The twins still run the old one.
    const old = await stat(binary);
    const next = path.join(dir, 'stage', 'svc-worker');
    await utimes(next, old.atime, old.mtime);
    await rename(next, binary);
    expect((await stat(binary)).ino).not.toBe(old.ino);
    const after = await scanBin();
    expect(fileMatches(after, binary), JSON.stringify(after.findings.map((f) => f.message.en))).toHaveLength(
      1,
    );
    expect(contentNote(after)).toMatch(/\b0 from cache\b|^(?!.*from cache)/);
    const again = await scanBin();
    expect(contentNote(again)).toMatch(/\b1 from cache\b/);
    expect(fileMatches(again, binary)).toEqual(fileMatches(after, binary));
  }, 400_000);
});
