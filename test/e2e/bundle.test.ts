// End-to-end: the bundle ./minehunter runs (scripts/bundle.mjs) is the same program as the modules
// tsc built. Scans of fixture roots give the same reports from both, through the content scan's
// workers, the rules, the IOC lists and the dpkg records they look up beside their own files;
// the wrapper script runs the bundle, and falls back to dist/cli/main.js once dist/ is newer.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_PATH,
  DIST_CLI_PATH,
  REPO_ROOT,
  cliEnv,
  runCli,
  ensureBuilt,
  runCliJson,
  type ReportJson,
} from '../helpers/cli.js';

const execFileP = promisify(execFile);
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/roots');

/** What a reader of the report checks: verdict, and each finding's detector, level and subject. */
function essentials(report: ReportJson) {
  return {
    verdict: report.verdict,
    findings: report.findings
      .map((f) => `${f.fingerprint} ${f.ruleId} ${f.level} ${f.kind ?? ''} ${f.title.en}`)
      .sort(),
    collection: (report.collection as { collector: string; status: string }[]).map(
      (c) => `${c.collector} ${c.status}`,
    ),
  };
}

beforeAll(async () => {
  await ensureBuilt();
}, 300_000);

describe('the bundle', () => {
  it('is built beside dist/ as one entry and a few chunks, not a file per module', () => {
    expect(existsSync(BUNDLE_PATH)).toBe(true);
    const files = readdirSync(path.dirname(BUNDLE_PATH));
    const modules = readdirSync(path.join(REPO_ROOT, 'dist'), { recursive: true }).filter(
      (f) => String(f).endsWith('.js') && !String(f).startsWith('bundle'),
    );
    expect(files.length).toBeLessThan(modules.length / 2);
  });

  it("starts the process walk's and the content scan's workers from their bundles beside it", () => {
    const dir = path.dirname(BUNDLE_PATH);
    const code = readdirSync(dir)
      .map((f) => readFileSync(path.join(dir, f), 'utf8'))
      .join('\n');
    for (const worker of ['proc-worker', 'scan-worker']) {
      expect(existsSync(path.join(dir, `${worker}.js`))).toBe(true);
      // The chunk's own URL, not the URL of the module in dist/ it came from.
      expect(code).toContain(`new URL("./${worker}.js", import.meta["url"])`);
    }
  });

  it('scans the fixture roots to the same reports as dist/cli/main.js', async () => {
    for (const [fixture, expected] of [
      ['miner-host', 'miner-process-name'],
      ['campaign', 'content-match'],
      ['web-host', 'web-injection-place'],
    ] as const) {
      const args = ['scan', '--root', path.join(FIXTURES, fixture), '--no-cache', '--format', 'json'];
      const [bundled, modules] = await Promise.all([
        runCliJson([...args, '--fail-on', 'none'], { cli: BUNDLE_PATH, timeoutMs: 120_000 }),
        runCliJson([...args, '--fail-on', 'none'], { cli: DIST_CLI_PATH, timeoutMs: 120_000 }),
      ]);
      expect(bundled.code, bundled.stderr).toBe(0);
      expect(essentials(bundled.json)).toEqual(essentials(modules.json));
      // And each is a real scan: what the fixture plants is found (the content scan's YARA rules
      // in the campaign, the CMS injection places in the web root).
      expect(bundled.json.findings.map((f) => f.ruleId)).toContain(expected);
    }
  }, 240_000);

  it("keeps zod's English messages, and only those: a malformed snapshot is reported as dist reports it", async () => {
    const dir = path.dirname(BUNDLE_PATH);
    const locales = readdirSync(dir).flatMap((f) =>
      readFileSync(path.join(dir, f), 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('// node_modules/zod/v4/locales/')),
    );
    expect(locales).toEqual(['// node_modules/zod/v4/locales/en.js']);

    const home = await mkdtemp(path.join(tmpdir(), 'minehunter-bundle-'));
    try {
      const collected = await runCliJson(
        ['collect', '--root', path.join(FIXTURES, 'miner-host'), '--no-cache'],
        {
          cli: BUNDLE_PATH,
          timeoutMs: 120_000,
        },
      );
      const snapshot = path.join(home, 'snapshot.json');
      writeFileSync(snapshot, JSON.stringify({ ...collected.json, processes: 42 }));
      const analyze = async (cli: string) => {
        const { code, stderr } = await runCli(['analyze', snapshot], { cli, timeoutMs: 120_000 });
        return `${code} ${stderr}`;
      };
      const [bundled, modules] = await Promise.all([analyze(BUNDLE_PATH), analyze(DIST_CLI_PATH)]);
      expect(bundled).toContain('processes: Invalid input: expected array, received number');
      expect(bundled).toBe(modules);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }, 240_000);

  it('loads zod only for a file it reads back: a warm scan never does', async () => {
    // zod is its own file beside the chunks (scripts/bundle.mjs), required on first use; whether a
    // run required it is in Node's module cache as the run ends.
    const dir = await mkdtemp(path.join(tmpdir(), 'minehunter-bundle-zod-'));
    try {
      const preload = path.join(dir, 'zod-loaded.cjs');
      writeFileSync(
        preload,
        [
          "const { writeFileSync } = require('node:fs');",
          "const { isMainThread } = require('node:worker_threads');",
          'if (isMainThread) process.on("exit", () => writeFileSync(process.env.ZOD_LOADED_OUT,',
          '  String(Object.keys(require.cache).some((k) => k.endsWith("zod.cjs")))));',
        ].join('\n'),
      );
      let run = 0;
      const zodLoaded = async (args: string[]): Promise<string> => {
        const out = path.join(dir, `run-${++run}`);
        const { code, stderr } = await runCli(args, {
          cli: BUNDLE_PATH,
          timeoutMs: 120_000,
          // Its own cache: the first scan parses the IOC lists (with zod) and keeps the parses.
          env: { NODE_OPTIONS: `--require ${preload}`, ZOD_LOADED_OUT: out, XDG_CACHE_HOME: dir },
        });
        expect(code, stderr).toBe(0);
        return readFileSync(out, 'utf8');
      };
      const scan = [
        'scan',
        '--root',
        path.join(FIXTURES, 'campaign'),
        '--format',
        'json',
        '--fail-on',
        'none',
      ];
      expect(await zodLoaded(scan)).toBe('true');
      expect(await zodLoaded(scan)).toBe('false');
      expect(await zodLoaded([...scan, '--no-content'])).toBe('false');
      // A snapshot read back is checked against the schemas, with zod.
      const snapshot = path.join(dir, 'snapshot.json');
      expect(await zodLoaded(['collect', '--root', path.join(FIXTURES, 'campaign'), '-o', snapshot])).toBe(
        'false',
      );
      expect(await zodLoaded(['analyze', snapshot, '--format', 'json', '--fail-on', 'none'])).toBe('true');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('is what ./minehunter runs, until dist/ is compiled again after it', async () => {
    const wrapper = path.join(REPO_ROOT, 'minehunter');
    const ran = async () => {
      const { stderr } = await execFileP('sh', ['-x', wrapper, '--version'], { env: await cliEnv() });
      return stderr.split('\n').find((l) => l.startsWith('+ exec node '));
    };
    expect(await ran()).toBe(`+ exec node ${BUNDLE_PATH} --version`);
    // tsc run by hand (not npm run build) leaves the bundle behind: the wrapper runs what tsc built.
    const { atime, mtime } = statSync(DIST_CLI_PATH);
    try {
      const later = new Date(statSync(BUNDLE_PATH).mtimeMs + 60_000);
      utimesSync(DIST_CLI_PATH, later, later);
      expect(await ran()).toBe(`+ exec node ${DIST_CLI_PATH} --version`);
    } finally {
      utimesSync(DIST_CLI_PATH, atime, mtime);
    }
  });

  it('runs Node without NODE_EXTRA_CA_CERTS and hands the path on as MINEHUNTER_EXTRA_CA_CERTS', async () => {
    // Node warns at start-up when it cannot load the file; through the wrapper it never tries.
    const missing = path.join(tmpdir(), 'minehunter-no-such-ca.pem');
    const env = { ...(await cliEnv()), NODE_EXTRA_CA_CERTS: missing };
    const direct = await execFileP(process.execPath, [BUNDLE_PATH, '--version'], { env });
    expect(direct.stderr).toContain('Ignoring extra certs');
    const wrapped = await execFileP('sh', ['-x', path.join(REPO_ROOT, 'minehunter'), '--version'], { env });
    expect(wrapped.stderr).not.toContain('Ignoring extra certs');
    expect(wrapped.stderr).toContain(`MINEHUNTER_EXTRA_CA_CERTS=${missing}`);
    expect(wrapped.stderr).toContain('unset NODE_EXTRA_CA_CERTS');
  });
});
