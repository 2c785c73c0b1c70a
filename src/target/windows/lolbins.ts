// Classifies a Windows command line (a task action, a Run value, a WMI consumer, a service's
// ImagePath) by the signed Windows programs it abuses to fetch or run code ("living off the land":
// mshta, regsvr32 /i:http scrobj.dll, certutil -urlcache, bitsadmin /transfer, rundll32
// javascript:, wmic process call create, schtasks /create, echo … | powershell). Each hit names the
// ATT&CK technique and the span of the command it was read from, so a finding can quote it. Only
// uses that fetch or run code count: certutil -hashfile or rundll32 shell32.dll,Control_RunDLL
// stay silent. Pure: no I/O.
import type { Localized } from '../../model/finding.js';
import { t } from '../../model/localized.js';
import { splitWindowsArgs, type ArgToken, type Span } from './powershell.js';
import { oddWindowsLocation, windowsBasename } from './typosquat.js';

export interface LolbinHit {
  /** Our name for the use, e.g. `regsvr32-remote-scriptlet`. */
  id: string;
  /** MITRE ATT&CK technique id, e.g. `T1218.010`. */
  attack: string;
  /** The program as written, e.g. `regsvr32.exe`. */
  binary: string;
  /** The command the hit was read from: the program word through the end of its arguments. */
  span: Span;
  /** The words that decided, e.g. `/i:http://…/x.sct scrobj.dll`. */
  indicator: string;
  level: 'high' | 'medium';
  name: Localized;
}

type Rule = (args: ArgToken[], segment: string) => Omit<LolbinHit, 'binary' | 'span' | 'name'> | undefined;

const URL_RE = /\b(?:https?|ftp):\/\/[^\s"'|&]+/i;
const SCRIPT_HOSTS =
  /^(?:powershell|pwsh|cmd|mshta|wscript|cscript|rundll32|regsvr32|certutil|bitsadmin)(?:\.exe)?$/i;

const lower = (args: ArgToken[]) => args.map((a) => a.value.toLowerCase());
const flagIndex = (args: ArgToken[], re: RegExp) => lower(args).findIndex((v) => re.test(v));

/** The most telling odd location among path-like words, e.g. a DLL in a Temp folder. */
function oddPath(words: string[]): { word: string; level: 'high' | 'medium' } | undefined {
  let best: { word: string; level: 'high' | 'medium' } | undefined;
  for (const word of words) {
    const path = word.split(',')[0]!.replace(/^[-/]\w+:/, '');
    if (!/[\\/]/.test(path)) continue;
    const odd = oddWindowsLocation(path);
    if (odd && (!best || (odd.level === 'high' && best.level === 'medium')))
      best = { word: path, level: odd.level };
  }
  return best;
}

const RULES: Record<string, Rule> = {
  mshta(args, segment) {
    const remote = URL_RE.exec(segment) ?? /(?:javascript|vbscript):[^\r\n]*/i.exec(segment);
    if (remote)
      return { id: 'mshta-remote-or-script', attack: 'T1218.005', indicator: remote[0], level: 'high' };
    const odd = oddPath(args.map((a) => a.value).filter((v) => /\.hta$/i.test(v)));
    if (odd) return { id: 'mshta-odd-hta', attack: 'T1218.005', indicator: odd.word, level: odd.level };
    return undefined;
  },
  regsvr32(args, segment) {
    const remote = /[-/]i:\s*"?((?:https?|ftp):\/\/[^\s"]+)/i.exec(segment);
    if (remote)
      return { id: 'regsvr32-remote-scriptlet', attack: 'T1218.010', indicator: remote[0], level: 'high' };
    const scriptlet = /[-/]i:[^\s]*/i.exec(segment);
    if (scriptlet && /\bscrobj\.dll\b/i.test(segment))
      return {
        id: 'regsvr32-scriptlet',
        attack: 'T1218.010',
        indicator: `${scriptlet[0]} scrobj.dll`,
        level: 'high',
      };
    const odd = oddPath(args.map((a) => a.value).filter((v) => /\.(?:dll|ocx|sct|cpl)$/i.test(v)));
    if (odd) return { id: 'regsvr32-odd-dll', attack: 'T1218.010', indicator: odd.word, level: odd.level };
    return undefined;
  },
  certutil(args, segment) {
    const url = URL_RE.exec(segment)?.[0];
    const fetch = flagIndex(args, /^[-/](?:urlcache|verifyctl)$/);
    if (fetch >= 0 && (url || flagIndex(args, /^[-/]f$/) >= 0))
      return {
        id: 'certutil-download',
        attack: 'T1105',
        indicator: `${args[fetch]!.value} ${url ?? ''}`.trim(),
        level: 'high',
      };
    const decode = flagIndex(args, /^[-/]decode(?:hex)?$/);
    if (decode >= 0)
      return {
        id: 'certutil-decode',
        attack: 'T1140',
        indicator: args
          .slice(decode)
          .map((a) => a.value)
          .join(' '),
        level: 'medium',
      };
    return undefined;
  },
  bitsadmin(args, segment) {
    const notify = flagIndex(args, /^\/setnotifycmdline$/);
    if (notify >= 0)
      return {
        id: 'bitsadmin-notify-cmd',
        attack: 'T1197',
        indicator: args
          .slice(notify)
          .map((a) => a.value)
          .join(' '),
        level: 'high',
      };
    const transfer = flagIndex(args, /^\/(?:transfer|addfile)$/);
    if (transfer < 0) return undefined;
    const url = URL_RE.exec(segment)?.[0];
    return {
      id: 'bitsadmin-transfer',
      attack: 'T1197',
      indicator: `${args[transfer]!.value} ${url ?? ''}`.trim(),
      level: url ? 'high' : 'medium',
    };
  },
  rundll32(args, segment) {
    const js = /javascript:[^\r\n]*/i.exec(segment);
    if (js) return { id: 'rundll32-javascript', attack: 'T1218.011', indicator: js[0], level: 'high' };
    const url = /\b(?:url|ieframe|shdocvw)\.dll\s*,\s*(?:OpenURLA?|FileProtocolHandler)\b[^\r\n]*/i.exec(
      segment,
    );
    if (url) return { id: 'rundll32-url-dll', attack: 'T1218.011', indicator: url[0], level: 'high' };
    const dump = /\bcomsvcs(?:\.dll)?\s*[, ]\s*#?(?:MiniDump|24)\b/i.exec(segment);
    if (dump) return { id: 'rundll32-lsass-dump', attack: 'T1003.001', indicator: dump[0], level: 'high' };
    const proxy =
      /\b(?:(?:ie)?advpack\.dll\s*,\s*(?:LaunchINFSection|RegisterOCX)|zipfldr\.dll\s*,\s*RouteTheCall|pcwutl\.dll\s*,\s*LaunchApplication)\b[^\r\n]*/i.exec(
        segment,
      );
    if (proxy)
      return { id: 'rundll32-proxy-exec', attack: 'T1218.011', indicator: proxy[0], level: 'medium' };
    const odd = oddPath(args.slice(0, 1).map((a) => a.value));
    if (odd) return { id: 'rundll32-odd-dll', attack: 'T1218.011', indicator: odd.word, level: odd.level };
    return undefined;
  },
  wmic(_args, segment) {
    const create = /\bprocess\s+call\s+create\b[^\r\n]*/i.exec(segment);
    if (create) return { id: 'wmic-process-create', attack: 'T1047', indicator: create[0], level: 'high' };
    const xsl = /\/format:\s*"?(?:(?:https?|ftp):\/\/|[^\s"]*\.xsl\b)[^\s"]*/i.exec(segment);
    if (xsl) return { id: 'wmic-xsl', attack: 'T1220', indicator: xsl[0], level: 'high' };
    return undefined;
  },
  schtasks: schtasksRule,
  msiexec(_args, segment) {
    const url = URL_RE.exec(segment);
    return url ? { id: 'msiexec-remote', attack: 'T1218.007', indicator: url[0], level: 'high' } : undefined;
  },
  cmstp(args) {
    const inf = args.find((a) => /\.inf$/i.test(a.value));
    const silent = flagIndex(args, /^\/s$/) >= 0;
    return inf && silent
      ? { id: 'cmstp-inf', attack: 'T1218.003', indicator: `/s ${inf.value}`, level: 'medium' }
      : undefined;
  },
};

/**
 * `schtasks /create … /tr X`: a task whose program, or a script it is given, lies in an odd place,
 * or that fetches or decodes code (a URL, -enc, -w hidden); high when it runs as SYSTEM.
 */
function schtasksRule(args: ArgToken[]): ReturnType<Rule> {
  const words = lower(args);
  if (!words.includes('/create')) return undefined;
  const tr = args[words.indexOf('/tr') + 1]?.value;
  if (words.indexOf('/tr') < 0 || tr === undefined) return undefined;
  const ru = args[words.indexOf('/ru') + 1]?.value;
  const system = words.includes('/ru') && /^(?:system|nt authority\\system)$/i.test(ru ?? '');
  const inner = splitWindowsArgs(tr).map((a) => a.value);
  const odd = oddPath(inner);
  const host = SCRIPT_HOSTS.test(windowsBasename(inner[0] ?? ''));
  const fetches =
    URL_RE.test(tr) || (host && /\s[-/](?:e|ec|enc\w*|w\s+hidden|windowstyle\s+hidden)\b/i.test(tr));
  if (!odd && !fetches) return undefined;
  const indicator = `/tr ${tr}${system ? ` /ru ${ru}` : ''}`;
  const level = system || odd?.level === 'high' || fetches ? 'high' : 'medium';
  return { id: 'schtasks-create', attack: 'T1053.005', indicator, level };
}

const NAMES: Record<string, Localized> = {
  'mshta-remote-or-script': t('mshta runs a remote or inline script', 'mshta 执行远程或内联脚本'),
  'mshta-odd-hta': t('mshta runs an HTA from an odd folder', 'mshta 执行异常目录中的 HTA'),
  'regsvr32-remote-scriptlet': t(
    'regsvr32 /i:http scrobj.dll (Squiblydoo)',
    'regsvr32 /i:http scrobj.dll（Squiblydoo）',
  ),
  'regsvr32-scriptlet': t(
    'regsvr32 runs a COM scriptlet through scrobj.dll',
    'regsvr32 通过 scrobj.dll 执行 COM 脚本',
  ),
  'regsvr32-odd-dll': t('regsvr32 registers a DLL from an odd folder', 'regsvr32 注册异常目录中的 DLL'),
  'certutil-download': t('certutil -urlcache downloads a file', 'certutil -urlcache 下载文件'),
  'certutil-decode': t('certutil -decode decodes a payload', 'certutil -decode 解码载荷'),
  'bitsadmin-transfer': t('bitsadmin downloads a file through BITS', 'bitsadmin 通过 BITS 下载文件'),
  'bitsadmin-notify-cmd': t('bitsadmin job runs a command when done', 'bitsadmin 任务完成后执行命令'),
  'rundll32-javascript': t(
    'rundll32 runs JavaScript (javascript:)',
    'rundll32 执行 JavaScript（javascript:）',
  ),
  'rundll32-url-dll': t('rundll32 url.dll opens a URL or file', 'rundll32 url.dll 打开 URL 或文件'),
  'rundll32-lsass-dump': t(
    'rundll32 comsvcs.dll MiniDump (credential dump)',
    'rundll32 comsvcs.dll MiniDump（转储凭据）',
  ),
  'rundll32-proxy-exec': t('rundll32 runs a program through a system DLL', 'rundll32 借系统 DLL 启动程序'),
  'rundll32-odd-dll': t('rundll32 loads a DLL from an odd folder', 'rundll32 加载异常目录中的 DLL'),
  'wmic-process-create': t('wmic process call create starts a program', 'wmic process call create 启动程序'),
  'wmic-xsl': t('wmic /format: runs an XSL script', 'wmic /format: 执行 XSL 脚本'),
  'schtasks-create': t(
    'schtasks /create registers a task running code from an odd place',
    'schtasks /create 创建运行异常位置代码的任务',
  ),
  'msiexec-remote': t('msiexec installs a package from a URL', 'msiexec 从 URL 安装程序包'),
  'cmstp-inf': t('cmstp installs an INF silently', 'cmstp 静默安装 INF'),
  'cmd-pipe-powershell': t(
    'a script piped into PowerShell (echo … | powershell)',
    '通过管道把脚本交给 PowerShell（echo … | powershell）',
  ),
};

const PROGRAM_RE =
  /(?<![\w.-])(mshta|regsvr32|certutil|bitsadmin|rundll32|wmic|schtasks|msiexec|cmstp)(?:\.exe)?(?![\w.-])/gi;
const PIPE_RE =
  /(?<![\w-])(?:echo|type)\b[^\r\n|&]*\|\s*(?:[^\s|&]*[\\/])?(?:powershell|pwsh)(?:\.exe)?(?![\w.-])[^\r\n|&]*/gi;

// Windows command lines are at most 32,767 characters; bounds keep a hostile text linear.
const MAX_LINE = 32 * 1024;
const MAX_SEGMENT = 8 * 1024;
const MAX_PROGRAMS = 64;

/** Where the command that starts at `from` ends: an unquoted `&`, `|` or line end (cmd's separators). */
function segmentEnd(text: string, from: number): number {
  let quoted = false;
  const stop = Math.min(text.length, from + MAX_SEGMENT);
  for (let i = from; i < stop; i++) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    else if (c === '\r' || c === '\n' || (!quoted && (c === '&' || c === '|'))) return i;
  }
  return stop;
}

/** Every LOLBin use in a command line, in the order they appear. Never throws. */
export function classifyCommandLine(commandLine: string): LolbinHit[] {
  const text = commandLine.length > MAX_LINE ? commandLine.slice(0, MAX_LINE) : commandLine;
  const hits: LolbinHit[] = [];
  let programs = 0;
  for (const m of text.matchAll(PROGRAM_RE)) {
    if (++programs > MAX_PROGRAMS) break;
    const programEnd = m.index + m[0].length;
    // `"C:\Windows\System32\mshta.exe" http://…`: the quote after the name closes the program path.
    const argsFrom = text[programEnd] === '"' ? programEnd + 1 : programEnd;
    const end = segmentEnd(text, argsFrom);
    const segment = text.slice(argsFrom, end);
    const rule = RULES[m[1]!.toLowerCase()]!;
    const hit = rule(splitWindowsArgs(text, argsFrom, end), segment);
    if (hit) hits.push({ ...hit, binary: m[0], span: { start: m.index, end }, name: NAMES[hit.id]! });
  }
  for (const m of text.matchAll(PIPE_RE)) {
    if (hits.length > MAX_PROGRAMS) break;
    const span = { start: m.index, end: m.index + m[0].length };
    hits.push({
      id: 'cmd-pipe-powershell',
      attack: 'T1059.001',
      binary: /powershell|pwsh/i.exec(m[0])?.[0] ?? 'powershell',
      span,
      indicator: m[0].trim(),
      level: 'high',
      name: NAMES['cmd-pipe-powershell']!,
    });
  }
  return hits.sort((a, b) => a.span.start - b.span.start);
}
