// System binary integrity: the programs an admin uses to look for a miner (ps, top, ss, netstat, ls,
// lsof, find, crontab, systemctl, chattr…) checked against the md5 sums dpkg recorded when it
// installed them, or on rpm hosts against the digest, size and mode in the rpm database. Trojanised
// copies that hide the miner are a classic of mining campaigns, and a setuid bit added to one is a
// way back to root. Only these binaries are checked, so a live scan stays fast; /usr-merge is
// followed (/bin/ps is /usr/bin/ps).
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { BinaryCheck, Integrity } from '../../snapshot/persistence.js';
import type { CollectionRecord } from '../../snapshot/schema.js';
import type { CollectContext } from '../context.js';
import type { TargetFs } from '../../target/fs.js';
import { CollectorLog, isGone } from '../support.js';
import { fileStamp, StampCache } from '../../util/stamp-cache.js';
import {
  dpkgInfoNames,
  isMd5sumsHits,
  MD5SUMS_FORMAT,
  md5sumsFor,
  md5sumsSignature,
  type Md5sumsHits,
  parseMd5sums,
} from './packages/dpkg.js';
import { RpmDbError } from './rpm/index.js';
import { prelinkedOnTarget, rpmExpectations, type Expected } from './rpm/verify.js';

export { parseMd5sums };

interface Watched {
  path: string;
  real: string;
}

/** What an admin runs to find processes, files, connections, persistence and users. */
export const WATCHED_BINARIES = [
  'ps',
  'top',
  'htop',
  'pgrep',
  'pkill',
  'kill',
  'killall',
  'netstat',
  'ss',
  'ls',
  'lsof',
  'find',
  'du',
  'crontab',
  'systemctl',
  'chattr',
  'lsattr',
  'w',
  'who',
  'last',
  'login',
  'su',
  'sudo',
  'uptime',
  'free',
  'ifconfig',
  'ip',
  'iptables',
  'sshd',
  'passwd',
];
const BIN_DIRS = ['/usr/bin', '/usr/sbin', '/bin', '/sbin'];

/** Debian/Ubuntu packages that ship the watched tools; see collectIntegrity for why this exists. */
const LIKELY_PACKAGES = new Set([
  'procps',
  'coreutils',
  'findutils',
  'cron',
  'cronie',
  'systemd',
  'e2fsprogs',
  'iproute2',
  'net-tools',
  'lsof',
  'login',
  'util-linux',
  'openssh-server',
  'openssh-client',
  'bsdutils',
  'passwd',
  'sudo',
  'iptables',
  'nftables',
  'psmisc',
  'grep',
  'sed',
  'bash',
  'dash',
  'tar',
  'gzip',
  'curl',
  'wget',
  'mount',
  'kmod',
  'dpkg',
  'apt',
  'systemd-sysv',
  'sysvinit-utils',
  'debianutils',
  'diffutils',
  'cron-daemon-common',
]);

/** The same file under /usr-merge: /bin/ps ↔ /usr/bin/ps, /sbin/x ↔ /usr/sbin/x. */
export function mergedAliases(p: string): string[] {
  const m = /^\/(?:usr\/)?(bin|sbin)\/(.+)$/.exec(p);
  return m ? [`/usr/${m[1]}/${m[2]}`, `/${m[1]}/${m[2]}`] : [p];
}

interface Digests {
  md5: string;
  sha256: string;
}

const DIGESTS_FORMAT = 1;

function isDigests(v: unknown): v is Digests {
  const d = v as Digests;
  return typeof d?.md5 === 'string' && typeof d.sha256 === 'string';
}

/**
 * Both digests of a watched program, from the cache while its stamp (dev, inode, size, mtime, ctime)
 * is unchanged: the ~100 programs, several megabytes, were hashed again by every scan (issue 17).
 * Any write to the file, or a file renamed over it, changes the stamp.
 */
function md5AndSha256(
  fs: TargetFs,
  file: string,
  st: Parameters<typeof fileStamp>[0],
  cache: StampCache<Digests> | undefined,
): Digests {
  const stamp = fileStamp(st);
  const hit = cache?.get(file, stamp);
  if (hit) return { md5: hit.md5, sha256: hit.sha256 };
  const [md5 = '', sha256 = ''] = fs.digestsSync(file, ['md5', 'sha256']);
  // A read cut short (an empty digest) is not kept.
  if (md5 !== '' && sha256 !== '') cache?.set(file, stamp, { md5, sha256 });
  return { md5, sha256 };
}

/**
 * Where each watched program is, once per real file (on a merged system /bin/ps and /usr/bin/ps are
 * one). Its 120 stats and the reads below are synchronous: each is a few microseconds, where a
 * round trip through the thread pool the process walk and the content scan keep busy was a
 * millisecond or more (issue 17).
 */
function findWatched(ctx: CollectContext, log: CollectorLog): Watched[] {
  const present: Watched[] = [];
  const seen = new Set<string>();
  const realRoot = realpathSync.native(ctx.root);
  for (const name of WATCHED_BINARIES) {
    for (const dir of BIN_DIRS) {
      const p = `${dir}/${name}`;
      try {
        const st = ctx.fs.statSync(p);
        if (!st) continue;
        const key = `${st.dev}:${st.ino}`;
        if (!st.isFile() || seen.has(key)) continue;
        seen.add(key);
        // Alternatives and /usr-merge links: the package lists the file the link ends at.
        const real = `/${path.relative(realRoot, realpathSync.native(ctx.fs.hostPathSync(p)))}`;
        present.push({ path: p, real });
      } catch (err) {
        if (!isGone(err)) log.add(p, err);
      }
    }
  }
  return present;
}

/** The md5 sums dpkg recorded for the watched programs; undefined when the root has no dpkg database. */
function dpkgExpectations(
  ctx: CollectContext,
  present: Watched[],
  log: CollectorLog,
): Map<string, Expected> | undefined {
  const infoDir = '/var/lib/dpkg/info';
  let names: string[];
  try {
    names = dpkgInfoNames(ctx.fs).filter((n) => n.endsWith('.md5sums'));
  } catch (err) {
    if (!isGone(err)) log.add('/var/lib/dpkg/info', err);
    return undefined;
  }
  const wanted = new Set(present.flatMap((b) => [...mergedAliases(b.path), ...mergedAliases(b.real)]));
  const expected = new Map<string, Expected>();
  // What each md5sums file records of the wanted paths is kept by the file's stamp while the wanted
  // set is the same (packages/dpkg.ts, md5sumsFor); off without a derived-cache directory.
  const cache: StampCache<Md5sumsHits> | undefined = StampCache.open(
    'md5sums-watched',
    ctx.fs.hostPathSync('/'),
    MD5SUMS_FORMAT,
    isMd5sumsHits,
  );
  const signature = md5sumsSignature(wanted);
  // Cheap test before decoding: most packages (libraries, data) own nothing in a bin directory.
  const hasBin = (bytes: Buffer): boolean => bytes.indexOf('bin/') >= 0;
  const readSums = (n: string): void => {
    let sums: Map<string, string>;
    try {
      sums = md5sumsFor(ctx.fs, `${infoDir}/${n}`, wanted, signature, cache, hasBin);
    } catch (err) {
      log.add(`${infoDir}/${n}`, err);
      return;
    }
    for (const [p, md5] of sums) {
      const pkg = n.slice(0, -'.md5sums'.length).replace(/:.*$/, '');
      for (const alias of mergedAliases(p)) expected.set(alias, { md5, pkg, listed: p });
    }
  };
  // Reading every package's list costs a few hundred milliseconds on a full server; the watched
  // tools almost always come from a handful of packages, so those are read first and the rest only
  // while some binary is still without an owner (dpkg lets one path belong to one package only).
  const isLikely = (n: string): boolean =>
    LIKELY_PACKAGES.has(n.slice(0, -'.md5sums'.length).replace(/:.*$/, ''));
  names.filter(isLikely).forEach(readSums);
  const unresolved = present.some((b) => !expected.has(b.path) && !expected.has(b.real));
  if (unresolved) names.filter((n) => !isLikely(n)).forEach(readSums);
  cache?.save();
  return expected;
}

/** Hashes each watched program and compares it with what its package recorded. */
async function verify(
  ctx: CollectContext,
  present: Watched[],
  expected: Map<string, Expected>,
  log: CollectorLog,
): Promise<BinaryCheck[]> {
  const out: BinaryCheck[] = [];
  const digests = StampCache.open('binaries', ctx.fs.hostPathSync('/'), DIGESTS_FORMAT, isDigests);
  for (const b of present) {
    // A turn of the event loop between two binaries: the process walk beside us gets its reads.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const check: BinaryCheck = { path: b.path, status: 'unreadable' };
    out.push(check);
    const exp = expected.get(b.path) ?? expected.get(b.real);
    if (exp) {
      check.package = exp.pkg;
      check.packagePath = exp.listed;
      if (exp.md5) check.expectedMd5 = exp.md5;
      if (exp.sha256) check.expectedSha256 = exp.sha256;
    }
    try {
      // Gone since it was found: the door's own error, as the record has always said it.
      const st = ctx.fs.statSync(b.path) ?? (await ctx.fs.stat(b.path));
      check.size = st.size;
      check.mtime = st.mtime.toISOString();
      // rpm also records size and mode; a mode change alone (a setuid bit added) is the detector's.
      if (exp?.size !== undefined) check.expectedSize = exp.size;
      if (exp?.mode !== undefined) {
        check.expectedMode = exp.mode & 0o7777;
        check.mode = st.mode & 0o7777;
      }
      // A few megabytes in all, hashed on the spot in one pass for both digests.
      const h = md5AndSha256(ctx.fs, b.path, st, digests);
      check.actualMd5 = h.md5;
      check.sha256 = h.sha256;
      check.status = !exp ? 'unpackaged' : matches(exp, h) ? 'ok' : exp.config ? 'config' : 'modified';
      // prelink (CentOS 6/7) rewrites binaries in place; like `rpm -V` we do not blame it on an intruder.
      if (check.status === 'modified' && (await prelinkedOnTarget(ctx.fs, b.path)))
        check.status = 'prelinked';
    } catch (err) {
      log.add(b.path, err);
    }
  }
  digests?.save();
  return out;
}

/** The collection note's words for programs prelink rewrote, so the log says why they pass. */
function prelinkNote(binaries: BinaryCheck[]): string | undefined {
  const paths = binaries.filter((b) => b.status === 'prelinked').map((b) => b.path);
  return paths.length > 0 ? `${paths.join(', ')} prelinked: digest not comparable` : undefined;
}

/** A package's sum for the file: dpkg records md5, rpm md5 or sha256 (FILEDIGESTALGO). */
function matches(exp: Expected, h: { md5: string; sha256: string }): boolean {
  if (exp.sha256 !== undefined) return exp.sha256 === h.sha256;
  return exp.md5 === h.md5;
}

export async function collectIntegrity(
  ctx: CollectContext,
): Promise<{ integrity?: Integrity; record: CollectionRecord }> {
  const log = new CollectorLog('linux.integrity', ['integrity']);
  const present = findWatched(ctx, log);
  const dpkg = dpkgExpectations(ctx, present, log);
  if (dpkg) {
    const binaries = await verify(ctx, present, dpkg, log);
    const prelinked = prelinkNote(binaries);
    // dpkg keeps no size or mode, so unlike rpm a changed mode cannot be seen: the record says so.
    const note = `dpkg md5sums: digest only (dpkg records no size or mode)${prelinked ? `; ${prelinked}` : ''}`;
    return {
      integrity: { packageManager: 'dpkg', binaries },
      record: log.record(log.errorCount > 0 ? 'partial' : 'ok', present.length > 0 ? note : undefined),
    };
  }
  let rpm: Awaited<ReturnType<typeof rpmExpectations>>;
  try {
    rpm = await rpmExpectations(ctx.fs, present);
  } catch (err) {
    // A corrupt database is a finding for the analyst, not a reason to call every tool unpackaged.
    log.add(err instanceof RpmDbError ? err.dbPath : undefined, err);
    return { record: log.record('failed', 'rpm database unreadable: binary checksums not checked') };
  }
  if (rpm) {
    for (const e of rpm.db.errors) log.add(`${rpm.db.path}#${e.key}`, new Error(e.message));
    const binaries = await verify(ctx, present, rpm.expected, log);
    const prelinked = prelinkNote(binaries);
    const note = `rpm ${rpm.db.format} database ${rpm.db.path}: ${rpm.db.packages.length} packages${prelinked ? `; ${prelinked}` : ''}`;
    return {
      integrity: { packageManager: 'rpm', binaries },
      record: log.record(log.errorCount > 0 ? 'partial' : 'ok', note),
    };
  }
  // A root with none of these programs (a fixture, a data disk) has nothing to check: a fact.
  if (present.length === 0)
    return {
      integrity: { packageManager: 'none', binaries: [] },
      record: log.record('ok', 'none of the watched system binaries exist in this root'),
    };
  return {
    integrity: { packageManager: 'none', binaries: [] },
    record: log.record('skipped', 'no dpkg database (/var/lib/dpkg/info): binary checksums not checked'),
  };
}
