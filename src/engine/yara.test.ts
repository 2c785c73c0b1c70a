// Tests the engine wrapper on small rule files written for each case: match details (offsets,
// escaped excerpts, meta), file and buffer scanning, broken or clashing rule files reported with
// file and line while the rest still loads, warnings, the rule-set hash and serialised rules.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EngineScanError,
  compileRules,
  engineVersion,
  escapeExcerpt,
  listRuleFiles,
  loadCompiledRules,
} from './yara.js';

let dir: string;

const GOOD = `// a comment line
rule Demo_Text : demo web
{
    meta:
        description = "demo rule for the engine tests"
        kind = "web-script"
        level = "high"
        score = 75
        enabled = true
    strings:
        $a = "miner.start()" ascii
        $b = { 52 61 6E 64 6F 6D 58 03 }
    condition:
        any of them
}
`;

// The error is on line 7: $t is used but never declared.
const UNKNOWN_PATTERN = `rule Broken_Unknown
{
    strings:
        $s = "abcdef"
    condition:
        $s and
        $t
}
`;

const SYNTAX = `rule Broken_Syntax
{
    strings:
        $s = "abcdef"
    condition
        $s
}
`;

async function write(name: string, text: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-engine-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('escapeExcerpt', () => {
  it('keeps printable ASCII and escapes backslash, control and high bytes', () => {
    expect(escapeExcerpt(Buffer.from('RandomX\x03\\ok\n\t\r\xff', 'latin1'))).toBe(
      'RandomX\\x03\\\\ok\\n\\t\\r\\xff',
    );
  });

  it('cuts long matches and marks the cut', () => {
    const out = escapeExcerpt(Buffer.alloc(100, 0x41), 10);
    expect(out).toBe('AAAAAAAAAA…');
  });
});

describe('compileRules and scanning', () => {
  it('reports rule, namespace, tags, typed meta and every matched string with offset and excerpt', async () => {
    const file = await write('demo.yar', GOOD);
    const { scanner, problems } = compileRules([file]);
    expect(problems).toEqual([]);
    const data = Buffer.concat([
      Buffer.from('<script>miner.start()</script>', 'latin1'),
      Buffer.alloc(7),
      Buffer.from('RandomX\x03', 'latin1'),
    ]);
    const [m, ...rest] = scanner.scanBuffer(data);
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      rule: 'Demo_Text',
      namespace: 'demo',
      tags: ['demo', 'web'],
      meta: { kind: 'web-script', level: 'high', score: 75, enabled: true },
      stringCount: 2,
    });
    expect(m?.strings).toEqual([
      { identifier: '$a', offset: 8, length: 13, excerpt: 'miner.start()' },
      { identifier: '$b', offset: 37, length: 8, excerpt: 'RandomX\\x03' },
    ]);
  });

  it('reads excerpts back from the file when scanning a file, and agrees with the buffer scan', async () => {
    const rules = await write('demo2.yar', GOOD);
    const target = path.join(dir, 'target.bin');
    const data = Buffer.concat([Buffer.alloc(5000, 0xcc), Buffer.from('RandomX\x03miner.start()', 'latin1')]);
    await writeFile(target, data);
    const { scanner } = compileRules([rules]);
    const fromFile = scanner.scanFile(target);
    expect(fromFile).toEqual(scanner.scanBuffer(data));
    expect(fromFile[0]?.strings.map((s) => [s.offset, s.excerpt])).toEqual([
      [5008, 'miner.start()'],
      [5000, 'RandomX\\x03'],
    ]);
    expect(await scanner.scanFileAsync(target)).toEqual(fromFile);
    expect(await scanner.scanBufferAsync(data)).toEqual(fromFile);
  });

  it('bounds the listed strings per rule but still counts them all', async () => {
    const file = await write('many.yar', 'rule Many { strings: $a = "xyz1" condition: $a }\n');
    const { scanner } = compileRules([file], { maxStringsPerRule: 3 });
    const [m] = scanner.scanBuffer(Buffer.from('xyz1 '.repeat(20)));
    expect(m?.strings).toHaveLength(3);
    expect(m?.stringCount).toBe(20);
  });

  it('scans nothing but reports an EngineScanError for a file that cannot be read', async () => {
    const { scanner } = compileRules([await write('demo3.yar', GOOD)]);
    expect(() => scanner.scanFile(path.join(dir, 'does-not-exist'))).toThrow(EngineScanError);
    await expect(scanner.scanFileAsync(path.join(dir, 'does-not-exist'))).rejects.toThrow(EngineScanError);
  });
});

describe('broken and conflicting rule files', () => {
  it('names the broken file with line and column, in English and Chinese, and loads the others', async () => {
    const good = await write('a-good.yar', GOOD);
    const bad = await write('b-unknown.yar', UNKNOWN_PATTERN);
    const syntax = await write('c-syntax.yar', SYNTAX);
    const { scanner, problems } = compileRules([good, bad, syntax]);
    expect(problems.map((p) => [p.severity, path.basename(p.file), p.line, p.code])).toEqual([
      ['error', 'b-unknown.yar', 7, 'E025'],
      ['error', 'c-syntax.yar', 6, 'E001'],
    ]);
    const [unknown] = problems;
    expect(unknown?.column).toBe(9);
    expect(unknown?.message.en).toContain(`${bad}:7:9`);
    expect(unknown?.message.en).toContain('unknown pattern `$t`');
    expect(unknown?.message['zh-CN']).toContain('第 7 行');
    expect(unknown?.message['zh-CN']).toContain(bad);
    expect(unknown?.detail).toContain('$t');
    expect(scanner.files.map((f) => f.path)).toEqual([good]);
    expect(scanner.scanBuffer(Buffer.from('miner.start()')).map((m) => m.rule)).toEqual(['Demo_Text']);
  });

  it('reports a rule file it cannot read and still loads the rest', async () => {
    const good = await write('d-good.yar', GOOD);
    const missing = path.join(dir, 'missing.yar');
    const { scanner, problems } = compileRules([missing, good]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ severity: 'error', file: missing, code: 'read-error' });
    expect(problems[0]?.message['zh-CN']).toContain('无法读取规则文件');
    expect(scanner.scanBuffer(Buffer.from('miner.start()'))).toHaveLength(1);
  });

  it('leaves out the second of two files that define the same rule in one namespace', async () => {
    const first = await write('e-first.yar', GOOD);
    const second = await write('e-second.yar', GOOD.replace('$a = "miner.start()"', '$a = "other"'));
    const { scanner, problems } = compileRules([
      { path: first, namespace: 'shared' },
      { path: second, namespace: 'shared' },
    ]);
    expect(problems.map((p) => [path.basename(p.file), p.code, p.line])).toEqual([
      ['e-second.yar', 'E012', 2],
    ]);
    expect(scanner.files.map((f) => f.path)).toEqual([first]);
    expect(scanner.scanBuffer(Buffer.from('miner.start()'))).toHaveLength(1);
    // Distinct namespaces (the default: the file name) keep both.
    expect(compileRules([first, second]).problems).toEqual([]);
  });

  it('passes compiler warnings on with file and line and keeps the rule', async () => {
    const file = await write(
      'f-slow.yar',
      'rule Slow\n{\n    strings:\n        $a = "q"\n    condition:\n        $a\n}\n',
    );
    const { scanner, problems } = compileRules([file]);
    expect(problems.map((p) => [p.severity, p.code, p.line])).toEqual([['warning', 'slow_pattern', 4]]);
    expect(scanner.scanBuffer(Buffer.from('q')).map((m) => m.rule)).toEqual(['Slow']);
  });
});

describe('rule-set identity and serialisation', () => {
  it('hashes the loaded sources: same files give the same hash, an edit changes it', async () => {
    const file = await write('g.yar', GOOD);
    const h1 = compileRules([file]).scanner.ruleSetHash;
    expect(compileRules([file]).scanner.ruleSetHash).toBe(h1);
    await writeFile(file, GOOD.replace('high', 'medium'));
    expect(compileRules([file]).scanner.ruleSetHash).not.toBe(h1);
    expect(compileRules([file]).scanner.engine).toBe(engineVersion());
  });

  it('restores serialised rules that match exactly like the compiled ones', async () => {
    const { scanner } = compileRules([await write('h.yar', GOOD)]);
    const restored = loadCompiledRules(scanner.serialize(), scanner.ruleSetHash, scanner.files);
    const data = Buffer.from('xx RandomX\x03 miner.start()', 'latin1');
    expect(restored.scanBuffer(data)).toEqual(scanner.scanBuffer(data));
    expect(restored.ruleSetHash).toBe(scanner.ruleSetHash);
  });

  it('hands restored rules on unchanged (the worker threads get the very blob), and still scans them', async () => {
    const { scanner } = compileRules([await write('h2.yar', GOOD)]);
    const blob = scanner.serialize();
    const restored = loadCompiledRules(blob, scanner.ruleSetHash, scanner.files);
    expect(restored.serialize().equals(blob)).toBe(true);
    expect(restored.prefiltered).toBe(scanner.prefiltered);
    const again = loadCompiledRules(restored.serialize(), scanner.ruleSetHash, scanner.files);
    const data = Buffer.from('miner.start() and RandomX\x03', 'latin1');
    expect(again.scanBuffer(data).map((m) => m.rule)).toEqual(['Demo_Text']);
  });

  it('unpacks a blob given as a function only when the rules are needed', async () => {
    const { scanner } = compileRules([await write('h3.yar', GOOD)]);
    const blob = scanner.serialize();
    let unpacked = 0;
    const restored = loadCompiledRules(
      () => {
        unpacked++;
        return blob;
      },
      scanner.ruleSetHash,
      scanner.files,
    );
    expect(restored.ruleSetHash).toBe(scanner.ruleSetHash);
    expect(unpacked).toBe(0);
    expect(restored.serialize().equals(blob)).toBe(true);
    expect(restored.prefiltered).toBe(scanner.prefiltered);
    const data = Buffer.from('miner.start() and RandomX\x03', 'latin1');
    expect(restored.scanBuffer(data).map((m) => m.rule)).toEqual(['Demo_Text']);
    expect(unpacked).toBe(1);
  });

  it('stops the scan with a clear error when restored rules turn out to be damaged', () => {
    const bad = Buffer.alloc(12);
    bad.writeUInt32LE(8, 0);
    bad.write('notrules', 4, 'latin1');
    const restored = loadCompiledRules(bad, 'h', []);
    expect(() => restored.scanBuffer(Buffer.from('x'))).toThrow(/compiled rules cannot be restored/);
  });
});

describe('buffers of zeros', () => {
  // Matches zeros (a run of NUL bytes) and counts them, so a reused answer would show if wrong.
  const ZEROS = `rule Zero_Run
{
    strings:
        $z = { 00 00 00 00 00 00 00 00 }
    condition:
        #z > 2 and filesize < 10000000
}
rule Never_Zero
{
    strings:
        $a = "miner.start()"
    condition:
        $a
}
`;

  it('finds in zeros what a scan of the same bytes finds, every time, and tells lengths apart', async () => {
    const { scanner } = compileRules([await write('zeros.yar', ZEROS)], { prefilter: false });
    const direct = (b: Buffer) =>
      compileRules([path.join(dir, 'zeros.yar')], { prefilter: false }).scanner.scanBuffer(b);
    for (const size of [4096, 4096, 64 * 1024 + 3, 4096]) {
      const zeros = Buffer.alloc(size);
      const found = scanner.scanBuffer(zeros);
      expect(found).toEqual(direct(Buffer.alloc(size)));
      expect(found.map((m) => m.rule)).toEqual(['Zero_Run']);
      expect(found[0]?.strings[0]?.offset).toBe(0);
    }
    // One non-zero byte, anywhere: a real scan, not the zeros' answer.
    const almost = Buffer.alloc(4096);
    almost[4000] = 1;
    expect(scanner.scanBuffer(almost)).toEqual(direct(Buffer.from(almost)));
    // Nine zeros hold two runs of eight: too few for the rule, whatever a longer buffer gave.
    expect(scanner.scanBuffer(Buffer.alloc(9))).toEqual([]);
    const data = Buffer.concat([Buffer.alloc(100), Buffer.from('miner.start()')]);
    expect(
      scanner
        .scanBuffer(data)
        .map((m) => m.rule)
        .sort(),
    ).toEqual(['Never_Zero', 'Zero_Run']);
  });
});

describe('listRuleFiles', () => {
  it('lists .yar and .yara files sorted, ignoring other files and directories', async () => {
    const sub = await mkdtemp(path.join(dir, 'list-'));
    await writeFile(path.join(sub, 'b.yara'), '');
    await writeFile(path.join(sub, 'a.yar'), '');
    await writeFile(path.join(sub, 'notes.txt'), '');
    expect(listRuleFiles(sub).map((f) => path.basename(f))).toEqual(['a.yar', 'b.yara']);
  });
});
