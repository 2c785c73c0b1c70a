// Patch facts of an rpm host (RHEL, Rocky, Alma, CentOS, Fedora, Amazon Linux), read offline: installed
// versions and install times from the rpm database, the last successful transaction from dnf 4, dnf 5
// or yum history (SQLite, opened from a private copy), and pending security updates from the
// updateinfo (advisories) in the repository metadata cache dnf or yum left on disk. Nothing runs dnf,
// nothing goes to the network: with no cache there is no answer, and the facts say so.
import { spawn } from 'node:child_process';
import { access, constants, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import Database from 'better-sqlite3';
import { sqliteOptions } from '../../util/paths.js';
import { compareEvr, formatEvr, type Evr } from '../../audit/rpmversion.js';
import type { PackageFacts } from '../../snapshot/audit.js';
import type { TargetFs } from '../../target/fs.js';
import { decoderChain, ExpansionBudget } from '../../target/image/decode.js';
import { findRpmDb, readRpmDbCached } from '../linux/rpm/index.js';
import { elements, firstTag, simpleElementText, startTags, tagAttributes } from '../../util/xml-scan.js';
import { errorMessage, isGone } from '../support.js';

type Candidate = PackageFacts['candidates'][number];
type History = NonNullable<PackageFacts['history']>;

/** One package an advisory updates, at the version that fixes it. */
export interface AdvisoryPackage {
  name: string;
  arch: string;
  evr: Evr;
}

export interface SecurityAdvisory {
  id: string;
  severity?: string;
  packages: AdvisoryPackage[];
}

/** An updateinfo file's security advisories, and the entries left out as module-stream updates. */
export interface Updateinfo {
  advisories: SecurityAdvisory[];
  modularSkipped: number;
}

// ---- updateinfo XML ----------------------------------------------------------------------------

const ENTITIES = new Map([
  ['amp', '&'],
  ['lt', '<'],
  ['gt', '>'],
  ['quot', '"'],
  ['apos', "'"],
]);

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (m, e: string) => {
    if (e[0] !== '#') return ENTITIES.get(e) ?? m;
    const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1));
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

/** The attributes of one start tag, entities decoded (a Map: attribute names come from the file). */
function attributes(tag: string): Map<string, string> {
  const out = tagAttributes(tag);
  for (const [k, v] of out) out.set(k, unescapeXml(v));
  return out;
}

const element = (block: string, name: string): string | undefined => {
  const text = simpleElementText(block, name);
  return text === undefined ? undefined : unescapeXml(text);
};

/** The text between the first `<pkglist>` and the last `</pkglist>`. */
function pkglistOf(block: string): string {
  const start = block.indexOf('<pkglist>');
  const end = block.lastIndexOf('</pkglist>');
  return start >= 0 && end >= start + 9 ? block.slice(start + 9, end) : '';
}

/**
 * One `<update>` element: undefined unless it is a security advisory with an id. Read with the
 * linear scanner (util/xml-scan.ts): the metadata cache is a file on the target, and a regex over a
 * hostile element (ten thousand unclosed `<collection`) took minutes.
 */
export function parseUpdate(block: string): (SecurityAdvisory & { modularSkipped: number }) | undefined {
  const open = /^<update\b/.test(block) ? firstTag(block, 'update') : undefined;
  if (!open || attributes(open.tag).get('type') !== 'security') return undefined;
  const id = element(block, 'id');
  if (!id) return undefined;
  const adv: SecurityAdvisory & { modularSkipped: number } = { id, packages: [], modularSkipped: 0 };
  const severity = element(block, 'severity');
  if (severity) adv.severity = severity;
  // Packages only from the pkglist: a description may quote anything.
  const pkglist = pkglistOf(block);
  const collections = [...elements(pkglist, 'collection')].map((c) => c.inner);
  for (const col of collections.length ? collections : [pkglist]) {
    const pkgs = [...startTags(col, 'package')].map((t) => attributes(t.tag));
    // A module-stream update applies only to hosts on that stream, which the cache cannot tell
    // (dnf reads the enabled streams from its own state): counting it would invent pending updates.
    if (/<module\b/.test(col)) {
      adv.modularSkipped += pkgs.length;
      continue;
    }
    for (const a of pkgs) {
      const name = a.get('name');
      const version = a.get('version');
      const arch = a.get('arch') ?? 'noarch';
      if (!name || !version || arch === 'src') continue;
      const evr: Evr = { version, release: a.get('release') ?? '' };
      const epoch = Number(a.get('epoch') ?? 0);
      if (Number.isInteger(epoch) && epoch > 0) evr.epoch = epoch;
      adv.packages.push({ name, arch, evr });
    }
  }
  return adv;
}

/** Largest `<update>` element read; see UpdateinfoParser. */
const MAX_UPDATE_BYTES = 32 * 1024 * 1024;

/** Cuts streamed updateinfo text into `<update>` elements, holding at most one element in memory. */
export class UpdateinfoParser {
  /** Text not cut yet: from the start of an element whose end has not come, or a few bytes. */
  private buf = '';
  /** Chunks that came after buf while its element stays open, joined once its end comes. */
  private waiting: string[] = [];
  private waitingLength = 0;
  /** buf starts with an element whose end has not come yet. */
  private open = false;
  /** The last 8 characters of buf and the waiting chunks. */
  private tail = '';
  readonly result: Updateinfo = { advisories: [], modularSkipped: 0 };

  push(text: string): void {
    if (this.open) {
      // Only the new chunk (and the 8 characters before it, which may hold the start of
      // "</update>") can hold the open element's end: the text already held is neither copied nor
      // searched again.
      const seam = (this.waiting.length === 0 ? this.buf : this.tail).slice(-8) + text;
      this.tail = seam.slice(-8);
      this.waiting.push(text);
      this.waitingLength += text.length;
      if (!seam.includes('</update>')) {
        // Far past any real advisory (the largest are a few hundred KiB): a broken or hostile
        // element is dropped, not held while the rest of the file streams in.
        if (this.buf.length + this.waitingLength > MAX_UPDATE_BYTES) this.reset();
        return;
      }
      text = this.waiting.join('');
      this.waiting = [];
      this.waitingLength = 0;
    }
    this.buf += text;
    this.open = false;
    const start = /<update[\s>]/g; // not <updates>, the root
    let pos = 0;
    for (;;) {
      start.lastIndex = pos;
      const m = start.exec(this.buf);
      if (!m) {
        pos = Math.max(pos, this.buf.length - 8); // may hold the first bytes of the next "<update"
        break;
      }
      const end = this.buf.indexOf('</update>', m.index);
      if (end < 0) {
        pos = m.index;
        this.open = true;
        break;
      }
      this.take(this.buf.slice(m.index, end + 9));
      pos = end + 9;
    }
    this.buf = this.buf.slice(pos);
    if (this.open && this.buf.length > MAX_UPDATE_BYTES) this.reset();
  }

  private reset(): void {
    this.buf = '';
    this.waiting = [];
    this.waitingLength = 0;
    this.open = false;
  }

  private take(element: string): void {
    const adv = parseUpdate(element);
    if (!adv) return;
    this.result.modularSkipped += adv.modularSkipped;
    if (adv.packages.length)
      this.result.advisories.push({
        id: adv.id,
        packages: adv.packages,
        ...(adv.severity ? { severity: adv.severity } : {}),
      });
  }
}

export function parseUpdateinfo(xml: string): Updateinfo {
  const p = new UpdateinfoParser();
  p.push(xml);
  return p.result;
}

// ---- reading compressed files ------------------------------------------------------------------

/** Far above any real updateinfo (Fedora's is ~100 MB expanded); a bomb stops here. */
const MAX_XML_BYTES = 1024 ** 3;
const MAX_RATIO = 200;
const RATIO_FROM = 64 * 1024 * 1024;
const MAX_ZSTD_WINDOW = 256 * 1024 * 1024;
const TOOL_TIMEOUT_MS = 120_000;

const executable = (p: string): Promise<boolean> =>
  access(p, constants.X_OK).then(
    () => true,
    () => false,
  );

/** xz and bzip2 have no decoder in Node: the host's own tool, fed through a pipe (never a path). */
async function hostTool(name: 'xz' | 'bzip2'): Promise<string | undefined> {
  for (const p of [`/usr/bin/${name}`, `/bin/${name}`]) if (await executable(p)) return p;
  return undefined;
}

async function viaTool(raw: Readable, tool: string, feed: (b: Buffer) => void): Promise<void> {
  const child = spawn(tool, ['-dc'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  child.stdin.on('error', () => undefined); // EPIPE when the tool stops early: its exit code says why
  raw.on('error', (err) => child.stdout.destroy(err));
  raw.pipe(child.stdin);
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  exited.catch(() => undefined); // awaited below unless the parser stops first: never unhandled
  const timer = setTimeout(() => child.kill('SIGKILL'), TOOL_TIMEOUT_MS);
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) feed(chunk);
    const code = await exited;
    if (code !== 0) throw new Error(`${tool} -dc: ${stderr.trim().split('\n')[0] || `exit ${code}`}`);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Reads one updateinfo file (plain, .gz, .zst, .xz, .bz2), streamed into the parser. */
export async function readUpdateinfo(fs: TargetFs, file: string): Promise<Updateinfo> {
  const st = await fs.stat(file);
  if (!st.isFile()) throw new Error(`${file}: not a regular file`);
  const parser = new UpdateinfoParser();
  const text = new StringDecoder('utf8');
  const budget = new ExpansionBudget(MAX_XML_BYTES, MAX_RATIO, RATIO_FROM);
  budget.compressed = st.size;
  const ext = /\.(gz|zst|xz|bz2)$/.exec(file)?.[1];
  const tool = ext === 'xz' || ext === 'bz2' ? await hostTool(ext === 'xz' ? 'xz' : 'bzip2') : undefined;
  if ((ext === 'xz' || ext === 'bz2') && !tool)
    throw new Error(`${file}: not read (${ext === 'xz' ? 'xz' : 'bzip2'} is not installed on this machine)`);
  const fh = await fs.open(file);
  const raw = fh.createReadStream({ autoClose: false, highWaterMark: 1 << 16 });
  try {
    if (tool) {
      await viaTool(raw, tool, (b) => {
        budget.add(b.length);
        parser.push(text.write(b));
      });
    } else {
      let tail: Readable = raw;
      if (ext === 'gz' || ext === 'zst')
        for (const s of decoderChain(ext === 'gz' ? 'gzip' : 'zstd', budget, MAX_ZSTD_WINDOW)) {
          tail.on('error', (err) => s.destroy(err));
          tail = tail.pipe(s);
        }
      for await (const chunk of tail as AsyncIterable<Buffer>) {
        if (!ext) budget.add(chunk.length); // the decoders count their own output
        parser.push(text.write(chunk));
      }
    }
    parser.push(text.end());
    return parser.result;
  } catch (err) {
    throw new Error(`${file}: ${errorMessage(err)}`);
  } finally {
    raw.destroy();
    await fh.close();
  }
}

// ---- repository metadata caches ----------------------------------------------------------------

export interface RepoCache {
  repo: string;
  /** The directory holding repomd.xml. */
  dir: string;
  /** Newest mtime of the cached metadata: when dnf/yum last refreshed (or checked) it. */
  updatedMs: number;
  /** The updateinfo file to read, when the cache has one. */
  updateinfo?: string;
}

const UPDATEINFO_FILE = /updateinfo\.xml(?:\.(?:gz|zst|xz|bz2))?$/;

async function mtimes(fs: TargetFs, dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await fs.list(dir).catch(() => [])) {
    if (!e.isFile) continue;
    const st = await fs.stat(e.path).catch(() => undefined);
    if (st) out.set(e.path, st.mtimeMs);
  }
  return out;
}

/**
 * One repo cache: `metaDir` holds repomd.xml (dnf: <cache>/<repo>-<hash>/repodata, yum: the repo
 * directory itself, with yum's own decompressed copy in gen/). The updateinfo repomd.xml names wins;
 * yum's gen/updateinfo.xml is preferred to an .xz/.bz2 it is at least as new as (no outside tool).
 * `alsoDated` holds files dnf touches on a refresh beside repodata (metalink.xml, mirrorlist).
 */
async function repoCache(
  fs: TargetFs,
  repo: string,
  metaDir: string,
  alsoDated: string[],
): Promise<RepoCache> {
  const files = await mtimes(fs, metaDir);
  const dated = [...files.values()];
  for (const d of alsoDated) dated.push(...(await mtimes(fs, d)).values());
  const cache: RepoCache = { repo, dir: metaDir, updatedMs: dated.length ? Math.max(...dated) : 0 };
  const repomd = await fs.text(`${metaDir}/repomd.xml`, { maxBytes: 1 << 20 }).catch(() => '');
  const href = updateinfoHref(repomd);
  const named = href ? `${metaDir}/${path.posix.basename(href)}` : undefined;
  const candidates = [...files].filter(([p]) => UPDATEINFO_FILE.test(path.posix.basename(p)));
  let pick = named && files.has(named) ? named : candidates.sort((a, b) => b[1] - a[1])[0]?.[0];
  const gen = `${metaDir}/gen/updateinfo.xml`;
  const genSt = await fs.stat(gen).catch(() => undefined);
  if (genSt?.isFile() && (!pick || (/\.(?:xz|bz2)$/.test(pick) && genSt.mtimeMs >= files.get(pick)!)))
    pick = gen;
  if (pick) cache.updateinfo = pick;
  return cache;
}

/** The `<location href>` of repomd.xml's updateinfo entry (linear: see util/xml-scan.ts). */
export function updateinfoHref(repomd: string): string | undefined {
  for (const data of startTags(repomd, 'data')) {
    if (tagAttributes(data.tag).get('type') !== 'updateinfo') continue;
    for (const loc of startTags(repomd, 'location', data.end)) {
      const href = tagAttributes(loc.tag).get('href');
      if (href) return href;
    }
    return undefined;
  }
  return undefined;
}

const subdirs = async (fs: TargetFs, dir: string) =>
  (await fs.list(dir).catch(() => [])).filter((e) => e.isDir);

/** dnf 4 (/var/cache/dnf), dnf 5 (/var/cache/libdnf5) and yum (/var/cache/yum/<arch>/<ver>/<repo>). */
export async function findRepoCaches(fs: TargetFs): Promise<RepoCache[]> {
  const out: RepoCache[] = [];
  for (const root of ['/var/cache/dnf', '/var/cache/libdnf5']) {
    for (const d of await subdirs(fs, root)) {
      const meta = `${d.path}/repodata`;
      if (!(await fs.exists(`${meta}/repomd.xml`))) continue;
      out.push(await repoCache(fs, d.name.replace(/-[0-9a-f]{16}$/, ''), meta, [d.path]));
    }
  }
  for (const arch of await subdirs(fs, '/var/cache/yum'))
    for (const ver of await subdirs(fs, arch.path))
      for (const repo of await subdirs(fs, ver.path)) {
        if (!(await fs.exists(`${repo.path}/repomd.xml`))) continue;
        out.push(await repoCache(fs, repo.name, repo.path, []));
      }
  return out;
}

// ---- dnf / yum history -------------------------------------------------------------------------

const DNF5_HISTORY = '/usr/lib/sysimage/libdnf5/transaction_history.sqlite';
const DNF4_HISTORY = '/var/lib/dnf/history.sqlite';
const YUM_HISTORY_DIR = '/var/lib/yum/history';

/**
 * Runs `use` on a read-only view of the target's SQLite file. SQLite never opens the target's file: it
 * would write a -shm beside the evidence (and a read-only mount refuses). The bytes are opened in
 * memory; only an unmerged write-ahead log needs a private copy on disk (as the rpmdb reader does).
 */
async function withSqlite<T>(fs: TargetFs, file: string, use: (db: Database.Database) => T): Promise<T> {
  const main = await fs.read(file);
  const wal = await fs.read(`${file}-wal`).catch((err: unknown) => {
    if (isGone(err)) return undefined;
    throw err;
  });
  if (!wal || wal.length === 0) {
    // WAL mode (header bytes 18/19 = 2) cannot be opened from memory; with no log the rollback-journal
    // flag reads the same pages.
    if (main.length >= 100 && main[18] === 2 && main[19] === 2) main[18] = main[19] = 1;
    const db = new Database(main, { ...sqliteOptions(), readonly: true });
    try {
      return use(db);
    } finally {
      db.close();
    }
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-history-'));
  try {
    const copy = path.join(dir, 'history.sqlite');
    await writeFile(copy, main);
    await writeFile(`${copy}-wal`, wal);
    const db = new Database(copy, { ...sqliteOptions(), fileMustExist: true });
    try {
      return use(db);
    } finally {
      db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const iso = (seconds: unknown): string | undefined =>
  typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0
    ? new Date(seconds * 1000).toISOString()
    : undefined;

const columns = (db: Database.Database, table: string): Set<string> =>
  new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));

/**
 * dnf 4 (libdnf swdb: trans.state 1 = done, older files trans.done = 1; trans_item.action 6 = upgrade)
 * and dnf 5 (trans.state_id 2 = Ok; trans_item.action_id 2 = Upgrade): the schemas of
 * libdnf/transaction/sql/create_tables.sql and libdnf5/transaction/db/sql/create_tables.sql.
 */
function dnfHistory(db: Database.Database, file: string): History {
  const trans = columns(db, 'trans');
  const item = columns(db, 'trans_item');
  let ok: string;
  let upgrade: string;
  if (trans.has('state_id')) {
    ok = 't.state_id = 2';
    upgrade = 'i.action_id = 2';
  } else {
    ok = trans.has('state') ? 't.state = 1' : 't.done = 1';
    upgrade = 'i.action = 6';
  }
  const cmd = trans.has('description') ? 't.description' : trans.has('cmdline') ? 't.cmdline' : 'NULL';
  const at = 'COALESCE(t.dt_end, t.dt_begin)';
  const last = db
    .prepare(`SELECT ${at} AS at, ${cmd} AS cmd FROM trans t WHERE ${ok} ORDER BY at DESC LIMIT 1`)
    .get() as { at: number; cmd: string | null } | undefined;
  const h: History = { file };
  const lastAt = iso(last?.at);
  if (lastAt) h.lastTransactionAt = lastAt;
  if (last?.cmd) h.command = last.cmd;
  if (item.size > 0) {
    const up = db
      .prepare(
        `SELECT MAX(${at}) AS at FROM trans t WHERE ${ok} AND EXISTS (SELECT 1 FROM trans_item i WHERE i.trans_id = t.id AND ${upgrade})`,
      )
      .get() as { at: number | null };
    const upAt = iso(up.at);
    if (upAt) h.lastUpgradeAt = upAt;
  }
  return h;
}

/** yum (yum/history.py): trans_end.return_code 0 = success, trans_data_pkgs.state 'Update'. */
function yumHistory(db: Database.Database, file: string): History {
  const tables = new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map(
      (r) => r.name,
    ),
  );
  const cmd = tables.has('trans_cmdline')
    ? '(SELECT c.cmdline FROM trans_cmdline c WHERE c.tid = e.tid)'
    : 'NULL';
  const last = db
    .prepare(
      `SELECT e.timestamp AS at, ${cmd} AS cmd FROM trans_end e WHERE e.return_code = 0 ORDER BY at DESC LIMIT 1`,
    )
    .get() as { at: number; cmd: string | null } | undefined;
  const h: History = { file };
  const lastAt = iso(last?.at);
  if (lastAt) h.lastTransactionAt = lastAt;
  if (last?.cmd) h.command = last.cmd;
  if (tables.has('trans_data_pkgs')) {
    const up = db
      .prepare(
        "SELECT MAX(e.timestamp) AS at FROM trans_end e WHERE e.return_code = 0 AND EXISTS (SELECT 1 FROM trans_data_pkgs d WHERE d.tid = e.tid AND d.state = 'Update')",
      )
      .get() as { at: number | null };
    const upAt = iso(up.at);
    if (upAt) h.lastUpgradeAt = upAt;
  }
  return h;
}

/** The history files present: dnf 5, dnf 4, and yum's newest (yum starts a dated file now and then). */
export async function historyFiles(fs: TargetFs): Promise<{ file: string; kind: 'dnf' | 'yum' }[]> {
  const out: { file: string; kind: 'dnf' | 'yum' }[] = [];
  for (const f of [DNF5_HISTORY, DNF4_HISTORY])
    if ((await fs.stat(f).catch(() => undefined))?.isFile()) out.push({ file: f, kind: 'dnf' });
  const yum = (await fs.names(YUM_HISTORY_DIR).catch(() => []))
    .filter((n) => /^history-\d{4}-\d{2}-\d{2}\.sqlite$/.test(n))
    .at(-1);
  if (yum) out.push({ file: `${YUM_HISTORY_DIR}/${yum}`, kind: 'yum' });
  return out;
}

/** The history with the latest successful transaction (a host moved from dnf 4 to 5 keeps both). */
async function readHistory(
  fs: TargetFs,
  files: { file: string; kind: 'dnf' | 'yum' }[],
  errors: string[],
): Promise<History | undefined> {
  let best: History | undefined;
  for (const { file, kind } of files) {
    try {
      const st = await fs.stat(file);
      if (st.size === 0) continue; // dnf 5's package ships an empty placeholder until the first run
      const h = await withSqlite(fs, file, (db) =>
        kind === 'dnf' ? dnfHistory(db, file) : yumHistory(db, file),
      );
      if (!best || (h.lastTransactionAt ?? '') > (best.lastTransactionAt ?? '')) best = h;
    } catch (err) {
      errors.push(`${file}: history not readable: ${errorMessage(err)}`);
    }
  }
  return best;
}

// ---- installed packages against advisories -----------------------------------------------------

/** The installed rpm packages, highest EVR per name.arch (several kernels are installed at once). */
export interface InstalledRpm {
  name: string;
  arch: string;
  evr: Evr;
}

export function installedByKey(pkgs: InstalledRpm[]): Map<string, InstalledRpm> {
  const out = new Map<string, InstalledRpm>();
  for (const p of pkgs) {
    const key = `${p.name}.${p.arch}`;
    const prev = out.get(key);
    if (!prev || compareEvr(p.evr, prev.evr) > 0) out.set(key, p);
  }
  return out;
}

/**
 * For each installed package an advisory names (same name; same arch, or noarch on either side), the
 * highest fixed version and the advisories whose fixed version is newer than the installed one: what
 * `dnf updateinfo list --security` would show. Whether that is pending is for the check to decide.
 */
export function matchAdvisories(
  installed: Map<string, InstalledRpm>,
  found: { repo: string; info: Updateinfo }[],
): Candidate[] {
  const byName = new Map<string, InstalledRpm[]>();
  for (const p of installed.values()) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);
  const best = new Map<string, { c: Candidate; evr: Evr; ids: Set<string> }>();
  for (const { repo, info } of found)
    for (const adv of info.advisories)
      for (const ap of adv.packages) {
        const targets = (byName.get(ap.name) ?? []).filter(
          (p) => p.arch === ap.arch || p.arch === 'noarch' || ap.arch === 'noarch',
        );
        for (const p of targets) {
          const key = `${p.name}.${p.arch}`;
          const installedEvr = formatEvr(p.evr);
          let b = best.get(key);
          if (!b) {
            const c = { name: p.name, arch: p.arch, installed: installedEvr, candidate: '', list: repo };
            b = { c, evr: ap.evr, ids: new Set() };
            best.set(key, b);
          } else if (compareEvr(ap.evr, b.evr) > 0) {
            b.evr = ap.evr;
            b.c.list = repo;
          }
          b.c.candidate = formatEvr(b.evr);
          if (compareEvr(ap.evr, p.evr) > 0) b.ids.add(adv.id);
        }
      }
  return [...best.values()]
    .map(({ c, ids }) => (ids.size ? { ...c, advisories: [...ids].sort() } : c))
    .sort((a, b) => a.name.localeCompare(b.name) || a.arch.localeCompare(b.arch));
}

// ---- the collector -----------------------------------------------------------------------------

/** dnf when its configuration or history is there (RHEL 8+ keeps /etc/yum.conf as a link), then yum. */
async function frontEnd(fs: TargetFs, history: { kind: 'dnf' | 'yum' }[]): Promise<PackageFacts['manager']> {
  const any = async (paths: string[]) => {
    for (const p of paths) if (await fs.exists(p)) return true;
    return false;
  };
  if (history.some((h) => h.kind === 'dnf') || (await any(['/etc/dnf', '/usr/bin/dnf', '/usr/bin/dnf5'])))
    return 'dnf';
  if (history.length > 0 || (await any(['/etc/yum.conf', '/etc/yum', '/usr/bin/yum']))) return 'yum';
  return 'rpm';
}

/** Patch facts of an rpm target; undefined when it has no rpm database. */
export async function collectRpmPackages(fs: TargetFs): Promise<PackageFacts | undefined> {
  const found = await findRpmDb(fs);
  if (!found) return undefined;
  const histFiles = await historyFiles(fs);
  const facts: PackageFacts = {
    manager: await frontEnd(fs, histFiles),
    securityLists: [],
    candidates: [],
    rpmDatabase: found.path,
  };
  const errors: string[] = [];
  let installed: Map<string, InstalledRpm> | undefined;
  try {
    const db = await readRpmDbCached(fs);
    if (!db) throw new Error(`${found.path}: rpm database vanished while reading`);
    // Imported signing keys are pseudo-packages (gpg-pubkey): importing one patches nothing.
    const real = db.packages.filter((p) => p.name !== 'gpg-pubkey');
    const newest = Math.max(0, ...real.map((p) => p.installTime ?? 0));
    if (newest > 0) facts.newestInstallAt = new Date(newest * 1000).toISOString();
    installed = installedByKey(
      real.map((p) => ({
        name: p.name,
        arch: p.arch ?? 'noarch',
        evr: { version: p.version, release: p.release, ...(p.epoch ? { epoch: p.epoch } : {}) },
      })),
    );
  } catch (err) {
    errors.push(errorMessage(err));
  }
  const history = await readHistory(fs, histFiles, errors);
  if (history) facts.history = history;
  const caches = await findRepoCaches(fs);
  facts.repoCaches = caches.length;
  const newestCache = Math.max(0, ...caches.map((c) => c.updatedMs));
  if (newestCache > 0) facts.listsUpdatedAt = new Date(newestCache).toISOString();
  const read: { repo: string; info: Updateinfo }[] = [];
  let modular = 0;
  for (const c of installed ? caches : []) {
    if (!c.updateinfo) continue;
    try {
      const info = await readUpdateinfo(fs, c.updateinfo);
      read.push({ repo: c.repo, info });
      modular += info.modularSkipped;
      facts.securityLists.push(c.updateinfo);
    } catch (err) {
      errors.push(errorMessage(err));
    }
  }
  if (installed) facts.candidates = matchAdvisories(installed, read);
  if (modular > 0) facts.modularSkipped = modular;
  if (errors.length) facts.error = errors.join('; ');
  return facts;
}
