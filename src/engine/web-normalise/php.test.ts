// Tests the PHP chain decoder on chains the test encodes itself: base64/gzinflate/gzuncompress/
// str_rot13/strrev nested in any order, literals joined with `.`, a variable holding the payload,
// the sink named in the technique, and a gzinflate bomb reported instead of inflated.
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodePhp } from './php.js';
import { b64, gzcompress, gzdeflate, rot13 } from './test-helpers.js';
import { Budget, DEFAULT_NORMALISE_LIMITS } from './types.js';

const budget = (bytes = 8 << 20): Budget => new Budget(DEFAULT_NORMALISE_LIMITS, bytes);
const INJECTION = '<script src="https://coinhive.com/lib/coinhive.min.js"></script>';

describe('decodePhp', () => {
  it('undoes echo base64_decode(gzinflate(base64_decode(...))) in a footer', () => {
    const payload = b64(gzdeflate(b64(INJECTION)));
    const footer = `<?php wp_footer(); ?>\n<?php echo base64_decode(gzinflate(base64_decode('${payload}'))); ?>\n</body>`;
    const [step] = decodePhp(footer, budget());
    expect(step?.technique).toBe('php:echo(base64_decode(gzinflate(base64_decode)))');
    expect(step?.text).toBe(`<?php wp_footer(); ?>\n<?php echo ${INJECTION}; ?>\n</body>`);
  });

  it('undoes eval chains with rot13, strrev and gzuncompress, any case, literals joined with dots', () => {
    const code = "echo 'hidden miner loader';";
    const enc = b64(gzcompress([...rot13(code)].reverse().join('')));
    const half = enc.length >> 1;
    const src = `<?php @EVAL(str_rot13(strrev(GZUNCOMPRESS(base64_decode('${enc.slice(0, half)}' . "${enc.slice(half)}"))))); ?>`;
    const [step] = decodePhp(src, budget());
    expect(step?.technique).toBe('php:eval(str_rot13(strrev(gzuncompress(base64_decode))))');
    expect(step?.text).toBe(`<?php @EVAL(${code}); ?>`);
  });

  it('follows a variable assigned the payload once', () => {
    const src = `<?php $x = '${b64(gzdeflate('echo "coinhive";'))}'; eval(gzinflate(base64_decode($x))); ?>`;
    expect(decodePhp(src, budget())[0]?.text).toContain('eval(echo "coinhive";)');
  });

  it('leaves binary results and unknown functions alone', () => {
    const png = b64(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
    expect(
      decodePhp(`<?php header('Content-Type: image/png'); echo base64_decode('${png}'); ?>`, budget()),
    ).toEqual([]);
    expect(decodePhp(`<?php echo my_decode('${b64('hello world')}'); ?>`, budget())).toEqual([]);
  });

  it('reports a gzinflate bomb instead of inflating it, quickly', () => {
    const bomb = deflateRawSync(Buffer.alloc(16 << 20)).toString('base64');
    const b = budget(1 << 20);
    const started = Date.now();
    expect(decodePhp(`<?php eval(gzinflate(base64_decode('${bomb}'))); ?>`, b)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(b.bombs).toEqual([
      expect.stringMatching(/^php:gzinflate: output exceeds the 1048576-byte budget left/),
    ]);
  });
});
