// Tests the HTML character-reference decoder: a script tag spelled in numeric references is read
// back, while a page with the usual few named references is left as it is.
import { describe, expect, it } from 'vitest';
import { decodeHtmlEntities } from './html-entities.js';

function numeric(s: string, hex = false): string {
  return [...s].map((c) => (hex ? `&#x${c.charCodeAt(0).toString(16)};` : `&#${c.charCodeAt(0)};`)).join('');
}

describe('decodeHtmlEntities', () => {
  it('decodes decimal and hex references, and named ones beside them', () => {
    const page = `<div>${numeric('<script src=')}&quot;${numeric('https://coinhive.com/lib/coinhive.min.js', true)}&quot;&gt;</div>`;
    const [step] = decodeHtmlEntities(page);
    expect(step?.technique).toBe('html-entities');
    expect(step?.text).toBe('<div><script src="https://coinhive.com/lib/coinhive.min.js"></div>');
  });

  it('leaves a page with a few ordinary references alone', () => {
    expect(decodeHtmlEntities('<p>Caf&#233; &amp; bar &copy; 2026 &#8212; &lt;b&gt;</p>')).toEqual([]);
  });
});
