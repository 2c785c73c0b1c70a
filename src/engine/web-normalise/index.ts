// The web-content normaliser's public face: what the content scan calls for a web file, and how it
// tells a web file from any other.
import type { WebHint } from './types.js';

export { normaliseWeb, sanitiseExcerpt, type NormaliseResult, type NormalisedLayer } from './normalise.js';
export { scanWebContent, type WebMatch, type WebScanOptions, type WebScanResult } from './scan.js';
export { DEFAULT_NORMALISE_LIMITS, type NormaliseLimits, type WebHint } from './types.js';

/**
 * Changes whenever a decoder's output may change: a scan cache that stores decoded matches keys
 * on it beside the rule set's hash, so an old entry is not taken for the new normaliser's answer.
 */
export const WEB_NORMALISER_VERSION = 3;

/**
 * `MINEHUNTER_WEB_NORMALISE=0` turns the normaliser off (read once at load): web files are then
 * scanned as written only. For measuring what it costs (bench/web.mjs); not a user setting.
 */
export const WEB_NORMALISE_ENABLED = process.env['MINEHUNTER_WEB_NORMALISE'] !== '0';

const JS = /\.(?:[cm]?js|jsx|ts|tsx|vue)$/i;
const HTML = /\.(?:html?|xhtml|shtml|svg|hta)$/i;
const PHP = /\.(?:php\d?|phtml|phps|inc)$/i;

/** TypeScript declarations: types only, nothing runs; a tenth of the decoding time of a node_modules tree. */
const DECLARATIONS = /\.d\.[cm]?ts$/i;

/** The hint for a file name, or undefined for a file that is not web content. */
export function webHint(name: string): WebHint | undefined {
  if (DECLARATIONS.test(name)) return undefined;
  if (JS.test(name)) return 'js';
  if (HTML.test(name)) return 'html';
  if (PHP.test(name)) return 'php';
  return undefined;
}
