// Collects the facts `minehunter audit` needs on top of a base snapshot (host, processes, sockets):
// firewall rulesets (firewalld's saved zones also on offline roots), sshd, packages, kernels, agents,
// cron, SELinux's mode, the loopback login tests and the pool names in /etc/hosts. Each part is a
// collector of the shared runner (collect/runner.ts), reading the target through its door, so one
// that fails is recorded in collection[] and its checks report "unknown".
import type { AuditFacts, LoginService } from '../../snapshot/audit.js';
import type { CollectionRecord, Snapshot } from '../../snapshot/schema.js';
import { makeContext } from '../context.js';
import { runCollector, runCollectors, type Collector, type CollectorResult } from '../runner.js';
import { CollectorLog } from '../support.js';
import { collectAgents } from './agents.js';
import { collectCron, cronFromPersistence } from './cron.js';
import { collectFirewall } from './firewall.js';
import { collectSavedFirewall } from './firewalld.js';
import { collectHostsPools } from './hosts.js';
import { collectLogins } from './logins/index.js';
import type { Dictionary } from './logins/dictionary.js';
import { collectKernel, collectPackages } from './packages.js';
import { collectSshd } from './sshd.js';
import { collectRuntimeSockets } from './runtime-sockets.js';
import { collectSelinux } from './selinux.js';
import { collectWindowsAudit } from './windows.js';

export interface AuditCollectOptions {
  loginTests: boolean;
  dictionary: Dictionary;
  loginServices?: LoginService[];
  /** Only these parts (tests and `--only` use it); default all. */
  parts?: Array<keyof AuditFacts>;
  onProgress?: (id: string) => void;
}

/** What a part's collector finds: its facts, or why it does not run on this target. */
type PartOutcome<K extends keyof AuditFacts> = AuditFacts[K] | { skipped: string };

function isSkipped(value: unknown): value is { skipped: string } {
  return typeof value === 'object' && value !== null && 'skipped' in value;
}

/** The collector of one part, `audit.<part>`: its facts land in `facts`, its record is ok or skipped. */
function partCollector<K extends keyof AuditFacts>(
  part: K,
  facts: AuditFacts,
  collect: () => Promise<PartOutcome<K>>,
): Collector {
  const id = `audit.${part}`;
  return {
    id,
    sections: ['audit'],
    run: async () => {
      const log = new CollectorLog(id, ['audit']);
      const value = await collect();
      if (isSkipped(value)) return { records: [log.record('skipped', value.skipped)] };
      facts[part] = value;
      return { records: [log.record('ok')] };
    },
  };
}

/**
 * The pool names of /etc/hosts: derived from the snapshot's hosts file and our own pool list, not
 * read from the target, so it gets a collection record only when it fails (linux.hosts-file already
 * records the file itself), and no progress line.
 */
function hostsPoolsCollector(snapshot: Snapshot, facts: AuditFacts): Collector {
  const id = 'audit.hostsPools';
  return {
    id,
    sections: ['audit'],
    announce: false,
    run: () =>
      runCollector<CollectorResult>(
        new CollectorLog(id, ['audit']),
        async () => {
          const value = await collectHostsPools(snapshot);
          if (value) facts.hostsPools = value;
          return { records: [] };
        },
        (record) => ({ records: [record] }),
        'the pool-domain list could not be loaded',
      ),
  };
}

export async function collectAuditFacts(
  snapshot: Snapshot,
  opts: AuditCollectOptions,
): Promise<{ audit: AuditFacts; records: CollectionRecord[] }> {
  const live = snapshot.target.live;
  const ctx = await makeContext(snapshot.target.root, () => new Date());
  const { fs } = ctx;
  const facts: AuditFacts = {};
  const want = (k: keyof AuditFacts) => !opts.parts || opts.parts.includes(k);
  const collectors: Collector[] = [];
  const add = <K extends keyof AuditFacts>(k: K, collect: () => Promise<PartOutcome<K>>): void => {
    if (want(k)) collectors.push(partCollector(k, facts, collect));
  };
  if (ctx.kind === 'windows-volume') {
    // A Windows volume (issue 22): its hives instead of the Linux parts, which do not apply there.
    add('windows', () => collectWindowsAudit(ctx));
    const { collection } = await runCollectors(ctx, collectors, opts.onProgress);
    return { audit: facts, records: collection };
  }
  add('packages', () => collectPackages(fs));
  add('firewall', async () => {
    if (live) return collectFirewall(fs);
    // Loaded rulesets exist only on a running system; firewalld's saved zones are files, read anywhere.
    const saved = await collectSavedFirewall(fs);
    return (
      saved ?? { skipped: 'rulesets exist only on a running system and the root has no firewalld zones' }
    );
  });
  add('sshd', () => collectSshd(fs, live));
  add('kernel', () => collectKernel(fs, live ? snapshot.host.kernel : undefined));
  add('agents', () => collectAgents(fs));
  add('runtimeSockets', () => collectRuntimeSockets(fs));
  add('selinux', () => collectSelinux(fs, live));
  add('cron', async () => {
    // The persistence collector's entries when the snapshot has them (one parser for scan and audit);
    // file permissions are not among its facts, so those come from the minimal reader either way.
    const own = await collectCron(fs);
    return snapshot.persistence
      ? { ...cronFromPersistence(snapshot.persistence), writable: own.writable }
      : own;
  });
  add('logins', async () => {
    if (!live) return { skipped: 'login tests run only against the live system' };
    return collectLogins(snapshot, {
      enabled: opts.loginTests,
      dictionary: opts.dictionary,
      services: opts.loginServices,
    });
  });
  if (want('hostsPools')) collectors.push(hostsPoolsCollector(snapshot, facts));
  const { collection } = await runCollectors(ctx, collectors, opts.onProgress);
  collection.sort((a, b) => a.collector.localeCompare(b.collector));
  return { audit: facts, records: collection };
}
