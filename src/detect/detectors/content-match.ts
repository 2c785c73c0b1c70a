// Detector: files and process memory that match a YARA rule (rules/*.yar or the user's --rules),
// as recorded in the snapshot's `content` section. The rule's meta gives the finding its kind and
// level; a match on a running process's executable or memory is reported on that process, so it
// correlates with the process detectors into one finding.
import { partsText } from '../../engine/file-parts.js';
import { ruleKind, ruleLevel } from '../../engine/rule-meta.js';
import { levelRank, type Evidence, type Level, type MinerKind } from '../../model/finding.js';
import { cappedLevel, weighFile } from '../content-weight.js';
import type { ContentFile, ContentMatch, ProcessInfo } from '../../snapshot/schema.js';
import { containerPath } from '../../snapshot/container.js';
import type { MessageData } from '../../model/localized.js';
import type { Detector, Hit } from '../types.js';
import { paddingEvidence } from './binary-padding.js';
import {
  isUserland,
  processActions,
  processEvidence,
  processFingerprint,
  processRef,
  processSubject,
  t,
} from '../util.js';

const HOSTS_FILE = '/etc/hosts';

/** A user's rule without a level still counts, at this level. */
const DEFAULT_RULE_LEVEL: Level = 'medium';
/** Matches listed in evidence per subject; the rest are counted in the message. */
const MAX_LISTED = 8;

// Exported for image-content, which weighs the matches in an image's layers the same way.
export interface Strongest {
  level: Level;
  kind?: MinerKind;
  match: ContentMatch;
}

export function strongest(matches: readonly ContentMatch[]): Strongest | undefined {
  let best: Strongest | undefined;
  for (const m of matches) {
    const level = ruleLevel(m.meta) ?? DEFAULT_RULE_LEVEL;
    if (!best || levelRank(level) > levelRank(best.level)) {
      const kind = ruleKind(m.meta);
      best = kind ? { level, kind, match: m } : { level, match: m };
    }
  }
  // A kind from any rule beats none: a user's level-less rule should not hide ours.
  if (best && !best.kind) {
    const kind = matches.map((m) => ruleKind(m.meta)).find((k) => k !== undefined);
    if (kind) best.kind = kind;
  }
  return best;
}

export function ruleName(m: ContentMatch): string {
  return `${m.namespace}.${m.rule}`;
}

/**
 * A match's evidence: the matched strings with their offsets; for a match in a layer the web
 * normaliser decoded, the techniques undone and the decoded text around the match instead (its
 * offsets count in that layer, which a reader cannot open).
 */
export function matchEvidence(m: ContentMatch, where: 'file' | 'memory'): Evidence {
  const description = typeof m.meta.description === 'string' ? m.meta.description : undefined;
  const ioc = description ? { ioc: description } : {};
  if (m.decoded)
    return {
      type: 'match',
      field: `yara ${where} (decoded: ${m.decoded.chain.join(' > ')}): ${ruleName(m)}`,
      value: m.decoded.excerpt || '(decoded, no excerpt)',
      ...ioc,
    };
  const strings = m.strings
    .slice(0, 3)
    .map(
      (s) => `${s.identifier}@${where === 'memory' ? `0x${s.offset.toString(16)}` : s.offset} "${s.excerpt}"`,
    )
    .join(' | ');
  return {
    type: 'match',
    field: `yara ${where}: ${ruleName(m)}`,
    value: strings || '(condition only)',
    ...ioc,
  };
}

function rulesList(matches: readonly ContentMatch[]): string {
  const names = matches.slice(0, MAX_LISTED).map(ruleName);
  return matches.length > MAX_LISTED
    ? `${names.join(', ')} and ${matches.length - MAX_LISTED} more`
    : names.join(', ');
}

/** The facts of a set of matches: the rules as listed, how many matched, and the strongest one. */
export function matchFacts(matches: readonly ContentMatch[], best: Strongest): MessageData {
  return { rules: rulesList(matches), matches: matches.length, strongestRule: ruleName(best.match) };
}

/**
 * Rule files whose matches count in process memory: the program families and algorithm constants.
 * Config, dropper, wallet and web rules match text, and text of that kind sits in the memory of
 * every shell, editor and pager an administrator uses while investigating; in files they count.
 */
const MEMORY_NAMESPACES = new Set(['miners-cpu', 'miners-gpu', 'algorithms']);

/**
 * Installed shells, interpreters, editors and pagers hold whatever text a person types or reads
 * (an investigator pasting miner strings, a dropper script being read). Their memory matches are
 * reported low: the script they run, if any, is found by the file scan and the process detectors.
 */
const TEXT_HOLDERS =
  /^\/(?:usr\/)?(?:local\/)?s?bin\/(?:ba|da|z|k|c|tc|fi|a)?sh$|^\/(?:usr\/)?(?:local\/)?bin\/(?:python[\d.]*|perl[\d.]*|ruby[\d.]*|node|php[\d.]*|vim?|nvim|nano|emacs[\w.-]*|less|more|tmux|screen|grep|rg)$/;

function countsInMemory(m: ContentMatch): boolean {
  return MEMORY_NAMESPACES.has(m.namespace) || m.namespace.startsWith('user.');
}

/**
 * What a file's record adds to its matches: the binary padding appended to it (binary-padding
 * reports it too, as its own signal) and, for a file over the size limit, which parts were scanned,
 * so a reader knows the match came from the program's image and not from the whole file.
 */
function recordEvidence(file: ContentFile): Evidence[] {
  const out: Evidence[] = [];
  if (file.padding) out.push(paddingEvidence(file.padding));
  if (file.parts)
    out.push({ type: 'match', field: 'scanned parts', value: partsText(file.parts, file.size) });
  out.push(...webEvidence(file));
  return out;
}

/** What the web normaliser refused to decode (bombs) and why it stopped short, if it did. */
function webEvidence(file: ContentFile): Evidence[] {
  const out: Evidence[] = (file.web?.bombs ?? []).map((b) => ({
    type: 'match',
    field: 'decoding refused',
    value: b,
  }));
  if (file.web?.stopped) out.push({ type: 'match', field: 'decoding stopped', value: file.web.stopped });
  return out;
}

/**
 * A web file without a match whose decoding met a bomb: what the bomb hides was not read, and
 * legitimate sites do not nest encodings that deep or inflate a payload that far. Low and without
 * a kind: it says the file is worth a look, not what it runs.
 */
function bombHit(file: ContentFile): Hit | undefined {
  const bombs = file.web?.bombs ?? [];
  if (bombs.length === 0) return undefined;
  const fileEv: Evidence = file.sha256
    ? { type: 'file', path: file.path, sha256: file.sha256 }
    : { type: 'file', path: file.path };
  return {
    subject: `file:${file.path}`,
    level: 'low',
    messageId: 'webBomb',
    data: { path: file.path, bombs: bombs.length, ...(file.sha256 ? { sha256: file.sha256 } : {}) },
    evidence: [fileEv, ...webEvidence(file)],
    remediate: [],
    fingerprint: ['content-web-bomb', file.path],
  };
}

/** `/srv/a.zip!x/y.sh` lives inside `/srv/a.zip`: that file is what can be quarantined. */
function outerFile(p: string): string {
  const i = p.indexOf('!');
  return i < 0 ? p : p.slice(0, i);
}

export const contentMatch: Detector = {
  id: 'content-match',
  category: 'miner',
  level: 'high',
  title: t('File or process memory matches a miner YARA rule', '文件或进程内存命中挖矿 YARA 规则'),
  description: t(
    "The content scan runs minehunter's YARA rules (rules/*.yar: XMRig and its forks, xmr-stak, cpuminer, GPU miners, RandomX/CryptoNight/KawPow constants, miner configs, dropper scripts, wallets, browser miners) and any rules given with --rules over the executables of running processes, the places miners hide (or every local filesystem with --full, or --path), archives inside them, and the writable memory of running processes. A file over the size limit is not skipped: a program is scanned by its parts (the headers, ELF segments or PE sections it loads, its whole image when that fits the limit), appended padding of one byte value left out, and any other file by its head, its tail and the chunks between that are not one byte value; the evidence then says which parts were scanned, and a file whose content could not all be read within the limit is listed as partly scanned. A web file (a script, page or PHP file, by its name) read whole is also scanned as the web normaliser decodes it: string arrays, escapes, base64 and atob, character codes, p,a,c,k,e,d packers, percent-encoding, HTML entities, PHP base64_decode/gzinflate/str_rot13 chains, all undone as text without running anything; a rule that matches only decoded content names the techniques undone and shows the decoded text around the match. A decoding past the normaliser's size or depth limits is not followed but reported: in a web file without a match it is a low finding with no kind. Each match becomes a finding whose kind and level come from the rule's meta; the finding carries the rule, its description, the matched strings with their offsets and the file's sha256. A match in a running program's executable or memory is attached to that process, so it merges with what the process detectors found. A match is weighed by what it is found in: a program, a file in an autostart place or a miner's configuration keeps the rule's level; a script without an exec bit outside the places droppers use, or other data, is medium at most; a document, log, man page or source file that only mentions a miner is low at most, with no kind and nothing to remove; YARA/Sigma rule files, indicator lists and blocklists, and files minehunter itself wrote (recorded with their sha256 when it wrote them), are info and never acted on.",
    '内容扫描使用 minehunter 自带的 YARA 规则（rules/*.yar：XMRig 及其分支、xmr-stak、cpuminer、GPU 矿机、RandomX/CryptoNight/KawPow 常量、矿机配置、投放脚本、钱包地址、浏览器挖矿脚本）以及 --rules 指定的规则，扫描运行中进程的可执行文件、挖矿木马常藏身的目录（--full 时为所有本地文件系统，或 --path 指定的路径）、其中的压缩包，以及运行中进程的可写内存。超过大小上限的文件不会被跳过：程序按其各部分扫描（头部、加载的 ELF 段或 PE 节，映像在上限以内时扫描整个映像），追加的同值字节填充不扫描；其他文件扫描开头、结尾以及其间不是同一字节值的数据块；此时证据会说明扫描了哪些部分，未能在上限内读完的文件会被列为部分扫描。按名称识别的 Web 文件（脚本、页面、PHP 文件）整体读取时，还会按 Web 内容规范化器解码后的内容扫描：字符串数组、转义序列、base64 与 atob、字符编码、p,a,c,k,e,d 打包器、百分号编码、HTML 实体、PHP 的 base64_decode/gzinflate/str_rot13 链，全部作为文本还原，不执行任何代码；只在解码内容中命中的规则会注明所还原的手法，并展示命中处附近的解码文本。超出规范化器大小或深度上限的解码不会继续展开，而是被报告：在没有命中的 Web 文件中报告为低危发现，不归类。每次命中都生成一条发现，类型和级别取自规则的 meta；发现包含规则名、规则说明、命中的字符串及偏移量和文件的 sha256。命中运行中程序的可执行文件或内存时，发现会关联到该进程，与进程类检测器的结果合并。命中按其所在对象加权：程序、自启动位置中的文件或矿机配置保持规则的级别；不在投放程序常用位置且没有执行权限的脚本或其他数据最高为中危；仅提到矿机的文档、日志、手册页或源代码最高为低危，不归类、不清除；YARA/Sigma 规则文件、威胁指标列表和屏蔽列表，以及 minehunter 自己写出的文件（写出时记录了 sha256）为信息级，绝不处置。',
  ),
  tags: ['attack.t1496'],
  needs: ['content'],
  verify: t(
    "Run Debian's yara over the file with the same rule: `yara -s rules/<namespace>.yar <file>` prints the rule and the matched strings with their offsets; `sha256sum <file>` should equal the sha256 in the evidence. For a memory match, dump the process with `gcore <pid>` and run `yara -s` over the core file: it shows the same strings. A match in decoded web content (evidence `yara file (decoded: …)`) is not in the file's bytes as they are, so yara over the file does not show it: the evidence shows the decoded text, and the chain names the steps to undo by hand (e.g. `base64 -d`, then inflate) to see it in the file.",
    '用 Debian 的 yara 和同一条规则扫描该文件：`yara -s rules/<namespace>.yar <file>` 会打印规则名以及命中的字符串和偏移量；`sha256sum <file>` 应与证据中的 sha256 一致。对于内存命中，可先执行 `gcore <pid>` 生成核心转储，再用 `yara -s` 扫描该文件，会看到相同的字符串。Web 内容解码后的命中（证据为 `yara file (decoded: …)`）不在文件原样的字节中，因此直接用 yara 扫描文件看不到它：证据中给出了解码后的文本，链条列出了手工还原所需的步骤（例如先 `base64 -d` 再解压），按步骤还原即可在文件中看到它。',
  ),
  remediation: t(
    'For a running program: kill its process tree and quarantine its executable. For a file: quarantine it (an archive as a whole). Then find what dropped it (cron, systemd units, shell profiles, the web application that wrote it) and how the attacker got in. A match of a user rule without meta is reported at medium level: give your rules a level and a kind.',
    '对运行中的程序：结束其进程树并隔离其可执行文件。对文件：将其隔离（压缩包整体隔离）。然后查找投放它的途径（cron、systemd 单元、shell 配置文件、写入它的 Web 应用）以及攻击者的入侵方式。没有 meta 的自定义规则命中时按中危报告：请为自定义规则设置 level 和 kind。',
  ),
  messages: {
    runsFile: t(
      '{process} runs {path}, which matches YARA rule {rules}',
      '{process}运行的 {path} 命中 YARA 规则 {rules}',
    ),
    file: t('{path} matches YARA rule {rules}', '{path} 命中 YARA 规则 {rules}'),
    fileWeighed: t('{path} matches YARA rule {rules} — {reason}', '{path} 命中 YARA 规则 {rules}——{reason}'),
    memory: t('the memory of {process} matches YARA rule {rules}', '{process}的内存命中 YARA 规则 {rules}'),
    webBomb: t(
      '{path}: {bombs} decoding(s) of its web content refused as a bomb (far larger than the input, or nested past the depth limit); what they hide was not read',
      '{path}：其 Web 内容中有 {bombs} 处解码因疑似解码炸弹被拒绝（输出远大于输入，或嵌套超过深度上限）；其中隐藏的内容未被读取',
    ),
  },
  detect(snapshot) {
    const content = snapshot.content;
    if (!content) return [];
    const hits: Hit[] = [];
    const byExe = new Map<string, ProcessInfo[]>();
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p) || !p.exe) continue;
      // A container's executable is scanned, and shown, under its container's name.
      const shown = p.container ? containerPath(p.container, p.exe) : p.exe;
      byExe.set(shown, [...(byExe.get(shown) ?? []), p]);
    }
    const byPid = new Map((snapshot.processes ?? []).map((p) => [p.pid, p]));

    for (const file of content.files) {
      const best = strongest(file.matches);
      if (!best) {
        const bomb = bombHit(file);
        if (bomb) hits.push(bomb);
        continue;
      }
      const fileEv: Evidence = file.sha256
        ? { type: 'file', path: file.path, sha256: file.sha256 }
        : { type: 'file', path: file.path };
      const evidence = [
        fileEv,
        ...file.matches.slice(0, MAX_LISTED).map((m) => matchEvidence(m, 'file')),
        ...recordEvidence(file),
      ];
      const facts = matchFacts(file.matches, best);
      const sha: MessageData = file.sha256 ? { sha256: file.sha256 } : {};
      const fingerprint = ['content', file.path, ...file.matches.map(ruleName).sort()];
      const running = byExe.get(file.path) ?? [];
      for (const p of running) {
        hits.push({
          subject: processSubject(p.pid),
          level: best.level,
          ...(best.kind ? { kind: best.kind } : {}),
          messageId: 'runsFile',
          data: { process: processRef(p), pid: p.pid, path: file.path, ...sha, ...facts },
          evidence: [processEvidence(p), ...evidence],
          remediate: processActions(p),
          fingerprint: processFingerprint(p),
        });
      }
      if (running.length > 0) continue;
      // /etc/hosts is read as hosts entries by hosts-tampering, which tells a sinkhole from a redirect.
      if (file.path === HOSTS_FILE && snapshot.hostsFile !== undefined) continue;
      const weight = weighFile(file);
      const level = cappedLevel(best.level, weight);
      const why = weight.reason;
      hits.push({
        subject: `file:${file.path}`,
        level,
        // A mention, a rule file or our own report says nothing about which kind of miner is here.
        ...(best.kind && weight.basis !== 'mention' && !weight.inert ? { kind: best.kind } : {}),
        basis: weight.basis,
        messageId: why ? 'fileWeighed' : 'file',
        data: { path: file.path, ...sha, ...facts, ...(why ? { reason: why } : {}) },
        evidence,
        // Our own outputs, security material and mere mentions are never removed by `respond`; nor,
        // by a host path, a running container's file (`web-1:/tmp/x`): that is the container's to fix.
        remediate:
          weight.inert || weight.basis === 'mention' || !file.path.startsWith('/')
            ? []
            : [{ type: 'quarantine-file', path: outerFile(file.path) }],
        fingerprint,
      });
    }

    for (const mem of content.memory ?? []) {
      const matches = mem.matches.filter(countsInMemory);
      const best = strongest(matches);
      if (!best) continue;
      const p = byPid.get(mem.pid);
      const evidence = matches.slice(0, MAX_LISTED).map((m) => matchEvidence(m, 'memory'));
      const label = p ? processRef(p) : t(`PID ${mem.pid}`, `进程 PID ${mem.pid}`);
      const exe = p?.exe ?? mem.exe;
      hits.push({
        subject: processSubject(mem.pid),
        level: exe && TEXT_HOLDERS.test(exe) ? 'low' : best.level,
        ...(best.kind ? { kind: best.kind } : {}),
        messageId: 'memory',
        data: { process: label, pid: mem.pid, ...(exe ? { exe } : {}), ...matchFacts(matches, best) },
        evidence: p ? [processEvidence(p), ...evidence] : evidence,
        remediate: p ? processActions(p) : mem.pid > 1 ? [{ type: 'kill-process-tree', pid: mem.pid }] : [],
        fingerprint: p
          ? processFingerprint(p)
          : ['content-memory', mem.exe ?? '', ...matches.map(ruleName).sort()],
      });
    }
    return hits;
  },
};
