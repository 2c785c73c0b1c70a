// The `minehunter rules` commands: keygen and pack build a signed rule and IOC bundle (for a team's
// own feed), update verifies one and installs it for the scan to use, rollback returns to the set it
// replaced, list shows the active set.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { KeyObject } from 'node:crypto';
import type { Lang, Localized } from '../model/finding.js';
import {
  activeSet,
  builtInKeyPath,
  fetchBundle,
  packBundle,
  readBundleFile,
  readPrivateKey,
  readPublicKey,
  shippedDirs,
  writeKeyPair,
} from '../iocs/bundle.js';
import { rollbackBundle, updateBundle } from '../iocs/bundle-install.js';
import { BUILT_IN, bundleStoreDir } from '../iocs/bundle-store.js';
import { EXIT, UsageError } from './errors.js';

const HELP = {
  rules: {
    en: 'manage the rule and IOC set: build and sign a bundle, install a signed update, show what is active',
    'zh-CN': '管理规则与 IOC 集：构建并签名规则包、安装已签名的更新、显示当前使用的集合',
  },
  after: {
    en: `
A bundle holds rules/*.yar and iocs/* with a manifest (version, date, sha256 and size of every
file, counts) signed with Ed25519. update checks the signature against the key built into
minehunter (keys/minehunter-rules.pub; its private half is held by the maintainers) or the key
given with --trust, checks every file, and installs into $XDG_DATA_HOME/minehunter/rules/<version>/
(default ~/.local/share/...), masked so antivirus does not take the rules for a miner. The scan
then uses that set instead of the shipped one; --rules and --iocs directories still add to it. A
bundle older than the installed one, or made before the rules built into minehunter, is a
downgrade and refused. rollback returns to the set the last update replaced (never below the
built-in rules).

Examples:
  minehunter rules list
  minehunter rules update --bundle minehunter-rules-2026.12.03.mhb
  minehunter rules update --from https://example.org/rules.mhb --trust team.pub
  minehunter rules rollback
  minehunter rules keygen -o ~/keys
  minehunter rules pack --key ~/keys/minehunter-rules.key -o team.mhb --bundle-version 2026.12.03`,
    'zh-CN': `
规则包包含 rules/*.yar 和 iocs/*，以及用 Ed25519 签名的清单（版本、日期、每个文件的 sha256 和大小、计数）。
update 用 minehunter 内置的公钥（keys/minehunter-rules.pub；私钥由维护者保管）或 --trust 指定的公钥验证签名，
逐个校验文件，然后安装到 $XDG_DATA_HOME/minehunter/rules/<版本>/（默认 ~/.local/share/...），
并加以掩码，以免杀毒软件把规则当作挖矿程序。此后扫描使用该集合而不是内置集合；--rules 和 --iocs 指定的目录仍会附加。
比已安装版本旧、或早于 minehunter 内置规则的规则包属于降级，会被拒绝。
rollback 回到最近一次更新所替换的规则集（不会低于内置规则）。

示例：
  minehunter rules list
  minehunter rules update --bundle minehunter-rules-2026.12.03.mhb
  minehunter rules update --from https://example.org/rules.mhb --trust team.pub
  minehunter rules rollback
  minehunter rules keygen -o ~/keys
  minehunter rules pack --key ~/keys/minehunter-rules.key -o team.mhb --bundle-version 2026.12.03`,
  },
  keygen: {
    en: 'write a new Ed25519 key pair for signing bundles',
    'zh-CN': '生成用于签名规则包的新 Ed25519 密钥对',
  },
  keygenOut: {
    en: 'directory for minehunter-rules.key and minehunter-rules.pub (never overwritten)',
    'zh-CN': 'minehunter-rules.key 和 minehunter-rules.pub 的目录（不会覆盖）',
  },
  pack: {
    en: 'build and sign a bundle of rules and IOC files',
    'zh-CN': '构建并签名规则与 IOC 文件的规则包',
  },
  key: { en: 'the Ed25519 private key (PEM) to sign with', 'zh-CN': '用于签名的 Ed25519 私钥（PEM）' },
  packOut: { en: 'the bundle file to write', 'zh-CN': '要写入的规则包文件' },
  version: {
    en: 'bundle version, dotted numbers (default: the UTC date and time, YYYY.MM.DD.HHMM)',
    'zh-CN': '规则包版本，以点分隔的数字（默认：UTC 日期时间 YYYY.MM.DD.HHMM）',
  },
  rulesDir: {
    en: 'take the rules from this directory (default: the shipped rules/)',
    'zh-CN': '从此目录读取规则（默认：内置 rules/）',
  },
  iocsDir: {
    en: 'take the IOC files from this directory (default: the shipped iocs/)',
    'zh-CN': '从此目录读取 IOC 文件（默认：内置 iocs/）',
  },
  source: {
    en: 'who publishes the bundle (recorded in the manifest)',
    'zh-CN': '规则包发布者（记录在清单中）',
  },
  update: {
    en: 'verify a signed bundle and install it for the scan to use',
    'zh-CN': '验证已签名的规则包并安装供扫描使用',
  },
  bundle: { en: 'the bundle file', 'zh-CN': '规则包文件' },
  from: { en: 'download the bundle from this http(s) URL', 'zh-CN': '从此 http(s) URL 下载规则包' },
  trust: {
    en: 'trust only this public key (PEM) instead of the built-in one',
    'zh-CN': '只信任此公钥（PEM），而不是内置公钥',
  },
  force: {
    en: 'install even a downgrade (older than the installed version or the built-in rules), or a changed version',
    'zh-CN': '即使是降级（比已安装版本或内置规则旧）或同版本内容不同也安装',
  },
  rollback: {
    en: 'return to the rule set the last update replaced (a kept bundle, or the built-in rules)',
    'zh-CN': '回到最近一次更新所替换的规则集（保留的规则包或内置规则）',
  },
  list: {
    en: 'show the active rule and IOC set: version, source, counts per file, signing key',
    'zh-CN': '显示当前使用的规则与 IOC 集：版本、来源、每个文件的计数、签名密钥',
  },
  format: { en: 'output format', 'zh-CN': '输出格式' },
} satisfies Record<string, Localized>;

interface PackOpts {
  key: string;
  output: string;
  bundleVersion?: string;
  rulesDir?: string;
  iocsDir?: string;
  source?: string;
}
interface UpdateOpts {
  bundle?: string;
  from?: string;
  trust?: string;
  force?: boolean;
}

/** YYYY.MM.DD.HHMM in UTC: sortable as a version and readable as a date. */
function defaultVersion(now: Date): string {
  const iso = now.toISOString();
  return `${iso.slice(0, 4)}.${iso.slice(5, 7)}.${iso.slice(8, 10)}.${iso.slice(11, 13)}${iso.slice(14, 16)}`;
}

/** `rules list` as text: the active set, where it is read from, and the counts per file. */
function activeSetText(set: ReturnType<typeof activeSet>, lang: Lang): string {
  const zh = lang === 'zh-CN';
  const lines: string[] = [];
  if (set.kind === 'installed') {
    lines.push(
      zh
        ? `当前使用：已安装的规则包，版本 ${set.version ?? '?'}（创建于 ${set.created ?? '?'}）`
        : `active: installed bundle, version ${set.version ?? '?'} (created ${set.created ?? '?'})`,
    );
    if (set.source) lines.push(zh ? `来源：${set.source}` : `source: ${set.source}`);
    lines.push(zh ? `签名密钥：${set.keyId ?? '?'}` : `signing key: ${set.keyId ?? '?'}`);
    if (set.previous) {
      const prev = set.previous === BUILT_IN ? (zh ? '内置规则' : 'the built-in rules') : set.previous;
      lines.push(zh ? `rules rollback 将回到：${prev}` : `rules rollback returns to: ${prev}`);
    }
  } else {
    lines.push(
      zh ? '当前使用：minehunter 内置的规则与 IOC' : 'active: the rules and IOCs shipped with minehunter',
    );
  }
  lines.push(zh ? `规则目录：${set.rulesDir}` : `rules: ${set.rulesDir}`);
  lines.push(zh ? `IOC 目录：${set.iocDir}` : `iocs: ${set.iocDir}`);
  lines.push('');
  const width = Math.max(...set.files.map((f) => f.name.length), 10);
  for (const f of set.files) {
    const unit = f.name.startsWith('rules/') ? (zh ? '条规则' : 'rules') : zh ? '条 IOC' : 'IOC entries';
    const flag = f.modified ? (zh ? '  已被修改！' : '  MODIFIED since install') : '';
    lines.push(`  ${f.name.padEnd(width)}  ${String(f.count).padStart(5)} ${unit}${flag}`);
  }
  lines.push('');
  lines.push(
    zh
      ? `共 ${set.counts.rules} 条规则，${set.counts.iocEntries} 条 IOC`
      : `total: ${set.counts.rules} rules, ${set.counts.iocEntries} IOC entries`,
  );
  return lines.join('\n') + '\n';
}

type Say = (en: string, zh: string) => void;
interface Ctx {
  lang: Lang;
  h: (k: keyof typeof HELP) => string;
  say: Say;
  setExit: (code: number) => void;
}

export function registerRulesCommand(program: Command, lang: Lang, setExit: (code: number) => void): void {
  const h = (k: keyof typeof HELP) => HELP[k][lang];
  const say: Say = (en, zh) => process.stdout.write(`${lang === 'zh-CN' ? zh : en}\n`);
  const rules = program.command('rules').description(h('rules')).addHelpText('after', h('after'));
  const ctx: Ctx = { lang, h, say, setExit };
  registerKeygen(rules, ctx);
  registerPack(rules, ctx);
  registerUpdate(rules, ctx);
  registerRollback(rules, ctx);
  registerList(rules, ctx);
}

function registerKeygen(rules: Command, { h, say, setExit }: Ctx): void {
  rules
    .command('keygen')
    .description(h('keygen'))
    .requiredOption('-o, --output <dir>', h('keygenOut'))
    .action(async (opts: { output: string }) => {
      const pair = await writeKeyPair(path.resolve(opts.output));
      say(
        `wrote ${pair.privateKey} (private: keep it secret) and ${pair.publicKey}; key id ${pair.keyId}`,
        `已写入 ${pair.privateKey}（私钥：请妥善保管）和 ${pair.publicKey}；密钥 id ${pair.keyId}`,
      );
      setExit(EXIT.clean);
    });
}

function registerPack(rules: Command, { lang, h, say, setExit }: Ctx): void {
  rules
    .command('pack')
    .description(h('pack'))
    .requiredOption('--key <file>', h('key'))
    .requiredOption('-o, --output <file>', h('packOut'))
    .option('--bundle-version <version>', h('version'))
    .option('--rules-dir <dir>', h('rulesDir'))
    .option('--iocs-dir <dir>', h('iocsDir'))
    .option('--source <text>', h('source'))
    .action(async (opts: PackOpts) => {
      const shipped = shippedDirs();
      const now = new Date();
      const packed = packBundle({
        privateKey: readPrivateKey(opts.key),
        version: opts.bundleVersion ?? defaultVersion(now),
        rulesDir: opts.rulesDir ? path.resolve(opts.rulesDir) : shipped.rulesDir,
        iocDir: opts.iocsDir ? path.resolve(opts.iocsDir) : shipped.iocDir,
        source: opts.source,
        now,
      });
      try {
        await writeFile(opts.output, packed.bytes);
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code ?? 'error';
        throw new UsageError(
          lang === 'zh-CN' ? `无法写入 ${opts.output}（${code}）` : `cannot write ${opts.output} (${code})`,
        );
      }
      const m = packed.manifest;
      say(
        `wrote ${opts.output}: version ${m.version}, ${m.files.length} files, ${m.counts.rules} rules, ${m.counts.iocEntries} IOC entries, signed by key ${packed.keyId}`,
        `已写入 ${opts.output}：版本 ${m.version}，${m.files.length} 个文件，${m.counts.rules} 条规则，${m.counts.iocEntries} 条 IOC，签名密钥 ${packed.keyId}`,
      );
      setExit(EXIT.clean);
    });
}

function registerUpdate(rules: Command, { lang, h, say, setExit }: Ctx): void {
  rules
    .command('update')
    .description(h('update'))
    .option('--bundle <file>', h('bundle'))
    .option('--from <url>', h('from'))
    .option('--trust <keyfile>', h('trust'))
    .option('--force', h('force'))
    .action(async (opts: UpdateOpts) => {
      if (!opts.bundle === !opts.from)
        throw new UsageError(
          lang === 'zh-CN'
            ? 'rules update 需要且只需要 --bundle FILE 或 --from URL 之一'
            : 'rules update needs exactly one of --bundle FILE or --from URL',
        );
      const keys: KeyObject[] = [readPublicKey(opts.trust ?? builtInKeyPath())];
      const display = opts.bundle ?? opts.from!;
      const bytes = opts.bundle ? await readBundleFile(opts.bundle) : await fetchBundle(opts.from!);
      const { outcome, bundle } = await updateBundle(bytes, keys, display, { force: opts.force });
      const m = bundle.manifest;
      if (outcome.status === 'unchanged') {
        say(
          `version ${m.version} is already installed (${outcome.dir})`,
          `版本 ${m.version} 已安装（${outcome.dir}）`,
        );
      } else {
        const was = outcome.previous ? outcome.previous : lang === 'zh-CN' ? '内置集合' : 'the shipped set';
        say(
          `installed version ${m.version} (was ${was}) into ${outcome.dir}: ${m.counts.rules} rules, ${m.counts.iocEntries} IOC entries, signature by key ${bundle.keyId} verified`,
          `已安装版本 ${m.version}（此前为 ${was}）到 ${outcome.dir}：${m.counts.rules} 条规则，${m.counts.iocEntries} 条 IOC，密钥 ${bundle.keyId} 的签名已验证`,
        );
      }
      setExit(EXIT.clean);
    });
}

function registerRollback(rules: Command, { h, say, setExit }: Ctx): void {
  rules
    .command('rollback')
    .description(h('rollback'))
    .action(async () => {
      const r = await rollbackBundle();
      const to =
        r.to === BUILT_IN
          ? ['the rules built into minehunter', 'minehunter 内置的规则']
          : [`version ${r.to}`, `版本 ${r.to}`];
      const why = r.belowFloor
        ? [
            ` (the kept version ${r.belowFloor} is older than the built-in rules, which are the floor)`,
            `（保留的版本 ${r.belowFloor} 比内置规则旧，内置规则是下限）`,
          ]
        : ['', ''];
      say(
        `rolled back from version ${r.from} to ${to[0]}${why[0]}`,
        `已从版本 ${r.from} 回滚到 ${to[1]}${why[1]}`,
      );
      setExit(EXIT.clean);
    });
}

function registerList(rules: Command, { lang, h, setExit }: Ctx): void {
  rules
    .command('list')
    .description(h('list'))
    .addOption(new Option('-f, --format <format>', h('format')).choices(['text', 'json']).default('text'))
    .action((opts: { format: 'text' | 'json' }) => {
      const set = activeSet();
      if (opts.format === 'json') {
        process.stdout.write(JSON.stringify({ store: bundleStoreDir(), ...set }, null, 2) + '\n');
        setExit(EXIT.clean);
        return;
      }
      process.stdout.write(activeSetText(set, lang));
      setExit(set.files.some((f) => f.modified) ? EXIT.usage : EXIT.clean);
    });
}
