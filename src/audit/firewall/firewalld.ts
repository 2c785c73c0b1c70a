// What a firewalld zone opens, judged from its saved facts: the ports of the services of interest and
// which of them a zone's plain ports, services, rich rules or ACCEPT target let in. Pure, so the SMB
// check reads it without reaching into the collector that parsed the zone files.
import type { FirewalldZone } from '../../snapshot/audit.js';

/** Ports the firewalld services of interest open (from their /usr/lib/firewalld/services files). */
export const SERVICE_PORTS: Record<string, string[]> = {
  samba: ['137/udp', '138/udp', '139/tcp', '445/tcp'],
  'samba-client': ['137/udp', '138/udp'],
  'samba-dc': ['135/tcp', '137/udp', '138/udp', '139/tcp', '445/tcp'],
};

/** Ports 135/137-139/445 a zone opens (plain ports, services, port ranges, accepting rich rules). */
export function smbOpenings(
  zone: FirewalldZone,
  smbPorts: readonly number[],
): { port: string; rule: string }[] {
  const hits: { port: string; rule: string }[] = [];
  const covers = (spec: string): boolean => {
    const m = /^(\d+)(?:-(\d+))?\//.exec(spec);
    if (!m) return false;
    const lo = Number(m[1]);
    const hi = Number(m[2] ?? m[1]);
    return smbPorts.some((p) => p >= lo && p <= hi);
  };
  for (const p of zone.ports)
    if (covers(p))
      hits.push({ port: p, rule: `<port port="${p.split('/')[0]}" protocol="${p.split('/')[1]}"/>` });
  for (const s of zone.services)
    for (const p of SERVICE_PORTS[s] ?? [])
      if (covers(p)) hits.push({ port: p, rule: `<service name="${s}"/>` });
  for (const r of zone.richRules)
    if (r.action === 'accept') for (const p of r.ports) if (covers(p)) hits.push({ port: p, rule: r.text });
  if (zone.target === 'ACCEPT') hits.push({ port: 'all', rule: `<zone target="ACCEPT">` });
  return hits;
}
