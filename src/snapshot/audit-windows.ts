// The prevention-audit facts of a Windows volume (issue 22, source §3): what the SYSTEM and SOFTWARE
// hives say about the firewall, file sharing, Defender, patches, remote desktop and autologon, as the
// `windows` part of the snapshot's `audit` section. Facts only, each with the key it was read from
// (`HKLM\SYSTEM\ControlSet001\…`) so a check can show it as evidence; pass or fail is decided in
// src/audit/checks/windows-*.ts. A password is never kept: only whether one is stored.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';
import { SERVICE_STARTS } from './windows.js';

/** One rule of `FirewallPolicy\FirewallRules`, parsed from its `v2.30|Action=Block|…|` string. */
export const WindowsFirewallRuleSchema = builtOnFirstUse(() =>
  z.object({
    /** The value name (the rule's id, e.g. `{GUID}` or `FPS-SMB-In-TCP`). */
    id: z.string(),
    /** `Name=` (often an `@FirewallAPI.dll,-28502` resource reference for built-in rules). */
    name: z.string().optional(),
    action: z.enum(['allow', 'block', 'other']),
    active: z.boolean(),
    direction: z.enum(['in', 'out', 'other']),
    /** IANA protocol number (6 TCP, 17 UDP); absent means any protocol. */
    protocol: z.number().int().optional(),
    /** `LPort=`/`LPort2_10=` values as written (`445`, `137-139`, `RPC-EPMap`); empty means any port. */
    localPorts: z.array(z.string()),
    /** `RPort=`/`RPort2_10=` values: what an outbound rule matches on. */
    remotePorts: z.array(z.string()),
    /** `Profile=` values (`Domain`, `Private`, `Public`); empty means all profiles. */
    profiles: z.array(z.string()),
    /** The rule string as stored, cut to 1,000 characters. */
    raw: z.string(),
  }),
);
export type WindowsFirewallRule = z.infer<typeof WindowsFirewallRuleSchema>;

export const FIREWALL_PROFILES = ['Domain', 'Private', 'Public'] as const;

export const WindowsFirewallFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** `HKLM\SYSTEM\ControlSet001\Services\SharedAccess\Parameters\FirewallPolicy`. */
    key: z.string(),
    /** Each profile's `EnableFirewall` (Private is the `StandardProfile` key); absent: not set. */
    profiles: z.array(
      z.object({
        profile: z.enum(FIREWALL_PROFILES),
        key: z.string(),
        enabled: z.boolean().optional(),
      }),
    ),
    rules: z.array(WindowsFirewallRuleSchema),
    /** Rule strings that could not be parsed (kept out of `rules`). */
    unparsed: z.number().int().nonnegative(),
  }),
);
export type WindowsFirewallFacts = z.infer<typeof WindowsFirewallFactsSchema>;

/** A service's start type as `…\Services\<name>` holds it; `present: false` when it has no key. */
export const WindowsServiceStartSchema = builtOnFirstUse(() =>
  z.object({
    name: z.string(),
    key: z.string(),
    present: z.boolean(),
    startValue: z.number().int().optional(),
    start: z.enum(SERVICE_STARTS).optional(),
  }),
);
export type WindowsServiceStart = z.infer<typeof WindowsServiceStartSchema>;

export const WindowsSharingFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** `…\Services\LanmanServer\Parameters`. */
    key: z.string(),
    /** `SMB1` (0 off, 1 on; absent: the build's default). */
    smb1: z.number().int().optional(),
    autoShareServer: z.number().int().optional(),
    autoShareWks: z.number().int().optional(),
    /** `…\LanmanServer\Shares` values: the share name and its `Path=` line. */
    sharesKey: z.string(),
    shares: z.array(z.object({ name: z.string(), path: z.string().optional() })),
  }),
);
export type WindowsSharingFacts = z.infer<typeof WindowsSharingFactsSchema>;

export const DEFENDER_EXCLUSION_KINDS = ['Paths', 'Processes', 'Extensions'] as const;

export const WindowsDefenderFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** `HKLM\SOFTWARE\Policies\Microsoft\Windows Defender`. */
    policyKey: z.string(),
    /** `HKLM\SOFTWARE\Microsoft\Windows Defender`. */
    key: z.string(),
    /** `DisableAntiSpyware` set by group policy / by Defender's own key. */
    policyDisableAntiSpyware: z.number().int().optional(),
    disableAntiSpyware: z.number().int().optional(),
    /** `Real-Time Protection\DisableRealtimeMonitoring`, policy and own key. */
    policyDisableRealtimeMonitoring: z.number().int().optional(),
    disableRealtimeMonitoring: z.number().int().optional(),
    /** Exclusions from both keys: kind, the excluded path / process / extension, and where it is set. */
    exclusions: z.array(
      z.object({ kind: z.enum(DEFENDER_EXCLUSION_KINDS), value: z.string(), key: z.string() }),
    ),
    signatures: z.object({
      /** `…\Windows Defender\Signature Updates`. */
      key: z.string(),
      version: z.string().optional(),
      /** `SignaturesLastUpdated` (a FILETIME), ISO 8601. */
      lastUpdated: z.string().optional(),
    }),
  }),
);
export type WindowsDefenderFacts = z.infer<typeof WindowsDefenderFactsSchema>;

/**
 * Local accounts from the SAM hive (read-only): each user's name, RID and the account-control flags
 * of its `F` value. Nothing else of the SAM is read: no hashes, no `V` value.
 */
export const WindowsAccountsFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** `HKLM\SAM\SAM\Domains\Account\Users`. */
    key: z.string(),
    users: z.array(
      z.object({
        name: z.string(),
        /** 500 is the built-in Administrator, 501 Guest. */
        rid: z.number().int(),
        /** The `F` value's account-control bits (0x1 disabled, 0x4 no password required, 0x200 never expires). */
        flags: z.number().int(),
        disabled: z.boolean(),
        passwordNotRequired: z.boolean(),
        passwordNeverExpires: z.boolean(),
      }),
    ),
  }),
);
export type WindowsAccountsFacts = z.infer<typeof WindowsAccountsFactsSchema>;

export const WindowsAuditFactsSchema = builtOnFirstUse(() =>
  z.object({
    /** The hives read: name, file on the volume, and why one could not be opened. */
    hives: z.array(z.object({ name: z.string(), file: z.string(), error: z.string().optional() })),
    /** `ControlSet001`…, from `Select`. */
    controlSet: z.string().optional(),
    /** The volume's own clock: `Control\Windows\ShutdownTime`, the last clean shutdown. */
    clock: z.object({ key: z.string(), lastShutdown: z.string().optional() }).optional(),
    firewall: WindowsFirewallFactsSchema.optional(),
    /** Browser, LanmanServer, WinDefend, the SMBv1 drivers (srv, mrxsmb10), TermService. */
    services: z.array(WindowsServiceStartSchema).optional(),
    sharing: WindowsSharingFactsSchema.optional(),
    defender: WindowsDefenderFactsSchema.optional(),
    /** Anti-virus products other than Defender, known by their service names. */
    antivirus: z.array(z.object({ product: z.string(), service: z.string(), key: z.string() })).optional(),
    os: z
      .object({
        key: z.string(),
        productName: z.string().optional(),
        displayVersion: z.string().optional(),
        currentBuild: z.string().optional(),
        ubr: z.number().int().optional(),
        /** The newest `InstallTimeUTC`/last-write of a Component Based Servicing package (ISO 8601). */
        lastUpdateInstalled: z.string().optional(),
      })
      .optional(),
    windowsUpdate: z
      .object({
        /** `HKLM\SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU`. */
        key: z.string(),
        noAutoUpdate: z.number().int().optional(),
        auOptions: z.number().int().optional(),
      })
      .optional(),
    rdp: z
      .object({
        /** `…\Control\Terminal Server`. */
        key: z.string(),
        fDenyTSConnections: z.number().int().optional(),
        /** `…\WinStations\RDP-Tcp`. */
        rdpTcpKey: z.string(),
        /** `UserAuthentication`: 1 requires Network Level Authentication. */
        userAuthentication: z.number().int().optional(),
      })
      .optional(),
    accounts: WindowsAccountsFactsSchema.optional(),
    winlogon: z
      .object({
        /** `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon`. */
        key: z.string(),
        autoAdminLogon: z.string().optional(),
        defaultUserName: z.string().optional(),
        /** A `DefaultPassword` value exists and is not empty; its text is never read into the snapshot. */
        defaultPasswordStored: z.boolean(),
      })
      .optional(),
  }),
);
export type WindowsAuditFacts = z.infer<typeof WindowsAuditFactsSchema>;
