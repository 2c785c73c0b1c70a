// How the watch loop folds the content scan of changed files into a scan's findings: a YARA finding
// about a file another finding already names adds its evidence there (one alert per file); one
// about a file no other finding names is a finding of its own.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import { foldContent } from './watch.js';

const f = (fingerprint: string, ruleId: string, evidence: Finding['evidence']): Finding =>
  ({ ruleId, fingerprint, evidence, tags: [`tag-${ruleId}`] }) as unknown as Finding;
const cronFile = { type: 'file', path: '/etc/cron.d/x', sha256: 'aa' } as const;
const yara = { type: 'match', field: 'yara file: droppers.MH_Dropper', value: 'curl | sh' } as const;

describe('foldContent', () => {
  it('adds YARA evidence to the finding that already names the file, and keeps other files apart', () => {
    const host = [f('p1', 'persistence-download-exec', [cronFile])];
    const content = [
      f('c1', 'content-match', [{ type: 'file', path: '/etc/cron.d/x', sha256: 'aa' }, yara]),
      f('c2', 'content-match', [{ type: 'file', path: '/etc/profile.d/y.sh' }, yara]),
    ];
    const out = foldContent(host, content);
    expect(out.map((x) => x.fingerprint)).toEqual(['p1', 'c2']);
    expect(out[0]!.evidence).toEqual([cronFile, yara]);
    expect(out[0]!.tags).toEqual(['tag-persistence-download-exec', 'tag-content-match']);
    // The host scan's own findings are not changed in place.
    expect(host[0]!.evidence).toEqual([cronFile]);
    // The same finding from both scans is one finding.
    expect(foldContent(host, [host[0]!]).map((x) => x.fingerprint)).toEqual(['p1']);
  });
});
