// Snapshot sections for persistence (cron, at, systemd, rc scripts, shell profiles, udev, ssh keys,
// sudoers, file attributes) and system binary integrity. Facts only: parsed entries, file metadata and
// package checksums; what is suspicious is decided by the detectors.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';

/** Where a persistence entry lives; each place has its own parser in src/collect/linux/persistence/. */
export const PERSISTENCE_PLACES = [
  'crontab',
  'cron.d',
  'cron-spool',
  'cron-periodic',
  'anacrontab',
  'at',
  'systemd',
  'rc-local',
  'init.d',
  'shell-profile',
  'udev',
] as const;
export const PersistencePlaceSchema = builtOnFirstUse(() => z.enum(PERSISTENCE_PLACES));
export type PersistencePlace = z.infer<typeof PersistencePlaceSchema>;

export const SystemdUnitInfoSchema = builtOnFirstUse(() =>
  z.object({
    name: z.string(),
    scope: z.enum(['system', 'user']),
    /** The directive the command comes from: ExecStart, ExecStartPre, ExecStartPost, ExecStop… */
    directive: z.string(),
    description: z.string().optional(),
    /** Targets or units whose .wants/.requires directory links to this unit: it starts at boot/login. */
    enabledBy: z.array(z.string()),
    /** Drop-in files (unit.d/*.conf) that changed the unit, in the order systemd applies them. */
    dropIns: z.array(z.string()),
    /** The timer that starts this service, when there is one. */
    timer: z.string().optional(),
  }),
);

/**
 * One thing the system runs on a schedule, at boot, at login or on a device event: a cron line is
 * schedule + user + command, a unit is ExecStart + user + enabled state.
 */
export const PersistenceEntrySchema = builtOnFirstUse(() =>
  z.object({
    place: PersistencePlaceSchema,
    /** The file the entry is written in, as a path inside the target. */
    file: z.string(),
    /** 1-based line of the entry in `file` (the first line of a continued line). */
    line: z.number().int().positive().optional(),
    /** The line exactly as written (for removal and for the reader); absent for whole-file entries. */
    text: z.string().optional(),
    /** The user the command runs as, when the place says. */
    user: z.string().optional(),
    /** Cron schedule (`*\/5 * * * *`, `@reboot`), anacron period, at time, timer calendar. */
    schedule: z.string().optional(),
    command: z.string(),
    unit: SystemdUnitInfoSchema.optional(),
  }),
);
export type PersistenceEntry = z.infer<typeof PersistenceEntrySchema>;

export const AuthorizedKeySchema = builtOnFirstUse(() =>
  z.object({
    file: z.string(),
    line: z.number().int().positive(),
    /** The account whose home holds the file. */
    user: z.string(),
    keyType: z.string(),
    /** SHA256:… of the key blob, as `ssh-keygen -lf` prints it. */
    fingerprint: z.string(),
    comment: z.string().optional(),
    /** Options before the key type, e.g. `command="…"`, `from="…"`, `no-pty`. */
    options: z.array(z.string()),
    command: z.string().optional(),
    from: z.string().optional(),
    /** The whole line, for removing exactly this key. */
    text: z.string(),
  }),
);
export type AuthorizedKey = z.infer<typeof AuthorizedKeySchema>;

export const SudoRuleSchema = builtOnFirstUse(() =>
  z.object({
    file: z.string(),
    line: z.number().int().positive(),
    /** A user name, `%group`, `#uid` or an alias, as written. */
    who: z.string(),
    runAs: z.string().optional(),
    nopasswd: z.boolean(),
    /** The command list as written, e.g. `ALL` or `/usr/bin/systemctl restart app`. */
    commands: z.string(),
    text: z.string(),
  }),
);
export type SudoRule = z.infer<typeof SudoRuleSchema>;

export const AccountSchema = builtOnFirstUse(() =>
  z.object({
    name: z.string(),
    uid: z.number().int().nonnegative(),
    home: z.string(),
    shell: z.string(),
  }),
);
export type Account = z.infer<typeof AccountSchema>;

/** A file examined for persistence: the configuration itself, or a script or program it starts. */
export const PersistenceFileSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string(),
    role: z.enum(['config', 'target']),
    size: z.number().int().nonnegative().optional(),
    /** ISO 8601 modification time: "added recently" is judged against the collection time. */
    mtime: z.string().optional(),
    /** ISO 8601 birth time (statx), where the filesystem keeps one: when the file landed here. */
    birthtime: z.string().optional(),
    uid: z.number().int().nonnegative().optional(),
    sha256: z.string().optional(),
    /** Flags `lsattr` prints that matter: `i` immutable, `a` append-only. Absent when not collected. */
    attributes: z.array(z.string()).optional(),
    /** A text script: the absolute paths it mentions, so a chain can be followed one step further. */
    references: z.array(z.string()).optional(),
    /** A text script: SHA256 fingerprints of the ssh public keys written in it (a dropper adding its key). */
    sshKeys: z.array(z.string()).optional(),
    /** Not present in the target. */
    missing: z.boolean().optional(),
  }),
);
export type PersistenceFile = z.infer<typeof PersistenceFileSchema>;

export const PersistenceSchema = builtOnFirstUse(() =>
  z.object({
    entries: z.array(PersistenceEntrySchema),
    authorizedKeys: z.array(AuthorizedKeySchema),
    sudoRules: z.array(SudoRuleSchema),
    accounts: z.array(AccountSchema),
    files: z.array(PersistenceFileSchema),
    /** Whether file attributes were read (`lsattr` present and working); the reason when not. */
    attributes: z.object({ collected: z.boolean(), note: z.string().optional() }),
  }),
);
export type Persistence = z.infer<typeof PersistenceSchema>;

/**
 * `config`: differs from the package, but the package marks it %config (rpm), so edits are expected.
 * `prelinked`: differs, but prelink rewrote it in place (CentOS 6/7): the digest is not comparable.
 */
export const INTEGRITY_STATUSES = [
  'ok',
  'modified',
  'unpackaged',
  'unreadable',
  'config',
  'prelinked',
] as const;

export const BinaryCheckSchema = builtOnFirstUse(() =>
  z.object({
    /** Where the program is found (e.g. /usr/bin/ps). */
    path: z.string(),
    /** The path the package database lists it under (e.g. bin/ps on a /usr-merged system). */
    packagePath: z.string().optional(),
    package: z.string().optional(),
    status: z.enum(INTEGRITY_STATUSES),
    expectedMd5: z.string().optional(),
    /** rpm ≥ 4.6 headers record SHA-256 (FILEDIGESTALGO 8) instead of md5. */
    expectedSha256: z.string().optional(),
    actualMd5: z.string().optional(),
    sha256: z.string().optional(),
    size: z.number().int().nonnegative().optional(),
    mtime: z.string().optional(),
    /**
     * rpm only (dpkg records digests alone): the size the package recorded, and the permission bits
     * (e.g. 0o4755 = 2541) recorded and found, compared as `rpm -V` does.
     */
    expectedSize: z.number().int().nonnegative().optional(),
    expectedMode: z.number().int().nonnegative().optional(),
    mode: z.number().int().nonnegative().optional(),
  }),
);
export type BinaryCheck = z.infer<typeof BinaryCheckSchema>;

export const IntegritySchema = builtOnFirstUse(() =>
  z.object({
    /** `dpkg` when its md5sums were read, `rpm` when the rpm database was; `none` when neither exists. */
    packageManager: z.enum(['dpkg', 'rpm', 'none']),
    binaries: z.array(BinaryCheckSchema),
  }),
);
export type Integrity = z.infer<typeof IntegritySchema>;
