// The text edits apply makes: exactly the named line or library goes, nothing else, and a file that no
// longer holds it is refused rather than rewritten.
import { describe, expect, it } from 'vitest';
import { removeLine, removePreloads } from './apply.js';

describe('removeLine', () => {
  it('removes only the matching line and keeps the rest byte for byte', () => {
    expect(removeLine('# jobs\n0 * * * * a\n*/5 * * * * evil\n', '*/5 * * * * evil', 'f')).toBe(
      '# jobs\n0 * * * * a\n',
    );
  });
  it('refuses when the line is gone', () => {
    expect(() => removeLine('0 * * * * a\n', 'evil', '/etc/crontab')).toThrow(/no longer holds/);
  });
});

describe('removePreloads', () => {
  it('drops the named library and keeps others', () => {
    expect(removePreloads('/lib/a.so /usr/local/lib/evil.so\n', ['/usr/local/lib/evil.so'])).toBe(
      '/lib/a.so\n',
    );
  });
  it('asks for removal of the file when nothing is left', () => {
    expect(removePreloads('/usr/local/lib/evil.so\n', ['/usr/local/lib/evil.so'])).toBeNull();
  });
  it('refuses when the library is not listed', () => {
    expect(() => removePreloads('/lib/a.so\n', ['/x.so'])).toThrow(/none of/);
  });
});
