// The header of a scan cut short by Ctrl-C says so first, in both languages, with the sections cut
// short and those never collected; a report that ran to its end has no such line, and a scan cut
// short that found nothing is never called clean.
import { describe, expect, it } from 'vitest';
import { createColors } from 'picocolors';
import { makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import { buildReport } from './model.js';
import { renderHeader } from './render-header.js';

const c = createColors(false);

function reportOf(incomplete?: { afterMs: number; missing: string[]; partial: string[] }) {
  const snapshot = makeSnapshot({});
  if (incomplete) snapshot.incomplete = { reason: 'interrupted', ...incomplete } as never;
  return buildReport({
    snapshot,
    findings: [],
    skipped: [],
    rulesetHash: 'h',
    toolVersion: '9.9.9',
    now: new Date('2026-11-26T12:30:00.000Z'),
  });
}

describe('an interrupted scan in the header', () => {
  it('opens with INCOMPLETE, what was cut short and what was not collected, in en and zh-CN', () => {
    const report = reportOf({ afterMs: 12_400, missing: ['hidden', 'preload'], partial: ['content'] });
    const en = renderHeader(report, { lang: 'en', width: 100, verbose: false }, c);
    expect(en.slice(1, 3)).toEqual([
      'INCOMPLETE: interrupted (Ctrl-C) after 12 s; below is what was found so far',
      '  cut short: content; sections not collected: hidden, preload',
    ]);
    const zh = renderHeader(report, { lang: 'zh-CN', width: 100, verbose: false }, c);
    expect(zh.slice(1, 3)).toEqual([
      '未完成：扫描在 12 秒后被中断（Ctrl-C），以下仅为目前的发现',
      '  中途停止: content；未收集的部分: hidden, preload',
    ]);
    expect(report.verdict.status).toBe('incomplete');
    expect(report.incomplete).toEqual({
      reason: 'interrupted',
      afterMs: 12_400,
      missing: ['hidden', 'preload'],
      partial: ['content'],
    });
  });

  it('fits the width, and is absent when the scan ran to its end', () => {
    const report = reportOf({ afterMs: 1000, missing: [], partial: ['content'] });
    for (const line of renderHeader(report, { lang: 'en', width: 40, verbose: false }, c))
      if (line.startsWith('INCOMPLETE')) expect(line.length).toBeLessThanOrEqual(40);
    const whole = renderHeader(reportOf(), { lang: 'en', width: 100, verbose: false }, c);
    expect(whole.join('\n')).not.toContain('INCOMPLETE');
  });
});
