// The one reader of /etc/passwd: the accounts with their uid, home and shell (persistence reads the
// homes, processes and preload name a uid's owner). Lenient as getpwent is about short lines.
import type { Account } from '../snapshot/persistence.js';

/** Every account line with a name and a numeric uid; home and shell are '' when the line lacks them. */
export function parseAccounts(text: string): Account[] {
  const out: Account[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    if (!f[0] || f[2] === undefined || f[2] === '' || !Number.isInteger(uid) || uid < 0) continue;
    out.push({ name: f[0], uid, home: f[5] ?? '', shell: f[6] ?? '' });
  }
  return out;
}

/** uid → user name; the first entry for a uid wins, as getpwuid does. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const a of parseAccounts(text)) if (!users.has(a.uid)) users.set(a.uid, a.name);
  return users;
}
