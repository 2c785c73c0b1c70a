// Tests for web-injection-place: a normal WordPress (its own wp-settings.php include, scripts from its
// own host and the common CDNs, plugins updated together, a security plugin's firewall prepend) gives
// nothing at medium or above; prepends to planted files, obfuscated wp-config includes, foreign
// scripts and decoders in theme files, plugins with miner payloads and late-changed files are found,
// and a hit on a file the content scan weighs at medium or more joins that file's finding; without a
// collected web section the detector is skipped, and a host with no web roots is not.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema, levelRank } from '../../model/finding.js';
import type { Content, ContentMatch, Section, Snapshot } from '../../snapshot/schema.js';
import type { Web } from '../../snapshot/web.js';
import { runDetectors } from '../run.js';
import { makeContent, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { contentMatch } from './content-match.js';
import { webInjectionPlace } from './web-injection-place.js';

const ruleset = await loadRuleset([defaultIocDir()]);

const SITE = '/data/www/blog';
const THEME = `${SITE}/wp-content/themes/harbor`;

/** The web facts of a clean WordPress served by Apache as blog.example. */
function cleanWeb(): Web {
  return {
    roots: [
      {
        path: SITE,
        server: 'apache',
        source: '/etc/apache2/sites-enabled/blog.conf',
        line: 5,
        directive: 'DocumentRoot',
        serverNames: ['blog.example', 'www.blog.example'],
      },
      { path: '/var/www', server: 'default' },
    ],
    cms: [{ path: SITE, kind: 'wordpress', version: '6.4.2', root: SITE, urls: ['https://blog.example'] }],
    prepends: [],
    includes: [
      {
        file: `${SITE}/wp-config.php`,
        line: 33,
        text: "require_once ABSPATH . 'wp-settings.php';",
        target: `${SITE}/wp-settings.php`,
        targetExists: true,
        top: false,
      },
      // A host that keeps its salts in a file of their own, loaded further down.
      {
        file: `${SITE}/wp-config.php`,
        line: 20,
        text: "require __DIR__ . '/wp-salt.php';",
        target: `${SITE}/wp-salt.php`,
        targetExists: true,
        top: false,
      },
    ],
    templates: [
      {
        path: `${THEME}/footer.php`,
        cms: 'wordpress',
        site: SITE,
        signals: [
          {
            what: 'script-src',
            line: 9,
            excerpt: '<script async src="https://www.googletagmanager.com/gtag/js?id=G-1"></script>',
            host: 'www.googletagmanager.com',
          },
          {
            what: 'script-src',
            line: 10,
            excerpt: '<script src="https://cdn.blog.example/menu.js"></script>',
            host: 'cdn.blog.example',
          },
          {
            what: 'script-src',
            line: 11,
            excerpt: '<script src="https://hm.baidu.com/hm.js?abc"></script>',
            host: 'hm.baidu.com',
          },
        ],
      },
    ],
    lateFiles: [
      // A plugin updated twelve days after the rest of its directory: not late enough.
      {
        path: `${SITE}/wp-content/plugins/akismet/akismet.php`,
        mtime: '2026-11-20T10:00:00.000Z',
        siblingsNewest: '2026-11-08T10:00:00.000Z',
        siblingsMedian: '2026-11-08T10:00:00.000Z',
        siblings: 9,
      },
      // The administrator edits wp-config.php; caches rewrite themselves.
      {
        path: `${SITE}/wp-config.php`,
        mtime: '2026-11-20T10:00:00.000Z',
        siblingsNewest: '2025-01-08T10:00:00.000Z',
        siblingsMedian: '2025-01-08T10:00:00.000Z',
        siblings: 16,
      },
      {
        path: `${SITE}/wp-content/cache/page/index.html`,
        mtime: '2026-11-20T10:00:00.000Z',
        siblingsNewest: '2025-01-08T10:00:00.000Z',
        siblingsMedian: '2025-01-08T10:00:00.000Z',
        siblings: 40,
      },
    ],
    walk: { files: 1800, dirs: 210 },
    configs: ['/etc/apache2/apache2.conf', '/etc/apache2/sites-enabled/blog.conf'],
  };
}

function snapshotOf(web: Web | undefined, content?: Content, status: 'ok' | 'failed' = 'ok'): Snapshot {
  const sections: Section[] = ['host', ...(content ? (['content'] as const) : [])];
  return makeSnapshot({
    ...(web ? { web } : {}),
    ...(content ? { content } : {}),
    collection: [
      { collector: 'test-builder', sections, status: 'ok', durationMs: 1, errors: [] },
      ...(web || status === 'failed'
        ? [{ collector: 'linux.web', sections: ['web' as const], status, durationMs: 1, errors: [] }]
        : []),
    ],
  });
}

const run = (snap: Snapshot) => runDetectors(snap, ruleset, [webInjectionPlace]);
const serious = (snap: Snapshot) =>
  run(snap).findings.filter((f) => levelRank(f.level) >= levelRank('medium'));

const SCRIPT_TAG: ContentMatch = {
  rule: 'MH_Web_Injected_Miner_Script_Tag',
  namespace: 'web-miners',
  meta: { description: 'Script tag that loads a browser-miner library', kind: 'web-script', level: 'high' },
  strings: [
    { identifier: '$tag', offset: 320, excerpt: '<script src="https://coinhive.com/lib/coinhive.min.js' },
  ],
  stringCount: 1,
};

const matched = (paths: string[]): Content =>
  makeContent({
    files: paths.map((path) => ({
      path,
      size: 400,
      sha256: 'c'.repeat(64),
      form: 'text',
      matches: [SCRIPT_TAG],
    })),
  });

describe('web-injection-place', () => {
  it('clean: a normal WordPress with updated plugins gives nothing', () => {
    expect(run(snapshotOf(cleanWeb()))).toEqual({ findings: [], skipped: [] });
  });

  it("clean: a security plugin's firewall prepend is only info", () => {
    const web = cleanWeb();
    web.prepends.push({
      file: `${SITE}/.user.ini`,
      line: 2,
      text: "auto_prepend_file = '/data/www/blog/wordfence-waf.php'",
      where: 'user-ini',
      directive: 'auto_prepend_file',
      value: '/data/www/blog/wordfence-waf.php',
      target: '/data/www/blog/wordfence-waf.php',
      targetExists: true,
    });
    const { findings } = run(snapshotOf(web));
    expect(findings.map((f) => [f.level, f.messageId, f.data?.product])).toEqual([
      ['info', 'prependKnown', 'Wordfence'],
    ]);
    expect(findings[0]?.remediate).toEqual([]);
    expect(serious(snapshotOf(web))).toEqual([]);
  });

  it('findings: a prepend to a hidden file in /var/tmp is high and removed with its target', () => {
    const web = cleanWeb();
    const line = 'php_value auto_prepend_file "/var/tmp/.cache/x.php"';
    web.prepends.push({
      file: `${SITE}/.htaccess`,
      line: 1,
      text: line,
      where: 'htaccess',
      directive: 'auto_prepend_file',
      value: '/var/tmp/.cache/x.php',
      target: '/var/tmp/.cache/x.php',
      targetExists: true,
    });
    const { findings } = run(snapshotOf(web));
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toEqual(f);
    // Planted is planted even once the payload is gone (a scan of a site copy, a cleaned /tmp).
    const gone = { ...web, prepends: web.prepends.map((p) => ({ ...p, targetExists: false })) };
    expect(run(snapshotOf(gone)).findings.map((x) => [x.level, x.messageId])).toEqual([
      ['high', 'prependPlanted'],
    ]);
    expect(f).toMatchObject({
      level: 'high',
      kind: 'web-script',
      messageId: 'prependPlanted',
      basis: 'autostart',
    });
    expect(f?.message.en).toBe(
      `${SITE}/.htaccess:1 makes PHP run /var/tmp/.cache/x.php with every page (auto_prepend_file), and it lies in /var/tmp (world-writable)`,
    );
    expect(f?.message['zh-CN']).toContain('/var/tmp');
    expect(f?.remediate).toEqual([
      { type: 'remove-line', path: `${SITE}/.htaccess`, line },
      { type: 'quarantine-file', path: '/var/tmp/.cache/x.php' },
    ]);
  });

  it('findings: a prepend to an ordinary PHP file is medium; to nothing, low', () => {
    const web = cleanWeb();
    const base = { line: 4, where: 'php-ini' as const, directive: 'auto_append_file' as const };
    web.prepends.push(
      {
        ...base,
        file: '/etc/php/8.2/fpm/php.ini',
        text: 'auto_append_file = /srv/lib/footer.php',
        value: '/srv/lib/footer.php',
        target: '/srv/lib/footer.php',
        targetExists: true,
      },
      {
        ...base,
        file: '/etc/php/8.2/cli/php.ini',
        text: 'auto_append_file = /srv/lib/gone.php',
        value: '/srv/lib/gone.php',
        target: '/srv/lib/gone.php',
        targetExists: false,
      },
    );
    const { findings } = run(snapshotOf(web));
    expect(findings.map((f) => [f.level, f.messageId, f.data?.target])).toEqual([
      ['medium', 'prepend', '/srv/lib/footer.php'],
      ['low', 'prependMissing', '/srv/lib/gone.php'],
    ]);
  });

  it('findings: a prepend whose target matches miner rules joins the content finding', () => {
    const web = cleanWeb();
    const target = `${SITE}/wp-content/languages/en.php`;
    web.prepends.push({
      file: `${SITE}/.user.ini`,
      line: 1,
      text: `auto_prepend_file=${target}`,
      where: 'user-ini',
      directive: 'auto_prepend_file',
      value: target,
      target,
      targetExists: true,
    });
    const snap = snapshotOf(web, matched([target]));
    const { findings } = runDetectors(snap, ruleset, [contentMatch, webInjectionPlace]);
    expect(findings).toHaveLength(1);
    // Two independent signals on one file: the payload (high) and where it is wired in (high).
    expect(findings[0]?.level).toBe('critical');
    expect(findings[0]?.signals?.map((s) => s.ruleId).sort()).toEqual([
      'content-match',
      'web-injection-place',
    ]);
  });

  it('findings: an include hidden with escapes at the top of wp-config.php, of a file named like an icon, is high', () => {
    const web = cleanWeb();
    const target = `${SITE}/wp-content/uploads/2023/11/favicon_3c1f.ico`;
    web.includes.push({
      file: `${SITE}/wp-config.php`,
      line: 1,
      text: '@include "\\x2fdata\\x2fwww\\x2fblog\\x2fwp-content\\x2fuploads\\x2f2023\\x2f11\\x2ffavicon_3c1f.ico";',
      target,
      targetExists: true,
      top: true,
      obfuscated: true,
    });
    const { findings } = run(snapshotOf(web));
    expect(findings.map((f) => [f.level, f.messageId, f.data?.target])).toEqual([
      ['high', 'includePlanted', target],
    ]);
    expect(findings[0]?.message.en).toContain('written with escapes');
    expect(findings[0]?.message.en).toContain('uploads directory');
    expect(findings[0]?.remediate).toEqual([{ type: 'quarantine-file', path: target }]);
    // The icon holds the miner, which the content rules weigh as a mere mention (low) by its name:
    // with the line that loads it, it is one finding, and the two raise it.
    const both = runDetectors(snapshotOf(web, matched([target])), ruleset, [contentMatch, webInjectionPlace]);
    expect(both.findings.map((f) => [f.level, f.ruleId, f.signals?.map((x) => x.level)])).toEqual([
      ['critical', 'web-injection-place', ['high', 'low']],
    ]);
  });

  it('findings: a plain PHP include before the configuration is low', () => {
    const web = cleanWeb();
    web.includes.push({
      file: `${SITE}/wp-config.php`,
      line: 2,
      text: "include_once '/data/www/blog/wp-content/db-cache.php';",
      target: '/data/www/blog/wp-content/db-cache.php',
      targetExists: true,
      top: true,
    });
    expect(run(snapshotOf(web)).findings.map((f) => [f.level, f.messageId])).toEqual([['low', 'includeTop']]);
  });

  it('findings: a foreign script and a decoder in theme files are low alone', () => {
    const web = cleanWeb();
    const footer = web.templates[0];
    footer?.signals.push({
      what: 'script-src',
      line: 12,
      excerpt: '<script src="https://coinhive.com/lib/coinhive.min.js"></script>',
      host: 'coinhive.com',
    });
    web.templates.push({
      path: `${THEME}/functions.php`,
      cms: 'wordpress',
      site: SITE,
      signals: [
        { what: 'eval', line: 18, excerpt: "eval(base64_decode('ZWNobyAnJzs='));" },
        { what: 'base64_decode', line: 18, excerpt: "eval(base64_decode('ZWNobyAnJzs='));" },
      ],
    });
    const { findings } = run(snapshotOf(web));
    expect(findings.map((f) => [f.level, f.messageId, f.data?.hosts ?? f.data?.calls])).toEqual([
      ['low', 'templateScript', 'coinhive.com'],
      ['low', 'templateDecoder', 'eval(, base64_decode('],
    ]);
    expect(findings[0]?.kind).toBeUndefined();
  });

  it('findings: a theme file the content rules match joins that finding and raises it', () => {
    const web = cleanWeb();
    web.templates[0]?.signals.push({
      what: 'script-src',
      line: 12,
      excerpt: '<script src="https://coinhive.com/lib/coinhive.min.js"></script>',
      host: 'coinhive.com',
    });
    const snap = snapshotOf(web, matched([`${THEME}/footer.php`]));
    const { findings } = runDetectors(snap, ruleset, [contentMatch, webInjectionPlace]);
    expect(findings.map((f) => [f.level, f.kind, f.ruleId])).toEqual([
      ['critical', 'web-script', 'content-match'],
    ]);
  });

  it('findings: a weak theme hint and a mere mention in the same file stay apart, both low', () => {
    const twig = '/srv/d10/themes/custom/acme/templates/page.html.twig';
    const web = cleanWeb();
    web.cms.push({ path: '/srv/d10', kind: 'drupal', root: '/srv/d10' });
    web.templates.push({
      path: twig,
      cms: 'drupal',
      site: '/srv/d10',
      signals: [{ what: 'fromCharCode', line: 3, excerpt: 'String.fromCharCode(104,105)' }],
    });
    const { findings } = runDetectors(snapshotOf(web, matched([twig])), ruleset, [
      contentMatch,
      webInjectionPlace,
    ]);
    expect(findings.map((f) => [f.level, f.ruleId])).toEqual([
      ['low', 'web-injection-place'],
      ['low', 'content-match'],
    ]);
  });

  it('findings: a plugin that carries miner payloads is named, medium', () => {
    const plugin = `${SITE}/wp-content/plugins/site-stats`;
    const snap = snapshotOf(cleanWeb(), matched([`${plugin}/site-stats.php`, `${plugin}/js/beacon.js`]));
    const { findings } = run(snap);
    expect(findings.map((f) => [f.level, f.kind, f.messageId, f.data?.plugin, f.data?.count])).toEqual([
      ['medium', 'web-script', 'pluginPayload', 'site-stats', 2],
    ]);
    expect(findings[0]?.evidence).toEqual([
      { type: 'file', path: `${plugin}/js/beacon.js` },
      { type: 'file', path: `${plugin}/site-stats.php` },
    ]);
  });

  it('findings: a PHP file changed long after its siblings is low, with both times shown; a script, info', () => {
    const web = cleanWeb();
    web.lateFiles.push(
      {
        path: `${THEME}/footer.php`,
        mtime: '2026-11-20T03:14:00.000Z',
        ctime: '2026-11-20T03:14:00.000Z',
        siblingsNewest: '2026-02-01T09:00:00.000Z',
        siblingsMedian: '2026-02-01T09:00:00.000Z',
        siblings: 11,
      },
      {
        path: `${THEME}/js/menu.js`,
        mtime: '2026-11-20T03:14:00.000Z',
        siblingsNewest: '2026-02-01T09:00:00.000Z',
        siblingsMedian: '2026-01-01T09:00:00.000Z',
        siblings: 6,
      },
    );
    const { findings } = run(snapshotOf(web));
    expect(findings.map((f) => [f.level, f.messageId, f.data?.path, f.data?.days])).toEqual([
      ['low', 'lateFile', `${THEME}/footer.php`, 291],
      ['info', 'lateFile', `${THEME}/js/menu.js`, 291],
    ]);
    expect(findings[0]?.message.en).toBe(
      `${THEME}/footer.php was changed 2026-11-20T03:14:00.000Z, 291 days after every other file of its directory (11 files, the newest changed 2026-02-01T09:00:00.000Z)`,
    );
  });

  it('skipped: a web collector that failed leaves the detector skipped', () => {
    expect(run(snapshotOf(undefined, undefined, 'failed')).skipped).toEqual([
      { ruleId: 'web-injection-place', missing: ['web'] },
    ]);
  });

  it('skipped: a host without web roots (no web record) is not applicable, not skipped', () => {
    expect(run(snapshotOf(undefined))).toEqual({ findings: [], skipped: [] });
  });
});
