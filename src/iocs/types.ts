// Indicator data as the detectors see it: loaded from iocs/*.yml (see load.ts), every entry with
// its provenance so a reviewer can check where it came from and when.
import type { WindowsNameEntry } from './windows-names.js';
export interface IocEntry {
  /** The indicator itself, normalised (lower-case names and domains). */
  value: string;
  /** Where the indicator is documented publicly (URL or citation). */
  source: string;
  /** When the entry was written or last checked, YYYY-MM-DD. */
  date: string;
  /** The miner family or campaign, e.g. "XMRig", "Kinsing". */
  family?: string;
  note?: string;
  /** The file the entry was loaded from, as `<dir name>/<file name>` (set by the loader; not hashed). */
  file?: string;
}

/** How much one matched indicator weighs on its own: strong hits alone, weak ones only in pairs. */
export type Strength = 'strong' | 'weak';

/**
 * A miner command-line indicator. `option` is a flag that miners take (`--donate-level`);
 * `option-value` an option with a telling value (`-p x`, written as `"-p x"`); `algo-option` a flag
 * whose value names an algorithm (`-a`, `--algo`); `algorithm` such a value (`rx/0`).
 * Both fields are optional so a plain IocEntry still fits; absent means `option` and `weak`.
 */
export interface MinerArgEntry extends IocEntry {
  type?: 'option' | 'option-value' | 'algo-option' | 'algorithm';
  strength?: Strength;
}

export interface PoolPortEntry extends IocEntry {
  port: number;
}

export interface WalletPatternEntry extends IocEntry {
  /** Coin name, e.g. "Monero". */
  coin: string;
  /** An anchored JavaScript regular expression source for one address token. */
  pattern: string;
  /** Checksum the token must pass besides the pattern, so random tokens are not taken for addresses. */
  check?: 'base58check' | 'bech32';
  /** Absent means `weak`: an address of a coin people also hold legitimately counts only with more. */
  strength?: Strength;
}

/** The sha256 of a known miner or dropper file (iocs/hashes*.yml). */
export interface FileHashEntry extends IocEntry {
  /** What the file is, e.g. "XMRig 6.21.0 linux-static x64". */
  name?: string;
  /** The kind of mining trojan the file belongs to, when the list says. */
  kind?: string;
}

/** Everything the detectors match against; pure data, no I/O. */
export interface Ruleset {
  /** Program and executable base names of miners and miner droppers (lower case). */
  minerNames: IocEntry[];
  /** Command-line options and algorithm names that miners take. */
  minerArgs: MinerArgEntry[];
  /** Ports mining pools and their proxies listen on. */
  poolPorts: PoolPortEntry[];
  /** Pool host names (matched in argv and /etc/hosts; never resolved at scan time). */
  poolDomains: IocEntry[];
  /** Pool IP addresses or CIDR ranges. */
  poolAddresses: IocEntry[];
  walletPatterns: WalletPatternEntry[];
  /** sha256 of known miner and dropper files (lower-case hex). */
  fileHashes: FileHashEntry[];
  /**
   * Windows file, service and folder names of documented families (iocs/windows-names*.json, e.g.
   * ProtectionX's service hy5.5). Optional: rulesets built by hand for Linux tests have none.
   */
  windowsNames?: WindowsNameEntry[];
  /** sha256 of the loaded data, for caches and for the report's provenance line. */
  hash: string;
  /** The files the ruleset was loaded from. */
  files: string[];
}
