// The hive files of a Windows volume (SYSTEM, SOFTWARE, each profile's NTUSER.DAT) opened for the
// registry collector, and what each read came to (`system.hives[]`): a hive that cannot be opened is
// recorded and the others are still read; damage found while reading (the reader finds it lazily) is
// counted once everything has been read.
import { HiveError, openHive, type Hive } from '../../target/windows/registry/index.js';
import type { TargetFs } from '../../target/fs.js';
import type { HiveRead } from '../../snapshot/windows.js';
import { errorMessage, type CollectorLog } from '../support.js';
import type { VolumeLookup } from './registry-image.js';

/** A hive bigger than this is refused (real SOFTWARE hives stay well under 300 MB). */
export const MAX_HIVE_BYTES = 512 * 1024 * 1024;

/** Profiles that are not a person's: templates and the junctions older Windows names kept. */
const NOT_A_USER = new Set(['default', 'default user', 'all users', 'public']);
const MAX_PROFILES = 1000;

/** One hive file and, when it could be opened, its reader. */
export interface OpenedHive {
  name: string;
  file: string;
  hive?: Hive;
  /** Why it could not be opened. */
  error?: string;
}

/** A profile under Users/ with its NTUSER.DAT, when it has one. */
export interface Profile {
  name: string;
  /** Target path of the profile folder. */
  profile: string;
  ntuser?: string;
}

/** Opens the hive at `file` (a target path, or undefined when the volume does not hold it). */
export async function openHiveFile(
  fs: TargetFs,
  log: CollectorLog,
  name: string,
  file: string | undefined,
  expected: string,
): Promise<OpenedHive> {
  const where = file ?? expected;
  try {
    if (file === undefined) throw Object.assign(new Error(`${expected}: not found`), { code: 'ENOENT' });
    const st = await fs.stat(file);
    if (!st.isFile()) throw new Error(`${file}: not a regular file`);
    if (st.size > MAX_HIVE_BYTES)
      throw new Error(`${file}: ${st.size} bytes, more than the ${MAX_HIVE_BYTES} a hive is read up to`);
    return { name, file, hive: openHive(await fs.read(file), { name: file }) };
  } catch (err) {
    log.add(where, err);
    const why = err instanceof HiveError ? err.message : errorMessage(err);
    return { name, file: where, error: why };
  }
}

/** What reading the hive came to, once the collectors are done with it; damage is logged as an error. */
export function hiveRead(h: OpenedHive, log: CollectorLog): HiveRead {
  const out: HiveRead = { name: h.name, file: h.file, ok: h.hive !== undefined };
  if (h.error !== undefined) out.problem = h.error;
  const hive = h.hive;
  if (!hive) return out;
  const count = hive.problems.length + hive.problemsDropped;
  if (count > 0) {
    out.problems = count;
    const first = hive.problems[0];
    out.problem = first
      ? `${first.detail}${first.key ? ` (at ${first.key})` : ''}`
      : 'damaged structures were skipped';
    log.add(
      h.file,
      new Error(`${count} damaged structure(s) skipped, facts may be incomplete: ${out.problem}`),
    );
  }
  if (hive.exhausted) {
    out.problem = 'the hive took more work than the reader allows: not every key was read';
    log.add(h.file, new Error(out.problem));
  }
  if (hive.dirty) out.dirty = true;
  return out;
}

/** Profiles under Users/ (any case), people's only, each with its NTUSER.DAT when present. */
export async function listProfiles(fs: TargetFs, lookup: VolumeLookup): Promise<Profile[]> {
  const users = await lookup.find('Users');
  if (users === undefined) return [];
  const entries = await fs.list(users).catch(() => []);
  const out: Profile[] = [];
  for (const e of entries) {
    if (!e.isDir || NOT_A_USER.has(e.name.toLowerCase())) continue;
    if (out.length >= MAX_PROFILES) break;
    const ntuser = await lookup.find(`${e.path.slice(1)}/NTUSER.DAT`);
    out.push({ name: e.name, profile: e.path, ...(ntuser !== undefined ? { ntuser } : {}) });
  }
  return out;
}
