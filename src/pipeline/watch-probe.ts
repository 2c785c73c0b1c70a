// The watch mode's cheap look at a root between scans: which processes (pid, exe, argv), which
// sockets (addresses, state, inode) and which persistence places (stat of the files and of the
// entries of the directories the persistence collector reads) there are. Two probes that differ mean
// something changed and the detectors run again; equal probes cost no scan.
import { readFileSync, readdirSync, readlinkSync, lstatSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** The persistence places of src/collect/linux/persistence and preload.ts, relative to the root. */
const PERSISTENCE_PLACES = [
  'etc/crontab',
  'etc/cron.d',
  'etc/cron.hourly',
  'etc/cron.daily',
  'etc/cron.weekly',
  'etc/cron.monthly',
  'etc/anacrontab',
  'var/spool/cron',
  'var/spool/cron/crontabs',
  'var/spool/cron/tabs',
  'var/spool/cron/atjobs',
  'var/spool/at',
  'etc/systemd/system',
  'etc/systemd/user',
  'lib/systemd/system',
  'usr/lib/systemd/system',
  'etc/ld.so.preload',
  'etc/ld.so.conf',
  'etc/ld.so.conf.d',
  'etc/rc.local',
  'etc/rc.d/rc.local',
  'etc/init.d',
  'etc/profile',
  'etc/profile.d',
  'etc/bash.bashrc',
  'etc/bashrc',
  'etc/zsh/zshrc',
  'etc/zshrc',
  'etc/environment',
  'etc/hosts',
  'etc/passwd',
  'etc/sudoers',
  'etc/sudoers.d',
  'etc/udev/rules.d',
];
/** Per home directory (root's and each account's in etc/passwd). */
const HOME_PLACES = [
  '.ssh',
  '.ssh/authorized_keys',
  '.ssh/authorized_keys2',
  '.bashrc',
  '.bash_profile',
  '.profile',
  '.zshrc',
  '.config/systemd/user',
];
/** A directory with more entries than this is summarised by its own stat (no one plants 5,000 units). */
const MAX_DIR_ENTRIES = 5000;

export interface Probe {
  /** pid → "exe\0argv". */
  processes: Map<string, string>;
  /** One key per socket: protocol, local, remote, state, inode. */
  sockets: Set<string>;
  /** Place (root-relative) → its stat signature ('' when absent). */
  places: Map<string, string>;
  /** Regular file in a place (the place itself, or an entry of a place that is a directory) → its stat signature. */
  files: Map<string, string>;
}

export interface ProbeDiff {
  newProcesses: number;
  goneProcesses: number;
  newSockets: number;
  goneSockets: number;
  changedPlaces: string[];
  /** Regular files (root-relative) that are new or whose stat changed: the content scan reads these. */
  changedFiles: string[];
}

export function probeRoot(root: string): Probe {
  const files = new Map<string, string>();
  return {
    processes: probeProcesses(root),
    sockets: probeSockets(root),
    places: probePlaces(root, files),
    files,
  };
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A process's probe key, "exe\0argv"; undefined when it is gone. */
function processKey(root: string, pid: string): string | undefined {
  const dir = path.join(root, 'proc', pid);
  let exe = '';
  try {
    exe = readlinkSync(path.join(dir, 'exe'));
  } catch {
    // kernel threads and other users' processes have no readable exe: the argv still tells.
  }
  const cmdline = readText(path.join(dir, 'cmdline'));
  return cmdline === undefined ? undefined : `${exe}\0${cmdline}`;
}

function probeProcesses(root: string): Map<string, string> {
  const out = new Map<string, string>();
  let names: string[] = [];
  try {
    names = readdirSync(path.join(root, 'proc'));
  } catch {
    return out;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    out.set(name, processKey(root, name) ?? '\0');
  }
  return out;
}

/** The processes and sockets that are new (or whose exe/argv changed) since the last probe. */
export interface Fresh {
  /** pid → probe key. */
  pids: Map<string, string>;
  sockets: string[];
}

export function freshOf(before: Probe, after: Probe): Fresh {
  const pids = new Map<string, string>();
  for (const [pid, key] of after.processes) if (before.processes.get(pid) !== key) pids.set(pid, key);
  // A socket without an inode (TIME_WAIT) belongs to no process any more.
  const sockets = [...after.sockets].filter((s) => !before.sockets.has(s) && inodeOf(s) !== 0);
  return { pids, sockets };
}

/**
 * A second look at what was new, a moment later: only what is still there (same pid, same
 * exe/argv; same socket) is worth a scan; the short-lived processes of a busy host are not.
 */
export function stillThere(root: string, fresh: Fresh): Fresh {
  const pids = new Map<string, string>();
  for (const [pid, key] of fresh.pids) if (processKey(root, pid) === key) pids.set(pid, key);
  const now = fresh.sockets.length > 0 ? probeSockets(root) : new Set<string>();
  return { pids, sockets: fresh.sockets.filter((s) => now.has(s)) };
}

/**
 * What a process runs, by file rather than by name: the device and inode of its executable and its
 * argv. Two processes with the same identity look the same to every process detector.
 */
export function identityOf(root: string, pid: string, key: string): string {
  try {
    const s = statSync(path.join(root, 'proc', pid, 'exe'));
    return `${s.dev}:${s.ino}\0${key}`;
  } catch {
    return `?\0${key}`;
  }
}

/** The inode of a probe's socket key (its last field). */
export function inodeOf(socket: string): number {
  return Number(socket.slice(socket.lastIndexOf(' ') + 1));
}

/** The network namespace the probe reads /proc/net of (a live host's), as sockets name theirs. */
export function probedNetns(root: string): string | undefined {
  try {
    return /^net:\[(\d+)\]$/.exec(readlinkSync(path.join(root, 'proc', 'self', 'ns', 'net')))?.[1];
  } catch {
    return undefined;
  }
}

/** The pids holding these socket inodes open (from /proc/PID/fd), for the quick look at them. */
export function socketHolders(root: string, inodes: ReadonlySet<number>, pids: Iterable<string>): number[] {
  const out: number[] = [];
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(path.join(root, 'proc', pid, 'fd'));
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(path.join(root, 'proc', pid, 'fd', fd)));
        if (m && inodes.has(Number(m[1]))) {
          out.push(Number(pid));
          break;
        }
      } catch {
        // closed meanwhile
      }
    }
  }
  return out;
}

function probeSockets(root: string): Set<string> {
  const out = new Set<string>();
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const text = readText(path.join(root, 'proc', 'net', proto));
    if (!text) continue;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local remote st queues timer retrnsmt uid timeout inode: queues and timers change by themselves.
      if (f.length < 10) continue;
      out.add(`${proto} ${f[1]} ${f[2]} ${f[3]} ${f[9]}`);
    }
  }
  return out;
}

/** The home directories of the target's accounts (root's first), root-relative. */
function homes(root: string): string[] {
  const out = new Set<string>(['root']);
  for (const line of (readText(path.join(root, 'etc', 'passwd')) ?? '').split('\n')) {
    const home = line.split(':')[5]?.replace(/^\/+|\/+$/g, '');
    if (home && !home.startsWith('nonexistent') && !home.includes('..')) out.add(home);
  }
  return [...out];
}

/** Every place watched, root-relative. */
export function watchedPlaces(root: string): string[] {
  return [...PERSISTENCE_PLACES, ...homes(root).flatMap((h) => HOME_PLACES.map((p) => `${h}/${p}`))];
}

function statSig(file: string, files?: Map<string, string>, rel?: string): string {
  try {
    // lstat: a planted symlink is itself the change, and the probe never follows it out of the root.
    const s = lstatSync(file);
    const sig = `${s.ino}:${s.size}:${s.mtimeMs}:${s.mode}`;
    if (files && rel !== undefined && s.isFile()) files.set(rel, sig);
    return sig;
  } catch {
    return '';
  }
}

function probePlaces(root: string, files: Map<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const place of watchedPlaces(root)) {
    const full = path.join(root, place);
    let sig = statSig(full, files, place);
    if (sig !== '') {
      try {
        const entries = readdirSync(full);
        // A file edited in place changes its own mtime, not the directory's: each entry is stat'ed.
        sig +=
          entries.length > MAX_DIR_ENTRIES
            ? `|${entries.length}`
            : entries
                .sort()
                .map((e) => `|${e}=${statSig(path.join(full, e), files, `${place}/${e}`)}`)
                .join('');
      } catch {
        // not a directory: its own stat says it all
      }
    }
    out.set(place, sig);
  }
  return out;
}

export function diffProbes(before: Probe, after: Probe): ProbeDiff {
  let newProcesses = 0;
  let goneProcesses = 0;
  for (const [pid, key] of after.processes) if (before.processes.get(pid) !== key) newProcesses++;
  for (const [pid, key] of before.processes) if (after.processes.get(pid) !== key) goneProcesses++;
  let newSockets = 0;
  let goneSockets = 0;
  for (const s of after.sockets) if (!before.sockets.has(s)) newSockets++;
  for (const s of before.sockets) if (!after.sockets.has(s)) goneSockets++;
  const changedPlaces: string[] = [];
  const places = new Set([...before.places.keys(), ...after.places.keys()]);
  for (const p of places)
    if ((before.places.get(p) ?? '') !== (after.places.get(p) ?? '')) changedPlaces.push(p);
  const changedFiles: string[] = [];
  for (const [file, sig] of after.files) if (before.files.get(file) !== sig) changedFiles.push(file);
  return {
    newProcesses,
    goneProcesses,
    newSockets,
    goneSockets,
    changedPlaces,
    changedFiles: changedFiles.sort(),
  };
}

export function changed(d: ProbeDiff): boolean {
  return d.newProcesses + d.goneProcesses + d.newSockets + d.goneSockets + d.changedPlaces.length > 0;
}

/**
 * fs.watch on the persistence places that exist, to wake the loop before its next tick; a place that
 * cannot be watched (no inotify, too many watches) is still polled by probePlaces on every tick.
 */
export function watchPlaces(root: string, onChange: () => void): { close: () => void; watched: number } {
  const watchers: FSWatcher[] = [];
  const dirs = new Set<string>();
  for (const place of watchedPlaces(root)) {
    const full = path.join(root, place);
    if (statSig(full) === '') continue;
    // Watching the parent catches a file replaced by rename (editors, crontab -e) as well as edits.
    dirs.add(path.dirname(full));
    try {
      if (lstatSync(full).isDirectory()) dirs.add(full);
    } catch {
      // gone between the two looks: polled
    }
  }
  for (const dir of dirs) {
    try {
      const w = watch(dir, { persistent: false }, () => onChange());
      w.on('error', () => w.close());
      watchers.push(w);
    } catch {
      // polled instead
    }
  }
  return { close: () => watchers.forEach((w) => w.close()), watched: watchers.length };
}
