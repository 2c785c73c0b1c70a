// Oddly named directories where droppers hide miners: dot, blank and dots-only ("...") names in
// /tmp, /var/tmp, /dev/shm, /run and home directories, and look-alikes of system directories, each
// walked a few levels deep (bounded) for executables and miner configuration files.
import path from 'node:path';
import type { CollectionRecord } from '../../snapshot/schema.js';
import type { Dirs, SuspectDir } from '../../snapshot/stealth.js';
import type { CollectContext } from '../context.js';
import type { TargetFs } from '../../target/fs.js';
import { CollectorLog, isGone } from '../support.js';

const TEMP_PLACES = ['/tmp', '/var/tmp', '/dev/shm', '/run'];
/** Walk bounds: a hostile tree must not turn a one-second scan into a minute. */
export const MAX_DEPTH = 3;
export const MAX_ENTRIES = 300;
const LIGHT_MAX_ENTRIES = 100;
const MAX_SUSPECTS = 64;
const MAX_CONFIG_BYTES = 256 * 1024;

/** System directories a dropper imitates, by the name it imitates. */
const SYSTEM_NAMES = new Set([
  'bin',
  'sbin',
  'lib',
  'lib32',
  'lib64',
  'libx32',
  'usr',
  'etc',
  'var',
  'boot',
  'dev',
  'proc',
  'sys',
  'opt',
  'srv',
  'root',
  'home',
  'run',
  'tmp',
  'mnt',
  'media',
]);
/** Names of daemons and kernel threads a directory in /tmp may borrow. */
const DAEMON_NAMES = new Set([
  'systemd',
  'kworker',
  'kthreadd',
  'dbus',
  'udev',
  'cron',
  'sshd',
  'init',
  'kernel',
  'x11',
  'ice',
]);

/** Unicode letters that look like Latin ones, folded so "ｕsr" or "Ьin" compare as "usr", "bin". */
const HOMOGLYPHS: Record<string, string> = {
  а: 'a',
  е: 'e',
  о: 'o',
  р: 'p',
  с: 'c',
  у: 'y',
  х: 'x',
  і: 'i',
  ѕ: 's',
  ԁ: 'd',
  Ь: 'b',
  ӏ: 'l',
  ⅼ: 'l',
};

function fold(name: string): string {
  return [...name.normalize('NFKC')]
    .map((ch) => HOMOGLYPHS[ch] ?? ch)
    .join('')
    .toLowerCase();
}

export interface NameClass {
  name: SuspectDir['name'];
  imitates?: string;
}

/**
 * What is odd about a directory name in a given place, or undefined for an ordinary name. In `/`
 * only imitations count (`usr ` beside `usr`); elsewhere dot, blank and dots-only names do too.
 */
export function classifyName(name: string, place: string): NameClass | undefined {
  if (/^[\s\u00a0\u2000-\u200b\u3000]+$/u.test(name)) return { name: 'blank' };
  if (/^[.\s\u00a0]+$/u.test(name) && name.length >= 2) return { name: 'dots' };
  const folded = fold(name).trim().replace(/^\.+/, '').replace(/\.+$/, '');
  if (place === '/') {
    return SYSTEM_NAMES.has(folded) && name !== folded
      ? { name: 'lookalike', imitates: `/${folded}` }
      : undefined;
  }
  const isHome = place !== '/' && !TEMP_PLACES.includes(place);
  if (!isHome && place !== '/run' && (SYSTEM_NAMES.has(folded) || DAEMON_NAMES.has(folded))) {
    // /tmp/.X11-unix is X's own; "x11" alone is not, but the standard sockets dirs are not look-alikes.
    if (!/^\.(?:X11|ICE|font|XIM|Test)-unix$/.test(name)) return { name: 'lookalike', imitates: folded };
  }
  if (name.startsWith('.')) return { name: 'dot' };
  if (name !== name.trim() || /[\u00a0\u200b]/u.test(name)) return { name: 'blank' };
  return undefined;
}

const CONFIG_NAME = /(?:^[^.]*$|\.(?:json|conf|cfg|ini|ya?ml|txt|sh|toml)$)/i;
const MINER_CONFIG =
  /stratum\+(?:tcp|ssl|tls)|"donate-level"|--donate-level|"pools"\s*:|"rig-id"|randomx|cryptonight|"coin"\s*:\s*"(?:monero|xmr)"/i;

/** The file's first `bytes` (at most), read on the spot: small reads, most of them 4 bytes of magic. */
function readHead(fs: TargetFs, file: string, bytes: number): Buffer {
  return fs.readSync(file, { maxBytes: bytes });
}

/**
 * Walks a suspect directory breadth-first within the bounds, noting executables and miner configs.
 * Only real directories are entered (lstat): a link inside is never followed. Its listings, stats
 * and reads are synchronous: a few hundred small calls, each a thread-pool round trip queued behind
 * the process walk and the content scan before (issue 17).
 */
function walk(fs: TargetFs, dir: string, suspect: SuspectDir, log: CollectorLog, light: boolean): void {
  // Ordinary dot-directories of a home (~/.cargo, ~/.npm) matter only for miner configuration: they
  // get a shallower walk that opens config-like files only, which keeps large tool caches cheap.
  const maxDepth = light ? 2 : MAX_DEPTH;
  const maxEntries = light ? LIGHT_MAX_ENTRIES : MAX_ENTRIES;
  let queue: string[] = [dir];
  for (let depth = 0; depth < maxDepth && queue.length > 0; depth++) {
    const next: string[] = [];
    for (const shownDir of queue) {
      let names: string[];
      try {
        names = fs.namesSync(shownDir);
      } catch (err) {
        if (!isGone(err)) log.add(shownDir, err);
        continue;
      }
      for (const name of names) {
        if (suspect.entries >= maxEntries) {
          suspect.truncated = true;
          return;
        }
        suspect.entries++;
        const shown = path.posix.join(shownDir, name);
        let st;
        try {
          st = fs.lstatSync(shown);
        } catch {
          continue;
        }
        if (!st) continue;
        if (st.isDirectory()) {
          next.push(shown);
          continue;
        }
        if (!st.isFile()) continue;
        let head: Buffer;
        try {
          // Configuration is text with a config-like name; everything else needs only its magic.
          const configLike = CONFIG_NAME.test(name) && st.size <= MAX_CONFIG_BYTES;
          if (light && !configLike) {
            if ((st.mode & 0o111) !== 0) suspect.executables.push({ path: shown, elf: false, size: st.size });
            continue;
          }
          head = readHead(fs, shown, configLike ? st.size : 4);
        } catch (err) {
          log.add(shown, err);
          continue;
        }
        const elf = head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46;
        if (elf || (st.mode & 0o111) !== 0) suspect.executables.push({ path: shown, elf, size: st.size });
        if (!elf && head.length > 4) {
          const m = MINER_CONFIG.exec(head.toString('utf8'));
          if (m) suspect.minerConfigs.push({ path: shown, match: m[0] });
        }
      }
    }
    queue = next;
  }
}

function homeDirs(fs: TargetFs): string[] {
  const homes = ['/root'];
  try {
    const names = fs.namesSync('home');
    homes.push(...names.map((n) => `/home/${n}`));
  } catch {
    // no /home
  }
  return homes;
}

export interface DirsCollection {
  dirs?: Dirs;
  record: CollectionRecord;
}

export function collectDirs(ctx: CollectContext): Promise<DirsCollection> {
  const log = new CollectorLog('linux.dirs', ['dirs']);
  const places = [...TEMP_PLACES, ...homeDirs(ctx.fs), '/'];
  const read: string[] = [];
  const suspects: SuspectDir[] = [];
  for (const place of places) {
    let names: string[];
    try {
      names = ctx.fs.namesSync(place);
    } catch (err) {
      if (!isGone(err) && !(place.startsWith('/home/') && (err as { code?: string }).code === 'ENOTDIR')) {
        log.add(place, err);
      }
      continue;
    }
    read.push(place);
    for (const name of names) {
      const cls = classifyName(name, place);
      if (!cls || suspects.length >= MAX_SUSPECTS) continue;
      const shown = path.posix.join(place, name);
      let st;
      try {
        st = ctx.fs.lstatSync(shown);
      } catch {
        continue;
      }
      if (!st?.isDirectory()) continue;
      const suspect: SuspectDir = {
        path: shown,
        place,
        name: cls.name,
        owner: st.uid,
        mtime: st.mtime.toISOString(),
        executables: [],
        minerConfigs: [],
        entries: 0,
      };
      if (cls.imitates !== undefined) suspect.imitates = cls.imitates;
      const home = !TEMP_PLACES.includes(place) && place !== '/';
      walk(ctx.fs, shown, suspect, log, home && cls.name === 'dot');
      suspects.push(suspect);
    }
  }
  const dirs: Dirs = {
    places: read.sort(),
    suspects: suspects.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
  };
  const note = `${dirs.suspects.length} oddly named directories in ${dirs.places.length} places`;
  return Promise.resolve({ dirs, record: log.record(log.errorCount > 0 ? 'partial' : 'ok', note) });
}
