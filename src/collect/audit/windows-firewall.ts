// Windows Firewall as a Windows volume's SYSTEM hive holds it (issue 22, source §3.1): each
// profile's `EnableFirewall` and the rules of `FirewallPolicy\FirewallRules`, whose values are
// strings like `v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|LPort=445|Name=…|`. Group-policy
// rules (SOFTWARE\Policies\Microsoft\WindowsFirewall\FirewallRules) use the same format and are read too.
import type { Hive, RegKey } from '../../target/windows/registry/index.js';
import {
  FIREWALL_PROFILES,
  type WindowsFirewallFacts,
  type WindowsFirewallRule,
} from '../../snapshot/audit-windows.js';
import { textOf, Values } from '../windows/registry-read.js';

/** More rules than this are not kept (a real policy has a few hundred to a few thousand). */
export const MAX_FIREWALL_RULES = 20_000;
const MAX_RAW = 1000;
const GPO_FIREWALL = 'Policies\\Microsoft\\WindowsFirewall';

/** The key each profile's settings live in (the Private profile is `StandardProfile`). */
const PROFILE_KEYS: Record<(typeof FIREWALL_PROFILES)[number], string> = {
  Domain: 'DomainProfile',
  Private: 'StandardProfile',
  Public: 'PublicProfile',
};

/**
 * Parses one rule string; undefined when it is not one (no `v2.x` version field). Unknown fields are
 * ignored, repeated ones (LPort, RPort, Profile) collected; `LPort2_10`/`LPort2_20` carry the port keywords
 * (RPC, RPC-EPMap, IPHTTPS…) newer versions write.
 */
export function parseFirewallRule(id: string, text: string): WindowsFirewallRule | undefined {
  const fields = text.split('|');
  if (!/^v\d+\.\d+$/i.test(fields[0] ?? '')) return undefined;
  const rule: WindowsFirewallRule = {
    id,
    action: 'other',
    active: false,
    direction: 'other',
    localPorts: [],
    remotePorts: [],
    profiles: [],
    raw: text.length > MAX_RAW ? text.slice(0, MAX_RAW) : text,
  };
  for (const field of fields.slice(1)) {
    const eq = field.indexOf('=');
    if (eq <= 0) continue;
    const name = field.slice(0, eq).toLowerCase();
    const value = field.slice(eq + 1);
    if (name === 'action') {
      const a = value.toLowerCase();
      rule.action = a === 'allow' ? 'allow' : a === 'block' ? 'block' : 'other';
    } else if (name === 'active') rule.active = value.toUpperCase() === 'TRUE';
    else if (name === 'dir') {
      const d = value.toLowerCase();
      rule.direction = d === 'in' ? 'in' : d === 'out' ? 'out' : 'other';
    } else if (name === 'protocol') {
      const n = Number(value);
      if (Number.isInteger(n) && n >= 0 && n <= 255) rule.protocol = n;
    } else if (name === 'lport' || name.startsWith('lport2')) {
      rule.localPorts.push(...value.split(',').filter(Boolean));
    } else if (name === 'rport' || name.startsWith('rport2')) {
      rule.remotePorts.push(...value.split(',').filter(Boolean));
    } else if (name === 'profile') rule.profiles.push(value);
    else if (name === 'name' && rule.name === undefined) rule.name = value;
  }
  return rule;
}

function rulesOf(key: RegKey | undefined, out: WindowsFirewallRule[]): number {
  let unparsed = 0;
  if (!key) return 0;
  for (const v of key.values()) {
    if (out.length >= MAX_FIREWALL_RULES) break;
    const text = textOf(v);
    const rule = text === undefined ? undefined : parseFirewallRule(v.name, text);
    if (rule) out.push(rule);
    else unparsed++;
  }
  return unparsed;
}

/** The firewall facts of the current control set (and the policy rules of SOFTWARE). */
export function readWindowsFirewall(
  system: Hive,
  controlSet: string,
  software: Hive | undefined,
): WindowsFirewallFacts {
  const rel = `${controlSet}\\Services\\SharedAccess\\Parameters\\FirewallPolicy`;
  const key = `HKLM\\SYSTEM\\${rel}`;
  const policy = system.lookup(rel);
  const gpo = software?.lookup(GPO_FIREWALL);
  const profiles = FIREWALL_PROFILES.map((profile) => {
    // A group-policy setting wins over the local one, as Windows applies them.
    const fromGpo = gpo?.subkey(PROFILE_KEYS[profile]);
    const g = fromGpo ? new Values(fromGpo).number('EnableFirewall') : undefined;
    const sub = policy?.subkey(PROFILE_KEYS[profile]);
    const n = g ?? (sub ? new Values(sub).number('EnableFirewall') : undefined);
    return {
      profile,
      key:
        g !== undefined
          ? `HKLM\\SOFTWARE\\${GPO_FIREWALL}\\${PROFILE_KEYS[profile]}`
          : `${key}\\${PROFILE_KEYS[profile]}`,
      ...(n !== undefined ? { enabled: n !== 0 } : {}),
    };
  });
  const rules: WindowsFirewallRule[] = [];
  let unparsed = rulesOf(policy?.subkey('FirewallRules'), rules);
  unparsed += rulesOf(gpo?.subkey('FirewallRules'), rules);
  return { key, profiles, rules, unparsed };
}
