// End-to-end (issue 15): `minehunter scan --root` on a copy of the web-host fixture finds the
// injected WordPress footer through the Apache vhost that serves /data/www/blog, though /data is
// none of the places the default scan walks; the .htaccess prepend joins its payload's finding, the
// escaped wp-config include is high, and the footer's late change is shown with its time. The clean
// twin gives nothing at medium or above, and `scan --path` on the site copy finds the same footer.
import { cp, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { levelRank, type Finding } from '../../src/model/finding.js';
import { describeFinding, ensureBuilt, REPO_ROOT, runCliJson, type ReportJson } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'roots');
const BLOG = '/data/www/blog';
const FOOTER = `${BLOG}/wp-content/themes/harbor/footer.php`;

let dir: string;
let infected: ReportJson;
let infectedCode: number | null;
let clean: ReportJson;
let pathScan: ReportJson;

const fileFindings = (report: ReportJson, p: string): Finding[] =>
  report.findings.filter((f) => f.evidence.some((e) => e.type === 'file' && e.path === p));
const serious = (report: ReportJson): Finding[] =>
  report.findings.filter((f) => levelRank(f.level) >= levelRank('medium'));
const listing = (report: ReportJson): string => report.findings.map(describeFinding).join('\n');

/** A copy of a fixture root (the repository itself is never scanned: it holds our rules). */
async function copyOf(name: string): Promise<string> {
  const root = path.join(dir, name);
  await cp(path.join(FIXTURES, name), root, { recursive: true, verbatimSymlinks: true });
  return root;
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-web-roots-');
  const root = await copyOf('web-host');
  // A theme with enough files for their times to say something: the footer changed months later.
  const theme = path.join(root, BLOG, 'wp-content/themes/harbor');
  await mkdir(path.join(theme, 'template-parts'), { recursive: true });
  for (const name of ['sidebar.php', 'comments.php', 'index.php'])
    await writeFile(path.join(theme, name), `<?php\n// ${name} of the Harbor theme.\n`);
  const installed = new Date('2025-03-01T10:00:00Z');
  for (const name of ['style.css', 'header.php', 'functions.php', 'sidebar.php', 'comments.php', 'index.php'])
    await utimes(path.join(theme, name), installed, installed);
  await utimes(path.join(theme, 'footer.php'), installed, new Date('2025-10-12T02:17:00Z'));
  const run = await runCliJson(['scan', '--root', root, '--format', 'json', '--no-cache']);
  infected = run.json;
  infectedCode = run.code;
  clean = (
    await runCliJson(['scan', '--root', await copyOf('web-host-clean'), '--format', 'json', '--no-cache'])
  ).json;
  pathScan = (await runCliJson(['scan', '--path', path.join(root, BLOG), '--format', 'json', '--no-cache']))
    .json;
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('scan --root on a host whose site is not under /var/www', () => {
  it('finds the injected footer by the web root its Apache vhost names', () => {
    expect(infectedCode, listing(infected)).toBe(1);
    const [footer, ...more] = fileFindings(infected, FOOTER);
    expect(more, listing(infected)).toEqual([]);
    expect(footer?.kind).toBe('web-script');
    expect(levelRank(footer?.level ?? 'info')).toBeGreaterThanOrEqual(levelRank('high'));
    // The content rules and the injection place are one finding: the foreign script, the late change.
    const signals = footer?.signals?.map((s) => [s.ruleId, s.messageId]) ?? [];
    expect(signals).toContainEqual(['web-injection-place', 'templateScript']);
    expect(signals).toContainEqual(['web-injection-place', 'lateFile']);
    expect(signals.some(([id]) => id === 'content-match')).toBe(true);
    const late = footer?.signals?.find((s) => s.messageId === 'lateFile');
    expect(late?.message.en).toContain('2025-10-12T02:17:00.000Z');
    expect(late?.message.en).toContain('the newest changed 2025-03-01T10:00:00.000Z');
    expect(infected.verdict.kinds.map((k) => k.kind)).toContain('web-script');
  });

  it('joins the .htaccess prepend to its payload and reports the escaped wp-config include', () => {
    const [payload] = fileFindings(infected, '/var/tmp/.cache/x.php');
    expect(payload?.level).toBe('critical');
    expect(payload?.remediate).toContainEqual({
      type: 'remove-line',
      path: `${BLOG}/.htaccess`,
      line: 'php_value auto_prepend_file "/var/tmp/.cache/x.php"',
    });
    const include = infected.findings.find(
      (f) => f.ruleId === 'web-injection-place' && f.messageId === 'includePlanted',
    );
    expect(include?.data?.target).toBe(`${BLOG}/wp-content/uploads/2023/11/favicon_3c1f.ico`);
    // The icon's miner strings (weighed as a mention by its name) and the line that loads it: one finding.
    expect(include?.level, listing(infected)).toBe('critical');
    expect(include?.signals?.map((s) => s.ruleId)).toEqual(['web-injection-place', 'content-match']);
    // The plugin that carries a miner is named as such.
    expect(infected.findings.map((f) => f.messageId)).toContain('pluginPayload');
  });

  it('the clean twin gives nothing at medium or above; the Wordfence firewall is only info', () => {
    expect(serious(clean), listing(clean)).toEqual([]);
    expect(clean.findings.map((f) => [f.ruleId, f.level, f.messageId])).toContainEqual([
      'web-injection-place',
      'info',
      'prependKnown',
    ]);
  });
});

describe('scan --path on the site copy', () => {
  it('finds the same footer and reads the site as a WordPress install', () => {
    const footer = pathScan.findings.find((f) =>
      f.evidence.some((e) => e.type === 'file' && e.path.endsWith(FOOTER)),
    );
    expect(footer?.kind, listing(pathScan)).toBe('web-script');
    expect(footer?.signals?.map((s) => s.ruleId)).toContain('web-injection-place');
    // The path scan reads no host: the .htaccess prepend is found in the copy, its payload is not there.
    expect(pathScan.findings.map((f) => f.messageId)).toContain('prependPlanted');
  });
});
