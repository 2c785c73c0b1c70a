// Detector: a program with a long run of one byte value appended after everything its headers refer
// to (ATT&CK T1027.001, binary padding). Padding a miner with 100 MiB of zeros pushes it past the
// size limit of scanners that skip large files and changes its hash; nothing a program needs is
// made that way. Alone it is `low`; on a file or process another detector reports (a miner rule's
// match) it joins that finding as one more signal, and it is what explains a hash no list knows.
import { bytesText } from '../../engine/file-parts.js';
import type { Evidence } from '../../model/finding.js';
import type { MessageData } from '../../model/localized.js';
import type { ContentFile, ContentPadding, ProcessInfo } from '../../snapshot/schema.js';
import { containerPath } from '../../snapshot/container.js';
import type { Detector, Hit } from '../types.js';
import { isUserland, processEvidence, processFingerprint, processRef, processSubject, t } from '../util.js';

/** The padding as evidence: where it starts, how long it is, its value, the hash of what precedes it. */
export function paddingEvidence(p: ContentPadding): Evidence {
  const before = p.sha256Before ? `; sha256 of the ${p.offset} bytes before it: ${p.sha256Before}` : '';
  return {
    type: 'match',
    field: 'binary padding',
    value: `${p.length} bytes of ${byteName(p.byte)} from offset ${p.offset}${before}`,
    ioc: 'T1027.001',
  };
}

function byteName(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}

/** The facts of a padding, for a message. */
function paddingFacts(file: ContentFile, p: ContentPadding): MessageData {
  return {
    path: file.path,
    length: bytesText(p.length),
    bytes: p.length,
    byte: byteName(p.byte),
    offset: p.offset,
    ...(p.sha256Before ? { sha256Before: p.sha256Before } : {}),
  };
}

export const binaryPadding: Detector = {
  id: 'binary-padding',
  category: 'miner',
  level: 'low',
  title: t('Program padded with a run of one byte value', '程序末尾被填充了大量相同字节'),
  description: t(
    'The content scan reads the headers of every ELF and PE program it meets (its ELF program and section headers, its PE headers, sections, certificate table and symbols) and measures what was appended after the last byte they refer to. A run of one byte value of 4 MiB or more there, at the start or the end of that overlay, is binary padding (ATT&CK T1027.001): attackers append tens or hundreds of MiB of zeros to a miner so that scanners that skip large files pass it by and its hash matches no list. minehunter scans such a file by its program parts whatever its size, so the miner is still found; the padding is reported with its offset, length and value and the sha256 of the bytes before it (the file as published, which a hash list may know). Alone the finding is low: installers and self-extracting archives carry overlays, though rarely of one value. On a file a miner rule matched, it joins that finding.',
    '内容扫描会读取遇到的每个 ELF 和 PE 程序的头部（ELF 的程序头和节头，PE 的头部、节、证书表和符号表），并计算其引用的最后一个字节之后追加的内容。若该附加数据开头或末尾存在 4 MiB 以上由同一字节值构成的连续区域，即为二进制填充（ATT&CK T1027.001）：攻击者在矿机后追加数十或数百 MiB 的零字节，使跳过大文件的扫描器放过它，且其哈希与任何清单都不匹配。无论文件多大，minehunter 都会按程序的各个部分扫描，因此仍能发现矿机；填充会连同偏移、长度、字节值以及填充之前内容的 sha256（即发布时的原始文件，哈希清单可能收录）一起报告。单独出现时级别为低：安装程序和自解压包也带有附加数据，但很少是同一个字节值。若该文件同时命中挖矿规则，本信号会并入那条发现。',
  ),
  tags: ['attack.t1027.001'],
  needs: ['content'],
  verify: t(
    'Look at the end of the file: `tail -c 64 <file> | xxd` shows the repeated byte, `readelf -lS <file>` (or a PE viewer) shows the sections ending where the padding starts. `head -c <offset> <file> | sha256sum` gives the hash of the program without its padding, to look up on hash lists.',
    '查看文件末尾：`tail -c 64 <文件> | xxd` 可看到重复的字节，`readelf -lS <文件>`（或 PE 查看工具）可看到各节在填充起点处结束。`head -c <偏移> <文件> | sha256sum` 可得到去掉填充后程序的哈希，用于在哈希清单中查询。',
  ),
  remediation: t(
    'Padding alone changes nothing on the host: find out what the program is (its strings, the hash of the bytes before the padding, where it came from). If a miner rule matched it too, follow that finding: quarantine the file and kill what runs it.',
    '填充本身不会改动主机：先弄清该程序是什么（其中的字符串、填充之前内容的哈希、来源）。如果它同时命中了挖矿规则，按那条发现处置：隔离文件并结束运行它的进程。',
  ),
  messages: {
    padded: t(
      '{path} has {length} of {byte} appended after its program (binary padding, from offset {offset})',
      '{path} 在程序之后追加了 {length} 的 {byte}（二进制填充，自偏移 {offset} 起）',
    ),
    runsPadded: t(
      '{process} runs {path}, which has {length} of {byte} appended after its program (binary padding, from offset {offset})',
      '{process}运行的 {path} 在程序之后追加了 {length} 的 {byte}（二进制填充，自偏移 {offset} 起）',
    ),
  },
  detect(snapshot) {
    const content = snapshot.content;
    if (!content) return [];
    const byExe = new Map<string, ProcessInfo[]>();
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p) || !p.exe) continue;
      const shown = p.container ? containerPath(p.container, p.exe) : p.exe;
      byExe.set(shown, [...(byExe.get(shown) ?? []), p]);
    }
    const hits: Hit[] = [];
    for (const file of content.files) {
      const padding = file.padding;
      if (!padding) continue;
      const evidence: Evidence[] = [
        file.sha256
          ? { type: 'file', path: file.path, sha256: file.sha256 }
          : { type: 'file', path: file.path },
        paddingEvidence(padding),
      ];
      const facts = paddingFacts(file, padding);
      // On the subject content-match uses for the same file, so the two join into one finding.
      const running = byExe.get(file.path) ?? [];
      for (const p of running)
        hits.push({
          subject: processSubject(p.pid),
          messageId: 'runsPadded',
          data: { process: processRef(p), pid: p.pid, ...facts },
          evidence: [processEvidence(p), ...evidence],
          remediate: [],
          fingerprint: processFingerprint(p),
        });
      if (running.length > 0) continue;
      hits.push({
        subject: `file:${file.path}`,
        basis: 'executable',
        messageId: 'padded',
        data: facts,
        evidence,
        remediate: [],
        // Sorts after content-match's ['content', …]: a finding both make keeps content-match's.
        fingerprint: ['padding', file.path],
      });
    }
    return hits;
  },
};
