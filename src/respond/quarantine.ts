// The quarantine archive: a password-protected zip (AES-256 by default, ZipCrypto on request for tools
// without AES) holding every file respond removes or edits, plus manifest.json. Each file is read once
// into memory, hashed, written, and after the archive is closed every entry is read back with the
// password and its sha256 compared: nothing is destroyed until its copy is proven readable.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { lstat, readFile, rename, stat, unlink } from 'node:fs/promises';
import { Writable } from 'node:stream';
import path from 'node:path';
import { withOpenablePath } from '../util/long-paths.js';
import {
  BlobReader,
  TextReader,
  Uint8ArrayReader,
  Uint8ArrayWriter,
  ZipReader,
  ZipWriter,
  configure,
} from '@zip.js/zip.js';

// Node has no Web Workers; zip.js would otherwise try to start them.
configure({ useWebWorkers: false });

/** The industry convention for malware sample archives, so any analyst can open them. */
export const DEFAULT_PASSWORD = 'infected';

export interface ArchiveItem {
  /** The path as seen inside the target (what the manifest records and undo restores to). */
  path: string;
  /** Where to read the bytes: the mapped path under --root, or /proc/PID/exe for a deleted binary. */
  source: string;
  findings: string[];
}

export interface ManifestEntry {
  path: string;
  /** Name of the entry inside the zip. */
  entry: string;
  sha256: string;
  size: number;
  /** Permission bits, octal string such as "0755". */
  mode: string;
  uid: number;
  gid: number;
  owner?: string;
  mtime: string;
  atime: string;
  ctime: string;
  findings: string[];
}

export interface Manifest {
  tool: { name: 'minehunter'; version: string };
  host: { hostname?: string; root: string };
  createdAt: string;
  encryption: 'aes-256' | 'zipcrypto';
  files: ManifestEntry[];
  /** Files that could not be read, so they were not archived and their steps must not run. */
  unreadable: { path: string; error: string }[];
}

export interface QuarantineOptions {
  password: string;
  zipCrypto: boolean;
  toolVersion: string;
  hostname?: string;
  root: string;
  now: Date;
  /** uid → user name, for the manifest's owner field. */
  owners?: Map<number, string>;
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The most bytes a zip entry's name can hold (a 16-bit length in its headers). */
export const ZIP_NAME_MAX_BYTES = 65_535;

/**
 * The entry a file is archived as: `files/` and its path. A path too long for a zip entry's name
 * (a tree of ~330 directories of 200 letters) is archived as `files/long/<sha256 of the path>/` and
 * its file name; the manifest maps either back to the path, which undo restores to.
 */
export function entryName(targetPath: string): string {
  const entry = `files/${targetPath.replace(/^\/+/, '')}`;
  if (Buffer.byteLength(entry) <= ZIP_NAME_MAX_BYTES) return entry;
  return `files/long/${sha256(Buffer.from(targetPath))}/${path.posix.basename(targetPath)}`;
}

/** Writes the archive to `file` (atomically: a temp file renamed in place) and returns its manifest. */
export async function writeQuarantine(
  file: string,
  items: ArchiveItem[],
  opts: QuarantineOptions,
): Promise<Manifest> {
  const manifest: Manifest = {
    tool: { name: 'minehunter', version: opts.toolVersion },
    host: { root: opts.root, ...(opts.hostname ? { hostname: opts.hostname } : {}) },
    createdAt: opts.now.toISOString(),
    encryption: opts.zipCrypto ? 'zipcrypto' : 'aes-256',
    files: [],
    unreadable: [],
  };
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const out = createWriteStream(tmp, { mode: 0o600 });
  const zip = new ZipWriter(Writable.toWeb(out) as WritableStream<Uint8Array>, {
    password: opts.password,
    ...(opts.zipCrypto ? { zipCrypto: true } : { encryptionStrength: 3 as const }),
  });
  try {
    for (const item of items) {
      let data: Buffer;
      let st;
      try {
        // A symlink is never followed (it could point out of the target), except /proc/PID/exe, the
        // only copy left of a binary deleted from disk. A path past PATH_MAX is read all the same.
        [st, data] = await withOpenablePath(item.source, async (source) => {
          const found = /\/proc\/\d+\/exe$/.test(item.source) ? await stat(source) : await lstat(source);
          if (!found.isFile()) throw new Error('not a regular file');
          return [found, await readFile(source)] as const;
        });
      } catch (error) {
        manifest.unreadable.push({ path: item.path, error: (error as Error).message });
        continue;
      }
      const entry = entryName(item.path);
      await zip.add(entry, new Uint8ArrayReader(data), { lastModDate: st.mtime });
      manifest.files.push({
        path: item.path,
        entry,
        sha256: sha256(data),
        size: data.length,
        mode: (st.mode & 0o7777).toString(8).padStart(4, '0'),
        uid: st.uid,
        gid: st.gid,
        ...(opts.owners?.get(st.uid) ? { owner: opts.owners.get(st.uid) } : {}),
        mtime: st.mtime.toISOString(),
        atime: st.atime.toISOString(),
        ctime: st.ctime.toISOString(),
        findings: item.findings,
      });
    }
    await zip.add('manifest.json', new TextReader(JSON.stringify(manifest, null, 2) + '\n'));
    await zip.close();
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  return manifest;
}

/** Reads every entry back with the password; throws when one is missing or its sha256 differs. */
export async function verifyQuarantine(file: string, password: string, manifest: Manifest): Promise<void> {
  const contents = await readQuarantine(file, password);
  for (const f of manifest.files) {
    const data = contents.get(f.entry);
    if (!data) throw new Error(`quarantine archive ${file} lacks ${f.entry}`);
    const got = sha256(data);
    if (got !== f.sha256)
      throw new Error(`quarantine archive ${file}: ${f.entry} has sha256 ${got}, expected ${f.sha256}`);
  }
}

/** Every entry of the archive, decrypted. */
export async function readQuarantine(file: string, password: string): Promise<Map<string, Uint8Array>> {
  const bytes = await readFile(file);
  const reader = new ZipReader(new BlobReader(new Blob([bytes])), { password });
  const out = new Map<string, Uint8Array>();
  try {
    for (const entry of await reader.getEntries()) {
      if (entry.directory) continue;
      out.set(entry.filename, await entry.getData(new Uint8ArrayWriter()));
    }
  } finally {
    await reader.close();
  }
  return out;
}
