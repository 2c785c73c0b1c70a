// Renders a scan report as a STIX 2.1 bundle for a threat-intelligence platform (OpenCTI, MISP, a
// TAXII server): minehunter as an `identity`, the scanned host as another, one `malware` instance per
// miner kind found (malware_types resource-exploitation), `indicator`s with STIX patterns for the
// hashes, pool endpoints, pool host names and wallets, the facts of each finding as `observed-data`
// over cyber observables (file, process, address, network-traffic, domain-name), a `sighting` of
// the malware (or, for a finding of no miner kind, its ATT&CK
// `attack-pattern`) on the host, and `indicates` relationships. Every id is a UUIDv5 of what
// the object is about (the finding's fingerprint, the pattern, the kind on that host, an observable's
// identifying properties as STIX specifies), so exporting the same host again gives the same ids and
// a platform merges rather than duplicates.
import { createHash } from 'node:crypto';
import type { Finding } from '../model/finding.js';
import { kindName } from './i18n.js';
import type { Report } from './model.js';
import {
  commandLine,
  domainsOf,
  endpointsOf,
  filesOf,
  isIp,
  processesOf,
  techniquesOf,
  walletsOf,
} from './export-facts.js';

type StixObject = { type: string; id: string } & Record<string, unknown>;

/** minehunter's own namespace for the ids of the objects it describes (SDOs, SROs, the bundle). */
const MINEHUNTER_NAMESPACE = '1d043306-e6fd-47ec-9eb8-0d1518e20af2';
/** The namespace STIX 2.1 §2.9 fixes for deterministic ids of cyber observables. */
const STIX_SCO_NAMESPACE = '00abedb4-aa42-466c-9c01-fed23315a9b7';

/** RFC 4122 version 5 (SHA-1, name-based) UUID. */
export function uuidv5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const bytes = createHash('sha1').update(ns).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const sdoId = (type: string, name: string) => `${type}--${uuidv5(name, MINEHUNTER_NAMESPACE)}`;

/** JSON with sorted keys: the canonical form STIX hashes an observable's identifying properties in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

function sco(type: string, props: Record<string, unknown>, idProps: string[]): StixObject {
  const contributing = Object.fromEntries(
    idProps.filter((k) => props[k] !== undefined).map((k) => [k, props[k]]),
  );
  return {
    type,
    spec_version: '2.1',
    id: `${type}--${uuidv5(canonical(contributing), STIX_SCO_NAMESPACE)}`,
    ...props,
  };
}

/** A string inside a STIX pattern: quotes and backslashes escaped. */
const quoted = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A timestamp with milliseconds, as STIX `created`/`modified` require. */
function stamp(iso: string, fallback: string): string {
  const ms = Date.parse(iso);
  return new Date(Number.isNaN(ms) ? Date.parse(fallback) || 0 : ms).toISOString();
}

interface Context {
  when: string;
  hostKey: string;
  toolId: string;
  hostId: string;
  objects: Map<string, StixObject>;
}

function add(ctx: Context, obj: StixObject): string {
  if (!ctx.objects.has(obj.id)) ctx.objects.set(obj.id, obj);
  return obj.id;
}

function sdo(ctx: Context, type: string, name: string, props: Record<string, unknown>): StixObject {
  return {
    type,
    spec_version: '2.1',
    id: sdoId(type, name),
    created: ctx.when,
    modified: ctx.when,
    created_by_ref: ctx.toolId,
    ...props,
  };
}

/** The finding's observables: files, processes (with their executables), addresses and traffic. */
function observables(ctx: Context, finding: Finding): string[] {
  const refs: string[] = [];
  const fileIds = new Map<string, string>();
  for (const f of filesOf(finding)) {
    const name = f.path.split(/[\\/]/).pop() || f.path;
    const file = sco('file', { name, ...(f.sha256 ? { hashes: { 'SHA-256': f.sha256 } } : {}) }, [
      'hashes',
      'name',
    ]);
    fileIds.set(f.path, add(ctx, file));
    refs.push(file.id);
  }
  for (const p of processesOf(finding)) {
    const image = p.exe ? fileIds.get(p.exe) : undefined;
    const props = {
      pid: p.pid,
      ...(p.argv.length > 0 ? { command_line: commandLine(p.argv) } : {}),
      ...(image ? { image_ref: image } : {}),
    };
    // Processes have no identifying properties: the id is of this host, pid and command line.
    const proc = {
      type: 'process',
      spec_version: '2.1',
      id: sdoId('process', `${ctx.hostKey}|${p.pid}|${p.argv.join('\0')}`),
      ...props,
    };
    refs.push(add(ctx, proc));
  }
  for (const e of endpointsOf(finding)) {
    const addr = sco(e.address.includes(':') ? 'ipv6-addr' : 'ipv4-addr', { value: e.address }, ['value']);
    refs.push(add(ctx, addr));
    const traffic = sco(
      'network-traffic',
      {
        dst_ref: addr.id,
        ...(e.port !== undefined ? { dst_port: e.port } : {}),
        protocols: [e.transport ?? 'tcp'],
      },
      ['dst_ref', 'dst_port', 'protocols'],
    );
    refs.push(add(ctx, traffic));
  }
  for (const d of domainsOf(finding)) refs.push(add(ctx, sco('domain-name', { value: d }, ['value'])));
  return [...new Set(refs)];
}

/** STIX patterns for what identifies this miner elsewhere: hash, pool, pool name, wallet. */
function patternsOf(finding: Finding): Array<{ name: string; pattern: string }> {
  const out: Array<{ name: string; pattern: string }> = [];
  for (const f of filesOf(finding))
    if (f.sha256)
      out.push({ name: `SHA-256 ${f.sha256}`, pattern: `[file:hashes.'SHA-256' = ${quoted(f.sha256)}]` });
  for (const e of endpointsOf(finding)) {
    if (!isIp(e.address)) continue;
    const type = e.address.includes(':') ? 'ipv6-addr' : 'ipv4-addr';
    const port = e.port !== undefined ? ` AND network-traffic:dst_port = ${e.port}` : '';
    out.push({
      name: `Mining pool ${e.address}${e.port !== undefined ? `:${e.port}` : ''}`,
      pattern: `[network-traffic:dst_ref.type = '${type}' AND network-traffic:dst_ref.value = ${quoted(e.address)}${port}]`,
    });
  }
  for (const d of domainsOf(finding))
    out.push({ name: `Mining pool ${d}`, pattern: `[domain-name:value = ${quoted(d)}]` });
  for (const w of walletsOf(finding))
    out.push({ name: `Wallet ${w}`, pattern: `[process:command_line LIKE ${quoted(`%${w}%`)}]` });
  return out;
}

const attackUrl = (id: string) => `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;

function killChain(finding: Finding): Record<string, unknown> {
  const ids = techniquesOf(finding);
  return ids.length === 0
    ? {}
    : {
        external_references: ids.map((id) => ({
          source_name: 'mitre-attack',
          external_id: id,
          url: attackUrl(id),
        })),
      };
}

/** The ATT&CK technique of a finding as an attack-pattern: the same object for every host. */
function attackPattern(ctx: Context, finding: Finding): string | undefined {
  const id = techniquesOf(finding)[0];
  if (!id) return undefined;
  return add(
    ctx,
    sdo(ctx, 'attack-pattern', `attack-pattern|${id}`, {
      name: id,
      external_references: [{ source_name: 'mitre-attack', external_id: id, url: attackUrl(id) }],
    }),
  );
}

function addFinding(ctx: Context, finding: Finding): void {
  const malwareId = finding.kind
    ? add(
        ctx,
        sdo(ctx, 'malware', `malware|${ctx.hostKey}|${finding.kind}`, {
          name: `${kindName('en', finding.kind)} (${ctx.hostKey})`,
          is_family: false,
          malware_types: ['resource-exploitation'],
          capabilities: ['compromises-system-availability'],
        }),
      )
    : undefined;
  const indicatorIds = patternsOf(finding).map(({ name, pattern }) =>
    add(
      ctx,
      sdo(ctx, 'indicator', `indicator|${pattern}`, {
        name,
        indicator_types: ['malicious-activity'],
        pattern,
        pattern_type: 'stix',
        pattern_version: '2.1',
        valid_from: ctx.when,
      }),
    ),
  );
  if (malwareId)
    for (const ind of indicatorIds)
      add(
        ctx,
        sdo(ctx, 'relationship', `indicates|${ind}|${malwareId}`, {
          relationship_type: 'indicates',
          source_ref: ind,
          target_ref: malwareId,
        }),
      );
  const refs = observables(ctx, finding);
  const observedId = refs.length
    ? add(
        ctx,
        sdo(ctx, 'observed-data', `observed|${ctx.hostKey}|${finding.fingerprint}`, {
          first_observed: ctx.when,
          last_observed: ctx.when,
          number_observed: 1,
          object_refs: refs,
        }),
      )
    : undefined;
  // A finding with no miner kind (a persistence line, a tampered file) is sighted as its ATT&CK
  // technique, or as what identifies it; one with neither stays an observation.
  const sighted = malwareId ?? attackPattern(ctx, finding) ?? indicatorIds[0];
  if (!sighted) return;
  add(
    ctx,
    sdo(ctx, 'sighting', `sighting|${ctx.hostKey}|${finding.fingerprint}`, {
      sighting_of_ref: sighted,
      where_sighted_refs: [ctx.hostId],
      ...(observedId ? { observed_data_refs: [observedId] } : {}),
      first_seen: ctx.when,
      last_seen: ctx.when,
      count: 1,
      description: finding.message.en,
      ...killChain(finding),
      x_minehunter_rule_id: finding.ruleId,
      x_minehunter_level: finding.level,
      x_minehunter_fingerprint: finding.fingerprint,
      ...(finding.basis ? { x_minehunter_basis: finding.basis } : {}),
    }),
  );
}

/** The bundle as an object: the tool, the host, then what each finding adds, each object once. */
export function stixBundle(report: Report): { type: 'bundle'; id: string; objects: StixObject[] } {
  const when = stamp(report.collectedAt, report.generatedAt);
  const hostKey = report.host.hostname ?? report.target.root;
  const toolId = sdoId('identity', 'tool|minehunter');
  const ctx: Context = {
    when,
    hostKey,
    toolId,
    hostId: sdoId('identity', `host|${hostKey}`),
    objects: new Map(),
  };
  add(ctx, {
    type: 'identity',
    spec_version: '2.1',
    id: toolId,
    created: when,
    modified: when,
    name: 'minehunter',
    identity_class: 'system',
    description: `minehunter ${report.tool.version}, a scanner for cryptomining trojans`,
  });
  add(
    ctx,
    sdo(ctx, 'identity', `host|${hostKey}`, {
      name: hostKey,
      identity_class: 'system',
      sectors: ['technology'],
    }),
  );
  for (const finding of report.findings) if (!finding.allowed) addFinding(ctx, finding);
  return {
    type: 'bundle',
    id: sdoId('bundle', `bundle|${hostKey}|${when}`),
    objects: [...ctx.objects.values()],
  };
}

export function renderStix(report: Report): string {
  return JSON.stringify(stixBundle(report), null, 2) + '\n';
}
