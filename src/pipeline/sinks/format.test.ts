// The records each sink writes, as a receiver parses them: RFC 5424 header and structured data
// (escaped), CEF header and extension (escaped, one key each), octet-counting frames, the
// Falcosidekick shape with Falco's field names, and the sink URI language with its usage errors.
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../model/finding.js';
import type { WatchEvent } from '../watch-state.js';
import { falcoPayload } from './format-falco.js';
import { cef, octetFrame, rfc5424 } from './format-syslog.js';
import { envelopeOf } from './types.js';
import { parseSinkUri, SinkUriError } from './uri.js';

const finding = {
  ruleId: 'miner-command-line',
  kind: 'open-source-miner',
  category: 'miner',
  level: 'critical',
  title: { en: 'Miner command line', 'zh-CN': '挖矿命令行' },
  message: { en: 'PID 4242 runs "xmrig" ] \\ with\na pool', 'zh-CN': 'PID 4242 运行矿工' },
  evidence: [
    {
      type: 'process',
      pid: 4242,
      ppid: 1,
      comm: 'kworker',
      exe: '/tmp/.x/kworker',
      argv: ['kworker', '-o', 'pool:3333'],
    },
    {
      type: 'socket',
      protocol: 'tcp',
      local: '10.0.0.2:40000',
      remote: '198.51.100.9:3333',
      state: 'ESTABLISHED',
      pids: [4242],
    },
    { type: 'file', path: '/tmp/.x/config|a=b.json' },
  ],
  tags: ['attack.t1496'],
  verify: { en: '', 'zh-CN': '' },
  remediate: [],
  fingerprint: '9078f9b8f5a2edb9',
} as unknown as Finding;
const T = new Date('2026-12-03T10:00:00.000Z');
const raised: WatchEvent = {
  event: 'finding',
  first_seen: T.toISOString(),
  fingerprint: finding.fingerprint,
  finding,
};
const resolved: WatchEvent = {
  event: 'resolved',
  fingerprint: finding.fingerprint,
  ruleId: finding.ruleId,
  level: 'critical',
  title: finding.title,
  first_seen: T.toISOString(),
  last_seen: T.toISOString(),
  at: T.toISOString(),
};

describe('syslog records', () => {
  it('writes RFC 5424 with the facts as escaped structured data and a one-line UTF-8 message', () => {
    const a = envelopeOf(raised, 'web-01', T);
    const r = rfc5424(a, 4, 'en');
    // auth (4) * 8 + crit (2) = 34
    expect(r).toMatch(/^<34>1 2026-12-03T10:00:00\.000Z web-01 minehunter \d+ FINDING \[minehunter@32473 /);
    expect(r).toContain(
      ` id="${a.id}" event="finding" fingerprint="9078f9b8f5a2edb9" rule="miner-command-line"`,
    );
    expect(r).toContain(
      'pid="4242" exe="/tmp/.x/kworker" remote="198.51.100.9:3333" path="/tmp/.x/config|a=b.json"',
    );
    expect(r).toContain(
      '] \uFEFFMiner command line: PID 4242 runs "xmrig" ] \\ with a pool (9078f9b8f5a2edb9)',
    );
    expect(r).not.toContain('\n');
    // Same event, same id: a receiver can drop a copy.
    expect(envelopeOf(raised, 'web-01', new Date()).id).toBe(a.id);
    const zh = rfc5424(envelopeOf(resolved, 'web-01', T), 16, 'zh-CN');
    expect(zh).toMatch(/^<134>1 .* RESOLVED \[minehunter@32473 [^\]]*event="resolved"[^\]]*count="0"/);
    expect(zh).toContain('挖矿命令行: 已解决');
  });

  it('escapes SD-PARAM values', () => {
    const odd = { ...raised, fingerprint: 'a"b]c\\d' } as WatchEvent;
    expect(rfc5424(envelopeOf(odd, 'h', T), 4, 'en')).toContain('fingerprint="a\\"b\\]c\\\\d"');
  });

  it('writes CEF with escaped header and extension, one value per key', () => {
    const r = cef(envelopeOf(raised, 'web-01', T), 4, 'en', '0.1.0');
    const body = r.slice(r.indexOf('CEF:'));
    expect(body).toMatch(
      /^CEF:0\|minehunter\|minehunter\|0\.1\.0\|miner-command-line\|Miner command line\|10\|rt=1796292000000 /,
    );
    expect(body).toContain('cs1Label=fingerprint cs1=9078f9b8f5a2edb9');
    expect(body).toContain('spid=4242 sproc=/tmp/.x/kworker');
    expect(body).toContain('dst=198.51.100.9 dpt=3333');
    expect(body).toContain('filePath=/tmp/.x/config|a\\=b.json');
    expect(body.match(/ spid=/g)).toHaveLength(1);
    expect(cef(envelopeOf(resolved, 'h', T), 4, 'en', '0.1.0')).toMatch(/\|0\|rt=/);
  });

  it('frames a record by its length in bytes (RFC 6587 octet counting)', () => {
    expect(octetFrame('é1').toString('utf8')).toBe('3 é1');
  });
});

describe('Falcosidekick payload', () => {
  it("has Falco's alert shape, priorities and field names", () => {
    const p = falcoPayload(envelopeOf(raised, 'web-01', T), 'en');
    expect(Object.keys(p).sort()).toEqual([
      'hostname',
      'output',
      'output_fields',
      'priority',
      'rule',
      'source',
      'tags',
      'time',
    ]);
    expect(p).toMatchObject({
      priority: 'Critical',
      rule: 'Miner command line',
      source: 'minehunter',
      hostname: 'web-01',
      time: T.toISOString(),
    });
    expect(p.output_fields).toMatchObject({
      'proc.pid': 4242,
      'proc.exepath': '/tmp/.x/kworker',
      'proc.cmdline': 'kworker -o pool:3333',
      'fd.rip': '198.51.100.9',
      'fd.rport': 3333,
      'minehunter.fingerprint': '9078f9b8f5a2edb9',
      'minehunter.kind': 'open-source-miner',
    });
    expect(p.tags).toEqual(['minehunter', 'cryptomining', 'attack.t1496']);
    expect(falcoPayload(envelopeOf(resolved, 'h', T), 'en').priority).toBe('Informational');
  });
});

describe('--sink URIs', () => {
  it('reads every sink kind with its defaults and options', () => {
    expect(parseSinkUri('stdout').kind).toBe('stdout');
    expect(parseSinkUri('file:alerts.jsonl')).toMatchObject({
      kind: 'file',
      path: expect.stringMatching(/\/alerts\.jsonl$/),
    });
    expect(parseSinkUri('syslog+udp://10.0.0.5')).toMatchObject({
      transport: 'udp',
      host: '10.0.0.5',
      port: 514,
      format: 'rfc5424',
      facility: 4,
    });
    expect(parseSinkUri('syslog+tls://[::1]?format=cef&facility=local3')).toMatchObject({
      transport: 'tls',
      host: '::1',
      port: 6514,
      format: 'cef',
      facility: 19,
    });
    expect(parseSinkUri('syslog:///dev/log')).toMatchObject({ transport: 'unix', socket: '/dev/log' });
    const hook = parseSinkUri('webhook+https://u:p@hooks.example/x?team=a&backoff=0.5&queue-max=3');
    expect(hook).toMatchObject({
      kind: 'webhook',
      url: 'https://u:p@hooks.example/x?team=a',
      queue: { backoffMs: 500, maxCount: 3 },
    });
    expect(parseSinkUri('falcosidekick+http://127.0.0.1:2801/')).toMatchObject({
      kind: 'falcosidekick',
      url: 'http://127.0.0.1:2801/',
    });
  });

  it('refuses what cannot work, naming the sink', () => {
    for (const bad of [
      'syslog+sctp://h',
      'syslog+udp://h?format=leef',
      'syslog+udp://h?facility=mail2',
      'syslog+tcp://h?retry=3',
      'webhook+ftp://h',
      'kafka://h',
      'file:',
      'syslog:///',
      'webhook+http://h?backoff=-1',
    ])
      expect(() => parseSinkUri(bad), bad).toThrow(SinkUriError);
  });
});
