// Collects the facts `minehunter audit` needs on top of a base snapshot (host, processes, sockets):
// firewall rulesets, sshd, packages, kernels, agents, cron, the loopback login tests and the pool
// names in /etc/hosts. Each part runs guarded, so one that fails is recorded in collection[] and its
// checks report "unknown".
import type { AuditFacts, LoginService } from '../../snapshot/audit.js';
import type { CollectionRecord, Snapshot } from '../../snapshot/schema.js';
import { CollectorLog } from '../support.js';
import { collectAgents } from './agents.js';
import { collectCron, cronFromPersistence } from './cron.js';
import { collectFirewall } from './firewall.js';
import { collectHostsPools } from './hosts.js';
import { collectLogins } from './logins/index.js';
import type { Dictionary } from './logins/dictionary.js';
import { collectKernel, collectPackages } from './packages.js';
import { collectSshd } from './sshd.js';

export interface AuditCollectOptions {
  loginTests: boolean;
  dictionary: Dictionary;
  loginServices?: LoginService[];
  /** Only these parts (tests and `--only` use it); default all. */
  parts?: Array<keyof AuditFacts>;
  onProgress?: (id: string) => void;
}

async function part<K extends keyof AuditFacts>(
  id: K,
  records: CollectionRecord[],
  facts: AuditFacts,
  fn: () => Promise<AuditFacts[K] | { skipped: string }>,
): Promise<void> {
  const log = new CollectorLog(`audit.${id}`, ['audit']);
  try {
    const value = await fn();
    if (value && typeof value === 'object' && 'skipped' in value) {
      records.push(log.record('skipped', (value as { skipped: string }).skipped));
      return;
    }
    facts[id] = value as AuditFacts[K];
    records.push(log.record('ok'));
  } catch (err) {
    log.add(undefined, err);
    records.push(log.record('failed', 'collector crashed'));
  }
}

export async function collectAuditFacts(
  snapshot: Snapshot,
  opts: AuditCollectOptions,
): Promise<{ audit: AuditFacts; records: CollectionRecord[] }> {
  const root = snapshot.target.root;
  const live = snapshot.target.live;
  const facts: AuditFacts = {};
  const records: CollectionRecord[] = [];
  const want = (k: keyof AuditFacts) => !opts.parts || opts.parts.includes(k);
  const jobs: Promise<void>[] = [];
  const add = <K extends keyof AuditFacts>(k: K, fn: () => Promise<AuditFacts[K] | { skipped: string }>) => {
    if (!want(k)) return;
    opts.onProgress?.(`audit.${k}`);
    jobs.push(part(k, records, facts, fn));
  };
  add('packages', () => collectPackages(root));
  add('firewall', async () =>
    live ? collectFirewall() : { skipped: 'rulesets exist only on a running system' },
  );
  add('sshd', () => collectSshd(root, live));
  add('kernel', () => collectKernel(root, live ? snapshot.host.kernel : undefined));
  add('agents', () => collectAgents(root));
  add('cron', async () => {
    // The persistence collector's entries when the snapshot has them (one parser for scan and audit);
    // file permissions are not among its facts, so those come from the minimal reader either way.
    const own = await collectCron(root);
    return snapshot.persistence
      ? { ...cronFromPersistence(snapshot.persistence), writable: own.writable }
      : own;
  });
  add('logins', async () => {
    if (!live) return { skipped: 'login tests run only against the live system' };
    const f = await collectLogins(snapshot, {
      enabled: opts.loginTests,
      dictionary: opts.dictionary,
      services: opts.loginServices,
    });
    return f;
  });
  if (want('hostsPools')) {
    // Derived from the snapshot's hosts file and our own pool list, not read from the target: it gets
    // a collection record only when it fails (linux.hosts-file already records the file itself).
    jobs.push(
      collectHostsPools(snapshot).then(
        (value) => {
          if (value) facts.hostsPools = value;
        },
        (err: unknown) => {
          const log = new CollectorLog('audit.hostsPools', ['audit']);
          log.add(undefined, err);
          records.push(log.record('failed', 'the pool-domain list could not be loaded'));
        },
      ),
    );
  }
  await Promise.all(jobs);
  records.sort((a, b) => a.collector.localeCompare(b.collector));
  return { audit: facts, records };
}
