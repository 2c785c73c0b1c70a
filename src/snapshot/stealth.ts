// Snapshot sections for the tricks miners use to hide on Linux (issue 4, stealth half): the dynamic
// loader's preload configuration and the libraries it names, PIDs and files that exist but do not
// list, kernel modules and taint, and oddly named directories in world-writable places. Facts only.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';

/**
 * A mapped, packaged library checked against its package database as `rpm -V` would: the file now on
 * disk against the digest dpkg (md5), apk (sha1, or sha256) or rpm (md5 or sha256, plus size and
 * mode) recorded. `config`: differs, but rpm marks it %config; `prelinked`: differs because prelink
 * rewrote it in place; `not-checked`: see `reason` (every mapping deleted, no record, budget spent…).
 */
export const LibraryIntegritySchema = builtOnFirstUse(() =>
  z.object({
    status: z.enum(['ok', 'modified', 'prelinked', 'config', 'not-checked']),
    algorithm: z.enum(['md5', 'sha1', 'sha256']).optional(),
    /** The digest the package recorded, and the file's digest in the same algorithm. */
    expected: z.string().optional(),
    actual: z.string().optional(),
    /** The path the database lists it under, when another merged-/usr spelling than `path`. */
    listed: z.string().optional(),
    /** rpm only: bytes and permission bits (e.g. 0o755 = 493) recorded, and those of the file now. */
    expectedSize: z.number().int().nonnegative().optional(),
    size: z.number().int().nonnegative().optional(),
    expectedMode: z.number().int().nonnegative().optional(),
    mode: z.number().int().nonnegative().optional(),
    reason: z.string().optional(),
  }),
);
export type LibraryIntegrity = z.infer<typeof LibraryIntegritySchema>;

/** A shared object the loader was told to load or a process has mapped, with what we learnt of it. */
export const SharedObjectSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string(),
    /** Where it came from: `ld.so.preload`, `LD_PRELOAD`, `LD_AUDIT` or `maps`. */
    sources: z.array(z.enum(['ld.so.preload', 'LD_PRELOAD', 'LD_AUDIT', 'maps'])),
    exists: z.boolean(),
    sha256: z.string().optional(),
    size: z.number().int().nonnegative().optional(),
    /** The package whose file list names it (dpkg); absent when none does or no database was read. */
    package: z.string().optional(),
    /** Functions it exports that libc exports too: the calls it intercepts when preloaded. */
    overrides: z.array(z.string()).optional(),
    /** Why the library could not be hashed or parsed, e.g. `not an ELF file`. */
    readError: z.string().optional(),
    /**
     * Owner (uid) and permission bits (e.g. 0o644 = 420) of the file now at `path`. Recorded only for a
     * mapped object in a toolchain tree (src/detect/toolchains.ts) that odd-shared-object would otherwise
     * report: whether it is an ordinary toolchain file depends on them. Absent means not known.
     */
    uid: z.number().int().nonnegative().optional(),
    mode: z.number().int().nonnegative().optional(),
    /** For a mapped object a package owns: the file checked against that package's record. */
    integrity: LibraryIntegritySchema.optional(),
  }),
);
export type SharedObject = z.infer<typeof SharedObjectSchema>;

export const PreloadSchema = builtOnFirstUse(() =>
  z.object({
    /** /etc/ld.so.preload; `exists: false` when there is none (the normal case). */
    ldSoPreload: z.object({
      path: z.string(),
      exists: z.boolean(),
      /** Library paths in the order the loader reads them (whitespace- or colon-separated). */
      entries: z.array(z.string()),
      sha256: z.string().optional(),
    }),
    /** /etc/ld.so.conf and the files it includes: the directories the loader searches. */
    ldSoConf: z.array(z.object({ file: z.string(), dirs: z.array(z.string()) })),
    /** Preloaded libraries, and every distinct shared object processes have mapped. */
    libraries: z.array(SharedObjectSchema),
    /** The package database ownership came from; `none` means ownership is unknown, not "unowned". */
    packageDb: z.enum(['dpkg', 'rpm', 'apk', 'none']),
  }),
);
export type Preload = z.infer<typeof PreloadSchema>;

export const HiddenProcessSchema = builtOnFirstUse(() =>
  z.object({
    pid: z.number().int().positive(),
    ppid: z.number().int().nonnegative().optional(),
    comm: z.string(),
    exe: z.string().optional(),
    exeDeleted: z.boolean().optional(),
    argv: z.array(z.string()),
    uid: z.number().int().nonnegative().optional(),
    /** Thread ids of the process (/proc/PID/task), the process itself included. */
    threads: z.array(z.number().int().positive()),
    /** The listings it was absent from: `readdir` (our own /proc listing) and/or `ps`. */
    missingFrom: z.array(z.enum(['readdir', 'ps'])),
  }),
);
export type HiddenProcess = z.infer<typeof HiddenProcessSchema>;

export const HiddenFileSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string(),
    /** Why it was checked: `ld.so.preload`, `preload-library`, `exe`, `cwd`. */
    reason: z.string(),
    /** The listings that left it out: `readdir` (Node's) and/or `find` (a child process's). */
    missingFrom: z.array(z.enum(['readdir', 'find'])),
    sha256: z.string().optional(),
  }),
);
export type HiddenFile = z.infer<typeof HiddenFileSchema>;

export const HiddenSchema = builtOnFirstUse(() =>
  z.object({
    /** How the PID space was probed, so a reader knows how much was covered. */
    pidProbe: z.object({
      pidMax: z.number().int().positive(),
      /** Highest PID probed: pid_max unless it was bounded (see the note in collection[]). */
      probedUpTo: z.number().int().positive(),
      listed: z.number().int().nonnegative(),
      /** PIDs `ps -e` printed; absent when ps is not installed. */
      psListed: z.number().int().nonnegative().optional(),
      durationMs: z.number().nonnegative(),
    }),
    processes: z.array(HiddenProcessSchema),
    files: z.array(HiddenFileSchema),
    /** Directories whose listings were compared for hidden files. */
    checkedDirs: z.array(z.string()),
    /** Scripts an interpreter was started with that are no longer on disk. */
    deletedScripts: z.array(
      z.object({ pid: z.number().int().positive(), interpreter: z.string(), path: z.string() }),
    ),
  }),
);
export type Hidden = z.infer<typeof HiddenSchema>;

export const KernelModuleSchema = builtOnFirstUse(() =>
  z.object({
    name: z.string(),
    size: z.number().int().nonnegative().optional(),
    state: z.string().optional(),
    /** Per-module taint letters from /proc/modules, e.g. `OE` (out-of-tree, unsigned). */
    taints: z.string(),
    /** Listed in /proc/modules and present in /sys/module. */
    inProcModules: z.boolean(),
    inSysModule: z.boolean(),
    /** Named in the distribution's module tree (modules.dep / modules.builtin); absent when unknown. */
    inTree: z.boolean().optional(),
  }),
);
export type KernelModule = z.infer<typeof KernelModuleSchema>;

export const ModulesSchema = builtOnFirstUse(() =>
  z.object({
    /** False when /proc/modules does not exist: the module list was then not collected. */
    procModules: z.boolean(),
    /** /lib/modules/<release> when it was found and read. */
    moduleTree: z.string().optional(),
    /** /proc/sys/kernel/tainted as a number; its bits are the kernel's taint flags. */
    tainted: z.number().int().nonnegative().optional(),
    modules: z.array(KernelModuleSchema),
  }),
);
export type Modules = z.infer<typeof ModulesSchema>;

export const SuspectDirSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string(),
    /** The directory searched: /tmp, /var/tmp, /dev/shm, /run, a home directory or `/`. */
    place: z.string(),
    /** What is odd about the name: `dot`, `blank`, `dots`, `lookalike`. */
    name: z.enum(['dot', 'blank', 'dots', 'lookalike']),
    /** For look-alikes, the system directory it imitates. */
    imitates: z.string().optional(),
    owner: z.number().int().nonnegative().optional(),
    mtime: z.string().optional(),
    /** Files inside (a few levels deep, bounded) that are ELF binaries or have an execute bit. */
    executables: z.array(
      z.object({ path: z.string(), elf: z.boolean(), size: z.number().int().nonnegative() }),
    ),
    /** Files inside that read like miner configuration, with the words that matched. */
    minerConfigs: z.array(z.object({ path: z.string(), match: z.string() })),
    /** Entries walked; `truncated` when the walk stopped at its bound. */
    entries: z.number().int().nonnegative(),
    truncated: z.boolean().optional(),
  }),
);
export type SuspectDir = z.infer<typeof SuspectDirSchema>;

export const DirsSchema = builtOnFirstUse(() =>
  z.object({
    /** The places whose top level was read. */
    places: z.array(z.string()),
    suspects: z.array(SuspectDirSchema),
  }),
);
export type Dirs = z.infer<typeof DirsSchema>;
