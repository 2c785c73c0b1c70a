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
export const WEB_NORMALISER_VERSION = 1;

const JS = /\.(?:[cm]?js|jsx|ts|tsx|vue)$/i;
const HTML = /\.(?:html?|xhtml|shtml|svg|hta)$/i;
const PHP = /\.(?:php\d?|phtml|phps|inc)$/i;

/** The hint for a file name, or undefined for a file that is not web content. */
export function webHint(name: string): WebHint | undefined {
  if (JS.test(name)) return 'js';
  if (HTML.test(name)) return 'html';
  if (PHP.test(name)) return 'php';
  return undefined;
}
