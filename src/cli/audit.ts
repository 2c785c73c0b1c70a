// The `minehunter audit` command: collects the base snapshot and the audit facts (or reads a saved
// snapshot), runs the prevention checks and prints them as text, JSON or SARIF; the exit code
// follows --fail-on like scan's.
import path from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { renderAuditText } from '../report/render-audit-text.js';
import { auditChecks } from '../audit/index.js';
import { auditFailsAt, runAudit } from '../audit/run.js';
import { renderFixScript } from '../audit/checks/windows-fix-script.js';
import type { AuditFacts, LoginService } from '../snapshot/audit.js';
import { collectSnapshot } from '../collect/index.js';
import { collectAuditFacts } from '../collect/audit/index.js';
import { DictionaryError, loadDictionary } from '../collect/audit/logins/dictionary.js';
import { LEVELS, type Lang, type Level, type Localized } from '../model/finding.js';
import { sarifFromAudit } from '../report/render-sarif.js';
import { EXPORT_FORMATS, renderExport, reportOfAudit, type ExportFormat } from '../report/render-export.js';
import type { Snapshot } from '../snapshot/schema.js';
import { toolVersion } from '../util/paths.js';
import { EXIT, UsageError } from './errors.js';
import { useColor, writeOutput } from './output.js';
import { readSnapshot } from './snapshot-file.js';

const HELP = {
  audit: {
    en: 'check this machine against the prevention checklist: firewall and SMB ports, exposed services, weak passwords (loopback only), patches, anti-virus, scheduled tasks, SSH',
    'zh-CN':
      '按防护清单检查本机：防火墙与 SMB 端口、暴露的服务、弱口令（仅回环地址）、补丁、杀毒软件、计划任务、SSH',
  },
  after: {
    en: `
Every check ends as pass, fail or unknown, with evidence and the exact fix command; failures come
first, worst first, then a score. docs/audit.md describes every check.

Login tests connect only to 127.0.0.1 and ::1, at most a few tries per account with a pause between
tries, and stop at the first success; --no-login-tests turns them off.

Examples:
  minehunter audit
  minehunter audit --lang zh-CN --fail-on critical
  minehunter audit --format sarif -o audit.sarif
  minehunter audit --only firewall-active,smb-ports-blocked
  minehunter audit --root /mnt/c --fix-script harden.ps1   (a Windows system drive)
  minehunter audit --credentials extra.txt   (lines: "redis - hunter2", "postgresql app app123")`,
    'zh-CN': `
每项检查的结果为通过、不通过或未知，并附证据和具体的修复命令；不通过的排在最前，按严重程度排序，最后给出得分。
各项检查的说明见 docs/audit.md。

登录测试只连接 127.0.0.1 和 ::1，每个账号只尝试几次且每次之间有停顿，首次成功即停止；--no-login-tests 可关闭。

示例：
  minehunter audit
  minehunter audit --lang en --fail-on critical
  minehunter audit --format sarif -o audit.sarif
  minehunter audit --only firewall-active,smb-ports-blocked
  minehunter audit --root /mnt/c --fix-script harden.ps1   （Windows 系统盘）
  minehunter audit --credentials extra.txt   （每行："redis - hunter2"、"postgresql app app123"）`,
  },
  format: {
    en: 'output format; ecs, splunk-hec and stix export the failed checks as findings',
    'zh-CN': '输出格式；ecs、splunk-hec 和 stix 将未通过的检查项作为发现导出',
  },
  failOn: {
    en: 'exit with 1 when a check at or above this level fails',
    'zh-CN': '存在达到此级别的不通过项时以退出码 1 结束',
  },
  noLogin: {
    en: 'do not try any login (weak-password checks become unknown)',
    'zh-CN': '不进行任何登录尝试（弱口令检查结果为未知）',
  },
  credentials: {
    en: 'extra credentials, tried before the built-in ones: lines "service user password" (repeatable)',
    'zh-CN': '额外的凭据，先于内置字典尝试：每行"服务 用户 口令"（可多次指定）',
  },
  only: { en: 'run only these checks (comma-separated ids)', 'zh-CN': '只运行这些检查（以逗号分隔的 id）' },
  root: {
    en: 'audit this directory as / (offline copy: firewall and login tests are skipped; a Windows system drive is audited from its registry hives)',
    'zh-CN': '将此目录视为根目录审计（离线副本：跳过防火墙和登录测试；Windows 系统盘按其注册表配置单元审计）',
  },
  snapshot: {
    en: 'audit a snapshot saved with --save-snapshot instead of this machine',
    'zh-CN': '审计用 --save-snapshot 保存的快照，而不是本机',
  },
  save: {
    en: 'also write the collected snapshot (with the audit facts) to this file',
    'zh-CN': '同时把采集到的快照（含审计事实）写入此文件',
  },
  fixScript: {
    en: 'Windows volume: also write the fixes of the failed checks as one PowerShell script to review and run on that host (nothing is run)',
    'zh-CN':
      'Windows 卷：同时把不通过项的修复命令写成一个 PowerShell 脚本，供审查后在该主机上运行（不会执行任何操作）',
  },
  output: {
    en: 'write the result to this file instead of standard output',
    'zh-CN': '将结果写入此文件而非标准输出',
  },
} satisfies Record<string, Localized>;

interface AuditCliOptions {
  lang?: string;
  color: boolean;
  quiet?: boolean;
  format: 'text' | 'json' | 'sarif' | ExportFormat;
  failOn: Level | 'none';
  loginTests: boolean;
  credentials: string[];
  only?: string;
  root: string;
  snapshot?: string;
  saveSnapshot?: string;
  fixScript?: string;
  output?: string;
}

export function registerAuditCommand(program: Command, lang: Lang, setExit: (code: number) => void): void {
  const h = (k: keyof typeof HELP) => HELP[k][lang];
  const cmd = program
    .command('audit')
    .description(h('audit'))
    .addHelpText('after', h('after'))
    .addOption(
      new Option('-f, --format <format>', h('format'))
        .choices(['text', 'json', 'sarif', ...EXPORT_FORMATS])
        .default('text'),
    )
    .addOption(new Option('--fail-on <level>', h('failOn')).choices([...LEVELS, 'none']).default('high'))
    .option('--no-login-tests', h('noLogin'))
    .option('--credentials <file>', h('credentials'), (v: string, prev: string[]) => [...prev, v], [])
    .option('--only <ids>', h('only'))
    .option('--root <dir>', h('root'), '/')
    .option('--snapshot <file>', h('snapshot'))
    .option('--save-snapshot <file>', h('save'))
    .option('--fix-script <file>', h('fixScript'))
    .option('-o, --output <file>', h('output'));
  cmd.action(async (_opts, c: Command) => {
    setExit(await audit(c.optsWithGlobals<AuditCliOptions>(), lang));
  });
}

function selectChecks(only: string | undefined) {
  if (!only) return auditChecks;
  const ids = only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknownIds = ids.filter((id) => !auditChecks.some((c) => c.id === id));
  if (unknownIds.length) {
    throw new UsageError(`--only: no such check: ${unknownIds.join(', ')} (see docs/audit.md for the list)`);
  }
  return auditChecks.filter((c) => ids.includes(c.id));
}

async function audit(opts: AuditCliOptions, lang: Lang): Promise<number> {
  const checks = selectChecks(opts.only);
  let dictionary;
  try {
    dictionary = await loadDictionary(opts.credentials);
  } catch (err) {
    if (err instanceof DictionaryError) throw new UsageError(err.message);
    throw err;
  }
  let snapshot: Snapshot;
  if (opts.snapshot) {
    snapshot = await readSnapshot(opts.snapshot);
  } else {
    const root = path.resolve(opts.root);
    if (!existsSync(root) || !statSync(root).isDirectory())
      throw new UsageError(`--root ${opts.root}: not a directory`);
    const progress = !opts.quiet && process.stderr.isTTY;
    const say = progress ? (id: string) => process.stderr.write(`\r\x1b[K${id}…`) : undefined;
    try {
      snapshot = await collectSnapshot({
        root,
        cpuWindowMs: 0,
        hashExecutables: false,
        toolVersion: toolVersion(),
        onProgress: say,
      });
      const parts = [...new Set(checks.flatMap((c) => c.needs))].filter(
        (n): n is keyof AuditFacts => n !== 'sockets' && n !== 'processes',
      );
      const loginServices = opts.only ? loginServicesFor(checks.map((c) => c.id)) : undefined;
      const { audit: facts, records } = await collectAuditFacts(snapshot, {
        loginTests: opts.loginTests,
        dictionary,
        parts,
        loginServices,
        onProgress: say,
      });
      snapshot.audit = facts;
      snapshot.collection.push(...records);
    } finally {
      if (progress) process.stderr.write('\r\x1b[K');
    }
    if (opts.saveSnapshot)
      await writeOutput(opts.saveSnapshot, JSON.stringify(snapshot, null, 2) + '\n', 'audit snapshot');
  }
  const report = runAudit(snapshot, { toolVersion: toolVersion(), now: new Date(), checks });
  if (opts.fixScript) {
    if (snapshot.target.kind !== 'windows-volume')
      throw new UsageError('--fix-script: the hardening script is written for a Windows volume only');
    await writeOutput(opts.fixScript, renderFixScript(report, snapshot), 'hardening script (PowerShell)');
  }
  const text =
    opts.format === 'json'
      ? JSON.stringify(report, null, 2) + '\n'
      : opts.format === 'sarif'
        ? sarifFromAudit(report, checks, lang)
        : (EXPORT_FORMATS as readonly string[]).includes(opts.format)
          ? renderExport(reportOfAudit(report), opts.format as ExportFormat)
          : renderAuditText(report, { lang, color: useColor(opts) });
  await writeOutput(opts.output, text, `audit report (${opts.format})`);
  return auditFailsAt(report, opts.failOn) ? EXIT.findings : EXIT.clean;
}

/** With --only, the login tests run just for the credential checks asked for. */
function loginServicesFor(ids: string[]): LoginService[] {
  const map: Record<string, LoginService[]> = {
    'redis-auth': ['redis'],
    'redis-config-set-dir': ['redis'],
    'postgresql-auth': ['postgresql'],
    'mysql-auth': ['mysql'],
    'tomcat-manager-auth': ['tomcat-manager'],
    'jenkins-script-console': ['jenkins'],
    'mongodb-auth': ['mongodb'],
  };
  return [...new Set(ids.flatMap((id) => map[id] ?? []))];
}
