// The facts the prevention audit reads, as the `audit` part of a snapshot: firewall rulesets as the
// kernel tools print them, sshd settings, pending upgrades, agents' traces, scheduled tasks, the
// outcome of the loopback-only login tests and the pool host names /etc/hosts mentions. Facts only;
// pass or fail is decided in src/audit/checks.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { WindowsAuditFactsSchema } from './audit-windows.js';

/** A command the collector ran: its output, or why there is none. */
export const CommandOutputSchema = builtOnFirstUse(() =>
  z.object({
    command: z.string(),
    /** Absent when the program is not installed. */
    stdout: z.string().optional(),
    exitCode: z.number().int().optional(),
    error: z.string().optional(),
  }),
);
export type CommandOutput = z.infer<typeof CommandOutputSchema>;

export const FirewalldZoneSchema = builtOnFirstUse(() =>
  z.object({
    name: z.string(),
    /** The zone file read (/etc/firewalld/zones/… or the shipped /usr/lib/firewalld/zones/…). */
    file: z.string(),
    target: z.string().optional(),
    services: z.array(z.string()),
    /** `445/tcp`, `137-139/udp`. */
    ports: z.array(z.string()),
    richRules: z.array(
      z.object({
        text: z.string(),
        action: z.string(),
        ports: z.array(z.string()),
        source: z.string().optional(),
      }),
    ),
  }),
);
export type FirewalldZone = z.infer<typeof FirewalldZoneSchema>;

export const FirewallFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** `nft -j list ruleset`, parsed; absent when nft is missing or failed (see `nftError`). */
    nft: z.unknown().optional(),
    nftError: z.string().optional(),
    /** `iptables-save` / `ip6tables-save` text and the backend their header names (nf_tables or legacy). */
    iptables: z
      .array(
        z.object({
          family: z.enum(['ip', 'ip6']),
          backend: z.enum(['nf_tables', 'legacy', 'unknown']),
          text: z.string(),
        }),
      )
      .default([]),
    iptablesErrors: z.array(z.string()).default([]),
    ufw: z.object({ installed: z.boolean(), enabled: z.boolean().optional() }).optional(),
    /** firewalld: installed, and (issue 23) its saved default zone and zones when configured. */
    firewalld: z
      .object({
        installed: z.boolean(),
        defaultZone: z.string().optional(),
        zones: z.array(FirewalldZoneSchema).optional(),
      })
      .optional(),
    /** /proc/net/if_inet6 exists: IPv6 is on, so IPv6 rules matter too. */
    ipv6Enabled: z.boolean(),
  }),
);
export type FirewallFacts = z.infer<typeof FirewallFactsSchema>;

export const AuthorizedKeysFileSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string(),
    user: z.string(),
    /** File mode bits, e.g. 0o600 = 384. */
    mode: z.number().int(),
    uid: z.number().int(),
    /** The enclosing .ssh directory's mode. */
    dirMode: z.number().int().optional(),
    mtime: z.string(),
    keys: z.array(
      z.object({
        line: z.number().int().positive(),
        type: z.string(),
        comment: z.string().optional(),
        /** Options before the key type (`command=`, `from=`…), as written. */
        options: z.string().optional(),
      }),
    ),
  }),
);
export type AuthorizedKeysFile = z.infer<typeof AuthorizedKeysFileSchema>;

export const SshdFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** An sshd binary or configuration exists. */
    installed: z.boolean(),
    /** `sshd -T` (the effective settings) or the configuration files read by hand. */
    source: z.enum(['sshd -T', 'config', 'none']),
    /** Lower-case keyword → first value, as sshd applies them (the first one wins). */
    settings: z.record(z.string(), z.string()),
    files: z.array(z.string()),
    /** Settings inside `Match` blocks are not evaluated; the count is kept so the report can say so. */
    matchBlocks: z.number().int().nonnegative(),
    authorizedKeys: z.array(AuthorizedKeysFileSchema),
  }),
);
export type SshdFacts = z.infer<typeof SshdFactsSchema>;

export const PackageFactsSchema = builtOnFirstUse(() =>
  z.object({
    /**
     * apt (dpkg status), dnf (dnf 4 or 5) or yum over an rpm database, `rpm` for an rpm database with
     * neither (zypper, a bare image), `none` without a package database.
     */
    manager: z.enum(['apt', 'dnf', 'yum', 'rpm', 'none']),
    /**
     * Newest mtime of the downloaded package lists (apt) or repository metadata caches (dnf/yum): how
     * fresh "no pending update" is.
     */
    listsUpdatedAt: z.string().optional(),
    /**
     * The security lists read: /var/lib/apt/lists/*security*_Packages* (apt), the repositories'
     * updateinfo files in the dnf/yum cache (rpm hosts).
     */
    securityLists: z.array(z.string()),
    /**
     * For each installed package a security list also carries: the installed version and the list's
     * (highest) version. Whether that is newer is for the check to decide. On rpm hosts versions are
     * `[epoch:]version-release`, `list` is the repository, and `advisories` the security advisories
     * (RHSA-2024:1234…) whose fixed version is newer than the installed one.
     */
    candidates: z.array(
      z.object({
        name: z.string(),
        arch: z.string(),
        installed: z.string(),
        candidate: z.string(),
        list: z.string(),
        advisories: z.array(z.string()).optional(),
      }),
    ),
    /** rpm hosts: the rpm database read. */
    rpmDatabase: z.string().optional(),
    /** rpm hosts: the newest install time in the rpm database (imported gpg keys left out): patch age. */
    newestInstallAt: z.string().optional(),
    /** rpm hosts: the dnf/yum history database read and its last successful transactions. */
    history: z
      .object({
        file: z.string(),
        lastTransactionAt: z.string().optional(),
        /** The last successful transaction that upgraded a package. */
        lastUpgradeAt: z.string().optional(),
        /** Its recorded command line (dnf 4, yum) or description (dnf 5). */
        command: z.string().optional(),
      })
      .optional(),
    /** rpm hosts: repository metadata caches found (each with a repomd.xml). */
    repoCaches: z.number().int().nonnegative().optional(),
    /** rpm hosts: security advisory entries left out because they update a module stream. */
    modularSkipped: z.number().int().nonnegative().optional(),
    error: z.string().optional(),
  }),
);
export type PackageFacts = z.infer<typeof PackageFactsSchema>;

export const KernelFactsSchema = builtOnFirstUse(() =>
  z.object({
    running: z.string().optional(),
    /** Kernel versions with modules in /lib/modules or an image in /boot. */
    installed: z.array(z.string()),
  }),
);
export type KernelFacts = z.infer<typeof KernelFactsSchema>;

export const AgentTraceSchema = builtOnFirstUse(() =>
  z.object({
    /** Id of the agent in src/audit/agents.ts. */
    agent: z.string(),
    /** Install directories or binaries that exist. */
    present: z.array(z.string()),
    /** Service files, init scripts and the like that exist: left behind when the agent was deleted. */
    traces: z.array(z.string()),
  }),
);
export type AgentTrace = z.infer<typeof AgentTraceSchema>;

export const AgentFactsSchema = builtOnFirstUse(() =>
  z.object({
    agents: z.array(AgentTraceSchema),
    clamav: z.object({
      installed: z.boolean(),
      /** Signature databases: file, build time from the header (or mtime), version. */
      databases: z.array(
        z.object({ file: z.string(), builtAt: z.string().optional(), version: z.number().optional() }),
      ),
    }),
  }),
);
export type AgentFacts = z.infer<typeof AgentFactsSchema>;

export const CronEntrySchema = builtOnFirstUse(() =>
  z.object({
    file: z.string(),
    line: z.number().int().positive(),
    user: z.string().optional(),
    command: z.string(),
    mtime: z.string().optional(),
  }),
);
export type CronEntry = z.infer<typeof CronEntrySchema>;

export const CronFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** `persistence` when the persistence collector's entries were used, `minimal` for this collector's own. */
    source: z.enum(['persistence', 'minimal']),
    entries: z.array(CronEntrySchema),
    /** Writable-by-others cron files and directories. */
    writable: z.array(z.string()),
  }),
);
export type CronFacts = z.infer<typeof CronFactsSchema>;

export const LOGIN_SERVICES = [
  'redis',
  'postgresql',
  'mysql',
  'tomcat-manager',
  'jenkins',
  'mongodb',
] as const;
export const LoginServiceSchema = builtOnFirstUse(() => z.enum(LOGIN_SERVICES));
export type LoginService = z.infer<typeof LoginServiceSchema>;

/** What one login test found on one loopback endpoint. */
export const LoginResultSchema = builtOnFirstUse(() =>
  z.object({
    service: LoginServiceSchema,
    /** Always 127.0.0.1:port or [::1]:port. */
    endpoint: z.string(),
    /**
     * `open`: no credentials needed; `weak`: a dictionary credential worked; `protected`: every try was
     * refused; `unknown`: could not tell (no client, connection refused, unexpected answer).
     */
    outcome: z.enum(['open', 'weak', 'protected', 'unknown']),
    user: z.string().optional(),
    /** The dictionary password that worked (dictionary words only, never a real secret). */
    password: z.string().optional(),
    attempts: z.number().int().nonnegative(),
    detail: z.string(),
    /** Redis: whether `CONFIG SET dir` to its current value was accepted (the cron-write trick). */
    configSetDir: z.enum(['allowed', 'denied', 'not-tested']).optional(),
  }),
);
export type LoginResult = z.infer<typeof LoginResultSchema>;

export const LoginFactsSchema = builtOnFirstUse(() =>
  z.object({
    enabled: z.boolean(),
    results: z.array(LoginResultSchema),
    /** Services seen listening but not tested, and why (e.g. bound to a non-loopback address only). */
    notTested: z.array(z.object({ service: LoginServiceSchema, endpoint: z.string(), reason: z.string() })),
  }),
);
export type LoginFacts = z.infer<typeof LoginFactsSchema>;

/**
 * The /etc/hosts names (of the snapshot's hostsFile) that are known mining pool hosts, matched against
 * minehunter's pool-domain list the way hosts-tampering matches them. Whether a line blocks or pins a
 * pool (its address) is for the check to decide.
 */
export const HostsPoolFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** The IOC files the pool-domain list came from, e.g. `iocs/pool-domains.yml`. */
    listFiles: z.array(z.string()),
    /** How many pool domains the list holds (each also covers the hosts under it). */
    listed: z.number().int().nonnegative(),
    /** Names on lines with an IP address, in file order, with the list entry each matched. */
    names: z.array(z.object({ address: z.string(), name: z.string(), ioc: z.string() })),
  }),
);
export type HostsPoolFacts = z.infer<typeof HostsPoolFactsSchema>;

/** A container runtime's API socket: whoever may write to it runs containers as root. */
export const RuntimeSocketSchema = builtOnFirstUse(() =>
  z.object({
    runtime: z.enum(['docker', 'podman', 'containerd']),
    path: z.string(),
    /** Permission bits, e.g. 0o660 = 432. */
    mode: z.number().int(),
    uid: z.number().int(),
    gid: z.number().int(),
    owner: z.string().optional(),
    group: z.string().optional(),
    /** A rootless podman socket under /run/user/UID: its owner's primary group is the expected one. */
    rootlessGid: z.number().int().optional(),
    /** Members of the socket's group as /etc/group lists them (primary members are not listed there). */
    groupMembers: z.array(z.string()).optional(),
  }),
);
export type RuntimeSocket = z.infer<typeof RuntimeSocketSchema>;

export const RuntimeSocketFactsSchema = builtOnFirstUse(() =>
  z.object({
    sockets: z.array(RuntimeSocketSchema),
  }),
);
export type RuntimeSocketFacts = z.infer<typeof RuntimeSocketFactsSchema>;

export const SELINUX_MODES = ['enforcing', 'permissive', 'disabled'] as const;
export type SelinuxMode = (typeof SELINUX_MODES)[number];

/**
 * SELinux (issue 23): the mode the target's /etc/selinux/config sets for the next boot and, on the
 * running system only, the mode the kernel is in now. Miner droppers commonly run `setenforce 0` and
 * rewrite the config, so the two are kept apart for the check to compare.
 */
export const SelinuxFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** /etc/selinux exists: SELinux's policy or tools are installed in the target. */
    installed: z.boolean(),
    /** /etc/selinux/config, when it exists. */
    config: z
      .object({
        /** SELINUX= as libselinux reads it: the first recognised mode, else the first value as written. */
        mode: z.string().optional(),
        /** SELINUXTYPE= (targeted, mls, minimum…). */
        type: z.string().optional(),
      })
      .optional(),
    /** The running kernel's mode: /sys/fs/selinux/enforce 1 or 0, `disabled` without selinuxfs. */
    live: z.enum(SELINUX_MODES).optional(),
    /** Why `live` is absent (an offline root, an unreadable file). */
    liveNote: z.string().optional(),
  }),
);
export type SelinuxFacts = z.infer<typeof SelinuxFactsSchema>;

export const AuditFactsSchema = builtOnFirstUse(() =>
  z.object({
    firewall: FirewallFactsSchema.optional(),
    sshd: SshdFactsSchema.optional(),
    packages: PackageFactsSchema.optional(),
    kernel: KernelFactsSchema.optional(),
    agents: AgentFactsSchema.optional(),
    cron: CronFactsSchema.optional(),
    logins: LoginFactsSchema.optional(),
    hostsPools: HostsPoolFactsSchema.optional(),
    runtimeSockets: RuntimeSocketFactsSchema.optional(),
    selinux: SelinuxFactsSchema.optional(),
    /** A Windows volume's facts (issue 22): read instead of the Linux parts above. */
    windows: WindowsAuditFactsSchema.optional(),
  }),
);
export type AuditFacts = z.infer<typeof AuditFactsSchema>;
