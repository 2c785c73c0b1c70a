// Tests the compiled-rules cache: a second compile of unchanged rules is restored from the cache
// and scans the same, an edited rule file is recompiled (the edit takes effect), a broken file's
// problems are reported from the cache too, and a damaged cache file only costs a compile. The
// rule set used last is restored from its own file without the database, unless that file is damaged.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledRulesFileOf } from './cache.js';
import { compileRulesCached } from './compiled-cache.js';

let dir: string;
const rule = (name: string, text: string): string =>
  `rule ${name}\n{\n  strings:\n    $a = "${text}"\n  condition:\n    $a\n}\n`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-compiled-cache-'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function storedKeys(cache: string): string[] {
  const db = new Database(cache, { readonly: true });
  try {
    return (db.prepare('SELECT key FROM compiled_rules').all() as { key: string }[]).map((r) => r.key);
  } finally {
    db.close();
  }
}

describe('compileRulesCached', () => {
  it('restores unchanged rules from the cache and recompiles edited ones', async () => {
    const file = path.join(dir, 'one.yar');
    const cache = path.join(dir, 'cache.sqlite');
    await writeFile(file, rule('First_Text', 'alpha-bravo'));
    const first = compileRulesCached([{ path: file }], {}, cache);
    const keys = storedKeys(cache);
    expect(keys).toHaveLength(1);

    const again = compileRulesCached([{ path: file }], {}, cache);
    expect(storedKeys(cache)).toEqual(keys);
    expect(again.scanner.ruleSetHash).toBe(first.scanner.ruleSetHash);
    expect(again.scanner.prefiltered).toBe(true);
    const data = Buffer.from('xx alpha-bravo xx');
    expect(again.scanner.scanBuffer(data)).toEqual(first.scanner.scanBuffer(data));
    expect(again.scanner.scanBuffer(data).map((m) => m.rule)).toEqual(['First_Text']);

    await writeFile(file, rule('Edited_Text', 'charlie-delta'));
    const edited = compileRulesCached([{ path: file }], {}, cache);
    // The edited set is added; the one before stays, a third would push the oldest out.
    expect(storedKeys(cache)).toHaveLength(2);
    expect(storedKeys(cache)).toEqual(expect.arrayContaining(keys));
    await writeFile(file, rule('Third_Text', 'echo-echo'));
    compileRulesCached([{ path: file }], {}, cache);
    expect(storedKeys(cache)).toHaveLength(2);
    expect(storedKeys(cache)).not.toContain(keys[0]);
    expect(edited.scanner.scanBuffer(data)).toEqual([]);
    expect(edited.scanner.scanBuffer(Buffer.from('charlie-delta')).map((m) => m.rule)).toEqual([
      'Edited_Text',
    ]);
  });

  it('reports a broken file the same way when the rules come from the cache', async () => {
    const good = path.join(dir, 'good.yar');
    const bad = path.join(dir, 'bad.yar');
    const cache = path.join(dir, 'broken.sqlite');
    await writeFile(good, rule('Good_Rule', 'echo-foxtrot'));
    await writeFile(bad, 'rule Bad_Rule {\n  condition:\n    $missing\n}\n');
    const first = compileRulesCached([{ path: good }, { path: bad }], {}, cache);
    const second = compileRulesCached([{ path: good }, { path: bad }], {}, cache);
    expect(first.problems.some((p) => p.severity === 'error' && p.file === bad)).toBe(true);
    expect(second.problems).toEqual(first.problems);
    expect(second.scanner.files.map((f) => f.path)).toEqual([good]);
  });

  it('compiles when the cache file is damaged, and leaves the damaged file alone', async () => {
    const file = path.join(dir, 'plain.yar');
    const cache = path.join(dir, 'damaged.sqlite');
    await writeFile(file, rule('Plain_Rule', 'golf-hotel'));
    await writeFile(cache, 'this is not a database');
    const { scanner } = compileRulesCached([{ path: file }], {}, cache);
    expect(scanner.scanBuffer(Buffer.from('golf-hotel')).map((m) => m.rule)).toEqual(['Plain_Rule']);
    expect(await readFile(cache, 'utf8')).toBe('this is not a database');
  });

  it('restores the rule set used last from its own file, and not from a damaged one', async () => {
    const file = path.join(dir, 'last.yar');
    const cache = path.join(dir, 'last.sqlite');
    const rulesFile = compiledRulesFileOf(cache);
    await writeFile(file, rule('Last_Rule', 'india-juliet'));
    const first = compileRulesCached([{ path: file }], {}, cache);
    expect(existsSync(rulesFile)).toBe(true);
    // No rule string in clear in the file (it is masked like the table's copy).
    expect((await readFile(rulesFile)).includes('india-juliet')).toBe(false);
    // The table emptied: only the file can give the rules back without a compile (which stores them).
    const db = new Database(cache);
    db.prepare('DELETE FROM compiled_rules').run();
    db.close();
    const fromFile = compileRulesCached([{ path: file }], {}, cache);
    expect(storedKeys(cache)).toEqual([]);
    expect(fromFile.scanner.ruleSetHash).toBe(first.scanner.ruleSetHash);
    expect(fromFile.scanner.scanBuffer(Buffer.from('x india-juliet x')).map((m) => m.rule)).toEqual([
      'Last_Rule',
    ]);
    // One byte of the packed rules, or of what is known of them, changed: the file is passed over
    // and the rules compiled again (which stores them in the table).
    const good = await readFile(rulesFile);
    const metaByte = 48 + 64 + 12; // past the header and the key (64 hex digits)
    for (const at of [good.length - 10, metaByte]) {
      const bytes = Buffer.from(good);
      bytes[at]! ^= 0xff;
      await writeFile(rulesFile, bytes);
      const db2 = new Database(cache);
      db2.prepare('DELETE FROM compiled_rules').run();
      db2.close();
      compileRulesCached([{ path: file }], {}, cache);
      expect(storedKeys(cache), `byte ${at}`).toHaveLength(1);
    }
    const recompiled = compileRulesCached([{ path: file }], {}, cache);
    expect(recompiled.scanner.scanBuffer(Buffer.from('india-juliet')).map((m) => m.rule)).toEqual([
      'Last_Rule',
    ]);
    // An edited rule file does not take the file's rules (they are keyed by the sources).
    await writeFile(file, rule('Edited_Last', 'kilo-lima'));
    const edited = compileRulesCached([{ path: file }], {}, cache);
    expect(edited.scanner.scanBuffer(Buffer.from('india-juliet kilo-lima')).map((m) => m.rule)).toEqual([
      'Edited_Last',
    ]);
  });
});
