// Tests the prefilter planner: which patterns each kind of condition makes it search for, when it
// must give up (a rule that can match without a pattern), and that a scan with the prefilter finds
// exactly what the full rules find, on every generated sample of our own rule set and on data
// built to catch a planner that takes too few patterns from `k of (...)`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../../bench/tree-inputs.mjs';
import { generateSamples, type GeneratedSample } from '../../test/samples/generate.js';
import { planPrefilter } from './prefilter.js';
import { bundledRulesDir, compileRules, listRuleFiles } from './yara.js';

/** The pattern definitions a plan searches for, without their `$pN =` names. */
function planned(...sources: string[]): string[] | undefined {
  const plan = planPrefilter(sources.map((source, i) => ({ source, namespace: `ns${i}` })));
  if (!plan.source) return undefined;
  return [...plan.source.matchAll(/^\s+\$p\d+ = (.*)$/gm)].map((m) => m[1] as string).sort();
}

const rule = (name: string, strings: string, condition: string, prefix = ''): string =>
  `${prefix}rule ${name}\n{\n  meta:\n    description = "x"\n  strings:\n${strings}\n  condition:\n    ${condition}\n}\n`;

const THREE = '    $a = "alpha-one"\n    $b = "bravo-two"\n    $c = "charlie-three"';

describe('planPrefilter', () => {
  it('takes every pattern of `any of them` and of `A or B`', () => {
    expect(planned(rule('R', THREE, 'any of them'))).toEqual([
      '"alpha-one"',
      '"bravo-two"',
      '"charlie-three"',
    ]);
    expect(planned(rule('R', THREE, '$a or ($b and $c)'))).toHaveLength(2);
  });

  it('takes n - k + 1 patterns of `k of (...)`, one of `all of`, and the cheaper side of `and`', () => {
    expect(planned(rule('R', THREE, '2 of them'))).toHaveLength(2);
    expect(planned(rule('R', THREE, '3 of ($a, $b, $c)'))).toHaveLength(1);
    expect(planned(rule('R', THREE, 'all of them'))).toHaveLength(1);
    // A nocase wide regex costs more than a plain string: the plain string is searched.
    const strings = '    $re = /mining\\.(notify|submit)/ ascii wide nocase\n    $s = "stratum+tcp://"';
    expect(planned(rule('R', strings, '$re and $s'))).toEqual(['"stratum+tcp://"']);
    expect(planned(rule('R', THREE, '$a at 0 and #b > 2 and filesize < 1MB'))).toHaveLength(1);
  });

  it('counts anonymous patterns in `them` and `$*`', () => {
    const strings = '    $ = "anon-one"\n    $ = "anon-two"\n    $named = "named-three"';
    expect(planned(rule('R', strings, 'any of them'))).toEqual(['"anon-one"', '"anon-two"', '"named-three"']);
    expect(planned(rule('R', strings, 'any of ($*)'))).toHaveLength(3);
  });

  it('gives up when a public rule can match without any of its patterns', () => {
    for (const condition of [
      'not $a',
      'filesize < 100 or $a',
      '#a == 0',
      '#a < 2',
      'uint16(0) == 0x5a4d',
      'for any of them : ( $ at 0 )',
      'none of them',
    ]) {
      const plan = planPrefilter([{ source: rule('R', THREE, condition), namespace: 'n' }]);
      expect(plan.source, condition).toBeUndefined();
      expect(plan.reason, condition).toContain('n.R');
    }
    expect(planned('include "other.yar"\n' + rule('R', THREE, '$a'))).toBeUndefined();
  });

  it('ignores private rules that need no pattern, and follows references to rules', () => {
    const priv = rule('IsSmall', '    $z = "zulu-zulu"', 'filesize < 1KB or $z', 'private ');
    expect(planned(priv + rule('R', THREE, 'IsSmall and $a'))).toEqual(['"alpha-one"']);
    const named = rule('Named', '    $x = "xray-xray"', '$x');
    expect(planned(named + rule('R', THREE, 'Named or $b'))).toEqual(['"bravo-two"', '"xray-xray"']);
  });

  it('searches once for a string another chosen string contains, when that is sound', () => {
    const strings = [
      '    $a = "xmrig"',
      '    $b = "xmrig-proxy"',
      '    $c = "XMRig/" nocase',
      '    $d = "xmrig.com" wide',
      '    $e = "kinsing" fullword',
      '    $f = "kinsing-loader"',
    ].join('\n');
    // "xmrig" (case-sensitive, ascii) covers "xmrig-proxy" only: not the nocase one, not the wide
    // one; a fullword string covers nothing.
    expect(planned(rule('R', strings, 'any of them'))).toEqual([
      '"XMRig/" nocase',
      '"kinsing" fullword',
      '"kinsing-loader"',
      '"xmrig"',
      '"xmrig.com" wide',
    ]);
  });
});

describe('a scan with the prefilter', () => {
  let dir: string;
  let samples: GeneratedSample[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-prefilter-'));
    samples = await generateSamples(path.join(dir, 'samples'));
  }, 120_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('finds exactly what the full rules find on every sample of our rule set', () => {
    const files = listRuleFiles(bundledRulesDir());
    const fast = compileRules(files).scanner;
    const full = compileRules(files, { prefilter: false }).scanner;
    expect(fast.prefiltered).toBe(true);
    expect(full.prefiltered).toBe(false);
    expect(samples.length).toBeGreaterThan(40);
    for (const s of samples) {
      const found = fast.scanFile(s.path);
      expect(found, s.path).toEqual(full.scanFile(s.path));
      expect(found.length, s.path).toBeGreaterThan(0);
    }
    // Scanned as buffers too (archive entries and process memory take that path).
    const text = Buffer.from('plain text with no miner in it\n'.repeat(1000));
    expect(fast.scanBuffer(text)).toEqual([]);
    expect(full.scanBuffer(text)).toEqual([]);
  });

  it('still matches `2 of` when the data holds only the patterns the planner did not pick first', async () => {
    const file = path.join(dir, 'two-of.yar');
    await writeFile(file, rule('Two_Of', THREE, '2 of them'));
    const { scanner } = compileRules([file]);
    expect(scanner.prefiltered).toBe(true);
    for (const data of ['alpha-one bravo-two', 'alpha-one charlie-three', 'bravo-two charlie-three'])
      expect(
        scanner.scanBuffer(Buffer.from(data)).map((m) => m.rule),
        data,
      ).toEqual(['Two_Of']);
    expect(scanner.scanBuffer(Buffer.from('charlie-three only'))).toEqual([]);
    // Restored in a worker from the serialised form, the prefilter comes along.
    const { loadCompiledRules } = await import('./yara.js');
    const restored = loadCompiledRules(scanner.serialize(), scanner.ruleSetHash, scanner.files);
    expect(restored.prefiltered).toBe(true);
    expect(restored.scanBuffer(Buffer.from('bravo-two charlie-three')).map((m) => m.rule)).toEqual([
      'Two_Of',
    ]);
  });

  it('is left out for a rule that needs no pattern, and the rule still matches', async () => {
    const file = path.join(dir, 'tiny.yar');
    await writeFile(file, rule('Tiny', '    $a = "alpha-one"', '$a or filesize < 16'));
    const { scanner } = compileRules([file]);
    expect(scanner.prefiltered).toBe(false);
    expect(scanner.scanBuffer(Buffer.from('short')).map((m) => m.rule)).toEqual(['Tiny']);
  });
});

describe('the prefilter against random conditions', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-prefilter-random-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const WORDS = ['kilo-lima', 'mike-november', 'oscar-papa', 'quebec-romeo', 'sierra-tango'];
  const IDS = ['$a', '$b', '$c', '$d', '$e'];

  it('never misses a match the full rules find (300 random rule sets, 40 inputs each)', async () => {
    // The same conditions and data on every run.
    const rand = prng(20261126);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const condition = (depth: number, earlier: string[]): string => {
      const r = rand();
      if (depth > 2 || r < 0.3) {
        const leaf = rand();
        if (leaf < 0.35) return pick(IDS);
        if (leaf < 0.5) return `#${pick(IDS).slice(1)} ${pick(['>', '>=', '=='])} ${Math.floor(rand() * 3)}`;
        if (leaf < 0.7)
          return `${pick(['any', 'all', '1', '2', '3', 'none'])} of ${pick(['them', '($a, $b)', '($c*, $d, $e)', '($*)'])}`;
        if (leaf < 0.8) return `filesize ${pick(['<', '>'])} ${Math.floor(rand() * 64)}`;
        if (leaf < 0.9 && earlier.length > 0) return pick(earlier);
        return `${pick(IDS)} at ${Math.floor(rand() * 4)}`;
      }
      if (r < 0.4) return `not (${condition(depth + 1, earlier)})`;
      return `(${condition(depth + 1, earlier)}) ${pick(['and', 'or'])} (${condition(depth + 1, earlier)})`;
    };
    const strings = IDS.map((id, i) => `    ${id} = "${WORDS[i]}"`).join('\n');
    let prefiltered = 0;
    for (let set = 0; set < 300; set++) {
      const names: string[] = [];
      let source = '';
      for (let r = 0; r < 3; r++) {
        const name = `R${set}_${r}`;
        const cond = condition(0, names);
        // Every pattern must be used somewhere, or the compiler refuses the rule.
        source += rule(
          name,
          strings,
          `(${cond}) or (all of them and filesize > 100000)`,
          rand() < 0.3 ? 'private ' : '',
        );
        names.push(name);
      }
      const file = path.join(dir, `set${set}.yar`);
      await writeFile(file, source);
      const fast = compileRules([file]).scanner;
      const full = compileRules([file], { prefilter: false }).scanner;
      if (fast.prefiltered) prefiltered++;
      for (let n = 0; n < 40; n++) {
        let data = rand() < 0.5 ? '' : 'xx';
        for (const w of WORDS) if (rand() < 0.3) data += ` ${w}`.repeat(1 + Math.floor(rand() * 2));
        data += ' '.repeat(Math.floor(rand() * 40));
        const buf = Buffer.from(data);
        expect(fast.scanBuffer(buf), `${source}\n--- data: ${JSON.stringify(data)}`).toEqual(
          full.scanBuffer(buf),
        );
      }
    }
    // The generator must exercise the prefilter, not only the rule sets that turn it off.
    expect(prefiltered).toBeGreaterThan(30);
  }, 120_000);
});
