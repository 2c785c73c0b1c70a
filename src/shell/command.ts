// Reads shell command lines the way a shell would split them (quotes, pipes, `;`, `&&`, `$(…)`), so
// persistence detectors and the collector agree on which programs a cron line, unit or profile
// line runs, whether it downloads and runs code, and which files it points at. Pure: no I/O.
import type { Localized } from '../model/finding.js';
import { basename, t } from '../model/localized.js';

/** One simple command: its words (quotes removed) and the operator that ended it. */
export interface SimpleCommand {
  words: string[];
  /** `|`, `;`, `&&`, `||`, `&`, `(`, `)`, `$(`, or '' at the end. */
  next: string;
}

const OPERATORS = ['&&', '||', '$(', ';', '|', '&', '(', ')', '\n', '`'];
/** The first characters of OPERATORS: any other character cannot start one (a per-character test). */
const OPERATOR_START = new Set(OPERATORS.map((o) => o[0]));

/** Splits a command line into simple commands. Unbalanced quotes end at the end of the text. */
export function splitCommands(text: string): SimpleCommand[] {
  const out: SimpleCommand[] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  const endWord = (): void => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = (op: string): void => {
    endWord();
    if (words.length > 0) out.push({ words, next: op });
    else if (out.length > 0 && op !== '') {
      // `( … ) | sh`: the group's output is piped, so its last command is.
      const last = out[out.length - 1]!;
      if (!last.next || (op === '|' && last.next === ')')) last.next = op;
    }
    words = [];
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word += end < 0 ? text.slice(i + 1) : text.slice(i + 1, end);
      inWord = true;
      i = end < 0 ? text.length : end + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) {
          word += text[j + 1];
          j += 2;
          continue;
        }
        word += text[j];
        j++;
      }
      inWord = true;
      i = j + 1;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      if (text[i + 1] !== '\n') {
        word += text[i + 1];
        inWord = true;
      }
      i += 2;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      endWord();
      i++;
      continue;
    }
    if (c === '#' && !inWord) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
      continue;
    }
    const op = OPERATOR_START.has(c) ? OPERATORS.find((o) => text.startsWith(o, i)) : undefined;
    // `>` and `<` redirections end the word but keep the command going; the target is dropped.
    if (c === '>' || c === '<') {
      // `2>&1`: the digits are a file descriptor, not an argument.
      if (inWord && /^\d+$/.test(word)) {
        word = '';
        inWord = false;
      }
      endWord();
      i++;
      while (text[i] === '>' || text[i] === '&' || text[i] === ' ') i++;
      let target = '';
      while (i < text.length && !/[\s;|&)]/.test(text[i]!)) target += text[i++];
      if (target !== '') words.push(`>${target}`);
      continue;
    }
    if (op) {
      endCommand(op === '\n' ? ';' : op);
      i += op.length;
      continue;
    }
    word += c;
    inWord = true;
    i++;
  }
  endCommand('');
  return out;
}

/**
 * The same command texts are split many times in one scan: the persistence collector asks each
 * entry's targets (executedPaths, then downloadExec, which splits it again and asks executedPaths),
 * and the detectors ask executedPaths and downloadExec once more — seven splits of each of a host's
 * ~250 entries, ~25 ms of a scan's CPU (issue 17). The functions are pure, so their results are kept
 * by text for the process; a bounded map, emptied when full, so a long `watch` run or a huge script
 * does not grow it without end.
 */
const MEMO_ENTRIES = 4096;
/** Texts longer than this (whole scripts) are not kept: a cache of them would be mostly memory. */
const MEMO_TEXT_CHARS = 16 * 1024;

function remembered<T>(memo: Map<string, T>, text: string, compute: () => T): T {
  const hit = memo.get(text);
  if (hit !== undefined || memo.has(text)) return hit as T;
  const value = compute();
  if (text.length <= MEMO_TEXT_CHARS) {
    if (memo.size >= MEMO_ENTRIES) memo.clear();
    memo.set(text, value);
  }
  return value;
}

const splitMemo = new Map<string, readonly SimpleCommand[]>();
const executedMemo = new Map<string, readonly string[]>();
const downloadMemo = new Map<string, DownloadExec | undefined>();

/** splitCommands for this file's own readers, which never change what it returns. */
function splitShared(text: string): readonly SimpleCommand[] {
  return remembered(splitMemo, text, () => splitCommands(text));
}

/** Words of a command without its leading `VAR=value` assignments and redirection targets. */
function plainWords(words: string[]): string[] {
  const rest = words.filter((w) => !w.startsWith('>'));
  let i = 0;
  while (i < rest.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[i]!)) i++;
  return rest.slice(i);
}

/** Programs that run the next word as the real command. */
const WRAPPERS = new Set([
  'nohup',
  'exec',
  'setsid',
  'sudo',
  'env',
  'nice',
  'ionice',
  'timeout',
  'time',
  'command',
  'su',
  'runuser',
  'flock',
  'chronic',
  'start-stop-daemon',
]);

export const INTERPRETERS =
  /^(?:sh|bash|dash|zsh|ksh|ash|busybox|python[\d.]*|perl[\d.]*|ruby[\d.]*|php[\d.]*|node(?:js)?|lua[\d.]*|source|\.)$/;

/** The words of the command that actually runs, wrappers (`nohup`, `sudo -u x`, `env A=b`) removed. */
export function effectiveWords(words: string[]): string[] {
  let w = plainWords(words);
  for (let guard = 0; guard < 8 && w.length > 0; guard++) {
    const prog = basename(w[0]!);
    if (!WRAPPERS.has(prog)) break;
    if (prog === 'start-stop-daemon') {
      const exec = w.findIndex((x) => x === '--exec' || x === '-x' || x === '--startas' || x === '-a');
      return exec >= 0 && w[exec + 1] ? [w[exec + 1]!] : [];
    }
    let i = 1;
    // Options of the wrapper, and the few that take a value (`sudo -u user`, `nice -n 5`, `timeout 60`).
    while (i < w.length) {
      const x = w[i]!;
      if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(x)) i++;
      else if (/^-[ugnpcCw]$/.test(x)) i += 2;
      else if (x.startsWith('-')) i++;
      else if ((prog === 'timeout' || prog === 'flock') && i === 1) i++;
      else if ((prog === 'su' || prog === 'runuser') && !x.startsWith('/')) i++;
      else break;
    }
    w = w.slice(i);
  }
  return w;
}

/**
 * Programs and scripts a command line runs, as written: `nohup /tmp/.x/kworker -c c.json` gives
 * `/tmp/.x/kworker`; `sh /var/tmp/a.sh` gives `/bin/sh`-style `sh` and `/var/tmp/a.sh`.
 */
export function executedPaths(command: string): string[] {
  return [...remembered(executedMemo, command, () => executedPathsOf(command))];
}

function executedPathsOf(command: string): string[] {
  const out: string[] = [];
  for (const simple of splitShared(command)) {
    const w = effectiveWords(simple.words);
    const prog = w[0];
    if (prog === undefined) continue;
    out.push(prog);
    if (INTERPRETERS.test(basename(prog))) {
      const script = w.slice(1).find((x) => !x.startsWith('-'));
      if (script !== undefined && !w.includes('-c') && !w.includes('-e')) out.push(script);
    }
  }
  return [...new Set(out)];
}

/** Absolute paths mentioned anywhere in a text (command line or script), in order of appearance. */
export function mentionedPaths(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/(?:^|[\s='"`(:>;|&])(\/(?:[\w.@+~-]+\/?)+)/g)) {
    const p = m[1]!.replace(/\/+$/, '');
    if (p.length > 1 && !p.startsWith('//')) out.add(p);
  }
  return [...out];
}

const DOWNLOADERS = /^(?:curl|wget|fetch|tftp|lwp-download|lwp-request|aria2c|axel)$/;
const URL_RE = /^(?:https?|ftp|tftp):\/\/\S+/i;

export interface DownloadExec {
  downloader: string;
  /** `pipe`: output fed to an interpreter; `file`: saved to a file that is then run. */
  how: 'pipe' | 'file';
  url?: string;
  /** The file the payload is saved to, for `file`. */
  savedTo?: string;
}

function outputFile(words: string[]): string | undefined {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-o' || w === '-O' || w === '--output' || w === '--output-document')
      return words[i + 1] === '-' ? undefined : words[i + 1];
    const eq = /^--output(?:-document)?=(.+)$/.exec(w);
    if (eq) return eq[1] === '-' ? undefined : eq[1];
    const joined = /^-[oO](\/.+)$/.exec(w);
    if (joined) return joined[1];
  }
  const redirect = words.find((w) => w.startsWith('>') && w.length > 1);
  return redirect?.slice(1);
}

/**
 * Whether a command downloads code and runs it: `curl … | sh`, `wget -O- … | bash`,
 * `bash -c "$(curl …)"`, or `curl -o /tmp/x … ; chmod +x /tmp/x ; /tmp/x`.
 */
export function downloadExec(command: string, depth = 0): DownloadExec | undefined {
  // Only the outermost call is kept: a nested one's answer depends on its depth.
  if (depth !== 0) return downloadExecOf(command, depth);
  const found = remembered(downloadMemo, command, () => downloadExecOf(command, 0));
  return found && { ...found };
}

function downloadExecOf(command: string, depth: number): DownloadExec | undefined {
  const cmds = splitShared(command);
  const run = new Set(executedPaths(command));
  for (let i = 0; i < cmds.length; i++) {
    const cmd = cmds[i]!;
    const w = effectiveWords(cmd.words);
    const prog = w[0] ? basename(w[0]) : '';
    // Nested text: `bash -c "$(curl …)"` or `sh -c 'wget … | sh'`.
    if (depth < 2 && INTERPRETERS.test(prog) && w.includes('-c')) {
      const body = w[w.indexOf('-c') + 1] ?? '';
      const inner = downloadExec(body, depth + 1);
      if (inner) return inner;
      const sub = /\$\(|`/.test(body) ? body : undefined;
      if (sub) {
        const fetched = splitShared(sub).find((c) =>
          DOWNLOADERS.test(basename(effectiveWords(c.words)[0] ?? '')),
        );
        if (fetched) {
          const fw = effectiveWords(fetched.words);
          return { downloader: basename(fw[0]!), how: 'pipe', ...urlOf(fw) };
        }
      }
    }
    if (cmd.next === '$(' && INTERPRETERS.test(prog) && w.includes('-c')) {
      const fetched = cmds[i + 1];
      const fw = fetched ? effectiveWords(fetched.words) : [];
      if (fw[0] && DOWNLOADERS.test(basename(fw[0])))
        return { downloader: basename(fw[0]), how: 'pipe', ...urlOf(fw) };
    }
    if (!DOWNLOADERS.test(prog)) continue;
    // Through a pipe, possibly via a decoder (`| base64 -d | sh`).
    let j = i;
    // `(curl … || wget …) | sh`: alternatives in a group share the pipe after it.
    while (cmds[j]?.next === '||') j++;
    while (cmds[j]?.next === '|') {
      const nextProg = basename(effectiveWords(cmds[j + 1]?.words ?? [])[0] ?? '');
      if (INTERPRETERS.test(nextProg)) return { downloader: prog, how: 'pipe', ...urlOf(w) };
      j++;
    }
    const saved = outputFile(cmd.words);
    if (saved !== undefined && (run.has(saved) || run.has(`./${basename(saved)}`)))
      return { downloader: prog, how: 'file', savedTo: saved, ...urlOf(w) };
  }
  return undefined;
}

function urlOf(words: string[]): { url?: string } {
  const url = words.find((w) => URL_RE.test(w));
  return url ? { url } : {};
}

/**
 * Tool-chain and per-user program directories that are dot-directories by convention and routinely
 * appear in crontabs and profiles (acme.sh renewals, ~/.local/bin scripts): not odd on their own.
 */
const USUAL_DOT_DIRS = new Set([
  '.local',
  '.acme.sh',
  '.cargo',
  '.rustup',
  '.nvm',
  '.pyenv',
  '.rbenv',
  '.sdkman',
  '.volta',
  '.deno',
  '.bun',
  '.vscode-server',
  '.cursor-server',
  '.npm-global',
  '.dotnet',
  '.linuxbrew',
  '.nix-profile',
  '.oh-my-zsh',
]);

/** Why a program path is an odd place to run from, or undefined when it is not. */
export function oddProgramPath(path: string): { level: 'high' | 'medium'; why: Localized } | undefined {
  if (!path.startsWith('/')) return undefined;
  for (const [prefix, en, zh] of [
    ['/tmp/', '/tmp, a world-writable temporary directory', '/tmp（所有人可写的临时目录）'],
    ['/var/tmp/', '/var/tmp, a world-writable temporary directory', '/var/tmp（所有人可写的临时目录）'],
    ['/dev/shm/', '/dev/shm, shared memory that lives only in RAM', '/dev/shm（只存在于内存中的共享内存）'],
    ['/run/shm/', '/run/shm, shared memory that lives only in RAM', '/run/shm（只存在于内存中的共享内存）'],
  ] as const) {
    if (path.startsWith(prefix)) return { level: 'high', why: t(en, zh) };
  }
  if (path.startsWith('/dev/') && path !== '/dev/null')
    return { level: 'high', why: t('/dev, where no programs belong', '/dev（不应存放程序的目录）') };
  const dirs = path.split('/').slice(1, -1);
  if (dirs.some((d) => d === '' || /^\s+$/.test(d) || /^\.{3,}$/.test(d) || /^\.\s/.test(d)))
    return {
      level: 'high',
      why: t('a directory with a blank or dots-only name', '名称为空白或全是点的目录'),
    };
  // The innermost hidden directory is the telling one (~/.cache/.x, not ~/.cache).
  const hidden = [...dirs].reverse().find((d) => d.startsWith('.') && d !== '.' && d !== '..');
  if (hidden && !USUAL_DOT_DIRS.has(hidden))
    return { level: 'medium', why: t(`a hidden directory (${hidden})`, `隐藏目录（${hidden}）`) };
  if (basename(path).startsWith('.') && basename(path).length > 1)
    return { level: 'medium', why: t('a hidden file', '隐藏文件') };
  return undefined;
}

/** Absolute program and script paths a command starts, including where it saves a download it runs. */
export function commandTargets(command: string): string[] {
  const out = executedPaths(command).filter((p) => p.startsWith('/'));
  const dl = downloadExec(command);
  if (dl?.savedTo?.startsWith('/')) out.push(dl.savedTo);
  return [...new Set(out)];
}
