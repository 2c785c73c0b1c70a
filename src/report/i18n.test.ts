// Language choice from --lang and the locale; the scope line and the running-miner lines in both
// languages; no frame text quotes a dropper one-liner.
import { describe, expect, it } from 'vitest';
import { PLAYBOOKS } from '../classify/playbooks.js';
import { INCIDENT_TEXTS } from '../incident/texts.js';
import { detectLang, fill, messages, parseLang, runningText, scopeText } from './i18n.js';

describe('detectLang', () => {
  it('follows LC_ALL before LANG', () => {
    expect(detectLang({ LC_ALL: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' })).toBe('zh-CN');
    expect(detectLang({ LC_ALL: 'C.UTF-8', LANG: 'zh_CN.UTF-8' })).toBe('en');
    expect(detectLang({ LANG: 'zh_TW.UTF-8' })).toBe('zh-CN');
    expect(detectLang({})).toBe('en');
  });
});

describe('parseLang', () => {
  it('accepts the spellings people type', () => {
    expect(parseLang('zh-CN')).toBe('zh-CN');
    expect(parseLang('zh_cn')).toBe('zh-CN');
    expect(parseLang('en')).toBe('en');
    expect(parseLang('fr')).toBeUndefined();
  });
});

describe('fill', () => {
  it('fills named parameters and leaves unknown ones visible', () => {
    expect(fill('PID {pid} {x}', { pid: 42 })).toBe('PID 42 {x}');
  });
});

describe('scopeText', () => {
  it('names a live host, an offline root or the paths of a path scan', () => {
    expect(scopeText('en', { root: '/', live: true })).toBe('Scope: this host (live)');
    expect(scopeText('en', { root: '/', live: true, scope: 'host' })).toBe('Scope: this host (live)');
    expect(scopeText('zh-CN', { root: '/mnt/disk', live: false })).toBe('范围：离线根目录 /mnt/disk');
    expect(scopeText('en', { root: '/', live: true, scope: 'paths', paths: ['/srv/www', '/tmp/x'] })).toBe(
      "Scope: paths /srv/www, /tmp/x (this host's processes were not scanned; add --host to include them)",
    );
  });
});

describe('runningText', () => {
  it('puts pid, user, CPU and exe on the first line, pools and wallets on the second', () => {
    const p = {
      pid: 4242,
      user: 'www-data',
      comm: 'kworker',
      exe: '/tmp/.x/kworker',
      exeDeleted: true,
      cpuPercent: 97.6,
      level: 'critical' as const,
      pools: ['stratum+tcp://198.51.100.7:3333', '198.51.100.7:3333', '203.0.113.9:14444'],
      wallets: ['4AB'],
    };
    expect(runningText('en', p)).toEqual({
      head: 'PID 4242 · user www-data · CPU 98% · /tmp/.x/kworker (deleted)',
      detail: 'pools stratum+tcp://198.51.100.7:3333, 198.51.100.7:3333 (+1) · wallet 4AB',
    });
    expect(runningText('zh-CN', p)).toEqual({
      head: '进程 4242 · 用户 www-data · CPU 98% · /tmp/.x/kworker (已删除)',
      detail: '矿池 stratum+tcp://198.51.100.7:3333、198.51.100.7:3333 (+1) · 钱包 4AB',
    });
    expect(runningText('en', { pid: 7, comm: 'x', level: 'high', pools: [], wallets: [] })).toEqual({
      head: 'PID 7 · x',
    });
  });
});

describe('frame texts', () => {
  it('describe dropper one-liners instead of quoting them', () => {
    // What rules/droppers-linux.yar looks for: a download or a decoder piped into a shell, chattr flags.
    const oneLiner =
      /(?:curl|wget|base64\s+(?:-d|--decode))[^\n]{0,200}\|\s*(?:ba|da)?sh\b|chattr\s+[-+][aiu]{1,3}\s/;
    const texts = [
      ...Object.values(PLAYBOOKS).flat(),
      ...Object.values(messages),
      ...Object.values(INCIDENT_TEXTS),
    ];
    expect(texts.length).toBeGreaterThan(100);
    for (const text of texts) {
      expect(text.en).not.toMatch(oneLiner);
      expect(text['zh-CN']).not.toMatch(oneLiner);
    }
  });
});
