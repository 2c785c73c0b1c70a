// firewalld's saved configuration (RHEL-family hosts): the default zone from firewalld.conf and each
// zone's services, ports and rich rules from /etc/firewalld/zones/*.xml (falling back to the shipped
// /usr/lib/firewalld/zones for a zone the admin never changed). Read as text with a small tag
// scanner, as zone files are flat and a full XML parser would be one more dependency. Files only, so
// an offline root's zones are read as well as the running system's.
import { SERVICE_PORTS } from '../../audit/firewall/firewalld.js';
import type { FirewallFacts, FirewalldZone } from '../../snapshot/audit.js';
import type { TargetFs } from '../../target/fs.js';

const attrs = (tag: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const m of tag.matchAll(/([\w-]+)\s*=\s*"([^"]*)"/g)) out.set(m[1]!, m[2]!);
  return out;
};

export function parseFirewalldConf(text: string): string | undefined {
  return /^\s*DefaultZone\s*=\s*(\S+)/m.exec(text)?.[1];
}

/** One zone file; rich rules keep their own text (the evidence) and what they open. */
export function parseZoneXml(name: string, file: string, xml: string): FirewalldZone {
  const body = xml.replace(/<!--[\s\S]*?-->/g, '');
  const zone: FirewalldZone = { name, file, services: [], ports: [], richRules: [] };
  const target = /<zone\b[^>]*>/.exec(body)?.[0];
  const t = target ? attrs(target).get('target') : undefined;
  if (t) zone.target = t;
  const rules = [...body.matchAll(/<rule\b[\s\S]*?<\/rule>/g)].map((m) => m[0]);
  const outside = body.replace(/<rule\b[\s\S]*?<\/rule>/g, '');
  for (const m of outside.matchAll(/<service\b[^>]*>/g)) {
    const n = attrs(m[0]).get('name');
    if (n) zone.services.push(n);
  }
  for (const m of outside.matchAll(/<port\b[^>]*>/g)) {
    const a = attrs(m[0]);
    if (a.get('port')) zone.ports.push(`${a.get('port')}/${a.get('protocol') ?? 'tcp'}`);
  }
  for (const rule of rules) {
    const action = /<(accept|reject|drop|mark)\b/.exec(rule)?.[1] ?? 'none';
    const opens: string[] = [];
    for (const m of rule.matchAll(/<port\b[^>]*>/g)) {
      const a = attrs(m[0]);
      if (a.get('port')) opens.push(`${a.get('port')}/${a.get('protocol') ?? 'tcp'}`);
    }
    for (const m of rule.matchAll(/<service\b[^>]*>/g))
      opens.push(...(SERVICE_PORTS[attrs(m[0]).get('name') ?? ''] ?? []));
    const source = /<source\b[^>]*>/.exec(rule)?.[0];
    zone.richRules.push({
      text: rule.replace(/\s+/g, ' ').trim(),
      action,
      ports: opens,
      ...(source
        ? { source: attrs(source).get('address') ?? attrs(source).get('ipset') ?? 'restricted' }
        : {}),
    });
  }
  return zone;
}

/** The saved zones and default zone; undefined when firewalld has no configuration in the root. */
export async function collectFirewalldConfig(
  fs: TargetFs,
): Promise<{ defaultZone?: string; zones: FirewalldZone[] } | undefined> {
  const conf = await fs.text('/etc/firewalld/firewalld.conf').catch(() => undefined);
  const own = await fs.names('/etc/firewalld/zones').catch(() => [] as string[]);
  if (conf === undefined && own.length === 0) return undefined;
  const defaultZone = conf !== undefined ? (parseFirewalldConf(conf) ?? 'public') : undefined;
  const zones: FirewalldZone[] = [];
  const names = new Set(own.filter((n) => n.endsWith('.xml')).map((n) => n.slice(0, -4)));
  // The zones that decide SMB exposure are read even when only the shipped copy exists.
  for (const n of [defaultZone ?? 'public', 'public']) names.add(n);
  for (const n of [...names].sort()) {
    for (const dir of ['/etc/firewalld/zones', '/usr/lib/firewalld/zones']) {
      const file = `${dir}/${n}.xml`;
      const xml = await fs.text(file).catch(() => undefined);
      if (xml === undefined) continue;
      zones.push(parseZoneXml(n, file, xml));
      break;
    }
  }
  return { ...(defaultZone ? { defaultZone } : {}), zones };
}

/**
 * The firewall facts of an offline root: no ruleset is loaded there (nft and iptables describe a
 * running kernel), but firewalld's saved zones say what the system opens once it boots. Undefined
 * when the root has no firewalld configuration, so the part stays "skipped" rather than empty.
 */
export async function collectSavedFirewall(fs: TargetFs): Promise<FirewallFacts | undefined> {
  const saved = await collectFirewalldConfig(fs);
  if (!saved) return undefined;
  return {
    iptables: [],
    iptablesErrors: [],
    // Not knowable offline; no ruleset is evaluated for it either.
    ipv6Enabled: false,
    firewalld: { installed: await fs.exists('/usr/sbin/firewalld'), ...saved },
  };
}
