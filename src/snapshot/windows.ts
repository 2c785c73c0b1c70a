// The snapshot's Windows facts (source §4.2, §4.3, §4.5, issue 14): what a Windows system volume
// (mounted NTFS, a copied system drive, a triage collection) shows about services and drivers,
// autostart places, scheduled tasks, WMI permanent subscriptions and the folders miners hide in.
// Facts only, in Windows terms (registry key paths, task paths, C:\ paths): detectors weigh them.
// Paths that name a file of the volume are given twice where it matters: as Windows wrote them
// (`imagePath`, `command`) and as the volume holds them (`file`, a path under the target root with
// `/` separators and the case found on disk), so a renderer and respond need no path logic.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';

/** One hive read (or not): SYSTEM, SOFTWARE, a user's NTUSER.DAT. */
export const HiveReadSchema = builtOnFirstUse(() =>
  z.object({
    /** `SYSTEM`, `SOFTWARE`, `NTUSER.DAT (alice)`. */
    name: z.string(),
    /** Where it is on the volume (target path). */
    file: z.string(),
    ok: z.boolean(),
    /** Why it could not be read, or the first damage found (cycles, bad offsets), as a sentence. */
    problem: z.string().optional(),
    /** Damaged cells skipped while reading: the facts from this hive may be incomplete. */
    problems: z.number().int().nonnegative().optional(),
    /** Sequence numbers differ: the hive was not cleanly closed; its .LOG files were not replayed. */
    dirty: z.boolean().optional(),
  }),
);
export type HiveRead = z.infer<typeof HiveReadSchema>;

/** A file a registry value or a task names, resolved against the volume. */
export const VolumeFileSchema = builtOnFirstUse(() =>
  z.object({
    /** The file on the volume (target path), when the Windows path could be resolved to one. */
    file: z.string().optional(),
    /** Whether it exists on the volume (absent: could not tell, e.g. a bare name searched on PATH). */
    exists: z.boolean().optional(),
    size: z.number().int().nonnegative().optional(),
    sha256: z.string().optional(),
  }),
);
export type VolumeFile = z.infer<typeof VolumeFileSchema>;

export const SERVICE_TYPES = [
  'kernel-driver',
  'fs-driver',
  'own-process',
  'share-process',
  'user-service',
  'other',
] as const;
export const SERVICE_STARTS = ['boot', 'system', 'auto', 'demand', 'disabled', 'unknown'] as const;

/** One service or driver key under `<ControlSet>\Services`. */
export const WindowsServiceSchema = builtOnFirstUse(() =>
  z.object({
    /** The key's name: the service name `sc query` takes. */
    name: z.string(),
    /** Full key path, e.g. `HKLM\SYSTEM\ControlSet001\Services\hy5.5`. */
    key: z.string(),
    /** `ControlSet001`…; the current one is the snapshot's `system.currentControlSet`. */
    controlSet: z.string(),
    displayName: z.string().optional(),
    description: z.string().optional(),
    /** The raw `Type` value and what it means (1 kernel driver, 2 file-system driver, 0x10, 0x20…). */
    typeValue: z.number().int().optional(),
    type: z.enum(SERVICE_TYPES),
    startValue: z.number().int().optional(),
    start: z.enum(SERVICE_STARTS),
    /** `ImagePath` as written (REG_EXPAND_SZ unexpanded). */
    imagePath: z.string().optional(),
    /** `Parameters\ServiceDll` of a shared-process service. */
    serviceDll: z.string().optional(),
    /** `ObjectName`: the account it runs as. */
    objectName: z.string().optional(),
    /** `FailureCommand`: run when the service fails (a persistence trick). */
    failureCommand: z.string().optional(),
    /** The key's last write time (ISO 8601): when the service was installed or changed. */
    lastWrite: z.string().optional(),
    /** The image (or ServiceDll) resolved on the volume. */
    image: VolumeFileSchema.optional(),
  }),
);
export type WindowsService = z.infer<typeof WindowsServiceSchema>;

export const AUTOSTART_PLACES = [
  'run',
  'runonce',
  'run-policy',
  'winlogon-shell',
  'winlogon-userinit',
  'ifeo-debugger',
  'appinit-dlls',
  'startup-folder',
] as const;
export type AutostartPlace = (typeof AUTOSTART_PLACES)[number];

/** One autostart: a Run value, a Winlogon value changed from its default, an IFEO debugger… */
export const WindowsAutostartSchema = builtOnFirstUse(() =>
  z.object({
    place: z.enum(AUTOSTART_PLACES),
    /** `HKLM` (SOFTWARE) or `HKCU` (a user's NTUSER.DAT); `file` for a Startup-folder entry. */
    hive: z.enum(['HKLM', 'HKCU', 'file']),
    /** The profile's user name, for HKCU and per-user Startup folders. */
    user: z.string().optional(),
    /** Full key path (`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Run`), or the folder. */
    key: z.string(),
    /** The value name (`(default)` for the unnamed one), or the file name in a Startup folder. */
    value: z.string(),
    /** The command, DLL list or debugger as written. */
    data: z.string(),
    lastWrite: z.string().optional(),
    /** AppInit_DLLs only: whether `LoadAppInit_DLLs` turns the list on (absent: the value is not set). */
    enabled: z.boolean().optional(),
    /** The program the command starts, resolved on the volume. */
    image: VolumeFileSchema.optional(),
  }),
);
export type WindowsAutostart = z.infer<typeof WindowsAutostartSchema>;

/** A task as the registry's TaskCache knows it (`…\Schedule\TaskCache\Tree` and `\Tasks`). */
export const TaskCacheEntrySchema = builtOnFirstUse(() =>
  z.object({
    /** Task path, e.g. `\Microsoft\Windows\Update\Sync`. */
    path: z.string(),
    /** The task's GUID (`Id` in the Tree key). */
    id: z.string().optional(),
    /** The Tree key has no `SD` value: the task is hidden from schtasks and Task Scheduler. */
    sdMissing: z.boolean(),
    /** Whether `System32/Tasks<path>` exists on the volume. */
    xmlExists: z.boolean(),
    /** The Tree key's last write time. */
    lastWrite: z.string().optional(),
    /** Commands read from the binary `Actions` value of `Tasks\{GUID}`, when it could be decoded. */
    actions: z.array(z.string()).optional(),
  }),
);
export type TaskCacheEntry = z.infer<typeof TaskCacheEntrySchema>;

/** A script decoded out of a command (`-EncodedCommand`, `FromBase64String`), outermost first. */
export const DecodedScriptSchema = builtOnFirstUse(() =>
  z.object({
    /** How it was decoded: `encoded-command`, `from-base64`, … (powershell.ts layer kinds). */
    how: z.string(),
    /** The decoded text (at most 4,000 characters). */
    text: z.string(),
    truncated: z.boolean().optional(),
  }),
);
export type DecodedScript = z.infer<typeof DecodedScriptSchema>;

/** One scheduled task XML under `Windows/System32/Tasks`. */
export const ScheduledTaskSchema = builtOnFirstUse(() =>
  z.object({
    /** Task path (`\Folder\Name`). */
    path: z.string(),
    /** The XML file on the volume (target path). */
    file: z.string(),
    encoding: z.string().optional(),
    author: z.string().optional(),
    description: z.string().optional(),
    /** `RegistrationInfo/Date` as written. */
    date: z.string().optional(),
    hidden: z.boolean(),
    enabled: z.boolean(),
    /** The account it runs as and its run level (`HighestAvailable`…). */
    userId: z.string().optional(),
    runLevel: z.string().optional(),
    /** Trigger kinds (`boot`, `logon`, `time`, `calendar`, `idle`, `event`, …), with a repetition when set. */
    triggers: z.array(z.object({ kind: z.string(), repetition: z.string().optional() })),
    actions: z.array(
      z.object({
        type: z.enum(['exec', 'com', 'other']),
        /** exec: the program and its arguments as written. */
        command: z.string().optional(),
        arguments: z.string().optional(),
        workingDirectory: z.string().optional(),
        /** com: the class id. */
        classId: z.string().optional(),
        /** The program resolved on the volume. */
        image: VolumeFileSchema.optional(),
        /** Scripts decoded from the command line, outermost first. */
        decoded: z.array(DecodedScriptSchema).optional(),
      }),
    ),
    /** The file's mtime (ISO 8601). */
    mtime: z.string().optional(),
    /** The file could not be read or parsed: the other fields are empty. */
    error: z.string().optional(),
  }),
);
export type ScheduledTask = z.infer<typeof ScheduledTaskSchema>;

export const WMI_CONSUMER_CLASSES = [
  'CommandLineEventConsumer',
  'ActiveScriptEventConsumer',
  'LogFileEventConsumer',
  'NTEventLogEventConsumer',
  'SMTPEventConsumer',
  'other',
] as const;

/** A WMI permanent event consumer, with the filter and binding that tie it to an event. */
export const WmiSubscriptionSchema = builtOnFirstUse(() =>
  z.object({
    /**
     * Where it was read: the repository's OBJECTS.DATA (byte scan), an AutoRecover .mof file, or
     * CIM's root\subscription namespace on a running system (`windows-live`).
     */
    source: z.enum(['objects-data', 'mof', 'cim']),
    /** The file it was read from (target path). */
    file: z.string(),
    consumer: z.object({
      class: z.enum(WMI_CONSUMER_CLASSES),
      name: z.string(),
      commandLineTemplate: z.string().optional(),
      executablePath: z.string().optional(),
      scriptingEngine: z.string().optional(),
      /** ActiveScript consumer: the script text (at most 4,000 characters). */
      scriptText: z.string().optional(),
      scriptFileName: z.string().optional(),
    }),
    /** The event filter bound to it, when found. */
    filter: z.object({ name: z.string(), query: z.string().optional() }).optional(),
    /** A `__FilterToConsumerBinding` naming this consumer was found. */
    bound: z.boolean(),
    /** OBJECTS.DATA is byte-scanned: the record may be a deleted one still in the file. */
    mayBeDeleted: z.boolean().optional(),
    /** Scripts decoded from the command line or script, outermost first. */
    decoded: z.array(DecodedScriptSchema).optional(),
  }),
);
export type WmiSubscription = z.infer<typeof WmiSubscriptionSchema>;

export const FILE_PLACES = [
  'fonts-subdir',
  'fonts',
  'temp',
  'programdata',
  'recycle-bin',
  'users-public',
  'appdata',
  'system32',
  'other',
] as const;
export type FilePlace = (typeof FILE_PLACES)[number];

/** Facts from a PE header and its version resource. */
export const PeFactsSchema = builtOnFirstUse(() =>
  z.object({
    machine: z.string().optional(),
    /** `native` (a driver), `windows-gui`, `windows-cui`, … */
    subsystem: z.string().optional(),
    dll: z.boolean().optional(),
    /** The certificate-table directory is present (an embedded Authenticode signature). */
    signed: z.boolean(),
    companyName: z.string().optional(),
    productName: z.string().optional(),
    fileDescription: z.string().optional(),
    originalFilename: z.string().optional(),
    /** The header could not be read whole (a half-copied file): the rest is absent. */
    truncated: z.boolean().optional(),
  }),
);
export type PeFacts = z.infer<typeof PeFactsSchema>;

/**
 * A file or folder in a place miners hide (Fonts subfolders, Temp, ProgramData, the Recycle Bin,
 * Users\Public, AppData), or a program whose name imitates a system binary's.
 */
export const WindowsFileSchema = builtOnFirstUse(() =>
  z.object({
    /** The path on the volume (target path). */
    file: z.string(),
    /** As Windows names it (`C:\Windows\Fonts\arial`). */
    windowsPath: z.string(),
    place: z.enum(FILE_PLACES),
    type: z.enum(['dir', 'file']),
    size: z.number().int().nonnegative().optional(),
    mtime: z.string().optional(),
    sha256: z.string().optional(),
    /** DOS attributes when the copy carries them (ntfs-3g xattr, Samba DOSATTRIB). */
    attributes: z.object({ hidden: z.boolean(), system: z.boolean() }).optional(),
    /** A folder's entries (names, at most 50) and how many there are. */
    entries: z.array(z.string()).optional(),
    entryCount: z.number().int().nonnegative().optional(),
    /** Executables in the folder tree, counted. */
    executables: z.number().int().nonnegative().optional(),
    pe: PeFactsSchema.optional(),
  }),
);
export type WindowsFile = z.infer<typeof WindowsFileSchema>;

/**
 * What a volume read offline cannot show, said once in the report: `no-attributes` the copy keeps no
 * DOS attributes (hidden/system), `no-running-state` no processes or connections are in a volume.
 */
export const VOLUME_LIMITS = ['no-attributes', 'no-running-state'] as const;
export type VolumeLimit = (typeof VOLUME_LIMITS)[number];

export const WindowsSchema = builtOnFirstUse(() =>
  z.object({
    /** What the SYSTEM and SOFTWARE hives say about the system. */
    system: z
      .object({
        computerName: z.string().optional(),
        productName: z.string().optional(),
        currentBuild: z.string().optional(),
        /** `ControlSet001`…, from `Select\Current`. */
        currentControlSet: z.string().optional(),
        /** The volume's own clock: the last clean shutdown (ISO 8601). */
        lastShutdown: z.string().optional(),
        hives: z.array(HiveReadSchema),
      })
      .optional(),
    /** Profiles under Users/ and whether each has an NTUSER.DAT. */
    users: z.array(z.object({ name: z.string(), profile: z.string(), ntuser: z.boolean() })).optional(),
    services: z.array(WindowsServiceSchema).optional(),
    autostarts: z.array(WindowsAutostartSchema).optional(),
    taskCache: z.array(TaskCacheEntrySchema).optional(),
    tasks: z.array(ScheduledTaskSchema).optional(),
    wmi: z.array(WmiSubscriptionSchema).optional(),
    files: z.array(WindowsFileSchema).optional(),
    /** What a copied tree cannot show, said once for the report (no DOS attributes, no running state). */
    limits: z.array(z.enum(VOLUME_LIMITS)).optional(),
  }),
);
export type Windows = z.infer<typeof WindowsSchema>;
