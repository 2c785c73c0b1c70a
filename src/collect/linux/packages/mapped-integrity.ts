// Integrity of the shared objects processes have mapped, like `rpm -V` for every library a package
// owns: the file now on disk against the digest its package database recorded (dpkg md5, apk sha1,
// rpm md5/sha256 with size and mode). A patched libc or libpam that exports hooks keeps its path and
// its package, so neither the place nor the ownership gives it away; only its content does.
import type { LibraryIntegrity, SharedObject } from '../../../snapshot/stealth.js';
import type { TargetFs } from '../../../target/fs.js';
import { type CollectorLog, errnoCode, errorMessage } from '../../support.js';
import { prelinkedOnTarget, type Expected } from '../rpm/verify.js';
import type { PackageOwnership } from './ownership.js';
import { fileStamp, StampCache } from '../../../util/stamp-cache.js';

/**
 * At most this many bytes are hashed per scan: a desktop maps a few hundred megabytes of libraries,
 * a build server with browsers or LLVM loaded more, and a live scan must stay quick.
 */
export const LIBRARY_DIGEST_BUDGET = 512 * 1024 * 1024;

type Algorithm = NonNullable<LibraryIntegrity['algorithm']>;

interface Job {
  lib: SharedObject;
  exp: Expected;
  algorithm: Algorithm;
  expected: string;
  /** The file's identity (device, inode) and algorithm: two spellings of one file are hashed once. */
  key: string;
  /** The file's stamp when planned: its digest is kept between scans under it. */
  stamp: string;
}

/**
 * Digests of packaged mapped libraries from earlier scans, by file stamp and algorithm: libc, libssl
 * and the rest are the same files scan after scan, and hashing them all again cost ~50 ms of CPU.
 */
const DIGEST_FORMAT = 1;
const isDigest = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{32,128}$/.test(v);

/** The digest a record holds, strongest first (an rpm or apk-tools 3 record has one, dpkg md5). */
function recordedDigest(exp: Expected): { algorithm: Algorithm; expected: string } | undefined {
  if (exp.sha256 !== undefined) return { algorithm: 'sha256', expected: exp.sha256 };
  if (exp.sha1 !== undefined) return { algorithm: 'sha1', expected: exp.sha1 };
  if (exp.md5 !== undefined) return { algorithm: 'md5', expected: exp.md5 };
  return undefined;
}

/**
 * The file's digest in the record's algorithm, read on the spot: a scan compares a few dozen
 * libraries, megabytes in all, and a thread-pool round trip per chunk queued behind the process walk
 * and the content scan cost more than the hashing (issue 17).
 */
function digestFile(fs: TargetFs, file: string, algorithm: Algorithm): string {
  return fs.digestsSync(file, [algorithm])[0] ?? '';
}

/**
 * The sha256 the evidence names a modified library by: its digest already when the record's is
 * sha256, else a second read, made only for the few that do not match (not for every library).
 */
function sha256Of(fs: TargetFs, file: string, algorithm: Algorithm, actual: string): string | undefined {
  if (algorithm === 'sha256') return actual;
  try {
    return fs.digestsSync(file, ['sha256'])[0];
  } catch {
    // Gone between the two reads: the verdict stands, without the evidence's digest.
    return undefined;
  }
}

const notChecked = (reason: string): LibraryIntegrity => ({ status: 'not-checked', reason });

/**
 * Decides, in path order, which libraries are hashed: each gets its record's facts now, and the byte
 * budget is spent in that order so two scans of the same host check the same libraries.
 */
async function plan(
  fs: TargetFs,
  owned: SharedObject[],
  live: Set<string>,
  records: Map<string, Expected>,
  budget: number,
): Promise<{ jobs: Job[]; overBudget: number }> {
  const jobs: Job[] = [];
  const counted = new Set<string>();
  let used = 0;
  let overBudget = 0;
  for (const lib of owned) {
    // After an upgrade a daemon still maps the old file, deleted; the file on disk is the new one,
    // so comparing it would say nothing about what the daemon runs, and an upgrade is no finding.
    if (!live.has(lib.path)) {
      lib.integrity = notChecked('every mapping of it is deleted (a package upgrade replaced it)');
      continue;
    }
    const exp = records.get(lib.path);
    const digest = exp && recordedDigest(exp);
    if (!exp || !digest) {
      lib.integrity = notChecked('the package database records no digest for it');
      continue;
    }
    const facts: LibraryIntegrity = { status: 'not-checked', ...digest };
    if (exp.listed !== lib.path) facts.listed = exp.listed;
    let st: Awaited<ReturnType<TargetFs['stat']>>;
    try {
      // The door's own error when it is gone, as the record has always said it.
      st = fs.statSync(lib.path) ?? (await fs.stat(lib.path));
    } catch (err) {
      lib.integrity = { ...facts, reason: `not readable (${errnoCode(err) ?? errorMessage(err)})` };
      continue;
    }
    if (!st.isFile()) {
      lib.integrity = { ...facts, reason: 'not a regular file' };
      continue;
    }
    if (exp.size !== undefined) Object.assign(facts, { expectedSize: exp.size, size: st.size });
    if (exp.mode !== undefined)
      Object.assign(facts, { expectedMode: exp.mode & 0o7777, mode: st.mode & 0o7777 });
    const key = `${st.dev}:${st.ino}:${digest.algorithm}`;
    if (!counted.has(key)) {
      if (used + st.size > budget) {
        lib.integrity = { ...facts, reason: `digest budget of ${budget / 1024 / 1024} MiB spent` };
        overBudget++;
        continue;
      }
      used += st.size;
      counted.add(key);
    }
    lib.integrity = facts;
    jobs.push({ lib, exp, ...digest, key, stamp: fileStamp(st) });
  }
  return { jobs, overBudget };
}

/** Hashes one planned library (once per file) and judges it as `rpm -V` would, prelink included. */
async function check(
  fs: TargetFs,
  job: Job,
  hashes: Map<string, string>,
  log: CollectorLog,
  cache: StampCache<string> | undefined,
): Promise<void> {
  const facts = job.lib.integrity!;
  try {
    let actual = hashes.get(job.key) ?? cache?.get(`${job.algorithm}:${job.lib.path}`, job.stamp);
    if (actual === undefined) {
      actual = digestFile(fs, job.lib.path, job.algorithm);
      if (isDigest(actual)) cache?.set(`${job.algorithm}:${job.lib.path}`, job.stamp, actual);
    }
    hashes.set(job.key, actual);
    facts.actual = actual;
    if (actual === job.expected) facts.status = 'ok';
    else if (job.exp.config) facts.status = 'config';
    else facts.status = (await prelinkedOnTarget(fs, job.lib.path)) ? 'prelinked' : 'modified';
    if ((facts.status === 'modified' || facts.status === 'prelinked') && job.lib.sha256 === undefined) {
      const sha256 = sha256Of(fs, job.lib.path, job.algorithm, actual);
      if (sha256 !== undefined) job.lib.sha256 = sha256;
    }
  } catch (err) {
    log.add(job.lib.path, err);
    facts.reason = `not readable (${errnoCode(err) ?? errorMessage(err)})`;
  }
}

/** The record's words: how many were checked against which database, and what was left out. */
function summary(
  manager: PackageOwnership['manager'],
  owned: SharedObject[],
  overBudget: number,
  budget: number,
): string {
  const count = (s: LibraryIntegrity['status']) => owned.filter((l) => l.integrity?.status === s).length;
  const parts = [`${count('ok')} ok`];
  for (const s of ['modified', 'prelinked', 'config', 'not-checked'] as const)
    if (count(s) > 0) parts.push(`${count(s)} ${s}`);
  const what = manager === 'rpm' ? 'digest, size and mode' : 'digest only';
  const capped =
    overBudget > 0
      ? `; digest budget of ${budget / 1024 / 1024} MiB reached: ${overBudget} libraries not checked`
      : '';
  return `packaged mapped libraries against ${manager} (${what}): ${parts.join(', ')}${capped}`;
}

/**
 * Checks every mapped library a package owns (`package` set, source `maps`, on disk) and records the
 * result in its `integrity` field. `live` holds the paths some process maps without " (deleted)":
 * only those are compared. Returns the collection note, or undefined when there was nothing to check.
 */
export async function verifyMappedLibraries(
  fs: TargetFs,
  libraries: SharedObject[],
  live: Set<string>,
  own: PackageOwnership,
  log: CollectorLog,
  budget = LIBRARY_DIGEST_BUDGET,
): Promise<string | undefined> {
  const owned = libraries.filter((l) => l.exists && l.package !== undefined && l.sources.includes('maps'));
  if (owned.length === 0 || !own.records) return undefined;
  const records = await own.records(new Map(owned.map((l) => [l.path, l.package!])), log);
  const { jobs, overBudget } = await plan(fs, owned, live, records, budget);
  const hashes = new Map<string, string>();
  const cache = StampCache.open('mapped-digests', fs.hostPathSync('/'), DIGEST_FORMAT, isDigest);
  for (const job of jobs) await check(fs, job, hashes, log, cache);
  cache?.save();
  return summary(own.manager, owned, overBudget, budget);
}
