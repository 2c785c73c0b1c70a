// End-to-end: a team signs its own rule bundle and installs it the way a user would
// (keygen → pack → update --trust → list), a scan then uses the installed rules, and a tampered
// or foreign-signed bundle is refused with exit 2 and the installed set left as it was.
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli, runCliJson, REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';

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

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-rules-update-');
  env = { XDG_DATA_HOME: path.join(dir, 'data'), XDG_CACHE_HOME: path.join(dir, 'cache') };
  await cp(path.join(REPO_ROOT, 'rules'), path.join(dir, 'rules'), { recursive: true });
  await writeFile(path.join(dir, 'rules', 'team-extra.yar'), EXTRA_RULE);
  await writeFile(path.join(dir, 'sample.txt'), `config for the miner: ${MARKER}\n`);
}, 180_000);

afterAll(async () => {
  server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
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

  it('refuses a tampered bundle and one signed by another key with exit 2, keeping the installed set', async () => {
    const bundle = path.join(dir, 'team.mhb');
    const env2 = JSON.parse(await readFile(bundle, 'utf8')) as { files: Record<string, string> };
    const data = Buffer.from(env2.files['rules/team-extra.yar']!, 'base64');
    data[0] = data[0]! ^ 1;
    env2.files['rules/team-extra.yar'] = data.toString('base64');
    const tampered = path.join(dir, 'tampered.mhb');
    await writeFile(tampered, JSON.stringify(env2));
    const trust = path.join(dir, 'keys', 'minehunter-rules.pub');
    const bad = await cli(['rules', 'update', '--bundle', tampered, '--trust', trust, '--force']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('rules/team-extra.yar was modified');

    // The built-in release key did not sign this bundle.
    const foreign = await cli(['rules', 'update', '--bundle', bundle]);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('bad signature');

    const zh = await cli(['--lang', 'zh-CN', 'rules', 'update', '--bundle', bundle]);
    expect(zh.code).toBe(2);
    expect(zh.stderr).toContain('签名无效');

    const list = await cli(['rules', 'list']);
    expect(list.stdout).toContain('version 2026.12.3');
  }, 120_000);

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
    expect((JSON.parse(list.stdout) as { version: string }).version).toBe('2026.11.1');
  }, 120_000);
});
