// Detector: the places an injection into a web site hides (source §4.4), read from the snapshot's
// `web` section: PHP auto_prepend/append settings that run a file before every page, includes put at
// the top of wp-config.php, theme and template files that load scripts from foreign hosts or decode
// code, CMS plugins that carry miner payloads, and files changed long after their siblings. The
// content rules make the strong call on what a file is; these hits say where it is wired in, and a
// hit on a file the content scan already weighs at medium or more joins that file's finding.
import { levelRank, type Action, type Evidence, type Level, type Localized } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { CmsInclude, CmsSite, LateFile, PhpPrepend, TemplateFile, Web } from '../../snapshot/web.js';
import { cappedLevel, weighFile } from '../content-weight.js';
import { oddComponent, writablePlace } from '../places.js';
import type { Detector, Hit } from '../types.js';
import { basename, t } from '../util.js';
import { strongest } from './content-match.js';

const ID = 'web-injection-place';
const DAY_MS = 24 * 3600 * 1000;
/** A file counts as changed late when every other file of its directory is this much older. */
const LATE_DAYS = 30;

/** The security plugins whose firewall is loaded by auto_prepend_file: a setting they write themselves. */
const KNOWN_LOADERS: { re: RegExp; name: string }[] = [
  { re: /\/wordfence-waf\.php$/, name: 'Wordfence' },
  { re: /\/malcare-waf\.php$/, name: 'MalCare' },
  { re: /\/aios-bootstrap\.php$/, name: 'All In One WP Security' },
  { re: /\/wp-content\/plugins\/ninjafirewall\/lib\/firewall\.php$/, name: 'NinjaFirewall' },
];

/**
 * Script hosts a theme commonly loads from by hand (CDNs, analytics, captcha, payment, share
 * buttons, the Chinese analytics services): a `<script src>` to one of them is no injection sign.
 */
const COMMON_SCRIPT_HOSTS = [
  'googleapis.com',
  'gstatic.com',
  'googletagmanager.com',
  'google-analytics.com',
  'googlesyndication.com',
  'google.com',
  'recaptcha.net',
  'cloudflare.com',
  'cloudflareinsights.com',
  'jsdelivr.net',
  'unpkg.com',
  'code.jquery.com',
  'bootstrapcdn.com',
  'fontawesome.com',
  'datatables.net',
  'facebook.net',
  'twitter.com',
  'wp.com',
  'stripe.com',
  'paypal.com',
  'youtube.com',
  'vimeo.com',
  'addtoany.com',
  'hm.baidu.com',
  'cnzz.com',
  '51.la',
  'res.wx.qq.com',
];

/** Names a site's own administrators change on purpose (configuration, crawler files). */
const EXPECTED_CHANGES =
  /^(?:wp-config\.php|configuration\.php|settings(?:\.local)?\.php|\.htaccess|\.user\.ini|robots\.txt|sitemap[\w-]*\.xml)$/i;
/** Directories whose files change on their own (caches, sessions, logs). */
const SELF_CHANGING = /\/(?:cache|caches|tmp|temp|logs?|sessions?)\//i;
const CODE_FILE = /\.(?:php\d?|phtml|inc|m?js|html?|twig|tpl)$/i;
const PHP_FILE = /\.(?:php\d?|phtml|inc)$/i;

const PLUGIN_BASES: Record<CmsSite['kind'], string[]> = {
  wordpress: ['wp-content/plugins', 'wp-content/mu-plugins'],
  drupal: ['modules/contrib', 'modules/custom', 'modules', 'sites/all/modules'],
  joomla: ['plugins', 'components', 'modules'],
};

const CMS_NAMES: Record<CmsSite['kind'], string> = {
  wordpress: 'WordPress',
  drupal: 'Drupal',
  joomla: 'Joomla',
};

const days = (ms: number): number => Math.floor(ms / DAY_MS);
const under = (p: string, dir: string): boolean => dir === '/' || p.startsWith(`${dir}/`);

/** The level content-match gives each file with matches, weighed by what the file is. */
function contentLevels(snapshot: Snapshot): Map<string, Level> {
  const out = new Map<string, Level>();
  for (const file of snapshot.content?.files ?? []) {
    const best = strongest(file.matches);
    if (best) out.set(file.path, cappedLevel(best.level, weighFile(file)));
  }
  return out;
}

interface Ctx {
  web: Web;
  content: Map<string, Level>;
}

/** The content scan weighs this file at medium or more: a hit on it joins that finding. */
function strongContent(c: Ctx, p: string | undefined): boolean {
  const level = p === undefined ? undefined : c.content.get(p);
  return level !== undefined && levelRank(level) >= levelRank('medium');
}

/**
 * The subject of a hit on a file: the file's own (shared with content-match) when the two together
 * say more than either: its content is weighed at medium or more, or this hit is (a payload named
 * like an icon, matched only as a "mention", and the wp-config line that loads it are one story).
 * Two weak hints stay apart, so a low mention and a low theme hint never add up to medium.
 */
function fileSubject(c: Ctx, p: string, level: Level, own: string): string {
  const joins = c.content.has(p) && (strongContent(c, p) || levelRank(level) >= levelRank('medium'));
  return joins ? `file:${p}` : `file:${p}#${own}`;
}

/** Why the file PHP is made to run looks planted: where it lies or what it is named like. */
function plantedReason(p: string): Localized | undefined {
  const w = writablePlace(p);
  if (w) return t(`it lies in ${w.en}`, `它位于${w['zh-CN']}`);
  const odd = oddComponent(p);
  if (odd !== undefined)
    return t(
      `it lies in a hidden or blank-named directory ("${odd}")`,
      `它位于隐藏或空白名称的目录（"${odd}"）中`,
    );
  if (basename(p).startsWith('.')) return t('it is a hidden file', '它是隐藏文件');
  if (/\/wp-content\/uploads\//.test(p))
    return t('it lies in the uploads directory, which holds no code', '它位于上传目录，该目录不应存放代码');
  if (!PHP_FILE.test(p))
    return t(
      `its name (${basename(p)}) is a data file's, not a PHP script's`,
      `它的文件名（${basename(p)}）是数据文件的名称，而不是 PHP 脚本`,
    );
  return undefined;
}

const removeLine = (file: string, text: string): Action[] =>
  text.endsWith('…') ? [] : [{ type: 'remove-line', path: file, line: text }];

function prependHit(c: Ctx, p: PhpPrepend): Hit | undefined {
  const target = p.target ?? p.value;
  const setting: Evidence = {
    type: 'match',
    field: `${p.where} ${p.directive}`,
    value: `${p.file}:${p.line}: ${p.text}`,
  };
  const data = { file: p.file, line: p.line, directive: p.directive, target };
  const known = KNOWN_LOADERS.find((k) => k.re.test(target));
  const planted = p.target === undefined ? undefined : plantedReason(p.target);
  const strong = strongContent(c, p.target);
  const base = {
    evidence: [{ type: 'file', path: p.file } as Evidence, setting],
    basis: 'autostart' as const,
  };
  const own = ['web', 'prepend', p.file, p.directive, target];
  if (known && !planted && !strong)
    return {
      ...base,
      subject: `file:${p.file}#${ID}:${p.line}`,
      level: 'info',
      messageId: 'prependKnown',
      data: { ...data, product: known.name },
      remediate: [],
      fingerprint: own,
    };
  // A setting to nothing is only a leftover, unless where it points says it was planted.
  if (p.targetExists === false && !strong && !planted)
    return {
      ...base,
      subject: `file:${p.file}#${ID}:${p.line}`,
      level: 'low',
      messageId: 'prependMissing',
      data,
      remediate: removeLine(p.file, p.text),
      fingerprint: own,
    };
  const why = strong ? t('its content matches miner rules', '其内容命中挖矿规则') : planted;
  const level: Level = why ? 'high' : 'medium';
  const subject = p.target
    ? fileSubject(c, p.target, level, `${ID}:${p.file}:${p.line}`)
    : `file:${p.file}#${ID}:${p.line}`;
  const quarantine: Action[] = why && p.target ? [{ type: 'quarantine-file', path: p.target }] : [];
  const evidence = p.target
    ? [...base.evidence, { type: 'file', path: p.target } as Evidence]
    : base.evidence;
  return {
    ...base,
    evidence,
    subject,
    level,
    kind: 'web-script',
    messageId: why ? 'prependPlanted' : 'prepend',
    data: why ? { ...data, reason: why } : data,
    remediate: [...removeLine(p.file, p.text), ...quarantine],
    fingerprint: own,
  };
}

const WP_OWN = /\/wp-settings\.php$/;

function includeHit(c: Ctx, inc: CmsInclude): Hit | undefined {
  if (inc.target !== undefined && WP_OWN.test(inc.target) && !inc.obfuscated) return undefined;
  const planted = inc.target === undefined ? undefined : plantedReason(inc.target);
  const strong = strongContent(c, inc.target);
  const reasons = [
    ...(strong ? [t('its content matches miner rules', '其内容命中挖矿规则')] : []),
    ...(inc.obfuscated
      ? [
          t(
            'the path is written with escapes or pieces so it cannot be read',
            '路径以转义字符或拼接片段写成，难以直接读出',
          ),
        ]
      : []),
    ...(planted ? [planted] : []),
  ];
  // A plain PHP file loaded further down is how many hosts split their configuration.
  if (reasons.length === 0 && !inc.top) return undefined;
  const hidden =
    inc.target !== undefined &&
    (writablePlace(inc.target) !== undefined || oddComponent(inc.target) !== undefined);
  const level: Level =
    strong || hidden || reasons.length >= 2 ? 'high' : reasons.length === 1 ? 'medium' : 'low';
  const data = { file: inc.file, line: inc.line, target: inc.target ?? inc.text };
  const why = reasons.length > 0 ? join(reasons) : undefined;
  return {
    subject: inc.target
      ? fileSubject(c, inc.target, level, `${ID}:${inc.file}:${inc.line}`)
      : `file:${inc.file}#${ID}:${inc.line}`,
    level,
    ...(why ? { kind: 'web-script' as const } : {}),
    basis: 'autostart',
    messageId: why ? 'includePlanted' : 'includeTop',
    data: why ? { ...data, reason: why } : data,
    evidence: [
      { type: 'file', path: inc.file },
      { type: 'match', field: 'wp-config.php include', value: `${inc.file}:${inc.line}: ${inc.text}` },
      ...(inc.target ? [{ type: 'file' as const, path: inc.target }] : []),
    ],
    remediate:
      why && inc.target && inc.targetExists !== false ? [{ type: 'quarantine-file', path: inc.target }] : [],
    fingerprint: ['web', 'include', inc.file, inc.text],
  };
}

/** Reasons joined into one phrase: "a, and b". */
function join(reasons: Localized[]): Localized {
  return t(reasons.map((r) => r.en).join(', and '), reasons.map((r) => r['zh-CN']).join('，且'));
}

/** The host names a site answers to: its roots' server names and the URLs it gives itself. */
function ownHosts(web: Web, site: string): string[] {
  const names = web.roots
    .filter((r) => under(site, r.path) || site === r.path)
    .flatMap((r) => r.serverNames ?? []);
  const urls = web.cms.filter((s) => s.path === site).flatMap((s) => s.urls ?? []);
  for (const u of urls) {
    try {
      names.push(new URL(u).hostname);
    } catch {
      // Not a URL: nothing to add.
    }
  }
  return [...new Set(names.map((n) => n.toLowerCase().replace(/^www\./, '')))];
}

const sameOrSub = (host: string, domain: string): boolean => host === domain || host.endsWith(`.${domain}`);

function foreign(host: string, own: string[]): boolean {
  const h = host.replace(/^www\./, '');
  if (h === 'localhost' || own.some((o) => sameOrSub(h, o) || sameOrSub(o, h))) return false;
  return !COMMON_SCRIPT_HOSTS.some((d) => sameOrSub(h, d));
}

function templateHits(c: Ctx, file: TemplateFile): Hit[] {
  const own = ownHosts(c.web, file.site);
  const scripts = file.signals.filter((s) => s.what === 'script-src' && s.host && foreign(s.host, own));
  const calls = file.signals.filter((s) => s.what !== 'script-src');
  const subject = fileSubject(c, file.path, 'low', ID);
  const out: Hit[] = [];
  const evidenceOf = (list: typeof file.signals): Evidence[] => [
    { type: 'file', path: file.path },
    ...list.slice(0, 5).map((s): Evidence => ({
      type: 'match',
      field: `template ${s.what}`,
      value: `${file.path}:${s.line}: ${s.excerpt}`,
    })),
  ];
  const first = scripts[0];
  if (first) {
    const hosts = [...new Set(scripts.map((s) => s.host as string))];
    out.push({
      subject,
      level: 'low',
      basis: 'executable',
      messageId: 'templateScript',
      data: { path: file.path, line: first.line, hosts: hosts.join(', '), cms: CMS_NAMES[file.cms] },
      evidence: evidenceOf(scripts),
      remediate: [],
      fingerprint: ['web', 'template', file.path],
    });
  }
  const call = calls[0];
  if (call) {
    out.push({
      subject,
      level: 'low',
      basis: 'executable',
      messageId: 'templateDecoder',
      data: {
        path: file.path,
        line: call.line,
        calls: [...new Set(calls.map((s) => `${s.what}(`))].join(', '),
        cms: CMS_NAMES[file.cms],
      },
      evidence: evidenceOf(calls),
      remediate: [],
      fingerprint: ['web', 'template', file.path],
    });
  }
  return out;
}

function lateFileHit(c: Ctx, f: LateFile): Hit | undefined {
  const name = basename(f.path);
  const gap = Date.parse(f.mtime) - Date.parse(f.siblingsNewest);
  if (
    days(gap) < LATE_DAYS ||
    !CODE_FILE.test(name) ||
    EXPECTED_CHANGES.test(name) ||
    SELF_CHANGING.test(f.path)
  )
    return undefined;
  return {
    subject: fileSubject(c, f.path, 'low', ID),
    level: PHP_FILE.test(name) ? 'low' : 'info',
    basis: 'executable',
    messageId: 'lateFile',
    data: { path: f.path, mtime: f.mtime, days: days(gap), siblings: f.siblings, newest: f.siblingsNewest },
    evidence: [
      { type: 'file', path: f.path },
      {
        type: 'match',
        field: 'file times',
        value: `mtime ${f.mtime}${f.ctime ? `, ctime ${f.ctime}` : ''}; the other ${f.siblings} files: newest ${f.siblingsNewest}, median ${f.siblingsMedian}`,
      },
    ],
    remediate: [],
    fingerprint: ['web', 'late', f.path],
  };
}

/** The plugin (module, extension) directory of a CMS a file belongs to, or undefined. */
function pluginOf(site: CmsSite, p: string): string | undefined {
  for (const base of PLUGIN_BASES[site.kind]) {
    const dir = `${site.path}/${base}`;
    if (!under(p, dir)) continue;
    const name = p.slice(dir.length + 1).split('/')[0] as string;
    return `${dir}/${name}`;
  }
  return undefined;
}

function pluginHits(c: Ctx): Hit[] {
  const byPlugin = new Map<string, { site: CmsSite; files: string[] }>();
  for (const [p, level] of c.content) {
    if (levelRank(level) < levelRank('medium')) continue;
    const site = c.web.cms.filter((s) => under(p, s.path)).sort((a, b) => b.path.length - a.path.length)[0];
    const plugin = site && pluginOf(site, p);
    if (!site || !plugin) continue;
    const entry = byPlugin.get(plugin) ?? { site, files: [] };
    entry.files.push(p);
    byPlugin.set(plugin, entry);
  }
  return [...byPlugin.entries()].map(([dir, { site, files }]) => {
    files.sort();
    return {
      subject: `web-plugin:${dir}`,
      level: 'medium',
      kind: 'web-script',
      basis: 'executable',
      messageId: 'pluginPayload',
      data: {
        plugin: basename(dir),
        dir,
        cms: CMS_NAMES[site.kind],
        count: files.length,
        file: files[0] as string,
      },
      evidence: [...files.slice(0, 8).map((path): Evidence => ({ type: 'file', path }))],
      remediate: [],
      fingerprint: ['web', 'plugin', dir],
    };
  });
}

export const webInjectionPlace: Detector = {
  id: ID,
  category: 'persistence',
  level: 'medium',
  title: t('Web site injection place', '网站注入位置'),
  description: t(
    "Reads the web roots minehunter found (nginx root/alias, Apache DocumentRoot/Alias, Caddy root, lighttpd server.document-root/alias.url, /var/www, /srv/www and the other usual places, or the directories named with scan --path) and the places an injected miner is wired into a site. A PHP auto_prepend_file or auto_append_file setting (.htaccess php_value, .user.ini, php.ini, a PHP-FPM pool, an Apache or nginx configuration) makes PHP run a file before or after every page: medium, high when the file lies in /tmp, /dev/shm or a hidden directory, is named like a data file, sits in the uploads directory or matches miner rules; the firewalls of Wordfence, MalCare, All In One WP Security and NinjaFirewall, which use the same setting, are info. An include or require at the top of wp-config.php (before the first define) of anything but wp-settings.php is low, and medium or high when its path is hidden with escapes, points to such a place or matches miner rules. WordPress header.php/footer.php/functions.php, Drupal page/html templates and .theme files and Joomla template index.php files that load a script from a host other than the site's own and the common CDNs, or call eval, base64_decode, gzinflate, str_rot13 or String.fromCharCode, are low: the content rules decide what the code is. A CMS plugin or module holding files the content scan weighs at medium or more is medium. A PHP, JavaScript or template file changed at least 30 days after every other file of its directory is low (PHP) or info, with both times shown. A hit on a file the content scan already reports at medium or more joins that finding, so the injection place and the payload are one finding.",
    '读取 minehunter 找到的网站根目录（nginx 的 root/alias、Apache 的 DocumentRoot/Alias、Caddy 的 root、lighttpd 的 server.document-root/alias.url、/var/www、/srv/www 等常见位置，或 scan --path 指定的目录），检查挖矿脚本被植入网站的位置。PHP 的 auto_prepend_file 或 auto_append_file 设置（.htaccess 中的 php_value、.user.ini、php.ini、PHP-FPM 进程池、Apache 或 nginx 配置）会让 PHP 在每个页面之前或之后运行某个文件：中危；若该文件位于 /tmp、/dev/shm 或隐藏目录、名称像数据文件、位于上传目录或命中挖矿规则，则为高危；Wordfence、MalCare、All In One WP Security 和 NinjaFirewall 的防火墙也使用该设置，仅为提示。wp-config.php 顶部（第一个 define 之前）对 wp-settings.php 以外文件的 include 或 require 为低危；若路径用转义字符隐藏、指向上述位置或命中挖矿规则，则为中危或高危。WordPress 的 header.php/footer.php/functions.php、Drupal 的 page/html 模板和 .theme 文件、Joomla 模板的 index.php 若从站点自身和常用 CDN 以外的主机加载脚本，或调用 eval、base64_decode、gzinflate、str_rot13、String.fromCharCode，为低危：代码性质由内容规则判定。CMS 插件或模块中有被内容扫描评为中危及以上的文件时为中危。PHP、JavaScript 或模板文件的修改时间比同目录其他所有文件晚至少 30 天时为低危（PHP）或提示，并同时显示两个时间。若命中的文件已被内容扫描报告为中危及以上，则并入该发现，注入位置与载荷合为一条发现。',
  ),
  tags: ['attack.t1505.003', 'attack.t1496', 'attack.t1546'],
  needs: ['web'],
  verify: t(
    'Open the named file at the named line and read what it loads; `php -i | grep auto_` on the server shows the prepend and append settings in effect. Compare a theme or plugin file with the same version downloaded from wordpress.org (or `wp core verify-checksums` / `wp plugin verify-checksums --all` with WP-CLI); `stat FILE` shows the change time beside the mtime.',
    '在指定行打开该文件，查看它加载了什么；在服务器上执行 `php -i | grep auto_` 可看到实际生效的 prepend/append 设置。将主题或插件文件与从 wordpress.org 下载的同版本文件对比（或用 WP-CLI 执行 `wp core verify-checksums` / `wp plugin verify-checksums --all`）；`stat FILE` 可同时显示 ctime 与 mtime。',
  ),
  remediation: t(
    'Remove the auto_prepend_file/auto_append_file line (respond does this for .htaccess, .user.ini and the other configurations) and quarantine the file it named; remove an injected include from wp-config.php by hand, keeping the rest of the file. Restore modified theme, template and plugin files from a clean copy of the same version, or reinstall the plugin; then change the CMS and database passwords and find how the site was written to (a vulnerable plugin, a stolen FTP or admin password).',
    '删除 auto_prepend_file/auto_append_file 所在行（respond 可对 .htaccess、.user.ini 及其他配置执行此操作）并隔离其指向的文件；手工删除 wp-config.php 中被植入的 include，保留文件其余内容。用同版本的干净副本恢复被修改的主题、模板和插件文件，或重新安装插件；然后修改 CMS 与数据库密码，并查明网站被写入的途径（有漏洞的插件、被盗的 FTP 或管理员密码）。',
  ),
  messages: {
    prepend: t(
      '{file}:{line} makes PHP run {target} with every page ({directive})',
      '{file}:{line} 让 PHP 在每个页面运行 {target}（{directive}）',
    ),
    prependPlanted: t(
      '{file}:{line} makes PHP run {target} with every page ({directive}), and {reason}',
      '{file}:{line} 让 PHP 在每个页面运行 {target}（{directive}），且{reason}',
    ),
    prependKnown: t(
      "{file}:{line} loads {product}'s firewall {target} with every page ({directive})",
      '{file}:{line} 在每个页面加载 {product} 的防火墙 {target}（{directive}）',
    ),
    prependMissing: t(
      '{file}:{line} makes PHP run {target} with every page ({directive}), but nothing is there now',
      '{file}:{line} 让 PHP 在每个页面运行 {target}（{directive}），但该文件目前不存在',
    ),
    includeTop: t(
      '{file}:{line} loads {target} before the site configuration',
      '{file}:{line} 在站点配置之前加载 {target}',
    ),
    includePlanted: t(
      '{file}:{line} loads {target}, and {reason}',
      '{file}:{line} 加载 {target}，且{reason}',
    ),
    templateScript: t(
      '{path}:{line} ({cms} template) loads a script from {hosts}',
      '{path}:{line}（{cms} 模板）从 {hosts} 加载脚本',
    ),
    templateDecoder: t(
      '{path}:{line} ({cms} template) calls {calls}',
      '{path}:{line}（{cms} 模板）调用了 {calls}',
    ),
    pluginPayload: t(
      '{cms} plugin {plugin} ({dir}) holds {count} file(s) that match miner rules, such as {file}',
      '{cms} 插件 {plugin}（{dir}）中有 {count} 个文件命中挖矿规则，例如 {file}',
    ),
    lateFile: t(
      '{path} was changed {mtime}, {days} days after every other file of its directory ({siblings} files, the newest changed {newest})',
      '{path} 修改于 {mtime}，比同目录其他所有文件晚 {days} 天（共 {siblings} 个文件，其中最新的修改于 {newest}）',
    ),
  },
  detect(snapshot) {
    const web = snapshot.web;
    if (!web) return [];
    const c: Ctx = { web, content: contentLevels(snapshot) };
    return [
      ...web.prepends.flatMap((p) => prependHit(c, p) ?? []),
      ...web.includes.flatMap((i) => includeHit(c, i) ?? []),
      ...web.templates.flatMap((f) => templateHits(c, f)),
      ...pluginHits(c),
      ...web.lateFiles.flatMap((f) => lateFileHit(c, f) ?? []),
    ];
  },
};
