// Detector: a process that runs without a file of its own on disk: an executable deleted after
// start or living in an anonymous memory file, programs started from /dev/shm, /tmp, /var/tmp or
// /run, interpreters fed from curl or wget through a pipe, payloads decoded from base64 or hex in
// the command line, scripts deleted after start, and a working directory that was deleted.
import type { Evidence, Level, Localized } from '../../model/finding.js';
import type { ProcessInfo } from '../../snapshot/schema.js';
import type { Detector, Hit } from '../types.js';
import { inSystemLibDir, writablePlace } from '../places.js';
import {
  isUserland,
  processActions,
  processEvidence,
  processFingerprint,
  processLabel,
  processRef,
  processSubject,
  t,
} from '../util.js';

interface Signal {
  /** What kind of sign it is, camelCase (`memfdBusy`, `downloadPipe`…); listed in the hit's data. */
  sign: string;
  level: Level;
  why: Localized;
  evidence: Evidence;
  /**
   * A circumstance, not a sign on its own: a build in /tmp or a shell in a removed directory is
   * ordinary, and would otherwise escalate high-cpu-odd-path's hit on the same place. It is reported
   * only beside a real fileless sign.
   */
  qualifier?: boolean;
}

/** CPU% (100 = one core) above which a memory-only program is taken for a miner at work. */
export const BUSY_CPU_PERCENT = 20;
const RANK: Level[] = ['info', 'low', 'medium', 'high', 'critical'];

const SHELL = String.raw`(?:ba|da|z|k|a)?sh|python[\d.]*|perl|ruby|php|node|lua`;
const DOWNLOADER = /\b(?:curl|wget|fetch|busybox\s+wget)\b/gi;
const COMMAND_END = /[|;&]/g;
/** A pipe into an interpreter, matched where a `|` stands (sticky). */
const PIPE_TO_SHELL = new RegExp(String.raw`\|\s*(?:sudo\s+)?(?:[^\s|;&]*/)?(?:${SHELL})\b`, 'iy');

/**
 * `curl … | sh`, `wget -O- … | bash`, `curl …|python3 -`: a downloader whose command's first pipe
 * goes into an interpreter; the text from the downloader to the interpreter's name. Linear in the
 * command line, which is the miner's own text: the one regex `\bcurl\b[^|;&]*\|…` rescanned the
 * rest of the line from every `curl` in it (2 s for 128 KB of "curl "; a command line may hold
 * 2 MB). Downloaders before the same `|`, `;` or `&` share its answer, so each is looked at once.
 */
export function downloadPipe(cmd: string): string | undefined {
  DOWNLOADER.lastIndex = 0;
  for (let m = DOWNLOADER.exec(cmd); m; m = DOWNLOADER.exec(cmd)) {
    COMMAND_END.lastIndex = m.index + m[0].length;
    const end = COMMAND_END.exec(cmd);
    if (!end) return undefined;
    if (end[0] === '|') {
      PIPE_TO_SHELL.lastIndex = end.index;
      const to = PIPE_TO_SHELL.exec(cmd);
      if (to) return cmd.slice(m.index, end.index + to[0].length);
    }
    DOWNLOADER.lastIndex = end.index + 1;
  }
  return undefined;
}
/** `… | base64 -d | sh`, `echo … | xxd -r -p > x`, `exec(base64.b64decode(…))`, `openssl enc -d -base64`. */
const DECODE =
  /\bbase64\s+(?:-d|--decode|-D)\b|\bxxd\s+-r\b|\bb64decode\s*\(|\bbase64_decode\s*\(|\bdecode_base64\b|\bopenssl\s+(?:enc\s+)?(?:-d\s+)?-?base64\s+-d|\bFromBase64String\b/i;
const BASE64_RUN = /[A-Za-z0-9+/]+/g;

/**
 * A long unbroken base64 run (200 characters or more, with its padding): a payload carried in the
 * command line itself. Runs are found whole, once each: `[A-Za-z0-9+/]{200,}` tried again from
 * every character of a 199-character run.
 */
export function base64Blob(cmd: string): string | undefined {
  for (const m of cmd.matchAll(BASE64_RUN)) {
    if (m[0].length < 200) continue;
    const end = m.index + m[0].length;
    const pad = cmd[end] !== '=' ? 0 : cmd[end + 1] === '=' ? 2 : 1;
    return cmd.slice(m.index, end + pad);
  }
  return undefined;
}

function place(exe: string): Localized | undefined {
  return writablePlace(exe);
}

export function filelessSignals(p: ProcessInfo, deletedScript?: string, connected = false): Signal[] {
  const out: Signal[] = [];
  const exe = p.exe ?? '';
  if (p.exeMemfd) {
    // runc re-executes itself from a memfd while it starts a container, and some agents run sealed
    // memfd copies of themselves: a memory-only program is suspicious, one that burns CPU is the
    // fileless miner itself.
    const runc = /memfd:runc_cloned/.test(exe);
    const busy = (p.cpuPercent ?? 0) >= BUSY_CPU_PERCENT || (p.cpuPercentLifetime ?? 0) >= BUSY_CPU_PERCENT;
    out.push({
      sign: connected && !busy ? 'memfdConnected' : busy ? 'memfdBusy' : 'memfd',
      level: runc ? 'low' : busy || connected ? 'critical' : 'medium',
      why:
        connected && !busy
          ? t(
              `its executable is an anonymous memory file (${exe}) that never existed on disk, and it holds an open network connection`,
              `其可执行文件是从未落盘的匿名内存文件（${exe}），并保持着网络连接`,
            )
          : busy
            ? t(
                `its executable is an anonymous memory file (${exe}) that never existed on disk, and it keeps a CPU core busy`,
                `其可执行文件是从未落盘的匿名内存文件（${exe}），并持续占用 CPU`,
              )
            : t(
                `its executable is an anonymous memory file (${exe}) that never existed on disk`,
                `其可执行文件是从未落盘的匿名内存文件（${exe}）`,
              ),
      evidence: { type: 'match', field: 'exe', value: exe, ioc: 'memfd executable' },
    });
  } else if (p.exeDeleted) {
    // Package upgrades delete binaries daemons still run: only odd places are serious.
    const odd = !(inSystemLibDir(exe) || /^\/(?:usr\/)?s?bin\//.test(exe) || exe.startsWith('/usr/'));
    out.push({
      sign: 'deletedExecutable',
      level: odd ? 'high' : 'low',
      why: t(`its executable ${exe} was deleted after it started`, `其可执行文件 ${exe} 在启动后已被删除`),
      evidence: { type: 'match', field: 'exe', value: `${exe} (deleted)`, ioc: 'deleted executable' },
    });
  }
  const where = exe !== '' && !p.exeMemfd ? place(exe) : undefined;
  if (where) {
    out.push({
      sign: 'startedFrom',
      level: exe.startsWith('/dev/shm/') ? 'high' : 'medium',
      why: t(`it was started from ${where.en}`, `它从${where['zh-CN']}启动`),
      evidence: { type: 'match', field: 'exe', value: exe, ioc: `started from ${where.en}` },
      qualifier: !exe.startsWith('/dev/shm/'),
    });
  }
  const cmd = p.argv.join(' ');
  const pipe = downloadPipe(cmd);
  if (pipe !== undefined) {
    out.push({
      sign: 'downloadPipe',
      level: 'high',
      why: t('it feeds a download straight into an interpreter', '它把下载内容直接交给解释器执行'),
      evidence: { type: 'match', field: 'argv', value: pipe, ioc: 'download piped to an interpreter' },
    });
  }
  const decode = DECODE.exec(cmd);
  if (decode) {
    out.push({
      sign: 'decodesPayload',
      level: 'high',
      why: t('it decodes a payload carried in its command line', '它解码命令行中携带的载荷'),
      evidence: { type: 'match', field: 'argv', value: decode[0], ioc: 'encoded payload in argv' },
    });
  } else {
    const blob = base64Blob(cmd);
    if (blob !== undefined) {
      out.push({
        sign: 'base64Blob',
        level: 'medium',
        why: t('its command line carries a long base64 blob', '其命令行携带很长的 base64 数据'),
        evidence: {
          type: 'match',
          field: 'argv',
          value: `${blob.slice(0, 60)}…`,
          ioc: 'base64 blob in argv',
        },
      });
    }
  }
  if (deletedScript !== undefined) {
    out.push({
      sign: 'deletedScript',
      level: writablePlace(deletedScript) ? 'high' : 'medium',
      why: t(
        `the script it runs (${deletedScript}) was deleted after start`,
        `它运行的脚本（${deletedScript}）在启动后已被删除`,
      ),
      evidence: {
        type: 'match',
        field: 'script',
        value: `${deletedScript} (deleted)`,
        ioc: 'script deleted after start',
      },
    });
  }
  if (p.cwdDeleted && p.cwd) {
    out.push({
      sign: 'deletedCwd',
      level: 'low',
      qualifier: true,
      why: t(`its working directory ${p.cwd} was deleted`, `其工作目录 ${p.cwd} 已被删除`),
      evidence: {
        type: 'match',
        field: 'cwd',
        value: `${p.cwd} (deleted)`,
        ioc: 'deleted working directory',
      },
    });
  }
  return out;
}

export const fileless: Detector = {
  id: 'fileless',
  kind: 'fileless',
  category: 'miner',
  level: 'high',
  title: t('Process running without a file of its own on disk', '无文件落地运行的进程'),
  description: t(
    'Flags the ways a miner runs without leaving a program file to find: an executable that lives only in an anonymous memory file (memfd_create + fexecve; medium, critical when it keeps a CPU core at least 20% busy or holds an established network connection), one deleted after start from anywhere but the system directories (high; a daemon whose binary a package upgrade replaced is low), programs started from /dev/shm (high), a command line that pipes curl or wget into a shell or interpreter or decodes a base64 or hex payload (high), a long base64 blob in the arguments (medium), an interpreter whose script was deleted after it started (high in a writable place, else medium), and, beside any of these, a start from /tmp, /var/tmp or /run (medium) and a deleted working directory (low): on their own those two are ordinary (builds, shells in removed directories) and high-cpu-odd-path already reports busy programs there. Signals on the same process add up.',
    '标记挖矿程序不留下程序文件而运行的各种方式：可执行文件只存在于匿名内存文件中（memfd_create + fexecve；中危，若持续占用至少 20% 的 CPU 核心或保持着已建立的网络连接则为严重）；启动后被删除且不在系统目录中的可执行文件（高危；因软件包升级被替换的守护进程二进制为低危）；从 /dev/shm 启动的程序（高危）；把 curl 或 wget 的输出通过管道交给 shell 或解释器、或解码 base64/十六进制载荷的命令行（高危）；参数中的长 base64 数据（中危）；脚本在启动后被删除的解释器进程（位于可写位置为高危，否则中危）；以及与上述任一信号同时出现时，从 /tmp、/var/tmp 或 /run 启动（中危）和已被删除的工作目录（低危）：这两者单独出现很常见（编译、在已删除目录中的 shell），且 high-cpu-odd-path 已会报告在这些位置持续占用 CPU 的程序。同一进程上的多个信号会叠加。',
  ),
  tags: ['attack.t1620', 'attack.t1059', 'attack.t1027', 'attack.t1070.004', 'attack.t1496'],
  needs: ['processes'],
  verify: t(
    '`ls -l /proc/<pid>/exe` shows "(deleted)" or "/memfd:"; `tr "\\0" " " < /proc/<pid>/cmdline` shows the command line; `ls -l /proc/<pid>/cwd` the working directory. Copy the program out with `cp /proc/<pid>/exe /root/evidence.bin` before anything else: it is the only copy.',
    '`ls -l /proc/<pid>/exe` 显示 "(deleted)" 或 "/memfd:"；`tr "\\0" " " < /proc/<pid>/cmdline` 显示命令行；`ls -l /proc/<pid>/cwd` 显示工作目录。首先用 `cp /proc/<pid>/exe /root/evidence.bin` 把程序复制出来：那是唯一的副本。',
  ),
  remediation: t(
    'Copy /proc/<pid>/exe into quarantine before killing (for memfd and deleted executables it is the only copy), kill the process tree, then find the dropper: the parent process, cron and systemd entries, shell history.',
    '结束进程前先把 /proc/<pid>/exe 复制到隔离区（memfd 和已删除的可执行文件只有这一份），结束进程树，再查找投放者：父进程、cron 和 systemd 条目、shell 历史记录。',
  ),
  messages: {
    // Named by pid and label rather than {process}, so the Chinese template has Chinese in it.
    fileless: t('PID {pid} ({label}): {reasons}', '进程 PID {pid}（{label}）：{reasons}'),
  },
  detect(snapshot) {
    const scripts = new Map((snapshot.hidden?.deletedScripts ?? []).map((s) => [s.pid, s.path]));
    // Established TCP connections per pid, when sockets were collected: a memory-only program talking
    // to the network is the fileless miner's shape, an idle one (some agents run sealed memfds) is not.
    const connected = new Set(
      (snapshot.sockets ?? [])
        .filter((k) => k.state === 'ESTABLISHED' && k.remotePort !== 0)
        .flatMap((k) => k.pids),
    );
    const hits: Hit[] = [];
    for (const p of snapshot.processes ?? []) {
      if (!isUserland(p)) continue;
      const script = scripts.get(p.pid);
      const signals = filelessSignals(p, script, connected.has(p.pid));
      if (signals.every((s) => s.qualifier)) continue;
      const level = signals.reduce<Level>(
        (a, s) => (RANK.indexOf(s.level) > RANK.indexOf(a) ? s.level : a),
        'info',
      );
      hits.push({
        subject: processSubject(p.pid),
        level,
        messageId: 'fileless',
        data: {
          process: processRef(p),
          pid: p.pid,
          label: processLabel(p),
          ...(p.exe ? { exe: p.exe } : {}),
          ...(script !== undefined ? { deletedScript: script } : {}),
          ...(p.cwdDeleted && p.cwd ? { deletedCwd: p.cwd } : {}),
          reasons: t(signals.map((s) => s.why.en).join('; '), signals.map((s) => s.why['zh-CN']).join('；')),
          signs: signals.map((s) => s.sign).join(', '),
        },
        evidence: [processEvidence(p), ...signals.map((s) => s.evidence)],
        remediate: processActions(p),
        fingerprint: processFingerprint(p),
      });
    }
    return hits;
  },
};
