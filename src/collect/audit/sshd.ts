// sshd's effective settings (`sshd -T` on a live host when it can run, else sshd_config and its
// Include files read the way sshd reads them: first value wins, Match blocks counted, not applied) and
// the authorized_keys files of every account.
import path from 'node:path';
import type { AuthorizedKeysFile, SshdFacts } from '../../snapshot/audit.js';
import type { TargetFs } from '../../target/fs.js';
import { run } from './exec.js';

const KEY_TYPE =
  /^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** Expands an Include pattern (a `*` or `?` in the last component only, as distributions use it). */
async function expand(fs: TargetFs, pattern: string): Promise<string[]> {
  const abs = pattern.startsWith('/') ? pattern : `/etc/ssh/${pattern}`;
  const dir = path.posix.dirname(abs);
  const base = path.posix.basename(abs);
  if (!/[*?]/.test(base)) return [abs];
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  const names = await fs.names(dir).catch(() => []);
  return names.filter((n) => re.test(n)).map((n) => `${dir}/${n}`);
}

export async function parseSshdConfig(
  fs: TargetFs,
  file = '/etc/ssh/sshd_config',
  acc: { settings: Record<string, string>; files: string[]; matchBlocks: number; inMatch: boolean } = {
    settings: {},
    files: [],
    matchBlocks: 0,
    inMatch: false,
  },
  depth = 0,
): Promise<typeof acc> {
  if (depth > 8) return acc;
  let text: string;
  try {
    text = await fs.text(file);
  } catch {
    return acc;
  }
  acc.files.push(file);
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!.trim().replace(/^"(.*)"$/, '$1');
    if (key === 'match') {
      acc.matchBlocks++;
      acc.inMatch = true;
      continue;
    }
    if (key === 'include') {
      for (const pattern of value.split(/\s+/))
        for (const f of await expand(fs, pattern)) await parseSshdConfig(fs, f, acc, depth + 1);
      continue;
    }
    if (acc.inMatch) continue;
    if (!(key in acc.settings)) acc.settings[key] = value.toLowerCase();
  }
  // A Match block ends with the file that opened it only at the top level; an included file's Match
  // continues in sshd too, which this keeps.
  return acc;
}

async function authorizedKeys(fs: TargetFs): Promise<AuthorizedKeysFile[]> {
  const passwd = await fs.text('/etc/passwd').catch(() => '');
  const homes = new Map<string, string>();
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && f[5] && f[5] !== '/' && f[5] !== '/nonexistent' && !homes.has(f[5]))
      homes.set(f[5], f[0]!);
  }
  const out: AuthorizedKeysFile[] = [];
  for (const [home, user] of homes) {
    for (const name of ['authorized_keys', 'authorized_keys2']) {
      const p = `${home}/.ssh/${name}`;
      const st = await fs.stat(p).catch(() => undefined);
      if (!st?.isFile()) continue;
      const dir = await fs.stat(path.posix.dirname(p)).catch(() => undefined);
      const text = await fs.text(p).catch(() => '');
      const keys: AuthorizedKeysFile['keys'] = [];
      text.split('\n').forEach((raw, i) => {
        const line = raw.trim();
        if (line === '' || line.startsWith('#')) return;
        const parts = line.match(/(?:[^\s"]+|"(?:[^"\\]|\\.)*")+/g) ?? [];
        const at = parts.findIndex((p2) => KEY_TYPE.test(p2));
        if (at < 0) return;
        const key: AuthorizedKeysFile['keys'][number] = { line: i + 1, type: parts[at]! };
        const comment = parts.slice(at + 2).join(' ');
        if (comment) key.comment = comment.slice(0, 200);
        if (at > 0) key.options = parts.slice(0, at).join(' ').slice(0, 500);
        keys.push(key);
      });
      const file: AuthorizedKeysFile = {
        path: p,
        user,
        mode: st.mode & 0o7777,
        uid: st.uid,
        mtime: st.mtime.toISOString(),
        keys,
      };
      if (dir) file.dirMode = dir.mode & 0o7777;
      out.push(file);
    }
  }
  return out;
}

export async function collectSshd(fs: TargetFs, live: boolean): Promise<SshdFacts> {
  const binary = (await fs.exists('/usr/sbin/sshd')) || (await fs.exists('/usr/bin/sshd'));
  const config = await fs.exists('/etc/ssh/sshd_config');
  const keys = await authorizedKeys(fs);
  if (!binary && !config) {
    return {
      installed: false,
      source: 'none',
      settings: {},
      files: [],
      matchBlocks: 0,
      authorizedKeys: keys,
    };
  }
  if (live && binary) {
    const r = await run('sshd', ['-T']);
    if (!r.error && !r.missing && r.stdout.trim()) {
      const settings: Record<string, string> = {};
      for (const line of r.stdout.split('\n')) {
        const m = /^(\S+)\s+(.*)$/.exec(line.trim());
        if (m && !(m[1]! in settings)) settings[m[1]!.toLowerCase()] = m[2]!.toLowerCase();
      }
      const parsed = await parseSshdConfig(fs);
      return {
        installed: true,
        source: 'sshd -T',
        settings,
        files: parsed.files,
        matchBlocks: parsed.matchBlocks,
        authorizedKeys: keys,
      };
    }
  }
  const parsed = await parseSshdConfig(fs);
  return {
    installed: true,
    source: parsed.files.length ? 'config' : 'none',
    settings: parsed.settings,
    files: parsed.files,
    matchBlocks: parsed.matchBlocks,
    authorizedKeys: keys,
  };
}
