// Tests the rule-header reader on YARA that tries to trip it (braces in hex strings and regexes,
// "rule" in comments and strings, modifiers, tags, every meta type) and the meta helpers.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OwnRuleMetaSchema, readRuleHeaders, ruleKind, ruleLevel } from './rule-meta.js';
import { compileRules } from './yara.js';

const TRICKY = `/* rule Not_A_Rule { condition: true } */
import "math"
// rule Also_Not_A_Rule
private rule First : tag1 tag2
{
    meta:
        description = "has a } brace and the word rule { inside"
        count = 3
        negative = -2
        flag = false
        escaped = "say \\"hi\\"\\n"
    strings:
        $h = { 7B 7D [2-4] ( 01 | 02 ) }
        $r = /a{2,3}\\/rule X \\{/ nocase
        $s = "rule Y {"
    condition:
        any of them and filesize \\ 2 > 1
}

global rule Second { condition: true }

rule Third
{
    meta:
        kind = "preload"
    condition:
        "abc" matches /rule Z {1}/
}
`;

describe('readRuleHeaders', () => {
  it('is tested on valid YARA: the engine compiles the tricky source without error', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-rule-meta-'));
    try {
      const file = path.join(dir, 'tricky.yar');
      await writeFile(file, TRICKY);
      const { problems, scanner } = compileRules([file]);
      expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(scanner.files).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('finds only the real rules, with their line, modifiers, tags and typed meta', () => {
    const rules = readRuleHeaders(TRICKY);
    expect(rules.map((r) => [r.name, r.line, r.modifiers, r.tags])).toEqual([
      ['First', 4, ['private'], ['tag1', 'tag2']],
      ['Second', 20, ['global'], []],
      ['Third', 22, [], []],
    ]);
    expect(rules[0]?.meta).toEqual({
      description: 'has a } brace and the word rule { inside',
      count: 3,
      negative: -2,
      flag: false,
      escaped: 'say "hi"\n',
    });
    expect(rules[1]?.meta).toEqual({});
    expect(rules[2]?.meta).toEqual({ kind: 'preload' });
  });
});

describe('meta helpers', () => {
  it('turn meta into a kind and a level only when the values are allowed', () => {
    expect(ruleKind({ kind: 'fileless' })).toBe('fileless');
    expect(ruleKind({ kind: 'cryptominer' })).toBeUndefined();
    expect(ruleKind({})).toBeUndefined();
    expect(ruleLevel({ level: 'critical' })).toBe('critical');
    expect(ruleLevel({ level: 9 })).toBeUndefined();
  });

  it('require every field of our own rules', () => {
    const ok = {
      description: 'A description long enough to say something',
      kind: 'driver',
      level: 'low',
      reference: 'https://attack.mitre.org/techniques/T1014/',
      date: '2026-11-26',
      author: 'minehunter',
    };
    expect(OwnRuleMetaSchema.safeParse(ok).success).toBe(true);
    for (const key of Object.keys(ok)) {
      const partial: Record<string, string> = { ...ok };
      delete partial[key];
      expect(OwnRuleMetaSchema.safeParse(partial).success, key).toBe(false);
    }
    expect(OwnRuleMetaSchema.safeParse({ ...ok, reference: 'see the wiki' }).success).toBe(false);
    expect(OwnRuleMetaSchema.safeParse({ ...ok, level: 'severe' }).success).toBe(false);
  });
});
