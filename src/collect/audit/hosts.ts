// The pool host names /etc/hosts mentions, for the audit's pool-domains-blocked check: the snapshot's
// parsed hosts file (read by linux.hosts-file) matched against minehunter's own pool-domain list
// (iocs/pool-domains.yml), as hosts-tampering matches it. Nothing new is read from the target.
import type { HostsPoolFacts } from '../../snapshot/audit.js';
import { hostsPoolNames, poolIoc } from '../../detect/detectors/hosts-tampering.js';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import type { Snapshot } from '../../snapshot/schema.js';

/** Undefined when the snapshot has no hosts file (its own collector says why). */
export async function collectHostsPools(
  snapshot: Snapshot,
  iocDirs: string[] = [defaultIocDir()],
): Promise<HostsPoolFacts | undefined> {
  if (snapshot.hostsFile === undefined) return undefined;
  const { poolDomains } = await loadRuleset(iocDirs);
  const listFiles = [...new Set(poolDomains.map((d) => d.file ?? 'iocs'))].sort();
  return {
    listFiles,
    listed: poolDomains.length,
    names: hostsPoolNames(snapshot.hostsFile, poolDomains).map((n) => ({
      address: n.address,
      name: n.name,
      ioc: poolIoc(n.pool),
    })),
  };
}
