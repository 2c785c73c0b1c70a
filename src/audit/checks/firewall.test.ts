// Firewall checks over literal snapshots holding rulesets captured from a real kernel.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { makeProcess, makeSnapshot, makeSocket } from '../../../test/helpers/snapshot-builders.js';
import type { FirewallFacts } from '../../snapshot/audit.js';
import { runCheck } from '../run.js';
import { firewallActive, smbNotListening, smbPortsBlocked } from './firewall.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../../test/fixtures/firewall/${name}`, import.meta.url), 'utf8'));

function withFirewall(fw: Partial<FirewallFacts>) {
  return makeSnapshot({
    audit: { firewall: { iptables: [], iptablesErrors: [], ipv6Enabled: true, ...fw } },
  });
}

describe('firewall-active', () => {
  it('passes with an input chain that drops', () => {
    expect(runCheck(firewallActive, withFirewall({ nft: fixture('smb-inbound-only.nft.json') })).status).toBe(
      'pass',
    );
  });
  it('fails as "no firewall" on an empty ruleset, mentioning a disabled ufw', () => {
    const o = runCheck(
      firewallActive,
      withFirewall({ nft: fixture('empty.nft.json'), ufw: { installed: true, enabled: false } }),
    );
    expect(o.status).toBe('fail');
    expect(o.message.en).toMatch(/^No firewall: the ruleset is empty/);
    expect(o.evidence).toContainEqual({ type: 'match', field: 'ufw', value: 'installed, not enabled' });
  });
  it('is unknown when no ruleset could be read, and when not collected', () => {
    expect(runCheck(firewallActive, withFirewall({ nftError: 'Operation not permitted' })).status).toBe(
      'unknown',
    );
    const o = runCheck(firewallActive, makeSnapshot({}));
    expect(o.status).toBe('unknown');
    expect(o.message.en).toBe('Not collected: firewall.');
  });
});

describe('smb-ports-blocked', () => {
  it('passes when every port, protocol, direction and family is dropped', () => {
    const o = runCheck(smbPortsBlocked, withFirewall({ nft: fixture('smb-blocked.nft.json') }));
    expect(o.status).toBe('pass');
    expect(o.message.en).toContain('All 40 combinations');
  });
  it('checks IPv4 only when IPv6 is off', () => {
    const o = runCheck(
      smbPortsBlocked,
      withFirewall({ nft: fixture('smb-blocked.nft.json'), ipv6Enabled: false }),
    );
    expect(o.message.en).toContain('All 20 combinations');
  });
  it('fails and lists what is open', () => {
    const o = runCheck(smbPortsBlocked, withFirewall({ nft: fixture('smb-inbound-only.nft.json') }));
    expect(o.status).toBe('fail');
    expect(o.message.en).toMatch(/^21 of 40 port\/direction combinations are not blocked/);
    expect(o.evidence).toContainEqual({ type: 'match', field: 'not blocked', value: 'in tcp/445 IPv4' });
  });
  it('fails as no firewall on an empty ruleset', () => {
    expect(runCheck(smbPortsBlocked, withFirewall({ nft: fixture('empty.nft.json') })).message.en).toMatch(
      /^No firewall/,
    );
  });
});

describe('smb-not-listening', () => {
  it('passes when 445 listens on loopback only', () => {
    const s = makeSocket({ localAddress: '127.0.0.1', localPort: 445, state: 'LISTEN' });
    expect(runCheck(smbNotListening, makeSnapshot({ sockets: [s], processes: [] })).status).toBe('pass');
  });
  it('fails on smbd listening on 0.0.0.0:445 and a running nmbd', () => {
    const smbd = makeProcess({ pid: 700, exe: '/usr/sbin/smbd' });
    const nmbd = makeProcess({ pid: 701, exe: '/usr/sbin/nmbd' });
    const s = makeSocket({ localAddress: '0.0.0.0', localPort: 445, state: 'LISTEN', pids: [700] });
    const u = makeSocket({
      protocol: 'udp',
      localAddress: '0.0.0.0',
      localPort: 137,
      state: 'UNCONN',
      pids: [701],
    });
    const o = runCheck(smbNotListening, makeSnapshot({ sockets: [s, u], processes: [smbd, nmbd] }));
    expect(o.status).toBe('fail');
    expect(o.message.en).toBe('2 socket(s) on SMB/NetBIOS ports and 2 Samba process(es).');
  });
  it('is unknown without sockets', () => {
    expect(runCheck(smbNotListening, makeSnapshot({})).status).toBe('unknown');
  });
});
