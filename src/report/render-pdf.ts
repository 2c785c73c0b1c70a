// The §5 incident report as PDF: the self-contained HTML page printed by headless Chromium, with a
// fresh profile directory and every network-using feature off, so printing never phones anywhere.
// CJK text needs a CJK font installed (fonts-wqy-zenhei or fonts-noto-cjk; scripts/ensure-deps.sh).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export class PdfError extends Error {
  override name = 'PdfError';
}

export function findChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.MINEHUNTER_CHROMIUM) return env.MINEHUNTER_CHROMIUM;
  return CANDIDATES.find((c) => existsSync(c));
}

/** Prints `html` to PDF bytes. */
export async function renderPdf(html: string): Promise<Buffer> {
  const chromium = findChromium();
  if (!chromium)
    throw new PdfError('PDF needs Chromium (apt-get install chromium); use --format html instead');
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
      if (!existsSync(pdf))
        throw new PdfError(`Chromium could not print the report: ${(error as Error).message}`);
    });
    return await readFile(pdf);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
