// The web collector (issue 15): finds the directories a host serves as web sites (its nginx, Apache,
// Caddy and lighttpd configurations, followed through their includes, and the usual places such as
// /var/www), recognises the CMS installs in them and reads the places an injection into a site hides:
// PHP auto_prepend/append settings, includes at the top of wp-config.php, theme and template files
// that load foreign scripts or decode code, and files changed long after their siblings. `scan
// --path DIR` gives a site copy the same reading. Everything is read through the target's door
// (TargetFs) and bounded (files, bytes, include depth, walk size): a hostile configuration or a huge
// upload directory costs a bounded amount of work, and what was cut short is recorded.
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { dirLister, type DirListing, type Listing } from '../../engine/dir-lister.js';
import type { CollectionRecord } from '../../snapshot/schema.js';
import type {
  CmsInclude,
  CmsKind,
  CmsSite,
  LateFile,
  PhpPrepend,
  TemplateFile,
  Web,
  WebRoot,
} from '../../snapshot/web.js';
import { targetFs, type TargetEntry, type TargetFs } from '../../target/fs.js';
import type { CollectContext } from '../context.js';
import { CollectorLog, errnoCode, isGone } from '../support.js';

const P = path.posix;

/** Configuration files read in all (includes of includes count). */
const MAX_CONFIG_FILES = 300;
const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_INCLUDE_DEPTH = 8;
const MAX_GLOB_MATCHES = 500;
/** The walk for late files and .htaccess/.user.ini: per root and in all, breadth first. */
const MAX_WALK_FILES_PER_ROOT = 20_000;
const MAX_WALK_FILES = 60_000;
const MAX_WALK_DEPTH = 16;
/** Directories the walk leaves to the content scan: version control and package trees. */
const WALK_SKIP = new Set(['.git', '.svn', '.hg', 'node_modules']);
/** A directory needs this many regular files before one of them can stand out by its time. */
const MIN_FILES_FOR_TIMES = 5;
/** The gap that makes the newest files of a directory "late"; the detector asks for more. */
const LATE_GAP_MS = 7 * 24 * 3600 * 1000;
const MAX_TEMPLATE_BYTES = 512 * 1024;
const MAX_SIGNALS_PER_FILE = 10;
const MAX_CMS_CANDIDATES = 200;
const MAX_TEXT = 300;

/** Where sites live when no configuration names them (Debian/RHEL defaults, BT Panel, LNMP). */
export const DEFAULT_WEB_DIRS = [
  '/var/www',
  '/var/www/html',
  '/srv/www',
  '/usr/share/nginx/html',
  '/www/wwwroot',
  '/home/wwwroot',
];

const NGINX_MAIN = [
  '/etc/nginx/nginx.conf',
  '/usr/local/nginx/conf/nginx.conf',
  '/usr/local/openresty/nginx/conf/nginx.conf',
  '/www/server/nginx/conf/nginx.conf',
];
/** Read even when no main file includes them (a copied /etc, a main file we could not read). */
const NGINX_EXTRA = [
  '/etc/nginx/conf.d/*.conf',
  '/etc/nginx/sites-enabled/*',
  '/www/server/panel/vhost/nginx/*.conf',
];
const APACHE_MAIN: [file: string, serverRoot: string][] = [
  ['/etc/apache2/apache2.conf', '/etc/apache2'],
  ['/etc/httpd/conf/httpd.conf', '/etc/httpd'],
  ['/usr/local/apache2/conf/httpd.conf', '/usr/local/apache2'],
  ['/www/server/apache/conf/httpd.conf', '/www/server/apache'],
];
const APACHE_EXTRA: [glob: string, serverRoot: string][] = [
  ['/etc/apache2/sites-enabled/*', '/etc/apache2'],
  ['/etc/apache2/conf-enabled/*.conf', '/etc/apache2'],
  ['/etc/httpd/conf.d/*.conf', '/etc/httpd'],
  ['/www/server/panel/vhost/apache/*.conf', '/www/server/apache'],
];
const CADDY_MAIN = ['/etc/caddy/Caddyfile'];
const LIGHTTPD_MAIN = ['/etc/lighttpd/lighttpd.conf'];
const PHP_INI = [
  '/etc/php.ini',
  '/etc/php.d/*.ini',
  '/etc/php/*/*/php.ini',
  '/etc/php/*/*/conf.d/*.ini',
  '/usr/local/etc/php/php.ini',
  '/usr/local/etc/php/conf.d/*.ini',
  '/www/server/php/*/etc/php.ini',
];
const PHP_FPM = [
  '/etc/php/*/fpm/pool.d/*.conf',
  '/etc/php-fpm.d/*.conf',
  '/usr/local/etc/php-fpm.d/*.conf',
  '/www/server/php/*/etc/php-fpm.conf',
];

// ---- reading configuration files ----------------------------------------------------------------

/**
 * What readServerConfigs() looks at first: each main configuration file, and the directory each
 * glob lists (its path up to the first wildcard).
 */
function firstLooks(): string[] {
  const globBase = (glob: string): string => {
    const parts = glob.split('/');
    const wild = parts.findIndex((part) => /[*?[]/.test(part));
    return wild < 0 ? glob : parts.slice(0, wild).join('/') || '/';
  };
  const globs = [...NGINX_EXTRA, ...APACHE_EXTRA.map(([glob]) => glob), ...PHP_INI, ...PHP_FPM];
  const mains = [...NGINX_MAIN, ...APACHE_MAIN.map(([file]) => file), ...CADDY_MAIN, ...LIGHTTPD_MAIN];
  return [...new Set([...mains, ...globs.map(globBase)])];
}

/** Reads configuration files once each, within the bounds, and expands their include globs. */
class ConfigReader {
  readonly files: string[] = [];
  private readonly seen = new Set<string>();
  /** Paths found missing by probe(): reads and listings of them answer at once. */
  private readonly missing = new Set<string>();

  constructor(
    readonly fs: TargetFs,
    readonly log: CollectorLog,
  ) {}

  /**
   * Looks at all these paths at once and remembers the missing ones. The reads that follow go one
   * after the other (the first configuration line naming a root wins), and each await of the
   * file system waited for a turn of an event loop the other collectors keep busy: on a host
   * without a web server, ~35 of them took 0.4 s of a default scan whose content scan waited for
   * this collector. A missing path then costs no await at all.
   */
  async probe(paths: readonly string[]): Promise<void> {
    await Promise.all(
      paths.map((p) =>
        this.fs.stat(p).then(
          () => undefined,
          (err) => {
            if (errnoCode(err) === 'ENOENT') this.missing.add(p);
          },
        ),
      ),
    );
  }

  /** The text of a regular file not read before; undefined when missing, read already or over the bounds. */
  async read(file: string): Promise<string | undefined> {
    if (this.seen.has(file) || this.seen.size >= MAX_CONFIG_FILES) return undefined;
    this.seen.add(file);
    if (this.missing.has(file)) return undefined;
    try {
      if (!(await this.fs.stat(file)).isFile()) return undefined;
      const text = await this.fs.text(file, { maxBytes: MAX_CONFIG_BYTES });
      this.files.push(file);
      return text;
    } catch (err) {
      if (!isGone(err)) this.log.add(file, err);
      return undefined;
    }
  }

  /** The paths an absolute glob (`*`, `?`, `[…]` in any component) names, sorted; names starting with a dot are not matched by a wildcard. */
  async glob(pattern: string): Promise<string[]> {
    let bases = ['/'];
    for (const part of pattern.split('/').filter(Boolean)) {
      const next: string[] = [];
      for (const base of bases) {
        if (!/[*?[]/.test(part)) {
          next.push(P.join(base, part));
          continue;
        }
        const re = globRegex(part);
        const names = this.missing.has(base) ? [] : await this.fs.names(base).catch(() => [] as string[]);
        for (const n of names) if (!n.startsWith('.') && re.test(n)) next.push(P.join(base, n));
      }
      bases = next.slice(0, MAX_GLOB_MATCHES);
    }
    return bases.sort();
  }

  async isDir(p: string): Promise<boolean> {
    if (this.missing.has(p)) return false;
    return this.fs.stat(p).then(
      (s) => s.isDirectory(),
      () => false,
    );
  }
}

function globRegex(part: string): RegExp {
  let re = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = part.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${part
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Everything the configuration readers find. */
interface Found {
  roots: WebRoot[];
  prepends: PhpPrepend[];
}

const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

/**
 * A root path as a configuration writes it, made absolute against `base`; a path with a variable
 * (`/var/www/$host`, `${SITE}`, `{http.vars.root}`) keeps the directories before it, and one that
 * starts with a variable names nothing we can read.
 */
export function rootPath(raw: string, base: string): string | undefined {
  let p = raw.trim();
  const v = p.search(/\$|\{/);
  if (v >= 0) p = p.slice(0, v).slice(0, p.slice(0, v).lastIndexOf('/') + 1);
  if (p === '') return undefined;
  const abs = P.normalize(p.startsWith('/') ? p : P.join(base, p));
  return abs.length > 1 ? abs.replace(/\/+$/, '') : abs;
}

function addRoot(
  found: Found,
  raw: string,
  base: string,
  where: Pick<WebRoot, 'server' | 'source' | 'line' | 'directive'>,
): void {
  const p = rootPath(raw, base);
  if (p !== undefined) found.roots.push({ path: p, ...where });
}

/** `auto_prepend_file=/x.php` settings in a PHP_VALUE string or an ini line. */
const PREPEND_SETTING =
  /\b(auto_(?:prepend|append)_file)(?:\s*=[ \t]*|[ \t]+)("[^"\n]*"|'[^'\n]*'|[^\s;"'=][^\s;"']*)/g;

function addPrepends(
  found: Found,
  text: string,
  at: { file: string; line: number; line_text: string; where: PhpPrepend['where'] },
  base: string | undefined,
): void {
  for (const m of text.matchAll(PREPEND_SETTING)) {
    const value = (m[2] as string).replace(/^["']|["']$/g, '').trim();
    if (value === '' || value.toLowerCase() === 'none') continue;
    const target = value.startsWith('/')
      ? P.normalize(value)
      : base !== undefined
        ? P.normalize(P.join(base, value))
        : undefined;
    found.prepends.push({
      file: at.file,
      line: at.line,
      text: clip(at.line_text.trim()),
      where: at.where,
      directive: m[1] as PhpPrepend['directive'],
      value,
      ...(target !== undefined ? { target } : {}),
    });
  }
}

// ---- nginx -------------------------------------------------------------------------------------

interface Token {
  text: string;
  line: number;
  /** `;`, `{` or `}` outside quotes. */
  punct?: boolean;
}

/** nginx's tokens: words and quoted strings with the line they start on, `;{}` apart, `#` comments dropped. */
export function nginxTokens(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '\n') line++;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === ';' || c === '{' || c === '}') {
      out.push({ text: c, line, punct: true });
      i++;
    } else if (c === '"' || c === "'") {
      const start = line;
      let s = '';
      i++;
      while (i < text.length && text[i] !== c) {
        let ch = text[i] as string;
        // nginx reads \t, \r and \n in quotes as those characters, any other escaped one as itself.
        if (ch === '\\' && i + 1 < text.length) {
          i++;
          ch = text[i] as string;
          ch = ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[ch] ?? ch;
        } else if (ch === '\n') line++;
        s += ch;
        i++;
      }
      i++;
      out.push({ text: s, line: start });
    } else {
      let s = '';
      while (i < text.length && !/[\s;{}]/.test(text[i] as string)) {
        // `${var}` belongs to the word.
        if (text[i] === '$' && text[i + 1] === '{') {
          const end = text.indexOf('}', i);
          s += text.slice(i, end < 0 ? text.length : end + 1);
          i = end < 0 ? text.length : end + 1;
          continue;
        }
        s += text[i];
        i++;
      }
      out.push({ text: s, line });
    }
  }
  return out;
}

/**
 * One nginx file: `root` and `alias` with the `server_name` of their server block, `include` globs
 * (relative to the configuration's directory, as nginx resolves them), and `fastcgi_param PHP_VALUE`.
 */
async function readNginx(
  r: ConfigReader,
  found: Found,
  file: string,
  confDir: string,
  depth: number,
): Promise<void> {
  const text = await r.read(file);
  if (text === undefined) return;
  const lines = text.split('\n');
  // `root html;` is relative to nginx's prefix: /usr/share/nginx on Debian, the parent of conf/ elsewhere.
  const prefix = confDir === '/etc/nginx' ? '/usr/share/nginx' : P.dirname(confDir);
  const stack: { name: string; start: number; names: string[] }[] = [];
  let words: Token[] = [];
  for (const tok of nginxTokens(text)) {
    if (!tok.punct) {
      words.push(tok);
      continue;
    }
    if (tok.text === '{') stack.push({ name: words[0]?.text ?? '', start: found.roots.length, names: [] });
    else if (tok.text === '}') {
      const frame = stack.pop();
      if (frame?.name === 'server' && frame.names.length > 0)
        for (const root of found.roots.slice(frame.start)) root.serverNames ??= frame.names;
    } else {
      const [head, ...args] = words;
      const directive = head?.text;
      const line = head?.line ?? tok.line;
      if ((directive === 'root' || directive === 'alias') && args[0])
        addRoot(found, args[0].text, prefix, { server: 'nginx', source: file, line, directive });
      else if (directive === 'server_name') {
        const server = [...stack].reverse().find((f) => f.name === 'server');
        server?.names.push(
          ...args.map((a) => a.text).filter((n) => n !== '_' && n !== '' && !n.startsWith('~')),
        );
      } else if (directive === 'include' && args[0] && depth < MAX_INCLUDE_DEPTH) {
        const pattern = args[0].text.startsWith('/') ? args[0].text : P.join(confDir, args[0].text);
        for (const inc of await r.glob(pattern)) await readNginx(r, found, inc, confDir, depth + 1);
      } else if (directive === 'fastcgi_param' && /^PHP_(?:ADMIN_)?VALUE$/i.test(args[0]?.text ?? '')) {
        const where = { file, line, line_text: lines[line - 1] ?? '', where: 'nginx' as const };
        addPrepends(
          found,
          args
            .slice(1)
            .map((a) => a.text)
            .join(' '),
          where,
          undefined,
        );
      }
    }
    words = [];
  }
}

// ---- Apache ------------------------------------------------------------------------------------

/** Apache's logical lines: `\` at the end continues a line; each with the number it starts on. */
function apacheLines(text: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, i) => {
    const cont = /\\\s*$/.test(raw);
    const part = cont ? raw.replace(/\\\s*$/, ' ') : raw;
    pending = pending ? { text: pending.text + part, line: pending.line } : { text: part, line: i + 1 };
    if (!cont) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

/** A directive's arguments: words, or quoted strings with their quotes removed. */
function apacheArgs(rest: string): string[] {
  return [...rest.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** One Apache file: DocumentRoot and Alias with their VirtualHost's names, Include(Optional), php_value. */
async function readApache(
  r: ConfigReader,
  found: Found,
  file: string,
  server: { root: string },
  depth: number,
): Promise<void> {
  const text = await r.read(file);
  if (text === undefined) return;
  let vhost: { start: number; names: string[] } | undefined;
  for (const { text: raw, line } of apacheLines(text)) {
    const s = raw.trim();
    if (s === '' || s.startsWith('#')) continue;
    if (/^<VirtualHost\b/i.test(s)) vhost = { start: found.roots.length, names: [] };
    else if (/^<\/VirtualHost>/i.test(s)) {
      if (vhost && vhost.names.length > 0)
        for (const root of found.roots.slice(vhost.start)) root.serverNames ??= vhost.names;
      vhost = undefined;
    }
    const m = /^(\w+)\s+(.*)$/.exec(s);
    if (!m) continue;
    const directive = (m[1] as string).toLowerCase();
    const args = apacheArgs(m[2] as string);
    const at = { server: 'apache' as const, source: file, line };
    if (directive === 'serverroot' && args[0]) server.root = args[0];
    else if (directive === 'documentroot' && args[0])
      addRoot(found, args[0], server.root, { ...at, directive: 'DocumentRoot' });
    else if (directive === 'alias' && args[1])
      addRoot(found, args[1], server.root, { ...at, directive: 'Alias' });
    else if ((directive === 'servername' || directive === 'serveralias') && vhost)
      vhost.names.push(...args.filter((a) => !a.includes('*')));
    else if ((directive === 'include' || directive === 'includeoptional') && args[0]) {
      if (depth >= MAX_INCLUDE_DEPTH) continue;
      const pattern = args[0].startsWith('/') ? args[0] : P.join(server.root, args[0]);
      for (const inc of await r.glob(pattern)) {
        // An included directory means every file in it.
        const files = (await r.isDir(inc))
          ? (await r.fs.list(inc).catch(() => [] as TargetEntry[])).filter((e) => !e.isDir).map((e) => e.path)
          : [inc];
        for (const f of files) await readApache(r, found, f, server, depth + 1);
      }
    } else if (directive === 'php_value' || directive === 'php_admin_value') {
      addPrepends(found, args.join(' '), { file, line, line_text: raw, where: 'apache' }, undefined);
    }
  }
}

// ---- Caddy ---------------------------------------------------------------------------------------

/** A Caddyfile: `root [matcher] PATH` with the addresses of its site block, and `import` globs. */
async function readCaddy(r: ConfigReader, found: Found, file: string, depth: number): Promise<void> {
  const text = await r.read(file);
  if (text === undefined) return;
  let braces = 0;
  let site: string[] = [];
  let sawBlock = false;
  for (const [i, raw] of text.split('\n').entries()) {
    const s = raw.replace(/(^|\s)#.*$/, '').trim();
    if (s === '') continue;
    const words = apacheArgs(s);
    // Placeholders ({host}, {$SITE_ROOT}) hold no space; what is left of the braces opens and closes blocks.
    const bare = s.replace(/\{[^{}\s]*\}/g, '');
    const opens = (bare.match(/\{/g) ?? []).length;
    const closes = (bare.match(/\}/g) ?? []).length;
    if (braces === 0 && s.endsWith('{')) {
      // A site block's addresses; a snippet `(name)` and the global options block `{` have none.
      const head = words.slice(0, -1).join(' ');
      site = head.startsWith('(')
        ? []
        : head
            .split(/[\s,]+/)
            .filter(Boolean)
            .map(caddyHost);
      sawBlock = true;
    } else if (braces === 0 && !sawBlock && site.length === 0 && words[0] !== 'import') {
      // A Caddyfile of one site may leave out the braces: its first line is the address.
      site = s
        .split(/[\s,]+/)
        .filter(Boolean)
        .map(caddyHost);
      sawBlock = true;
    } else if (words[0] === 'root' && words.length >= 2) {
      const at = { server: 'caddy' as const, source: file, line: i + 1, directive: 'root' };
      const before = found.roots.length;
      addRoot(found, words[words.length - 1] as string, P.dirname(file), at);
      const names = site.filter((n) => n !== '');
      if (names.length > 0) for (const root of found.roots.slice(before)) root.serverNames = names;
    } else if (words[0] === 'import' && words[1] && depth < MAX_INCLUDE_DEPTH) {
      const pattern = words[1].startsWith('/') ? words[1] : P.join(P.dirname(file), words[1]);
      for (const inc of await r.glob(pattern)) await readCaddy(r, found, inc, depth + 1);
    }
    braces = Math.max(0, braces + opens - closes);
  }
}

/** `https://shop.example:443` → `shop.example`. */
function caddyHost(address: string): string {
  return address
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/[:/].*$/, '')
    .toLowerCase();
}

// ---- lighttpd ------------------------------------------------------------------------------------

interface LTok {
  t: 'str' | 'word' | 'op';
  v: string;
  line: number;
}

function lighttpdTokens(text: string): LTok[] {
  const out: LTok[] = [];
  const re =
    /"((?:[^"\\]|\\.)*)"|(#[^\n]*)|(\n)|(=>|\+=|:=|==|!=|=~|!~|[=+(),{}[\]])|([^\s"#=+(),{}[\]]+)|[ \t\r]+/g;
  let line = 1;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) out.push({ t: 'str', v: m[1].replace(/\\(.)/g, '$1'), line });
    else if (m[3]) line++;
    else if (m[4]) out.push({ t: 'op', v: m[4], line });
    else if (m[5]) out.push({ t: 'word', v: m[5], line });
    if (m[1]) line += (m[1].match(/\n/g) ?? []).length;
  }
  return out;
}

/** A value: strings, numbers and `var.x` joined with `+`; an array `( … )` is returned as its raw tokens. */
function lighttpdValue(
  toks: LTok[],
  i: number,
  vars: Map<string, string>,
): { value?: string; array?: LTok[]; next: number } {
  if (toks[i]?.v === '(') {
    let depth = 0;
    let j = i;
    for (; j < toks.length; j++) {
      if (toks[j]?.v === '(') depth++;
      else if (toks[j]?.v === ')' && --depth === 0) break;
    }
    return { array: toks.slice(i + 1, j), next: j + 1 };
  }
  let value: string | undefined = '';
  let j = i;
  for (;;) {
    const tok = toks[j];
    if (!tok) break;
    if (tok.t === 'str') value = value === undefined ? undefined : value + tok.v;
    else if (tok.t === 'word')
      value = value === undefined || !vars.has(tok.v) ? undefined : value + vars.get(tok.v);
    else break;
    j++;
    if (toks[j]?.v !== '+' || toks[j]?.line !== tok.line) break;
    j++;
  }
  return { ...(value !== undefined ? { value } : {}), next: Math.max(j, i + 1) };
}

/** lighttpd: `server.document-root`, `alias.url`, `var.*`, `$HTTP["host"]` blocks and `include` globs. */
async function readLighttpd(
  r: ConfigReader,
  found: Found,
  file: string,
  vars: Map<string, string>,
  depth: number,
): Promise<void> {
  const text = await r.read(file);
  if (text === undefined) return;
  const toks = lighttpdTokens(text);
  const hosts: string[][] = [];
  let i = 0;
  while (i < toks.length) {
    const tok = toks[i] as LTok;
    const at = { server: 'lighttpd' as const, source: file, line: tok.line };
    const names = hosts.flat();
    const withNames = (before: number): void => {
      if (names.length > 0) for (const root of found.roots.slice(before)) root.serverNames = names;
    };
    if (tok.v === '$HTTP' && toks[i + 1]?.v === '[') {
      // $HTTP["host"] == "shop.example" {   (a regex =~ keeps its literal text)
      const key = toks[i + 2]?.v;
      const value = toks[i + 5]?.v ?? '';
      hosts.push(key === 'host' ? [value.replace(/[\\^$]/g, '')] : []);
      while (i < toks.length && toks[i]?.v !== '{') i++;
      i++;
    } else if (tok.v === '}') {
      hosts.pop();
      i++;
    } else if ((tok.v === 'include' || tok.v === 'include_shell') && toks[i + 1]?.t === 'str') {
      if (tok.v === 'include' && depth < MAX_INCLUDE_DEPTH) {
        const inc = toks[i + 1]?.v as string;
        const pattern = inc.startsWith('/') ? inc : P.join(P.dirname(file), inc);
        for (const f of await r.glob(pattern)) await readLighttpd(r, found, f, vars, depth + 1);
      }
      i += 2;
    } else if (tok.t === 'word' && ['=', '+=', ':='].includes(toks[i + 1]?.v ?? '')) {
      const { value, array, next } = lighttpdValue(toks, i + 2, vars);
      const before = found.roots.length;
      if (tok.v.startsWith('var.') && value !== undefined) vars.set(tok.v, value);
      else if (tok.v === 'server.document-root' && value !== undefined) {
        vars.set(tok.v, value);
        addRoot(found, value, '/', { ...at, directive: 'server.document-root' });
      } else if (tok.v === 'alias.url' && array) {
        for (let k = 0; k < array.length; k++) {
          if (array[k]?.v !== '=>') continue;
          const target = lighttpdValue(array, k + 1, vars).value;
          const line = array[k]?.line ?? tok.line;
          if (target !== undefined) addRoot(found, target, '/', { ...at, line, directive: 'alias.url' });
        }
      }
      withNames(before);
      i = next;
    } else i++;
  }
}

// ---- PHP settings --------------------------------------------------------------------------------

/** auto_prepend_file/auto_append_file lines of an ini-style file (php.ini, .user.ini, an FPM pool, .htaccess). */
export function prependsIn(text: string, file: string, where: PhpPrepend['where']): PhpPrepend[] {
  const found: Found = { roots: [], prepends: [] };
  const base = where === 'htaccess' || where === 'user-ini' ? P.dirname(file) : undefined;
  text.split('\n').forEach((raw, i) => {
    const s = raw.trim();
    if (s.startsWith(';') || s.startsWith('#') || !/auto_(?:prepend|append)_file/.test(s)) return;
    // `php_value[auto_prepend_file] = x` (FPM) reads as `auto_prepend_file = x`.
    const setting = s.replace(/^php_(?:admin_)?value\s*\[\s*(auto_\w+)\s*\]/, '$1');
    addPrepends(found, setting, { file, line: i + 1, line_text: raw, where }, base);
  });
  return found.prepends;
}

/** The roots and PHP settings every server configuration of the target names. */
async function readServerConfigs(r: ConfigReader): Promise<Found> {
  const found: Found = { roots: [], prepends: [] };
  for (const main of NGINX_MAIN) await readNginx(r, found, main, P.dirname(main), 0);
  for (const glob of NGINX_EXTRA)
    for (const f of await r.glob(glob)) await readNginx(r, found, f, '/etc/nginx', 1);
  for (const [main, root] of APACHE_MAIN) await readApache(r, found, main, { root }, 0);
  for (const [glob, root] of APACHE_EXTRA)
    for (const f of await r.glob(glob)) await readApache(r, found, f, { root }, 1);
  for (const main of CADDY_MAIN) await readCaddy(r, found, main, 0);
  for (const main of LIGHTTPD_MAIN) await readLighttpd(r, found, main, new Map(), 0);
  for (const [globs, where] of [
    [PHP_INI, 'php-ini'],
    [PHP_FPM, 'php-fpm'],
  ] as const) {
    for (const glob of globs)
      for (const f of await r.glob(glob)) {
        const text = await r.read(f);
        if (text !== undefined) found.prepends.push(...prependsIn(text, f, where));
      }
  }
  return found;
}

// ---- roots ----------------------------------------------------------------------------------------

const SYSTEM_TOP = new Set(
  'usr var etc home root tmp opt srv proc sys dev boot bin sbin lib lib32 lib64 run mnt media snap'.split(
    ' ',
  ),
);

/**
 * A root that is not walked or scanned as a site: `/` or a whole system directory, or a package's own
 * files (/usr/share/doc, Apache's icons, /usr/lib/cgi-bin), which the package manager verifies;
 * nginx's default page under /usr/share/nginx is a site.
 */
export function notSite(p: string): boolean {
  const parts = p.split('/').filter(Boolean);
  if (parts.length === 0 || (parts.length === 1 && SYSTEM_TOP.has(parts[0] as string))) return true;
  if (/^\/(?:proc|sys|dev|boot|etc|bin|sbin|lib(?:32|64)?)(?:\/|$)/.test(p)) return true;
  return (
    /^\/usr\/(?:share|lib(?:32|64|exec)?|bin|sbin|include|src)(?:\/|$)/.test(p) &&
    !/^\/usr\/share\/nginx(?:\/|$)/.test(p)
  );
}

const under = (p: string, dir: string): boolean => dir === '/' || p === dir || p.startsWith(`${dir}/`);

/** One entry per path (the first configuration line that named it wins; host names merged), sorted. */
function uniqueRoots(roots: WebRoot[]): WebRoot[] {
  const byPath = new Map<string, WebRoot>();
  for (const root of roots) {
    const had = byPath.get(root.path);
    if (!had) byPath.set(root.path, { ...root });
    else if (root.serverNames)
      had.serverNames = [...new Set([...(had.serverNames ?? []), ...root.serverNames])];
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

// ---- CMS installs ---------------------------------------------------------------------------------

async function isDir(fs: TargetFs, p: string): Promise<boolean> {
  return fs.stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

/** The subdirectories of `dir` (links not followed), or none when it cannot be listed. */
async function subdirs(fs: TargetFs, dir: string): Promise<TargetEntry[]> {
  const entries = await fs.list(dir).catch(() => [] as TargetEntry[]);
  return entries.filter((e) => e.isDir && !e.isLink && !WALK_SKIP.has(e.name));
}

async function readText(fs: TargetFs, p: string, maxBytes: number): Promise<string | undefined> {
  return fs.text(p, { maxBytes }).catch(() => undefined);
}

/** The CMS installed at `dir`, recognised by its layout. */
export async function cmsAt(fs: TargetFs, dir: string): Promise<CmsKind | undefined> {
  const has = (rel: string): Promise<boolean> => fs.exists(P.join(dir, rel));
  if (
    (await isDir(fs, P.join(dir, 'wp-content'))) &&
    ((await has('wp-config.php')) || (await has('wp-includes/version.php')) || (await has('wp-load.php')))
  )
    return 'wordpress';
  if ((await has('core/lib/Drupal.php')) || (await has('sites/default/settings.php'))) return 'drupal';
  if ((await has('configuration.php')) && (await isDir(fs, P.join(dir, 'administrator')))) return 'joomla';
  return undefined;
}

const VERSION_FILES: Record<CmsKind, [file: string, re: RegExp][]> = {
  wordpress: [['wp-includes/version.php', /\$wp_version\s*=\s*['"]([^'"]+)['"]/]],
  drupal: [
    ['core/lib/Drupal.php', /const\s+VERSION\s*=\s*['"]([^'"]+)['"]/],
    ['includes/bootstrap.inc', /define\(\s*['"]VERSION['"]\s*,\s*['"]([^'"]+)['"]/],
  ],
  joomla: [['libraries/src/Version.php', /MAJOR_VERSION\s*=\s*(\d+)/]],
};

async function cmsVersion(fs: TargetFs, dir: string, kind: CmsKind): Promise<string | undefined> {
  for (const [file, re] of VERSION_FILES[kind]) {
    const text = await readText(fs, P.join(dir, file), 64 * 1024);
    const m = text === undefined ? null : re.exec(text);
    if (!m?.[1]) continue;
    if (kind !== 'joomla') return m[1];
    const minor = /MINOR_VERSION\s*=\s*(\d+)/.exec(text ?? '')?.[1];
    const patch = /PATCH_VERSION\s*=\s*(\d+)/.exec(text ?? '')?.[1];
    return [m[1], minor, patch].filter((x) => x !== undefined).join('.');
  }
  return undefined;
}

const PUBLIC_DIRS = new Set(['public_html', 'htdocs', 'public', 'web', 'html', 'www', 'wwwroot']);

/** Where a CMS may sit in a root: the root, its subdirectories, and their public_html-style children. */
async function cmsCandidates(fs: TargetFs, root: string): Promise<string[]> {
  const out = [root];
  for (const child of await subdirs(fs, root)) {
    if (out.length >= MAX_CMS_CANDIDATES) break;
    if (child.name.startsWith('.')) continue;
    out.push(child.path);
    for (const sub of await subdirs(fs, child.path))
      if (PUBLIC_DIRS.has(sub.name) && out.length < MAX_CMS_CANDIDATES) out.push(sub.path);
  }
  return out;
}

// ---- wp-config.php includes ---------------------------------------------------------------------

/** Top-level `.`-joined terms of a PHP expression (dots inside quotes or parentheses left alone). */
function phpTerms(expr: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  let depth = 0;
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i] as string;
    if (quote) {
      if (c === '\\') {
        cur += c + (expr[i + 1] ?? '');
        i++;
        continue;
      }
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '.' && depth === 0) {
      out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** A PHP double-quoted string's escapes (`\x2f`, `\057`, `\u{2f}`) decoded. */
function phpDouble(s: string): string {
  return s.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|u\{[0-9a-fA-F]+\}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8));
    if (e[0] === 'u' && e.length > 1) return String.fromCodePoint(parseInt(e.slice(2, -1), 16));
    return ({ n: '\n', t: '\t', r: '\r' } as Record<string, string>)[e] ?? e;
  });
}

/**
 * The file an include argument names, when it is literal strings joined with `.` to __DIR__,
 * dirname(__FILE__), ABSPATH or the document root, and whether it is written to be hard to read.
 */
export function includeTarget(
  arg: string,
  at: { dir: string; site: string; docRoot: string },
): { target?: string; obfuscated: boolean } {
  const expr = arg.trim().replace(/^\((.*)\)$/s, '$1');
  const terms = phpTerms(expr);
  let out = '';
  let obfuscated = terms.length > 4;
  let known = true;
  for (const term of terms) {
    let m: RegExpExecArray | null;
    if ((m = /^'((?:[^'\\]|\\.)*)'$/s.exec(term))) out += (m[1] as string).replace(/\\(['\\])/g, '$1');
    else if ((m = /^"((?:[^"\\]|\\.)*)"$/s.exec(term))) {
      if (/\\(?:x[0-9a-f]|[0-7]|u\{)/i.test(m[1] as string)) obfuscated = true;
      out += phpDouble(m[1] as string);
    } else if (/^(?:__DIR__|dirname\s*\(\s*__FILE__\s*\))$/i.test(term)) out += at.dir;
    else if (term === 'ABSPATH') out += `${at.site}/`;
    else if (/^\$_SERVER\s*\[\s*['"]DOCUMENT_ROOT['"]\s*\]$/.test(term)) out += at.docRoot;
    else if ((m = /^chr\s*\(\s*(\d+)\s*\)$/i.exec(term))) {
      obfuscated = true;
      out += String.fromCharCode(Number(m[1]));
    } else {
      if (/chr\s*\(|\\x[0-9a-f]|base64_decode|str_rot13|strrev/i.test(term)) obfuscated = true;
      known = false;
    }
  }
  if (!known || out === '') return { obfuscated };
  return { target: P.normalize(out.startsWith('/') ? out : P.join(at.dir, out)), obfuscated };
}

// The keyword where no name, `$`, `->`, `::` or backslash runs into it, optionally after an `@`;
// then up to 400 characters to the `;`. A lookbehind, not a leading `(?:^|[^\w$>:\\])@?\s*`: that
// one rescanned a line's whole run of blanks from each blank in it (30 s for a hostile 160 KB).
const INCLUDE =
  /(?<![\w$>:\\])(?:@[ \t]*)?(?:include|include_once|require|require_once)\b\s*([^;\s][^;]{0,399});/gi;

/** The include/require statements of a wp-config.php and the URLs the site gives itself. */
export function wpConfigFacts(
  text: string,
  file: string,
  at: { site: string; docRoot: string },
): { includes: CmsInclude[]; urls: string[] } {
  const lines = text.split('\n');
  const firstDefine = lines.findIndex((l) => /\bdefine\s*\(/.test(l));
  const includes: CmsInclude[] = [];
  lines.forEach((raw, i) => {
    const s = raw.trim();
    if (/^(?:\/\/|#|\*|\/\*)/.test(s)) return;
    for (const m of raw.matchAll(INCLUDE)) {
      const { target, obfuscated } = includeTarget(m[1] as string, { dir: P.dirname(file), ...at });
      includes.push({
        file,
        line: i + 1,
        text: clip(m[0].trim()),
        ...(target !== undefined ? { target } : {}),
        top: firstDefine < 0 || i < firstDefine,
        ...(obfuscated ? { obfuscated } : {}),
      });
    }
  });
  const urls = [...text.matchAll(/define\s*\(\s*['"]WP_(?:HOME|SITEURL)['"]\s*,\s*['"]([^'"]+)['"]/g)].map(
    (m) => m[1] as string,
  );
  return { includes, urls: [...new Set(urls)] };
}

// ---- theme and template files ---------------------------------------------------------------------

const SCRIPT_TAG = /<script\b/gi;
const SRC_ATTR = /\bsrc\s*=\s*["']?((?:https?:)?\/\/[^"'\s>]+)/gi;
/** `s.src = "//host/x.js"` after a createElement('script'): the injected loader's other shape. */
const DYNAMIC_SRC = /\.src\s*=\s*["'`]((?:https?:)?\/\/[^"'`\s]+)/g;
const CALLS: [TemplateFile['signals'][number]['what'], RegExp][] = [
  ['eval', /(?<![\w$>:.])eval\s*\(/g],
  ['base64_decode', /(?<![\w$>:])base64_decode\s*\(/g],
  ['gzinflate', /(?<![\w$>:])gzinflate\s*\(/g],
  ['gzuncompress', /(?<![\w$>:])gzuncompress\s*\(/g],
  ['str_rot13', /(?<![\w$>:])str_rot13\s*\(/g],
  ['create_function', /(?<![\w$>:])create_function\s*\(/g],
  ['fromCharCode', /String\.fromCharCode\s*\(/g],
];

/**
 * The absolute `src` of each `<script …>` tag in a line (the first in the tag, up to its `>`), and
 * where the tag starts. Linear in the line: the one regex `<script\b[^>]*?\bsrc…` rescanned the
 * rest of the line for every unclosed `<script` (seconds for a hostile 400 KB line of a template).
 */
function scriptSrcs(line: string): { url: string; index: number }[] {
  const out: { url: string; index: number }[] = [];
  // The first src at or after `from` is looked for once and kept while later tags start before it.
  let next: RegExpExecArray | null | undefined;
  let nextFrom = -1;
  const srcFrom = (from: number): RegExpExecArray | null => {
    if (next !== undefined && from >= nextFrom && (next === null || from <= next.index)) return next;
    SRC_ATTR.lastIndex = from;
    next = SRC_ATTR.exec(line);
    nextFrom = from;
    return next;
  };
  SCRIPT_TAG.lastIndex = 0;
  for (let m = SCRIPT_TAG.exec(line); m; m = SCRIPT_TAG.exec(line)) {
    const gt = line.indexOf('>', m.index);
    const end = gt < 0 ? line.length : gt;
    const src = srcFrom(m.index);
    if (src && src.index < end) {
      out.push({ url: src[1] as string, index: m.index });
      SCRIPT_TAG.lastIndex = src.index + src[0].length;
    } else if (gt < 0) break;
    else SCRIPT_TAG.lastIndex = end;
  }
  return out;
}

function excerpt(line: string, at: number): string {
  const start = Math.max(0, at - 60);
  return line.slice(start, start + 200).trim();
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url.startsWith('//') ? `https:${url}` : url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/** What stands out in a theme or template file: scripts from absolute URLs and code-decoding calls. */
export function templateSignals(text: string): TemplateFile['signals'] {
  const out: TemplateFile['signals'] = [];
  const dynamic = /createElement\s*\(\s*["'`]script["'`]\s*\)/i.test(text);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length && out.length < MAX_SIGNALS_PER_FILE; i++) {
    const line = lines[i] as string;
    const srcs = scriptSrcs(line);
    if (dynamic)
      for (const m of line.matchAll(DYNAMIC_SRC)) srcs.push({ url: m[1] as string, index: m.index });
    for (const { url, index } of srcs) {
      const host = hostOf(url);
      if (host) out.push({ what: 'script-src', line: i + 1, excerpt: excerpt(line, index), host });
    }
    for (const [what, re] of CALLS)
      for (const m of line.matchAll(re)) out.push({ what, line: i + 1, excerpt: excerpt(line, m.index) });
  }
  return out.slice(0, MAX_SIGNALS_PER_FILE);
}

const DRUPAL_THEME_BASES = ['themes', 'themes/custom', 'themes/contrib', 'sites/all/themes', 'core/themes'];
const DRUPAL_TEMPLATE = /^(?:(?:html|page)\.(?:html\.twig|tpl\.php)|template\.php|[\w-]+\.theme)$/;

/** The theme and template files of a CMS install where injections are put. */
async function templatePaths(fs: TargetFs, site: CmsSite): Promise<string[]> {
  const out: string[] = [];
  const named = async (dir: string, re: RegExp): Promise<void> => {
    for (const e of await fs.list(dir).catch(() => [] as TargetEntry[]))
      if (e.isFile && re.test(e.name)) out.push(e.path);
  };
  if (site.kind === 'wordpress') {
    for (const theme of await subdirs(fs, P.join(site.path, 'wp-content/themes')))
      await named(theme.path, /^(?:header|footer|functions)\.php$/);
  } else if (site.kind === 'drupal') {
    for (const base of DRUPAL_THEME_BASES)
      for (const theme of await subdirs(fs, P.join(site.path, base)))
        for (const dir of [
          theme.path,
          P.join(theme.path, 'templates'),
          P.join(theme.path, 'templates/layout'),
        ])
          await named(dir, DRUPAL_TEMPLATE);
  } else {
    for (const base of ['templates', 'administrator/templates'])
      for (const tpl of await subdirs(fs, P.join(site.path, base)))
        await named(tpl.path, /^(?:index|component|error|offline)\.php$/);
  }
  return [...new Set(out)].sort();
}

// ---- the walk: late files, .htaccess and .user.ini -------------------------------------------------

interface Stamp {
  path: string;
  mtimeMs: number;
  ctimeMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * The files of one directory changed long after the others: the newest few (at most 1% of them, at
 * least one) when at least `minGapMs` separates them from the newest of the rest.
 */
export function lateFilesOf(files: readonly Stamp[], minGapMs = LATE_GAP_MS): LateFile[] {
  if (files.length < MIN_FILES_FOR_TIMES) return [];
  const sorted = [...files].sort((a, b) => b.mtimeMs - a.mtimeMs);
  const most = Math.max(1, Math.floor(files.length / 100));
  for (let j = 1; j <= most; j++) {
    const last = sorted[j - 1] as Stamp;
    const rest = sorted.slice(j);
    const newest = rest[0] as Stamp;
    if (last.mtimeMs - newest.mtimeMs < minGapMs) continue;
    const median = rest[Math.floor((rest.length - 1) / 2)] as Stamp;
    return sorted.slice(0, j).map((f) => ({
      path: f.path,
      mtime: iso(f.mtimeMs),
      ctime: iso(f.ctimeMs),
      siblingsNewest: iso(newest.mtimeMs),
      siblingsMedian: iso(median.mtimeMs),
      siblings: files.length - 1,
    }));
  }
  return [];
}

const WEB_FILE = /\.(?:php\d?|phtml|inc|m?js|html?|twig|tpl)$/i;

interface WalkResult {
  late: LateFile[];
  /** .htaccess and .user.ini files met. */
  ini: string[];
  files: number;
  dirs: number;
  webFiles: number;
  truncated: boolean;
}

/** A directory of the site walk: its path in the target, where it is on this machine, its depth. */
interface SiteDir {
  target: string;
  host: string;
  depth: number;
}

/** Directories per call of the lister, and the entries one call may list (its memory bound). */
const WALK_BATCH_DIRS = 256;
const WALK_BATCH_ENTRIES = 65_536;

/**
 * Walks a root breadth first within the bounds, reading the times of directories with enough
 * files. The directories are listed with the content scan's lister (engine/dir-lister.ts): many at
 * a time, every entry's lstat with it, natively where the addon is built. Listing through the
 * target's door and an lstat promise per file made `scan --path` of a 22,000-file tree spend 1.2 s
 * here against 0.1 s in its warm content scan. Under an offline root the lister opens each
 * directory inside the root, as the door would.
 */
async function walkSite(
  fs: TargetFs,
  root: string,
  budget: { left: number },
  log: CollectorLog,
): Promise<WalkResult> {
  const out: WalkResult = { late: [], ini: [], files: 0, dirs: 0, webFiles: 0, truncated: false };
  let host: string;
  try {
    host = await fs.hostPath(root);
  } catch (err) {
    if (!isGone(err)) log.add(root, err);
    return out;
  }
  const lister = dirLister();
  const confineTo = fs.live ? undefined : fs.root;
  // Normalised once, so each child's path is a plain join (childOf), as path.join gave it.
  const target = P.normalize(root).replace(/(.)\/+$/, '$1');
  const queue: SiteDir[] = [{ target, host, depth: 0 }];
  for (let q = 0; q < queue.length;) {
    const batch = queue.slice(q, q + WALK_BATCH_DIRS);
    const listings = lister.list(
      batch.map((d) => d.host),
      WALK_BATCH_ENTRIES,
      undefined,
      confineTo,
    );
    for (let b = 0; b < listings.length; b++, q++) {
      const dir = batch[b] as SiteDir;
      const listing = listings[b] as Listing;
      if (listing instanceof Error) {
        if (!isGone(listing)) log.add(dir.target, listing);
        continue;
      }
      if (!readSiteDir(dir, listing, out, budget, queue)) {
        out.truncated = true;
        return out;
      }
    }
    // The other collectors' callbacks run between batches.
    await yieldToLoop();
  }
  return out;
}

/**
 * A listed name under a directory path: joined by hand, as the name has no slash and is neither `.`
 * nor `..` (path.join's normalising was two-thirds of the walk for 20,000 files).
 */
const childOf = (dir: string, name: string): string =>
  dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;

/**
 * One listed directory of the site walk: its files counted and their times read, its directories
 * queued. False when its files would pass the walk's bounds (the walk stops there).
 */
function readSiteDir(
  dir: SiteDir,
  listing: DirListing,
  out: WalkResult,
  budget: { left: number },
  queue: SiteDir[],
): boolean {
  const files: { name: string; i: number }[] = [];
  const subdirs: string[] = [];
  for (let i = 0; i < listing.length; i++) {
    const name = listing.name(i);
    // A name that is not UTF-8 has no path the target's door could name (readdir's text of it
    // could not be opened either).
    if (typeof name !== 'string') continue;
    const kind = listing.kind(i);
    if (kind === 'file') files.push({ name, i });
    else if (kind === 'dir' && !WALK_SKIP.has(name)) subdirs.push(name);
  }
  if (out.files + files.length > MAX_WALK_FILES_PER_ROOT || files.length > budget.left) return false;
  out.dirs++;
  out.files += files.length;
  budget.left -= files.length;
  for (const { name } of files) {
    if (name === '.htaccess' || name === '.user.ini') out.ini.push(childOf(dir.target, name));
    if (WEB_FILE.test(name)) out.webFiles++;
  }
  if (files.length >= MIN_FILES_FOR_TIMES) {
    const stamps: Stamp[] = [];
    for (const { name, i } of files)
      if (listing.hasStat(i))
        stamps.push({
          path: childOf(dir.target, name),
          mtimeMs: listing.mtimeMs(i),
          ctimeMs: listing.ctimeMs(i),
        });
    out.late.push(...lateFilesOf(stamps));
  }
  if (dir.depth < MAX_WALK_DEPTH)
    for (const name of subdirs)
      queue.push({ target: childOf(dir.target, name), host: childOf(dir.host, name), depth: dir.depth + 1 });
  return true;
}

// ---- putting it together ----------------------------------------------------------------------------

export interface WebCollectOptions {
  /** Read the server configurations and the usual places (a host scan). */
  discover: boolean;
  /** Directories named with `scan --path` (host paths), each read as a site. */
  sites: readonly string[];
}

/** A directory read as a site, through the door its paths belong to. */
interface Place {
  root: WebRoot;
  fs: TargetFs;
}

/** What reading the sites adds to the snapshot's web section. */
interface SiteFacts {
  cms: CmsSite[];
  prepends: PhpPrepend[];
  includes: CmsInclude[];
  templates: TemplateFile[];
  lateFiles: LateFile[];
  walk: Web['walk'] & { truncated: string[] };
  webFiles: number;
}

/**
 * `scan --path` directories as sites: a path under the target's root is read through its door as
 * the target's; one elsewhere is the user's own (as the content scan shows it), read at its place.
 */
async function namedPlaces(ctx: CollectContext, paths: readonly string[]): Promise<Place[]> {
  const out: Place[] = [];
  for (const host of paths) {
    const rel = path.relative(ctx.root, host);
    const inside = ctx.root === '/' || !(rel === '..' || rel.startsWith('../') || path.isAbsolute(rel));
    const fs = inside ? ctx.fs : targetFs('/');
    const p = inside && ctx.root !== '/' ? `/${rel}` : host;
    if (await isDir(fs, p))
      out.push({ root: { path: p === '/' ? p : p.replace(/\/+$/, ''), server: 'path' }, fs });
  }
  return out;
}

/** Reads one CMS install's configuration includes and template files into `facts`. */
async function readCms(fs: TargetFs, site: CmsSite, facts: SiteFacts): Promise<void> {
  if (site.kind === 'wordpress') {
    // WordPress also looks for wp-config.php one directory up.
    for (const file of [P.join(site.path, 'wp-config.php'), P.join(P.dirname(site.path), 'wp-config.php')]) {
      const text = await readText(fs, file, MAX_CONFIG_BYTES);
      if (text === undefined) continue;
      const found = wpConfigFacts(text, file, { site: site.path, docRoot: site.root });
      for (const inc of found.includes)
        facts.includes.push(
          inc.target === undefined ? inc : { ...inc, targetExists: await fs.exists(inc.target) },
        );
      if (found.urls.length > 0) site.urls = found.urls;
      break;
    }
  }
  for (const file of await templatePaths(fs, site)) {
    const text = await readText(fs, file, MAX_TEMPLATE_BYTES);
    const signals = text === undefined ? [] : templateSignals(text);
    if (signals.length > 0) facts.templates.push({ path: file, cms: site.kind, site: site.path, signals });
  }
}

/** Recognises the CMS installs of one place, walks it and reads its injection places into `facts`. */
async function readPlace(
  place: Place,
  facts: SiteFacts,
  budget: { left: number },
  log: CollectorLog,
): Promise<void> {
  const { fs, root } = place;
  for (const dir of await cmsCandidates(fs, root.path)) {
    const kind = await cmsAt(fs, dir);
    if (!kind || facts.cms.some((c) => c.path === dir)) continue;
    const version = await cmsVersion(fs, dir, kind);
    const site: CmsSite = { path: dir, kind, ...(version ? { version } : {}), root: root.path };
    facts.cms.push(site);
    await readCms(fs, site, facts);
  }
  const walk = await walkSite(fs, root.path, budget, log);
  facts.walk.files += walk.files;
  facts.walk.dirs += walk.dirs;
  facts.webFiles += walk.webFiles;
  if (walk.truncated) facts.walk.truncated.push(root.path);
  facts.lateFiles.push(...walk.late);
  // The root's own .htaccess/.user.ini are read even when the walk was cut short before them.
  const ini = new Set(walk.ini);
  for (const name of ['.htaccess', '.user.ini'])
    if (await fs.exists(P.join(root.path, name))) ini.add(P.join(root.path, name));
  for (const file of [...ini].sort().slice(0, MAX_CONFIG_FILES)) {
    const text = await readText(fs, file, MAX_CONFIG_BYTES);
    if (text === undefined) continue;
    for (const p of prependsIn(text, file, P.basename(file) === '.htaccess' ? 'htaccess' : 'user-ini'))
      facts.prepends.push(p.target === undefined ? p : { ...p, targetExists: await fs.exists(p.target) });
  }
}

const byKey =
  <T>(...keys: ((x: T) => string | number)[]) =>
  (a: T, b: T): number => {
    for (const k of keys) {
      const x = k(a);
      const y = k(b);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };

/**
 * Collects the snapshot's `web` section. A host with no web server configuration and none of the
 * usual directories, or `--path` directories without anything of a site, gets neither a section
 * nor a record: there is nothing web to read, which is not a failure to read it.
 */
export async function collectWeb(
  ctx: CollectContext,
  opts: WebCollectOptions,
): Promise<{ web?: Web; record?: CollectionRecord }> {
  const log = new CollectorLog('linux.web', ['web']);
  const reader = new ConfigReader(ctx.fs, log);
  if (opts.discover) await reader.probe(firstLooks());
  const found: Found = opts.discover ? await readServerConfigs(reader) : { roots: [], prepends: [] };
  if (opts.discover) {
    // At once too, and in their order.
    const present = await Promise.all(DEFAULT_WEB_DIRS.map((d) => isDir(ctx.fs, d)));
    DEFAULT_WEB_DIRS.forEach((d, k) => {
      if (present[k]) found.roots.push({ path: d, server: 'default' });
    });
  }
  const roots = uniqueRoots(found.roots);
  for (const root of roots) {
    if (notSite(root.path)) root.notSite = true;
    else if (!(await isDir(ctx.fs, root.path))) root.missing = true;
  }
  const named = await namedPlaces(ctx, opts.sites);
  roots.push(...named.map((p) => p.root).filter((r) => !roots.some((x) => x.path === r.path)));
  if (roots.length === 0 && found.prepends.length === 0 && reader.files.length === 0) return {};

  // Each directory is walked once: a root inside another is read as part of it.
  const readable = [
    ...roots
      .filter((r) => r.server !== 'path' && !r.missing && !r.notSite)
      .map((root) => ({ root, fs: ctx.fs })),
    ...named,
  ];
  const places = readable.filter(
    (p, i) =>
      !readable.some(
        (o, j) =>
          o.fs === p.fs &&
          j !== i &&
          under(p.root.path, o.root.path) &&
          (o.root.path !== p.root.path || j < i),
      ),
  );
  const facts: SiteFacts = {
    cms: [],
    prepends: [],
    includes: [],
    templates: [],
    lateFiles: [],
    walk: { files: 0, dirs: 0, truncated: [] },
    webFiles: 0,
  };
  const budget = { left: MAX_WALK_FILES };
  for (const place of places) await readPlace(place, facts, budget, log);
  for (const p of found.prepends)
    facts.prepends.push(p.target === undefined ? p : { ...p, targetExists: await ctx.fs.exists(p.target) });
  // `--path` on something that is not a site (a binary, a home directory of scripts): nothing to say.
  if (!opts.discover && facts.cms.length === 0 && facts.prepends.length === 0 && facts.webFiles === 0)
    return {};

  const { truncated, ...walked } = facts.walk;
  const web: Web = {
    roots: roots.sort(byKey((r) => r.path)),
    cms: facts.cms.sort(byKey((c) => c.path)),
    prepends: facts.prepends.sort(
      byKey(
        (p) => p.file,
        (p) => p.line,
        (p) => p.directive,
      ),
    ),
    includes: facts.includes.sort(
      byKey(
        (i) => i.file,
        (i) => i.line,
        (i) => i.text,
      ),
    ),
    templates: facts.templates.sort(byKey((t) => t.path)),
    lateFiles: facts.lateFiles.sort(byKey((f) => f.path)),
    walk: { ...walked, ...(truncated.length > 0 ? { truncated } : {}) },
    configs: [...reader.files].sort(),
  };
  const note = [
    `${web.roots.length} web root(s), ${web.cms.length} CMS install(s), ${walked.files} files walked`,
    truncated.length > 0 ? `walk cut short at its bound in ${truncated.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return { web, record: log.record(log.errorCount > 0 || truncated.length > 0 ? 'partial' : 'ok', note) };
}

/** The roots the default content scan adds: read as sites, not missing, not a system directory. */
export function scannableRoots(web: Web | undefined): string[] {
  return (web?.roots ?? []).filter((r) => r.server !== 'path' && !r.missing && !r.notSite).map((r) => r.path);
}
