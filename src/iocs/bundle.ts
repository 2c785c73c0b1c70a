// Signed rule and IOC bundles: packs rules/*.yar and iocs/* into one file with a manifest (version,
// date, every file's sha256 and size, counts) signed with Ed25519, verifies such a file against a
// trusted public key, and describes the set a scan uses; bundle-install.ts installs and rolls back.
//
// The file is one JSON document, so nothing in it can be a link, a device or a directory:
//   { "format": "minehunter-rule-bundle", "formatVersion": 1,
//     "manifest": base64 of the exact manifest bytes that were signed,
//     "signature": { "algorithm": "ed25519", "keyId": first 16 hex of sha256(SPKI key), "value": base64 },
//     "files": { "rules/x.yar": base64, "iocs/y.yml": base64, … } }
// The signature covers the manifest bytes; the manifest's sha256 of each file covers the files.
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Localized } from '../model/finding.js';
import { DownloadError, download } from '../util/download.js';
import { InputFileError } from '../util/input-error.js';
import { projectRoot } from '../util/paths.js';
import { readUnmasked } from '../util/mask.js';
import { VERSION_RE, bundleStoreDir, installedSet, readPointer } from './bundle-store.js';

export const BUNDLE_FORMAT = 'minehunter-rule-bundle';
/** Bundles are a few hundred KiB; anything near these limits is not one of ours. */
export const MAX_BUNDLE_BYTES = 64 * 1024 * 1024;
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
export const MAX_FILES = 1000;

/** A bundle that cannot be built, read, trusted or installed; the message names what failed. */
export class BundleError extends InputFileError {
  override name = 'BundleError';
  constructor(file: string, message: Localized, options?: { cause?: unknown }) {
    super(file, undefined, message, options);
  }
}

/** The release key's public half, shipped with the tool; the private half is held by the maintainers. */
export function builtInKeyPath(): string {
  return path.join(projectRoot(), 'keys', 'minehunter-rules.pub');
}

/** The repository's own rules/ and iocs/, whatever is installed (what `rules pack` packs by default). */
export function shippedDirs(): { rulesDir: string; iocDir: string } {
  return { rulesDir: path.join(projectRoot(), 'rules'), iocDir: path.join(projectRoot(), 'iocs') };
}

// ---- Keys ----

/** First 16 hex digits of the sha256 of the key's SPKI encoding: short, stable, printable. */
export function keyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

function readKey(file: string, kind: 'public' | 'private'): KeyObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new BundleError(
      file,
      { en: `cannot read key ${file} (${code})`, 'zh-CN': `无法读取密钥 ${file}（${code}）` },
      { cause },
    );
  }
  let key: KeyObject;
  try {
    key = kind === 'public' ? createPublicKey(text) : createPrivateKey(text);
  } catch (cause) {
    throw new BundleError(
      file,
      {
        en: `${file} is not a PEM ${kind} key`,
        'zh-CN': `${file} 不是 PEM 格式的${kind === 'public' ? '公钥' : '私钥'}`,
      },
      { cause },
    );
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new BundleError(file, {
      en: `${file} is a ${key.asymmetricKeyType ?? 'unknown'} key; bundles are signed with Ed25519`,
      'zh-CN': `${file} 是 ${key.asymmetricKeyType ?? '未知类型'} 密钥；规则包使用 Ed25519 签名`,
    });
  }
  return key;
}

export const readPublicKey = (file: string): KeyObject => readKey(file, 'public');
export const readPrivateKey = (file: string): KeyObject => readKey(file, 'private');

/** Writes a new Ed25519 pair into `dir` (the private key readable by its owner only); never overwrites. */
export async function writeKeyPair(
  dir: string,
): Promise<{ privateKey: string; publicKey: string; keyId: string }> {
  const pair = generateKeyPairSync('ed25519');
  await mkdir(dir, { recursive: true });
  const privateKey = path.join(dir, 'minehunter-rules.key');
  const publicKey = path.join(dir, 'minehunter-rules.pub');
  try {
    await writeFile(privateKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      flag: 'wx',
      mode: 0o600,
    });
    await writeFile(publicKey, pair.publicKey.export({ type: 'spki', format: 'pem' }), { flag: 'wx' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new BundleError(
      dir,
      {
        en: `cannot write the key pair into ${dir} (${code}; existing keys are never overwritten)`,
        'zh-CN': `无法在 ${dir} 中写入密钥对（${code}；不会覆盖已有密钥）`,
      },
      { cause },
    );
  }
  return { privateKey, publicKey, keyId: keyId(pair.publicKey) };
}

// ---- Manifest ----

const FileEntry = z
  .object({
    name: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().min(0),
    /** Rules in a rule file, entries in an indicator file. */
    count: z.number().int().min(0),
  })
  .strict();
export const Manifest = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    formatVersion: z.literal(1),
    version: z.string().regex(VERSION_RE),
    created: z.string(),
    source: z.string().optional(),
    counts: z.object({ rules: z.number().int(), iocEntries: z.number().int() }).strict(),
    files: z.array(FileEntry).max(MAX_FILES),
  })
  .strict();
export type BundleManifest = z.infer<typeof Manifest>;
export type BundleFileEntry = z.infer<typeof FileEntry>;

const Envelope = z
  .object({
    format: z.literal(BUNDLE_FORMAT),
    formatVersion: z.literal(1),
    manifest: z.string(),
    signature: z.object({ algorithm: z.literal('ed25519'), keyId: z.string(), value: z.string() }).strict(),
    files: z.record(z.string(), z.string()),
  })
  .strict();

const NAME_RE =
  /^(?:rules\/[A-Za-z0-9][A-Za-z0-9._-]*\.yara?|iocs\/[A-Za-z0-9][A-Za-z0-9._-]*\.(?:ya?ml|json))$/;

/** Why a file name in a bundle is refused, or undefined when it is one of the names we install. */
export function badName(name: string): Localized | undefined {
  if (path.isAbsolute(name) || /^[A-Za-z]:/.test(name) || name.startsWith('\\'))
    return { en: `absolute file name "${name}"`, 'zh-CN': `绝对路径文件名"${name}"` };
  if (name.split(/[/\\]/).includes('..') || name.includes('\\'))
    return { en: `path traversal in file name "${name}"`, 'zh-CN': `文件名"${name}"含路径穿越` };
  if (!NAME_RE.test(name))
    return {
      en: `unexpected file name "${name}" (only rules/*.yar and iocs/*.yml|*.json)`,
      'zh-CN': `意外的文件名"${name}"（只允许 rules/*.yar 和 iocs/*.yml|*.json）`,
    };
  return undefined;
}

/** Rules in a YARA source: each `rule NAME` at the start of a line, with its modifiers. */
export function countRules(text: string): number {
  return text.match(/^[ \t]*(?:(?:private|global)[ \t]+)*rule[ \t]+[A-Za-z_]\w*/gm)?.length ?? 0;
}

/** Entries in an indicator file (its `entries` list); 0 when it has none or does not parse. */
export function countIocEntries(text: string, name: string): number {
  try {
    const doc = (/\.json$/i.test(name) ? JSON.parse(text) : parseYaml(text)) as { entries?: unknown } | null;
    return Array.isArray(doc?.entries) ? doc.entries.length : 0;
  } catch {
    return 0;
  }
}

function countOf(name: string, data: Buffer): number {
  const text = data.toString('utf8');
  return name.startsWith('rules/') ? countRules(text) : countIocEntries(text, name);
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

// ---- Pack ----

export interface PackOptions {
  privateKey: KeyObject;
  version: string;
  rulesDir: string;
  iocDir: string;
  source?: string;
  now?: Date;
}

/** The regular files of `dir` that a bundle carries under `prefix`; a link or odd name is refused. */
function filesOf(dir: string, prefix: 'rules' | 'iocs'): { name: string; data: Buffer }[] {
  let entries: string[];
  try {
    entries = readdirSync(dir).sort();
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new BundleError(
      dir,
      { en: `cannot read ${dir} (${code})`, 'zh-CN': `无法读取 ${dir}（${code}）` },
      { cause },
    );
  }
  const wanted = prefix === 'rules' ? /\.yara?$/i : /\.(?:ya?ml|json)$/i;
  const out: { name: string; data: Buffer }[] = [];
  for (const entry of entries.filter((e) => wanted.test(e))) {
    const file = path.join(dir, entry);
    const st = lstatSync(file);
    if (!st.isFile()) {
      throw new BundleError(file, {
        en: `${file} is not a regular file (links are not packed)`,
        'zh-CN': `${file} 不是普通文件（不打包链接）`,
      });
    }
    const name = `${prefix}/${entry}`;
    const bad = badName(name);
    if (bad) throw new BundleError(file, bad);
    if (st.size > MAX_FILE_BYTES)
      throw new BundleError(file, { en: `${file} is larger than 16 MiB`, 'zh-CN': `${file} 大于 16 MiB` });
    // Unmasked: an installed bundle's files are masked on disk (bundle-install.ts).
    out.push({ name, data: readUnmasked(file) });
  }
  return out;
}

/** The signed bundle of `rulesDir`'s rules and `iocDir`'s indicator files, as the bytes to write. */
export function packBundle(opts: PackOptions): { bytes: Buffer; manifest: BundleManifest; keyId: string } {
  if (!VERSION_RE.test(opts.version)) {
    throw new BundleError(opts.version, {
      en: `version "${opts.version}" must be dotted numbers such as 2026.12.03 or 1.4.0`,
      'zh-CN': `版本"${opts.version}"须为以点分隔的数字，如 2026.12.03 或 1.4.0`,
    });
  }
  const files = [...filesOf(opts.rulesDir, 'rules'), ...filesOf(opts.iocDir, 'iocs')];
  if (!files.some((f) => f.name.startsWith('rules/')))
    throw new BundleError(opts.rulesDir, {
      en: `no rule files in ${opts.rulesDir}`,
      'zh-CN': `${opts.rulesDir} 中没有规则文件`,
    });
  const entries = files.map((f) => ({
    name: f.name,
    sha256: sha256(f.data),
    size: f.data.length,
    count: countOf(f.name, f.data),
  }));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: 1,
    version: opts.version,
    created: (opts.now ?? new Date()).toISOString(),
    ...(opts.source ? { source: opts.source } : {}),
    counts: {
      rules: entries.filter((e) => e.name.startsWith('rules/')).reduce((n, e) => n + e.count, 0),
      iocEntries: entries.filter((e) => e.name.startsWith('iocs/')).reduce((n, e) => n + e.count, 0),
    },
    files: entries,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  const id = keyId(opts.privateKey);
  const envelope = {
    format: BUNDLE_FORMAT,
    formatVersion: 1,
    manifest: manifestBytes.toString('base64'),
    signature: {
      algorithm: 'ed25519',
      keyId: id,
      value: sign(null, manifestBytes, opts.privateKey).toString('base64'),
    },
    files: Object.fromEntries(files.map((f) => [f.name, f.data.toString('base64')])),
  };
  return { bytes: Buffer.from(JSON.stringify(envelope) + '\n'), manifest, keyId: id };
}

// ---- Verify ----

export interface VerifiedBundle {
  manifest: BundleManifest;
  manifestBytes: Buffer;
  keyId: string;
  signature: string;
  files: Map<string, Buffer>;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

function b64(value: string, what: string, file: string): Buffer {
  if (!B64.test(value))
    throw new BundleError(file, { en: `${what} is not valid base64`, 'zh-CN': `${what} 不是有效的 base64` });
  return Buffer.from(value, 'base64');
}

/**
 * Checks a bundle's bytes completely before anything is written: the container, the signature
 * against one of `keys`, every name, every file's size and sha256, and that the manifest lists
 * exactly the files present. `display` names the bundle in the messages.
 */
export function verifyBundle(bytes: Buffer, keys: KeyObject[], display: string): VerifiedBundle {
  const fail = (en: string, zh: string): never => {
    throw new BundleError(display, { en: `bundle ${display}: ${en}`, 'zh-CN': `规则包 ${display}：${zh}` });
  };
  if (bytes.length > MAX_BUNDLE_BYTES) fail('larger than 64 MiB, refused', '大于 64 MiB，已拒绝');
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    fail('damaged or truncated (not a complete bundle file)', '已损坏或被截断（不是完整的规则包文件）');
  }
  const env = Envelope.safeParse(raw);
  if (!env.success)
    fail('not a minehunter rule bundle (unknown layout)', '不是 minehunter 规则包（结构无法识别）');
  const { manifest: manifestB64, signature, files } = env.data!;
  const manifestBytes = b64(manifestB64, 'manifest', display);
  const sig = b64(signature.value, 'signature', display);
  const key = keys.find((k) => keyId(k) === signature.keyId) ?? (keys.length === 1 ? keys[0] : undefined);
  const trusted = keys.map(keyId).join(', ');
  if (!key || !verify(null, manifestBytes, key, sig)) {
    fail(
      `bad signature: signed by key ${signature.keyId}, which does not verify against the trusted key ${trusted}`,
      `签名无效：由密钥 ${signature.keyId} 签名，无法用受信任的密钥 ${trusted} 验证`,
    );
  }
  let manifest: BundleManifest;
  try {
    manifest = Manifest.parse(JSON.parse(manifestBytes.toString('utf8')));
  } catch {
    return fail('the signed manifest is not valid', '已签名的清单无效');
  }
  const seen = new Set<string>();
  const out = new Map<string, Buffer>();
  for (const entry of manifest.files) {
    const bad = badName(entry.name);
    if (bad) fail(bad.en, bad['zh-CN']);
    const folded = entry.name.toLowerCase();
    if (seen.has(folded)) fail(`duplicate file name "${entry.name}"`, `重复的文件名"${entry.name}"`);
    seen.add(folded);
    if (entry.size > MAX_FILE_BYTES) fail(`${entry.name} is larger than 16 MiB`, `${entry.name} 大于 16 MiB`);
    const content = files[entry.name];
    if (content === undefined)
      fail(`${entry.name} is listed in the manifest but missing`, `清单中列出的 ${entry.name} 缺失`);
    const data = b64(content!, entry.name, display);
    if (data.length !== entry.size || sha256(data) !== entry.sha256)
      fail(
        `${entry.name} was modified (sha256 does not match the signed manifest)`,
        `${entry.name} 已被修改（sha256 与已签名的清单不符）`,
      );
    out.set(entry.name, data);
  }
  for (const name of Object.keys(files)) {
    if (!out.has(name)) fail(`${name} is not in the signed manifest`, `${name} 不在已签名的清单中`);
  }
  return { manifest, manifestBytes, keyId: keyId(key!), signature: signature.value, files: out };
}

/** Reads a bundle file, refusing one too large before reading it whole. */
export async function readBundleFile(file: string): Promise<Buffer> {
  try {
    const st = lstatSync(file);
    if (!st.isFile())
      throw new BundleError(file, { en: `${file} is not a regular file`, 'zh-CN': `${file} 不是普通文件` });
    if (st.size > MAX_BUNDLE_BYTES)
      throw new BundleError(file, {
        en: `bundle ${file}: larger than 64 MiB, refused`,
        'zh-CN': `规则包 ${file}：大于 64 MiB，已拒绝`,
      });
    return await readFile(file);
  } catch (cause) {
    if (cause instanceof BundleError) throw cause;
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new BundleError(
      file,
      { en: `cannot read ${file} (${code})`, 'zh-CN': `无法读取 ${file}（${code}）` },
      { cause },
    );
  }
}

/** Downloads a bundle over http(s), stopping at MAX_BUNDLE_BYTES. */
export async function fetchBundle(url: string): Promise<Buffer> {
  const fail = (en: string, zh: string, cause?: unknown): never => {
    throw new BundleError(url, { en: `--from ${url}: ${en}`, 'zh-CN': `--from ${url}：${zh}` }, { cause });
  };
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    fail('not a URL', '不是 URL');
  }
  if (parsed!.protocol !== 'https:' && parsed!.protocol !== 'http:')
    fail('only http and https are supported', '只支持 http 和 https');
  try {
    return await download(parsed!, { maxBytes: MAX_BUNDLE_BYTES, timeoutMs: 60_000 });
  } catch (cause) {
    if (!(cause instanceof DownloadError)) throw cause;
    if (cause.reason === 'status')
      fail(`server answered HTTP ${cause.status}`, `服务器返回 HTTP ${cause.status}`, cause);
    if (cause.reason === 'too-large') fail('larger than 64 MiB, refused', '大于 64 MiB，已拒绝', cause);
    return fail(`download failed (${cause.message})`, `下载失败（${cause.message}）`, cause);
  }
}

// ---- Describe ----

export interface ActiveSet {
  kind: 'installed' | 'bundled';
  version?: string;
  created?: string;
  source?: string;
  keyId?: string;
  rulesDir: string;
  iocDir: string;
  files: { name: string; count: number; modified?: boolean }[];
  counts: { rules: number; iocEntries: number };
  /** What `rules rollback` would return to: a version, or 'built-in'; absent when nothing is kept. */
  previous?: string;
}

/** The set a scan uses now: the installed bundle (files re-checked against its manifest) or the shipped one. */
export function activeSet(env: NodeJS.ProcessEnv = process.env): ActiveSet {
  const installed = installedSet(env);
  if (installed) {
    try {
      const manifest = Manifest.parse(
        JSON.parse(readFileSync(path.join(installed.dir, 'manifest.json'), 'utf8')),
      );
      const sig = JSON.parse(readFileSync(path.join(installed.dir, 'signature.json'), 'utf8')) as {
        keyId?: string;
      };
      const files = manifest.files.map((f) => {
        let modified = true;
        try {
          modified = sha256(readUnmasked(path.join(installed.dir, ...f.name.split('/')))) !== f.sha256;
        } catch {
          // missing counts as modified
        }
        return { name: f.name, count: f.count, ...(modified ? { modified } : {}) };
      });
      return {
        kind: 'installed',
        version: manifest.version,
        created: manifest.created,
        source: manifest.source,
        keyId: sig.keyId,
        rulesDir: installed.rulesDir,
        iocDir: installed.iocDir,
        files,
        counts: manifest.counts,
        ...previousOf(env),
      };
    } catch {
      // an unreadable manifest: describe the directories as they are
    }
  }
  const dirs = installed ? { rulesDir: installed.rulesDir, iocDir: installed.iocDir } : shippedDirs();
  const files = [...safeFilesOf(dirs.rulesDir, 'rules'), ...safeFilesOf(dirs.iocDir, 'iocs')].map((f) => ({
    name: f.name,
    count: countOf(f.name, f.data),
  }));
  return {
    kind: installed ? 'installed' : 'bundled',
    ...(installed ? { version: installed.version } : {}),
    ...dirs,
    files,
    ...(installed ? previousOf(env) : {}),
    counts: {
      rules: files.filter((f) => f.name.startsWith('rules/')).reduce((n, f) => n + f.count, 0),
      iocEntries: files.filter((f) => f.name.startsWith('iocs/')).reduce((n, f) => n + f.count, 0),
    },
  };
}

function previousOf(env: NodeJS.ProcessEnv): { previous?: string } {
  const previous = readPointer(bundleStoreDir(env), 'previous');
  return previous ? { previous } : {};
}

function safeFilesOf(dir: string, prefix: 'rules' | 'iocs'): { name: string; data: Buffer }[] {
  try {
    return filesOf(dir, prefix);
  } catch {
    return [];
  }
}
