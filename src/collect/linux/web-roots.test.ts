// Tests for the web collector: the fixture host's nginx, Apache, Caddy and lighttpd configurations
// name their roots with file and line (through includes, symlinked sites, variables and vhost names);
// WordPress, Drupal and Joomla installs are recognised; wp-config includes, PHP prepends, theme
// signals and late-changed files are read; `scan --path` reads a site copy the same way; bounds hold
// against include loops; a target with nothing web gets no record. Fake roots live in mkdtemp dirs.
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { acquireHostLock } from '../../../test/helpers/host-lock.js';
import { WebSchema } from '../../snapshot/web.js';
import { makeContext } from '../context.js';
import { FIXTURE_NOW, FIXTURE_ROOTS } from '../test-helpers.js';
import {
  collectWeb,
  includeTarget,
  lateFilesOf,
  nginxTokens,
  notSite,
  prependsIn,
  rootPath,
  scannableRoots,
  templateSignals,
  wpConfigFacts,
} from './web-roots.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
let releaseHost: (() => Promise<void>) | undefined;
beforeAll(async () => {
  // Miner-like files under /tmp: tests that scan this host must not see them, so they exist only
  // while the host lock is held (test/helpers/host-lock.ts).
  releaseHost = await acquireHostLock();
}, 200_000);
afterAll(async () => {
  await releaseHost?.();
});

/** A fake root in a temp dir with these files (a `->` value makes a symlink). */
async function fakeRoot(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'minehunter-web-roots-'));
  dirs.push(root);
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(root, rel);
    await mkdir(path.dirname(p), { recursive: true });
    if (text.startsWith('->')) await symlink(text.slice(2).trim(), p);
    else await writeFile(p, text);
  }
  return root;
}

async function collect(root: string, opts = { discover: true, sites: [] as string[] }) {
  const result = await collectWeb(await makeContext(root, FIXTURE_NOW), opts);
  if (result.web) expect(WebSchema.parse(JSON.parse(JSON.stringify(result.web)))).toEqual(result.web);
  return result;
}

describe('web roots from the fixture host (web-host)', () => {
  it('names every root with the configuration line, server and host names', async () => {
    const { web, record } = await collect(path.join(FIXTURE_ROOTS, 'web-host'));
    expect(record).toMatchObject({ collector: 'linux.web', sections: ['web'], status: 'ok' });
    const roots = web?.roots.map((r) => [r.path, r.server, r.source, r.line, r.directive, r.serverNames]);
    expect(roots).toEqual([
      ['/data/files', 'lighttpd', '/etc/lighttpd/conf-enabled/10-files.conf', 3, 'alias.url', undefined],
      [
        '/data/legacy/htdocs',
        'lighttpd',
        '/etc/lighttpd/lighttpd.conf',
        13,
        'server.document-root',
        ['legacy.example'],
      ],
      [
        '/data/media/shop',
        'nginx',
        '/etc/nginx/sites-enabled/shop',
        14,
        'alias',
        ['shop.example', 'www.shop.example'],
      ],
      [
        '/data/static/blog',
        'apache',
        '/etc/apache2/sites-enabled/blog.conf',
        7,
        'Alias',
        ['blog.example', 'www.blog.example'],
      ],
      [
        '/data/www/blog',
        'apache',
        '/etc/apache2/sites-enabled/blog.conf',
        5,
        'DocumentRoot',
        ['blog.example', 'www.blog.example'],
      ],
      ['/srv/docs', 'caddy', '/etc/caddy/Caddyfile', 3, 'root', ['docs.example']],
      [
        '/srv/sites/shop/public',
        'nginx',
        '/etc/nginx/sites-enabled/shop',
        6,
        'root',
        ['shop.example', 'www.shop.example'],
      ],
      ['/usr/share/apache2/icons', 'apache', '/etc/apache2/mods-enabled/alias.conf', 2, 'Alias', undefined],
      ['/var/www', 'default', undefined, undefined, undefined, undefined],
      ['/var/www/lighttpd', 'lighttpd', '/etc/lighttpd/lighttpd.conf', 7, 'server.document-root', undefined],
    ]);
    // A stale alias is named but not scanned; Apache's icons are the package's own.
    expect(web?.roots.find((r) => r.path === '/data/media/shop')?.missing).toBe(true);
    expect(web?.roots.find((r) => r.path === '/usr/share/apache2/icons')?.notSite).toBe(true);
    expect(scannableRoots(web)).toEqual([
      '/data/files',
      '/data/legacy/htdocs',
      '/data/static/blog',
      '/data/www/blog',
      '/srv/docs',
      '/srv/sites/shop/public',
      '/var/www',
      '/var/www/lighttpd',
    ]);
    // The snippet came in through `include snippets/php-fpm.conf;`, relative to /etc/nginx.
    expect(web?.configs).toContain('/etc/nginx/snippets/php-fpm.conf');
  });

  it('reads the WordPress install and its injection places', async () => {
    const { web } = await collect(path.join(FIXTURE_ROOTS, 'web-host'));
    expect(web?.cms).toEqual([
      {
        path: '/data/www/blog',
        kind: 'wordpress',
        version: '6.4.2',
        root: '/data/www/blog',
        urls: ['https://blog.example'],
      },
    ]);
    expect(web?.prepends.map((p) => [p.file, p.line, p.where, p.target, p.targetExists])).toEqual([
      ['/data/www/blog/.htaccess', 1, 'htaccess', '/var/tmp/.cache/x.php', true],
      ['/srv/sites/shop/public/.user.ini', 2, 'user-ini', '/srv/sites/shop/public/wordfence-waf.php', true],
    ]);
    const ico = '/data/www/blog/wp-content/uploads/2023/11/favicon_3c1f.ico';
    expect(web?.includes.map((i) => [i.line, i.target, i.top, i.obfuscated ?? false])).toEqual([
      [1, ico, true, true],
      [33, '/data/www/blog/wp-settings.php', false, false],
    ]);
    expect(web?.templates.map((t) => [t.path, t.signals.map((s) => s.host ?? s.what)])).toEqual([
      [
        '/data/www/blog/wp-content/themes/harbor/footer.php',
        ['www.googletagmanager.com', 'blog.example', 'coinhive.com'],
      ],
      ['/data/www/blog/wp-content/themes/harbor/functions.php', ['eval', 'base64_decode']],
    ]);
  });

  it('the clean twin has the same roots and nothing injected', async () => {
    const { web } = await collect(path.join(FIXTURE_ROOTS, 'web-host-clean'));
    expect(web?.roots).toHaveLength(10);
    expect(web?.prepends.map((p) => p.target)).toEqual(['/srv/sites/shop/public/wordfence-waf.php']);
    expect(web?.includes.map((i) => i.target)).toEqual(['/data/www/blog/wp-settings.php']);
    expect(web?.templates.flatMap((t) => t.signals.map((s) => s.host))).toEqual([
      'www.googletagmanager.com',
      'blog.example',
    ]);
  });
});

describe('server configurations', () => {
  it('nginx: includes relative to the conf dir, globs, variables, server blocks, PHP_VALUE', async () => {
    const root = await fakeRoot({
      'etc/nginx/nginx.conf': 'http {\n  include sites/*.conf;\n  include loop.conf;\n}\n',
      'etc/nginx/loop.conf': '# includes itself: read once\ninclude loop.conf;\n',
      'etc/nginx/sites/a.conf': [
        'server {',
        '  listen 80;',
        '  root "/srv/sites/shop/public";   # the shop',
        "  server_name shop.example '~^www\\.(.+)$';",
        '  location /u/ { alias /srv/uploads/$1; }',
        '  location ~ \\.php$ {',
        '    fastcgi_param PHP_VALUE "auto_prepend_file=/opt/apm/agent.php\\nmemory_limit=256M";',
        '  }',
        '}',
        'server { server_name _; root /var/www/$host/public; }',
        'server { root html; }',
      ].join('\n'),
      'srv/sites/shop/public/index.php': '<?php echo 1;\n',
    });
    const { web } = await collect(root);
    expect(web?.roots.map((r) => [r.path, r.line, r.serverNames, r.missing ?? false])).toEqual([
      ['/srv/sites/shop/public', 3, ['shop.example'], false],
      ['/srv/uploads', 5, ['shop.example'], true],
      ['/usr/share/nginx/html', 11, undefined, true],
      ['/var/www', 10, undefined, true],
    ]);
    expect(web?.prepends).toEqual([
      expect.objectContaining({
        file: '/etc/nginx/sites/a.conf',
        line: 7,
        where: 'nginx',
        target: '/opt/apm/agent.php',
      }),
    ]);
    expect(web?.configs).toEqual([
      '/etc/nginx/loop.conf',
      '/etc/nginx/nginx.conf',
      '/etc/nginx/sites/a.conf',
    ]);
  });

  it('apache: ServerRoot, Include of a directory, VirtualHost names, php_value', async () => {
    const root = await fakeRoot({
      'etc/httpd/conf/httpd.conf': 'ServerRoot "/etc/httpd"\nInclude conf.d/*.conf\nIncludeOptional vhosts\n',
      'etc/httpd/conf.d/welcome.conf': 'Alias /.noindex.html /usr/share/httpd/noindex/index.html\n',
      'etc/httpd/vhosts/shop': [
        '<VirtualHost *:443>',
        '  ServerName shop.example',
        '  DocumentRoot "/srv/www/shop" \\',
        '',
        '  php_admin_value auto_prepend_file /srv/www/shop/.cache/p.php',
        '</VirtualHost>',
      ].join('\n'),
    });
    const { web } = await collect(root);
    expect(web?.roots.map((r) => [r.path, r.server, r.line, r.serverNames, r.notSite ?? false])).toEqual([
      ['/srv/www/shop', 'apache', 3, ['shop.example'], false],
      ['/usr/share/httpd/noindex/index.html', 'apache', 1, undefined, true],
    ]);
    expect(web?.prepends.map((p) => [p.where, p.line, p.target])).toEqual([
      ['apache', 5, '/srv/www/shop/.cache/p.php'],
    ]);
  });

  it('caddy and lighttpd: a Caddyfile of one site without braces, imports, var. values', async () => {
    const root = await fakeRoot({
      'etc/caddy/Caddyfile': 'shop.example\n\nroot * /srv/shop\nimport sites/*\n',
      'etc/caddy/sites/api':
        'api.example:443 {\n\troot /srv/api\n\treverse_proxy /v1/* localhost:9000\n\tfile_server {\n\t\troot {$API_DOCS}\n\t}\n}\n',
      'etc/lighttpd/lighttpd.conf':
        'var.base = "/home/lighttpd"\nserver.document-root = var.base + "/htdocs"\n$HTTP["host"] =~ "^(www\\.)?old\\.example$" {\n  alias.url = ( "/a" => "/srv/old/a", "/b" => var.base + "/b" )\n}\ninclude_shell "/usr/share/lighttpd/create-mime.conf.pl"\n',
    });
    const { web } = await collect(root);
    expect(web?.roots.map((r) => [r.path, r.server, r.line, r.serverNames])).toEqual([
      ['/home/lighttpd/b', 'lighttpd', 4, ['(www.)?old.example']],
      ['/home/lighttpd/htdocs', 'lighttpd', 2, undefined],
      ['/srv/api', 'caddy', 2, ['api.example']],
      ['/srv/old/a', 'lighttpd', 4, ['(www.)?old.example']],
      ['/srv/shop', 'caddy', 3, ['shop.example']],
    ]);
  });

  it('PHP: php.ini, FPM pools and .user.ini settings; empty and `none` values are no setting', () => {
    expect(prependsIn('auto_prepend_file =\nauto_append_file = none\n', '/etc/php.ini', 'php-ini')).toEqual(
      [],
    );
    expect(
      prependsIn('php_admin_value[auto_prepend_file] = /opt/x.php\n', '/etc/php-fpm.d/www.conf', 'php-fpm'),
    ).toEqual([expect.objectContaining({ line: 1, target: '/opt/x.php', directive: 'auto_prepend_file' })]);
    // A relative value is taken from the directory of the .user.ini.
    expect(prependsIn('auto_append_file="x/y.php"', '/srv/site/.user.ini', 'user-ini')[0]?.target).toBe(
      '/srv/site/x/y.php',
    );
  });

  it('roots: variables keep the directories before them; system directories are not sites', () => {
    expect(rootPath('/var/www/$host/public', '/')).toBe('/var/www');
    expect(rootPath('${DOCROOT}', '/')).toBeUndefined();
    expect(rootPath('html', '/usr/share/nginx')).toBe('/usr/share/nginx/html');
    expect(['/', '/usr', '/usr/share/doc', '/etc/nginx/html', '/var'].map(notSite)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['/usr/share/nginx/html', '/www/wwwroot/a', '/data', '/var/www'].map(notSite)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(nginxTokens('root "/a b"; # c\nx ${y}z;').map((t) => t.text)).toEqual([
      'root',
      '/a b',
      ';',
      'x',
      '${y}z',
      ';',
    ]);
  });
});

describe('CMS installs and their places', () => {
  it('recognises WordPress, Drupal and Joomla under /var/www with their versions', async () => {
    const root = await fakeRoot({
      'var/www/html/index.html': '<p>It works</p>\n',
      'var/www/blog/wp-config.php': "<?php\ndefine('DB_NAME', 'x');\n",
      'var/www/blog/wp-content/index.php': '<?php\n',
      'var/www/blog/wp-includes/version.php': "<?php\n$wp_version = '6.5';\n",
      'var/www/d10/core/lib/Drupal.php': "<?php\nclass Drupal {\n  const VERSION = '10.2.1';\n}\n",
      'var/www/d10/themes/custom/acme/templates/layout/page.html.twig':
        '<script src="https://evil.example/x.js"></script>\n',
      'var/www/j4/public_html/configuration.php': '<?php class JConfig {}\n',
      'var/www/j4/public_html/administrator/index.php': '<?php\n',
      'var/www/j4/public_html/libraries/src/Version.php':
        'const MAJOR_VERSION = 4;\nconst MINOR_VERSION = 4;\nconst PATCH_VERSION = 2;\n',
      'var/www/j4/public_html/templates/cassiopeia/index.php': "<?php eval(gzinflate(base64_decode('x')));\n",
    });
    const { web } = await collect(root);
    expect(web?.cms.map((c) => [c.path, c.kind, c.version])).toEqual([
      ['/var/www/blog', 'wordpress', '6.5'],
      ['/var/www/d10', 'drupal', '10.2.1'],
      ['/var/www/j4/public_html', 'joomla', '4.4.2'],
    ]);
    expect(web?.templates.map((t) => [t.path, t.cms, t.signals.map((s) => s.host ?? s.what)])).toEqual([
      ['/var/www/d10/themes/custom/acme/templates/layout/page.html.twig', 'drupal', ['evil.example']],
      [
        '/var/www/j4/public_html/templates/cassiopeia/index.php',
        'joomla',
        ['eval', 'base64_decode', 'gzinflate'],
      ],
    ]);
  });

  it('wp-config includes: escapes, chr(), __DIR__ and ABSPATH are read; a later include is not at the top', () => {
    const text = [
      '<?php @include "\\x2fvar\\x2ftmp\\x2f.x.php";',
      "include(chr(47) . 'tmp' . chr(47) . 'a.php');",
      '// require "commented.php";',
      "define('DB_NAME', 'x');",
      "require_once __DIR__ . '/wp-salt.php';",
      "require_once( ABSPATH . 'wp-settings.php' );",
      'require $path;',
    ].join('\n');
    const { includes } = wpConfigFacts(text, '/srv/b/wp-config.php', { site: '/srv/b', docRoot: '/srv/b' });
    expect(includes.map((i) => [i.line, i.target, i.top, i.obfuscated ?? false])).toEqual([
      [1, '/var/tmp/.x.php', true, true],
      [2, '/tmp/a.php', true, true],
      [5, '/srv/b/wp-salt.php', false, false],
      [6, '/srv/b/wp-settings.php', false, false],
      [7, undefined, false, false],
    ]);
    expect(
      includeTarget("$_SERVER['DOCUMENT_ROOT'] . '/x.php'", { dir: '/a', site: '/a', docRoot: '/r' }),
    ).toEqual({
      target: '/r/x.php',
      obfuscated: false,
    });
  });

  it('template signals: scripts from absolute URLs (also built by createElement), decoders; not methods', () => {
    const signals = templateSignals(
      [
        '<script src="/local.js"></script><script src=//cdn.example/a.js></script>',
        "var s=document.createElement('script');s.src='https://x.example/m.js';",
        '$tpl->eval($x); $obj::base64_decode($y); String.fromCharCode(72)',
      ].join('\n'),
    );
    expect(signals.map((s) => [s.what, s.line, s.host])).toEqual([
      ['script-src', 1, 'cdn.example'],
      ['script-src', 2, 'x.example'],
      ['fromCharCode', 3, undefined],
    ]);
  });

  it('template signals: each script tag’s own src, not one past its ">"; hostile lines in one pass', () => {
    const line = '<script async src="https://a.example/1.js"><script data-x=1>src=//b.example/2.js';
    expect(templateSignals(line).map((s) => s.host)).toEqual(['a.example']);
    expect(
      templateSignals('<SCRIPT SRC=//c.example/x.js><script src="//d.example/y.js">').map((s) => s.host),
    ).toEqual(['c.example', 'd.example']);
    // The one regex `<script\b[^>]*?\bsrc…` rescanned the rest of the line for each unclosed
    // `<script` (4.6 s for 400 KB; a template is read up to 512 KiB). The bound only guards a hang.
    for (const piece of ['<script ', '<script src', '<script>src=']) {
      const started = Date.now();
      templateSignals(piece.repeat((2 << 20) / piece.length) + '<script src="//e.example/z.js">');
      expect(Date.now() - started, piece).toBeLessThan(3000);
    }
  });

  it('wp-config includes after a megabyte of blanks, in one pass', () => {
    // The include regex began with `(?:^|[^\w$>:\\])@?\s*`: from every blank it rescanned the
    // whole run of blanks after it (27 s for 160 KB on one line).
    const text = `${' '.repeat(1 << 20)}@include '/tmp/.x.php';\n${' \t'.repeat(1 << 19)}`;
    const started = Date.now();
    const { includes } = wpConfigFacts(text, '/srv/b/wp-config.php', { site: '/srv/b', docRoot: '/srv/b' });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(includes.map((i) => [i.line, i.target, i.text])).toEqual([
      [1, '/tmp/.x.php', "@include '/tmp/.x.php';"],
    ]);
  });

  it('late files: the newest few of a directory when a gap of a week or more separates them', () => {
    const day = 24 * 3600 * 1000;
    const t0 = Date.parse('2025-01-01T00:00:00Z');
    const files = Array.from({ length: 8 }, (_, i) => ({
      path: `/s/f${i}.php`,
      mtimeMs: t0 + i * 60_000,
      ctimeMs: t0,
    }));
    expect(lateFilesOf(files)).toEqual([]);
    const late = { path: '/s/x.php', mtimeMs: t0 + 40 * day, ctimeMs: t0 + 40 * day };
    expect(lateFilesOf([...files, late])).toEqual([
      {
        path: '/s/x.php',
        mtime: '2025-02-10T00:00:00.000Z',
        ctime: '2025-02-10T00:00:00.000Z',
        siblingsNewest: '2025-01-01T00:07:00.000Z',
        siblingsMedian: '2025-01-01T00:04:00.000Z',
        siblings: 8,
      },
    ]);
    // Too few files to say anything; two late files in a small directory are no outlier.
    expect(lateFilesOf([files[0]!, late])).toEqual([]);
    expect(lateFilesOf([...files, late, { ...late, path: '/s/y.php' }])).toEqual([]);
  });

  it('late files: read from the walk with their real times', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 6; i++) files[`data/site/wp-content/themes/t/part${i}.php`] = '<?php\n';
    const root = await fakeRoot({
      'etc/nginx/nginx.conf': 'server { root /data/site; }\n',
      'data/site/wp-config.php': '<?php\n',
      ...files,
    });
    const old = new Date('2024-03-01T00:00:00Z');
    for (let i = 0; i < 6; i++) {
      const p = path.join(root, `data/site/wp-content/themes/t/part${i}.php`);
      await utimes(p, old, i === 3 ? new Date('2024-09-01T00:00:00Z') : old);
    }
    const { web } = await collect(root);
    expect(web?.lateFiles.map((f) => [f.path, f.mtime, f.siblingsNewest, f.siblings])).toEqual([
      ['/data/site/wp-content/themes/t/part3.php', '2024-09-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z', 5],
    ]);
    expect(web?.walk).toEqual({ files: 7, dirs: 4 });
  });
  it('the walk stops at its bound, says where, and still reads the root', async () => {
    const copy = await fakeRoot({
      'index.php': '<?php\n',
      '.htaccess': 'php_value auto_append_file /tmp/.a.php\n',
    });
    // One directory with more files than a root's walk may read (20,000).
    const big = path.join(copy, 'uploads');
    await mkdir(big);
    for (let i = 0; i <= 20_000; i++) writeFileSync(path.join(big, `f${i}.jpg`), '');
    const { web, record } = await collect('/', { discover: false, sites: [copy] });
    expect(web?.walk).toEqual({ files: 2, dirs: 1, truncated: [copy] });
    expect(record?.status).toBe('partial');
    expect(record?.note).toContain(`walk cut short at its bound in ${copy}`);
    // The root's own .htaccess is read all the same.
    expect(web?.prepends.map((p) => p.target)).toEqual(['/tmp/.a.php']);
  });
});

describe('scan --path and empty targets', () => {
  it('a site copy named with --path gets the same reading, in the paths the user named', async () => {
    const copy = await fakeRoot({
      'wp-config.php': "<?php @include '/tmp/.ico';\ndefine('DB_NAME','x');\n",
      'wp-content/themes/t/footer.php': '<script src="https://miner.example/m.js"></script>\n',
      '.htaccess': 'php_value auto_append_file /tmp/.a.php\n',
    });
    const { web, record } = await collect('/', { discover: false, sites: [copy] });
    expect(record?.status).toBe('ok');
    expect(web?.roots).toEqual([{ path: copy, server: 'path' }]);
    expect(web?.cms.map((c) => [c.path, c.kind])).toEqual([[copy, 'wordpress']]);
    expect(web?.includes.map((i) => i.target)).toEqual(['/tmp/.ico']);
    expect(web?.prepends.map((p) => [p.file, p.target])).toEqual([[`${copy}/.htaccess`, '/tmp/.a.php']]);
    expect(web?.templates.map((t) => t.path)).toEqual([`${copy}/wp-content/themes/t/footer.php`]);
    // No configuration is read for a path scan.
    expect(web?.configs).toEqual([]);
  });

  it('a --path under an offline root is shown as the root sees it', async () => {
    const root = await fakeRoot({ 'home/u/site/index.php': '<?php\n', 'home/u/site/wp-content/x.js': '1\n' });
    const { web } = await collect(root, { discover: false, sites: [path.join(root, 'home/u/site')] });
    expect(web?.roots).toEqual([{ path: '/home/u/site', server: 'path' }]);
  });

  it('a target without web configuration or web directories, or a --path of no site, has no record', async () => {
    const root = await fakeRoot({ 'etc/hostname': 'db-01\n', 'opt/tool/run.sh': 'echo\n' });
    expect(await collect(root)).toEqual({});
    expect(await collect(root, { discover: false, sites: [path.join(root, 'opt/tool')] })).toEqual({});
  });

  it('a root that is a link out of the offline root is read inside it', async () => {
    const root = await fakeRoot({
      'etc/nginx/nginx.conf': 'server { root /srv/site; }\n',
      // On the analyst's machine /etc is theirs; inside the root it is the root's /etc.
      'srv/site': '-> /etc',
    });
    const { web } = await collect(root);
    expect(web?.roots.map((r) => [r.path, r.missing ?? false])).toEqual([['/srv/site', false]]);
    // The walk saw the root's own /etc (one file, nginx.conf), not this machine's.
    expect(web?.walk.files).toBe(1);
  });
});
