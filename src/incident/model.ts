// The incident report the source document's §5 asks a victim to hand a response team: (1) who,
// (2) when/where/which IPs, (3) symptoms, (4) systems, assets and loss, (5) attachments, (6) samples
// and their password. Built from a scan report (what the tool knows) and the intake (what people know);
// pure, with the clock injected, so the same inputs always give the same report.
import { z } from 'zod';
import { LocalizedSchema, levelRank, type Localized } from '../model/finding.js';
import { ContainerRefSchema } from '../snapshot/container.js';
import { VerdictSchema } from '../classify/verdict.js';
import type { Report } from '../report/model.js';
import { NotScannedSchema } from '../report/not-scanned.js';
import { kindName } from '../report/i18n.js';
import type { Snapshot } from '../snapshot/schema.js';
import { IntakeSchema, type Intake } from './intake.js';
import { LossSchema, estimateLoss } from './loss.js';
import { IncidentPageSchema, collectPages, pagePoolHosts } from './pages.js';

export const INCIDENT_SCHEMA_VERSION = 1;

export const AttachmentSchema = z.object({
  name: z.string(),
  sha256: z.string().optional(),
  size: z.number().int().optional(),
  note: z.string().optional(),
});

export const IncidentReportSchema = z.object({
  schemaVersion: z.literal(INCIDENT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('minehunter'), version: z.string() }),
  generatedAt: z.string(),
  organization: IntakeSchema.shape.organization,
  incident: z.object({
    reportedTime: z.string().optional(),
    /**
     * The earliest dated trace of the miner: the birth time (else the modification time) of its
     * binary, config and persistence files the findings name, or the start of a miner process.
     */
    firstSeen: z.string().optional(),
    detectedAt: z.string(),
    location: z.string().optional(),
    hostname: z.string().optional(),
    hostAddresses: z.array(z.string()),
    /** Remote addresses the findings name (pools, download hosts) plus those the user gave. */
    relatedIps: z.array(z.string()),
  }),
  symptoms: z.object({ reported: z.string().optional(), observed: z.array(LocalizedSchema) }),
  verdict: VerdictSchema,
  /** What the scan behind the report did not scan, and why (the scan report's); absent without a content scan. */
  notScanned: NotScannedSchema.optional(),
  assets: z.object({
    systems: z.array(z.string()),
    notes: z.string().optional(),
    host: z.object({
      hostname: z.string().optional(),
      kernel: z.string().optional(),
      distribution: z.string().optional(),
      cpuCount: z.number().int().optional(),
    }),
  }),
  loss: LossSchema,
  timeline: z.array(
    z.object({
      time: z.string(),
      event: LocalizedSchema,
      /** What the event is about: a miner's file, an autostart file, a process, a detection. */
      kind: z.enum(['file', 'persistence', 'process', 'detection']).optional(),
    }),
  ),
  /** Miner processes: what argv they held (for the report reader), and their CPU time. */
  processes: z.array(
    z.object({
      pid: z.number().int(),
      exe: z.string().optional(),
      argv: z.array(z.string()),
      user: z.string().optional(),
      startTime: z.string().optional(),
      cpuSeconds: z.number().optional(),
      /** The container it ran in (runtime, id, name, image, pod), when not the host's own. */
      container: ContainerRefSchema.optional(),
    }),
  ),
  /**
   * The container images the findings name, each with the layers, build steps and files the
   * evidence points at: what a response team pulls, deletes and traces. Absent when there are none.
   */
  images: z
    .array(
      z.object({
        image: z.string(),
        digest: z.string(),
        items: z.array(
          z.object({
            layer: z.object({ index: z.number().int(), digest: z.string() }).optional(),
            createdBy: z.string().optional(),
            path: z.string().optional(),
            inFinal: z.boolean().optional(),
            removedBy: z.number().int().optional(),
          }),
        ),
      }),
    )
    .optional(),
  /** The live web pages the findings name (incident/pages.ts). Absent when there are none. */
  pages: z.array(IncidentPageSchema).optional(),
  attachments: z.array(AttachmentSchema),
  samples: z.object({
    archive: z.string().optional(),
    password: z.string().optional(),
    files: z.array(z.object({ path: z.string(), sha256: z.string() })),
  }),
});
export type IncidentReport = z.infer<typeof IncidentReportSchema>;

export interface IncidentInput {
  report: Report;
  /** When given, CPU time comes from the processes' whole-life counters instead of CPU% × run time. */
  snapshot?: Snapshot;
  intake: Intake;
  attachments: z.infer<typeof AttachmentSchema>[];
  samples?: { archive: string; password: string; files: { path: string; sha256: string }[] };
  now: Date;
}

const L = (en: string, zh: string): Localized => ({ en, 'zh-CN': zh });

type Finding = Report['findings'][number];
type IncidentProcess = IncidentReport['processes'][number];
type IncidentImage = NonNullable<IncidentReport['images']>[number];

// The images the findings name, one entry per image digest, with each layer/step/file named once.
function collectImages(findings: Finding[]): IncidentImage[] {
  const byDigest = new Map<string, IncidentImage>();
  for (const e of findings.flatMap((f) => f.evidence)) {
    if (e.type !== 'image') continue;
    const entry = byDigest.get(e.digest) ?? { image: e.image, digest: e.digest, items: [] };
    byDigest.set(e.digest, entry);
    const item: IncidentImage['items'][number] = {
      ...(e.layer ? { layer: e.layer } : {}),
      ...(e.createdBy !== undefined ? { createdBy: e.createdBy } : {}),
      ...(e.path !== undefined ? { path: e.path } : {}),
      ...(e.inFinal !== undefined ? { inFinal: e.inFinal } : {}),
      ...(e.removedBy !== undefined ? { removedBy: e.removedBy } : {}),
    };
    // Evidence about the image as a whole (its config) names the image and nothing more.
    if (Object.keys(item).length === 0) continue;
    if (!entry.items.some((i) => JSON.stringify(i) === JSON.stringify(item))) entry.items.push(item);
  }
  return [...byDigest.values()].sort(
    (a, b) => a.image.localeCompare(b.image) || a.digest.localeCompare(b.digest),
  );
}

// The miner processes (by pid, with snapshot CPU time when known) and remote hosts the findings name.
function collectEvidence(
  minerLike: Finding[],
  snapshot: Snapshot | undefined,
): { processes: IncidentProcess[]; remote: Set<string> } {
  const procs = new Map<number, IncidentProcess>();
  const remote = new Set<string>();
  for (const f of minerLike) {
    for (const e of f.evidence) {
      if (e.type === 'process' && !procs.has(e.pid)) {
        const snap = snapshot?.processes?.find((p) => p.pid === e.pid);
        procs.set(e.pid, {
          pid: e.pid,
          ...(e.exe ? { exe: e.exe } : {}),
          argv: e.argv,
          ...(e.user ? { user: e.user } : {}),
          ...(e.startTime ? { startTime: e.startTime } : {}),
          ...(snap ? { cpuSeconds: snap.cpuTimeSec } : {}),
          ...(e.container ? { container: e.container } : {}),
        });
      }
      if (e.type === 'socket') remote.add(e.remote.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''));
    }
  }
  const processes = [...procs.values()].sort((a, b) => a.pid - b.pid);
  return { processes, remote };
}

// The loss estimate from the miners' CPU time and the intake's prices.
function incidentLoss(
  processes: IncidentProcess[],
  minerLike: Finding[],
  report: Report,
  intake: Intake,
): IncidentReport['loss'] {
  // CPU time: exact whole-life counters from the snapshot, else CPU% × time since start.
  let cpuSeconds = 0;
  let cpuSource: 'cpu-time' | 'cpu-percent' | 'none' = 'none';
  for (const p of processes) {
    if (p.cpuSeconds !== undefined) {
      cpuSeconds += p.cpuSeconds;
      cpuSource = 'cpu-time';
      continue;
    }
    const ev = minerLike
      .flatMap((f) => f.evidence)
      .find((e) => e.type === 'process' && e.pid === p.pid && e.cpuPercent !== undefined);
    if (ev?.type === 'process' && ev.cpuPercent !== undefined && p.startTime) {
      const secs = Math.max(0, (Date.parse(report.collectedAt) - Date.parse(p.startTime)) / 1000);
      cpuSeconds += (ev.cpuPercent / 100) * secs;
      if (cpuSource === 'none') cpuSource = 'cpu-percent';
    }
  }
  return estimateLoss({
    cpuSeconds,
    cpuSource,
    ...(intake.loss.wattsPerCore !== undefined ? { wattsPerCore: intake.loss.wattsPerCore } : {}),
    ...(intake.loss.pricePerKwh !== undefined ? { pricePerKwh: intake.loss.pricePerKwh } : {}),
    ...(intake.loss.currency !== undefined ? { currency: intake.loss.currency } : {}),
    items: intake.loss.items,
  });
}

type TimelineEvent = IncidentReport['timeline'][number];

/** A file of the miner's with its times, as the timeline says it. */
interface DatedFile {
  path: string;
  kind: 'file' | 'persistence';
  what: Localized;
  mtime?: string;
  birthtime?: string;
}

/**
 * The miner's files the findings (active, medium or worse) name, with their times: the binary and
 * config files the content scan matched, the programs of the processes they name with the config
 * files their command lines give, then the autostart files and what they start. A path is listed
 * once (a matched program an autostart entry starts is the miner's program).
 */
function datedFiles(snapshot: Snapshot, findings: readonly Finding[]): DatedFile[] {
  const serious = findings.filter((f) => !f.allowed && levelRank(f.level) >= levelRank('medium'));
  const named = new Set(
    serious.flatMap((f) => f.evidence.flatMap((e) => (e.type === 'file' ? [e.path] : []))),
  );
  // Persistence findings may name a file only inside their evidence text (the script a cron line starts).
  const text = serious.map((f) => JSON.stringify(f.evidence)).join('\n');
  const byPath = new Map<string, DatedFile>();
  for (const f of snapshot.content?.files ?? []) {
    if (f.matches.length === 0 || !named.has(f.path) || !f.mtime) continue;
    const what = f.executable ? L('miner program', '矿机程序') : L('miner file', '矿机相关文件');
    byPath.set(f.path, { path: f.path, kind: 'file', what, mtime: f.mtime, birthtime: f.birthtime });
  }
  for (const f of processFiles(snapshot, serious)) if (!byPath.has(f.path)) byPath.set(f.path, f);
  for (const f of snapshot.persistence?.files ?? []) {
    if (f.missing || !f.mtime || byPath.has(f.path)) continue;
    if (!named.has(f.path) && !text.includes(JSON.stringify(f.path).slice(1, -1))) continue;
    const config = f.role === 'config';
    byPath.set(f.path, {
      path: f.path,
      kind: config ? 'persistence' : 'file',
      what: config ? L('autostart file', '自启动配置') : L('file it starts', '被启动的文件'),
      mtime: f.mtime,
      birthtime: f.birthtime,
    });
  }
  return [...byPath.values()];
}

/** The executables of the processes the findings name, and their config files, where they have times. */
function processFiles(snapshot: Snapshot, serious: readonly Finding[]): DatedFile[] {
  const pids = new Set(
    serious.flatMap((f) => f.evidence.flatMap((e) => (e.type === 'process' ? [e.pid] : []))),
  );
  const files: DatedFile[] = [];
  for (const p of snapshot.processes ?? []) {
    if (!pids.has(p.pid)) continue;
    if (p.exe && p.exeTimes)
      files.push({ path: p.exe, kind: 'file', what: L('miner program', '矿机程序'), ...p.exeTimes });
    for (const c of p.configFiles ?? [])
      files.push({ ...c, kind: 'file', what: L('miner config file', '矿机配置文件') });
  }
  return files;
}

/** When a file first appeared here: its birth where the filesystem keeps one, else its last change. */
function firstTrace(f: DatedFile): string | undefined {
  return f.birthtime ?? f.mtime;
}

/**
 * The dated file facts of the snapshot that the findings name (see datedFiles). Each file gives its
 * birth time where the filesystem keeps one (when it landed on this system) and its modification
 * time when that is more than a second apart: a miner copied with its original mtime shows both.
 */
export function fileTimeEvents(snapshot: Snapshot, findings: readonly Finding[]): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const f of datedFiles(snapshot, findings)) {
    const { what, kind } = f;
    if (f.birthtime)
      events.push({
        time: f.birthtime,
        kind,
        event: L(`${what.en} ${f.path} created`, `${what['zh-CN']} ${f.path} 创建`),
      });
    const apart = f.birthtime ? Math.abs(Date.parse(f.mtime ?? '') - Date.parse(f.birthtime)) : NaN;
    if (f.mtime && !(apart < 1000))
      events.push({
        time: f.mtime,
        kind,
        event: L(`${what.en} ${f.path} last modified`, `${what['zh-CN']} ${f.path} 最后修改`),
      });
  }
  return events.sort((a, b) => a.time.localeCompare(b.time));
}

// The timeline: the miner's file times, each miner's start, then each medium-or-worse detection at
// collection time, by time.
function incidentTimeline(
  processes: IncidentProcess[],
  active: Finding[],
  report: Report,
  snapshot: Snapshot | undefined,
): IncidentReport['timeline'] {
  const timeline: IncidentReport['timeline'] = snapshot ? fileTimeEvents(snapshot, active) : [];
  for (const p of processes) {
    if (p.startTime)
      timeline.push({
        time: p.startTime,
        kind: 'process',
        event: L(
          `process ${p.pid} (${p.exe ?? p.argv[0] ?? '?'}) started`,
          `进程 ${p.pid}（${p.exe ?? p.argv[0] ?? '?'}）启动`,
        ),
      });
  }
  for (const f of active.filter((f) => levelRank(f.level) >= levelRank('medium'))) {
    timeline.push({
      time: report.collectedAt,
      kind: 'detection',
      event: L(
        `detected: ${f.title.en} — ${f.message.en}`,
        `检出：${f.title['zh-CN']} —— ${f.message['zh-CN']}`,
      ),
    });
  }
  timeline.sort((a, b) => a.time.localeCompare(b.time));
  return timeline;
}

// The symptoms the tool observed: CPU burnt, connections, kinds of compromise, load average.
function observedSymptoms(
  processes: IncidentProcess[],
  remote: Set<string>,
  loss: IncidentReport['loss'],
  report: Report,
): Localized[] {
  const observed: Localized[] = [];
  const hot = processes.filter((p) => (p.cpuSeconds ?? 0) > 0);
  if (hot.length)
    observed.push(
      L(
        `${hot.length} miner process(es) used ${loss.cpuCoreHours} CPU core-hours`,
        `${hot.length} 个矿机进程占用了 ${loss.cpuCoreHours} CPU 核时`,
      ),
    );
  if (remote.size)
    observed.push(
      L(`connections to ${[...remote].sort().join(', ')}`, `连接到 ${[...remote].sort().join('、')}`),
    );
  for (const k of report.verdict.kinds)
    observed.push(
      L(
        `signs of a ${kindName('en', k.kind)} (${k.findingCount} finding(s))`,
        `存在${kindName('zh-CN', k.kind)}的迹象（${k.findingCount} 项发现）`,
      ),
    );
  if (report.host.loadAverage)
    observed.push(
      L(`load average ${report.host.loadAverage.join(' ')}`, `系统负载 ${report.host.loadAverage.join(' ')}`),
    );
  return observed;
}

// The host facts the scan report knows: name, kernel, distribution, CPU count.
function hostFacts(report: Report): IncidentReport['assets']['host'] {
  const dist = report.host.distribution;
  return {
    ...(report.host.hostname ? { hostname: report.host.hostname } : {}),
    ...(report.host.kernel ? { kernel: report.host.kernel } : {}),
    ...(dist?.name || dist?.id
      ? { distribution: [dist.name ?? dist.id, dist.version].filter(Boolean).join(' ') }
      : {}),
    ...(report.host.cpuCount ? { cpuCount: report.host.cpuCount } : {}),
  };
}

// The attachments: the files collected by the tool, then those the user named in the intake.
function incidentAttachments(input: IncidentInput): IncidentReport['attachments'] {
  return [
    ...input.attachments,
    ...input.intake.attachments.map((name) => ({ name, note: 'provided by the user' })),
  ];
}

export function buildIncidentReport(input: IncidentInput): IncidentReport {
  const { report, intake } = input;
  const active = report.findings.filter((f) => !f.allowed);
  const minerLike = active.filter((f) => f.category === 'miner' || levelRank(f.level) >= levelRank('high'));

  const { processes, remote } = collectEvidence(minerLike, input.snapshot);
  const loss = incidentLoss(processes, minerLike, report, intake);

  const timeline = incidentTimeline(processes, active, report, input.snapshot);
  // First seen: the earliest trace of the miner, a file's birth (else modification) or a process
  // start; only times before the scan (a host clock set wrong gives dates to doubt, not to lead with).
  const starts = [
    ...(input.snapshot ? datedFiles(input.snapshot, active).map(firstTrace) : []),
    ...processes.map((p) => p.startTime),
  ]
    .filter((t): t is string => !!t && t <= report.collectedAt)
    .sort();
  const observed = observedSymptoms(processes, remote, loss, report);
  const images = collectImages(minerLike);
  const pages = collectPages(active);

  return {
    schemaVersion: INCIDENT_SCHEMA_VERSION,
    tool: { name: 'minehunter', version: report.tool.version },
    generatedAt: input.now.toISOString(),
    organization: intake.organization,
    incident: {
      ...(intake.incident.time ? { reportedTime: intake.incident.time } : {}),
      ...(starts[0] ? { firstSeen: starts[0] } : {}),
      detectedAt: report.collectedAt,
      ...(intake.incident.location ? { location: intake.incident.location } : {}),
      ...(report.host.hostname ? { hostname: report.host.hostname } : {}),
      hostAddresses: report.host.addresses
        .filter((a) => !/^(127\.|::1$)/.test(a.address))
        .map((a) => a.address),
      relatedIps: [...new Set([...remote, ...pagePoolHosts(pages), ...intake.incident.relatedIps])].sort(),
    },
    symptoms: { ...(intake.incident.symptoms ? { reported: intake.incident.symptoms } : {}), observed },
    verdict: report.verdict,
    ...(report.notScanned ? { notScanned: report.notScanned } : {}),
    assets: {
      systems: intake.assets.systems,
      ...(intake.assets.notes ? { notes: intake.assets.notes } : {}),
      host: hostFacts(report),
    },
    loss,
    timeline,
    processes,
    ...(images.length ? { images } : {}),
    ...(pages.length ? { pages } : {}),
    attachments: incidentAttachments(input),
    samples: input.samples ?? { files: [] },
  };
}
