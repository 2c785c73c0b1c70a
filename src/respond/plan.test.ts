// The plan is pure: its order (freeze, archive, kill, persistence, files, block, rescan), merging of
// the same step asked for by several findings, skips that protect the host, and --select.
import { describe, expect, it } from 'vitest';
import type { Action, Evidence, Finding, Level } from '../model/finding.js';
import { buildPlan, parentChain, parseSelection, selectSteps, type PlanStep } from './plan.js';
import { renderKillList, renderPlan } from './render.js';

function finding(
  fingerprint: string,
  remediate: Action[],
  allowed = false,
  level: Level = 'high',
  evidence: Evidence[] = [],
): Finding {
  return {
    ruleId: 'x',
    category: 'miner',
    level,
    title: { en: 't', 'zh-CN': 't' },
    message: { en: 'm', 'zh-CN': 'm' },
    evidence,
    tags: [],
    verify: { en: 'v', 'zh-CN': 'v' },
    remediate,
    fingerprint,
    signals: [],
    ...(allowed ? { allowed: { by: 'exe' as const, value: 'x', source: 'allow.yml' } } : {}),
  };
}

describe('buildPlan', () => {
  const findings = [
    finding('b', [
      { type: 'block-address', address: '203.0.113.9', port: 3333 },
      { type: 'quarantine-file', path: '/tmp/.x/kworker' },
      { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/kworker' },
    ]),
    finding('a', [
      { type: 'kill-process-tree', pid: 4242, exe: '/tmp/.x/kworker' },
      { type: 'remove-authorized-key', path: '/root/.ssh/authorized_keys', line: 'ssh-rsa AAAA evil' },
      { type: 'clear-immutable', path: '/root/.ssh/authorized_keys' },
      { type: 'disable-unit', unit: 'kworker.service', path: '/etc/systemd/system/kworker.service' },
      { type: 'restore-ld-preload', path: '/etc/ld.so.preload', remove: ['/usr/local/lib/libhide.so'] },
      { type: 'block-address', address: '127.0.0.1', port: 3333 },
    ]),
    finding('allowed', [{ type: 'kill-process-tree', pid: 77 }], true),
  ];

  it('orders freeze, archive, kill, immutable, persistence, preload, quarantine, block, rescan', () => {
    const plan = buildPlan(findings, { live: true });
    expect(plan.steps.map((s) => `${s.n}:${s.kind}:${s.action?.type ?? ''}`)).toEqual([
      '1:freeze:kill-process-tree',
      '2:archive:',
      '3:kill:kill-process-tree',
      '4:remove-persistence:clear-immutable',
      '5:remove-persistence:remove-authorized-key',
      '6:remove-persistence:disable-unit',
      '7:restore-ld-preload:restore-ld-preload',
      '8:quarantine:quarantine-file',
      '9:block:block-address',
      '10:block:block-address',
      '11:rescan:',
    ]);
  });

  it('merges a step asked for twice and names both findings; ignores allowed findings', () => {
    const plan = buildPlan(findings, { live: true });
    expect(plan.steps[0]!.findings).toEqual(['a', 'b']);
    expect(plan.steps.some((s) => s.action?.type === 'kill-process-tree' && s.action.pid === 77)).toBe(false);
  });

  it('archives every file a step edits or removes', () => {
    const plan = buildPlan(findings, { live: true });
    expect(plan.steps[1]!.touches.sort()).toEqual([
      '/etc/ld.so.preload',
      '/etc/systemd/system/kworker.service',
      '/root/.ssh/authorized_keys',
      '/tmp/.x/kworker',
    ]);
  });

  it('skips loopback blocks always and firewall blocks on a root that is not the running system', () => {
    const live = buildPlan(findings, { live: true }).steps.filter((s) => s.kind === 'block');
    expect(live.map((s) => Boolean(s.skip))).toEqual([false, true]);
    expect(live[1]!.skip!.en).toContain('loopback');
    const offline = buildPlan(findings, { live: false }).steps.filter((s) => s.kind === 'block');
    expect(offline.every((s) => s.skip)).toBe(true);
    const sinkhole = buildPlan(
      [finding('d', [{ type: 'block-address', address: '203.0.113.9', domain: 'pool.example' }])],
      {
        live: false,
      },
    );
    expect(sinkhole.steps.find((s) => s.kind === 'block')!.skip).toBeUndefined();
    expect(sinkhole.steps.find((s) => s.kind === 'archive')!.touches).toEqual(['/etc/hosts']);
  });

  it('is empty without findings', () => {
    expect(buildPlan([], { live: true }).steps).toEqual([]);
  });
});

describe('--select', () => {
  const plan = buildPlan(
    [
      finding('a', [
        { type: 'kill-process-tree', pid: 9 },
        { type: 'quarantine-file', path: '/tmp/x' },
      ]),
    ],
    { live: true },
  );
  it('keeps the archive step whenever a kept step touches a file', () => {
    expect(selectSteps(plan, [4]).map((s) => s.kind)).toEqual(['archive', 'quarantine']);
    expect(selectSteps(plan, [1, 3]).map((s) => s.kind)).toEqual(['freeze', 'kill']);
  });
  it('parses lists and ranges and rejects the rest', () => {
    expect(parseSelection('1,3-4', 5)).toEqual({ steps: [1, 3, 4], fingerprints: [] });
    expect(() => parseSelection('0', 5)).toThrow(/outside/);
    expect(() => parseSelection('7', 5)).toThrow(/outside/);
    expect(() => parseSelection('a', 5)).toThrow(/not a step/);
  });
});

// Fingerprints as detectors make them: 16 hex digits.
const FP_MEDIUM = '0123456789abcdef';
const FP_HIGH = 'fedcba9876543210';
const FP_DIGITS = '1234567890123456';

function proc(pid: number, exe: string, argv: string[], user = 'root'): Evidence {
  return { type: 'process', pid, ppid: 1, user, comm: base(exe), exe, argv };
}
const base = (exe: string): string => exe.slice(exe.lastIndexOf('/') + 1);
const kill = (pid: number, exe?: string): Action =>
  exe ? { type: 'kill-process-tree', pid, exe } : { type: 'kill-process-tree', pid };
const label = (s: PlanStep): string =>
  `${s.n}:${s.kind}${s.action?.type === 'kill-process-tree' ? `:${s.action.pid}` : ''}`;

describe('safe by default: review steps', () => {
  // A sandbox's sealed memfd helper (medium, idle) next to a real miner (high).
  const helper = finding(FP_MEDIUM, [kill(700, '/memfd:helper')], false, 'medium', [
    proc(700, '/memfd:helper', ['helper', '--sandbox'], 'app'),
  ]);
  const miner = finding(
    FP_HIGH,
    [kill(4242, '/tmp/.x/kworker'), { type: 'quarantine-file', path: '/tmp/.x/kworker' }],
    false,
    'high',
    [proc(4242, '/tmp/.x/kworker', ['[kworker/0:2]', '-o', 'pool:3333'])],
  );

  it('marks steps asked for only by medium/low/info findings as review and leaves them out by default', () => {
    const plan = buildPlan([helper, miner], { live: true });
    expect(plan.steps.map((s) => `${label(s)}:${s.review ? 'review' : 'act'}`)).toEqual([
      '1:freeze:700:review',
      '2:freeze:4242:act',
      '3:archive:act',
      '4:kill:700:review',
      '5:kill:4242:act',
      '6:quarantine:act',
      '7:rescan:act',
    ]);
    expect(plan.steps[0]!.requestedBy).toEqual([{ fingerprint: FP_MEDIUM, level: 'medium' }]);
    expect(selectSteps(plan, undefined).map(label)).toEqual([
      '2:freeze:4242',
      '3:archive',
      '5:kill:4242',
      '6:quarantine',
      '7:rescan',
    ]);
  });

  it('acts on a step that a high finding asks for, even when a medium one asks too', () => {
    const alsoMedium = finding('aaaaaaaaaaaaaaaa', [kill(4242, '/tmp/.x/kworker')], false, 'low');
    const plan = buildPlan([alsoMedium, miner], { live: true });
    const k = plan.steps.find((s) => s.kind === 'kill')!;
    expect(k.review).toBe(false);
    expect(k.requestedBy).toEqual([
      { fingerprint: FP_HIGH, level: 'high' },
      { fingerprint: 'aaaaaaaaaaaaaaaa', level: 'low' },
    ]);
  });

  it('runs nothing by default when every step is a review step', () => {
    const plan = buildPlan([helper], { live: true });
    expect(plan.steps.every((s) => s.review)).toBe(true);
    expect(selectSteps(plan, undefined)).toEqual([]);
  });

  it('a fingerprint selects every step its finding asked for; a review step selected by number runs', () => {
    const plan = buildPlan([helper, miner], { live: true });
    const byFp = selectSteps(plan, parseSelection(FP_MEDIUM, plan));
    expect(byFp.map(label)).toEqual(['1:freeze:700', '4:kill:700']);
    const high = selectSteps(plan, parseSelection(FP_HIGH.toUpperCase(), plan));
    // The quarantine touches a file: the archive comes along.
    expect(high.map(label)).toEqual(['2:freeze:4242', '3:archive', '5:kill:4242', '6:quarantine']);
    expect(selectSteps(plan, parseSelection('1', plan)).map(label)).toEqual(['1:freeze:700']);
  });

  it('selecting the kill step of a process keeps its freeze step', () => {
    const plan = buildPlan([helper, miner], { live: true });
    expect(selectSteps(plan, parseSelection('4', plan)).map(label)).toEqual(['1:freeze:700', '4:kill:700']);
    expect(selectSteps(plan, parseSelection('4,7', plan)).map(label)).toEqual([
      '1:freeze:700',
      '4:kill:700',
      '7:rescan',
    ]);
  });

  it('parses fingerprints beside step numbers, and refuses one no step was asked for by', () => {
    const digits = finding(FP_DIGITS, [kill(9000)], false, 'medium');
    const plan = buildPlan([helper, miner, digits], { live: true });
    expect(parseSelection(`2, ${FP_MEDIUM},${FP_DIGITS}`, plan)).toEqual({
      steps: [2],
      fingerprints: [FP_MEDIUM, FP_DIGITS].sort(),
    });
    expect(() => parseSelection('9999999999999999', plan)).toThrow(/no step of this plan/);
    expect(() => parseSelection('0123456789abcdeg', plan)).toThrow(/not a step number, range or finding/);
  });

  it('carries the process facts of freeze and kill steps for the prompt and the JSON', () => {
    const plan = buildPlan([helper, miner], {
      live: true,
      processes: [{ pid: 4242, user: 'www-data', containerInit: false }],
    });
    expect(plan.steps.find((s) => s.kind === 'kill' && s.process?.pid === 4242)!.process).toEqual({
      pid: 4242,
      ppid: 1,
      user: 'www-data',
      exe: '/tmp/.x/kworker',
      argv: ['[kworker/0:2]', '-o', 'pool:3333'],
    });
    expect(plan.steps[0]!.process).toMatchObject({ pid: 700, user: 'app', exe: '/memfd:helper' });
    // Round trip: what `respond --format json` prints is the plan as is.
    const json = JSON.parse(JSON.stringify(plan.steps)) as PlanStep[];
    expect(json[0]).toMatchObject({
      review: true,
      findings: [FP_MEDIUM],
      requestedBy: [{ level: 'medium' }],
    });
  });

  it('prints review steps marked in both languages', () => {
    const plan = buildPlan([helper, miner], { live: true });
    const en = renderPlan(plan, 'en');
    expect(en).toMatch(/ 1\. Freeze process tree 700.*\n\s+\(review — not run unless selected/);
    expect(en).toContain('--select 4 or --select <fingerprint>');
    expect(en).toContain('asked for by: fedcba9876543210 (HIGH)');
    const zh = renderPlan(plan, 'zh-CN');
    expect(zh).toContain('待复核 — 未选择则不执行');
  });
});

describe('processes that are never signalled', () => {
  const about = (fp: string, pid: number, level: Level = 'high'): Finding =>
    finding(fp, [kill(pid, `/bin/p${pid}`)], false, level, [proc(pid, `/bin/p${pid}`, [`p${pid}`])]);
  const opts = {
    live: true,
    self: 5000,
    ancestors: [4999, 4000],
    processes: [
      { pid: 9, kernelThread: true },
      { pid: 7001, containerInit: true },
    ],
  };
  const skipOf = (plan: ReturnType<typeof buildPlan>, pid: number) =>
    plan.steps
      .filter((s) => s.action?.type === 'kill-process-tree' && s.action.pid === pid)
      .map((s) => s.skip);

  it('gives pid 1, a kernel thread, minehunter, its parent chain and a container init a skip reason', () => {
    const pids = [1, 9, 5000, 4999, 4000, 7001, 8000];
    const plan = buildPlan(
      pids.map((pid) => about(`fp-${pid}`, pid)),
      opts,
    );
    const reasons = Object.fromEntries(pids.map((pid) => [pid, skipOf(plan, pid)]));
    // freeze and kill of each process carry the same reason
    for (const pid of pids) expect(reasons[pid]![0]).toEqual(reasons[pid]![1]);
    expect(reasons[1]![0]!.en).toMatch(/pid 1 is init/);
    expect(reasons[9]![0]!.en).toMatch(/kernel thread/);
    expect(reasons[5000]![0]).toEqual({
      en: 'minehunter itself: not signalled',
      'zh-CN': 'minehunter 自身：不发送信号',
    });
    expect(reasons[4999]![0]!.en).toMatch(/minehunter's own parent chain/);
    expect(reasons[4000]![0]!['zh-CN']).toMatch(/父进程链/);
    expect(reasons[7001]![0]!.en).toMatch(/container's init/);
    expect(reasons[7001]![0]!['zh-CN']).toMatch(/容器的 init/);
    expect(reasons[8000]).toEqual([undefined, undefined]);
    // A skipped step is never in the kill list.
    const list = renderKillList(selectSteps(plan, undefined), 'en');
    expect(list.match(/pid \d+/g)).toEqual(['pid 8000']);
  });

  it('plans a critical finding about a container init or a kernel thread, never pid 1 or its own chain', () => {
    const plan = buildPlan(
      [
        about('c1', 7001, 'critical'),
        about('c2', 9, 'critical'),
        about('c3', 1, 'critical'),
        about('c4', 4999, 'critical'),
      ],
      opts,
    );
    expect(skipOf(plan, 7001)).toEqual([undefined, undefined]);
    expect(skipOf(plan, 9)).toEqual([undefined, undefined]);
    expect(skipOf(plan, 1)[0]!.en).toMatch(/pid 1/);
    expect(skipOf(plan, 4999)[0]!.en).toMatch(/parent chain/);
    // A critical finding about another process that asks to kill the container's init does not count.
    const other = finding('c5', [kill(7001)], false, 'critical', [proc(7002, '/bin/x', ['x'])]);
    expect(skipOf(buildPlan([other], opts), 7001)[0]!.en).toMatch(/container's init/);
  });

  it('walks the parent chain up to, not including, pid 1 and stops at a loop', () => {
    const ppids = new Map([
      [5000, 4999],
      [4999, 4000],
      [4000, 1],
    ]);
    expect(parentChain(5000, (p) => ppids.get(p))).toEqual([4999, 4000]);
    expect(parentChain(10, (p) => (p === 10 ? 11 : 10))).toEqual([11]);
    expect(parentChain(10, () => undefined)).toEqual([]);
  });

  it('lists what will be killed with control characters escaped', () => {
    const hostile = finding('h', [kill(4242, '/tmp/x')], false, 'high', [
      proc(4242, '/tmp/x', ['/tmp/x', '\u001b[31mred\u001b[0m', 'a b']),
    ]);
    const list = renderKillList(selectSteps(buildPlan([hostile], { live: true }), undefined), 'zh-CN');
    expect(list).toContain('以下进程将被终止');
    expect(list).toContain('pid 4242，用户 root，程序 /tmp/x');
    expect(list).toContain("命令行：/tmp/x \\x1b[31mred\\x1b[0m 'a b'");
    expect(list).not.toContain('\u001b');
  });
});
