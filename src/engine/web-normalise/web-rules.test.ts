// Tests the web rule files (rules/web-*.yar) on a positive sample for each rule added with the
// normaliser, in YARA-X and in Debian's yara alike, and checks their meta. The samples are shaped
// as test/samples/generate.ts defines them, to be carried over there (rules.test.ts asks every rule
// for one); until then this file is where they live.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnRuleMetaSchema, readRuleHeaders, ruleKind } from '../rule-meta.js';
import { bundledRulesDir, compileRules, listRuleFiles, type YaraScanner } from '../yara.js';
import { b64, gzdeflate, wasmExporting } from './test-helpers.js';

const execFileP = promisify(execFile);

interface WebRuleSample {
  id: string;
  rules: readonly string[];
  file: string;
  content: () => string | Buffer;
}

const WEB_RULE_SAMPLES: readonly WebRuleSample[] = [
  {
    id: 'miner-script-host',
    rules: ['MH_Web_Miner_Script_Hosts'],
    file: 'analytics.js',
    content: () =>
      "var s = document.createElement('script');\ns.src = 'https://www.hostingcloud.racing/Q89r.js';\ndocument.body.appendChild(s);\n",
  },
  {
    id: 'coinhive-style-clone',
    rules: ['MH_Web_CoinHive_Style_API'],
    file: 'clone.html',
    content: () =>
      [
        '<script src="/js/leatmine.js"></script>',
        '<script>',
        'leatMine.CONFIG.WEBSOCKET_SHARDS = [["wss://proxy.example.invalid/"]];',
        "var m = new leatMine.Anonymous('SAMPLE_SITE_KEY', { throttle: 0.5 });",
        'm.start();',
        '</script>',
        '',
      ].join('\n'),
  },
  {
    id: 'php-eval-decode-chain',
    rules: ['MH_Web_PHP_Eval_Decode_Chain'],
    file: 'class-wp-cache.php',
    content: () =>
      `<?php @eval(gzinflate(base64_decode('${b64(gzdeflate("echo 'minehunter test sample';"))}'))); ?>\n`,
  },
  {
    id: 'js-eval-decoded',
    rules: ['MH_Web_JS_Eval_Decoded_Script'],
    file: 'footer.js',
    content: () => `eval(atob('${b64('console.log("minehunter test sample")')}'));\n`,
  },
  {
    id: 'wasm-randomx',
    rules: ['MH_Web_Wasm_Miner_Hash_Exports'],
    file: 'rx.wasm',
    content: () => wasmExporting('randomx_calculate_hash'),
  },
  {
    id: 'wasm-embedded-base64',
    rules: ['MH_Web_Wasm_Embedded_Base64_Miner'],
    file: 'worker.js',
    content: () =>
      `const CN = '${b64(wasmExporting('cryptonight_hash'))}';\n` +
      'WebAssembly.instantiate(decode(CN)).then((m) => m.instance.exports.cryptonight_hash());\n',
  },
];

let dir: string;
let scanner: YaraScanner;
let ruleFiles: string[];

beforeAll(async () => {
  ruleFiles = listRuleFiles(bundledRulesDir());
  const compiled = compileRules(ruleFiles);
  expect(compiled.problems).toEqual([]);
  scanner = compiled.scanner;
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-web-rules-'));
  for (const s of WEB_RULE_SAMPLES) await writeFile(path.join(dir, s.file), s.content());
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rules/web-*.yar', () => {
  it('carry the meta our rules need, with kind web-script', async () => {
    for (const file of ruleFiles.filter((f) => path.basename(f).startsWith('web-'))) {
      for (const h of readRuleHeaders(await readFile(file, 'utf8'))) {
        expect(OwnRuleMetaSchema.safeParse(h.meta).success, h.name).toBe(true);
        expect(h.meta.kind, h.name).toBe('web-script');
      }
    }
  });

  it.each(WEB_RULE_SAMPLES.map((s) => [s.id, s.rules.join(', ')]))('%s is caught by %s', (id) => {
    const sample = WEB_RULE_SAMPLES.find((s) => s.id === id) as WebRuleSample;
    const matches = scanner.scanFile(path.join(dir, sample.file));
    expect(matches.map((m) => m.rule)).toEqual(expect.arrayContaining([...sample.rules]));
    for (const m of matches.filter((x) => sample.rules.includes(x.rule)))
      expect(ruleKind(m.meta)).toBe('web-script');
  });

  it('the sample WebAssembly module is valid', () => {
    const { WebAssembly: wasmApi } = globalThis as unknown as {
      WebAssembly: { validate(b: Uint8Array): boolean };
    };
    expect(wasmApi.validate(wasmExporting('randomx_calculate_hash'))).toBe(true);
  });

  it("match the samples exactly as Debian's yara does", async () => {
    const { stdout, stderr } = await execFileP('yara', ['-r', ...ruleFiles, dir], { maxBuffer: 16 << 20 });
    expect(stderr).toBe('');
    const fromYara = stdout.split('\n').filter(Boolean).sort();
    const fromEngine = WEB_RULE_SAMPLES.flatMap((s) =>
      scanner.scanFile(path.join(dir, s.file)).map((m) => `${m.rule} ${path.join(dir, s.file)}`),
    ).sort();
    expect(fromEngine).toEqual(fromYara);
  });
});
