// Renders a scan report as Elastic Common Schema (ECS) events, one JSON object per line (NDJSON), for
// Elasticsearch, Elastic Agent/Filebeat or anything that speaks ECS: one `event.kind: alert` per
// finding, then one `event.kind: state` for the scan itself, so a clean host still says it was
// scanned. Only fields the ECS field list defines are used, except minehunter's own under
// `minehunter.*` (a custom namespace, as ECS asks custom fields to be kept). Values from the machine
// (argv, paths) stay JSON strings: a hostile command line cannot split a line.
import type { Finding } from '../model/finding.js';
import type { Report } from './model.js';
import {
  SEVERITY,
  commandLine,
  domainsOf,
  endpointsOf,
  filesOf,
  isIp,
  processesOf,
  techniquesOf,
  walletsOf,
} from './export-facts.js';

type EcsEvent = Record<string, unknown>;

/** The ECS release whose fields these events use (all present in 8.11 and later). */
export const ECS_VERSION = '8.11.0';

/** ECS event.category of a finding and the event.type each category expects (ECS allowed values). */
function categoriesOf(finding: Finding): { category: string[]; type: string[] } {
  const category = new Set<string>();
  if (finding.category === 'miner' || finding.kind) category.add('malware');
  if (finding.category === 'persistence' || finding.category === 'tampering') category.add('configuration');
  if (finding.category === 'exposure') category.add('host');
  for (const e of finding.evidence) {
    if (e.type === 'process') category.add('process');
    if (e.type === 'file' || e.type === 'image') category.add('file');
    if (e.type === 'socket') category.add('network');
  }
  if (category.size === 0) category.add('host');
  // `info` is an expected type of every category used here.
  return { category: [...category], type: ['info'] };
}

function hostFields(report: Report): EcsEvent {
  const { host, target } = report;
  const os = host.distribution;
  const windows = target.kind === 'windows-volume';
  return {
    ...(host.hostname ? { name: host.hostname, hostname: host.hostname } : {}),
    ...(host.addresses.length > 0 ? { ip: [...new Set(host.addresses.map((a) => a.address))] } : {}),
    os: {
      type: windows ? 'windows' : 'linux',
      ...(os?.name ? { name: os.name } : {}),
      ...(os?.version ? { version: os.version } : {}),
      ...(os?.id ? { platform: os.id } : {}),
      ...(os?.idLike?.[0] ? { family: os.idLike[0] } : {}),
      ...(host.kernel ? { kernel: host.kernel } : {}),
    },
  };
}

function processFields(finding: Finding): EcsEvent | undefined {
  const p = processesOf(finding)[0];
  if (!p) return undefined;
  return {
    pid: p.pid,
    parent: { pid: p.ppid },
    name: p.comm,
    ...(p.exe ? { executable: p.exe } : {}),
    ...(p.argv.length > 0
      ? { args: p.argv, args_count: p.argv.length, command_line: commandLine(p.argv) }
      : {}),
    ...(p.exeSha256 ? { hash: { sha256: p.exeSha256 } } : {}),
    ...(p.user ? { user: { name: p.user } } : {}),
    ...(p.startTime ? { start: p.startTime } : {}),
  };
}

function containerFields(finding: Finding): EcsEvent | undefined {
  const c = processesOf(finding).find((p) => p.container)?.container;
  if (!c) return undefined;
  return {
    id: c.id,
    runtime: c.runtime,
    ...(c.name ? { name: c.name } : {}),
    ...(c.image ? { image: { name: c.image } } : {}),
  };
}

/** The file the finding is about: file evidence first, else the process's executable. */
function fileFields(finding: Finding): EcsEvent | undefined {
  const direct = finding.evidence.find((e) => e.type === 'file');
  const file = direct ? { path: direct.path, sha256: direct.sha256 } : filesOf(finding)[0];
  if (!file) return undefined;
  const name = file.path.split(/[\\/]/).pop();
  return {
    path: file.path,
    ...(name ? { name } : {}),
    ...(file.sha256 ? { hash: { sha256: file.sha256 } } : {}),
  };
}

/** The pool: the first remote endpoint, with its host name when remediation names one. */
function networkFields(finding: Finding): EcsEvent {
  const pool = endpointsOf(finding)[0];
  const domain = domainsOf(finding)[0];
  if (!pool && !domain) return {};
  const destination = {
    ...(pool ? { address: pool.address, ...(isIp(pool.address) ? { ip: pool.address } : {}) } : {}),
    ...(pool?.port !== undefined ? { port: pool.port } : {}),
    ...(domain ? { domain, ...(pool ? {} : { address: domain }) } : {}),
  };
  const local = pool?.local;
  return {
    destination,
    ...(local
      ? {
          source: {
            address: local.address,
            ...(isIp(local.address) ? { ip: local.address } : {}),
            ...(local.port !== undefined ? { port: local.port } : {}),
          },
        }
      : {}),
    ...(pool?.transport ? { network: { transport: pool.transport, direction: 'egress' } } : {}),
  };
}

function threatFields(finding: Finding): EcsEvent | undefined {
  const ids = techniquesOf(finding);
  if (ids.length === 0) return undefined;
  const techniques = [...new Set(ids.map((id) => id.split('.')[0]!))];
  const subs = ids.filter((id) => id.includes('.'));
  const url = (id: string) => `https://attack.mitre.org/techniques/${id.replace('.', '/')}/`;
  return {
    framework: 'MITRE ATT&CK',
    technique: {
      id: techniques,
      reference: techniques.map(url),
      ...(subs.length > 0 ? { subtechnique: { id: subs, reference: subs.map(url) } } : {}),
    },
  };
}

function relatedFields(finding: Finding): EcsEvent {
  const hashes = filesOf(finding).flatMap((f) => (f.sha256 ? [f.sha256] : []));
  const ips = endpointsOf(finding).flatMap((e) => (isIp(e.address) ? [e.address] : []));
  const users = processesOf(finding).flatMap((p) => (p.user ? [p.user] : []));
  const related = {
    ...(hashes.length > 0 ? { hash: [...new Set(hashes)] } : {}),
    ...(ips.length > 0 ? { ip: [...new Set(ips)] } : {}),
    ...(users.length > 0 ? { user: [...new Set(users)] } : {}),
  };
  return Object.keys(related).length > 0 ? { related } : {};
}

/** Reports of older versions name no target kind; they were all one of these two. */
function targetOf(report: Report): { kind: string; root: string } {
  const { target } = report;
  return { kind: target.kind ?? (target.live ? 'linux-live' : 'linux-root'), root: target.root };
}

/** What every event of one report shares: when, the host, the tool that observed. */
function common(report: Report): EcsEvent {
  return {
    '@timestamp': report.collectedAt,
    ecs: { version: ECS_VERSION },
    host: hostFields(report),
    observer: {
      product: 'minehunter',
      vendor: 'minehunter',
      type: 'scanner',
      version: report.tool.version,
      ...(report.host.hostname ? { hostname: report.host.hostname } : {}),
    },
  };
}

/** One finding as an ECS alert. */
export function ecsEvent(report: Report, finding: Finding): EcsEvent {
  const { category, type } = categoriesOf(finding);
  const process = processFields(finding);
  const container = containerFields(finding);
  const file = fileFields(finding);
  const threat = threatFields(finding);
  return {
    ...common(report),
    message: finding.message.en,
    event: {
      kind: 'alert',
      category,
      type,
      severity: SEVERITY[finding.level],
      risk_score: SEVERITY[finding.level],
      dataset: 'minehunter.finding',
      provider: 'minehunter',
      created: report.generatedAt,
      reason: finding.title.en,
    },
    rule: {
      id: finding.ruleId,
      name: finding.title.en,
      category: finding.category,
      ruleset: 'minehunter',
      description: finding.message.en,
      version: report.tool.version,
    },
    ...(threat ? { threat } : {}),
    ...(process ? { process } : {}),
    ...(container ? { container } : {}),
    ...(file ? { file } : {}),
    ...networkFields(finding),
    ...relatedFields(finding),
    minehunter: {
      kind: finding.kind ?? null,
      level: finding.level,
      fingerprint: finding.fingerprint,
      basis: finding.basis ?? null,
      category: finding.category,
      allowed: finding.allowed ?? null,
      wallets: walletsOf(finding),
      title: finding.title,
      message: finding.message,
      verdict: report.verdict.status,
      target: targetOf(report),
    },
  };
}

/** The scan itself, as a host state event: its verdict and counts. */
export function ecsSummaryEvent(report: Report): EcsEvent {
  return {
    ...common(report),
    message: `minehunter verdict: ${report.verdict.status}, ${report.findings.length} finding(s)`,
    event: {
      kind: 'state',
      category: ['host'],
      type: ['info'],
      dataset: 'minehunter.summary',
      provider: 'minehunter',
      created: report.generatedAt,
    },
    minehunter: {
      verdict: report.verdict.status,
      highest: report.verdict.highest,
      kinds: report.verdict.kinds.map((k) => k.kind),
      summary: report.summary,
      findings: report.findings.length,
      not_collected: report.verdict.notCollected,
      target: targetOf(report),
    },
  };
}

/** NDJSON: one alert per finding in the report's order, then the state event. */
export function renderEcs(report: Report): string {
  const events = [...report.findings.map((f) => ecsEvent(report, f)), ecsSummaryEvent(report)];
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}
