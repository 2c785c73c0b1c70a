// Detector: a running executable or a scanned file whose sha256 is on a hash list of known miner
// and dropper files (iocs/hashes*.yml and the user's --iocs lists). A hash match needs no other
// signal: the file is byte for byte one that a public source documented.
import type { FileHashEntry } from '../../iocs/types.js';
import { isMinerKind, type Evidence, type MinerKind } from '../../model/finding.js';
import type { MessageData } from '../../model/localized.js';
import type { Detector, Hit } from '../types.js';
import {
  iocRef,
  isUserland,
  processActions,
  processEvidence,
  processFingerprint,
  processRef,
  processSubject,
  t,
} from '../util.js';

function kindOf(entry: FileHashEntry): MinerKind | undefined {
  return isMinerKind(entry.kind) ? entry.kind : undefined;
}

function what(entry: FileHashEntry): string {
  return entry.name ?? entry.family ?? 'a known miner file';
}

/** The facts of a list match: what the entry names, the hash (whole and as shown) and the list. */
function listing(entry: FileHashEntry, sha256: string): MessageData {
  return {
    what: what(entry),
    ...(entry.family ? { family: entry.family } : {}),
    sha256,
    sha256Prefix: sha256.slice(0, 16),
    list: entry.file ?? 'iocs',
  };
}

export const knownBadHash: Detector = {
  id: 'known-bad-hash',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'critical',
  title: t('Known miner file (sha256 on a hash list)', '已知挖矿文件（sha256 在哈希清单中）'),
  description: t(
    'Compares the sha256 of every running executable and of every executable (and every file with a YARA match) the content scan read with the hash lists in iocs/ (files of kind file-hashes, each entry with its public source and date) and the lists given with --iocs. A match means the file is exactly one that a public source documented as a miner or a miner dropper, whatever it is called and wherever it lies.',
    '将每个运行中可执行文件的 sha256，以及内容扫描读取的每个可执行文件（和每个命中 YARA 规则的文件）的 sha256，与 iocs/ 中的哈希清单（kind 为 file-hashes 的文件，每条都注明公开出处和日期）以及 --iocs 指定的清单比对。命中意味着该文件与公开资料记载的矿机或投放器完全相同，无论它叫什么名字、放在哪里。',
  ),
  tags: ['attack.t1496', 'attack.t1588.001'],
  needs: ['processes'],
  verify: t(
    'Compute the hash yourself with `sha256sum <file>` (for a running program whose file is gone, `sha256sum /proc/<pid>/exe`) and look it up at the source named in the evidence.',
    '自行用 `sha256sum <file>` 计算哈希（对于文件已删除的运行中程序，使用 `sha256sum /proc/<pid>/exe`），并在证据中注明的出处查证。',
  ),
  remediation: t(
    'Kill the process tree that runs the file and quarantine the file; then look for its persistence (cron, systemd, shell profiles) and the way it came in. The same hash on other hosts means the same campaign.',
    '结束运行该文件的进程树并隔离该文件；然后排查其持久化方式（cron、systemd、shell 配置文件）和入侵途径。其他主机上出现相同哈希意味着同一攻击活动。',
  ),
  messages: {
    runsListed: t(
      '{process} runs {what} (sha256 {sha256Prefix}… listed in {list})',
      '{process}运行的是{what}（sha256 {sha256Prefix}… 列于 {list}）',
    ),
    fileListed: t(
      '{path} is {what} (sha256 {sha256Prefix}… listed in {list})',
      '{path} 是{what}（sha256 {sha256Prefix}… 列于 {list}）',
    ),
  },
  detect(snapshot, ruleset) {
    const list = ruleset.fileHashes;
    if (list.length === 0) return [];
    const byHash = new Map(list.map((e) => [e.value, e]));
    const hits: Hit[] = [];
    const runningExes = new Set<string>();
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p) || !p.exeSha256) continue;
      const entry = byHash.get(p.exeSha256);
      if (!entry) continue;
      if (p.exe) runningExes.add(p.exe);
      const kind = kindOf(entry);
      const evidence: Evidence[] = [
        processEvidence(p),
        { type: 'match', field: 'exe sha256', value: p.exeSha256, ioc: iocRef(entry) },
      ];
      hits.push({
        subject: processSubject(p.pid),
        ...(kind ? { kind } : {}),
        messageId: 'runsListed',
        data: {
          process: processRef(p),
          pid: p.pid,
          ...(p.exe ? { exe: p.exe } : {}),
          ...listing(entry, p.exeSha256),
        },
        evidence,
        remediate: processActions(p),
        fingerprint: processFingerprint(p),
      });
    }
    for (const f of snapshot.content?.files ?? []) {
      if (!f.sha256 || runningExes.has(f.path)) continue;
      const entry = byHash.get(f.sha256);
      if (!entry) continue;
      const kind = kindOf(entry);
      const outer = f.path.includes('!') ? f.path.slice(0, f.path.indexOf('!')) : f.path;
      hits.push({
        subject: `file:${f.path}`,
        ...(kind ? { kind } : {}),
        messageId: 'fileListed',
        data: { path: f.path, ...listing(entry, f.sha256) },
        evidence: [
          { type: 'file', path: f.path, sha256: f.sha256 },
          { type: 'match', field: 'sha256', value: f.sha256, ioc: iocRef(entry) },
        ],
        remediate: [{ type: 'quarantine-file', path: outer }],
        fingerprint: ['known-bad-hash', f.sha256],
      });
    }
    return hits;
  },
};
