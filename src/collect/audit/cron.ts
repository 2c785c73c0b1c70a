// The cron entries the audit's scheduled-task checks read. This is a minimal reader of crontab,
// cron.d and the user spools (not anacron, at or systemd timers): the full persistence collector
// covers those for `scan`; the audit uses its entries instead when a snapshot carries them.
import type { CronEntry, CronFacts } from '../../snapshot/audit.js';
import type { Persistence } from '../../snapshot/persistence.js';
import type { TargetFs } from '../../target/fs.js';
import { parseCrontab } from '../linux/persistence/cron.js';

const MAX_ENTRIES = 500;

/**
 * Parses one cron file with the persistence collector's crontab parser (one reader of the format for
 * scan and audit); `systemFormat` files carry a user field after the schedule.
 */
export function parseCronText(
  text: string,
  file: string,
  systemFormat: boolean,
  spoolUser?: string,
): Omit<CronEntry, 'mtime'>[] {
  return parseCrontab(text, file, systemFormat ? 'cron.d' : 'cron-spool', spoolUser).map((e) => {
    const entry: Omit<CronEntry, 'mtime'> = { file, line: e.line ?? 1, command: e.command };
    if (e.user) entry.user = e.user;
    return entry;
  });
}

/** Adapts the persistence collector's cron entries, when a snapshot has them. */
export function cronFromPersistence(p: Persistence): CronFacts {
  const mtimes = new Map(p.files.map((f) => [f.path, f.mtime]));
  const entries: CronEntry[] = p.entries
    .filter((e) => e.place === 'crontab' || e.place === 'cron.d' || e.place === 'cron-spool')
    .map((e) => {
      const entry: CronEntry = { file: e.file, line: e.line ?? 1, command: e.command };
      if (e.user) entry.user = e.user;
      const m = mtimes.get(e.file);
      if (m) entry.mtime = m;
      return entry;
    });
  return { source: 'persistence', entries, writable: [] };
}

export async function collectCron(fs: TargetFs): Promise<CronFacts> {
  const files: Array<{ path: string; system: boolean; user?: string }> = [
    { path: '/etc/crontab', system: true },
  ];
  const writable: string[] = [];
  for (const dir of ['/etc/cron.d']) {
    const st = await fs.stat(dir).catch(() => undefined);
    if (st && (st.mode & 0o022) !== 0) writable.push(dir);
    for (const n of await fs.names(dir).catch(() => [])) {
      // cron itself skips these names (run-parts rules), and so do we.
      if (/[^A-Za-z0-9_-]/.test(n)) continue;
      files.push({ path: `${dir}/${n}`, system: true });
    }
  }
  for (const dir of ['/var/spool/cron/crontabs', '/var/spool/cron']) {
    for (const n of await fs.names(dir).catch(() => [])) {
      if (n === 'crontabs' || n.startsWith('.')) continue;
      files.push({ path: `${dir}/${n}`, system: false, user: n });
    }
  }
  const entries: CronEntry[] = [];
  for (const f of files) {
    const st = await fs.stat(f.path).catch(() => undefined);
    if (!st?.isFile()) continue;
    if ((st.mode & 0o022) !== 0) writable.push(f.path);
    const text = await fs.text(f.path).catch(() => undefined);
    if (text === undefined) continue;
    for (const e of parseCronText(text, f.path, f.system, f.user)) {
      if (entries.length >= MAX_ENTRIES) break;
      entries.push({ ...e, mtime: st.mtime.toISOString() });
    }
  }
  return { source: 'minimal', entries, writable };
}
