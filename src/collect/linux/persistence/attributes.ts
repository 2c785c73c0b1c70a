// File attributes through `lsattr`: immutable (`i`) and append-only (`a`) are how droppers stop an
// admin (and rival miners) from editing their cron lines, units and keys. When lsattr is missing or
// the filesystem has no attributes, that is recorded as "not collected", never as "no attributes".
import { execFile } from 'node:child_process';

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

const CHUNK = 200;

function run(paths: string[]): Promise<{ stdout: string; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    execFile('lsattr', ['-d', '--', ...paths], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const missing = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      resolve({ stdout: String(stdout), stderr: String(stderr), missing });
    });
  });
}

/** Reads the attributes of the given host paths with as few lsattr runs as possible. */
export async function readAttributes(hostPaths: string[]): Promise<AttributeResult> {
  const flags = new Map<string, string[]>();
  const unique = [...new Set(hostPaths)];
  if (unique.length === 0) return { collected: true, flags };
  let failures = 0;
  let firstError = '';
  for (let i = 0; i < unique.length; i += CHUNK) {
    const res = await run(unique.slice(i, i + CHUNK));
    if (res.missing) return { collected: false, note: 'lsattr is not installed (e2fsprogs)', flags };
    for (const [p, f] of parseLsattr(res.stdout)) flags.set(p, f);
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
