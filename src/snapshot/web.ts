// The snapshot's web facts (source §4.4, issue 15): the web roots a host serves (named by its nginx,
// Apache, Caddy or lighttpd configuration, or found at the usual places), the CMS installs in them,
// and the places an injection into a site hides: PHP auto_prepend/append settings, includes at the
// top of wp-config.php, theme and template files that load foreign scripts or decode code, and files
// changed long after their siblings. Facts only: the detector (web-injection-place) weighs them.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';

export const WEB_SERVERS = ['nginx', 'apache', 'caddy', 'lighttpd', 'default', 'path'] as const;

/**
 * One web root: a directory a server serves files from. `source`/`line` name the configuration line
 * that named it; a root found at a usual place (`default`) or named with `scan --path` (`path`) has
 * none.
 */
export const WebRootSchema = builtOnFirstUse(() =>
  z.object({
    /** The directory, as the target sees it. */
    path: z.string(),
    server: z.enum(WEB_SERVERS),
    /** The configuration file that named it. */
    source: z.string().optional(),
    line: z.number().int().positive().optional(),
    /** The directive: `root`, `alias`, `DocumentRoot`, `Alias`, `server.document-root`, `alias.url`. */
    directive: z.string().optional(),
    /** The host names the server block or virtual host answers to (server_name, ServerName…). */
    serverNames: z.array(z.string()).optional(),
    /** Nothing is at the path (a stale vhost): named, not scanned. */
    missing: z.boolean().optional(),
    /**
     * Not walked or scanned as a site: a package's own directory (/usr/share/…) or a whole system
     * directory (`/`, /usr) that a configuration happens to serve.
     */
    notSite: z.boolean().optional(),
  }),
);
export type WebRoot = z.infer<typeof WebRootSchema>;

export const CMS_KINDS = ['wordpress', 'drupal', 'joomla'] as const;
export type CmsKind = (typeof CMS_KINDS)[number];

/** A CMS install recognised by its layout (wp-config.php + wp-content/, core/lib/Drupal.php…). */
export const CmsSiteSchema = builtOnFirstUse(() =>
  z.object({
    /** The install's directory. */
    path: z.string(),
    kind: z.enum(CMS_KINDS),
    version: z.string().optional(),
    /** The web root it was found in. */
    root: z.string(),
    /** What the site calls itself (WordPress WP_HOME/WP_SITEURL), for telling its own hosts from others. */
    urls: z.array(z.string()).optional(),
  }),
);
export type CmsSite = z.infer<typeof CmsSiteSchema>;

/**
 * A PHP setting that runs a file before (`auto_prepend_file`) or after (`auto_append_file`) every
 * script: in a .htaccess (`php_value`), a .user.ini, a php.ini, a PHP-FPM pool, an Apache config or
 * an nginx `fastcgi_param PHP_VALUE`.
 */
export const PhpPrependSchema = builtOnFirstUse(() =>
  z.object({
    /** The file that holds the setting. */
    file: z.string(),
    line: z.number().int().positive(),
    /** The line as written (trimmed, at most 300 characters). */
    text: z.string(),
    where: z.enum(['htaccess', 'user-ini', 'php-ini', 'php-fpm', 'apache', 'nginx']),
    directive: z.enum(['auto_prepend_file', 'auto_append_file']),
    /** The value as written, quotes removed. */
    value: z.string(),
    /** The file it names, made absolute (a relative value against the setting's directory). */
    target: z.string().optional(),
    /** Whether something is at `target` in the target system. */
    targetExists: z.boolean().optional(),
  }),
);
export type PhpPrepend = z.infer<typeof PhpPrependSchema>;

/** An include/require statement in a CMS configuration file (wp-config.php). */
export const CmsIncludeSchema = builtOnFirstUse(() =>
  z.object({
    file: z.string(),
    line: z.number().int().positive(),
    /** The statement as written (at most 300 characters). */
    text: z.string(),
    /** The file it loads, when the argument is a literal path (escapes decoded) or __DIR__/ABSPATH plus one. */
    target: z.string().optional(),
    targetExists: z.boolean().optional(),
    /** Before the configuration proper (the first `define(`): where injected loaders are put. */
    top: z.boolean(),
    /** The argument is written with escapes (`\x2f`), concatenated characters or chr(): hidden on purpose. */
    obfuscated: z.boolean().optional(),
  }),
);
export type CmsInclude = z.infer<typeof CmsIncludeSchema>;

export const TEMPLATE_SIGNALS = [
  'script-src',
  'eval',
  'base64_decode',
  'gzinflate',
  'gzuncompress',
  'str_rot13',
  'create_function',
  'fromCharCode',
] as const;

/** A theme or template file (WordPress header/footer/functions.php, Drupal and Joomla templates) and what stands out in it. */
export const TemplateFileSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string(),
    cms: z.enum(CMS_KINDS),
    /** The CMS install it belongs to. */
    site: z.string(),
    signals: z.array(
      z.object({
        what: z.enum(TEMPLATE_SIGNALS),
        line: z.number().int().positive(),
        /** The line around the signal, at most 200 characters. */
        excerpt: z.string(),
        /** For `script-src`: the host the script is loaded from. */
        host: z.string().optional(),
      }),
    ),
  }),
);
export type TemplateFile = z.infer<typeof TemplateFileSchema>;

/**
 * A file changed long after every other file in its directory: the newest few (at most 1% of the
 * directory, at least one) when a gap of at least a week separates them from the rest.
 */
export const LateFileSchema = builtOnFirstUse(() =>
  z.object({
    path: z.string(),
    /** ISO 8601. */
    mtime: z.string(),
    ctime: z.string().optional(),
    /** The newest mtime among the other files of the directory (ISO 8601). */
    siblingsNewest: z.string(),
    /** The median mtime of the other files (ISO 8601). */
    siblingsMedian: z.string(),
    /** How many other regular files the directory holds. */
    siblings: z.number().int().positive(),
  }),
);
export type LateFile = z.infer<typeof LateFileSchema>;

export const WebSchema = builtOnFirstUse(() =>
  z.object({
    roots: z.array(WebRootSchema),
    cms: z.array(CmsSiteSchema),
    prepends: z.array(PhpPrependSchema),
    includes: z.array(CmsIncludeSchema),
    templates: z.array(TemplateFileSchema),
    lateFiles: z.array(LateFileSchema),
    /** The walk of the roots for the places above: files and directories seen, roots cut short by its bounds. */
    walk: z.object({
      files: z.number().int().nonnegative(),
      dirs: z.number().int().nonnegative(),
      truncated: z.array(z.string()).optional(),
    }),
    /** Configuration files read to find the roots. */
    configs: z.array(z.string()),
  }),
);
export type Web = z.infer<typeof WebSchema>;
