// A hit's message, filled from its detector's template by id (DetectorMeta.messages) and the hit's
// facts (Hit.data); the persistence chain a hit belongs to is shown after it in either language.
import type { Localized } from '../model/finding.js';
import { formatMessage } from '../model/localized.js';
import type { DetectorMeta, Hit } from './types.js';

/** The parameter that carries the entry → process chain; templates leave it to this suffix. */
export const CHAIN_PARAMETER = 'chain';

function withChain(message: Localized, chain: Localized): Localized {
  return {
    en: `${message.en} (chain: ${chain.en})`,
    'zh-CN': `${message['zh-CN']}（链条：${chain['zh-CN']}）`,
  };
}

/** The sentence a reader sees for a hit; an unknown id or a missing parameter is a bug and throws. */
export function hitMessage(
  detector: Pick<DetectorMeta, 'id' | 'messages'>,
  hit: Pick<Hit, 'messageId' | 'data'>,
): Localized {
  const template = detector.messages[hit.messageId];
  if (!template) throw new Error(`${detector.id} has no message "${hit.messageId}"`);
  const message = formatMessage(template, hit.data);
  const chain = hit.data[CHAIN_PARAMETER];
  return typeof chain === 'object' ? withChain(message, chain) : message;
}
