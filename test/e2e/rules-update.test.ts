// End-to-end: a team signs its own rule bundle and installs it the way a user would
// (keygen → pack → update --trust → list), a scan then uses the installed rules; nothing minehunter
// keeps (store, cache, compiled rules) holds a rule string in clear; a tampered, truncated,
// foreign-signed or older bundle is refused with exit 2 and the store left byte-identical; rollback
// returns to the replaced set; and a scan never reports minehunter's own rule store or cache.
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, ensureBuilt, runCli, runCliJson, REPO_ROOT } from '../helpers/cli.js';
import { acquireHostLock } from '../helpers/host-lock.js';
import { makeTempDir } from '../helpers/lookalike.js';
import { makeTestCa } from '../helpers/rsyslog.js';
import { clearHits, fileCount, hashTree, ruleStrings } from '../helpers/rule-strings.js';

const execFileP = promisify(execFile);

const MARKER = 'minehunter-bundle-e2e-marker-7f3a91';
const EXTRA_RULE = `rule MH_Test_Bundle_Marker
{
    meta:
        description = "Test rule added by a signed bundle"
        kind = "open-source-miner"
        level = "high"
        date = "2026-12-03"
        author = "minehunter tests"
    strings:
        $a = "${MARKER}" ascii
    condition:
        $a
}
`;

let dir: string;
let env: NodeJS.ProcessEnv;
let server: Server | undefined;
let releaseHostLock: (() => Promise<void>) | undefined;

const store = () => path.join(dir, 'data', 'minehunter', 'rules');

beforeAll(async () => {
  await ensureBuilt();
  // Copies of the rules and a sample with a rule's marker lie under /tmp while this file runs.
  releaseHostLock = await acquireHostLock();
  dir = await makeTempDir('minehunter-rules-update-');
  env = { XDG_DATA_HOME: path.join(dir, 'data'), XDG_CACHE_HOME: path.join(dir, 'cache') };
  await cp(path.join(REPO_ROOT, 'rules'), path.join(dir, 'rules'), { recursive: true });
  await writeFile(path.join(dir, 'rules', 'team-extra.yar'), EXTRA_RULE);
  await writeFile(path.join(dir, 'sample.txt'), `config for the miner: ${MARKER}\n`);
}, 180_000);

afterAll(async () => {
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  await releaseHostLock?.();
});

const cli = (args: string[]) => runCli(args, { env, timeoutMs: 120_000 });

describe('rules keygen, pack, update and list', () => {
  it('installs a bundle signed by a pinned key and a scan then uses its rules', async () => {
    const keygen = await cli(['rules', 'keygen', '-o', path.join(dir, 'keys')]);
    expect(keygen.code, keygen.stderr).toBe(0);
    expect(keygen.stdout).toMatch(/key id [0-9a-f]{16}/);

    const bundle = path.join(dir, 'team.mhb');
    const pack = await cli([
      'rules',
      'pack',
      '--key',
      path.join(dir, 'keys', 'minehunter-rules.key'),
      '-o',
      bundle,
      '--bundle-version',
      '2026.12.3',
      '--rules-dir',
      path.join(dir, 'rules'),
      '--source',
      'minehunter tests',
    ]);
    expect(pack.code, pack.stderr).toBe(0);
    expect(pack.stdout).toContain('version 2026.12.3');

    const trust = path.join(dir, 'keys', 'minehunter-rules.pub');
    const update = await cli(['rules', 'update', '--bundle', bundle, '--trust', trust]);
    expect(update.code, update.stderr).toBe(0);
    expect(update.stdout).toContain('installed version 2026.12.3');

    const list = await cli(['rules', 'list']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('installed bundle, version 2026.12.3');
    expect(list.stdout).toContain('source: minehunter tests');
    expect(list.stdout).toMatch(/rules\/team-extra\.yar\s+1 rules/);
    expect(list.stdout).toMatch(/iocs\/pool-ports\.yml\s+\d+ IOC entries/);

    const scan = await runCliJson(['scan', '--path', path.join(dir, 'sample.txt'), '--format', 'json'], {
      env,
      timeoutMs: 120_000,
    });
    const sample = path.join(dir, 'sample.txt');
    const hit = scan.json.findings.find((f) =>
      `${f.ruleId} ${JSON.stringify(f.evidence)}`.includes('MH_Test_Bundle_Marker'),
    );
    expect(hit, JSON.stringify(scan.json.findings.map((f) => f.ruleId))).toBeDefined();
    expect(hit!.evidence.some((e) => e.type === 'file' && e.path === sample)).toBe(true);
  }, 300_000);

  it('keeps no rule or indicator string in clear in the store, the scan cache or the compiled rules', () => {
    const strings = ruleStrings(path.join(dir, 'rules'), path.join(REPO_ROOT, 'iocs'));
    expect(strings).toContain('MH_Test_Bundle_Marker');
    expect(strings).toContain(MARKER);
    expect(strings.length).toBeGreaterThan(100);
    // The search finds them where they are in clear: the team's rules directory.
    expect(clearHits(path.join(dir, 'rules'), strings).length).toBeGreaterThan(100);
    const cache = path.join(dir, 'cache', 'minehunter');
    expect(fileCount(store())).toBeGreaterThan(15);
    expect(fileCount(cache)).toBeGreaterThan(1);
    expect(clearHits(store(), strings)).toEqual([]);
    expect(clearHits(cache, strings)).toEqual([]);
  });

  it('refuses a tampered, a foreign-signed, a truncated and an older bundle with exit 2, the store byte-identical', async () => {
    const bundle = path.join(dir, 'team.mhb');
    const trust = path.join(dir, 'keys', 'minehunter-rules.pub');
    const before = hashTree(store());
    const original = await readFile(bundle);

    const env2 = JSON.parse(original.toString('utf8')) as { files: Record<string, string> };
    const data = Buffer.from(env2.files['rules/team-extra.yar']!, 'base64');
    data[0] = data[0]! ^ 1;
    env2.files['rules/team-extra.yar'] = data.toString('base64');
    const tampered = path.join(dir, 'tampered.mhb');
    await writeFile(tampered, JSON.stringify(env2));
    const truncated = path.join(dir, 'truncated.mhb');
    await writeFile(truncated, original.subarray(0, original.length - 4096));
    const older = path.join(dir, 'older-file.mhb');
    const pack = await cli([
      'rules',
      'pack',
      '--key',
      path.join(dir, 'keys', 'minehunter-rules.key'),
      '-o',
      older,
      '--bundle-version',
      '2026.12.2',
    ]);
    expect(pack.code, pack.stderr).toBe(0);

    const cases: [string, string[], string, string][] = [
      ['tampered', ['--bundle', tampered, '--trust', trust], 'rules/team-extra.yar was modified', '已被修改'],
      // The built-in release key did not sign this bundle.
      ['foreign key', ['--bundle', bundle], 'bad signature', '签名无效'],
      ['truncated', ['--bundle', truncated, '--trust', trust], 'damaged or truncated', '被截断'],
      ['older', ['--bundle', older, '--trust', trust], 'older than the installed 2026.12.3', '降级'],
    ];
    for (const [what, args, en, zh] of cases) {
      const r = await cli(['rules', 'update', ...args]);
      expect(r.code, `${what}: ${r.stderr}`).toBe(2);
      expect(r.stderr, what).toContain(en);
      const rz = await cli(['--lang', 'zh-CN', 'rules', 'update', ...args]);
      expect(rz.code, what).toBe(2);
      expect(rz.stderr, what).toContain(zh);
      expect(hashTree(store()), what).toBe(before);
    }
    const list = await cli(['rules', 'list']);
    expect(list.stdout).toContain('version 2026.12.3');
  }, 180_000);

  it('downloads a bundle with --from and refuses it as older than the installed one', async () => {
    const keys = path.join(dir, 'keys');
    const older = path.join(dir, 'older.mhb');
    const pack = await cli([
      'rules',
      'pack',
      '--key',
      path.join(keys, 'minehunter-rules.key'),
      '-o',
      older,
      '--bundle-version',
      '2026.11.1',
    ]);
    expect(pack.code, pack.stderr).toBe(0);
    const body = await readFile(older);
    server = createServer((_req, res) => res.end(body));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const url = `http://127.0.0.1:${port}/older.mhb`;
    const trust = path.join(keys, 'minehunter-rules.pub');

    const refused = await cli(['rules', 'update', '--from', url, '--trust', trust]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('older than the installed 2026.12.3');

    const forced = await cli(['rules', 'update', '--from', url, '--trust', trust, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
    const list = await cli(['rules', 'list', '--format', 'json']);
    expect(JSON.parse(list.stdout) as { version: string; previous: string }).toMatchObject({
      version: '2026.11.1',
      previous: '2026.12.3',
    });
  }, 120_000);

  it('rolls back to the version the last update replaced, then refuses to go further', async () => {
    const back = await cli(['rules', 'rollback']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('rolled back from version 2026.11.1 to version 2026.12.3');
    const list = await cli(['rules', 'list']);
    expect(list.stdout).toContain('installed bundle, version 2026.12.3');
    const before = hashTree(store());
    const again = await cli(['--lang', 'zh-CN', 'rules', 'rollback']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('没有保留上一个规则集');
    expect(hashTree(store())).toBe(before);
  }, 120_000);

  it('never reports its own rule store or cache, and a copy of the rules is at most a low mention', async () => {
    await cp(path.join(REPO_ROOT, 'iocs'), path.join(dir, 'iocs-copy'), { recursive: true });
    // Clear rule files inside the store and the cache (as an older minehunter, or a user, may have
    // left them): matched if scanned, so only the exclusion of minehunter's own directories keeps
    // them out of the report.
    await cp(path.join(REPO_ROOT, 'rules', 'miners-cpu.yar'), path.join(store(), 'left-behind.yar'));
    await cp(
      path.join(REPO_ROOT, 'iocs', 'pool-ports.yml'),
      path.join(dir, 'cache', 'minehunter', 'left.yml'),
    );
    const scan = await runCliJson(['scan', '--path', dir, '--format', 'json', '--fail-on', 'none'], {
      env,
      timeoutMs: 180_000,
    });
    const files = (f: (typeof scan.json.findings)[number]) =>
      f.evidence.flatMap((e) => (e.type === 'file' && e.path ? [e.path] : []));
    const own = [store(), path.join(dir, 'cache')];
    const ownHits = scan.json.findings.filter((f) => files(f).some((p) => own.some((o) => p.startsWith(o))));
    expect(ownHits.map((f) => `${f.ruleId} ${files(f).join(' ')}`)).toEqual([]);
    const copies = scan.json.findings.filter((f) =>
      files(f).some(
        (p) => p.startsWith(path.join(dir, 'rules')) || p.startsWith(path.join(dir, 'iocs-copy')),
      ),
    );
    expect(copies.length).toBeGreaterThan(0);
    for (const f of copies) {
      expect(['low', 'info'], `${f.ruleId} ${files(f).join(' ')}`).toContain(f.level);
      expect(f.kind, f.ruleId).toBeUndefined();
    }

    // Named on purpose, the install's own rules/ and iocs/ are scanned as asked: security material
    // or a mention, no kind, never acted on (their matches prove nothing about this host).
    const shipped = await runCliJson(
      [
        'scan',
        '--path',
        path.join(REPO_ROOT, 'rules'),
        '--path',
        path.join(REPO_ROOT, 'iocs'),
        '--format',
        'json',
        '--fail-on',
        'none',
      ],
      { env, timeoutMs: 180_000 },
    );
    const named = shipped.json.findings.filter((f) => files(f).length > 0);
    expect(named.length).toBeGreaterThan(0);
    for (const f of named) {
      expect(['low', 'info'], `${f.ruleId} ${files(f).join(' ')}`).toContain(f.level);
      expect(f.kind, f.ruleId).toBeUndefined();
    }
    expect(shipped.json.verdict.status).toBe('clean');
  }, 240_000);

  it('downloads over https through ./minehunter, trusting the CA NODE_EXTRA_CA_CERTS names', async () => {
    // The wrapper keeps Node from loading the file at start-up; the download must add it itself.
    const ca = await makeTestCa(await mkdtemp(path.join(dir, 'tls-')));
    const body = await readFile(path.join(dir, 'older.mhb'));
    const secure = createHttpsServer(
      { cert: await readFile(ca.cert), key: await readFile(ca.key) },
      (_req, res) => res.end(body),
    );
    await new Promise<void>((resolve) => secure.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(secure.address() as { port: number }).port}/older.mhb`;
      const trust = path.join(dir, 'keys', 'minehunter-rules.pub');
      const {
        NODE_EXTRA_CA_CERTS: _system,
        MINEHUNTER_EXTRA_CA_CERTS: _own,
        ...base
      } = {
        ...(await cliEnv()),
        ...env,
      };
      const wrapper = (extra: NodeJS.ProcessEnv) =>
        execFileP(
          'sh',
          [path.join(REPO_ROOT, 'minehunter'), 'rules', 'update', '--from', url, '--trust', trust, '--force'],
          {
            env: { ...base, ...extra },
          },
        ).then(
          (r) => ({ code: 0, stderr: r.stderr }),
          (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
        );
      const untrusted = await wrapper({});
      expect(untrusted.code).toBe(2);
      expect(untrusted.stderr).toMatch(/download failed \(.*certificate/);
      const trusted = await wrapper({ NODE_EXTRA_CA_CERTS: ca.ca });
      expect(trusted.code, trusted.stderr).toBe(0);
      const list = await cli(['rules', 'list', '--format', 'json']);
      expect((JSON.parse(list.stdout) as { version: string }).version).toBe('2026.11.1');
    } finally {
      secure.closeAllConnections();
      await new Promise((resolve) => secure.close(resolve));
    }
  }, 120_000);
});
