// The Snapshot: facts collected from one target, no verdicts. One zod schema yields both the
// TypeScript types and the validation `analyze` applies to a snapshot file from another machine.
import { z } from 'zod';

/** Bump when a field changes meaning or a required field is added; `analyze` refuses other majors. */
export const SNAPSHOT_SCHEMA_VERSION = 1;

/** The parts of a snapshot a collector fills and a detector may need. */
export const SECTIONS = ['host', 'processes', 'sockets', 'hosts-file'] as const;
export const SectionSchema = z.enum(SECTIONS);
export type Section = z.infer<typeof SectionSchema>;

export const CollectionErrorSchema = z.object({
  path: z.string().optional(),
  code: z.string().optional(),
  message: z.string(),
});
export type CollectionError = z.infer<typeof CollectionErrorSchema>;

/**
 * What one collector did. `status` is `failed` when the section could not be read at all (it is then
 * absent from the snapshot and never reported as clean), `partial` when some items could not be read.
 */
export const CollectionRecordSchema = z.object({
  collector: z.string(),
  sections: z.array(SectionSchema),
  status: z.enum(['ok', 'partial', 'failed', 'skipped']),
  durationMs: z.number().nonnegative(),
  errors: z.array(CollectionErrorSchema),
  /** Errors beyond the first few are counted, not listed, so a hostile tree cannot bloat the snapshot. */
  droppedErrors: z.number().int().nonnegative().optional(),
  note: z.string().optional(),
});
export type CollectionRecord = z.infer<typeof CollectionRecordSchema>;

export const HostAddressSchema = z.object({
  interface: z.string(),
  address: z.string(),
  family: z.enum(['IPv4', 'IPv6']),
});

export const HostSchema = z.object({
  hostname: z.string().optional(),
  kernel: z.string().optional(),
  distribution: z
    .object({ id: z.string().optional(), name: z.string().optional(), version: z.string().optional() })
    .optional(),
  /** ISO 8601; from /proc/stat `btime`. */
  bootTime: z.string().optional(),
  cpuCount: z.number().int().positive().optional(),
  loadAverage: z.tuple([z.number(), z.number(), z.number()]).optional(),
  addresses: z.array(HostAddressSchema),
  pidMax: z.number().int().positive().optional(),
});
export type Host = z.infer<typeof HostSchema>;

export const ProcessSchema = z.object({
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
  /** Only the dynamic loader's variables (LD_*): the rest of the environment may hold secrets. */
  env: z.record(z.string(), z.string()),
  /** Distinct file-backed shared objects mapped into the process (/proc/PID/maps). */
  maps: z.array(z.string()),
  /** Parts of this process that could not be read (e.g. `environ: EACCES`). */
  readErrors: z.array(z.string()).optional(),
});
export type ProcessInfo = z.infer<typeof ProcessSchema>;

export const SOCKET_PROTOCOLS = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
export const SocketSchema = z.object({
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
});
export type SocketInfo = z.infer<typeof SocketSchema>;

export const HostsEntrySchema = z.object({ address: z.string(), names: z.array(z.string()) });
export type HostsEntry = z.infer<typeof HostsEntrySchema>;

export const SnapshotSchema = z.object({
  schemaVersion: z.literal(SNAPSHOT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('minehunter'), version: z.string() }),
  collectedAt: z.string(),
  target: z.object({
    /** The directory treated as `/`. */
    root: z.string(),
    /** True when the target is the running system minehunter runs on (root `/` with its /proc). */
    live: z.boolean(),
  }),
  host: HostSchema,
  processes: z.array(ProcessSchema).optional(),
  sockets: z.array(SocketSchema).optional(),
  hostsFile: z.array(HostsEntrySchema).optional(),
  collection: z.array(CollectionRecordSchema),
});
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
