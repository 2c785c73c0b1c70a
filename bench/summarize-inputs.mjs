// The reports of a generated fleet, for `summarize`'s benchmark and end-to-end tests: the built CLI
// scans three fixture roots once (an infected web server, a Kubernetes node whose miner names a
// wallet, a clean host), and copies of those real reports become N hosts' reports with their own
// hostnames, collection times and, for some, other wallets. Some hosts get two reports (an earlier
// clean one), so merging is exercised. Returns what the overview must then count.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Shares of the fleet, by host (not by file). */
const INFECTED_WEB = 0.25;
const INFECTED_NODE = 0.1;
const MERGED = 0.03;
const T0 = Date.parse('2026-11-01T00:00:00.000Z');

/** Runs `scan --format json` of a fixture root and returns the parsed report. */
async function scanFixture(repo, cli, root, env) {
  const { stdout } = await execFileP(
    process.execPath,
    [
      cli,
      'scan',
      '--root',
      path.join(repo, 'test/fixtures/roots', root),
      '--no-cache',
      '--fail-on',
      'none',
      '--format',
      'json',
      '-q',
    ],
    { cwd: repo, env, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout);
}

/** A wallet of the same shape as `wallet` (same length and prefix), told apart by `n`. */
function walletVariant(wallet, n) {
  const tag = `Fleet${String(n).padStart(5, '0')}`;
  return wallet.slice(0, wallet.length - tag.length) + tag;
}

const pad = (i) => String(i).padStart(4, '0');
const at = (minutes) => new Date(T0 + minutes * 60_000).toISOString();

/**
 * Writes `reports` report files (default 1000) into `dir` (report-NNNN.json). `cli` is the built
 * dist/cli/main.js, `env` the environment its scans run with.
 */
export async function generateFleet({ repo, cli, dir, reports = 1000, env = process.env }) {
  const [web, node, clean] = await Promise.all(
    ['miner-host', 'container-node', 'clean-host'].map((root) => scanFixture(repo, cli, root, env)),
  );
  const wallet = node.verdict.running?.flatMap((p) => p.wallets)[0];
  if (!wallet) throw new Error('the container-node fixture no longer names a wallet');
  const merged = Math.round(reports * MERGED);
  const hosts = reports - merged;
  const nWeb = Math.round(hosts * INFECTED_WEB);
  const nNode = Math.round(hosts * INFECTED_NODE);
  const nClean = hosts - nWeb - nNode;
  // Node hosts: half keep the fixture's wallet, a fifth share a second one, the rest have their own.
  const sharedB = walletVariant(wallet, 0);
  const keepWallet = Math.round(nNode / 2);
  const secondWallet = Math.round(nNode / 5);
  const webText = JSON.stringify(web);
  const nodeText = JSON.stringify(node);
  const cleanText = JSON.stringify(clean);
  const files = [];
  const write = (text, hostname, minutes) => {
    const r = JSON.parse(text);
    r.host.hostname = hostname;
    r.collectedAt = at(minutes);
    r.generatedAt = at(minutes + 0.05);
    const file = path.join(dir, `report-${pad(files.length)}.json`);
    files.push(file);
    return writeFile(file, JSON.stringify(r, null, 2));
  };
  const writes = [];
  for (let i = 0; i < nWeb; i++) writes.push(write(webText, `web-${pad(i)}`, 60 * 24 + i));
  for (let i = 0; i < merged; i++) writes.push(write(cleanText, `web-${pad(i)}`, i));
  for (let i = 0; i < nNode; i++) {
    const w =
      i < keepWallet ? wallet : i < keepWallet + secondWallet ? sharedB : walletVariant(wallet, i + 1);
    writes.push(write(nodeText.replaceAll(wallet, w), `node-${pad(i)}`, 60 * 24 + i));
  }
  for (let i = 0; i < nClean; i++) writes.push(write(cleanText, `db-${pad(i)}`, 60 * 24 + i));
  await Promise.all(writes);
  const minerSha = web.findings
    .flatMap((f) => f.evidence)
    .find((e) => e.type === 'process' && e.exeSha256)?.exeSha256;
  return {
    files,
    expected: {
      reports,
      hosts,
      infectedWeb: nWeb,
      infectedNode: nNode,
      clean: nClean,
      /** The verdict the clean fixture's report gives (an offline root reads as incomplete). */
      cleanStatus: clean.verdict.status,
      merged,
      webKinds: web.verdict.kinds.map((k) => k.kind),
      nodeKinds: node.verdict.kinds.map((k) => k.kind),
      minerSha,
      wallet,
      walletHosts: keepWallet,
      sharedWallet: sharedB,
      sharedWalletHosts: secondWallet,
      ownWallets: nNode - keepWallet - secondWallet,
    },
  };
}
