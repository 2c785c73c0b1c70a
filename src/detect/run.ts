// The rule runner: runs each detector whose snapshot sections were collected, turns hits into
// Findings and correlates hits on the same subject into one finding whose level grows with the
// number of independent signals. Pure: no I/O, so `scan` and `collect` + `analyze` agree exactly.
import { createHash } from 'node:crypto';
import type { Ruleset } from '../iocs/types.js';
import {
  LEVELS,
  basisRank,
  levelRank,
  type Basis,
  maxLevel,
  type Finding,
  type Level,
  type Localized,
  type Signal,
} from '../model/finding.js';
import { collectedSections, type Section, type Snapshot } from '../snapshot/schema.js';
import { detectors as allDetectors } from './index.js';
import { hitMessage } from './messages.js';
import type { Detector, Hit } from './types.js';

export interface SkippedDetector {
  ruleId: string;
  missing: Section[];
}

export interface RunResult {
  findings: Finding[];
  /** Detectors that did not run because a section they need was not collected: never "clean". */
  skipped: SkippedDetector[];
}

/** A section counts as present when a collector reported it ok or partial and the data is there. */
function presentSections(snapshot: Snapshot): Set<Section> {
  const present = collectedSections(snapshot);
  const data: Record<Section, unknown> = {
    host: snapshot.host,
    processes: snapshot.processes,
    sockets: snapshot.sockets,
    'hosts-file': snapshot.hostsFile,
    content: snapshot.content,
    persistence: snapshot.persistence,
    integrity: snapshot.integrity,
    preload: snapshot.preload,
    hidden: snapshot.hidden,
    containers: snapshot.containers,
    image: snapshot.image,
    modules: snapshot.modules,
    dirs: snapshot.dirs,
    audit: snapshot.audit,
    web: snapshot.web,
    // Each Windows collector fills its own fields of one `windows` object.
    'windows-registry': snapshot.windows?.services,
    'windows-tasks': snapshot.windows?.tasks,
    'windows-wmi': snapshot.windows?.wmi,
    'windows-files': snapshot.windows?.files,
    page: snapshot.page,
  };
  for (const section of [...present]) if (data[section] === undefined) present.delete(section);
  return present;
}

/** Sections whose collectors were not part of this collection (status `not-applicable`). */
function notApplicableSections(snapshot: Snapshot): Set<Section> {
  const out = new Set<Section>();
  for (const record of snapshot.collection)
    if (record.status === 'not-applicable') for (const s of record.sections) out.add(s);
  // Only an image target has image layers: a host scan (and any snapshot older than the section)
  // has nothing for the image detectors to read, which is not the same as failing to read it.
  if (snapshot.target.kind !== 'container-image') out.add('image');
  // Likewise only a Windows volume has hives, task files, a WMI repository and its drop folders.
  if (snapshot.target.kind !== 'windows-volume')
    for (const s of ['windows-registry', 'windows-tasks', 'windows-wmi', 'windows-files'] as const)
      out.add(s);
  // A target without web roots gets no web record at all (as one without containers): nothing for
  // the web detectors to read, which is not a failure to read it.
  if (!snapshot.collection.some((r) => r.sections.includes('web'))) out.add('web');
  // Only `minehunter web` opens live pages: any other snapshot has no page for web-live-page to read.
  if (!snapshot.collection.some((r) => r.sections.includes('page'))) out.add('page');
  return out;
}

/** sha256 of the subject's identifying parts, shortened: stable across runs and machines. */
export function fingerprintOf(parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 16);
}

/** One level up per the rule "two independent signals raise it one step, three or more make it critical". */
export function escalate(level: Level, signals: number): Level {
  if (signals >= 3) return 'critical';
  if (signals === 2) return LEVELS[Math.max(0, LEVELS.indexOf(level) - 1)] ?? 'critical';
  return level;
}

interface RankedHit {
  hit: Hit;
  detector: Detector;
  order: number;
  level: Level;
}

function joinDistinct(texts: Localized[]): Localized {
  const en = [...new Set(texts.map((x) => x.en))];
  const zh = [...new Set(texts.map((x) => x['zh-CN']))];
  return { en: en.join('\n'), 'zh-CN': zh.join('\n') };
}

function uniqueJson<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What a hit's evidence is found in, when the detector did not say (see Hit.basis). */
function basisOf(h: RankedHit): Basis {
  if (h.hit.basis) return h.hit.basis;
  if (h.hit.subject.startsWith('process:')) return 'running';
  if (h.detector.category === 'persistence' || h.detector.category === 'tampering') return 'autostart';
  return 'executable';
}

function toFinding(hits: RankedHit[]): Finding {
  hits.sort((a, b) => levelRank(b.level) - levelRank(a.level) || a.order - b.order);
  const strongest = hits[0];
  if (!strongest) throw new Error('toFinding needs at least one hit');
  const { detector } = strongest;
  const distinct = new Set(hits.map((h) => h.detector.id));
  const level = escalate(maxLevel(hits.map((h) => h.level)), distinct.size);
  const signals: Signal[] = uniqueJson(
    hits.map((h) => ({
      ruleId: h.detector.id,
      level: h.level,
      title: h.detector.title,
      message: hitMessage(h.detector, h.hit),
      messageId: h.hit.messageId,
      data: h.hit.data,
    })),
  );
  // Every detector builds process fingerprints the same way; taking the smallest keeps the choice
  // independent of which detectors happened to fire.
  const parts =
    hits.map((h) => h.hit.fingerprint).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))[0] ??
    [];
  // A hit may name its own kind (content rules carry one in their meta); else the detector's.
  const other = hits.find((h) => h.hit.kind ?? h.detector.kind);
  const kind = strongest.hit.kind ?? detector.kind ?? other?.hit.kind ?? other?.detector.kind;
  const basis = hits.map(basisOf).reduce((a, b) => (basisRank(b) > basisRank(a) ? b : a));
  return {
    ruleId: detector.id,
    ...(kind ? { kind } : {}),
    category: detector.category,
    level,
    title: detector.title,
    message: hitMessage(detector, strongest.hit),
    messageId: strongest.hit.messageId,
    data: strongest.hit.data,
    evidence: uniqueJson(hits.flatMap((h) => h.hit.evidence)),
    tags: [...new Set(hits.flatMap((h) => h.detector.tags))],
    verify: joinDistinct(hits.map((h) => h.detector.verify)),
    remediate: uniqueJson(hits.flatMap((h) => h.hit.remediate)),
    fingerprint: fingerprintOf(parts),
    signals,
    basis,
  };
}

/** "process:4242" sorts before "process:10000": numbers compare as numbers. */
const collator = new Intl.Collator('en', { numeric: true });

export function runDetectors(
  snapshot: Snapshot,
  ruleset: Ruleset,
  detectors: Detector[] = allDetectors,
): RunResult {
  const present = presentSections(snapshot);
  const notApplicable = notApplicableSections(snapshot);
  const skipped: SkippedDetector[] = [];
  const bySubject = new Map<string, RankedHit[]>();
  detectors.forEach((detector, order) => {
    const missing = detector.needs.filter((s) => !present.has(s));
    if (missing.length > 0) {
      // A detector of a part nobody asked for (the host, in a `scan --path`) is not "skipped".
      if (!missing.every((s) => notApplicable.has(s))) skipped.push({ ruleId: detector.id, missing });
      return;
    }
    for (const hit of detector.detect(snapshot, ruleset)) {
      const list = bySubject.get(hit.subject) ?? [];
      list.push({ hit, detector, order, level: hit.level ?? detector.level });
      bySubject.set(hit.subject, list);
    }
  });
  const findings = [...bySubject.entries()]
    .map(([subject, hits]) => ({ subject, finding: toFinding(hits) }))
    .sort(
      (a, b) =>
        levelRank(b.finding.level) - levelRank(a.finding.level) ||
        basisRank(b.finding.basis) - basisRank(a.finding.basis) ||
        (a.finding.fingerprint < b.finding.fingerprint
          ? -1
          : a.finding.fingerprint > b.finding.fingerprint
            ? 1
            : 0) ||
        collator.compare(a.subject, b.subject),
    )
    .map(({ finding }) => finding);
  return { findings, skipped };
}
