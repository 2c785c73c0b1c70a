// The Snapshot: facts collected from one target, no verdicts. One zod schema yields both the
// TypeScript types and the validation `analyze` applies to a snapshot file from another machine.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { IntegritySchema, PersistenceSchema } from './persistence.js';
import { ContentMatchSchema, FILE_FORMS } from './content-match.js';
import { ContainerRefSchema, ContainersSchema } from './container.js';
import { ImagesSchema } from './image.js';

export {
  ContentMatchSchema,
  ContentMetaValueSchema,
  ContentStringSchema,
  FILE_FORMS,
  type ContentMatch,
  type FileForm,
} from './content-match.js';
import { DirsSchema, HiddenSchema, ModulesSchema, PreloadSchema } from './stealth.js';
import { AuditFactsSchema } from './audit.js';
import { WebSchema } from './web.js';
import { WindowsSchema } from './windows.js';
import { PageSchema } from './page.js';
import { ProcessGpuSchema } from './gpu.js';

/** Bump when a field changes meaning or a required field is added; `analyze` refuses other majors. */
export const SNAPSHOT_SCHEMA_VERSION = 1;

/** The parts of a snapshot a collector fills and a detector may need. */
export const SECTIONS = [
  'host',
  'processes',
  'sockets',
  'hosts-file',
  'content',
  'persistence',
  'integrity',
  'preload',
  'hidden',
  'modules',
  'dirs',
  'audit',
  'containers',
  'image',
  'web',
  'windows-registry',
  'windows-tasks',
  'windows-wmi',
  'windows-files',
  'page',
] as const;
export const SectionSchema = builtOnFirstUse(() => z.enum(SECTIONS));
export type Section = z.infer<typeof SectionSchema>;

export const CollectionErrorSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string().optional(),
    code: z.string().optional(),
    message: z.string(),
  }),
);
export type CollectionError = z.infer<typeof CollectionErrorSchema>;

/**
 * What one collector did. `status` is `failed` when the section could not be read at all (it is then
 * absent from the snapshot and never reported as clean), `partial` when some items could not be read,
 * `not-applicable` when the collector is not part of what was asked (a `scan --path` does not read
 * the host's processes): neither "clean" nor "incomplete", and its detectors are not listed as skipped.
 */
export const CollectionRecordSchema = builtOnFirstUse(() =>
  z.object({
    collector: z.string(),
    sections: z.array(SectionSchema),
    status: z.enum(['ok', 'partial', 'failed', 'skipped', 'not-applicable']),
    durationMs: z.number().nonnegative(),
    errors: z.array(CollectionErrorSchema),
    /** Errors beyond the first few are counted, not listed, so a hostile tree cannot bloat the snapshot. */
    droppedErrors: z.number().int().nonnegative().optional(),
    note: z.string().optional(),
  }),
);
export type CollectionRecord = z.infer<typeof CollectionRecordSchema>;

export const HostAddressSchema = builtOnFirstUse(() =>
  z.object({
    interface: z.string(),
    address: z.string(),
    family: z.enum(['IPv4', 'IPv6']),
  }),
);

export const HostSchema = builtOnFirstUse(() =>
  z.object({
    hostname: z.string().optional(),
    kernel: z.string().optional(),
    distribution: z
      .object({
        id: z.string().optional(),
        name: z.string().optional(),
        version: z.string().optional(),
        /** os-release ID_LIKE, split on spaces (`rhel centos fedora`): the family a derivative follows. */
        idLike: z.array(z.string()).optional(),
        /** The package database found in the root (issue 23), so a check can say why it did not apply. */
        packageManager: z.enum(['dpkg', 'rpm', 'apk']).optional(),
      })
      .optional(),
    /** ISO 8601; from /proc/stat `btime`. */
    bootTime: z.string().optional(),
    cpuCount: z.number().int().positive().optional(),
    loadAverage: z.tuple([z.number(), z.number(), z.number()]).optional(),
    addresses: z.array(HostAddressSchema),
    pidMax: z.number().int().positive().optional(),
  }),
);
export type Host = z.infer<typeof HostSchema>;

export const ProcessSchema = builtOnFirstUse(() =>
  z.object({
    pid: z.number().int().positive(),
    ppid: z.number().int().nonnegative(),
    uid: z.number().int().nonnegative().optional(),
    user: z.string().optional(),
    /** The kernel's 15-character task name (/proc/PID/comm). */
    comm: z.string(),
    /** argv exactly as the process holds it, split on NUL; may differ from what was exec'd. */
    argv: z.array(z.string()),
    /** Target of /proc/PID/exe with the kernel's " (deleted)" suffix removed; absent for kernel threads. */
    exe: z.string().optional(),
    exeDeleted: z.boolean(),
    /** The executable is an anonymous memory file (memfd_create), i.e. it never existed on disk. */
    exeMemfd: z.boolean(),
    exeSha256: z.string().optional(),
    exeSize: z.number().int().nonnegative().optional(),
    /**
     * The executable's modification time and, where the filesystem keeps one, its birth time (ISO
     * 8601; collect/file-times.ts): when the program landed here, for the incident timeline.
     */
    exeTimes: z.object({ mtime: z.string(), birthtime: z.string().optional() }).optional(),
    /** Existing files its argv names as its configuration (`-c FILE`, `--config FILE`), with their times. */
    configFiles: z
      .array(z.object({ path: z.string(), mtime: z.string(), birthtime: z.string().optional() }))
      .optional(),
    cwd: z.string().optional(),
    cwdDeleted: z.boolean().optional(),
    /** ISO 8601, from boot time + starttime clock ticks. */
    startTime: z.string().optional(),
    /** user + system CPU seconds over the whole life of the process. */
    cpuTimeSec: z.number().nonnegative(),
    /** CPU% (100 = one core) measured over the sampling window of this collection. */
    cpuPercent: z.number().nonnegative().optional(),
    /** CPU% averaged over the process's whole life. */
    cpuPercentLifetime: z.number().nonnegative().optional(),
    rssBytes: z.number().int().nonnegative().optional(),
    threads: z.number().int().nonnegative().optional(),
    state: z.string().optional(),
    /** A kernel thread: no exe, child of kthreadd (pid 2) or pid 2 itself. */
    kernelThread: z.boolean(),
    /**
     * The init of a PID namespace (a container's pid 1): /proc/PID/status `NSpid` holds more than one
     * pid and the innermost is 1. Set only when true.
     */
    containerInit: z.boolean().optional(),
    /**
     * The container the process runs in, from /proc/PID/cgroup (runtime and id) joined with the
     * runtime's metadata (name, image, pod); absent for a process of the host itself.
     */
    container: ContainerRefSchema.optional(),
    /** Only the dynamic loader's variables (LD_*): the rest of the environment may hold secrets. */
    env: z.record(z.string(), z.string()),
    /** Distinct file-backed shared objects mapped into the process (/proc/PID/maps). */
    maps: z.array(z.string()),
    /** Parts of this process that could not be read (e.g. `environ: EACCES`). */
    readErrors: z.array(z.string()).optional(),
    /** NVIDIA GPU use, on a live host where `nvidia-smi` lists the process (snapshot/gpu.ts). */
    gpu: ProcessGpuSchema.optional(),
  }),
);
export type ProcessInfo = z.infer<typeof ProcessSchema>;

export const SOCKET_PROTOCOLS = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
export const SocketSchema = builtOnFirstUse(() =>
  z.object({
    protocol: z.enum(SOCKET_PROTOCOLS),
    localAddress: z.string(),
    localPort: z.number().int().min(0).max(65535),
    remoteAddress: z.string(),
    remotePort: z.number().int().min(0).max(65535),
    /** TCP state name (LISTEN, ESTABLISHED, SYN_SENT, …); UDP sockets report UNCONN or ESTABLISHED. */
    state: z.string(),
    inode: z.number().int().nonnegative(),
    uid: z.number().int().nonnegative().optional(),
    /** Processes holding this socket open (joined through /proc/PID/fd). */
    pids: z.array(z.number().int().positive()),
    /** Network namespace inode, when sockets of several namespaces were read. */
    netns: z.string().optional(),
  }),
);
export type SocketInfo = z.infer<typeof SocketSchema>;

export const HostsEntrySchema = builtOnFirstUse(() =>
  z.object({ address: z.string(), names: z.array(z.string()) }),
);
export type HostsEntry = z.infer<typeof HostsEntrySchema>;

// ---- Content scan (issue 3): files and process memory matched by YARA rules ----

/** A byte range of a file, [start, end): offsets from its first byte, the end excluded. */
const ByteRangeSchema = builtOnFirstUse(() =>
  z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
);

/**
 * A run of one byte value appended to a program after everything its headers refer to (ATT&CK
 * T1027.001, binary padding): it pushes the file past scanners' size limits and changes its hash.
 */
export const ContentPaddingSchema = builtOnFirstUse(() =>
  z.object({
    offset: z.number().int().nonnegative(),
    length: z.number().int().positive(),
    /** The byte value repeated, 0 for zeros. */
    byte: z.number().int().min(0).max(255),
    /** sha256 of the bytes before the padding: the file as it was before the run was appended. */
    sha256Before: z.string().optional(),
  }),
);
export type ContentPadding = z.infer<typeof ContentPaddingSchema>;

/**
 * How a file over the size limit was scanned (engine/file-parts.ts): a program (`program`) by its
 * headers' segments or sections, its appended overlay left out but for its first and last MiB; any
 * other file (`windows`) by its head, its tail and the chunks between that are not one byte value.
 */
export const ContentPartsSchema = builtOnFirstUse(() =>
  z.object({
    how: z.enum(['program', 'windows']),
    format: z.enum(['elf', 'pe']).optional(),
    /** The ranges the rules ran over, merged; the first 16, `moreRanges` counts the rest. */
    scanned: z.array(ByteRangeSchema),
    moreRanges: z.number().int().positive().optional(),
    bytesScanned: z.number().int().nonnegative(),
    /** Not scanned: holes, runs of one byte value, a program's overlay, what the budget left. */
    bytesSkipped: z.number().int().nonnegative(),
    /** A program's overlay: everything after what its headers refer to. */
    overlay: ByteRangeSchema.optional(),
    /** Never read: the scan's budget ran out first (the file is also listed as `partly-scanned`). */
    unscanned: z.array(ByteRangeSchema).optional(),
  }),
);
export type ContentParts = z.infer<typeof ContentPartsSchema>;

export const ContentFileSchema = builtOnFirstUse(() =>
  z.object({
    /** The file's path; inside an archive `<archive>!<entry>` (nested: `a.zip!b.tar!c`). */
    path: z.string(),
    size: z.number().int().nonnegative(),
    /** Present for executables (ELF, or an exec bit) and for every file with a match. */
    sha256: z.string().optional(),
    executable: z.boolean().optional(),
    /**
     * For a file with a match (not an archive entry): its modification time and, where the filesystem
     * keeps one, its birth time (ISO 8601), for the incident timeline.
     */
    mtime: z.string().optional(),
    birthtime: z.string().optional(),
    /** What kind of object the file is (engine/file-form.ts), for a file with a match. */
    form: z.enum(FILE_FORMS).optional(),
    /**
     * The file is one minehunter wrote itself (a report, snapshot, evidence bundle, journal…): its path
     * and sha256 are in the registry of outputs of the user who ran the collection.
     */
    ownOutput: z.object({ writtenAt: z.string(), what: z.string() }).optional(),
    /** Binary padding appended to this program (T1027.001). */
    padding: ContentPaddingSchema.optional(),
    /** The file was over the size limit and scanned by these parts; absent for a file read whole. */
    parts: ContentPartsSchema.optional(),
    /**
     * A web file (script, page, PHP) whose decoding by the web normaliser did not finish: decodings
     * it refused as bombs (output far larger than the input, nesting past the depth limit), and why it
     * stopped short (time, output or layer budget). Listed even without a match.
     */
    web: z.object({ bombs: z.array(z.string()).optional(), stopped: z.string().optional() }).optional(),
    matches: z.array(ContentMatchSchema),
  }),
);
export type ContentFile = z.infer<typeof ContentFileSchema>;
export const ContentMemorySchema = builtOnFirstUse(() =>
  z.object({
    pid: z.number().int().positive(),
    exe: z.string().optional(),
    regions: z.number().int().nonnegative(),
    bytes: z.number().int().nonnegative(),
    /** The per-process bound cut the scan short. */
    truncated: z.boolean().optional(),
    matches: z.array(ContentMatchSchema),
  }),
);
export type ContentMemory = z.infer<typeof ContentMemorySchema>;
export const ContentSkipSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string(),
    /** empty, special-file, unreadable, symlink-loop, partly-scanned, archive-bomb, archive-limit, … */
    reason: z.string(),
    detail: z.string().optional(),
  }),
);
/**
 * A symbolic link of an offline root (a mounted disk, a copied tree) met on the way to a place the
 * content scan would read, that leads out of the root: a relative link whose `..` climb above it,
 * or an absolute link whose target the root does not hold (on the analyst's machine it would name
 * the analyst's own files). It is not followed.
 */
export const LinkOutsideRootSchema = builtOnFirstUse(() =>
  z.object({
    /** Where the link is, as the target sees it (e.g. `/opt`). */
    path: z.string(),
    /** Its text: where it points (e.g. `/root/tools`). */
    target: z.string(),
    /** The places the scan left out because of it (a default directory, a process's executable…). */
    notScanned: z.array(z.string()),
  }),
);
export type LinkOutsideRoot = z.infer<typeof LinkOutsideRootSchema>;
export const ContentSchema = builtOnFirstUse(() =>
  z.object({
    /** default: processes' executables + the places miners hide; full: every local filesystem; paths: --path. */
    scope: z.enum(['default', 'full', 'paths']),
    roots: z.array(z.string()),
    engine: z.string(),
    ruleSetHash: z.string(),
    ruleFiles: z.array(z.string()),
    /** Only files with matches and executables (with their sha256); clean data files are counted. */
    files: z.array(ContentFileSchema),
    memory: z.array(ContentMemorySchema).optional(),
    /** The first skips, and archive bombs beyond them; `stats.skippedByReason` counts them all. */
    skipped: z.array(ContentSkipSchema),
    stats: z.object({
      files: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      cached: z.number().int().nonnegative(),
      archiveEntries: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative(),
      skippedByReason: z.record(z.string(), z.number().int().nonnegative()),
      memoryProcesses: z.number().int().nonnegative(),
      memoryBytes: z.number().int().nonnegative(),
      durationMs: z.number().nonnegative(),
      /** Files over the size limit, scanned by their parts (see ContentPartsSchema). */
      partsFiles: z.number().int().nonnegative().optional(),
      /** Bytes of those files their parts left out: holes, runs of one value, overlays, over budget. */
      bytesSkippedByParts: z.number().int().nonnegative().optional(),
      /** Time spent hashing files over the size limit whose evidence needed a sha256 (a match, padding). */
      largeHashMs: z.number().nonnegative().optional(),
    }),
    /** Offline roots only, and only when there is one: symlinks that lead out of the root, not followed. */
    linksOutsideRoot: z.array(LinkOutsideRootSchema).optional(),
  }),
);
export type Content = z.infer<typeof ContentSchema>;

/** The kinds of target a scan reads (web roots are read as part of a Linux target). */
export const TARGET_KINDS = [
  'linux-live',
  'linux-root',
  'container-image',
  'windows-volume',
  'web-page',
  'windows-live',
] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

/** What was scanned: shared by the snapshot and the report, which repeats it. */
export const TargetSchema = builtOnFirstUse(() =>
  z.object({
    /**
     * What kind of target this is, recognised once before collection (target/recognize.ts):
     * `linux-live` the running system, `linux-root` a Linux root read offline, `container-image` the
     * images of a docker-archive or OCI tarball or layout (`root` is the file), `windows-volume` a
     * Windows system drive (mounted or copied) read offline, `web-page` live web pages opened in a
     * headless browser by `minehunter web` (`root` is the first URL), `windows-live` the running
     * Windows system minehunter runs on, read through PowerShell/CIM. Absent in snapshots of
     * older versions, which were all one of these two (see `live`).
     */
    kind: z.enum(TARGET_KINDS).optional(),
    /** The directory treated as `/`. */
    root: z.string(),
    /** True when the target is the running system minehunter runs on (root `/` with its /proc). */
    live: z.boolean(),
    /**
     * What the report is about: the whole target (`host`, the default) or only the files and
     * directories named with `scan --path` (`paths`), in which case the host collectors did not run.
     */
    scope: z.enum(['host', 'paths']).optional(),
    /** The named paths (scope `paths`), as given, made absolute. */
    paths: z.array(z.string()).optional(),
  }),
);
export type Target = z.infer<typeof TargetSchema>;

/**
 * A collection cut short (Ctrl-C during `scan`): how long it ran, the sections it did not collect at
 * all and those it stopped part-way (the content scan's files scanned so far are kept). Absent when
 * the collection ran to its end.
 */
export const IncompleteSchema = builtOnFirstUse(() =>
  z.object({
    reason: z.enum(['interrupted']),
    afterMs: z.number().nonnegative(),
    missing: z.array(SectionSchema),
    partial: z.array(SectionSchema),
  }),
);
export type Incomplete = z.infer<typeof IncompleteSchema>;

export const SnapshotSchema = builtOnFirstUse(() =>
  z.object({
    schemaVersion: z.literal(SNAPSHOT_SCHEMA_VERSION),
    tool: z.object({ name: z.literal('minehunter'), version: z.string() }),
    collectedAt: z.string(),
    target: TargetSchema,
    host: HostSchema,
    processes: z.array(ProcessSchema).optional(),
    sockets: z.array(SocketSchema).optional(),
    hostsFile: z.array(HostsEntrySchema).optional(),
    content: ContentSchema.optional(),
    persistence: PersistenceSchema.optional(),
    integrity: IntegritySchema.optional(),
    /** Facts for `minehunter audit` (firewall, sshd, patches, agents, login tests); see src/audit/facts.ts. */
    audit: AuditFactsSchema.optional(),
    preload: PreloadSchema.optional(),
    hidden: HiddenSchema.optional(),
    modules: ModulesSchema.optional(),
    dirs: DirsSchema.optional(),
    /** The containers on the host and which runtime's metadata named them (snapshot/container.ts). */
    containers: ContainersSchema.optional(),
    /** The images of a container-image target, layer by layer (snapshot/image.ts). */
    image: ImagesSchema.optional(),
    /** A host's web roots, CMS installs and the places injections hide in (snapshot/web.ts). */
    web: WebSchema.optional(),
    /** A Windows volume's services, autostarts, tasks, WMI subscriptions and hiding places (snapshot/windows.ts). */
    windows: WindowsSchema.optional(),
    /** Live web pages as a headless browser saw them (`web URL --save-snapshot`; snapshot/page.ts). */
    page: PageSchema.optional(),
    collection: z.array(CollectionRecordSchema),
    incomplete: IncompleteSchema.optional(),
  }),
);
export type Snapshot = z.infer<typeof SnapshotSchema>;

/** The sections present in a snapshot: a collector that failed leaves its section out. */
export function collectedSections(snapshot: Snapshot): Set<Section> {
  const present = new Set<Section>();
  for (const record of snapshot.collection) {
    if (record.status === 'ok' || record.status === 'partial') {
      for (const section of record.sections) present.add(section);
    }
  }
  return present;
}
