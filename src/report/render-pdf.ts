// The §5 incident report as PDF: the self-contained HTML page printed by headless Chromium, with a
// fresh profile directory and every network-using feature off, so printing never phones anywhere.
// CJK text needs a CJK font installed (fonts-wqy-zenhei or fonts-noto-cjk; scripts/ensure-deps.sh).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Lang } from '../model/finding.js';
import { BrowserMissingError, findChromium } from '../collect/web/chromium.js';

const execFileP = promisify(execFile);

export class PdfError extends Error {
  override name = 'PdfError';
}

/** The two ways printing fails, in the user's language (the message reaches the terminal as is). */
function noChromium(lang: Lang): string {
  return lang === 'zh-CN'
    ? '生成 PDF 需要 Chromium（apt-get install chromium，或用 MINEHUNTER_CHROMIUM 指定其路径）；也可以改用 --format html'
    : 'PDF needs Chromium (apt-get install chromium, or MINEHUNTER_CHROMIUM=PATH); use --format html instead';
}
function printFailed(lang: Lang, why: string): string {
  return lang === 'zh-CN'
    ? `Chromium 未能打印报告：${why}；可以改用 --format html`
    : `Chromium could not print the report: ${why}; use --format html instead`;
}

/** Prints `html` to PDF bytes. */
export async function renderPdf(html: string, lang: Lang = 'en'): Promise<Buffer> {
  let chromium: string;
  try {
    // The same lookup as the live page check: $MINEHUNTER_CHROMIUM, else the distribution's binary
    // (Debian's wrapper script, which turns on Google's services, is bypassed).
    chromium = findChromium();
  } catch (error) {
    if (error instanceof BrowserMissingError) throw new PdfError(noChromium(lang));
    throw error;
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-pdf-'));
  try {
    const page = path.join(dir, 'report.html');
    const pdf = path.join(dir, 'report.pdf');
    await writeFile(page, html);
    await execFileP(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${path.join(dir, 'profile')}`,
        '--no-pdf-header-footer',
        `--print-to-pdf=${pdf}`,
        `file://${page}`,
      ],
      { timeout: 60_000 },
    ).catch((error: unknown) => {
      if (!existsSync(pdf)) throw new PdfError(printFailed(lang, (error as Error).message));
    });
    return await readFile(pdf);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
