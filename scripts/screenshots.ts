// Regenerates the README's pictures from the test fixtures, so they always show what the code prints
// today: docs/img/terminal-header.png (the first screen of `minehunter scan` on the miner-host
// fixture, ANSI colours turned into HTML) and docs/img/html-summary.png (the summary card and the
// top of the findings table of the HTML incident report). Drives the distribution's Chromium through
// playwright-core from a page set in memory: nothing is fetched. Run: npx tsx scripts/screenshots.ts
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createColors } from 'picocolors';
import { CHROMIUM_FLAGS, GOOGLE_ENV, findChromium } from '../src/collect/web/chromium.js';
import { renderHeader } from '../src/report/render-header.js';
import { wrapText } from '../src/report/wrap.js';
import { fixtureIncidentPage } from '../test/helpers/incident-page.js';

const OUT = fileURLToPath(new URL('../docs/img/', import.meta.url));
/** Keeps the repository small: a picture past this is a sign the capture grew by mistake. */
const MAX_BYTES = 200_000;

const FG: Record<number, string> = {
  30: '#2e3436',
  31: '#ef2929',
  32: '#8ae234',
  33: '#fce94f',
  34: '#729fcf',
  35: '#ad7fa8',
  36: '#34e2e2',
  37: '#eeeeec',
  90: '#888a85',
  91: '#ff6b6b',
  92: '#a6f26a',
  93: '#fff27a',
  94: '#8fb8ff',
  95: '#d39ad0',
  96: '#6ff',
  97: '#fff',
};

const escHtml = (s: string): string =>
  s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

// The SGR codes picocolors writes (bold, dim, italic, underline, inverse, 16 colours and their
// resets) as styled spans; anything else is dropped.
export function ansiToHtml(text: string): string {
  const st = { bold: false, dim: false, italic: false, underline: false, inverse: false, fg: 0, bg: 0 };
  let out = '';
  // eslint-disable-next-line no-control-regex -- the ESC of an SGR sequence is what is parsed
  for (const [i, part] of text.split(/\u001b\[([\d;]*)m/).entries()) {
    if (i % 2 === 1) {
      for (const code of (part || '0').split(';').map(Number)) {
        if (code === 0)
          Object.assign(st, {
            bold: false,
            dim: false,
            italic: false,
            underline: false,
            inverse: false,
            fg: 0,
            bg: 0,
          });
        else if (code === 1) st.bold = true;
        else if (code === 2) st.dim = true;
        else if (code === 22) st.bold = st.dim = false;
        else if (code === 3) st.italic = true;
        else if (code === 23) st.italic = false;
        else if (code === 4) st.underline = true;
        else if (code === 24) st.underline = false;
        else if (code === 7) st.inverse = true;
        else if (code === 27) st.inverse = false;
        else if (FG[code]) st.fg = code;
        else if (code === 39) st.fg = 0;
        else if (FG[code - 10]) st.bg = code - 10;
        else if (code === 49) st.bg = 0;
      }
      continue;
    }
    if (!part) continue;
    let fg = st.fg ? FG[st.fg] : undefined;
    let bg = st.bg ? FG[st.bg] : undefined;
    if (st.inverse) [fg, bg] = [bg ?? '#1e1e1e', fg ?? '#d0d0d0'];
    const css = [
      fg && `color:${fg}`,
      bg && `background:${bg}`,
      st.bold && 'font-weight:bold',
      st.dim && 'opacity:.65',
      st.italic && 'font-style:italic',
      st.underline && 'text-decoration:underline',
    ].filter(Boolean);
    out += css.length ? `<span style="${css.join(';')}">${escHtml(part)}</span>` : escHtml(part);
  }
  return out;
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const fixture = await fixtureIncidentPage();
  // The fixture's root as a reader would type it, not this checkout's absolute path.
  const root = path.relative(process.cwd(), fixture.report.target.root) || '.';
  const report = { ...fixture.report, target: { ...fixture.report.target, root } };
  const header = renderHeader(report, { lang: 'en', width: 100, verbose: false }, createColors(true));
  const terminal = `<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body{margin:0;background:#1e1e1e}
pre{margin:0;padding:14px 18px;color:#d0d0d0;background:#1e1e1e;display:inline-block;
  font:14px/1.35 "DejaVu Sans Mono","Noto Sans Mono CJK SC",monospace}
</style></head><body><pre id="term">$ minehunter scan\n${ansiToHtml(wrapText(header.join('\n'), 100))}</pre></body></html>`;

  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !GOOGLE_ENV.includes(k)) env[k] = v;
  const browser = await chromium.launch({
    executablePath: findChromium(),
    headless: true,
    args: CHROMIUM_FLAGS,
    env,
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    // Pages come from memory; any request would mean the page is not self-contained.
    await page.route('**/*', (route) => route.abort());
    await page.setContent(terminal);
    const shots = [path.join(OUT, 'terminal-header.png')];
    await page.locator('#term').screenshot({ path: shots[0] });

    await page.setViewportSize({ width: 980, height: 800 });
    await page.setContent(fixture.html.en);
    await page.selectOption('#f-level', 'critical');
    if (process.env.FULL_PAGE) await page.screenshot({ path: process.env.FULL_PAGE, fullPage: true });
    // The summary card and the table filtered to critical, in one picture.
    const a = (await page.locator('#summary').boundingBox())!;
    const b = (await page.locator('#findings').boundingBox())!;
    const box = { x: a.x - 8, y: a.y - 8, width: a.width + 16, height: b.y + b.height - a.y + 16 };
    shots.push(path.join(OUT, 'html-summary.png'));
    await page.screenshot({ path: shots[1], clip: box, fullPage: true });
    for (const shot of shots) {
      const { size } = await stat(shot);
      console.log(`${path.relative(process.cwd(), shot)}: ${size} bytes`);
      if (size > MAX_BYTES) throw new Error(`${shot} is ${size} bytes, more than ${MAX_BYTES}`);
    }
  } finally {
    await browser.close();
  }
}

await main();
