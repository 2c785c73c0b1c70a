// firewalld's saved configuration (RHEL-family hosts): the default zone from firewalld.conf and each
// zone's services, ports and rich rules from /etc/firewalld/zones/*.xml (falling back to the shipped
// /usr/lib/firewalld/zones for a zone the admin never changed). Read as text with a small tag
// scanner (util/xml-scan.ts, linear in the file's length: a zone file on a hostile disk may be
// anything), as zone files are flat and a full XML parser would be one more dependency. Files only,
// so an offline root's zones are read as well as the running system's.
import { SERVICE_PORTS } from '../../audit/firewall/firewalld.js';
import type { FirewallFacts, FirewalldZone } from '../../snapshot/audit.js';
import type { TargetFs } from '../../target/fs.js';
import {
  elements,
  firstTag,
  startTags,
  tagAttributes,
  withoutComments,
  type Element,
} from '../../util/xml-scan.js';

export function parseFirewalldConf(text: string): string | undefined {
  // Blanks, not \s: a multiline ^\s* rescans every following line for each line of a file of
  // blank lines (quadratic; a hostile 160 KB took 15 s).
  return /^[ \t]*DefaultZone[ \t]*=[ \t]*(\S+)/m.exec(text)?.[1];
}

/** `port/protocol` of each `<port …>` tag in `text`. */
function portsIn(text: string): string[] {
  const out: string[] = [];
  for (const { tag } of startTags(text, 'port')) {
    const a = tagAttributes(tag);
    if (a.get('port')) out.push(`${a.get('port')}/${a.get('protocol') ?? 'tcp'}`);
  }
  return out;
}

/** One zone file; rich rules keep their own text (the evidence) and what they open. */
export function parseZoneXml(name: string, file: string, xml: string): FirewalldZone {
  const body = withoutComments(xml);
  const zone: FirewalldZone = { name, file, services: [], ports: [], richRules: [] };
  const target = firstTag(body, 'zone');
  const t = target ? tagAttributes(target.tag).get('target') : undefined;
  if (t) zone.target = t;
  const rules = [...elements(body, 'rule')];
  // The zone's own services and ports: the text between the rich rules.
  const outside = rules.map((r, k) => body.slice(k === 0 ? 0 : (rules[k - 1] as Element).end, r.start));
  outside.push(body.slice(rules.length ? (rules[rules.length - 1] as Element).end : 0));
  for (const part of outside) {
    for (const { tag } of startTags(part, 'service')) {
      const n = tagAttributes(tag).get('name');
      if (n) zone.services.push(n);
    }
    zone.ports.push(...portsIn(part));
  }
  for (const { text: rule } of rules) {
    const action = /<(accept|reject|drop|mark)\b/.exec(rule)?.[1] ?? 'none';
    const opens = portsIn(rule);
    for (const { tag } of startTags(rule, 'service'))
      opens.push(...(SERVICE_PORTS[tagAttributes(tag).get('name') ?? ''] ?? []));
    const source = firstTag(rule, 'source');
    const sourceAttrs = source ? tagAttributes(source.tag) : undefined;
    zone.richRules.push({
      text: rule.replace(/\s+/g, ' ').trim(),
      action,
      ports: opens,
      ...(sourceAttrs
        ? { source: sourceAttrs.get('address') ?? sourceAttrs.get('ipset') ?? 'restricted' }
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
