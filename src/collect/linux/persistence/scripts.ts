// Boot and login scripts, line by line: /etc/rc.local (every command), /etc/init.d scripts, and the
// shell start-up files (/etc/profile, /etc/profile.d, bash.bashrc and users' ~/.bashrc, ~/.profile…).
// A long distribution script is kept only where a line runs a program by path or fetches from the
// network: those are the lines a persistence check reads, and the snapshot stays small.
import path from 'node:path';
import { downloadExec, executedPaths } from '../../../shell/command.js';
import type { PersistenceEntry, PersistencePlace } from '../../../snapshot/persistence.js';
import { logicalLines, type RootReader } from './reader.js';

/** Shell keywords and built-ins that are not programs. */
const SHELL_WORDS =
  /^(?:if|then|else|elif|fi|for|while|until|do|done|case|esac|in|function|return|exit|export|local|unset|set|shift|break|continue|true|false|test|\[|\[\[|\]|\]\]|\{|\}|!|echo|printf|read|eval|trap|umask|ulimit|alias|unalias|shopt|declare|typeset|readonly|cd|pwd|wait|:)$/;

/** True for a line worth keeping from a long script: it runs something by path or downloads. */
export function interestingLine(text: string): boolean {
  // Every test below needs a `/` (a path, a URL) or a downloader's name: most lines of a long
  // distribution script have neither and skip the shell parser (issue 17).
  if (!text.includes('/') && !/\b(?:curl|wget|fetch|tftp)\b/.test(text)) return false;
  if (/\b(?:curl|wget|fetch|tftp)\b/.test(text) && downloadExec(text)) return true;
  if (/(?:https?|ftp):\/\//.test(text) && /\b(?:curl|wget)\b/.test(text)) return true;
  return executedPaths(text).some((p) => p.startsWith('/') || p.startsWith('./') || p.startsWith('~/'));
}

export function scriptEntries(
  text: string,
  file: string,
  place: PersistencePlace,
  user: string | undefined,
  keepAll: boolean,
): PersistenceEntry[] {
  const out: PersistenceEntry[] = [];
  for (const l of logicalLines(text)) {
    if (l.text === 'exit 0' || SHELL_WORDS.test(l.text)) continue;
    if (!keepAll && !interestingLine(l.text)) continue;
    const entry: PersistenceEntry = { place, file, line: l.line, text: l.raw, command: l.text };
    if (user !== undefined) entry.user = user;
    out.push(entry);
  }
  return out;
}

export const SYSTEM_PROFILES = [
  '/etc/profile',
  '/etc/bash.bashrc',
  '/etc/bashrc',
  '/etc/zsh/zshrc',
  '/etc/zshrc',
  '/etc/environment',
];
export const USER_PROFILES = [
  '.bashrc',
  '.profile',
  '.bash_profile',
  '.bash_login',
  '.bash_logout',
  '.zshrc',
  '.zprofile',
];

export async function collectScripts(
  reader: RootReader,
  homes: { user: string; home: string }[],
): Promise<{ entries: PersistenceEntry[]; files: string[] }> {
  const entries: PersistenceEntry[] = [];
  const files: string[] = [];
  const add = async (file: string, place: PersistencePlace, user: string | undefined, keepAll: boolean) => {
    const text = await reader.text(file);
    if (text === undefined) return;
    files.push(file);
    entries.push(...scriptEntries(text, file, place, user, keepAll));
  };
  for (const f of ['/etc/rc.local', '/etc/rc.d/rc.local']) await add(f, 'rc-local', 'root', true);
  for (const e of await reader.list('/etc/init.d')) if (!e.isDir) await add(e.path, 'init.d', 'root', false);
  for (const f of SYSTEM_PROFILES) await add(f, 'shell-profile', undefined, false);
  for (const e of await reader.list('/etc/profile.d'))
    if (!e.isDir) await add(e.path, 'shell-profile', undefined, false);
  for (const { user, home } of homes)
    for (const f of USER_PROFILES) await add(path.posix.join(home, f), 'shell-profile', user, true);
  return { entries, files };
}
