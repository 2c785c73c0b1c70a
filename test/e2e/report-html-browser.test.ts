// The HTML incident report as a person sees it, in a real browser (Playwright driving Debian's
// Chromium): the page of an infected look-alike fixture opens from file:// with its summary card, a
// findings table that the level filter narrows to the critical rows, evidence folded per finding and
// a timeline; it runs its own script (no CSP error) and requests nothing but itself; the same in
// zh-CN. The PDF printed from the same page carries the summary card on page 1 (pdftoppm, pdftotext).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_FLAGS, GOOGLE_ENV, findChromium } from '../../src/collect/web/chromium.js';
import { renderPdf } from '../../src/report/render-pdf.js';
import type { Lang } from '../../src/model/finding.js';
import { fixtureIncidentPage, type FixtureIncidentPage } from '../helpers/incident-page.js';

const execFileP = promisify(execFile);

function chromiumPath(): string | undefined {
  try {
    return findChromium();
  } catch {
    return undefined;
  }
}
const CHROMIUM = chromiumPath();
const PDFTOPPM = ['/usr/bin/pdftoppm', '/usr/local/bin/pdftoppm'].some((p) => existsSync(p));

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
async function expectPng(file: string): Promise<void> {
  const bytes = await readFile(file);
  expect(bytes.subarray(0, 8).equals(PNG_MAGIC), file).toBe(true);
  expect(bytes.length, file).toBeGreaterThan(2000);
}

let dir = '';
let browser: Browser | undefined;
let fixture: FixtureIncidentPage;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-html-'));
  fixture = await fixtureIncidentPage();
  if (!CHROMIUM) return;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !GOOGLE_ENV.includes(k)) env[k] = v;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, env });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  url: string;
  requests: string[];
  problems: string[];
}

async function open(lang: Lang, javaScriptEnabled = true): Promise<Opened> {
  const file = path.join(dir, `report-${lang}.html`);
  await writeFile(file, fixture.html[lang]);
  const url = pathToFileURL(file).href;
  const context = await browser!.newContext({ javaScriptEnabled, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
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

const visibleRows = (page: Page) => page.locator('#findings-table tbody tr:visible');

const CASES: { lang: Lang; verdict: string; summary: string; shown: string }[] = [
  { lang: 'en', verdict: 'INFECTED', summary: 'Summary', shown: '3 of 6 shown' },
  { lang: 'zh-CN', verdict: '已感染', summary: '概要', shown: '显示 3 / 6 项' },
];

describe.skipIf(!CHROMIUM)('HTML incident report in Chromium', () => {
  it('the fixture has findings of several levels', () => {
    const levels = fixture.report.findings.map((f) => f.level);
    expect(levels.filter((l) => l === 'critical')).toHaveLength(3);
    expect(levels).toHaveLength(6);
  });

  for (const c of CASES)
    it(`${c.lang}: summary card, critical filter, folded evidence, timeline; no request but the file`, async () => {
      const { page, url, requests, problems } = await open(c.lang);
      try {
        const card = page.locator('#summary');
        await expect(card.locator('h2').textContent()).resolves.toBe(c.summary);
        await expect(card.locator('#summary-verdict').textContent()).resolves.toBe(c.verdict);
        const cardText = (await card.textContent()) ?? '';
        // What runs: the disguised miner's pid and its pool.
        expect(cardText).toContain('1337');
        expect(cardText).toContain('203.0.113.7:3333');
        const summaryPng = path.join(dir, `summary-${c.lang}.png`);
        await card.screenshot({ path: summaryPng });
        await expectPng(summaryPng);

        // The filter narrows the table to the critical rows, and says so.
        await expect(visibleRows(page).count()).resolves.toBe(6);
        await page.selectOption('#f-level', 'critical');
        await expect(visibleRows(page).count()).resolves.toBe(3);
        for (const level of await visibleRows(page).evaluateAll((rows) =>
          rows.map((r) => r.getAttribute('data-level')),
        ))
          expect(level).toBe('critical');
        await expect(page.locator('#f-count').textContent()).resolves.toBe(c.shown);
        const tablePng = path.join(dir, `critical-${c.lang}.png`);
        await page.locator('#findings').screenshot({ path: tablePng });
        await expectPng(tablePng);
        // A target filter works on top of it; clearing both shows every row again.
        await page.fill('#f-target', 'memfd');
        const memfd = await visibleRows(page).count();
        expect(memfd).toBeGreaterThan(0);
        expect(memfd).toBeLessThan(3);
        await page.fill('#f-target', '');
        await page.selectOption('#f-level', '');
        await expect(visibleRows(page).count()).resolves.toBe(6);

        // Sorting by level puts the weakest first on the second click.
        const level = page.locator('#findings-table th[data-sort="rank"]');
        await level.click();
        await level.click();
        await expect(
          page.locator('#findings-table tbody tr').first().getAttribute('data-level'),
        ).resolves.toBe('medium');

        // Evidence is folded until asked for.
        const details = page.locator('#findings-table details').first();
        await expect(details.locator('pre').isVisible()).resolves.toBe(false);
        await details.locator('summary').click();
        await expect(details.locator('pre').isVisible()).resolves.toBe(true);

        const timeline = page.locator('#timeline-chart');
        await expect(timeline.locator('circle').count()).resolves.toBeGreaterThan(1);
        const timelinePng = path.join(dir, `timeline-${c.lang}.png`);
        await timeline.screenshot({ path: timelinePng });
        await expectPng(timelinePng);
        await expect(page.locator('#cpu-chart rect').count()).resolves.toBeGreaterThan(1);

        expect(requests).toEqual([url]);
        expect(problems).toEqual([]);
      } finally {
        await page.context().close();
      }
    }, 60_000);

  it('without JavaScript the table is a plain table with every row and no dead controls', async () => {
    const { page } = await open('en', false);
    try {
      await expect(visibleRows(page).count()).resolves.toBe(6);
      await expect(page.locator('#findings .controls').isVisible()).resolves.toBe(false);
    } finally {
      await page.context().close();
    }
  }, 60_000);

  it.skipIf(!PDFTOPPM)(
    'the PDF printed from the page shows the summary card on page 1',
    async () => {
      const pdf = path.join(dir, 'report.pdf');
      await writeFile(pdf, await renderPdf(fixture.html['zh-CN']));
      await execFileP('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', pdf, path.join(dir, 'page')]);
      const png = ['page-1.png', 'page-01.png', 'page-001.png']
        .map((n) => path.join(dir, n))
        .find((p) => existsSync(p));
      expect(png, 'pdftoppm wrote page 1').toBeDefined();
      await expectPng(png!);
      const { stdout: page1 } = await execFileP('pdftotext', [
        '-enc',
        'UTF-8',
        '-f',
        '1',
        '-l',
        '1',
        pdf,
        '-',
      ]);
      for (const text of ['概要', '已感染', '1337', '203.0.113.7:3333']) expect(page1).toContain(text);
    },
    120_000,
  );
});
