// File attributes through `lsattr`: immutable (`i`) and append-only (`a`) are how droppers stop an
// admin (and rival miners) from editing their cron lines, units and keys. When lsattr is missing or
// the filesystem has no attributes, that is recorded as "not collected", never as "no attributes".
import { execFile } from 'node:child_process';
import { lstatSync } from 'node:fs';
import { fileStamp, type StampCache } from '../../../util/stamp-cache.js';

/** Parses `lsattr -d` output: `----i---------e------- /etc/cron.d/x` → path → ['i']. */
export function parseLsattr(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const m = /^([A-Za-z-]+)\s+(.+)$/.exec(line);
    if (!m) continue;
    const flags = m[1]!;
    out.set(
      m[2]!,
      ['i', 'a'].filter((f) => flags.includes(f)),
    );
  }
  return out;
}

export interface AttributeResult {
  collected: boolean;
  note?: string;
  /** Host path → flags, for the files lsattr could read. */
  flags: Map<string, string[]>;
}

/**
 * Paths per lsattr run, and their bytes: a host's few hundred persistence files take one run (each
 * run is a fork of this process, several milliseconds of the scan's CPU, issue 17), well under the
 * kernel's limit on an argument list (ARG_MAX, 2 MiB at least on Linux).
 */
const CHUNK = 2000;
const CHUNK_BYTES = 256 * 1024;

/** The paths cut into runs of at most CHUNK paths and CHUNK_BYTES of arguments. */
function chunks(paths: string[]): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let bytes = 0;
  for (const p of paths) {
    const size = Buffer.byteLength(p) + 1;
    if (current.length > 0 && (current.length >= CHUNK || bytes + size > CHUNK_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(p);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function run(paths: string[]): Promise<{ stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile('lsattr', ['-d', '--', ...paths], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const missing = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      resolve({ stdout: String(stdout), stderr: String(stderr), missing });
    });
  });
}

/** The format of the cached flags (util/stamp-cache.ts): the `i`/`a` flags lsattr showed. */
export const ATTRIBUTES_FORMAT = 1;

export function isFlags(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((f) => f === 'i' || f === 'a');
}

/** The stamp of a host path's own inode (never through a link), or undefined. */
function stampOf(hostPath: string): string | undefined {
  try {
    const st = lstatSync(hostPath);
    return st.isSymbolicLink() ? undefined : fileStamp(st);
  } catch {
    return undefined;
  }
}

/**
 * Reads the attributes of the given host paths with as few lsattr runs as possible. With a cache,
 * a path whose stamp is unchanged keeps the flags lsattr showed last time: chattr moves the ctime
 * (the kernel stamps every change of the inode flags), so a warm scan of an unchanged host runs no
 * lsattr at all — each run is a fork of this process, the largest part of this collector's CPU.
 */
export async function readAttributes(
  hostPaths: string[],
  cache?: StampCache<string[]>,
): Promise<AttributeResult> {
  const flags = new Map<string, string[]>();
  const unique = [...new Set(hostPaths)];
  if (unique.length === 0) return { collected: true, flags };
  const stamps = new Map<string, string>();
  const ask: string[] = [];
  for (const p of unique) {
    const stamp = cache ? stampOf(p) : undefined;
    const hit = stamp === undefined ? undefined : cache!.get(p, stamp);
    if (hit) flags.set(p, [...hit]);
    else {
      ask.push(p);
      if (stamp !== undefined) stamps.set(p, stamp);
    }
  }
  let failures = 0;
  let firstError = '';
  for (const chunk of chunks(ask)) {
    const res = await run(chunk);
    if (res.missing) return { collected: false, note: 'lsattr is not installed (e2fsprogs)', flags };
    for (const [p, f] of parseLsattr(res.stdout)) {
      flags.set(p, f);
      const stamp = stamps.get(p);
      if (stamp !== undefined) cache?.set(p, stamp, f);
    }
    const errors = res.stderr.split('\n').filter((l) => l.trim() !== '');
    failures += errors.length;
    firstError ||= errors[0] ?? '';
  }
  if (flags.size === 0)
    return {
      collected: false,
      note: `lsattr could not read attributes here${firstError ? `: ${firstError}` : ''}`,
      flags,
    };
  return failures > 0
    ? { collected: true, note: `lsattr failed on ${failures} file(s): ${firstError}`, flags }
    : { collected: true, flags };
}
