// Tests minehunter's own rule set (rules/*.yar) end to end: it loads cleanly in YARA-X and in
// Debian's `yara`, every rule carries valid meta and has a generated positive sample, and every
// sample is caught by its intended rules with the intended kind, identically in both engines.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINER_KINDS } from '../model/finding.js';
import { SAMPLES, generateSamples, type GeneratedSample } from '../../test/samples/generate.js';
import { OwnRuleMetaSchema, readRuleHeaders, ruleKind, type RuleHeader } from './rule-meta.js';
import {
  bundledRulesDir,
  compileRules,
  escapeExcerpt,
  listRuleFiles,
  type RuleProblem,
  type YaraScanner,
} from './yara.js';

const execFileP = promisify(execFile);

let dir: string;
let samples: GeneratedSample[];
let scanner: YaraScanner;
let problems: RuleProblem[];
let ruleFiles: string[];
let headers: (RuleHeader & { file: string })[];

/** Debian's yara is installed by scripts/ensure-deps.sh; without it this suite cannot compare. */
async function yara(args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await execFileP('yara', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('`yara` is not on PATH: run `sh scripts/ensure-deps.sh` (Debian package yara)', {
        cause: err,
      });
    throw err;
  }
}

beforeAll(async () => {
  ruleFiles = listRuleFiles(bundledRulesDir());
  ({ scanner, problems } = compileRules(ruleFiles));
  headers = [];
  for (const file of ruleFiles) {
    for (const h of readRuleHeaders(await readFile(file, 'utf8'))) headers.push({ ...h, file });
  }
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-samples-'));
  samples = await generateSamples(dir);
}, 120_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('rules/*.yar', () => {
  it('compile in YARA-X with no error and no warning', () => {
    expect(problems.map((p) => p.message.en)).toEqual([]);
    expect(scanner.files.map((f) => path.basename(f.path))).toEqual(ruleFiles.map((f) => path.basename(f)));
  });

  it("load in Debian's yara, all together, with no error and no warning", async () => {
    const { stdout, stderr } = await yara([...ruleFiles, '/dev/null']);
    expect(stderr).toBe('');
    expect(stdout).toBe('');
  });

  it('hold at least 40 uniquely named rules covering all seven kinds', () => {
    expect(headers.length).toBeGreaterThanOrEqual(40);
    const names = headers.map((h) => h.name);
    expect(new Set(names).size).toBe(names.length);
    const kinds = new Set(headers.map((h) => h.meta.kind));
    for (const kind of MINER_KINDS) expect(kinds, `no rule of kind ${kind}`).toContain(kind);
  });

  it('give every rule description, kind, level, reference, date and author with allowed values', () => {
    const bad: string[] = [];
    for (const h of headers) {
      const parsed = OwnRuleMetaSchema.safeParse(h.meta);
      if (!parsed.success) bad.push(`${path.basename(h.file)}:${h.line} ${h.name}: ${parsed.error.message}`);
      else if (parsed.data.date !== '2026-11-26' || parsed.data.author !== 'minehunter')
        bad.push(`${h.name}: date/author ${parsed.data.date}/${parsed.data.author}`);
    }
    expect(bad).toEqual([]);
  });

  it('have a generated positive sample for every rule, and samples name only existing rules', () => {
    const ruleNames = new Set(headers.map((h) => h.name));
    const covered = new Set(SAMPLES.flatMap((s) => s.rules));
    expect([...ruleNames].filter((r) => !covered.has(r))).toEqual([]);
    expect([...covered].filter((r) => !ruleNames.has(r))).toEqual([]);
    // Samples name the kind of every rule they must trigger; a mismatch is a wrong tag.
    const kindOf = new Map(headers.map((h) => [h.name, h.meta.kind]));
    for (const s of SAMPLES) for (const r of s.rules) expect(kindOf.get(r), `${s.id} → ${r}`).toBe(s.kind);
  });
});

describe('generated samples', () => {
  it.each(SAMPLES.map((s) => [s.id, s.rules.join(', ')]))(
    '%s is caught by %s with the right kind, namespace and matched strings',
    async (id) => {
      const sample = samples.find((s) => s.id === id) as GeneratedSample;
      const bytes = await readFile(sample.path);
      const matches = scanner.scanFile(sample.path);
      expect(matches.map((m) => m.rule)).toEqual(expect.arrayContaining([...sample.rules]));
      for (const rule of sample.rules) {
        const m = matches.find((x) => x.rule === rule);
        if (!m) throw new Error(`${rule} did not match ${sample.path}`);
        expect(ruleKind(m.meta)).toBe(sample.kind);
        const header = headers.find((h) => h.name === rule);
        expect(m.namespace).toBe(path.basename(header?.file ?? '', '.yar'));
        expect(m.strings.length).toBeGreaterThan(0);
        for (const s of m.strings) {
          // The excerpt is what sits at the reported offset in the file.
          expect(s.excerpt).toBe(escapeExcerpt(bytes.subarray(s.offset, s.offset + s.length)));
        }
      }
      // Scanning the same bytes from memory finds the same rules as scanning the file.
      expect(scanner.scanBuffer(bytes).map((m) => m.rule)).toEqual(matches.map((m) => m.rule));
    },
  );

  it('are what they claim to be: ELF programs, an ELF relocatable object, a valid WebAssembly module', async () => {
    // ELF e_type: 1 relocatable (what a kernel module is), 2 executable, 3 shared object or PIE.
    const elfTypes = { object: [1], shared: [3], exe: [2, 3] };
    for (const def of SAMPLES) {
      if (def.type !== 'c') continue;
      const head = await readFile((samples.find((x) => x.id === def.id) as GeneratedSample).path);
      expect(head.subarray(0, 4).toString('latin1'), def.id).toBe('\x7fELF');
      expect(elfTypes[def.link], def.id).toContain(head.readUInt16LE(16));
    }
    const wasm = samples.find((s) => s.id === 'wasm-cryptonight') as GeneratedSample;
    // lib.dom is not in this project's tsconfig, so reach Node's global WebAssembly untyped.
    const { WebAssembly: wasmApi } = globalThis as unknown as {
      WebAssembly: { validate(bytes: Uint8Array): boolean };
    };
    expect(wasmApi.validate(await readFile(wasm.path))).toBe(true);
    const reg = samples.find((s) => s.id === 'protectionx') as GeneratedSample;
    expect((await readFile(reg.path)).subarray(0, 2)).toEqual(Buffer.from([0xff, 0xfe]));
  });

  it("get exactly the same rule matches from Debian's yara as from the engine", async () => {
    const { stdout } = await yara(['-r', ...ruleFiles, dir]);
    const fromYara = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.replace(' ', '\t'))
      .sort();
    const fromEngine = samples
      .flatMap((s) => scanner.scanFile(s.path).map((m) => `${m.rule}\t${s.path}`))
      .sort();
    expect(fromYara.length).toBeGreaterThanOrEqual(SAMPLES.length);
    expect(fromEngine).toEqual(fromYara);
  });
});
