// Blocking is reversible and touches only our own rule: run for real with nftables inside a fresh
// network namespace (`unshare -n`), so the host's firewall is never changed.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ruleSpec } from './firewall.js';

const execFileP = promisify(execFile);
const FIREWALL = fileURLToPath(new URL('./firewall.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));

describe('ruleSpec', () => {
  it('matches address and TCP port for nft and iptables, IPv4 and IPv6', () => {
    expect(ruleSpec('nft', '203.0.113.7', 3333)).toEqual([
      'ip',
      'daddr',
      '203.0.113.7',
      'tcp',
      'dport',
      '3333',
    ]);
    expect(ruleSpec('nft', '2001:db8::7', undefined)).toEqual(['ip6', 'daddr', '2001:db8::7']);
    expect(ruleSpec('iptables', '203.0.113.7', 3333)).toEqual([
      '-d',
      '203.0.113.7',
      '-p',
      'tcp',
      '--dport',
      '3333',
    ]);
  });
});

describe('blockAddress / unblock in a private network namespace', () => {
  it('adds one nft rule with our comment and removes exactly it', async () => {
    const script = `
      import { blockAddress, unblock } from ${JSON.stringify(FIREWALL)};
      import { execFileSync } from 'node:child_process';
      const list = () => execFileSync('nft', ['list', 'ruleset']).toString();
      const rule = await blockAddress('203.0.113.7', 3333, 'minehunter-test-1');
      const during = list();
      await unblock(rule);
      console.log(JSON.stringify({ rule, during, after: list() }));
    `;
    const { stdout } = await execFileP('unshare', [
      '-n',
      process.execPath,
      '--import',
      TSX,
      '--input-type=module',
      '-e',
      script,
    ]);
    const out = JSON.parse(stdout) as { rule: { tool: string }; during: string; after: string };
    expect(out.rule.tool).toBe('nft');
    expect(out.during).toMatch(/ip daddr 203\.0\.113\.7 tcp dport 3333 drop comment "minehunter-test-1"/);
    expect(out.after).not.toContain('minehunter-test-1');
  });
});
