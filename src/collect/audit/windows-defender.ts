// Microsoft Defender as a Windows volume's SOFTWARE hive holds it (issue 22, source §3.2, §3.9):
// whether it is turned off (by group policy or its own key), the exclusions miners add (a Fonts or
// Temp folder, their own process), and the signature version with its last update time. Other
// anti-virus products are known by their service names in SYSTEM.
import type { Hive, RegKey } from '../../target/windows/registry/index.js';
import {
  DEFENDER_EXCLUSION_KINDS,
  type WindowsAuditFacts,
  type WindowsDefenderFacts,
} from '../../snapshot/audit-windows.js';
import { filetimeIso, Values } from '../windows/registry-read.js';

const POLICY = 'Policies\\Microsoft\\Windows Defender';
const OWN = 'Microsoft\\Windows Defender';
const MAX_EXCLUSIONS = 1000;

/**
 * Anti-virus services other than Defender, by service key name (lower case) → product. The products
 * common where the source's campaigns ran (360, Huorong, Tencent) are listed with the global ones.
 */
export const THIRD_PARTY_AV: Record<string, string> = {
  ekrn: 'ESET',
  avp: 'Kaspersky',
  klif: 'Kaspersky',
  sepmasterservice: 'Symantec Endpoint Protection',
  mcafeeframework: 'McAfee',
  mfemms: 'McAfee',
  savservice: 'Sophos',
  sophos_mcs_agent: 'Sophos',
  avast: 'Avast',
  avastwvcsvc: 'Avast',
  avgsvc: 'AVG',
  vsserv: 'Bitdefender',
  bdservicehost: 'Bitdefender',
  wrsvc: 'Webroot',
  csfalconservice: 'CrowdStrike Falcon',
  sentinelagent: 'SentinelOne',
  cylancesvc: 'Cylance',
  zhudongfangyu: '360 Total Security',
  '360rp': '360 Total Security',
  hipsdaemon: 'Huorong',
  qqpcrtp: 'Tencent PC Manager',
  kxescore: 'Kingsoft Antivirus',
  trendmicro: 'Trend Micro',
  ntrtscan: 'Trend Micro',
};

function num(key: RegKey | undefined, name: string): number | undefined {
  return key ? new Values(key).number(name) : undefined;
}

function exclusions(
  base: RegKey | undefined,
  baseName: string,
  out: WindowsDefenderFacts['exclusions'],
): void {
  const ex = base?.subkey('Exclusions');
  if (!ex) return;
  for (const kind of DEFENDER_EXCLUSION_KINDS) {
    const k = ex.subkey(kind);
    if (!k) continue;
    // Each exclusion is a value named after what it excludes (data 0); a policy may also list it.
    for (const v of k.values()) {
      if (out.length >= MAX_EXCLUSIONS) return;
      if (v.name !== '')
        out.push({ kind, value: v.name, key: `HKLM\\SOFTWARE\\${baseName}\\Exclusions\\${kind}` });
    }
  }
}

export function readDefender(software: Hive): WindowsDefenderFacts {
  const policy = software.lookup(POLICY);
  const own = software.lookup(OWN);
  const out: WindowsDefenderFacts = {
    policyKey: `HKLM\\SOFTWARE\\${POLICY}`,
    key: `HKLM\\SOFTWARE\\${OWN}`,
    exclusions: [],
    signatures: { key: `HKLM\\SOFTWARE\\${OWN}\\Signature Updates` },
  };
  const set = <K extends keyof WindowsDefenderFacts>(k: K, v: WindowsDefenderFacts[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('policyDisableAntiSpyware', num(policy, 'DisableAntiSpyware'));
  set('disableAntiSpyware', num(own, 'DisableAntiSpyware'));
  set(
    'policyDisableRealtimeMonitoring',
    num(policy?.subkey('Real-Time Protection'), 'DisableRealtimeMonitoring'),
  );
  set('disableRealtimeMonitoring', num(own?.subkey('Real-Time Protection'), 'DisableRealtimeMonitoring'));
  exclusions(policy, POLICY, out.exclusions);
  exclusions(own, OWN, out.exclusions);
  const sig = own?.subkey('Signature Updates');
  if (sig) {
    const v = new Values(sig);
    const version = v.text('AVSignatureVersion');
    const last = filetimeIso(v.get('SignaturesLastUpdated')?.bytes());
    if (version) out.signatures.version = version;
    if (last) out.signatures.lastUpdated = last;
  }
  return out;
}

/** Anti-virus services other than Defender installed in the current control set. */
export function readThirdPartyAv(
  services: RegKey | undefined,
  keyBase: string,
): NonNullable<WindowsAuditFacts['antivirus']> {
  const out: NonNullable<WindowsAuditFacts['antivirus']> = [];
  for (const k of services?.subkeys() ?? []) {
    const product = THIRD_PARTY_AV[k.name.toLowerCase()];
    if (product) out.push({ product, service: k.name, key: `${keyBase}\\${k.name}` });
  }
  return out;
}
