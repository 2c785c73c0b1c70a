// The HTML incident report is self-contained and inert: hostile argv is escaped, no script or external
// resource can load, and the §5 headings are there in the chosen language.
import { describe, expect, it } from 'vitest';
import { fixtureIncident } from '../../test/helpers/incident-fixture.js';
import { esc, renderIncidentHtml } from './render-html.js';

describe('renderIncidentHtml', () => {
  const html = renderIncidentHtml(fixtureIncident(), 'zh-CN');
  it('escapes <script> and ANSI escapes from argv', () => {
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('\u001b');
    expect(html).toContain('\\x1b[31mred');
  });
  it('loads nothing from outside and allows no script', () => {
    expect(html).toContain(`default-src 'none'`);
    expect(html).not.toMatch(/\b(?:src|href)=/i);
  });
  it('carries the Chinese §5 headings', () => {
    for (const h of ['挖矿木马安全事件报告', '一、报告单位信息', '六、恶意样本']) expect(html).toContain(h);
  });
  it('escapes quotes and ampersands', () => {
    expect(esc(`"a" & 'b'`)).toBe('&quot;a&quot; &amp; &#39;b&#39;');
  });
});
