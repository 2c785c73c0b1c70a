// Signed bundles: a bundle verifies only unchanged and only against the key that signed it, and bad
// names are refused (installing, downgrades and rollback: bundle-install.test.ts).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BundleError,
  activeSet,
  badName,
  fetchBundle,
  keyId,
  packBundle,
  shippedDirs,
  verifyBundle,
} from './bundle.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'minehunter-bundle-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const pair = () => generateKeyPairSync('ed25519');
const pack = (privateKey = signer.privateKey, version = '2026.12.3') =>
  packBundle({ privateKey, version, ...shippedDirs() });
const signer = pair();

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    return (error as BundleError).localized.en;
  }
  throw new Error('expected a refusal');
}

/** Re-encodes the envelope after `edit`, keeping the original signature. */
function edited(
  bytes: Buffer,
  edit: (env: { manifest: string; files: Record<string, string> }) => void,
): Buffer {
  const env = JSON.parse(bytes.toString('utf8')) as { manifest: string; files: Record<string, string> };
  edit(env);
  return Buffer.from(JSON.stringify(env));
}

describe('packBundle and verifyBundle', () => {
  it('packs every shipped rule and IOC file with counts and verifies against its key', () => {
    const packed = pack();
    const ruleFiles = packed.manifest.files.filter((f) => f.name.startsWith('rules/'));
    expect(ruleFiles.length).toBeGreaterThan(5);
    expect(packed.manifest.files.some((f) => f.name === 'iocs/pool-ports.yml')).toBe(true);
    expect(packed.manifest.counts.rules).toBeGreaterThan(20);
    expect(packed.manifest.counts.iocEntries).toBeGreaterThan(20);
    const v = verifyBundle(packed.bytes, [signer.publicKey], 'b.mhb');
    expect(v.manifest.version).toBe('2026.12.3');
    expect(v.keyId).toBe(keyId(signer.publicKey));
    expect(v.files.get('iocs/pool-ports.yml')?.toString()).toContain('kind: pool-ports');
  });

  it('refuses a bundle with one byte of one file changed', () => {
    const bytes = edited(pack().bytes, (env) => {
      const data = Buffer.from(env.files['rules/miners-cpu.yar']!, 'base64');
      data[10] = data[10]! ^ 1;
      env.files['rules/miners-cpu.yar'] = data.toString('base64');
    });
    expect(refusal(() => verifyBundle(bytes, [signer.publicKey], 'b.mhb'))).toMatch(
      /rules\/miners-cpu\.yar was modified/,
    );
  });

  it('refuses a bundle whose manifest was changed after signing', () => {
    const bytes = edited(pack().bytes, (env) => {
      env.manifest = Buffer.from(
        Buffer.from(env.manifest, 'base64').toString().replace('2026.12.3', '2026.12.4'),
      ).toString('base64');
    });
    expect(refusal(() => verifyBundle(bytes, [signer.publicKey], 'b.mhb'))).toMatch(/bad signature/);
  });

  it('refuses a bundle signed by another key, naming both keys', () => {
    const other = pair();
    const message = refusal(() => verifyBundle(pack(other.privateKey).bytes, [signer.publicKey], 'b.mhb'));
    expect(message).toContain('bad signature');
    expect(message).toContain(keyId(other.publicKey));
    expect(message).toContain(keyId(signer.publicKey));
  });

  it('refuses a truncated bundle and an extra file the manifest does not list', () => {
    const bytes = pack().bytes;
    expect(
      refusal(() => verifyBundle(bytes.subarray(0, bytes.length - 100), [signer.publicKey], 'b')),
    ).toMatch(/damaged or truncated/);
    const extra = edited(bytes, (env) => {
      env.files['rules/extra.yar'] = Buffer.from('rule x { condition: true }').toString('base64');
    });
    expect(refusal(() => verifyBundle(extra, [signer.publicKey], 'b'))).toMatch(/not in the signed manifest/);
  });

  it('refuses traversal, absolute and unexpected names', () => {
    expect(badName('rules/../../.bashrc')?.en).toMatch(/path traversal/);
    expect(badName('/etc/cron.d/x.yar')?.en).toMatch(/absolute/);
    expect(badName('rules\\x.yar')?.en).toMatch(/absolute|traversal/);
    expect(badName('bin/x.sh')?.en).toMatch(/unexpected file name/);
    expect(badName('rules/miners-cpu.yar')).toBeUndefined();
    expect(badName('iocs/windows-names.json')).toBeUndefined();
  });

  it('refuses a signed manifest that names a file outside rules/ and iocs/', async () => {
    const rules = path.join(tmp, 'rules');
    await mkdir(rules);
    await writeFile(path.join(rules, 'a.yar'), 'rule a { condition: false }\n');
    const packed = packBundle({ privateKey: signer.privateKey, version: '1', rulesDir: rules, iocDir: tmp });
    // A hostile signer (a stolen or pinned key) can sign any manifest: names are checked regardless.
    const manifest = JSON.parse(JSON.stringify(packed.manifest)) as typeof packed.manifest;
    manifest.files[0]!.name = 'rules/../../evil.yar';
    const { sign } = await import('node:crypto');
    const mBytes = Buffer.from(JSON.stringify(manifest));
    const bytes = edited(packed.bytes, (env) => {
      env.manifest = mBytes.toString('base64');
      (env as unknown as { signature: { value: string } }).signature.value = sign(
        null,
        mBytes,
        signer.privateKey,
      ).toString('base64');
      env.files = { 'rules/../../evil.yar': env.files['rules/a.yar']! };
    });
    expect(refusal(() => verifyBundle(bytes, [signer.publicKey], 'b'))).toMatch(/path traversal/);
  });
});

describe('activeSet', () => {
  it('falls back to the shipped set when nothing is installed', () => {
    const active = activeSet({ XDG_DATA_HOME: path.join(tmp, 'data'), HOME: tmp });
    expect(active.kind).toBe('bundled');
    expect(active.rulesDir).toBe(shippedDirs().rulesDir);
    expect(active.counts.rules).toBeGreaterThan(20);
  });
});

describe('fetchBundle', () => {
  it('downloads from 127.0.0.1 and refuses an HTTP error, a declared oversize body and other schemes', async () => {
    const body = pack().bytes;
    const server = createServer((req, res) => {
      if (req.url === '/b.mhb') res.end(body);
      else if (req.url === '/huge.mhb') {
        res.writeHead(200, { 'content-length': String(65 * 1024 * 1024) });
        res.end();
      } else {
        res.statusCode = 404;
        res.end('no');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const got = await fetchBundle(`${base}/b.mhb`);
      expect(got.equals(body)).toBe(true);
      expect(verifyBundle(got, [signer.publicKey], 'b').manifest.version).toBe('2026.12.3');
      await expect(fetchBundle(`${base}/missing.mhb`)).rejects.toThrow(/HTTP 404/);
      await expect(fetchBundle(`${base}/huge.mhb`)).rejects.toThrow(/larger than 64 MiB/);
      await expect(fetchBundle('file:///etc/passwd')).rejects.toThrow(/only http and https/);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
