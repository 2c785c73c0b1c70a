// How much a YARA match in a file counts, by what the file is: a program or a file in an autostart
// place carries the rule's own level; a configuration file a miner would read carries it for the
// rules that describe configurations; a document, log, source file or data that merely mentions a
// miner is `low` at most; security material (rule files, indicator lists, blocklists) and files
// minehunter itself wrote are `info` and never acted on. README, "How to read a finding".
import { ruleLevel } from '../engine/rule-meta.js';
import { levelRank, maxLevel, type Basis, type Level, type Localized } from '../model/finding.js';
import type { ContentFile, ContentMatch, FileForm } from '../snapshot/schema.js';
import { pathInContainer } from '../snapshot/container.js';
import { oddComponent, writablePlace } from './places.js';
import { basename, t } from './util.js';

export interface ContentWeight {
  basis: Basis;
  /** The level is at most this. */
  cap?: Level;
  /** Security material and our own outputs: reported for the record, never acted on, no kind. */
  inert?: boolean;
  /** Why the match is weighed this way, for the finding's message. */
  reason?: Localized;
}

/** Rule namespaces that describe what a miner reads or is built from, not what it says. */
const CONFIG_NAMESPACES = new Set(['configs', 'containers', 'wallets']);

/** Places the system runs files from by itself: cron, systemd, init scripts, login shells, the loader. */
const AUTOSTART =
  /^\/etc\/(?:crontab$|cron\.[^/]+\/|anacrontab$|systemd\/|init\.d\/|rc\.local$|rc\d\.d\/|profile$|profile\.d\/|bash\.bashrc$|zsh\/|ld\.so\.preload$|xdg\/autostart\/|update-motd\.d\/)|^\/var\/spool\/(?:cron|at)\/|^\/(?:usr\/)?lib\/systemd\/|^\/run\/systemd\/|\/\.config\/(?:systemd|autostart)\/|\/\.(?:bashrc|bash_profile|bash_login|profile|zshrc|zprofile|cshrc|tcshrc)$|\/\.ssh\/authorized_keys2?$/;

/** Names a configuration file has: what a miner, a container build or a service reads. */
const CONFIG_EXT = /\.(?:json|jsonc|ya?ml|toml|ini|conf|cfg|cnf|properties|env|xml|plist|service|timer)$/i;
const CONFIG_FILE = /^(?:dockerfile|containerfile|docker-compose[\w.-]*|\.env)$|\.dockerfile$/i;
/** `config.txt`, `pools.txt` (xmr-stak), `pool` without extension: named for a config, written as text. */
const CONFIG_WORD = /(?:^|[._-])(?:config|pools?)(?:[._-][\w-]*)?(?:\.txt)?$/i;
const SOURCE_EXT = /\.(?:[cm]?[jt]sx?|py|rb|go|rs|c|h|cc|cpp|java|kt|php|pl|lua|sh|md|rst|html?|log)$/i;

function configName(name: string): boolean {
  return (
    CONFIG_EXT.test(name) || CONFIG_FILE.test(name) || (CONFIG_WORD.test(name) && !SOURCE_EXT.test(name))
  );
}

/** Shell-family script names, read by a shell whether or not they carry an exec bit. */
const SHELL_SCRIPT = /\.(?:sh|bash|zsh|ksh|ps1|psm1|bat|cmd|vbs)$/i;

/** Interpreter source: a program where droppers put their stages, source code elsewhere. */
const SCRIPT_SOURCE = /\.(?:py|pl|rb|lua|tcl)$/i;

/** Files a browser runs when a page loads them. */
const WEB_FILE = /\.(?:[mc]?js|x?html?|shtml|hta|svg|php\d?|phtml|phps|inc|wasm|vue|jsx|tsx)$/i;

const PROGRAM_FORMS = new Set<FileForm>(['elf', 'pe', 'macho']);

const SECURITY_LABEL: Partial<Record<FileForm, Localized>> = {
  'yara-rules': t('a YARA rule file', 'YARA 规则文件'),
  'sigma-rules': t('a Sigma rule file', 'Sigma 规则文件'),
  'indicator-list': t('an indicator list or blocklist', '威胁指标列表或屏蔽列表'),
};

/** `/srv/a.zip!x/y.sh` is named `y.sh`. */
function innermostName(p: string): string {
  const inner = p.slice(p.lastIndexOf('!') + 1);
  return basename(inner);
}

function isUserRule(m: ContentMatch): boolean {
  return m.namespace.startsWith('user.');
}

/**
 * The weight of the matches in one file that no running process executes. `form` is absent for
 * files a scan of an older minehunter recorded: they keep the rule's level, as they did then.
 */
export function weighFile(file: ContentFile): ContentWeight {
  if (file.ownOutput) {
    const { what, writtenAt } = file.ownOutput;
    return {
      basis: 'own-output',
      cap: 'info',
      inert: true,
      reason: t(
        `minehunter output (${what}), written ${writtenAt}: it quotes what an earlier scan found`,
        `minehunter 自己的输出（${what}），写于 ${writtenAt}：其中引用了之前扫描发现的内容`,
      ),
    };
  }
  const form = file.form;
  const security = form ? SECURITY_LABEL[form] : undefined;
  if (security && !file.executable) {
    return {
      basis: 'mention',
      cap: 'info',
      inert: true,
      reason: t(
        `${security.en} that names miners on purpose: security material, not a miner`,
        `${security['zh-CN']}，有意列出挖矿程序：属于安全资料，并非矿机`,
      ),
    };
  }
  if (form === undefined) return { basis: 'executable' };
  // A running container's file (`web-1:/tmp/x`) is weighed by where it is inside the container.
  const inner = pathInContainer(file.path.slice(file.path.lastIndexOf('!') + 1));
  const name = innermostName(file.path);
  if (PROGRAM_FORMS.has(form) || file.executable) return { basis: 'executable' };
  if (AUTOSTART.test(inner)) return { basis: 'autostart' };
  if (file.matches.some(isUserRule)) return { basis: 'config' };
  // A script runs with `sh file` or `python3 file` too; in a dropper's usual places it is a program.
  const droppersPlace = writablePlace(inner) !== undefined || oddComponent(inner) !== undefined;
  if (droppersPlace && (form === 'script' || SHELL_SCRIPT.test(name) || SCRIPT_SOURCE.test(name)))
    return { basis: 'executable', cap: 'high' };
  if (form === 'script' || SHELL_SCRIPT.test(name)) {
    return {
      basis: 'config',
      cap: 'medium',
      reason: t(
        'a script without an exec bit, outside the places droppers use',
        '没有执行权限的脚本，且不在投放程序常用的位置',
      ),
    };
  }
  if (WEB_FILE.test(name) && file.matches.some((m) => m.namespace.startsWith('web-')))
    return { basis: 'executable' };
  if (form === 'binary')
    return {
      basis: 'config',
      cap: 'medium',
      reason: t('data that is not a program', '不是程序的数据文件'),
    };
  const configMatches = file.matches.filter((m) => CONFIG_NAMESPACES.has(m.namespace));
  if (configName(name) && configMatches.length > 0)
    // What makes it a miner's configuration is what the configuration rules found; a program's name
    // quoted in it (a saved report, a note) does not raise it further.
    return { basis: 'config', cap: maxLevel(configMatches.map((m) => ruleLevel(m.meta) ?? 'medium')) };
  return {
    basis: 'mention',
    cap: 'low',
    reason: t(
      'a document, log, source file or data that mentions miners, not a program or a miner configuration',
      '文档、日志、源代码或数据中提到了挖矿程序，而不是程序或矿机配置',
    ),
  };
}

/** The rule's level, held down to the weight's cap. */
export function cappedLevel(level: Level, weight: ContentWeight): Level {
  return weight.cap && levelRank(level) > levelRank(weight.cap) ? weight.cap : level;
}
