// Scans web content as written and as decoded: the rules run on the file and on every layer the
// normaliser produced, and a rule first matched in a decoded layer is reported with the chain of
// techniques undone to reach it and a readable excerpt of the decoded text around the match.
import type { RuleMatch, YaraScanner } from '../yara.js';
import { normaliseWeb, sanitiseExcerpt } from './normalise.js';
import type { NormaliseLimits, WebHint } from './types.js';

export interface WebMatch extends RuleMatch {
  /**
   * Techniques undone to reach the text the rule matched, outermost first; empty for the file as
   * it is. For a decoded layer, string offsets count in that layer, not in the file.
   */
  chain: string[];
  /** The decoded text around the first matched string, sanitised, about 200 characters. */
  decodedExcerpt?: string;
}

export interface WebScanResult {
  matches: WebMatch[];
  /** Decoded layers scanned. */
  layers: number;
  /** Decodings refused for size or depth: worth reporting on their own. */
  bombs: string[];
  /** Why decoding (or the scan of a layer) stopped short. */
  stopped?: string;
  decodeMs: number;
}

export interface WebScanOptions {
  limits?: Partial<NormaliseLimits>;
  /** The file's own matches when the caller has scanned it already; it is not scanned again. */
  original?: RuleMatch[];
}

/** Characters of decoded text shown before the match; the rest of the excerpt follows it. */
const EXCERPT_BEFORE = 60;
const EXCERPT_CHARS = 200;

function excerptAt(bytes: Buffer, m: RuleMatch): string {
  const s = m.strings[0];
  const at = s?.offset ?? 0;
  const from = Math.max(0, at - EXCERPT_BEFORE);
  return sanitiseExcerpt(bytes.subarray(from, from + EXCERPT_CHARS * 2).toString('latin1'), EXCERPT_CHARS);
}

function key(m: RuleMatch): string {
  return `${m.namespace}:${m.rule}`;
}

export function scanWebContent(
  scanner: Pick<YaraScanner, 'scanBuffer'>,
  data: Buffer,
  hint: WebHint,
  options: WebScanOptions = {},
): WebScanResult {
  const original = options.original ?? scanner.scanBuffer(data);
  const matches: WebMatch[] = original.map((m) => ({ ...m, chain: [] }));
  const found = new Set(original.map(key));
  const norm = normaliseWeb(data, hint, options.limits);
  const result: WebScanResult = {
    matches,
    layers: norm.layers.length,
    bombs: norm.bombs ?? [],
    decodeMs: norm.ms,
  };
  if (norm.stopped) result.stopped = norm.stopped;
  // Layers come shallowest first, so a rule is reported with the shortest chain that reveals it.
  for (const layer of norm.layers) {
    let found2: RuleMatch[];
    try {
      found2 = scanner.scanBuffer(layer.bytes);
    } catch (err) {
      result.stopped ??= `scan of decoded layer ${layer.chain.join(' > ')} failed: ${(err as Error).message}`;
      continue;
    }
    for (const m of found2) {
      if (found.has(key(m))) continue;
      found.add(key(m));
      matches.push({ ...m, chain: layer.chain, decodedExcerpt: excerptAt(layer.bytes, m) });
    }
  }
  return result;
}
