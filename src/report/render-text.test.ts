// The terminal report: scope and verdict first, then the miner running now with its pool and wallet,
// what starts it again and the next command, all within 20 lines at 100 columns; then the findings
// by level (in the report's order) with evidence, verify and actions, then the playbooks with shared
// steps once and evidence chains summarised; lists capped with a count, --verbose restoring all; no
// line over the width; in both languages; hostile argv stays inert; colour only when asked; what was
// not scanned, grouped and capped, with the verdict incomplete for a gap and the way to cover it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../model/finding.js';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { detectors } from '../detect/index.js';
import { runDetectors } from '../detect/run.js';
import { FAKE_WALLET } from '../../test/helpers/lookalike.js';
import { displayWidth } from './wrap.js';

const ruleset = await loadRuleset([defaultIocDir()]);
import { buildReport, type Report } from './model.js';
import { renderText } from './render-text.js';
import type { Content, Snapshot } from '../snapshot/schema.js';
import { makeContent } from '../../test/helpers/snapshot-builders.js';

const snapshot: Snapshot = {
  schemaVersion: 1,
  tool: { name: 'minehunter', version: '0.1.0' },
  collectedAt: '2026-11-26T10:00:00.000Z',
  target: { root: '/', live: true },
  host: { hostname: 'web-01', kernel: '6.1.0', distribution: { name: 'Debian GNU/Linux 12' }, addresses: [] },
  processes: [],
  sockets: [],
  collection: [{ collector: 'processes', sections: ['processes'], status: 'ok', durationMs: 5, errors: [] }],
};

const finding: Finding = {
  ruleId: 'miner-command-line',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'critical',
  title: { en: 'Miner command line', 'zh-CN': '矿机命令行' },
  message: { en: 'PID 4242 runs a miner', 'zh-CN': 'PID 4242 运行矿机' },
  evidence: [
    {
      type: 'process',
      pid: 4242,
      ppid: 1,
      user: 'www-data',
      comm: 'kworker',
      exe: '/tmp/.x/kworker',
      exeDeleted: true,
      argv: ['[kworker/0:2]', '-o', 'stratum+tcp://127.0.0.1:3333', '--pass', '\x1b[31mred\x1b[0m'],
    },
    {
      type: 'socket',
      protocol: 'tcp',
      local: '127.0.0.1:50000',
      remote: '127.0.0.1:3333',
      state: 'ESTABLISHED',
      pids: [4242],
      match: 'pool port 3333',
    },
  ],
  tags: ['attack.t1496'],
  verify: { en: 'Run ls -l /proc/4242/exe', 'zh-CN': '运行 ls -l /proc/4242/exe' },
  remediate: [
    { type: 'kill-process-tree', pid: 4242 },
    { type: 'quarantine-file', path: '/tmp/.x/kworker' },
  ],
  fingerprint: 'abcdef0123456789',
  signals: [],
};

const report = buildReport({
  snapshot,
  findings: [
    finding,
    {
      ...finding,
      level: 'low',
      fingerprint: 'f2',
      allowed: { by: 'exe', value: '/opt/miner', reason: 'lab rig', source: 'allow.yml' },
    },
  ],
  skipped: [{ ruleId: 'pool-connection', missing: ['sockets'] }],
  rulesetHash: 'h',
  toolVersion: '0.1.0',
  now: new Date('2026-11-26T10:00:01Z'),
});

describe('renderText', () => {
  it('shows verdict, evidence, verification, actions and the allowed finding in English', () => {
    const out = renderText(report, { lang: 'en', color: false });
    expect(out).toContain('Verdict: INFECTED');
    expect(out).toContain('open-source miner (confidence high, 1)');
    expect(out).toContain('CRITICAL (1)');
    expect(out).toContain('pid 4242 ppid 1 user www-data exe /tmp/.x/kworker (deleted)');
    expect(out).toContain('argv: [kworker/0:2] -o stratum+tcp://127.0.0.1:3333 --pass \\x1b[31mred\\x1b[0m');
    expect(out).toContain('127.0.0.1:50000 → 127.0.0.1:3333 ESTABLISHED pid 4242 (pool port 3333)');
    expect(out).toContain('Verify by hand\n      Run ls -l /proc/4242/exe');
    expect(out).toContain('1. Stop process tree 4242');
    expect(out).toContain('Allowed by your allowlist (1)');
    expect(out).toContain('allowed by exe /opt/miner (allow.yml)');
    expect(out).toContain('pool-connection: sockets');
  });

  it('speaks Simplified Chinese', () => {
    const out = renderText(report, { lang: 'zh-CN', color: false });
    expect(out).toContain('结论: 已感染');
    expect(out).toContain('严重 (1)');
    expect(out).toContain('矿机命令行');
    expect(out).toContain('人工核实');
  });

  it('prints no escape sequence at all without colour, and colours with it', () => {
    expect(renderText(report, { lang: 'en', color: false })).not.toContain('\x1b');
    expect(renderText(report, { lang: 'en', color: true })).toContain('\x1b[');
  });
});

describe('renderText: the first screen', () => {
  const wallet = '4AMinehunterTestWa11et1111111111111111111111111111111111111111111111111111111111111111111';
  const miner: Finding = {
    ...finding,
    basis: 'running',
    fingerprint: 'miner',
    evidence: [
      {
        type: 'process',
        pid: 26973,
        ppid: 1,
        user: 'root',
        comm: 'kworker',
        exe: '/tmp/.cache/\x1b[2Jkworker',
        argv: ['[kworker/0:2]', '-o', 'stratum+tcp://127.0.0.1:3333', '-u', wallet],
        cpuPercent: 65.4,
      },
      {
        type: 'match',
        field: 'argv[2]',
        value: 'stratum+tcp://127.0.0.1:3333',
        ioc: 'pool URL scheme stratum+tcp://',
      },
      { type: 'match', field: 'argv[4]', value: wallet, ioc: 'iocs/wallet-patterns.yml: monero-standard' },
    ],
  };
  const mention: Finding = {
    ...finding,
    ruleId: 'content-match',
    kind: 'web-script',
    category: 'miner',
    level: 'critical',
    basis: 'mention',
    title: { en: 'Miner strings in a document', 'zh-CN': '文档中的挖矿字符串' },
    message: { en: 'notes.md mentions xmrig', 'zh-CN': 'notes.md 提到 xmrig' },
    evidence: [{ type: 'file', path: '/home/a/notes.md' }],
    fingerprint: 'aaaa',
  };
  const build = (target: Snapshot['target'], findings: Finding[] = [miner, mention]): Report =>
    buildReport({
      snapshot: { ...snapshot, target },
      findings,
      skipped: [],
      rulesetHash: 'h',
      toolVersion: '0.1.0',
      now: new Date('2026-11-26T10:00:01Z'),
    });

  it('states the scope right under the title: live host, offline root or the named paths', () => {
    const live = renderText(build({ root: '/', live: true }), { lang: 'en', color: false }).split('\n');
    expect(live[1]).toBe('Scope: this host (live)');
    const offline = renderText(build({ root: '/mnt/disk', live: false, scope: 'host' }), {
      lang: 'en',
      color: false,
    });
    expect(offline.split('\n')[1]).toBe('Scope: offline root /mnt/disk');
    const paths = build({ root: '/', live: true, scope: 'paths', paths: ['/srv/www', '/tmp/x'] });
    expect(renderText(paths, { lang: 'en', color: false }).split('\n')[1]).toBe(
      "Scope: paths /srv/www, /tmp/x (this host's processes were not scanned; add --host to include them)",
    );
    expect(renderText(paths, { lang: 'zh-CN', color: false }).split('\n')[1]).toBe(
      '范围：路径 /srv/www、/tmp/x（未扫描本机的进程；加上 --host 可一并扫描）',
    );
    expect(renderText(build({ root: '/', live: true }), { lang: 'zh-CN', color: false }).split('\n')[1]).toBe(
      '范围：本机（正在运行的系统）',
    );
  });

  it('shows the running miner with its pool and wallet right after the verdict, then findings, then playbooks', () => {
    // Issue 19: the findings come before the playbooks now (they were after them).
    const out = renderText(build({ root: '/', live: true }), { lang: 'en', color: false });
    const head = [
      'Verdict: INFECTED',
      '  • open-source miner (confidence high, 1)',
      '  • web-page script miner (confidence high, 1)',
      'What is running now',
      '  ● PID 26973 · user root · CPU 65% · /tmp/.cache/\\x1b[2Jkworker',
      `    pool stratum+tcp://127.0.0.1:3333 · wallet ${wallet}`,
      'CRITICAL (2)',
      'What to do, in order: open-source miner',
      'What to do, in order: web-page script miner',
    ].map((line) => {
      const i = out.indexOf(line);
      expect(i, line).toBeGreaterThanOrEqual(0);
      return i;
    });
    expect(head).toEqual([...head].sort((a, b) => a - b));
    expect(out).not.toContain('\x1b[2J');
    const zh = renderText(build({ root: '/', live: true }), { lang: 'zh-CN', color: false });
    expect(zh).toContain('正在运行\n  ● 进程 26973 · 用户 root · CPU 65%');
    expect(zh).toContain(`    矿池 stratum+tcp://127.0.0.1:3333 · 钱包 ${wallet}`);
    expect(zh).toContain('处置步骤（按顺序）：开源矿机程序');
  });

  it('has no running block when nothing runs, and derives it for reports of older versions', () => {
    const none = renderText(build({ root: '/', live: true }, [mention]), { lang: 'en', color: false });
    expect(none).not.toContain('What is running now');
    const old = build({ root: '/', live: true });
    delete old.verdict.running;
    const out = renderText(
      { ...old, findings: old.findings.map(({ basis: _b, ...f }) => f) },
      { lang: 'en', color: false },
    );
    expect(out).toContain('What is running now\n  ● PID 26973');
  });

  it('lists findings within a level in the report order, which puts stronger evidence first', () => {
    const out = renderText(build({ root: '/', live: true }, [miner, mention]), { lang: 'en', color: false });
    expect(out.indexOf('PID 4242 runs a miner')).toBeLessThan(out.indexOf('notes.md mentions xmrig'));
    const reversed = renderText(build({ root: '/', live: true }, [mention, miner]), {
      lang: 'en',
      color: false,
    });
    expect(reversed.indexOf('notes.md mentions xmrig')).toBeLessThan(
      reversed.indexOf('PID 4242 runs a miner'),
    );
  });

  it('shows at most three running processes on the first screen and counts the rest; --verbose shows all', () => {
    // Issue 19: three (was five), so the first screen fits in about 15 lines.
    const many = Array.from({ length: 7 }, (_, i): Finding => ({
      ...miner,
      fingerprint: `m${i}`,
      evidence: [{ type: 'process', pid: 100 + i, ppid: 1, comm: 'x', argv: ['x'] }],
    }));
    const out = renderText(build({ root: '/', live: true }, many), { lang: 'en', color: false });
    expect(out.match(/^ {2}● PID \d+/gm)).toHaveLength(3);
    expect(out).toContain('… and 4 more running: see the findings below');
    const all = renderText(build({ root: '/', live: true }, many), {
      lang: 'en',
      color: false,
      verbose: true,
    });
    expect(all.match(/^ {2}● PID \d+/gm)).toHaveLength(7);
  });
});

describe('renderText: what was not scanned', () => {
  const withSkips = (skipped: Content['skipped'], byReason: Record<string, number>): Report => {
    const content = makeContent({ skipped });
    content.stats.skippedByReason = byReason;
    return buildReport({
      snapshot: { ...snapshot, content },
      findings: [],
      skipped: [],
      rulesetHash: 'h',
      toolVersion: '0.1.0',
      now: new Date('2026-11-26T10:00:01Z'),
    });
  };
  const gaps = withSkips(
    [
      { path: '/srv/big.img', reason: 'too-large', detail: '10737418240 bytes > limit 67108864' },
      { path: '/srv/bomb.zip', reason: 'archive-bomb', detail: 'compression ratio 1024:1' },
      ...Array.from({ length: 7 }, (_, i) => ({
        path: `/srv/p${i}`,
        reason: 'special-file',
        detail: 'fifo',
      })),
    ],
    { 'too-large': 1, 'archive-bomb': 1, 'special-file': 7, empty: 30 },
  );

  it('makes the verdict incomplete and says how to cover each gap', () => {
    const out = renderText(gaps, { lang: 'en', color: false });
    expect(out).toContain('Verdict: NOTHING FOUND, BUT THE SCAN WAS INCOMPLETE');
    expect(out).toContain(
      '  1 not scanned (too-large): raise --max-file-size (in MiB) above its size, or run scan --path on the file',
    );
    expect(out).toMatch(
      / {2}1 not scanned \(archive-bomb\): unpack it by hand .* run scan --path on what it holds/,
    );
  });

  it('lists the skips by reason, gaps first, capped with a count of the rest, policy marked as such', () => {
    const out = renderText(gaps, { lang: 'en', color: false });
    const section = out.slice(out.indexOf('Not scanned (39)'));
    const order = [
      'Not scanned (39)',
      '  2 of them leave part of what was asked for unread',
      '  ● archive-bomb (1): an archive that expands past the safety limits',
      '    /srv/bomb.zip — compression ratio 1024:1',
      '  ● too-large (1): larger than the size limit',
      '    /srv/big.img — 10737418240 bytes > limit 67108864',
      '    To cover it: raise --max-file-size (in MiB) above its size, or run scan --path on the file',
      '  ○ empty (30, by design): an empty file\n    30 not listed',
      '  ○ special-file (7, by design): a device, FIFO or socket: no file content',
      '    /srv/p4 — fifo\n    … and 2 more',
      'Summary:',
    ].map((line) => {
      const i = section.indexOf(line);
      expect(i, line).toBeGreaterThanOrEqual(0);
      return i;
    });
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(section).not.toContain('/srv/p5');
    // No way to cover what is left out by design.
    expect(section.match(/To cover it/g)).toHaveLength(2);
  });

  it('speaks Simplified Chinese', () => {
    const out = renderText(gaps, { lang: 'zh-CN', color: false });
    expect(out).toContain('结论: 未发现威胁，但扫描不完整');
    expect(out).toContain(
      '  1 项未扫描（too-large）：将 --max-file-size（单位 MiB）调到大于该文件，或对该文件运行 scan --path',
    );
    expect(out).toContain('未扫描（39）');
    expect(out).toContain('  ○ special-file（7，按设计跳过）：设备、管道或套接字：没有文件内容');
    expect(out).toContain('    ……另有 2 项');
  });

  it('stays clean with only a FIFO skipped, and has no section when nothing was skipped', () => {
    const fifo = withSkips([{ path: '/srv/pipe', reason: 'special-file', detail: 'fifo' }], {
      'special-file': 1,
    });
    const out = renderText(fifo, { lang: 'en', color: false });
    expect(out).toContain('Verdict: CLEAN');
    expect(out).toContain('Not scanned (1)\n  ○ special-file (1, by design)');
    expect(out).not.toContain('To cover it');
    expect(renderText(withSkips([], {}), { lang: 'en', color: false })).not.toContain('Not scanned');
  });

  it('names a reason it has no text for by itself, as a gap with the general advice', () => {
    const out = renderText(
      withSkips([{ path: '/srv/x', reason: 'partly-scanned-v2' }], { 'partly-scanned-v2': 1 }),
      {
        lang: 'en',
        color: false,
      },
    );
    expect(out).toContain('  ● partly-scanned-v2 (1): partly-scanned-v2\n    /srv/x');
    expect(out).toContain('To cover it: check the file, then run scan --path on it');
  });

  it('keeps hostile paths and reasons inert', () => {
    const out = renderText(
      withSkips([{ path: '/tmp/\x1b[2Jx', reason: 'too-large', detail: '\x1b]0;t\x07' }], { 'too-large': 1 }),
      { lang: 'en', color: false },
    );
    expect(out).not.toContain('\x1b');
    expect(out).toContain('/tmp/\\x1b[2Jx');
  });
});

describe('renderText: one screen first, capped lists, a set width', () => {
  // A realistic infected host: the golden miner-host snapshot (xmrig as root with a pool URL, a
  // disguised kworker talking to a pool, a memfd payload, a preload) run through every detector,
  // its miner given a wallet and 40 arguments, plus a cron entry and 21 miner strings in web files.
  const golden = JSON.parse(
    readFileSync(new URL('../../test/goldens/snapshots/miner-host.json', import.meta.url), 'utf8'),
  ) as Snapshot;
  const wallet = FAKE_WALLET;
  const live: Snapshot = {
    ...golden,
    target: { root: '/', live: true, kind: 'linux-live' },
    processes: (golden.processes ?? []).map((p) =>
      p.pid === 4242
        ? {
            ...p,
            cpuPercent: 97,
            argv: [...p.argv, '-u', wallet, ...Array.from({ length: 30 }, (_, i) => `--opt${i}`)],
          }
        : p,
    ),
  };
  const { findings, skipped } = runDetectors(live, ruleset, detectors);
  const web = (i: number, level: 'critical' | 'high'): Finding => ({
    ...finding,
    ruleId: 'content-match',
    kind: 'web-script',
    level,
    basis: 'executable',
    title: { en: 'Miner script in a web file', 'zh-CN': '网页文件中的挖矿脚本' },
    message: { en: `/var/www/html/p${i}.js loads a miner`, 'zh-CN': `/var/www/html/p${i}.js 加载矿机` },
    evidence: [{ type: 'file', path: `/var/www/html/p${i}.js` }],
    remediate: [{ type: 'quarantine-file', path: `/var/www/html/p${i}.js` }],
    fingerprint: `web${i}`,
  });
  const cron: Finding = {
    ...finding,
    ruleId: 'persistence-cron-miner',
    kind: 'open-source-miner',
    category: 'persistence',
    level: 'high',
    basis: 'autostart',
    title: { en: 'Cron starts a miner', 'zh-CN': 'cron 启动矿机' },
    message: {
      en: 'root’s crontab restarts /opt/miner/xmrig',
      'zh-CN': 'root 的 crontab 会重启 /opt/miner/xmrig',
    },
    evidence: [{ type: 'file', path: '/var/spool/cron/crontabs/root' }],
    remediate: [
      { type: 'remove-cron-line', path: '/var/spool/cron/crontabs/root', line: '* * * * * /opt/miner/xmrig' },
    ],
    fingerprint: 'cron1',
  };
  const extra = [
    cron,
    ...Array.from({ length: 19 }, (_, i) => web(i, 'critical')),
    web(19, 'high'),
    web(20, 'high'),
  ];
  const infected = buildReport({
    snapshot: live,
    findings: [...findings, ...extra],
    skipped,
    rulesetHash: 'h',
    toolVersion: '0.1.0',
    now: new Date('2026-11-26T10:00:01Z'),
  });
  // The same host with one miner running, as a look-alike scan finds it: the other two stopped.
  const oneRunning: Snapshot = {
    ...live,
    processes: (live.processes ?? []).filter((p) => ![1337, 2024].includes(p.pid)),
  };
  const lookalike = buildReport({
    snapshot: oneRunning,
    findings: [...runDetectors(oneRunning, ruleset, detectors).findings, ...extra],
    skipped,
    rulesetHash: 'h',
    toolVersion: '0.1.0',
    now: new Date('2026-11-26T10:00:01Z'),
  });
  const header = (out: string): string[] => out.slice(0, out.indexOf('\n\n')).split('\n');

  it('fits the first screen in 20 lines at 100 columns, naming pid, pool and wallet in the first 10', () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      // Three miners running and four kinds still fit.
      const busy = header(renderText(infected, { lang, color: false, width: 100 }));
      expect(busy.length, busy.join('\n')).toBeLessThanOrEqual(20);
      expect(busy.join('\n')).toContain('4242 · ');
      const out = renderText(lookalike, { lang, color: false, width: 100 });
      const head = header(out);
      expect(head.length, head.join('\n')).toBeLessThanOrEqual(15);
      const first10 = head.slice(0, 10).join('\n');
      expect(first10).toMatch(/(PID|进程) 4242 · /);
      expect(first10).toContain('stratum+tcp://pool.example:3333');
      // Shortened in its middle to fit: its head and tail, as people compare wallets.
      expect(first10).toContain(wallet.slice(0, 20));
      expect(first10).toContain(wallet.slice(-8));
      expect(head.join('\n')).toMatch(/(What starts it again: |会再次启动它的：)\/var\/spool\/cron/);
      expect(head.join('\n')).toMatch(/minehunter respond/);
    }
    const en = header(renderText(lookalike, { lang: 'en', color: false, width: 100 })).join('\n');
    expect(en).toContain('What starts it again: /var/spool/cron/crontabs/root');
    expect(en).toMatch(/Other findings \(\d+\): CRITICAL \d+ · HIGH \d+.* — web-page script miner 21/);
    expect(en).toContain('Next: `minehunter evidence -o DIR` (keep the evidence), then `minehunter respond`');
  });

  it('has no line wider than the width, in either language, coloured or not', () => {
    for (const width of [100, 60]) {
      for (const lang of ['en', 'zh-CN'] as const) {
        for (const color of [false, true]) {
          const out = renderText(infected, { lang, color, width });
          const wide = out.split('\n').filter((l) => displayWidth(l) > width);
          expect(wide, `${lang} at ${width}`).toEqual([]);
        }
      }
    }
    expect(displayWidth('结论: 已感染')).toBe(12);
  });

  it('summarises evidence chains, caps argv and findings with counts, and prints shared steps once', () => {
    const out = renderText(infected, { lang: 'en', color: false });
    expect(out).toContain('Evidence chain: content-match ×19 (CRITICAL), ×2 (HIGH)');
    expect(out).not.toContain('content-match (CRITICAL) → content-match (CRITICAL)');
    expect(out).toContain('--opt2 … (+27 more arguments)');
    expect(out).toMatch(/… and \d+ more at this level: .*content-match ×\d+/);
    const way = 'Find the way in (weak passwords';
    expect(out.split(way)).toHaveLength(2);
    expect(out.indexOf('Then, for every kind above:')).toBeLessThan(out.indexOf(way));
    const zh = renderText(infected, { lang: 'zh-CN', color: false });
    expect(zh).toContain('证据链: content-match ×19 (严重), ×2 (高危)');
    expect(zh).toContain('随后，对以上每种类型：');
    expect(zh).toContain('……（另有 27 个参数）');
  });

  it('restores everything with --verbose: whole chains and argv, every finding, each playbook whole', () => {
    const out = renderText(infected, { lang: 'en', color: false, verbose: true });
    expect(out).toContain('content-match (CRITICAL) → content-match (CRITICAL)');
    expect(out).toContain(`--opt29`);
    expect(out).not.toContain('more arguments');
    expect(out).not.toContain('more at this level');
    expect(out).not.toContain('Then, for every kind above:');
    const kinds = infected.verdict.kinds.filter((k) => k.playbook.length).length;
    expect(out.split('Find the way in (weak passwords')).toHaveLength(kinds + 1);
    for (const f of infected.findings) expect(out).toContain(f.fingerprint);
  });

  it('keeps lines whole without a width (a file or a pipe): the wallet is there in full', () => {
    const out = renderText(infected, { lang: 'en', color: false });
    expect(header(out).join('\n')).toContain(`wallet ${wallet}`);
  });
});
