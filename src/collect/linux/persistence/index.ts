// The persistence collector: every place a mining campaign makes itself start again (cron, at,
// systemd, rc scripts, shell profiles, udev, ssh keys, sudoers), parsed into entries, plus the files
// those entries start (one step into scripts, so cron line → script → binary can be followed) with
// their metadata and immutable/append-only attributes. Reads the target root only.
import { realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { commandTargets, mentionedPaths } from '../../../shell/command.js';
import type { CollectionRecord } from '../../../snapshot/schema.js';
import type { Persistence, PersistenceFile } from '../../../snapshot/persistence.js';
import { fileTimes } from '../../file-times.js';
import { parseAccounts } from '../../passwd.js';
import type { CollectContext } from '../../context.js';
import { CollectorLog, mapLimit } from '../../support.js';
import { ATTRIBUTES_FORMAT, isFlags, readAttributes } from './attributes.js';
import { fileStamp, StampCache } from '../../../util/stamp-cache.js';
import { collectCron } from './cron.js';
import { Recorder, RootReader, stillSeen } from './reader.js';
import { collectScripts } from './scripts.js';
import { collectAuthorizedKeys, keysInText } from './ssh-keys.js';
import { collectSudoers } from './sudoers.js';
import { collectSystemd } from './systemd.js';
import { collectUdev } from './udev.js';

/** Package-managed trees: their scripts are not followed a second step (dpkg owns what they name). */
const PACKAGE_DIRS = /^\/(?:usr\/(?:lib|libexec|share|bin|sbin)|lib(?:32|64)?|bin|sbin)\//;
/** Scripts bigger than this are programs, not droppers: not read for references. */
const MAX_SCRIPT_BYTES = 256 * 1024;
const MAX_HASH_BYTES = 64 * 1024 * 1024;
const MAX_REFERENCES = 100;
const MAX_TARGETS = 2000;

function looksLikeText(buf: Buffer): boolean {
  return !buf.subarray(0, 4096).includes(0);
}

/** The accounts' home directories that exist in the target, root's first, each once. */
async function homesOf(
  reader: RootReader,
  accounts: { name: string; home: string }[],
): Promise<{ user: string; home: string }[]> {
  const homeList: { user: string; home: string }[] = [];
  const seenHomes = new Set<string>();
  for (const a of [{ name: 'root', home: '/root' }, ...accounts]) {
    const home = a.home.replace(/\/+$/, '');
    if (home === '' || home === '/' || seenHomes.has(home) || home.startsWith('/nonexistent')) continue;
    seenHomes.add(home);
    if (await reader.exists(home)) homeList.push({ user: a.name, home });
  }
  return homeList;
}

/** Reads the files' attributes (chattr +i/+a) and records them on each file; says whether it could. */
async function attachAttributes(
  reader: RootReader,
  files: PersistenceFile[],
): Promise<Awaited<ReturnType<typeof readAttributes>>> {
  const hostOf = new Map<string, string>();
  for (const f of files) {
    if (f.missing || f.size === undefined) continue;
    // lsattr cannot read flags through a symlink (/bin/sh → dash): ask about the file itself.
    let real = '';
    try {
      real = realpathSync.native(reader.ctx.fs.hostPathSync(f.path));
    } catch {
      // gone since it was described: nothing to ask lsattr about
    }
    hostOf.set(real, f.path);
  }
  hostOf.delete('');
  // The flags of unchanged files are kept beside the scan cache (off with --no-cache).
  const cache = StampCache.open('attributes', reader.ctx.fs.hostPathSync('/'), ATTRIBUTES_FORMAT, isFlags);
  const attrs = await readAttributes([...hostOf.keys()], cache);
  cache?.save();
  if (attrs.collected) {
    const byPath = new Map(files.map((f) => [f.path, f]));
    for (const [host, flags] of attrs.flags) {
      const rec = byPath.get(hostOf.get(host) ?? '');
      if (rec) rec.attributes = flags;
    }
  }
  return attrs;
}

/** Changes when what a kept collection holds changes: an older one is then ignored. */
const KEPT_FORMAT = 1;

/** A collection kept for the next scan: the looks it depended on, what it found, its record's note. */
interface Kept {
  /** The build that collected it (buildStamp): another build may parse the same files otherwise. */
  build: string;
  looks: string[];
  persistence: Persistence;
  note: string;
}

let ownBuild: string | undefined;

/**
 * The stamp of the file this code runs from (this module in a checkout or an installed package, the
 * executable itself in the single executable, where import.meta.url is empty): a rebuild, an upgrade
 * or an install writes it anew, so a collection kept by another version of the parsers is not used.
 */
function buildStamp(): string {
  if (ownBuild === undefined) {
    try {
      ownBuild = fileStamp(statSync(import.meta.url ? fileURLToPath(import.meta.url) : process.execPath));
    } catch {
      ownBuild = '';
    }
  }
  return ownBuild;
}

function isKept(v: unknown): v is Kept {
  const k = v as Kept;
  return (
    typeof k?.build === 'string' &&
    Array.isArray(k.looks) &&
    k.looks.every((x) => typeof x === 'string') &&
    typeof k.note === 'string' &&
    Array.isArray(k.persistence?.entries) &&
    Array.isArray(k.persistence.files)
  );
}

/**
 * The persistence collector. A warm scan of an unchanged host read and parsed the same few hundred
 * files (cron, units, profiles, udev rules, keys) and split every command line again: ~60 ms of the
 * scan's CPU (issue 17). So the collection is kept beside the scan cache with every look it took at
 * the target (reader.ts, Recorder): each file's and listed directory's stamp, each path's presence.
 * The next scan takes those looks again — a stat each — and when every one sees the same, nothing
 * it read can differ (a write moves a file's ctime; an entry added, removed or renamed moves its
 * directory's mtime; chattr moves the ctime too), and the kept collection is the answer. A
 * collection with an error, without attributes, or that saw something changed in the last seconds
 * is not kept; --no-cache keeps none.
 */
export async function collectPersistence(
  ctx: CollectContext,
): Promise<{ persistence?: Persistence; record: CollectionRecord }> {
  const log = new CollectorLog('linux.persistence', ['persistence']);
  // The collection's own clock (a test's fixed date far ahead, or now): what changed shortly before it
  // is not vouched for.
  const startedMs = ctx.now().getTime();
  const cache = StampCache.open('persistence', ctx.fs.hostPathSync('/'), KEPT_FORMAT, isKept);
  const kept = cache?.get('', '');
  if (kept && kept.build !== '' && kept.build === buildStamp() && stillSeen(ctx.fs, kept.looks)) {
    cache!.save();
    return { persistence: kept.persistence, record: log.record('ok', kept.note) };
  }
  const recorder = cache ? new Recorder(ctx.fs, startedMs) : undefined;
  const { persistence, note, attributesRead } = await collectFresh(new RootReader(ctx, log, recorder));
  if (cache && recorder?.settled && attributesRead && log.errorCount === 0)
    cache.set('', '', { build: buildStamp(), looks: recorder.flat(), persistence, note });
  cache?.save();
  return { persistence, record: log.record(log.errorCount > 0 ? 'partial' : 'ok', note) };
}

/** Collects afresh through `reader`; `attributesRead` when lsattr answered for every file without a note. */
async function collectFresh(
  reader: RootReader,
): Promise<{ persistence: Persistence; note: string; attributesRead: boolean }> {
  const passwd = await reader.text('/etc/passwd');
  const accounts = passwd === undefined ? [] : parseAccounts(passwd);
  const uidNames = new Map(accounts.map((a) => [a.uid, a.name] as const));
  const homeList = await homesOf(reader, accounts);

  const [cron, systemd, scripts, udev, ssh, sudo] = await Promise.all([
    collectCron(reader, uidNames),
    collectSystemd(reader, homeList),
    collectScripts(reader, homeList),
    collectUdev(reader),
    collectAuthorizedKeys(reader, homeList),
    collectSudoers(reader),
  ]);
  const entries = [...cron.entries, ...systemd.entries, ...scripts.entries, ...udev.entries];
  const configs = new Set([
    ...cron.files,
    ...systemd.files,
    ...scripts.files,
    ...udev.files,
    ...ssh.files,
    ...sudo.files,
  ]);
  if (await reader.exists('/etc/hosts')) configs.add('/etc/hosts');

  // The programs and scripts entries start, then what those scripts name in turn (one step).
  const records = new Map<string, PersistenceFile>();
  const describe = async (
    p: string,
    role: PersistenceFile['role'],
    follow: boolean,
  ): Promise<PersistenceFile> => {
    const rec: PersistenceFile = { path: p, role };
    const st = await reader.stat(p);
    if (!st) {
      rec.missing = true;
      return rec;
    }
    if (!st.isFile()) return rec;
    rec.size = st.size;
    Object.assign(rec, fileTimes(st));
    rec.uid = st.uid;
    if (!PACKAGE_DIRS.test(p) && st.size <= MAX_HASH_BYTES) {
      const h = await reader.sha256(p);
      if (h) rec.sha256 = h;
    }
    if (follow && st.size <= MAX_SCRIPT_BYTES && st.size > 0) {
      const text = await reader.text(p);
      if (text !== undefined && looksLikeText(Buffer.from(text.slice(0, 4096)))) {
        rec.references = mentionedPaths(text).slice(0, MAX_REFERENCES);
        const keys = keysInText(text);
        if (keys.length > 0) rec.sshKeys = keys;
      }
    }
    return rec;
  };
  for (const rec of await mapLimit([...configs].sort(), 16, (p) =>
    describe(
      p,
      'config',
      configs.has(p) &&
        /cron\.(?:hourly|daily|weekly|monthly)|rc\.local|init\.d/.test(p) &&
        !PACKAGE_DIRS.test(p),
    ),
  ))
    records.set(rec.path, rec);
  const level1 = [...new Set(entries.flatMap((e) => commandTargets(e.command)))]
    .filter((p) => !records.has(p))
    .sort()
    .slice(0, MAX_TARGETS);
  for (const rec of await mapLimit(level1, 16, (p) => describe(p, 'target', !PACKAGE_DIRS.test(p))))
    records.set(rec.path, rec);
  const level2 = new Set<string>();
  for (const rec of records.values()) {
    if (!rec.references || PACKAGE_DIRS.test(rec.path)) continue;
    for (const r of rec.references) if (!records.has(r) && !/^\/(?:proc|sys|dev)\//.test(r)) level2.add(r);
  }
  const found = await mapLimit([...level2].sort().slice(0, MAX_TARGETS), 16, async (p) => {
    const st = await reader.stat(p).catch(() => undefined);
    return st?.isFile() ? describe(p, 'target', false) : undefined;
  });
  for (const rec of found) if (rec) records.set(rec.path, rec);

  const files = [...records.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  const attrs = await attachAttributes(reader, files);
  const persistence: Persistence = {
    entries,
    authorizedKeys: ssh.keys,
    sudoRules: sudo.rules,
    accounts,
    files,
    attributes: { collected: attrs.collected, ...(attrs.note ? { note: attrs.note } : {}) },
  };
  const notes = [attrs.collected ? attrs.note : `file attributes not collected: ${attrs.note ?? ''}`].filter(
    (n): n is string => !!n,
  );
  return { persistence, note: notes.join('; '), attributesRead: attrs.collected && !attrs.note };
}
