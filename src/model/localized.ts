// The one bilingual text helper: a message in English and Simplified Chinese, as every finding,
// audit check and plan step carries it.
import type { Localized } from './finding.js';

export function t(en: string, zh: string): Localized {
  return { en, 'zh-CN': zh };
}

/** The last component of a slash-separated path (`/usr/bin/curl` → `curl`), trailing slashes ignored. */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}
