// End-to-end: `minehunter summarize` of a generated fleet of 1,000 host reports (real reports of the
// miner-host, container-node and clean-host fixture roots, copied with their own hostnames, times and
// some wallets: bench/summarize-inputs.mjs). The overview is written in every format, its time is
// printed (issue 16's target is ≤ 5 s; not asserted), and the CSV and JSON count what the generation
// put in: hosts by verdict, merged hosts, the same miner by hash, wallet and pool. Files that are not
// reports are named and skipped (exit 4); with nothing readable it is a usage error. In Chromium the
// HTML page opens from file:// in English and Chinese with one chart and a row per host, filters
// change the rows shown, and it requests nothing; screenshots go to a temp dir (or to
// $MINEHUNTER_SCREENSHOTS when set, for docs).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateFleet, type FleetExpectation } from '../../bench/summarize-inputs.mjs';
import { CHROMIUM_FLAGS, GOOGLE_ENV, findChromium } from '../../src/collect/web/chromium.js';
import type { Lang } from '../../src/model/finding.js';
import type { FleetOverview } from '../../src/report/fleet/model.js';
import { makeSnapshot } from '../helpers/snapshot-builders.js';
import { CLI_PATH, REPO_ROOT, cliEnv, ensureBuilt, runCli } from '../helpers/cli.js';
import { acquireHostLock } from '../helpers/host-lock.js';

const execFileP = promisify(execFile);

function chromiumPath(): string | undefined {
  try {
    return findChromium();
  } catch {
    return undefined;
  }
}
const CHROMIUM = chromiumPath();
const GNU_TIME = '/usr/bin/time';

let dir = '';
let reportsDir = '';
let outDir = '';
let expected: FleetExpectation;
let release: (() => Promise<void>) | undefined;
let firstRun: { code: number | null; stderr: string };

/** A CSV row by column name; every column is present in every row. */
type Row = Record<string, string> & { first_seen: string; last_seen: string; kinds: string; hosts: string };

/** A CSV file as rows of cells (the files have no quoted line breaks, only quoted commas). */
async function csv(file: string): Promise<Row[]> {
  const lines = (await readFile(file, 'utf8')).trimEnd().split('\r\n');
  const split = (line: string): string[] =>
    [...line.matchAll(/("(?:[^"]|"")*"|[^,]*)(,|$)/g)]
      .slice(0, -1)
      .map((m) => (m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!));
  const header = split(lines[0]!);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, i) => [header[i]!, v])) as Row);
}

beforeAll(async () => {
  await ensureBuilt();
  // The reports hold miner command lines and hashes: no live scan of another test may see them.
  release = await acquireHostLock();
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-summarize-'));
  reportsDir = path.join(dir, 'reports');
  outDir = path.join(dir, 'out');
  await mkdir(reportsDir);
  ({ expected } = await generateFleet({
    repo: REPO_ROOT,
    cli: CLI_PATH,
    dir: reportsDir,
    env: await cliEnv(),
  }));

  // The timed run: every format into a directory, as a user would.
  const timeFile = path.join(dir, 'time.txt');
  const withTime = existsSync(GNU_TIME);
  const args = [CLI_PATH, 'summarize', reportsDir, '-o', `${outDir}/`, '--lang', 'en'];
  const t0 = performance.now();
  const run = await execFileP(
    withTime ? GNU_TIME : process.execPath,
    withTime ? ['-f', '%U %S %M', '-o', timeFile, process.execPath, ...args] : args,
    {
      cwd: REPO_ROOT,
      env: await cliEnv(),
    },
  ).then(
    (r) => ({ code: 0, stderr: r.stderr }),
    (e: { code?: number; stderr?: string }) => ({ code: e.code ?? null, stderr: e.stderr ?? '' }),
  );
  const wall = (performance.now() - t0) / 1000;
  firstRun = run;
  let cpu = '';
  if (withTime) {
    const [user = 0, sys = 0, kb = 0] = (await readFile(timeFile, 'utf8'))
      .trim()
      .split('\n')
      .at(-1)!
      .split(' ')
      .map(Number);
    cpu = `, CPU ${(user + sys).toFixed(2)} s (user + sys), peak RSS ${(kb / 1024).toFixed(0)} MB`;
  }
  console.log(
    `summarize: ${expected.reports} reports of ${expected.hosts} hosts in ${wall.toFixed(2)} s wall${cpu}; target ≤ 5 s`,
  );
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  await release?.();
});

describe('summarize 1,000 host reports', () => {
  it('writes every format and says what it counted', async () => {
    expect(firstRun.code, firstRun.stderr).toBe(0);
    const infected = expected.infectedWeb + expected.infectedNode;
    expect(firstRun.stderr).toContain(
      `${expected.reports} reports of ${expected.hosts} hosts: ${infected} infected`,
    );
    for (const f of ['fleet.html', 'fleet-hosts.csv', 'fleet-miners.csv', 'fleet.json'])
      expect(existsSync(path.join(outDir, f)), f).toBe(true);
  });

  it('the hosts CSV has a row per host with its verdict; merged hosts have two reports', async () => {
    const hosts = await csv(path.join(outDir, 'fleet-hosts.csv'));
    expect(hosts).toHaveLength(expected.hosts);
    const by = (status: string) => hosts.filter((h) => h.status === status).length;
    expect(by('infected')).toBe(expected.infectedWeb + expected.infectedNode);
    expect(by(expected.cleanStatus)).toBe(expected.clean);
    const merged = hosts.filter((h) => h.reports === '2');
    expect(merged).toHaveLength(expected.merged);
    for (const h of merged) {
      expect(h.host).toMatch(/^web-\d{4}$/);
      expect(h.status).toBe('infected');
      expect(h.earlier_status).toBe(expected.cleanStatus);
      expect(h.first_seen < h.last_seen).toBe(true);
    }
    // Worst first: every infected host before the others.
    expect(
      hosts.slice(0, expected.infectedWeb + expected.infectedNode).every((h) => h.status === 'infected'),
    ).toBe(true);
    const web = hosts.find((h) => h.host === 'web-0100')!;
    expect(web.kinds.split(';').sort()).toEqual([...expected.webKinds].sort());
    expect(web.sha256).toBe(expected.minerSha);
  });

  it('the miners CSV groups the same miner across hosts by hash, wallet and pool', async () => {
    const miners = await csv(path.join(outDir, 'fleet-miners.csv'));
    const row = (type: string, value: string) => miners.find((m) => m.type === type && m.value === value);
    expect(row('sha256', expected.minerSha!)?.host_count).toBe(String(expected.infectedWeb));
    expect(row('wallet', expected.wallet)?.host_count).toBe(String(expected.walletHosts));
    expect(row('wallet', expected.sharedWallet)?.host_count).toBe(String(expected.sharedWalletHosts));
    expect(miners.filter((m) => m.type === 'wallet' && m.host_count === '1')).toHaveLength(
      expected.ownWallets,
    );
    // The web servers' xmrig and the nodes' worker use the same pool.
    const pool = row('pool', 'pool.example:3333')!;
    expect(pool.host_count).toBe(String(expected.infectedWeb + expected.infectedNode));
    expect(pool.hosts.split(';')).toContain('node-0000');
    expect(pool.hosts.split(';')).toContain('web-0000');
  });

  it('the JSON model counts hosts by verdict and infected hosts by kind', async () => {
    const fleet = JSON.parse(await readFile(path.join(outDir, 'fleet.json'), 'utf8')) as FleetOverview;
    expect(fleet.fleetSchemaVersion).toBe(1);
    expect(fleet.totals).toMatchObject({ reports: expected.reports, hosts: expected.hosts, skipped: 0 });
    expect(fleet.totals.byKind['open-source-miner'].infected).toBe(
      expected.infectedWeb + expected.infectedNode,
    );
    expect(fleet.totals.byKind.fileless.infected).toBe(expected.infectedWeb);
  });

  it('skips files that are not reports, names each, analyses a snapshot, and exits 4', async () => {
    const bad = path.join(dir, 'bad');
    await mkdir(bad);
    await writeFile(path.join(bad, 'truncated.json'), '{"schemaVersion": 1, "tool": {');
    await writeFile(path.join(bad, 'lines.json'), '{"type":"finding"}\n{"type":"summary"}\n');
    const saved = JSON.parse(await readFile(path.join(reportsDir, 'report-0000.json'), 'utf8')) as {
      schemaVersion: number;
    };
    await writeFile(path.join(bad, 'future.json'), JSON.stringify({ ...saved, schemaVersion: 9 }));
    const snapshot = makeSnapshot();
    snapshot.host.hostname = 'from-a-snapshot';
    await writeFile(path.join(bad, 'snapshot.json'), JSON.stringify(snapshot));
    // An evidence bundle: its report is read, its snapshot and manifest are not.
    const bundle = path.join(bad, 'case-1');
    await mkdir(bundle);
    await writeFile(path.join(bundle, 'manifest.json'), JSON.stringify({ files: [] }));
    await writeFile(
      path.join(bundle, 'report.json'),
      JSON.stringify({ ...saved, host: { addresses: [], hostname: 'bundle-host' } }),
    );
    await writeFile(
      path.join(bundle, 'snapshot.json'),
      JSON.stringify({ ...snapshot, host: { ...snapshot.host, hostname: 'bundle-snap' } }),
    );
    const csvOut = path.join(dir, 'mixed.csv');
    const run = await runCli(
      ['summarize', reportsDir, bad, path.join(dir, 'missing.json'), '-o', csvOut, '--lang', 'en'],
      { timeoutMs: 120_000 },
    );
    expect(run.code, run.stderr).toBe(4);
    expect(run.stderr).toMatch(/skipped \S*truncated\.json: is not JSON/);
    expect(run.stderr).toMatch(/skipped \S*lines\.json: is JSON lines/);
    expect(run.stderr).toMatch(/skipped \S*future\.json: has report schema version 9/);
    expect(run.stderr).toMatch(/skipped \S*missing\.json: cannot be read/);
    expect(run.stderr).toContain(`4 of ${expected.reports + 6} files skipped`);
    const hosts = await csv(csvOut);
    expect(hosts).toHaveLength(expected.hosts + 2);
    expect(hosts.some((h) => h.host === 'from-a-snapshot')).toBe(true);
    expect(hosts.some((h) => h.host === 'bundle-host')).toBe(true);
    expect(hosts.some((h) => h.host === 'bundle-snap')).toBe(false);
    expect(existsSync(path.join(dir, 'mixed-miners.csv'))).toBe(true);

    const none = await runCli(['summarize', bad + '/truncated.json', '--lang', 'zh-CN']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('已跳过');
    expect(none.stderr).toContain('没有任何 minehunter 报告');
  }, 120_000);

  it('teaches with examples in both languages', async () => {
    const en = await runCli(['summarize', '--help', '--lang', 'en']);
    expect(en.code).toBe(0);
    expect(en.stdout).toContain('minehunter summarize reports/*.json -o fleet.html');
    expect(en.stdout).toContain('4 the overview was written but some files were left out');
    const zh = await runCli(['summarize', '--help', '--lang', 'zh-CN']);
    expect(zh.stdout).toContain('示例');
    expect(zh.stdout).toContain('退出码');
  });
});

describe.skipIf(!CHROMIUM)('the fleet overview page in Chromium', () => {
  let browser: Browser | undefined;
  const shots = process.env.MINEHUNTER_SCREENSHOTS;

  beforeAll(async () => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !GOOGLE_ENV.includes(k)) env[k] = v;
    browser = await chromium.launch({ executablePath: CHROMIUM!, headless: true, args: CHROMIUM_FLAGS, env });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  async function open(
    lang: Lang,
  ): Promise<{ page: Page; url: string; requests: string[]; problems: string[] }> {
    let file = path.join(outDir, 'fleet.html');
    if (lang !== 'en') {
      file = path.join(dir, `fleet-${lang}.html`);
      const run = await runCli(['summarize', reportsDir, '-o', file, '--lang', lang, '-q'], {
        timeoutMs: 120_000,
      });
      expect(run.code, run.stderr).toBe(0);
    }
    const url = pathToFileURL(file).href;
    const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    await page.goto(url);
    return { page, url, requests, problems };
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    const file = path.join(dir, name);
    await page.screenshot({ path: file });
    const bytes = await readFile(file);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(bytes.length).toBeGreaterThan(5000);
    if (shots) {
      await mkdir(shots, { recursive: true });
      await copyFile(file, path.join(shots, name));
    }
  }

  const CASES: { lang: Lang; shown: (n: number, total: number) => string }[] = [
    { lang: 'en', shown: (n, total) => `${n} of ${total} hosts shown` },
    { lang: 'zh-CN', shown: (n, total) => `显示 ${n} / ${total} 台主机` },
  ];

  for (const c of CASES)
    it(`${c.lang}: one chart, a row per host, filters narrow the rows, nothing requested`, async () => {
      const { page, url, requests, problems } = await open(c.lang);
      try {
        const infected = expected.infectedWeb + expected.infectedNode;
        await expect(page.locator('svg').count()).resolves.toBe(1);
        const bars = page.locator('#kind-chart g.bar');
        await expect(bars.count()).resolves.toBe(new Set([...expected.webKinds, ...expected.nodeKinds]).size);
        await expect(
          page.locator('#kind-chart g.bar[data-kind="open-source-miner"]').getAttribute('data-infected'),
        ).resolves.toBe(String(infected));
        await expect(
          page.locator('#totals [data-status="infected"]').getAttribute('data-count'),
        ).resolves.toBe(String(infected));

        const rows = page.locator('#hosts-table tbody tr');
        const visible = page.locator('#hosts-table tbody tr:visible');
        await expect(rows.count()).resolves.toBe(expected.hosts);
        await expect(visible.count()).resolves.toBe(expected.hosts);
        await expect(page.locator('#f-count').textContent()).resolves.toBe(
          c.shown(expected.hosts, expected.hosts),
        );
        await screenshot(page, `fleet-${c.lang}.png`);

        await page.selectOption('#f-status', 'infected');
        await expect(visible.count()).resolves.toBe(infected);
        await page.selectOption('#f-kind', 'fileless');
        await expect(visible.count()).resolves.toBe(expected.infectedWeb);
        await page.selectOption('#f-kind', '');
        await page.selectOption('#f-status', '');
        // A wallet only the nodes' miners use finds exactly those hosts.
        await page.fill('#f-text', expected.sharedWallet.toLowerCase());
        await expect(visible.count()).resolves.toBe(expected.sharedWalletHosts);
        await expect(page.locator('#f-count').textContent()).resolves.toBe(
          c.shown(expected.sharedWalletHosts, expected.hosts),
        );
        await page.fill('#f-text', '');
        await expect(visible.count()).resolves.toBe(expected.hosts);

        // Sorting by reports puts the merged hosts (two reports) first, and last on the second click.
        const reportsHeader = page.locator('#hosts-table th[data-sort="reports"]');
        await reportsHeader.click();
        await expect(rows.first().getAttribute('data-reports')).resolves.toBe('2');
        await reportsHeader.click();
        await expect(rows.first().getAttribute('data-reports')).resolves.toBe('1');

        await expect(page.locator('#shared-table tbody tr').count()).resolves.toBeGreaterThan(2);
        expect(requests).toEqual([url]);
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    }, 180_000);
});
