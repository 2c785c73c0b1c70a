// Tests for wallet detection: shapes from the bundled patterns plus checksums, so real addresses
// are found in pool user names and random tokens of the same shape are not.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../iocs/load.js';
import { base58CheckValid, bech32Valid, findWallets } from './wallets.js';

const { walletPatterns } = await loadRuleset([defaultIocDir()]);
const ids = (text: string) => findWallets(text, walletPatterns).map((m) => [m.entry.value, m.token]);

describe('checksums', () => {
  it('accepts valid Base58Check and bech32/bech32m addresses and rejects a flipped character', () => {
    expect(base58CheckValid('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa')).toBe(true);
    expect(base58CheckValid('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb')).toBe(false);
    expect(base58CheckValid('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy')).toBe(true);
    // BIP-173 and BIP-350 test vectors.
    expect(bech32Valid('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4')).toBe(true);
    expect(bech32Valid('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0')).toBe(true);
    expect(bech32Valid('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5')).toBe(false);
  });
});

describe('findWallets', () => {
  it('finds addresses inside pool user names (wallet.worker, wallet+difficulty)', () => {
    const monero =
      '4AMinehunterTestWa11etNotRea1DoNotSendFundsHere111111111111111111111111111111111111111111111111';
    expect(ids(`${monero}.rig01+50000`)).toEqual([['monero-standard', monero]]);
    expect(ids('bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4.w1')).toEqual([
      ['bitcoin-bech32', 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4'],
    ]);
    expect(ids('--user=0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5/rig')).toEqual([
      ['ethereum', '0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5'],
    ]);
  });

  it('ignores hashes, ids and addresses with a broken checksum', () => {
    expect(ids('sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toEqual([]);
    expect(ids('1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb')).toEqual([]);
    expect(ids('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLz')).toEqual([]);
    expect(ids('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy')).toEqual([
      ['bitcoin-base58', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'],
    ]);
    expect(ids('--session=MzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MA')).toEqual([]);
  });
});
