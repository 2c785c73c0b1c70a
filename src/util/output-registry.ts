// The registry of files minehunter wrote (reports, snapshots, evidence bundles, journals, quarantine
// archives, hardening scripts): path and sha256 of each, in the state directory of the user who ran
// it. Reports quote what they found (a miner's argv, pool and wallet), so a responder's saved report
// would read as "infected" on every later scan. A scan recognises a file as ours only when its path
// and its current hash are both recorded here: a file that merely looks like a report (a miner config
// behind a copied header) is judged on its content as any other file.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, readlinkSync, statSync } from 'node:fs';
import { appendFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface OutputRecord {
  /** Absolute path on this machine. */
  path: string;
  sha256: string;
  size: number;
  /** ISO 8601. */
  writtenAt: string;
  /** What wrote it, e.g. `scan report (json)`, `evidence bundle`, `respond journal`. */
  what: string;
}

/**
 * Past this size the registry is rewritten with one line per file that still exists (the newest
 * line), at most KEEP of them. Kept small because a scan that matched anything reads it whole: a
 * registry let grow to megabytes cost every such scan ~100 ms, while a few hundred kilobytes (well
 * over a thousand saved reports) parse in a few milliseconds.
 */
export const COMPACT_AT = 256 * 1024;
/** Files kept after compaction: the newest. */
export const KEEP = 1000;

/** $MINEHUNTER_STATE_DIR, else $XDG_STATE_HOME/minehunter, else ~/.local/state/minehunter. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MINEHUNTER_STATE_DIR && path.isAbsolute(env.MINEHUNTER_STATE_DIR)) return env.MINEHUNTER_STATE_DIR;
  const base =
    env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME)
      ? env.XDG_STATE_HOME
      : path.join(env.HOME ?? os.homedir(), '.local', 'state');
  return path.join(base, 'minehunter');
}

export function registryPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(env), 'outputs.jsonl');
}

async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

function parseLine(line: string): OutputRecord | undefined {
  try {
    const r = JSON.parse(line) as Partial<OutputRecord>;
    if (typeof r.path !== 'string' || typeof r.sha256 !== 'string' || !/^[a-f0-9]{64}$/.test(r.sha256))
      return undefined;
    return {
      path: r.path,
      sha256: r.sha256,
      size: typeof r.size === 'number' ? r.size : 0,
      writtenAt: typeof r.writtenAt === 'string' ? r.writtenAt : '',
      what: typeof r.what === 'string' ? r.what : 'minehunter output',
    };
  } catch {
    return undefined;
  }
}

/**
 * Records files just written. Never fails the command that wrote them: a registry that cannot be
 * written (read-only home, full disk) only means a later scan judges those files on their content.
 * Returns the problem, if any, for the caller to mention.
 */
export async function recordOutputs(
  files: { path: string; what: string }[],
  opts: { now?: Date; env?: NodeJS.ProcessEnv } = {},
): Promise<string | undefined> {
  if (files.length === 0) return undefined;
  const writtenAt = (opts.now ?? new Date()).toISOString();
  const lines: string[] = [];
  for (const f of files) {
    try {
      const abs = path.resolve(f.path);
      const st = await stat(abs);
      if (!st.isFile()) continue;
      const { sha256, size } = await sha256File(abs);
      lines.push(JSON.stringify({ path: abs, sha256, size, writtenAt, what: f.what } satisfies OutputRecord));
    } catch {
      // A file that vanished right after it was written is not ours to vouch for.
    }
  }
  if (lines.length === 0) return undefined;
  const file = registryPath(opts.env);
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // One append per call: lines of concurrent runs never interleave within a line.
    await appendFile(file, lines.join('\n') + '\n', { mode: 0o600 });
    if ((await stat(file)).size > COMPACT_AT) await compact(file);
    return undefined;
  } catch (error) {
    return `cannot record minehunter's outputs in ${file}: ${(error as Error).message}`;
  }
}

/**
 * Keeps the newest record of each path whose file still exists, at most KEEP of them: a file that is
 * gone can never be scanned again, and a reused path gets a record of its own when written again.
 */
async function compact(file: string): Promise<void> {
  const newest = new Map<string, string>();
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const r = parseLine(line);
    if (!r) continue;
    newest.delete(r.path);
    newest.set(r.path, line);
  }
  const kept: string[] = [];
  // Newest first, so the stats stop once KEEP live files are found.
  for (const [recorded, line] of [...newest].reverse()) {
    if (kept.length >= KEEP) break;
    if (await exists(recorded)) kept.push(line);
  }
  kept.reverse();
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, kept.join('\n') + '\n', { mode: 0o600 });
  await rename(tmp, file);
}

/** False only when the file is surely gone: a path that cannot be checked (EACCES) is kept. */
async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== 'ENOENT' && code !== 'ENOTDIR';
  }
}

/** Path → the records of files written there, for a scan to look up by path and hash. */
export type OutputRegistry = Map<string, OutputRecord[]>;

/**
 * The registries a scan reads: the one this run writes to, and the one in the account's own home
 * (from the user database, not $HOME) when that differs, so a run with another HOME (sudo keeping the
 * caller's, a test harness) still knows the outputs the account saved before.
 */
export function registryPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const paths = [registryPath(env)];
  if (!env.MINEHUNTER_STATE_DIR) {
    let home: string | undefined;
    try {
      home = os.userInfo().homedir;
    } catch {
      home = undefined;
    }
    if (home) {
      const own = registryPath({ HOME: home });
      if (!paths.includes(own)) paths.push(own);
    }
  }
  return paths;
}

/** Reads the registries; a missing or unreadable one is empty (its files are judged on content). */
export function loadOutputRegistry(env: NodeJS.ProcessEnv = process.env): OutputRegistry {
  const out: OutputRegistry = new Map();
  for (const file of registryPaths(env)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      const r = parseLine(line);
      if (!r) continue;
      const list = out.get(r.path) ?? [];
      list.push(r);
      out.set(r.path, list);
    }
  }
  return out;
}

/** The record of this exact file (same path, same content), newest first. */
export function findOutput(
  registry: OutputRegistry,
  hostPath: string,
  sha256: string,
): OutputRecord | undefined {
  const list = registry.get(hostPath);
  if (!list) return undefined;
  for (let i = list.length - 1; i >= 0; i--) if (list[i]!.sha256 === sha256) return list[i];
  return undefined;
}

/**
 * When standard output is a regular file (`scan > r.txt`), its path: that file is ours too once the
 * command has written it. Linux only (/proc/self/fd/1); undefined for a pipe, a terminal or elsewhere.
 */
export function stdoutFile(): string | undefined {
  try {
    const target = readlinkSync('/proc/self/fd/1');
    if (!path.isAbsolute(target) || !statSync(target).isFile()) return undefined;
    return target;
  } catch {
    return undefined;
  }
}
