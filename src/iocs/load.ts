// Loads the indicator files (iocs/*.yml and the user's own directories) into a Ruleset, refusing any
// entry that does not say where it came from and when, so every match in a report can be traced.
import { InputFileError } from '../util/input-error.js';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Node as YamlNode } from 'yaml';
import { z } from 'zod';

import { installedSet } from './bundle-store.js';
import { MINER_KINDS } from '../model/finding.js';
import { builtOnFirstUse } from '../util/lazy.js';
import { loadYaml, yamlNow } from '../util/lazy-yaml.js';
import { unmaskIfMasked } from '../util/mask.js';
import { codeFile, resourcePath } from '../util/paths.js';
import { isSea } from '../util/sea.js';
import type { IocEntry, MinerArgEntry, PoolPortEntry, Ruleset, WalletPatternEntry } from './types.js';

/** A problem in an indicator file; `localized` carries the same message for the report's language. */
export class IocLoadError extends InputFileError {
  override name = 'IocLoadError';
}

export const IOC_KINDS = [
  'miner-names',
  'miner-args',
  'pool-ports',
  'pool-domains',
  'pool-addresses',
  'wallet-patterns',
  'file-hashes',
] as const;
export type IocKind = (typeof IOC_KINDS)[number];

/**
 * The installed bundle's iocs/ (`minehunter rules update`), else the repository's own iocs/: two
 * levels above this module in src/iocs and dist/iocs alike.
 */
export function defaultIocDir(): string {
  return installedSet()?.iocDir ?? resourcePath('iocs');
}

const HOST_RE = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/**
 * Each kind's entry schema, built the first time a file is checked: the parsed lists are cached
 * (parseIocFileCached), so a warm scan never needs zod (util/lazy.ts).
 */
const ENTRY_SCHEMAS: Record<IocKind, z.ZodType> = builtOnFirstUse(() => {
  // YAML 1.2 reads 2026-11-26 as a string, a YAML 1.1 document as a Date; accept both.
  const DateSchema = z.preprocess(
    (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v),
    z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD'),
  );
  const Text = z.string().trim().min(1);
  const Strength = z.enum(['strong', 'weak']);

  const Base = { source: Text, date: DateSchema, family: Text.optional(), note: Text.optional() };

  const NameEntry = z
    .object({ value: Text.refine((v) => !/[/\s]/.test(v), 'a program name has no "/" or spaces'), ...Base })
    .strict();
  const DomainEntry = z
    .object({
      value: Text.transform((v) => v.toLowerCase().replace(/^\*?\./, '')).refine(
        (v) => HOST_RE.test(v),
        'must be a host name such as pool.example.com',
      ),
      ...Base,
    })
    .strict();
  const AddressEntry = z
    .object({ value: Text.refine(isAddressOrCidr, 'must be an IPv4/IPv6 address or CIDR range'), ...Base })
    .strict();
  const PortEntry = z.object({ port: z.number().int().min(1).max(65535), ...Base }).strict();
  const ArgEntry = z.discriminatedUnion('type', [
    z.object({ value: Text, type: z.literal('option'), strength: Strength, ...Base }).strict(),
    z
      .object({
        value: Text.refine((v) => /^\S+ \S+$/.test(v), 'an option-value is written "FLAG VALUE"'),
        type: z.literal('option-value'),
        strength: Strength,
        ...Base,
      })
      .strict(),
    z.object({ value: Text, type: z.literal('algo-option'), ...Base }).strict(),
    z
      .object({
        value: Text.transform((v) => v.toLowerCase()),
        type: z.literal('algorithm'),
        strength: Strength,
        ...Base,
      })
      .strict(),
  ]);
  const WalletEntry = z
    .object({
      value: Text,
      coin: Text,
      pattern: Text.refine(
        (p) => p.startsWith('^') && p.endsWith('$'),
        'must be anchored with ^ and $',
      ).refine(compiles, 'is not a valid regular expression'),
      check: z.enum(['base58check', 'bech32']).optional(),
      strength: Strength,
      ...Base,
    })
    .strict();

  const HashEntry = z
    .object({
      value: Text.transform((v) => v.toLowerCase()).refine(
        (v) => /^[0-9a-f]{64}$/.test(v),
        'must be a sha256 (64 hex digits)',
      ),
      name: Text.optional(),
      kind: z.enum(MINER_KINDS).optional(),
      ...Base,
    })
    .strict();

  return {
    'miner-names': NameEntry,
    'miner-args': ArgEntry,
    'pool-ports': PortEntry,
    'pool-domains': DomainEntry,
    'pool-addresses': AddressEntry,
    'wallet-patterns': WalletEntry,
    'file-hashes': HashEntry,
  } satisfies Record<IocKind, z.ZodType>;
});

function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

function isAddressOrCidr(value: string): boolean {
  const [address = '', prefix, extra] = value.split('/');
  if (extra !== undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (prefix === undefined) return true;
  if (!/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

export interface ParsedIocFile {
  kind: IocKind;
  entries: IocEntry[];
}

/**
 * Parses one indicator file. `display` names the file in errors and in each entry's `file`; the
 * function is pure so tests can feed it text directly.
 */
export function parseIocFile(text: string, display: string): ParsedIocFile {
  const { isMap, isSeq, LineCounter, parseDocument } = yamlNow();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const fail = (line: number | undefined, en: string, zh: string): never => {
    const where = line === undefined ? display : `${display}:${line}`;
    throw new IocLoadError(display, line, { en: `${where}: ${en}`, 'zh-CN': `${where}：${zh}` });
  };
  const lineOf = (node: YamlNode | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).line : undefined;

  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    fail(line, `not valid YAML: ${yamlError.message}`, `不是有效的 YAML：${yamlError.message}`);
  }
  if (!isMap(doc.contents)) {
    fail(undefined, 'expected a mapping with "kind" and "entries"', '应为包含 "kind" 和 "entries" 的映射');
  }
  const kind = doc.get('kind');
  if (typeof kind !== 'string' || !(IOC_KINDS as readonly string[]).includes(kind)) {
    fail(
      lineOf(doc.get('kind', true) as YamlNode | undefined),
      `"kind" must be one of ${IOC_KINDS.join(', ')} (found ${JSON.stringify(kind ?? null)})`,
      `"kind" 必须是 ${IOC_KINDS.join('、')} 之一（实际为 ${JSON.stringify(kind ?? null)}）`,
    );
  }
  const iocKind = kind as IocKind;
  const seq = doc.get('entries', true);
  if (!isSeq(seq)) {
    fail(undefined, '"entries" must be a list', '"entries" 必须是列表');
  }
  const schema = ENTRY_SCHEMAS[iocKind];
  const entries: IocEntry[] = [];
  const seen = new Set<string>();
  const items = (seq as { items: unknown[] }).items;
  items.forEach((item, index) => {
    const node = item as YamlNode;
    const line = lineOf(node);
    const raw: unknown = (node as { toJS?: (d: unknown) => unknown }).toJS?.(doc) ?? item;
    const label = describeEntry(index, raw);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      fail(line, `${label.en} is not a mapping`, `${label.zh}不是映射`);
    }
    const record = raw as Record<string, unknown>;
    for (const required of ['source', 'date'] as const) {
      if (record[required] === undefined || record[required] === null || record[required] === '') {
        fail(
          line,
          `${label.en} has no "${required}": every indicator must say where it is documented and when it was checked`,
          `${label.zh}缺少 "${required}"：每条指标都必须注明公开出处和核对日期`,
        );
      }
    }
    const parsed = schema.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'entry';
      const message = issue?.message ?? 'invalid';
      fail(line, `${label.en}: "${field}" ${message}`, `${label.zh}："${field}" ${message}`);
    }
    const entry = normalise(iocKind, parsed.data as Record<string, unknown>);
    const key = `${(entry as MinerArgEntry).type ?? ''}\u0000${entry.value}`;
    if (seen.has(key)) {
      fail(line, `${label.en} repeats "${entry.value}"`, `${label.zh}与前面的条目重复："${entry.value}"`);
    }
    seen.add(key);
    entries.push({ ...entry, file: display });
  });
  return { kind: iocKind, entries };
}

function describeEntry(index: number, raw: unknown): { en: string; zh: string } {
  const record = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const id = record.value ?? record.port;
  const suffix = id === undefined ? '' : ` (${String(id)})`;
  return { en: `entry ${index + 1}${suffix}`, zh: `第 ${index + 1} 条${suffix}` };
}

function normalise(kind: IocKind, data: Record<string, unknown>): IocEntry {
  if (kind === 'miner-names') return { ...data, value: String(data.value).toLowerCase() } as IocEntry;
  if (kind === 'pool-ports') return { ...data, value: String(data.port) } as PoolPortEntry;
  return data as unknown as IocEntry;
}

function emptyLists(): Omit<Ruleset, 'hash' | 'files'> {
  return {
    minerNames: [],
    minerArgs: [],
    poolPorts: [],
    poolDomains: [],
    poolAddresses: [],
    walletPatterns: [],
    fileHashes: [],
  };
}

/** Builds a Ruleset from already parsed files (pure; used by loadRuleset and by tests). */
export function buildRuleset(parsed: ParsedIocFile[], files: string[] = []): Ruleset {
  const lists = emptyLists();
  for (const { kind, entries } of parsed) {
    switch (kind) {
      case 'miner-names':
        lists.minerNames.push(...entries);
        break;
      case 'miner-args':
        lists.minerArgs.push(...(entries as MinerArgEntry[]));
        break;
      case 'pool-ports':
        lists.poolPorts.push(...(entries as PoolPortEntry[]));
        break;
      case 'pool-domains':
        lists.poolDomains.push(...entries);
        break;
      case 'pool-addresses':
        lists.poolAddresses.push(...entries);
        break;
      case 'wallet-patterns':
        lists.walletPatterns.push(...(entries as WalletPatternEntry[]));
        break;
      case 'file-hashes':
        lists.fileHashes.push(...entries);
        break;
    }
  }
  // The hash covers the data only (not where the files lie), so the same data hashes alike everywhere.
  const strip = (list: IocEntry[]) => list.map(({ file: _file, ...rest }) => rest);
  const canonical = JSON.stringify(Object.entries(lists).map(([name, list]) => [name, strip(list)]));
  const hash = createHash('sha256').update(canonical).digest('hex');
  return { ...lists, hash, files };
}

/**
 * Changes whenever this module or windows-names.ts (and so a parser) changes, so a cached parse
 * never outlives it. In the single executable both are the executable itself.
 */
const PARSER_STAMP = (() => {
  try {
    const own = codeFile(import.meta.url);
    const windowsNames = isSea()
      ? own
      : path.join(path.dirname(own), path.basename(own).replace(/^load\./, 'windows-names.'));
    return [own, windowsNames]
      .map((file) => {
        const st = statSync(file);
        return `${st.size}:${st.mtimeMs}`;
      })
      .join('/');
  } catch {
    return 'unknown';
  }
})();

/** The cache's file-name prefix for this parser: every file written by another build starts otherwise. */
const STAMP_PREFIX = createHash('sha256').update(PARSER_STAMP).digest('hex').slice(0, 12);

/**
 * Parsing the bundled YAML costs a scan tens of milliseconds (the parser's code is cold in every new
 * process), and checking the entries needs zod (~35 ms to load), so a parsed file is kept as JSON
 * keyed by its content: only an edited file is parsed again. Without a cache directory (--no-cache)
 * every file is parsed. Cache faults are not errors. A file is named
 * `<parser>-<source path>-<content>`, so that a miss can drop what no run reads any more: the parses
 * of other builds, the older contents of the same file, and any parse written over a month ago (an
 * installed bundle's old version; one still in use is parsed again once). `parse` must return plain
 * data (it is stored as JSON).
 */
export async function parseCached<T>(
  text: string,
  source: string,
  cacheDir: string | undefined,
  parse: () => T | Promise<T>,
): Promise<T> {
  if (cacheDir === undefined) return parse();
  const hash = (data: string): string => createHash('sha256').update(data).digest('hex');
  const sourcePrefix = `${STAMP_PREFIX}-${hash(path.resolve(source)).slice(0, 12)}-`;
  const name = `${sourcePrefix}${hash(text)}.json.deflate`;
  // Deflated, so the cache never holds the indicator strings in the clear: a content scan of
  // another user's home (or a --root copy of this disk) would otherwise find them and alarm.
  const file = path.join(cacheDir, name);
  try {
    return JSON.parse(inflateRawSync(await readFile(file)).toString('utf8')) as T;
  } catch {
    // not cached yet, or unreadable: parse below
  }
  const parsed = await parse();
  try {
    await mkdir(cacheDir, { recursive: true });
    await writeFile(file, deflateRawSync(JSON.stringify(parsed)), { mode: 0o600 });
    await pruneIocCache(
      cacheDir,
      (other) => other !== name && (!other.startsWith(`${STAMP_PREFIX}-`) || other.startsWith(sourcePrefix)),
    );
  } catch {
    // a read-only home must not stop a scan
  }
  return parsed;
}

/** parseIocFile through the cache; the YAML parser is loaded only on a miss. */
function parseIocFileCached(
  text: string,
  display: string,
  source: string,
  cacheDir?: string,
): Promise<ParsedIocFile> {
  return parseCached(text, source, cacheDir, async () => {
    await loadYaml();
    return parseIocFile(text, display);
  });
}

/**
 * Removes the cached parses `stale` selects. Only on a miss (a new build, an edited file), so a warm
 * scan never lists the directory. Another scan may be removing the same files: a vanished one is fine.
 */
async function pruneIocCache(cacheDir: string, stale: (name: string) => boolean): Promise<void> {
  const monthAgo = Date.now() - 30 * 24 * 3600 * 1000;
  for (const other of await readdir(cacheDir)) {
    if (!other.endsWith('.json.deflate')) continue;
    const file = path.join(cacheDir, other);
    try {
      if (stale(other) || (await stat(file)).mtimeMs < monthAgo) await rm(file, { force: true });
    } catch {
      // vanished meanwhile
    }
  }
}

/** The names in an indicator directory; an unreadable one is an IocLoadError naming it. */
export async function readIocDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new IocLoadError(
      dir,
      undefined,
      {
        en: `cannot read indicator directory ${dir} (${code})`,
        'zh-CN': `无法读取指标目录 ${dir}（${code}）`,
      },
      { cause },
    );
  }
}

/**
 * Reads every *.yml / *.yaml file in each directory (sorted by name; directories in the order given,
 * so the project's own iocs/ first and the user's beside it) and validates each entry.
 */
export async function loadRuleset(dirs: string[], opts: { cacheDir?: string } = {}): Promise<Ruleset> {
  const parsed: ParsedIocFile[] = [];
  const files: string[] = [];
  for (const dir of dirs) {
    const names = await readIocDir(dir);
    for (const name of names.filter((n) => /\.ya?ml$/i.test(n)).sort()) {
      const file = path.join(dir, name);
      const display = `${path.basename(path.resolve(dir))}/${name}`;
      let text: string;
      try {
        // Unmasked: an installed bundle's files are masked on disk (util/mask.ts).
        text = unmaskIfMasked(await readFile(file)).toString('utf8');
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code ?? 'error';
        throw new IocLoadError(
          file,
          undefined,
          { en: `cannot read ${file} (${code})`, 'zh-CN': `无法读取 ${file}（${code}）` },
          { cause },
        );
      }
      try {
        parsed.push(await parseIocFileCached(text, display, file, opts.cacheDir));
      } catch (error) {
        // Name the real path too: the short display name may be ambiguous across directories.
        if (error instanceof IocLoadError && display !== file) {
          throw new IocLoadError(
            file,
            error.line,
            { en: `${error.localized.en} [${file}]`, 'zh-CN': `${error.localized['zh-CN']}［${file}］` },
            { cause: error },
          );
        }
        throw error;
      }
      files.push(file);
    }
  }
  return withWindowsNames(buildRuleset(parsed, files), dirs, opts.cacheDir);
}

/**
 * Adds the Windows names (iocs/windows-names*.json) to a loaded ruleset, its hash covering them too.
 * Imported when needed: windows-names.ts builds on this module's directory reading and errors.
 */
async function withWindowsNames(ruleset: Ruleset, dirs: string[], cacheDir?: string): Promise<Ruleset> {
  const { loadWindowsNames } = await import('./windows-names.js');
  const windowsNames = await loadWindowsNames(dirs, { ...(cacheDir !== undefined ? { cacheDir } : {}) });
  if (windowsNames.length === 0) return ruleset;
  const canonical = JSON.stringify(windowsNames.map(({ file: _file, ...rest }) => rest));
  const hash = createHash('sha256').update(`${ruleset.hash}\0${canonical}`).digest('hex');
  return { ...ruleset, windowsNames, hash };
}
