// Building blocks the persistence detectors share: the subject, evidence, actions and fingerprint of a
// hit on a persistence entry or file. When chain.ts links the entry to a running process, the hit is
// about that process (and merges with the miner's finding); otherwise it is about the entry itself.
import type { Ruleset } from '../iocs/types.js';
import type { Action, Evidence } from '../model/finding.js';
import type { PersistenceEntry } from '../snapshot/persistence.js';
import type { Snapshot } from '../snapshot/schema.js';
import { chainEvidence, chainText, entryChain, fileChain, persistenceFile, type Chain } from './chain.js';
import { CHAIN_PARAMETER } from './messages.js';
import type { Hit } from './types.js';
import { processActions, processEvidence, processFingerprint, processSubject, uniqueBy } from './util.js';

const SYSTEM_PATH = /^\/(?:usr\/(?:bin|sbin|lib|libexec|share)|bin|sbin|lib(?:32|64)?|etc)\//;

/** Removes exactly what the entry added, leaving the rest of a shared file alone. */
export function entryActions(entry: PersistenceEntry): Action[] {
  const line = entry.text ?? entry.command;
  switch (entry.place) {
    case 'crontab':
    case 'cron.d':
    case 'cron-spool':
      return [{ type: 'remove-cron-line', path: entry.file, line }];
    case 'systemd':
      return [{ type: 'disable-unit', unit: entry.unit?.name ?? entry.file, path: entry.file }];
    case 'at':
      return [{ type: 'quarantine-file', path: entry.file }];
    case 'cron-periodic':
      return entry.line
        ? [{ type: 'remove-line', path: entry.file, line }]
        : [{ type: 'quarantine-file', path: entry.file }];
    case 'anacrontab':
    case 'rc-local':
    case 'init.d':
    case 'shell-profile':
    case 'udev':
      return [{ type: 'remove-line', path: entry.file, line }];
  }
}

export function fileEvidence(snapshot: Snapshot, path: string): Evidence {
  const sha256 = persistenceFile(snapshot, path)?.sha256;
  return sha256 ? { type: 'file', path, sha256 } : { type: 'file', path };
}

/** Kill the process, then quarantine the scripts and programs on the chain (never installed ones). */
function chainActions(chain: Chain): Action[] {
  const quarantine: Action[] = chain.paths
    .filter((p) => !SYSTEM_PATH.test(p))
    .map((path) => ({ type: 'quarantine-file', path }));
  return [...processActions(chain.process), ...quarantine];
}

function dedupe(actions: Action[]): Action[] {
  return uniqueBy(actions, (a) => JSON.stringify(a));
}

export function entrySubject(entry: PersistenceEntry): string {
  return `persistence:${entry.file}:${entry.line ?? entry.unit?.directive ?? ''}:${entry.command}`;
}

/** A hit on a persistence entry: about the linked process when there is one, else the entry. */
export function entryHit(
  snapshot: Snapshot,
  ruleset: Ruleset,
  entry: PersistenceEntry,
  hit: Pick<Hit, 'messageId' | 'data'> & { level?: Hit['level']; match: Evidence; extra?: Action[] },
): Hit {
  const chain = entryChain(snapshot, ruleset, entry);
  const evidence: Evidence[] = [fileEvidence(snapshot, entry.file), hit.match];
  const remediate = [...entryActions(entry), ...(hit.extra ?? [])];
  if (chain) {
    evidence.push(processEvidence(chain.process), chainEvidence(entry, chain));
    remediate.unshift(...chainActions(chain));
  }
  return {
    subject: chain ? processSubject(chain.process.pid) : entrySubject(entry),
    ...(hit.level ? { level: hit.level } : {}),
    messageId: hit.messageId,
    // The chain is told after the message (detect/messages.ts), so the signal list tells the story.
    data: chain ? { ...hit.data, [CHAIN_PARAMETER]: chainText(entry, chain) } : hit.data,
    evidence,
    remediate: dedupe(remediate),
    fingerprint: chain
      ? processFingerprint(chain.process)
      : ['persistence', entry.file, entry.text ?? entry.command],
  };
}

/**
 * A hit on a file (a key, /etc/hosts, a sudoers drop-in, an immutable file): about the process of a
 * linked chain that touches the file, else about the file (`own` names the thing within it).
 */
export function fileHit(
  snapshot: Snapshot,
  ruleset: Ruleset,
  path: string,
  own: string,
  hit: {
    level?: Hit['level'];
    linkedLevel?: Hit['level'];
    messageId: string;
    data: Hit['data'];
    evidence: Evidence[];
    remediate: Action[];
  },
): Hit {
  const link = fileChain(snapshot, ruleset, path);
  const evidence = [fileEvidence(snapshot, path), ...hit.evidence];
  if (link) evidence.push(processEvidence(link.chain.process), chainEvidence(link.entry, link.chain));
  const level = link ? (hit.linkedLevel ?? hit.level) : hit.level;
  return {
    subject: link ? processSubject(link.chain.process.pid) : `file:${path}#${own}`,
    ...(level ? { level } : {}),
    messageId: hit.messageId,
    data: hit.data,
    evidence,
    remediate: dedupe(link ? [...chainActions(link.chain), ...hit.remediate] : hit.remediate),
    fingerprint: link ? processFingerprint(link.chain.process) : ['file', path, own],
  };
}
