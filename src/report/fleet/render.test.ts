// The fleet overview's renderers: CSV with a row per host and per indicator, RFC 4180 quoting and no
// cell a spreadsheet would run as a formula; HTML that is one self-contained page (no URL to load, a
// CSP that runs only its own script), with one chart, a row per host, hostile host names inert, and
// its labels in the language asked for.
import { describe, expect, it } from 'vitest';
import { exportReport, MINER_SHA256 } from '../../../test/helpers/export-fixture.js';
import type { Report } from '../model.js';
import { buildFleet, type FleetReport } from './model.js';
import { csvCell, HOST_COLUMNS, renderFleetHostsCsv, renderFleetMinersCsv } from './render-csv.js';
import { FLEET_SCRIPT, renderFleetHtml } from './render-html.js';

function host(name: string, time: string): FleetReport {
  const report = JSON.parse(JSON.stringify(exportReport())) as Report;
  report.host.hostname = name;
  report.collectedAt = time;
  return { source: `${name}.json`, report };
}

const HOSTILE = '<img src=x onerror=alert(1)>\u001b[31m';
const fleet = buildFleet(
  [
    host('web-1', '2026-11-20T10:00:00.000Z'),
    host('=cmd|calc', '2026-11-21T10:00:00.000Z'),
    host(HOSTILE, '2026-11-21T10:00:00.000Z'),
  ],
  [{ source: 'bad "one".json', reason: { en: 'is not JSON', 'zh-CN': '不是 JSON' } }],
  new Date('2026-12-01T00:00:00.000Z'),
);

/** A tiny RFC 4180 reader: enough to check what a spreadsheet would see. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const endCell = (): void => {
    row.push(cell);
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endCell();
    else if (c === '\r' && text[i + 1] === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i++;
    } else cell += c;
  }
  return rows;
}

describe('fleet CSV', () => {
  it('has a header and one row per host, formulas made inert', () => {
    const rows = parseCsv(renderFleetHostsCsv(fleet));
    expect(rows[0]).toEqual(HOST_COLUMNS);
    expect(rows).toHaveLength(4);
    const hosts = rows.slice(1).map((r) => r[0]);
    expect(hosts).toContain("'=cmd|calc");
    expect(rows.slice(1).every((r) => r.length === HOST_COLUMNS.length)).toBe(true);
    const web1 = rows.find((r) => r[0] === 'web-1')!;
    expect(web1[HOST_COLUMNS.indexOf('status')]).toBe('infected');
    expect(web1[HOST_COLUMNS.indexOf('sha256')]).toBe(MINER_SHA256);
  });

  it('lists each indicator with its host count and hosts', () => {
    const rows = parseCsv(renderFleetMinersCsv(fleet));
    const hash = rows.find((r) => r[1] === MINER_SHA256)!;
    expect(hash[0]).toBe('sha256');
    expect(hash[2]).toBe('3');
    expect(hash[7]!.split(';')).toHaveLength(3);
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(null)).toBe('');
  });
});

describe('fleet HTML', () => {
  const en = renderFleetHtml(fleet, 'en', '0.1.0');
  const zh = renderFleetHtml(fleet, 'zh-CN', '0.1.0');

  it('is one page that loads nothing and runs only its own script', () => {
    expect(en).not.toMatch(/\b(?:src|href)=["']?(?:https?:)?\/\//i);
    expect(en).not.toMatch(/<link\b/i);
    expect(en).toContain("default-src 'none'");
    expect(en.match(/<script>/g)).toHaveLength(1);
    expect(en).toContain(FLEET_SCRIPT);
  });

  it('has one chart and a row per host', () => {
    expect(en.match(/<svg /g)).toHaveLength(1);
    expect(en.match(/<tr data-host=/g)).toHaveLength(3);
    expect(en).toContain('data-status="infected" data-count="3"');
  });

  it('keeps a hostile host name inert', () => {
    expect(en).not.toContain('<img src=x');
    expect(en).toContain('&lt;img src=x onerror=alert(1)&gt;\\x1b[31m');
  });

  it('speaks the language asked for', () => {
    expect(zh).toContain('<html lang="zh-CN">');
    expect(zh).toContain('主机群概览');
    expect(zh).toContain('已感染');
    expect(en).toContain('Fleet overview');
    expect(en).toContain('Files left out (1)');
  });
});
