// The allowlist: sanctioned miners and known-good processes, matched by fingerprint, executable path
// or sha256. A match marks the finding as allowed; it is still reported, never silently dropped.
//
// File format (YAML, ~/.config/minehunter/allow.yml or any file given with --allow):
//
//   # Each entry names exactly one of fingerprint, exe or sha256, and says why it is allowed.
//   allow:
//     - fingerprint: 3f2a9c0e1b2d4c5f     # the finding's fingerprint, as the report prints it
//       reason: research miner approved in ticket SEC-1234
//       added: 2026-11-26                 # optional, YYYY-MM-DD
//     - exe: /opt/pool-node/xmrig           # the process's executable path, exactly
//       reason: the company's own mining rig
//     - sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//       reason: vetted build of our benchmark tool
//
// The list may also stand alone at the top of the file, without the `allow:` key. An empty file, or
// `allow: []`, allows nothing. See src/allow/testdata/allow.yml for a sample.
import { InputFileError } from '../util/input-error.js';
import { builtOnFirstUse } from '../util/lazy.js';
import { loadYaml, yamlNow } from '../util/lazy-yaml.js';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Document, LineCounter, Node as YamlNode } from 'yaml';
import { z } from 'zod';
import type { Allowed, Finding } from '../model/finding.js';

export type AllowBy = Allowed['by'];

export interface AllowEntry {
  by: AllowBy;
  /** Normalised: fingerprints and hashes lower-case, paths as written. */
  value: string;
  reason: string;
  added?: string;
  /** Where the entry was written: "<file>:<line>". */
  source: string;
}

export interface Allowlist {
  entries: AllowEntry[];
  /** The files that were read (a missing optional file is not listed). */
  files: string[];
}

/** A problem in an allowlist file; `localized` carries the message in both languages. */
export class AllowlistError extends InputFileError {
  override name = 'AllowlistError';
}

/** $XDG_CONFIG_HOME/minehunter/allow.yml, or ~/.config/minehunter/allow.yml. */
export function defaultAllowlistPath(
  env: NodeJS.ProcessEnv = process.env,
  home: string = os.homedir(),
): string {
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.config');
  return path.join(base, 'minehunter', 'allow.yml');
}

// Built on first use: a scan without an allowlist file never needs zod (util/lazy.ts).
const EntrySchema = builtOnFirstUse(() =>
  z
    .object({
      fingerprint: z
        .string()
        .trim()
        .regex(/^[0-9a-fA-F]{16}$/, 'must be the 16 hex digits the report shows')
        .optional(),
      exe: z.string().trim().startsWith('/', 'must be an absolute path').optional(),
      sha256: z
        .string()
        .trim()
        .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
        .optional(),
      reason: z.string().trim().min(1, 'must say why the entry is allowed'),
      added: z
        .preprocess(
          (v) => (v instanceof Date ? v.toISOString().slice(0, 10) : v),
          z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD'),
        )
        .optional(),
    })
    .strict(),
);

type Fail = (line: number | undefined, en: string, zh: string) => never;

/** The list under the document's `allow:` key; no other key is accepted, so typos do not pass silently. */
function allowKey(doc: Document, lineCounter: LineCounter, fail: Fail): unknown {
  const { isMap, isSeq } = yamlNow();
  if (!isMap(doc.contents))
    fail(1, 'expected a list, or a mapping with an "allow" list', '应为列表，或包含 "allow" 列表的映射');
  for (const pair of (doc.contents as { items: { key: unknown }[] }).items) {
    const key = (pair.key as { value?: unknown } | null)?.value ?? pair.key;
    if (key !== 'allow') {
      const node = pair.key as YamlNode;
      const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
      fail(
        line,
        `unknown key "${String(key)}" (only "allow" is read)`,
        `未知的键 "${String(key)}"（只读取 "allow"）`,
      );
    }
  }
  const list = doc.get('allow', true);
  if (list === undefined || list === null || (list as { value?: unknown }).value === null) return undefined;
  if (!isSeq(list)) {
    const node = list as YamlNode;
    fail(
      node?.range ? lineCounter.linePos(node.range[0]).line : undefined,
      '"allow" must be a list',
      '"allow" 必须是列表',
    );
  }
  return list;
}

/** Parses one allowlist file's text (pure). `file` names it in errors and in each entry's source. */
export function parseAllowlist(text: string, file: string): AllowEntry[] {
  const { isSeq, LineCounter, parseDocument } = yamlNow();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const fail: Fail = (line, en, zh) => {
    const where = line === undefined ? file : `${file}:${line}`;
    throw new AllowlistError(file, line, { en: `${where}: ${en}`, 'zh-CN': `${where}：${zh}` });
  };
  const firstError = doc.errors[0];
  if (firstError) {
    fail(
      lineCounter.linePos(firstError.pos[0]).line,
      `not valid YAML: ${firstError.message}`,
      `不是有效的 YAML：${firstError.message}`,
    );
  }
  if (doc.contents === null) return [];
  const list = isSeq(doc.contents) ? doc.contents : allowKey(doc, lineCounter, fail);
  if (list === undefined) return [];
  return (list as { items: unknown[] }).items.map((item, index) => {
    const node = item as YamlNode;
    const line = node?.range ? lineCounter.linePos(node.range[0]).line : undefined;
    const raw = (node as { toJS?: (d: unknown) => unknown }).toJS?.(doc) ?? item;
    const parsed = EntrySchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join('.') || 'entry';
      const message =
        issue?.code === 'unrecognized_keys' ? issue.message : `"${field}" ${issue?.message ?? 'is invalid'}`;
      fail(line, `entry ${index + 1}: ${message}`, `第 ${index + 1} 条：${message}`);
    }
    const data = parsed.data as z.infer<typeof EntrySchema>;
    const keys = (['fingerprint', 'exe', 'sha256'] as const).filter((k) => data[k] !== undefined);
    if (keys.length !== 1) {
      fail(
        line,
        `entry ${index + 1} must name exactly one of fingerprint, exe or sha256 (found ${keys.length === 0 ? 'none' : keys.join(', ')})`,
        `第 ${index + 1} 条必须且只能指定 fingerprint、exe、sha256 之一（实际为 ${keys.length === 0 ? '无' : keys.join('、')}）`,
      );
    }
    const by = keys[0] as AllowBy;
    const value = String(data[by]);
    const entry: AllowEntry = {
      by,
      value: by === 'exe' ? value : value.toLowerCase(),
      reason: data.reason,
      source: line === undefined ? file : `${file}:${line}`,
    };
    if (data.added !== undefined) entry.added = data.added;
    return entry;
  });
}

/**
 * Reads the given allowlist files in order. A file in `optionalPaths` may be missing (the per-user
 * default); any other missing or unreadable file, and any malformed entry, is an error naming the
 * file and line.
 */
export async function loadAllowlist(paths: string[], optionalPaths: string[] = []): Promise<Allowlist> {
  const entries: AllowEntry[] = [];
  const files: string[] = [];
  const wanted = [
    ...paths.map((p) => ({ p, optional: false })),
    ...optionalPaths.map((p) => ({ p, optional: true })),
  ];
  const seen = new Set<string>();
  for (const { p, optional } of wanted) {
    const resolved = path.resolve(p);
    if (seen.has(resolved)) continue;
    seen.add(resolved);
    let text: string;
    try {
      text = await readFile(p, 'utf8');
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'error';
      if (optional && code === 'ENOENT') continue;
      throw new AllowlistError(
        p,
        undefined,
        { en: `cannot read allowlist ${p} (${code})`, 'zh-CN': `无法读取白名单 ${p}（${code}）` },
        { cause },
      );
    }
    await loadYaml(); // only now: the default file is usually absent
    entries.push(...parseAllowlist(text, p));
    files.push(p);
  }
  return { entries, files };
}

function matchEntry(finding: Finding, entry: AllowEntry): boolean {
  switch (entry.by) {
    case 'fingerprint':
      return finding.fingerprint.toLowerCase() === entry.value;
    case 'exe':
      return finding.evidence.some((e) => e.type === 'process' && e.exe === entry.value);
    case 'sha256':
      return finding.evidence.some(
        (e) =>
          (e.type === 'process' && e.exeSha256?.toLowerCase() === entry.value) ||
          (e.type === 'file' && e.sha256?.toLowerCase() === entry.value),
      );
  }
}

/**
 * Marks findings an entry matches as allowed (first matching entry wins, in file order). Pure: it
 * returns new finding objects and never removes one, so allowed findings stay visible in reports.
 */
export function applyAllowlist(findings: Finding[], allowlist: Allowlist | AllowEntry[]): Finding[] {
  const entries = Array.isArray(allowlist) ? allowlist : allowlist.entries;
  return findings.map((finding) => {
    if (finding.allowed) return finding;
    const entry = entries.find((e) => matchEntry(finding, e));
    if (!entry) return finding;
    return {
      ...finding,
      allowed: { by: entry.by, value: entry.value, reason: entry.reason, source: entry.source },
    };
  });
}
