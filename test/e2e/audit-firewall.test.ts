// End-to-end: `minehunter audit` reads real rulesets loaded into private network namespaces (so the
// host's own firewall is never touched): SMB blocked both ways passes, a firewall that forgets
// outbound SMB fails, no ruleset at all fails as "no firewall". The namespaces are deleted after.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, REPO_ROOT, ensureBuilt } from '../helpers/cli.js';
import { acquireHostLock } from '../helpers/host-lock.js';

const exec = promisify(execFile);
const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/firewall');
const namespaces: string[] = [];
let release: (() => Promise<void>) | undefined;

interface CheckJson {
  id: string;
  status: string;
  message: { en: string; 'zh-CN': string };
  evidence: Array<{ type: string; field?: string; value?: string }>;
  fix: { command: string };
}

async function namespaceWith(name: string, load: (ns: string) => Promise<void>): Promise<string> {
  const ns = `mh-audit-${process.pid}-${name}`;
  await exec('ip', ['netns', 'add', ns]);
  namespaces.push(ns);
  await load(ns);
  return ns;
}

async function auditIn(ns: string): Promise<{ code: number; checks: Map<string, CheckJson> }> {
  const args = [
    'netns',
    'exec',
    ns,
    process.execPath,
    CLI_PATH,
    'audit',
    '--format',
    'json',
    '--no-login-tests',
  ];
  args.push('--only', 'firewall-active,smb-ports-blocked', '--fail-on', 'high');
  const r = await exec('ip', args, { cwd: REPO_ROOT, maxBuffer: 16 << 20 }).then(
    (x) => ({ ...x, code: 0 }),
    (e: { stdout: string; stderr: string; code: number }) => e,
  );
  const report = JSON.parse(r.stdout) as { checks: CheckJson[] };
  return { code: r.code, checks: new Map(report.checks.map((c) => [c.id, c])) };
}

const nftFile = (file: string) => async (ns: string) => {
  await exec('ip', ['netns', 'exec', ns, 'nft', '-f', path.join(FIXTURES, file)]);
};

let blocked: Awaited<ReturnType<typeof auditIn>>;
let inboundOnly: Awaited<ReturnType<typeof auditIn>>;
let none: Awaited<ReturnType<typeof auditIn>>;
let iptables: Awaited<ReturnType<typeof auditIn>>;

beforeAll(async () => {
  await ensureBuilt();
  // Each audit run collects a snapshot of the host: keep out of the way of tests that measure CPU.
  release = await acquireHostLock();
  const [a, b, c, d] = await Promise.all([
    namespaceWith('blocked', nftFile('smb-blocked.nft')),
    namespaceWith('inbound', nftFile('smb-inbound-only.nft')),
    namespaceWith('none', async () => undefined),
    namespaceWith('ipt', async (ns) => {
      const rules = path.join(FIXTURES, 'iptables-smb.rules');
      await exec('sh', [
        '-c',
        `ip netns exec ${ns} iptables-restore < '${rules}' && ip netns exec ${ns} ip6tables-restore < '${rules}'`,
      ]);
    }),
  ]);
  // One after another: each run collects a snapshot, and the machine has two cores.
  blocked = await auditIn(a);
  inboundOnly = await auditIn(b);
  none = await auditIn(c);
  iptables = await auditIn(d);
}, 180_000);

afterAll(async () => {
  for (const ns of namespaces) await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
  await release?.();
  const left = (await exec('ip', ['netns', 'list'])).stdout;
  expect(left).not.toContain(`mh-audit-${process.pid}-`);
});

describe('audit of real rulesets in network namespaces', () => {
  it('nft: blocking 135/137-139/445 both ways passes', () => {
    expect(
      blocked.checks.get('smb-ports-blocked')?.status,
      blocked.checks.get('smb-ports-blocked')?.message.en,
    ).toBe('pass');
    expect(blocked.checks.get('firewall-active')?.status).toBe('pass');
    expect(blocked.code).toBe(0);
  });

  it('nft: an inbound-only firewall with a LAN exception fails and names what is open', () => {
    const smb = inboundOnly.checks.get('smb-ports-blocked')!;
    expect(smb.status).toBe('fail');
    const open = smb.evidence.filter((e) => e.field === 'not blocked').map((e) => e.value);
    expect(open).toContain('in tcp/445 IPv4');
    expect(open).toContain('out udp/137 IPv4');
    expect(open).not.toContain('in tcp/139 IPv4');
    expect(smb.fix.command).toContain("th dport '{ 135, 137-139, 445 }' drop");
    expect(inboundOnly.checks.get('firewall-active')?.status).toBe('pass');
    expect(inboundOnly.code).toBe(1);
  });

  it('no ruleset at all fails as "no firewall"', () => {
    const fw = none.checks.get('firewall-active')!;
    expect(fw.status).toBe('fail');
    expect(fw.message.en).toMatch(/^No firewall/);
    expect(fw.message['zh-CN']).toMatch(/^没有防火墙/);
    expect(none.checks.get('smb-ports-blocked')?.status).toBe('fail');
    expect(none.code).toBe(1);
  });

  it('iptables (nf_tables backend): rules loaded with iptables-restore are read through iptables-save', () => {
    const smb = iptables.checks.get('smb-ports-blocked')!;
    expect(smb.status, JSON.stringify(smb.evidence)).toBe('pass');
    expect(smb.evidence.map((e) => e.value)).toContain('iptables-save (nf_tables)');
  });
});
