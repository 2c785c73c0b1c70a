// Cron and its relatives, parsed into schedule + user + command: /etc/crontab and /etc/cron.d (with a
// user field), users' crontabs in /var/spool/cron/crontabs (Debian) and /var/spool/cron (Red Hat),
// the run-parts directories cron.{hourly,daily,weekly,monthly}, anacrontab, and pending at jobs.
import path from 'node:path';
import type { PersistenceEntry } from '../../../snapshot/persistence.js';
import { logicalLines, type RootReader } from './reader.js';
import { scriptEntries } from './scripts.js';

const ENV_LINE = /^[A-Za-z_][A-Za-z0-9_]*\s*=/;
const NICKNAMES = /^@(?:reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)$/;

/**
 * Parses a crontab. System crontabs (`/etc/crontab`, `/etc/cron.d/*`) carry a user field after the
 * schedule; a user's crontab does not, and runs as `owner`.
 */
export function parseCrontab(
  text: string,
  file: string,
  place: 'crontab' | 'cron.d' | 'cron-spool',
  owner?: string,
): PersistenceEntry[] {
  const withUser = place !== 'cron-spool';
  const out: PersistenceEntry[] = [];
  for (const l of logicalLines(text)) {
    if (ENV_LINE.test(l.text)) continue;
    const fields = l.text.split(/\s+/);
    const nick = NICKNAMES.test(fields[0] ?? '');
    const nSchedule = nick ? 1 : 5;
    if (fields.length < nSchedule + (withUser ? 2 : 1)) continue;
    const schedule = fields.slice(0, nSchedule).join(' ');
    if (!nick && !fields.slice(0, 5).every((f) => /^[\d*/,\-A-Za-z]+$/.test(f))) continue;
    const user = withUser ? fields[nSchedule] : owner;
    // The command is the rest of the line as written, spacing kept; `%` turns into newlines for
    // cron, which matters only for stdin, so it is left as is.
    const skip = nSchedule + (withUser ? 1 : 0);
    const command = l.text.replace(new RegExp(`^(?:\\S+\\s+){${skip}}`), '');
    const entry: PersistenceEntry = { place, file, line: l.line, text: l.raw, schedule, command };
    if (user !== undefined) entry.user = user;
    out.push(entry);
  }
  return out;
}

/** anacrontab: `period delay job-identifier command`, run as root. */
export function parseAnacrontab(text: string, file: string): PersistenceEntry[] {
  const out: PersistenceEntry[] = [];
  for (const l of logicalLines(text)) {
    if (ENV_LINE.test(l.text)) continue;
    const m = /^(\S+)\s+(\d+)\s+(\S+)\s+(.+)$/.exec(l.text);
    if (!m) continue;
    out.push({
      place: 'anacrontab',
      file,
      line: l.line,
      text: l.raw,
      user: 'root',
      schedule: `${m[1]} (delay ${m[2]} min, job ${m[3]})`,
      command: m[4]!,
    });
  }
  return out;
}

/**
 * An at job as atd stores it: a shell script whose first lines restore the submitter's environment
 * and whose last part is the command. The file name encodes queue, job number and the run time in
 * minutes since the epoch (`a0000301c4f2a8` = queue a, job 3, minute 0x1c4f2a8).
 */
export function parseAtJob(text: string, file: string, uidNames: Map<number, string>): PersistenceEntry {
  const lines = text.split('\n');
  const uid = /^#\s*atrun uid=(\d+)/m.exec(text);
  const marker = lines.findIndex((l) => /<<\s*'?(marcinDELIMITER\w*)'?\s*$/.test(l));
  let body: string[];
  if (marker >= 0) {
    const delim = /<<\s*'?(marcinDELIMITER\w*)'?/.exec(lines[marker]!)![1]!;
    const end = lines.findIndex((l, i) => i > marker && l.trim() === delim);
    body = lines.slice(marker + 1, end < 0 ? undefined : end);
  } else {
    // Older atd (and Red Hat's) put the commands after the `cd … || { … }` preamble.
    const cd = lines.findIndex((l) => /^cd\s/.test(l));
    let i = cd < 0 ? 0 : cd + 1;
    while (i < lines.length && /^\s*(?:echo|exit|\})/.test(lines[i]!)) i++;
    body = lines.slice(i);
  }
  const command = body
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .join('\n');
  const entry: PersistenceEntry = { place: 'at', file, command };
  const name = path.posix.basename(file);
  const when = /^[a-zA-Z=][0-9a-f]{5}([0-9a-f]{8})$/.exec(name);
  if (when) entry.schedule = new Date(parseInt(when[1]!, 16) * 60_000).toISOString();
  if (uid) entry.user = uidNames.get(Number(uid[1])) ?? `uid ${uid[1]}`;
  return entry;
}

export const PERIODIC_DIRS = ['hourly', 'daily', 'weekly', 'monthly'] as const;

export async function collectCron(
  reader: RootReader,
  uidNames: Map<number, string>,
): Promise<{ entries: PersistenceEntry[]; files: string[] }> {
  const entries: PersistenceEntry[] = [];
  const files: string[] = [];
  const readTab = async (file: string, place: 'crontab' | 'cron.d' | 'cron-spool', owner?: string) => {
    const text = await reader.text(file);
    if (text === undefined) return;
    files.push(file);
    entries.push(...parseCrontab(text, file, place, owner));
  };

  await readTab('/etc/crontab', 'crontab');
  for (const e of await reader.list('/etc/cron.d')) if (!e.isDir) await readTab(e.path, 'cron.d');
  for (const dir of ['/var/spool/cron/crontabs', '/var/spool/cron', '/var/spool/cron/tabs']) {
    for (const e of await reader.list(dir)) if (!e.isDir) await readTab(e.path, 'cron-spool', e.name);
  }
  for (const period of PERIODIC_DIRS) {
    for (const e of await reader.list(`/etc/cron.${period}`)) {
      if (e.isDir || e.name === '.placeholder') continue;
      const text = await reader.text(e.path);
      if (text === undefined) continue;
      files.push(e.path);
      // run-parts runs the whole script: its lines that run programs by path or download are the entries.
      for (const entry of scriptEntries(text, e.path, 'cron-periodic', 'root', false))
        entries.push({ ...entry, schedule: period });
    }
  }
  const anacron = await reader.text('/etc/anacrontab');
  if (anacron !== undefined) {
    files.push('/etc/anacrontab');
    entries.push(...parseAnacrontab(anacron, '/etc/anacrontab'));
  }
  for (const dir of ['/var/spool/cron/atjobs', '/var/spool/at']) {
    for (const e of await reader.list(dir)) {
      if (e.isDir || e.name.startsWith('.')) continue;
      const text = await reader.text(e.path);
      if (text === undefined) continue;
      files.push(e.path);
      entries.push(parseAtJob(text, e.path, uidNames));
    }
  }
  return { entries, files };
}
