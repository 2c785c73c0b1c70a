// The charts are plain SVG text: marks placed by time on lanes, bars scaled to the host's cores,
// attacker-controlled labels escaped, nothing drawn when there is nothing to show; and the file times
// of a snapshot reach the timeline only for files a finding names.
import { describe, expect, it } from 'vitest';
import { cpuSvg, snapshotMarks, timelineSvg, type TimelineMark } from './charts.js';
import { makeSnapshot } from '../../test/helpers/snapshot-builders.js';
import { fixtureInputs } from '../../test/helpers/incident-fixture.js';

const LANES = { file: 'files', persistence: 'autostart', process: 'starts', scan: 'scan' };

describe('timelineSvg', () => {
  const marks: TimelineMark[] = [
    { time: '2026-11-20T00:00:00Z', kind: 'file', label: 'dropped <x>' },
    { time: '2026-11-26T00:00:00Z', kind: 'scan', label: 'scan' },
    { time: 'not a time', kind: 'process', label: 'undated' },
  ];
  const svg = timelineSvg(marks, LANES, 'Timeline');

  it('puts the earliest mark at the left edge and the latest at the right', () => {
    const xs = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(xs).toEqual([150, 740]);
  });
  it('draws only the lanes that have dated marks, and escapes labels', () => {
    expect(svg).toContain('>files</text>');
    expect(svg).not.toContain('>starts</text>');
    expect(svg).toContain('dropped &lt;x&gt;');
    expect(svg).not.toContain('<x>');
  });
  it('gives a single instant an axis, and draws nothing without dated marks', () => {
    expect(timelineSvg([marks[1]!], LANES, 'T')).toContain('<circle cx="445.0"');
    expect(timelineSvg([marks[2]!], LANES, 'T')).toBe('');
  });
});

describe('cpuSvg', () => {
  it('scales the bars to the cores and adds a total for several processes', () => {
    const svg = cpuSvg(
      [
        { label: '4242 xmrig', percent: 180 },
        { label: '77 <b>', percent: 20 },
      ],
      4,
      { total: 'total', cores: '4 cores' },
      'CPU',
    );
    expect(svg).toContain('>180%</text>');
    expect(svg).toContain('>200%</text>');
    expect(svg).toContain('>total</text>');
    expect(svg).toContain('77 &lt;b&gt;');
    // Ticks 0..4, one per core.
    expect([...svg.matchAll(/text-anchor="middle" fill="#555">(\d+)</g)].map((m) => m[1])).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
  });
  it('draws nothing without a process', () => {
    expect(cpuSvg([], 4, { total: 't', cores: 'c' }, 'CPU')).toBe('');
  });
});

describe('snapshotMarks', () => {
  it('dates the persistence files a finding names, and no other', () => {
    const { report } = fixtureInputs();
    const snapshot = makeSnapshot({});
    snapshot.persistence = {
      entries: [],
      authorizedKeys: [],
      sudoRules: [],
      accounts: [],
      attributes: { collected: false },
      files: [
        { path: '/tmp/.x/kworker', role: 'target', mtime: '2026-11-25T08:00:00.000Z' },
        { path: '/etc/cron.d/e2scrub_all', role: 'config', mtime: '2026-01-01T00:00:00.000Z' },
      ],
    };
    const marks = snapshotMarks(snapshot, report.findings, 'zh-CN');
    expect(marks).toEqual([
      { time: '2026-11-25T08:00:00.000Z', kind: 'file', label: '被启动的文件 /tmp/.x/kworker 最后修改' },
    ]);
  });
});
