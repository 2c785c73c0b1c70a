// Loads the Windows name indicators (iocs/windows-names*.json: files, services and folders that a
// documented family uses, such as ProtectionX's service hy5.5 and win1logon.exe) and matches names
// against them. loadRuleset adds them to the Ruleset as `windowsNames` (a JSON format of its own,
// beside the YAML lists); each entry must say where it is documented and when, as in every other
// indicator file.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { MINER_KINDS } from '../model/finding.js';
import { builtOnFirstUse } from '../util/lazy.js';
import { unmaskIfMasked } from '../util/mask.js';
import { defaultIocDir, IocLoadError, parseCached, readIocDir } from './load.js';
import type { IocEntry } from './types.js';

export interface WindowsNameEntry extends IocEntry {
  type: 'file' | 'service' | 'directory';
  /** For a directory: the folder it appears in, relative to the volume root, e.g. `Windows/Fonts`. */
  parent?: string;
  /** The system name a look-alike copies, e.g. `winlogon.exe`. */
  imitates?: string;
  /** One of the seven kinds of the source document. */
  kind?: string;
}

/** The schemas of a windows-names file, built on first use: a warm scan reads its parse from the cache. */
const schemas = builtOnFirstUse(() => {
  const Text = z.string().trim().min(1);
  const Entry = z
    .object({
      value: Text.refine((v) => !/[\\/]/.test(v), 'a name has no "/" or "\\"'),
      type: z.enum(['file', 'service', 'directory']),
      parent: Text.optional(),
      imitates: Text.optional(),
      kind: z.enum(MINER_KINDS).optional(),
      family: Text.optional(),
      note: Text.optional(),
      source: Text,
      date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD'),
    })
    .strict();
  const File = z
    .object({
      $comment: z.array(z.string()).optional(),
      kind: z.literal('windows-names'),
      entries: z.array(z.unknown()),
    })
    .strict();
  return { Entry, File };
});

function fail(display: string, en: string, zh: string): never {
  throw new IocLoadError(display, undefined, { en: `${display}: ${en}`, 'zh-CN': `${display}：${zh}` });
}

/** Parses one windows-names file; `display` names it in errors and in each entry's `file`. */
export function parseWindowsNames(text: string, display: string): WindowsNameEntry[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    fail(display, `not valid JSON: ${why}`, `不是有效的 JSON：${why}`);
  }
  const file = schemas.File.safeParse(raw);
  if (!file.success) {
    fail(
      display,
      'expected {"kind": "windows-names", "entries": [...]}',
      '应为 {"kind": "windows-names", "entries": [...]}',
    );
  }
  const seen = new Set<string>();
  return file.data.entries.map((item, index) => {
    const record = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
    const label = `entry ${index + 1}${record.value === undefined ? '' : ` (${String(record.value)})`}`;
    const zhLabel = `第 ${index + 1} 条${record.value === undefined ? '' : `（${String(record.value)}）`}`;
    for (const required of ['source', 'date'])
      if (record[required] === undefined || record[required] === '')
        fail(
          display,
          `${label} has no "${required}": every indicator must say where it is documented and when it was checked`,
          `${zhLabel}缺少 "${required}"：每条指标都必须注明公开出处和核对日期`,
        );
    const parsed = schemas.Entry.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'entry';
      fail(
        display,
        `${label}: "${field}" ${issue?.message ?? 'invalid'}`,
        `${zhLabel}："${field}" ${issue?.message ?? 'invalid'}`,
      );
    }
    const entry = parsed.data as WindowsNameEntry;
    const key = `${entry.type}\u0000${entry.value.toLowerCase()}\u0000${(entry.parent ?? '').toLowerCase()}`;
    if (seen.has(key))
      fail(display, `${label} repeats "${entry.value}"`, `${zhLabel}与前面的条目重复："${entry.value}"`);
    seen.add(key);
    return { ...entry, file: display };
  });
}

/**
 * Reads every `windows-names*.json` in each directory (the project's iocs/ first by default). A
 * directory without such a file contributes nothing; an unreadable directory or a bad file throws
 * IocLoadError, as loadRuleset does.
 */
export async function loadWindowsNames(
  dirs: string[] = [defaultIocDir()],
  opts: { cacheDir?: string } = {},
): Promise<WindowsNameEntry[]> {
  const out: WindowsNameEntry[] = [];
  for (const dir of dirs) {
    const names = await readIocDir(dir);
    for (const name of names.filter((n) => /^windows-names.*\.json$/i.test(n)).sort()) {
      const display = `${path.basename(path.resolve(dir))}/${name}`;
      const file = path.join(dir, name);
      // Unmasked: an installed bundle's files are masked on disk (util/mask.ts).
      const text = unmaskIfMasked(await readFile(file)).toString('utf8');
      // Kept parsed like the other lists (load.ts), so a warm scan checks no entry with zod.
      out.push(...(await parseCached(text, file, opts.cacheDir, () => parseWindowsNames(text, display))));
    }
  }
  return out;
}

function normalParent(p: string): string {
  return p
    .replace(/\\/g, '/')
    .replace(/^[a-z]:/i, '')
    .replace(/^\/+|\/+$/g, '')
    .toLowerCase();
}

/**
 * The entry a name matches: whole and case-insensitive; a directory entry with a `parent` matches
 * only in that folder (`Logs` under `Windows/Fonts`, not any Logs folder).
 */
export function matchWindowsName(
  entries: WindowsNameEntry[],
  query: { type: WindowsNameEntry['type']; name: string; parent?: string },
): WindowsNameEntry | undefined {
  const name = query.name.toLowerCase();
  return entries.find(
    (e) =>
      e.type === query.type &&
      e.value.toLowerCase() === name &&
      (e.parent === undefined ||
        (query.parent !== undefined && normalParent(e.parent) === normalParent(query.parent))),
  );
}
