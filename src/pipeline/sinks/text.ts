// The one-line human text of an alert, in the watcher's language, shared by the syslog, CEF and
// Falcosidekick formats: what happened, to what, and the fingerprint to acknowledge it with.
import type { Finding, Lang, Localized } from '../../model/finding.js';
import type { AlertEnvelope } from './types.js';

const WORDS = {
  changed: { en: 'changed', 'zh-CN': '已变化' },
  repeat: { en: 'still present, seen {n} times', 'zh-CN': '仍然存在，已出现 {n} 次' },
  resolved: { en: 'resolved', 'zh-CN': '已解决' },
  allowed: { en: 'resolved (now allowlisted)', 'zh-CN': '已解决（已加入白名单）' },
} satisfies Record<string, Localized>;

/** The level of the event's finding (a resolved event keeps the level the finding had). */
export function levelOf(a: AlertEnvelope): Finding['level'] {
  const e = a.event;
  return e.event === 'finding' ? e.finding.level : (e.level ?? 'medium');
}

export function ruleOf(a: AlertEnvelope): string {
  const e = a.event;
  return e.event === 'finding' ? e.finding.ruleId : e.ruleId;
}

export function titleOf(a: AlertEnvelope, lang: Lang): string {
  const e = a.event;
  const title = e.event === 'finding' ? e.finding.title : e.title;
  return title?.[lang] ?? ruleOf(a);
}

export function alertText(a: AlertEnvelope, lang: Lang): string {
  const e = a.event;
  const title = titleOf(a, lang);
  let text: string;
  if (e.event === 'finding')
    text = `${e.changed ? `${WORDS.changed[lang]}: ` : ''}${title}: ${e.finding.message[lang]}`;
  else if (e.event === 'repeat') text = `${title}: ${WORDS.repeat[lang].replace('{n}', String(e.count))}`;
  else text = `${title}: ${(e.reason === 'allowed' ? WORDS.allowed : WORDS.resolved)[lang]}`;
  // One line: a message quoting a file's text must not split a syslog record.
  return `${text} (${e.fingerprint})`.replace(/[\r\n]+/g, ' ');
}

/** Count of the event: 1 for a first sighting, the repeat count, 0 once resolved. */
export function countOf(a: AlertEnvelope): number {
  const e = a.event;
  return e.event === 'repeat' ? e.count : e.event === 'finding' ? 1 : 0;
}
