// The YARA engine behind minehunter's content scan: compiles rule files (ours and the user's) into a
// scanner and scans buffers and files, returning rule, namespace, meta and the matched strings
// with offset and a short escaped excerpt. This module is the only one that touches the native
// engine, so the engine can be swapped without touching the walker, the cache or the detectors.
//
// Engine choice, measured on this project's machine (2 vCPUs, Node 20) with our 71 rules from
// rules/*.yar over the 200 MiB / 2,943-file tree of bench/yara-engine.mjs (40% text, 40% slices
// of this machine's ELF files, 20% random bytes, plus the 69 generated samples), page cache warm.
// Other sessions were loading the machine (load average 4-6), so the comparable figure is MiB
// scanned per CPU-second; matches were identical to Debian's `yara` 4.2.3 in every run.
//   - @litko/yara-x 0.3.0, the typed wrapper (it pins its platform package 0.3.0, YARA-X 1.7.1):
//     scanFile on one thread 110-113 MiB per CPU-s; compiling our rules 110-177 ms.
//   - @litko/yara-x-linux-x64-gnu 0.7.2 loaded directly (YARA-X 1.20.0): scanFile on one thread
//     194-208 MiB per CPU-s; compiling 77-95 ms; serialised rules (224 KB) restore in 14 ms, which
//     lets worker threads and the scan cache skip compiling.
//   - `yara -r` (Debian 4.2.3, its default threads) on the same tree: 131 MiB per CPU-s.
// We load the platform package directly: 1.8x the wrapper's throughput, a newer YARA-X with scan
// timeouts, and rule serialisation; the wrapper adds nothing we use but TypeScript declarations,
// which the few `Native*` interfaces below replace. The price: the package exists for
// linux-x64-gnu only (the tool targets Linux; elsewhere loading fails with EngineUnavailableError),
// so it is an optional dependency pinned to an exact version, since serialised rules are only
// valid for the YARA-X build that wrote them.
// Every scan first runs a prefilter compiled beside the rules (prefilter.ts): data it does not
// match cannot match any rule and skips the full set, which on a tree of mostly clean files is
// where YARA-X spends its time.
// The binding's async scans build a new scanner per call (about 0.4 ms, against 2-6 us for a sync
// scan of a small file), so they suit a few large buffers; to use both cores on many files, give
// each worker thread its own rules via serialize() / loadCompiledRules() and scan synchronously.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import type { Localized } from '../model/finding.js';
import { installedSet } from '../iocs/bundle-store.js';
import { readUnmasked } from '../util/mask.js';
import { planPrefilter } from './prefilter.js';
import { loadYaraX, resourcePath, yaraXVersion } from '../util/paths.js';

const NATIVE_PACKAGE = '@litko/yara-x-linux-x64-gnu';

// ---- The slice of the native binding we use (it ships no TypeScript declarations) ----

interface NativeMatchData {
  offset: number;
  length: number;
  /** The matched bytes as lossy UTF-8; we read the real bytes ourselves for excerpts. */
  data: string;
  identifier: string;
}

interface NativeRuleMatch {
  ruleIdentifier: string;
  namespace: string;
  meta: Record<string, unknown>;
  tags: string[];
  matches: NativeMatchData[];
}

interface NativeDiagnostic {
  code: string;
  message: string;
}

interface NativeRules {
  addRuleSources(sources: { source: string; namespace?: string }[]): void;
  getWarnings(): NativeDiagnostic[];
  setMaxMatchesPerPattern(max: number): void;
  setTimeout(ms: number): void;
  scan(data: Buffer): NativeRuleMatch[];
  scanFile(file: string): NativeRuleMatch[];
  scanAsync(data: Buffer): Promise<NativeRuleMatch[]>;
  scanFileAsync(file: string): Promise<NativeRuleMatch[]>;
  serialize(): Buffer;
}

interface NativeModule {
  create(): NativeRules;
  validate(source: string): { warnings: NativeDiagnostic[]; errors: NativeDiagnostic[] };
  deserialize(blob: Buffer): NativeRules;
}

// ---- Public types ----

export type MetaValue = string | number | boolean;

export interface StringMatch {
  /** The pattern's identifier, e.g. "$n1". */
  identifier: string;
  /** Byte offset of the match in the scanned buffer or file. */
  offset: number;
  length: number;
  /** The first EXCERPT_BYTES matched bytes, printable ASCII kept and everything else escaped. */
  excerpt: string;
}

export interface RuleMatch {
  rule: string;
  namespace: string;
  meta: Record<string, MetaValue>;
  tags: string[];
  /** Matched strings, at most `maxStringsPerRule` of them, in the engine's order. */
  strings: StringMatch[];
  /** How many string matches the engine reported, including those not listed in `strings`. */
  stringCount: number;
}

export interface RuleFileSpec {
  path: string;
  /** Defaults to the file name without its extension (miners-cpu.yar → "miners-cpu"). */
  namespace?: string;
}

/** A rule file that could not be loaded (error) or loaded with a remark from the compiler (warning). */
export interface RuleProblem {
  severity: 'error' | 'warning';
  file: string;
  line?: number;
  column?: number;
  /** The engine's code (E001, slow_pattern...) or "read-error". */
  code: string;
  /** The engine's full text, with the source excerpt it points at. */
  detail: string;
  message: Localized;
}

export interface ScanOptions {
  /** Per scan; a file or buffer that takes longer is reported as an EngineScanError. */
  timeoutMs?: number;
  /** Matches the engine records per pattern; conditions counting (#a) see at most this many. */
  maxMatchesPerPattern?: number;
  /** String matches kept per rule in results. */
  maxStringsPerRule?: number;
  /** Build a prefilter at compile time (see prefilter.ts); on unless false. */
  prefilter?: boolean;
}

export interface YaraScanner {
  /** "yara-x <binding version>", part of the rule-set hash. */
  readonly engine: string;
  /** sha256 over the engine and every loaded file's namespace and source: the scan cache's key. */
  readonly ruleSetHash: string;
  /** The rule files that were compiled in, in order. */
  readonly files: readonly RuleFileSpec[];
  /** True when a prefilter screens data before the full rules (see prefilter.ts). */
  readonly prefiltered: boolean;
  scanBuffer(data: Buffer): RuleMatch[];
  scanFile(file: string): RuleMatch[];
  /**
   * Runs on libuv's thread pool, so several scans in flight use several cores; each call sets up
   * a scanner (about 0.4 ms), so prefer worker threads with their own rules for many small files.
   */
  scanBufferAsync(data: Buffer): Promise<RuleMatch[]>;
  scanFileAsync(file: string): Promise<RuleMatch[]>;
  /** The compiled rules, for `loadCompiledRules` (same engine version only). */
  serialize(): Buffer;
}

export interface CompileResult {
  scanner: YaraScanner;
  /** Errors (files left out) and warnings, in file order. An empty list means everything loaded. */
  problems: RuleProblem[];
}

export class EngineUnavailableError extends Error {
  readonly localized: Localized;
  constructor(cause: unknown) {
    const en = `The YARA-X engine (${NATIVE_PACKAGE}) cannot be loaded on ${process.platform}-${process.arch}; content scanning is unavailable.`;
    super(en, { cause });
    this.name = 'EngineUnavailableError';
    this.localized = {
      en,
      'zh-CN': `无法在 ${process.platform}-${process.arch} 上加载 YARA-X 引擎（${NATIVE_PACKAGE}），文件内容扫描不可用。`,
    };
  }
}

/** A file or buffer the engine could not scan (unreadable, timed out); the caller reports a skip. */
export class EngineScanError extends Error {
  constructor(
    readonly target: string,
    cause: unknown,
  ) {
    super(`cannot scan ${target}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'EngineScanError';
  }
}

export const EXCERPT_BYTES = 48;
const DEFAULT_MAX_MATCHES_PER_PATTERN = 100;
const DEFAULT_MAX_STRINGS_PER_RULE = 16;

// ---- Loading the engine ----

let native: { module: NativeModule; version: string } | undefined;

function loadNative(): { module: NativeModule; version: string } {
  if (native) return native;
  try {
    const { module, version } = loadYaraX();
    native = { module: module as NativeModule, version };
    return native;
  } catch (cause) {
    throw new EngineUnavailableError(cause);
  }
}

/** The engine's name and version, or throws EngineUnavailableError; loads the engine. */
export function engineVersion(): string {
  return `yara-x ${loadNative().version}`;
}

/**
 * engineVersion without loading the engine: its package's version. A missing package throws
 * EngineUnavailableError; an engine that is there but does not load is found by the first thread
 * that scans (a scan worker says so as it restores the rules).
 */
export function engineLabel(): string {
  if (native) return `yara-x ${native.version}`;
  try {
    return `yara-x ${yaraXVersion()}`;
  } catch (cause) {
    throw new EngineUnavailableError(cause);
  }
}

// ---- Rule files ----

/**
 * Our own rules: the installed bundle's rules/ (`minehunter rules update`), else the rules/ directory
 * shipped with minehunter (two levels up from src/engine or dist/engine).
 */
export function bundledRulesDir(): string {
  return installedSet()?.rulesDir ?? resourcePath('rules');
}

/** The *.yar and *.yara files directly in `dir`, sorted by name so namespaces and order are stable. */
export function listRuleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => (e.isFile() || e.isSymbolicLink()) && /\.yara?$/i.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
}

function namespaceOf(spec: RuleFileSpec): string {
  return spec.namespace ?? path.basename(spec.path).replace(/\.yara?$/i, '');
}

const LOCATION = /-->\s*line:(\d+):(\d+)/;

function headline(message: string): string {
  return (message.split('\n')[0] ?? message).trim();
}

function problemFrom(diag: NativeDiagnostic, file: string, severity: RuleProblem['severity']): RuleProblem {
  const at = LOCATION.exec(diag.message);
  const line = at ? Number(at[1]) : undefined;
  const column = at ? Number(at[2]) : undefined;
  const head = headline(diag.message);
  const where = line === undefined ? file : `${file}:${line}:${column}`;
  const whereZh = line === undefined ? file : `${file}（第 ${line} 行，第 ${column} 列）`;
  const message: Localized =
    severity === 'error'
      ? {
          en: `${where}: rule file not loaded: ${head}. The other rule files still run.`,
          'zh-CN': `规则文件 ${whereZh} 有错误，未加载：${head}。其他规则文件照常生效。`,
        }
      : {
          en: `${where}: ${head}`,
          'zh-CN': `规则文件 ${whereZh} 的警告：${head}`,
        };
  return { severity, file, line, column, code: diag.code, detail: diag.message, message };
}

function readProblem(file: string, err: unknown): RuleProblem {
  const reason = err instanceof Error ? err.message : String(err);
  return {
    severity: 'error',
    file,
    code: 'read-error',
    detail: reason,
    message: {
      en: `${file}: rule file not loaded: cannot read it (${reason}). The other rule files still run.`,
      'zh-CN': `无法读取规则文件 ${file}（${reason}），未加载。其他规则文件照常生效。`,
    },
  };
}

interface LoadedSource {
  spec: RuleFileSpec;
  source: string;
}

function addError(problems: RuleProblem[], file: string, err: unknown): void {
  const text = err instanceof Error ? err.message : String(err);
  const code = /\((E\d+)\)/.exec(text)?.[1] ?? 'compile-error';
  const message = text.replace(/^Compilation error \([^)]*\):\s*/, '');
  problems.push(problemFrom({ code, message }, file, 'error'));
}

/**
 * Compiles rule files into one scanner. The usual case, where every file is fine, costs one
 * compilation. Otherwise each file is checked on its own, so a broken file is reported with its
 * path, line and column and left out while every other file still loads; conflicts between files
 * (the same rule name twice in one namespace) are found by adding the files one at a time and
 * leaving out the one that clashes. Compiler warnings are attributed to their file the same way.
 */
export function compileRules(
  files: readonly (string | RuleFileSpec)[],
  options: ScanOptions = {},
): CompileResult {
  const { module, version } = loadNative();
  const problems: RuleProblem[] = [];
  const readable: LoadedSource[] = [];
  for (const f of files) {
    const spec = typeof f === 'string' ? { path: f } : f;
    try {
      // Unmasked: an installed bundle's rule files are masked on disk (util/mask.ts).
      readable.push({ spec, source: readUnmasked(spec.path).toString('utf8') });
    } catch (err) {
      problems.push(readProblem(spec.path, err));
    }
  }
  const toSource = (g: LoadedSource) => ({ source: g.source, namespace: namespaceOf(g.spec) });

  let rules = module.create();
  let loaded = readable;
  let compiledAll = true;
  try {
    rules.addRuleSources(readable.map(toSource));
  } catch {
    compiledAll = false;
  }
  if (!compiledAll || rules.getWarnings().length > 0) {
    // Check the files one by one: that names the file and line of every error and warning.
    const valid: LoadedSource[] = [];
    for (const g of readable) {
      const { errors, warnings } = module.validate(g.source);
      problems.push(...warnings.map((w) => problemFrom(w, g.spec.path, 'warning')));
      if (compiledAll || errors.length === 0) valid.push(g);
      else problems.push(...errors.map((e) => problemFrom(e, g.spec.path, 'error')));
    }
    if (!compiledAll) {
      rules = module.create();
      loaded = valid;
      try {
        rules.addRuleSources(valid.map(toSource));
      } catch {
        // Valid files that clash with each other: add them one at a time (a failed add leaves
        // the rules compiled so far untouched) and leave out each one that clashes.
        rules = module.create();
        loaded = [];
        for (const g of valid) {
          try {
            rules.addRuleSources([toSource(g)]);
            loaded.push(g);
          } catch (err) {
            addError(problems, g.spec.path, err);
          }
        }
      }
    }
  }
  // Problems in file order, so a report lists them the way a person reads the rule directory.
  const order = new Map(files.map((f, i) => [typeof f === 'string' ? f : f.path, i]));
  problems.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0));

  const hash = createHash('sha256').update(`yara-x ${version}\0`);
  for (const g of loaded) hash.update(`${namespaceOf(g.spec)}\0${g.source}\0`);
  const scanner = new Scanner(
    {
      rules,
      prefilter: options.prefilter === false ? undefined : compilePrefilter(module, loaded.map(toSource)),
    },
    `yara-x ${version}`,
    hash.digest('hex'),
    loaded.map((g) => ({ path: g.spec.path, namespace: namespaceOf(g.spec) })),
    options,
  );
  return { scanner, problems };
}

/**
 * The prefilter for these sources (see prefilter.ts), or undefined when a rule can match without
 * a pattern, or when the planned rule does not compile (then every file gets the full rules,
 * which is always correct, only slower).
 */
function compilePrefilter(
  module: NativeModule,
  sources: { source: string; namespace: string }[],
): NativeRules | undefined {
  const plan = planPrefilter(sources);
  if (!plan.source) return undefined;
  try {
    const rules = module.create();
    rules.addRuleSources([{ source: plan.source, namespace: 'minehunter_prefilter' }]);
    return rules;
  } catch {
    return undefined;
  }
}

/**
 * Restores rules written by `YaraScanner.serialize()`; the hash and file list travel with them.
 * The blob is the full rules' serialisation, then the prefilter's (if any), each behind its
 * length as a 32-bit little-endian number. It may be given as a function that yields it: the
 * compiled-rules cache unpacks it (inflate and unmask, ~10 ms) only when a scan needs the rules.
 *
 * On the main thread the engine's restore (about 35 ms of CPU and a copy of every rule) waits for
 * the first scan: a scan restores the cached rules there only to hand them to the worker threads,
 * which restore their own copy from the same blob, so the main thread's copy was never used
 * (issue 17). A warm rescan that finds every file in the scan cache starts no worker, and needs
 * neither the blob nor the restore. A worker thread restores at once, so a blob it cannot restore
 * stops it at start.
 */
export function loadCompiledRules(
  blob: Buffer | (() => Buffer),
  ruleSetHash: string,
  files: readonly RuleFileSpec[],
  options: ScanOptions = {},
): YaraScanner {
  const bytes = once(typeof blob === 'function' ? blob : () => blob);
  const parts = once(() => compiledParts(bytes()));
  // A blob given as it is is split now, as before: one without rules throws here, where the
  // compiled-rules cache falls back to compiling.
  if (typeof blob !== 'function') parts();
  // The main thread restores them only if it scans itself (it hands them to the workers), and
  // loads the engine only then.
  const restore = (): Compiled => {
    const { full, prefilter } = parts();
    const { module } = loadNative();
    return {
      rules: module.deserialize(full),
      prefilter: prefilter ? module.deserialize(prefilter) : undefined,
    };
  };
  return new Scanner(
    isMainThread ? { blob: bytes, restore, hasPrefilter: () => parts().prefilter !== undefined } : restore(),
    engineLabel(),
    ruleSetHash,
    files,
    options,
  );
}

/** The full rules' and the prefilter's serialisations in a blob of serialize(). */
function compiledParts(blob: Buffer): { full: Buffer; prefilter: Buffer | undefined } {
  const parts: Buffer[] = [];
  for (let at = 0; at + 4 <= blob.length;) {
    const len = blob.readUInt32LE(at);
    parts.push(blob.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  const [full, prefilter] = parts;
  if (!full) throw new Error('compiled rules: empty blob');
  return { full, prefilter };
}

/** `make`, called on first use only, its answer kept. */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

// ---- Scanning ----

/** Escapes bytes for display: printable ASCII as is, \\ \n \r \t, everything else as \xNN. */
export function escapeExcerpt(bytes: Uint8Array, max = EXCERPT_BYTES): string {
  let out = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) {
    const b = bytes[i] as number;
    if (b === 0x5c) out += '\\\\';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return bytes.length > max ? out + '…' : out;
}

function toMeta(meta: Record<string, unknown>): Record<string, MetaValue> {
  const out: Record<string, MetaValue> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return out;
}

type ByteReader = (offset: number, length: number) => Uint8Array;

/** The engine's rules: the full set, and the prefilter that screens data before it (prefilter.ts). */
interface Compiled {
  rules: NativeRules;
  /** Matches whenever any rule could: data it misses skips the full rules. */
  prefilter: NativeRules | undefined;
}

/** Serialised rules not restored yet (see loadCompiledRules). */
interface Deferred {
  blob: () => Buffer;
  restore: () => Compiled;
  hasPrefilter: () => boolean;
}

/**
 * A buffer of zeros is what most of a process's untouched heap and anonymous memory reads as, and
 * the engine is at its slowest on uniform data (15 ms per 4 MiB here, against 5 ms on varied
 * bytes). What the rules find in N zero bytes depends on N alone, so it is scanned once per length
 * and the answer reused: the same matches, for a fraction of the time. Only a few lengths are kept.
 */
const ZERO_LENGTHS_KEPT = 8;
const ZERO_PROBE = Buffer.alloc(64 * 1024);

/** Whether every byte of `data` is zero (an early non-zero byte answers at once). */
function allZero(data: Buffer): boolean {
  if (data.length === 0 || data[0] !== 0 || data[data.length - 1] !== 0) return false;
  for (let at = 0; at < data.length; at += ZERO_PROBE.length) {
    const end = Math.min(data.length, at + ZERO_PROBE.length);
    if (data.compare(ZERO_PROBE, 0, end - at, at, end) !== 0) return false;
  }
  return true;
}

class Scanner implements YaraScanner {
  private readonly maxStrings: number;
  private live: Compiled | undefined;
  private readonly deferred: Deferred | undefined;
  /** The engine's results for a buffer of N zeros, by N (see allZero). */
  private readonly zeroResults = new Map<number, NativeRuleMatch[]>();

  constructor(
    source: Compiled | Deferred,
    readonly engine: string,
    readonly ruleSetHash: string,
    readonly files: readonly RuleFileSpec[],
    private readonly options: ScanOptions,
  ) {
    if ('blob' in source) this.deferred = source;
    else this.live = this.configure(source);
    this.maxStrings = options.maxStringsPerRule ?? DEFAULT_MAX_STRINGS_PER_RULE;
  }

  private configure(c: Compiled): Compiled {
    const options = this.options;
    c.rules.setMaxMatchesPerPattern(options.maxMatchesPerPattern ?? DEFAULT_MAX_MATCHES_PER_PATTERN);
    // One match of one pattern is all the prefilter has to find.
    c.prefilter?.setMaxMatchesPerPattern(1);
    if (options.timeoutMs !== undefined) {
      c.rules.setTimeout(options.timeoutMs);
      c.prefilter?.setTimeout(options.timeoutMs);
    }
    return c;
  }

  /**
   * The restored rules, restored now if they were deferred. A blob that does not restore throws
   * here, outside any one scan, so it fails the scan as a whole instead of passing for a clean file.
   */
  private get compiled(): Compiled {
    if (this.live) return this.live;
    const deferred = this.deferred as Deferred;
    try {
      this.live = this.configure(deferred.restore());
    } catch (cause) {
      throw new Error(`compiled rules cannot be restored: ${(cause as Error).message}`, { cause });
    }
    return this.live;
  }

  /** Whether the compiled rules carry a prefilter (diagnostics and tests). */
  get prefiltered(): boolean {
    return this.live
      ? this.live.prefilter !== undefined
      : this.deferred !== undefined && this.deferred.hasPrefilter();
  }

  /** The engine's results for `data`: once per length for zeros (see allZero), else a scan. */
  private scanData(data: Buffer): NativeRuleMatch[] {
    const zero = allZero(data);
    const known = zero ? this.zeroResults.get(data.length) : undefined;
    if (known) return known;
    const { rules, prefilter } = this.compiled;
    let results: NativeRuleMatch[];
    try {
      results = prefilter && prefilter.scan(data).length === 0 ? [] : rules.scan(data);
    } catch (err) {
      throw new EngineScanError('buffer', err);
    }
    if (zero && this.zeroResults.size < ZERO_LENGTHS_KEPT) this.zeroResults.set(data.length, results);
    return results;
  }

  private convert(results: NativeRuleMatch[], read: ByteReader): RuleMatch[] {
    return results.map((r) => ({
      rule: r.ruleIdentifier,
      namespace: r.namespace,
      meta: toMeta(r.meta),
      tags: r.tags,
      stringCount: r.matches.length,
      strings: r.matches.slice(0, this.maxStrings).map((m) => ({
        identifier: m.identifier,
        offset: m.offset,
        length: m.length,
        excerpt: escapeExcerpt(read(m.offset, Math.min(m.length, EXCERPT_BYTES + 1))),
      })),
    }));
  }

  private static bufferReader(data: Buffer): ByteReader {
    return (offset, length) => data.subarray(offset, offset + length);
  }

  /** Reads excerpts back from the file: the engine maps the file, and we never hold it whole. */
  private convertFromFile(results: NativeRuleMatch[], file: string): RuleMatch[] {
    if (results.length === 0) return [];
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return this.convert(results, () => new Uint8Array(0));
    }
    try {
      return this.convert(results, (offset, length) => {
        const buf = Buffer.alloc(length);
        const n = readSync(fd, buf, 0, length, offset);
        return buf.subarray(0, n);
      });
    } finally {
      closeSync(fd);
    }
  }

  scanBuffer(data: Buffer): RuleMatch[] {
    const results = this.scanData(data);
    return results.length === 0 ? [] : this.convert(results, Scanner.bufferReader(data));
  }

  scanFile(file: string): RuleMatch[] {
    const { rules, prefilter } = this.compiled;
    let results: NativeRuleMatch[];
    try {
      if (prefilter && prefilter.scanFile(file).length === 0) return [];
      results = rules.scanFile(file);
    } catch (err) {
      throw new EngineScanError(file, err);
    }
    return this.convertFromFile(results, file);
  }

  async scanBufferAsync(data: Buffer): Promise<RuleMatch[]> {
    const { rules, prefilter } = this.compiled;
    let results: NativeRuleMatch[];
    try {
      if (prefilter && (await prefilter.scanAsync(data)).length === 0) return [];
      results = await rules.scanAsync(data);
    } catch (err) {
      throw new EngineScanError('buffer', err);
    }
    return this.convert(results, Scanner.bufferReader(data));
  }

  async scanFileAsync(file: string): Promise<RuleMatch[]> {
    const { rules, prefilter } = this.compiled;
    let results: NativeRuleMatch[];
    try {
      if (prefilter && (await prefilter.scanFileAsync(file)).length === 0) return [];
      results = await rules.scanFileAsync(file);
    } catch (err) {
      throw new EngineScanError(file, err);
    }
    return this.convertFromFile(results, file);
  }

  serialize(): Buffer {
    // Restored from a blob: that blob is the serialisation, with no restore and no second copy.
    if (this.deferred) return this.deferred.blob();
    const { rules, prefilter } = this.compiled;
    const parts = [rules.serialize(), ...(prefilter ? [prefilter.serialize()] : [])];
    return Buffer.concat(
      parts.flatMap((p) => {
        const len = Buffer.alloc(4);
        len.writeUInt32LE(p.length);
        return [len, p];
      }),
    );
  }
}
