// Language choice from --lang and the locale.
import { describe, expect, it } from 'vitest';
import { detectLang, fill, parseLang } from './i18n.js';

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
