// Reads the packet-filter rulesets the kernel has loaded, through the tools that print them:
// `nft -j list ruleset`, `iptables-save`, `ip6tables-save` (and the legacy variants when legacy tables
// exist), plus whether ufw and firewalld are installed. Only on a live root: rules exist only there.
// The kernel's own tables are read from /proc; the target's files through its door.
import { access, readFile } from 'node:fs/promises';
import type { FirewallFacts } from '../../snapshot/audit.js';
import type { TargetFs } from '../../target/fs.js';
import { run } from './exec.js';
import { collectFirewalldConfig } from './firewalld.js';

async function inProc(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

function backendOf(text: string): 'nf_tables' | 'legacy' | 'unknown' {
  if (/\(nf_tables\)/.test(text)) return 'nf_tables';
  if (/\(legacy\)/.test(text) || /iptables-save v[\d.]+ on/.test(text)) return 'legacy';
  return 'unknown';
}

export async function collectFirewall(fs: TargetFs): Promise<FirewallFacts> {
  const facts: FirewallFacts = {
    iptables: [],
    iptablesErrors: [],
    ipv6Enabled: await inProc('/proc/net/if_inet6'),
  };
  const nft = await run('nft', ['-j', 'list', 'ruleset']);
  if (nft.missing) facts.nftError = 'nft is not installed';
  else if (nft.error) facts.nftError = nft.error;
  else {
    try {
      facts.nft = JSON.parse(nft.stdout) as unknown;
    } catch (err) {
      facts.nftError = `nft printed something that is not JSON: ${(err as Error).message}`;
    }
  }
  const dumps: Array<{ tool: string; family: 'ip' | 'ip6' }> = [
    { tool: 'iptables-save', family: 'ip' },
    { tool: 'ip6tables-save', family: 'ip6' },
  ];
  // Legacy tables live outside nftables; listing them when none exist would load kernel modules, so
  // the legacy tools run only when the kernel already lists legacy tables.
  const legacyV4 = (await readFile('/proc/net/ip_tables_names', 'utf8').catch(() => '')).trim();
  const legacyV6 = (await readFile('/proc/net/ip6_tables_names', 'utf8').catch(() => '')).trim();
  if (legacyV4) dumps.push({ tool: 'iptables-legacy-save', family: 'ip' });
  if (legacyV6) dumps.push({ tool: 'ip6tables-legacy-save', family: 'ip6' });
  for (const d of dumps) {
    const r = await run(d.tool, []);
    if (r.missing) continue;
    if (r.error) facts.iptablesErrors.push(r.error);
    if (r.stdout.trim() === '') continue;
    const backend = d.tool.includes('legacy') ? 'legacy' : backendOf(r.stdout);
    // With legacy tables present, `iptables-save` may itself be the legacy one: keep one copy.
    if (facts.iptables.some((x) => x.family === d.family && x.text === r.stdout)) continue;
    facts.iptables.push({ family: d.family, backend, text: r.stdout });
  }
  const ufwConf = await fs.text('/etc/ufw/ufw.conf').catch(() => undefined);
  const ufwBin = (await fs.exists('/usr/sbin/ufw')) || ufwConf !== undefined;
  facts.ufw = { installed: ufwBin };
  // Blanks, not \s: see parseFirewalldConf (a file of blank lines made \s* quadratic).
  if (ufwConf !== undefined) facts.ufw.enabled = /^[ \t]*ENABLED[ \t]*=[ \t]*yes\b/im.test(ufwConf);
  facts.firewalld = { installed: await fs.exists('/usr/sbin/firewalld') };
  // Saved zones say what firewalld opens even when its rules are not (or no longer) loaded.
  const saved = await collectFirewalldConfig(fs);
  if (saved) Object.assign(facts.firewalld, saved);
  return facts;
}
