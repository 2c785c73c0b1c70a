// End-to-end: a look-alike whose miner strings exist only after it starts (XOR-decoded into heap
// memory, test/lookalike/decoded.c) is caught by the memory scan, and not by the file scan.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, processEvidence, runCliJson, type ReportJson } from '../helpers/cli.js';
import { acquireHostLock, makeTempDir } from '../helpers/lookalike.js';

const execFileP = promisify(execFile);
const SOURCE = fileURLToPath(new URL('../lookalike/decoded.c', import.meta.url));

let dir: string;
let binary: string;
let child: ChildProcess | undefined;
let release: (() => Promise<void>) | undefined;
let withMemory: ReportJson;
let filesOnly: ReportJson;

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-content-memory-');
  binary = path.join(dir, 'bin', 'svc-update');
  await execFileP('mkdir', ['-p', path.dirname(binary)]);
  await execFileP('cc', ['-O2', '-Wall', '-I', path.dirname(SOURCE), '-o', binary, SOURCE]);
  release = await acquireHostLock();
  const proc = spawn(binary, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  child = proc;
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.once('data', () => resolve());
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`look-alike exited early (${code})`)));
  });
  const bin = path.dirname(binary);
  [withMemory, filesOnly] = await Promise.all([
    runCliJson(['scan', '--path', bin, '--memory', '--format', 'json', '--no-cache'], {
      timeoutMs: 120_000,
    }).then((r) => r.json),
    runCliJson(['scan', '--path', bin, '--format', 'json', '--no-cache'], { timeoutMs: 120_000 }).then(
      (r) => r.json,
    ),
  ]);
}, 180_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await release?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('memory scan of a look-alike that decodes its strings at run time', () => {
  it('the file scan finds nothing in its executable', () => {
    expect(
      filesOnly.findings.filter(
        (f) => f.ruleId === 'content-match' && f.evidence.some((e) => e.type === 'file' && e.path === binary),
      ),
    ).toEqual([]);
    expect(
      filesOnly.findings.filter((f) =>
        f.evidence.some((e) => e.type === 'match' && e.field.startsWith('yara memory:')),
      ),
    ).toEqual([]);
  });

  it('the memory scan catches it as an XMRig look-alike on its process', () => {
    const pid = child?.pid as number;
    const f = withMemory.findings.find((x) => processEvidence(x).some((e) => e.pid === pid));
    expect(f, JSON.stringify(withMemory.findings.map((x) => x.message.en))).toBeDefined();
    expect(f).toMatchObject({ ruleId: 'content-match', kind: 'open-source-miner', level: 'critical' });
    const fields = f?.evidence.flatMap((e) => (e.type === 'match' ? [e.field] : [])) ?? [];
    expect(fields).toContain('yara memory: miners-cpu.MH_XMRig_Miner');
    expect(fields.some((x) => x.startsWith('yara file:'))).toBe(false);
    expect(f?.remediate).toContainEqual({ type: 'kill-process-tree', pid, exe: binary });
  });
});
