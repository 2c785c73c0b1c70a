// The one Finding shape every detector, audit and renderer shares, defined as a zod schema so the
// JSON report is validated and documented from the same source.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { ContainerRefSchema } from './container.js';
import { LEVELS } from './levels.js';

export { LEVELS };
export const LevelSchema = builtOnFirstUse(() => z.enum(LEVELS));
export type Level = z.infer<typeof LevelSchema>;

/** Higher is more severe; used for sorting, `--fail-on` and escalation. */
export function levelRank(level: Level): number {
  return LEVELS.length - LEVELS.indexOf(level);
}

/**
 * Whether `v` is one of the levels. Plain checks like this one and isMinerKind serve the scan, which
 * must not load zod for them (its schemas are for files read back; util/lazy.ts).
 */
export function isLevel(v: unknown): v is Level {
  return (LEVELS as readonly unknown[]).includes(v);
}

export function maxLevel(levels: Level[]): Level {
  return levels.reduce<Level>((worst, l) => (levelRank(l) > levelRank(worst) ? l : worst), 'info');
}

/** The seven kinds of mining trojan from the source document, §4. */
export const MINER_KINDS = [
  'open-source-miner',
  'fileless',
  'hidden-directory',
  'web-script',
  'driver',
  'preload',
  'container-image',
] as const;
export const MinerKindSchema = builtOnFirstUse(() => z.enum(MINER_KINDS));
export type MinerKind = z.infer<typeof MinerKindSchema>;

/** Whether `v` is one of the seven kinds. */
export function isMinerKind(v: unknown): v is MinerKind {
  return (MINER_KINDS as readonly unknown[]).includes(v);
}

/**
 * What the evidence of a finding is found in, strongest first: a running process, an autostart
 * (persistence) place, an executable on disk, a configuration file a miner would read, a mention in
 * a document, log, source file or data, and a file minehunter itself wrote. A finding's level and its
 * place in the report follow this order (README, "How to read a finding").
 */
export const BASES = ['running', 'autostart', 'executable', 'config', 'mention', 'own-output'] as const;
export const BasisSchema = builtOnFirstUse(() => z.enum(BASES));
export type Basis = z.infer<typeof BasisSchema>;

/** Higher is stronger evidence. */
export function basisRank(basis: Basis | undefined): number {
  return basis === undefined ? 0 : BASES.length - BASES.indexOf(basis);
}

export const CATEGORIES = ['miner', 'persistence', 'tampering', 'exposure'] as const;
export const CategorySchema = builtOnFirstUse(() => z.enum(CATEGORIES));
export type Category = z.infer<typeof CategorySchema>;

export const LANGS = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGS)[number];
export const LocalizedSchema = builtOnFirstUse(() => z.object({ en: z.string(), 'zh-CN': z.string() }));
export type Localized = z.infer<typeof LocalizedSchema>;

/**
 * Evidence points back into the snapshot and carries the facts a reader needs inline, so the JSON
 * report stands on its own without the snapshot beside it.
 */
export const EvidenceSchema = builtOnFirstUse(() =>
  z.discriminatedUnion('type', [
    z.object({
      type: z.literal('process'),
      pid: z.number().int(),
      ppid: z.number().int(),
      user: z.string().optional(),
      comm: z.string(),
      exe: z.string().optional(),
      exeDeleted: z.boolean().optional(),
      exeSha256: z.string().optional(),
      argv: z.array(z.string()),
      cpuPercent: z.number().optional(),
      startTime: z.string().optional(),
      /** The container it runs in (runtime, id, name, image, pod), when it is not the host's own. */
      container: ContainerRefSchema.optional(),
    }),
    z.object({
      type: z.literal('socket'),
      protocol: z.string(),
      local: z.string(),
      remote: z.string(),
      state: z.string(),
      pids: z.array(z.number().int()),
      /** Why this endpoint is suspicious, e.g. "pool port 3333" or "pool address from iocs/…". */
      match: z.string().optional(),
    }),
    z.object({ type: z.literal('file'), path: z.string(), sha256: z.string().optional() }),
    z.object({ type: z.literal('match'), field: z.string(), value: z.string(), ioc: z.string().optional() }),
    /**
     * Where in a container image a fact was found: the image (ref and id), and for a file or a build
     * step the layer (index and digest) and the step (`history[].created_by`) that added it.
     */
    z.object({
      type: z.literal('image'),
      image: z.string(),
      digest: z.string(),
      layer: z.object({ index: z.number().int().nonnegative(), digest: z.string() }).optional(),
      createdBy: z.string().optional(),
      /** A file of the image, as the image sees it. */
      path: z.string().optional(),
      /** False: a later layer deleted or replaced the file; it is only in the image's history. */
      inFinal: z.boolean().optional(),
      /** The layer (index) that deleted or replaced it. */
      removedBy: z.number().int().nonnegative().optional(),
    }),
  ]),
);
export type Evidence = z.infer<typeof EvidenceSchema>;

/**
 * Declarative remediation; respond/ turns these into a plan. Paths are as seen inside the target
 * (respond maps them under --root). Line-removing actions carry the exact line text, so a file that
 * changed since the scan is never edited blindly.
 */
export const ActionSchema = builtOnFirstUse(() =>
  z.discriminatedUnion('type', [
    z.object({ type: z.literal('kill-process-tree'), pid: z.number().int(), exe: z.string().optional() }),
    z.object({ type: z.literal('quarantine-file'), path: z.string() }),
    z.object({
      type: z.literal('block-address'),
      address: z.string(),
      port: z.number().int().optional(),
      /** A pool host name: sinkholed in /etc/hosts (firewalls block addresses, not names). */
      domain: z.string().optional(),
    }),
    /** One line of a crontab (/etc/crontab, /etc/cron.d/*, /var/spool/cron/…); the rest stays. */
    z.object({ type: z.literal('remove-cron-line'), path: z.string(), line: z.string() }),
    /** A systemd unit (service or timer): disabled (its wants/ links removed) and its file quarantined. */
    z.object({ type: z.literal('disable-unit'), unit: z.string(), path: z.string() }),
    /** One key line of an authorized_keys file; the other keys stay. */
    z.object({ type: z.literal('remove-authorized-key'), path: z.string(), line: z.string() }),
    /** Takes the named libraries out of /etc/ld.so.preload (the file is removed when nothing is left). */
    z.object({
      type: z.literal('restore-ld-preload'),
      path: z.string(),
      remove: z.array(z.string()),
    }),
    /** `chattr -i` (and -a): done before any other step touches the file. */
    z.object({ type: z.literal('clear-immutable'), path: z.string() }),
    /** Any other single line (a shell profile, rc.local, an /etc/hosts entry). */
    z.object({ type: z.literal('remove-line'), path: z.string(), line: z.string() }),
    /**
     * A PowerShell command for an administrator on a Windows host (stop and delete a service, unregister
     * a task, remove a WMI subscription or a Run value). minehunter never runs it: a Windows volume read
     * offline has its files quarantined only, and its hives are never edited.
     */
    z.object({
      type: z.literal('windows-command'),
      /** What it acts on. */
      object: z.enum(['process', 'service', 'task', 'wmi-subscription', 'registry-value', 'folder']),
      /** The object in the host's terms: service name, task path, consumer name, `key\value`, folder. */
      name: z.string(),
      description: LocalizedSchema,
      /** The PowerShell text, every argument single-quoted. */
      command: z.string(),
    }),
  ]),
);
export type Action = z.infer<typeof ActionSchema>;

/** One detector's contribution to a finding that correlation merged with others. */
/** The parameters a message was filled from (see MessageData in model/localized.ts). */
export const MessageDataSchema = builtOnFirstUse(() =>
  z.record(z.string(), z.union([z.string(), z.number(), LocalizedSchema])),
);

export const SignalSchema = builtOnFirstUse(() =>
  z.object({
    ruleId: z.string(),
    level: LevelSchema,
    title: LocalizedSchema,
    message: LocalizedSchema,
    /** The key of the rule's message and its facts; absent in reports of older versions. */
    messageId: z.string().optional(),
    data: MessageDataSchema.optional(),
  }),
);
export type Signal = z.infer<typeof SignalSchema>;

export const AllowedSchema = builtOnFirstUse(() =>
  z.object({
    by: z.enum(['fingerprint', 'exe', 'sha256']),
    value: z.string(),
    reason: z.string().optional(),
    source: z.string(),
  }),
);
export type Allowed = z.infer<typeof AllowedSchema>;

export const FindingSchema = builtOnFirstUse(() =>
  z.object({
    /** kebab-case; equal to the detector's file name and docs page. */
    ruleId: z.string(),
    kind: MinerKindSchema.optional(),
    category: CategorySchema,
    level: LevelSchema,
    title: LocalizedSchema,
    message: LocalizedSchema,
    /** The key of the rule's message (`ruleId` + `messageId` names the sentence); absent in older reports. */
    messageId: z.string().optional(),
    /** The facts the message was filled from: paths, pids, counts, addresses. */
    data: MessageDataSchema.optional(),
    evidence: z.array(EvidenceSchema),
    tags: z.array(z.string()),
    verify: LocalizedSchema,
    remediate: z.array(ActionSchema),
    /** Stable across runs (no pids, no times): for allowlists and de-duplication. */
    fingerprint: z.string(),
    /** Every detector that fired on the same subject, strongest first, when correlation merged them. */
    signals: z.array(SignalSchema),
    /** Present when an allowlist entry matched: the finding is shown as allowed, never hidden. */
    allowed: AllowedSchema.optional(),
    /** What the strongest evidence is found in (see BASES); absent in reports of older versions. */
    basis: BasisSchema.optional(),
  }),
);
export type Finding = z.infer<typeof FindingSchema>;
