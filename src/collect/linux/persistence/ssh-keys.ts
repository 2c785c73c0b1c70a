// authorized_keys of every account: key type, fingerprint, comment and the options that change what a
// key can do (`command="…"` forces a program, `from="…"` limits where it may log in from).
import { createHash } from 'node:crypto';
import path from 'node:path';
import type { AuthorizedKey } from '../../../snapshot/persistence.js';
import type { RootReader } from './reader.js';

const KEY_TYPE =
  /^(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+|sk-(?:ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com|ssh-(?:rsa|ed25519)-cert-v01@openssh\.com)$/;

/** Splits the options field (`command="a, b",no-pty`) at commas outside quotes. */
function splitOptions(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && quoted && i + 1 < text.length) {
      cur += c + text[++i];
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

function optionValue(options: string[], name: string): string | undefined {
  const o = options.find((x) => x.toLowerCase().startsWith(`${name}=`));
  if (!o) return undefined;
  const v = o.slice(name.length + 1);
  return v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1).replace(/\\"/g, '"') : v;
}

/** `SHA256:…` of a base64 key blob, as `ssh-keygen -lf` prints it. */
export function keyFingerprint(blob: string): string {
  return `SHA256:${createHash('sha256').update(Buffer.from(blob, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

/** Fingerprints of the public keys written anywhere in a text (a script that appends one). */
export function keysInText(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(
    /\b(?:ssh-(?:rsa|dss|ed25519)|ecdsa-sha2-nistp\d+)\s+(AAAA[A-Za-z0-9+/]+={0,3})/g,
  ))
    out.add(keyFingerprint(m[1]!));
  return [...out];
}

export function parseAuthorizedKeys(text: string, file: string, user: string): AuthorizedKey[] {
  const out: AuthorizedKey[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    // Options come first when the first word is not a key type; they end at the first space outside quotes.
    let rest = line;
    let options: string[] = [];
    const first = line.split(/\s+/)[0] ?? '';
    if (!KEY_TYPE.test(first)) {
      let quoted = false;
      let end = 0;
      for (; end < line.length; end++) {
        if (line[end] === '"' && line[end - 1] !== '\\') quoted = !quoted;
        if (!quoted && /\s/.test(line[end]!)) break;
      }
      options = splitOptions(line.slice(0, end));
      rest = line.slice(end).trim();
    }
    const [keyType, blob, ...comment] = rest.split(/\s+/);
    if (!keyType || !blob || !KEY_TYPE.test(keyType)) return;
    const digest = createHash('sha256')
      .update(Buffer.from(blob, 'base64'))
      .digest('base64')
      .replace(/=+$/, '');
    const key: AuthorizedKey = {
      file,
      line: i + 1,
      user,
      keyType,
      fingerprint: `SHA256:${digest}`,
      options,
      text: raw.replace(/\r$/, ''),
    };
    if (comment.length) key.comment = comment.join(' ');
    const command = optionValue(options, 'command');
    if (command !== undefined) key.command = command;
    const from = optionValue(options, 'from');
    if (from !== undefined) key.from = from;
    out.push(key);
  });
  return out;
}

export async function collectAuthorizedKeys(
  reader: RootReader,
  homes: { user: string; home: string }[],
): Promise<{ keys: AuthorizedKey[]; files: string[] }> {
  const keys: AuthorizedKey[] = [];
  const files: string[] = [];
  for (const { user, home } of homes) {
    for (const name of ['.ssh/authorized_keys', '.ssh/authorized_keys2']) {
      const file = path.posix.join(home, name);
      const text = await reader.text(file);
      if (text === undefined) continue;
      files.push(file);
      keys.push(...parseAuthorizedKeys(text, file, user));
    }
  }
  return { keys, files };
}
