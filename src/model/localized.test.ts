import { describe, expect, it } from 'vitest';
import { formatMessage, placeholders, t } from './localized.js';

describe('formatMessage', () => {
  it('fills facts and bilingual phrases into each language', () => {
    const m = formatMessage(
      t('{path} has {why} and {count} file(s)', '{path} 使用{why}，有 {count} 个文件'),
      {
        path: '/tmp/.x',
        why: t('a dot name', '点开头名称'),
        count: 3,
      },
    );
    expect(m).toEqual({
      en: '/tmp/.x has a dot name and 3 file(s)',
      'zh-CN': '/tmp/.x 使用点开头名称，有 3 个文件',
    });
  });

  it('throws on a hole without its parameter rather than printing "{path}"', () => {
    expect(() => formatMessage(t('{path}', '{path}'), {})).toThrow(/parameter path is missing/);
  });

  it('lists the holes of a template', () => {
    expect(placeholders('{a} and {b}, {a}')).toEqual(['a', 'b', 'a']);
  });
});
