// End-to-end: a developer's and security analyst's machine that is not infected — toolchain
// libraries, YARA/Sigma rules and indicator lists that name miners, a hosts file that sinkholes
// pools, documents and logs about XMRig, minehunter's own saved outputs of an earlier incident —
// gives no finding at medium or above when scanned as an offline root. Every exclusion is tested
// the other way too: the same miner, config or dropper put into the same places is still found.
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFinding, ensureBuilt, runCliJson, type ReportJson } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/lookalike.js';
import { DOCUMENTS, buildWorkstation, dirtyTwin } from '../helpers/workstation.js';
import type { Finding } from '../../src/model/finding.js';

const execFileP = promisify(execFile);
const SERIOUS = new Set(['critical', 'high', 'medium']);

let dir: string;
let clean: ReportJson;
let cleanFull: ReportJson;
let dirty: ReportJson;
let drops: Record<string, string>;
let outputs: string[];

function filesOf(f: Finding): string[] {
  return f.evidence.flatMap((e) => (e.type === 'file' ? [e.path] : []));
}

function about(report: ReportJson, file: string): Finding[] {
  return report.findings.filter((f) => filesOf(f).some((p) => p === file || p.startsWith(`${file}!`)));
}

beforeAll(async () => {
  await ensureBuilt();
  dir = await makeTempDir('minehunter-workstation-');
  const cleanRoot = path.join(dir, 'clean');
  ({ outputs } = await buildWorkstation(cleanRoot, dir));
  const dirtyRoot = path.join(dir, 'dirty');
  await execFileP('cp', ['-a', cleanRoot, dirtyRoot]);
  drops = await dirtyTwin(dirtyRoot, dir);
  // --full walks the toolchain stores the default scope leaves out, so the twin's miner in a pyenv
  // tree is reachable; the clean root is scanned both ways.
  const scan = (root: string, extra: string[]) =>
    runCliJson(['scan', '--root', root, '--format', 'json', '--no-cache', '--fail-on', 'none', ...extra], {
      timeoutMs: 180_000,
    }).then((r) => r.json);
  [clean, cleanFull, dirty] = await Promise.all([
    scan(cleanRoot, []),
    scan(cleanRoot, ['--full']),
    scan(dirtyRoot, ['--full']),
  ]);
  outputs = outputs.map((p) => p.slice(cleanRoot.length));
}, 400_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('a clean developer and analyst workstation, scanned as a root', () => {
  it('has no finding at medium or above, in the default scope and with --full', () => {
    for (const report of [clean, cleanFull]) {
      expect(report.findings.filter((f) => SERIOUS.has(f.level)).map(describeFinding)).toEqual([]);
      expect(['clean', 'incomplete']).toContain(report.verdict.status);
      expect(report.verdict.kinds).toEqual([]);
    }
  });

  it('still read what names miners: each document matched a rule and was weighed as a mention', () => {
    for (const rel of ['docs/xmrig/README.md', 'blog/2026-11-hunting-xmrig.html', 'inventory.txt']) {
      const found = about(clean, `/root/${rel}`);
      expect(
        found.map((f) => [f.level, f.basis]),
        rel,
      ).toEqual([['low', 'mention']]);
      expect(found[0]!.remediate).toEqual([]);
    }
  });

  it('YARA and Sigma rules and indicator lists are security material: info at most', () => {
    for (const rel of Object.keys(DOCUMENTS).filter((r) => r.startsWith('security/'))) {
      for (const f of about(clean, `/root/${rel}`)) expect([rel, f.level]).toEqual([rel, 'info']);
    }
    expect(about(clean, '/root/security/yara/miners.yar')).toHaveLength(1);
  });

  it("minehunter's own saved reports, snapshot, plan and evidence bundle are info, never acted on", () => {
    const own = clean.findings.filter((f) => f.basis === 'own-output');
    // The saved outputs quote the infected fixture's miner, so several of them do match rules.
    expect(own.length).toBeGreaterThanOrEqual(3);
    for (const f of own) {
      expect(f.level).toBe('info');
      expect(f.remediate).toEqual([]);
      expect(f.message.en).toMatch(/minehunter output/);
    }
    const named = own.flatMap(filesOf);
    expect(named).toContain('/root/case/scan.json');
    for (const file of named)
      expect(outputs.includes(file) || file.startsWith('/root/case/evidence/'), file).toBe(true);
  });

  it('the sinkholed hosts file is not a miner', () => {
    expect(about(clean, '/etc/hosts').filter((f) => f.level !== 'info')).toEqual([]);
  });
});

describe('the dirty twin: the same places with a miner in them', () => {
  const atLeastHigh = (f: Finding) => f.level === 'critical' || f.level === 'high';

  it('finds the miner dropped into a toolchain tree, a node_modules addon and a rules folder', () => {
    for (const key of ['pyenvMiner', 'addonMiner', 'rulesMiner']) {
      const found = about(dirty, drops[key]!);
      expect(found.some(atLeastHigh), `${key}: ${found.map(describeFinding).join('; ')}`).toBe(true);
      expect(found[0]!.basis).toBe('executable');
    }
  });

  it('finds a miner config beside the rules, and one disguised with a minehunter header', () => {
    for (const key of ['rulesConfig', 'disguisedConfig']) {
      const found = about(dirty, drops[key]!);
      expect(found.some(atLeastHigh), `${key}: ${found.map(describeFinding).join('; ')}`).toBe(true);
    }
  });

  it('finds the dropper script and the hosts file that sends pool names elsewhere', () => {
    expect(about(dirty, drops.dropper!).some(atLeastHigh)).toBe(true);
    const hosts = dirty.findings.filter((f) => f.ruleId === 'hosts-tampering' && SERIOUS.has(f.level));
    expect(hosts.length, dirty.findings.map(describeFinding).join('\n')).toBeGreaterThan(0);
  });
});
