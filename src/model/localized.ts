// The one bilingual text helper: a message in English and Simplified Chinese, as every finding,
// audit check and plan step carries it, and the formatter of messages kept by id with parameters
// (ESLint's messageIds): a template per language with `{name}` holes, filled from one set of facts.
import type { Localized } from './finding.js';

export function t(en: string, zh: string): Localized {
  return { en, 'zh-CN': zh };
}

/** The last component of a slash-separated path (`/usr/bin/curl` → `curl`), trailing slashes ignored. */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** A parameter of a message: a fact (a path, a pid, a count) or a phrase that is itself bilingual. */
export type MessageValue = string | number | Localized;
export type MessageData = Record<string, MessageValue>;

const HOLE = /\{(\w+)\}/g;

/** The names of a template's holes, e.g. `{path} holds {count} file(s)` → ['path', 'count']. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(HOLE)].map((m) => m[1] as string);
}

function fill(template: string, data: MessageData, lang: keyof Localized): string {
  return template.replace(HOLE, (hole, name: string) => {
    const value = data[name];
    if (value === undefined) throw new Error(`message parameter ${name} is missing for "${template}"`);
    return typeof value === 'object' ? value[lang] : String(value);
  });
}

/** Fills a bilingual template; a hole without its parameter is a programming error and throws. */
export function formatMessage(template: Localized, data: MessageData = {}): Localized {
  return { en: fill(template.en, data, 'en'), 'zh-CN': fill(template['zh-CN'], data, 'zh-CN') };
}
