// The web-content normaliser: undoes the obfuscation layers of a script, page or PHP file so the
// rules can read what a browser or PHP would end up running. It works in rounds: a round applies
// every rewriting decoder once, in order, each to the previous one's output (PHP chains and HTML
// entities first, as they wrap a page's scripts; then string arrays, which need the literals as
// written; packers, escapes, percent-encoding, atob and character codes; concatenations last), and
// the text after the round is one layer. Decoded pieces found beside the code (long base64
// strings, an unresolved array's items, an embedded WebAssembly module) become layers of their own
// and get rounds of their own. A text goes round until nothing changes. All of it is string work on
// the file's bytes: nothing in the file is ever executed. Rounds, output size, layer count and time
// are bounded, and content that would exceed them is reported as a bomb rather than followed.
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { decodeAtobCalls, decodeBase64Blobs, decodeFromCharCode } from './base64.js';
import { decodeJsEscapes, decodePercent } from './escapes.js';
import { decodeHtmlEntities } from './html-entities.js';
import { decodeJsConcat, decodeStringArrays } from './js-strings.js';
import { mapPosition, toBytes } from './literals.js';
import { scanNeedleWords, searchText, type Has } from './needles.js';
import { decodePacker } from './packer.js';
import { decodePhp } from './php.js';
import { candidates, CONCAT_REACH, SUSPICIOUS_CONCAT, type Candidates } from './triggers.js';
import {
  Budget,
  DEFAULT_NORMALISE_LIMITS,
  type DecodeStep,
  type Decoder,
  type NormaliseLimits,
  type WebHint,
} from './types.js';

export interface NormalisedLayer {
  /** What this layer undid. */
  technique: string;
  /** Everything undone from the file as it is to this layer, outermost first. */
  chain: string[];
  depth: number;
  /** The decoded text ('' for a binary layer); cropped to the decoded part and its surroundings. */
  text: string;
  /** What the rules scan: the text's bytes, or a decoded binary (a WebAssembly module). */
  bytes: Buffer;
  /** Where decoded content sits in `text`. */
  spans: [number, number][];
}

export interface NormaliseResult {
  layers: NormalisedLayer[];
  /** The most decoded text, around what was decoded, sanitised for display (about 200 characters). */
  excerpt?: string;
  /** Decodings refused for their size or depth (decompression bombs, endless nesting). */
  bombs?: string[];
  /** Why decoding stopped before it was done (time or layer budget). */
  stopped?: string;
  ms: number;
}

/** In the order a round applies them; see the file header. */
const JS_DECODERS: Decoder[] = [
  decodeStringArrays,
  decodePacker,
  decodeJsEscapes,
  decodePercent,
  decodeAtobCalls,
  decodeFromCharCode,
  decodeJsConcat,
  decodeBase64Blobs,
];
/** Every decoder, in a round's order (HTML entities first): also what triggers.test.ts checks. */
export const PAGE_DECODERS: Decoder[] = [decodeHtmlEntities, ...JS_DECODERS];

const DECODERS: Record<WebHint, Decoder[]> = {
  js: JS_DECODERS,
  html: PAGE_DECODERS,
  php: [decodePhp, ...PAGE_DECODERS],
  unknown: [decodePhp, ...PAGE_DECODERS],
};

/** Text kept on each side of what a rewrite changed; the rest is in the original's scan already. */
const CROP_CONTEXT = 64 * 1024;

/**
 * A rewritten text reduced to the part the round changed and CROP_CONTEXT around it; the rest is
 * the file as it was, which the raw scan reads anyway.
 */
function crop(
  text: string,
  spans: [number, number][],
  changedPart: [number, number] | undefined,
): { text: string; spans: [number, number][] } {
  if (!changedPart || text.length <= 4 * CROP_CONTEXT) return { text, spans };
  const from = Math.max(0, changedPart[0] - CROP_CONTEXT);
  const to = Math.min(text.length, changedPart[1] + CROP_CONTEXT);
  const kept = spans.filter(([a, b]) => a >= from && b <= to);
  return { text: text.slice(from, to), spans: kept.map(([a, b]) => [a - from, b - from]) };
}

/**
 * Where `after` differs from `before`: one span from the first to the last changed character.
 * A round chains several rewrites, so this is what it changed as a whole.
 */
function changed(before: string, after: string): [number, number] {
  let head = 0;
  const max = Math.min(before.length, after.length);
  while (head < max && before.charCodeAt(head) === after.charCodeAt(head)) head++;
  let tail = 0;
  while (
    tail < max - head &&
    before.charCodeAt(before.length - 1 - tail) === after.charCodeAt(after.length - 1 - tail)
  )
    tail++;
  return [head, after.length - tail];
}

function digest(b: Buffer): string {
  return createHash('sha1').update(b).digest('hex');
}

/** Printable ASCII for a report: whitespace runs become one space, anything else an escape. */
export function sanitiseExcerpt(s: string, max = 200): string {
  let out = '';
  for (const ch of s.replace(/\s+/g, ' ')) {
    const c = ch.codePointAt(0) as number;
    out +=
      c >= 0x20 && c < 0x7f
        ? ch
        : c <= 0xff
          ? `\\x${c.toString(16).padStart(2, '0')}`
          : `\\u{${c.toString(16)}}`;
    if (out.length >= max) return out.slice(0, max) + '…';
  }
  return out;
}

interface Pending {
  text: string;
  chain: string[];
  depth: number;
  /** Which words of needles.ts the text holds, when found for it already (the file itself). */
  has?: Has;
  /** The decoders that may find work in the text (triggers.ts), when known (the file itself). */
  only?: Candidates;
}

interface Round {
  /** The text after the round's rewrites, when any of them changed it. */
  text?: string;
  techniques: string[];
  /** Where the round's rewrites put decoded content, carried over to the final text. */
  spans: [number, number][];
  /** The part of the text the round changed, from its first to its last change. */
  changed?: [number, number];
  /** Pieces decoded beside the code, and binaries. */
  side: DecodeStep[];
}

/** Spans kept per round, across its rewrites. */
const MAX_ROUND_SPANS = 1024;

/** Carries spans of a text over a rewrite of it; without the rewrite's edits they are dropped. */
function carry(spans: [number, number][], step: DecodeStep): [number, number][] {
  const edits = step.edits;
  if (!edits) return [];
  return spans.map(([a, b]) => [mapPosition(a, edits), mapPosition(b, edits, true)]);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isQuote(c: number): boolean {
  return c === 0x27 || c === 0x22;
}

/**
 * Whether SUSPICIOUS_CONCAT occurs. Both of its shapes hold a `+` between two quoted strings, so
 * only the surroundings of such a `+` are tried: the pattern itself, tried at every quote and `[`
 * of a bundle, cost more than the rest of the normaliser on clean code.
 */
export function suspiciousConcat(text: string): boolean {
  for (let at = text.indexOf('+'); at >= 0; at = text.indexOf('+', at + 1)) {
    let before = at - 1;
    while (before >= 0 && isSpace(text.charCodeAt(before))) before--;
    if (!isQuote(text.charCodeAt(before))) continue;
    let after = at + 1;
    while (after < text.length && isSpace(text.charCodeAt(after))) after++;
    if (!isQuote(text.charCodeAt(after))) continue;
    if (SUSPICIOUS_CONCAT.test(text.slice(Math.max(0, before - CONCAT_REACH), after + 1))) return true;
  }
  return false;
}

/**
 * Whether folding concatenations is worth a layer: in a decoded text, after another decoder of the
 * same round changed something, or where the concatenations themselves look like obfuscation. In
 * the clean code of an ordinary bundle it would rewrite `x["name"]` by the thousand into layers
 * that reveal nothing and cost a rescan each.
 */
function concatWorthIt(original: string, current: string, decoded: boolean): boolean {
  return decoded || current !== original || suspiciousConcat(current);
}

/** Applies each decoder once, rewrites in sequence; collects side pieces from the texts it passes. */
function round(
  text: string,
  decoders: Decoder[],
  budget: Budget,
  decoded: boolean,
  has?: Has,
  only?: Candidates,
): Round {
  const r: Round = { techniques: [], spans: [], side: [] };
  let current = text;
  // What the text holds, asked once per word; a rewrite makes a new text to ask about.
  let currentHas = has ?? searchText(text);
  for (const decode of decoders) {
    if (budget.expired()) break;
    // What the file's bytes ruled out holds for the text as long as nothing rewrote it.
    if (only && current === text && !only.has(decode)) continue;
    if (decode === decodeJsConcat && !concatWorthIt(text, current, decoded)) continue;
    let steps: DecodeStep[];
    try {
      steps = decode(current, budget, currentHas);
    } catch (err) {
      // A decoder that fails on hostile input costs its own result, not the file's scan.
      budget.stop(`${decode.name} failed: ${(err as Error).message}`);
      continue;
    }
    for (const step of steps) {
      if (step.fragment) {
        r.side.push(step);
        continue;
      }
      current = step.text;
      currentHas = searchText(current);
      r.techniques.push(step.technique);
      r.spans = [...carry(r.spans, step), ...step.spans].slice(-MAX_ROUND_SPANS);
    }
  }
  if (r.techniques.length === 0) return r;
  r.text = current;
  r.changed = changed(text, current);
  return r;
}

/**
 * At the depth limit, finds out whether the text would decode further, with a zero-byte budget so
 * that a decompression stops at once: if so, the nesting is reported as a bomb.
 */
function probeDepth(item: Pending, decoders: Decoder[], budget: Budget): void {
  const probe = new Budget(budget.limits, 0);
  const r = round(item.text, decoders, probe, true, item.has);
  const next = r.techniques[0] ?? r.side[0]?.technique ?? probe.bombs[0]?.split(':').slice(0, 2).join(':');
  if (next === undefined) return;
  const chain = [...item.chain.slice(-2), next].join(' > ');
  budget.bomb(`decoding goes on past depth ${budget.limits.maxDepth} (${chain}), not followed`);
}

/** Output over this multiple of its input, when it does not fit the budget, is reported as a bomb. */
const BOMB_RATIO = 2;

interface Sink {
  /** The file itself: a decoding back to it is no layer. Compared, not hashed, as few are kept. */
  original: Buffer;
  seen: Set<string>;
  layers: NormalisedLayer[];
}

/** Keeps a new decoded text or binary as a layer, within the budgets; the text to go on with. */
function keep(
  sink: Sink,
  budget: Budget,
  parentLength: number,
  layer: Omit<NormalisedLayer, 'bytes'> & { bytes?: Buffer },
): Pending | undefined {
  const bytes = layer.bytes ?? toBytes(layer.text);
  if (bytes.length === sink.original.length && bytes.equals(sink.original)) return undefined;
  const key = digest(bytes);
  if (sink.seen.has(key)) return undefined;
  sink.seen.add(key);
  if (sink.layers.length >= budget.limits.maxLayers) {
    budget.stop(`layer budget of ${budget.limits.maxLayers} reached`);
    return undefined;
  }
  if (bytes.length > budget.remaining) {
    // Decoding that multiplies its input is a bomb; a rewrite of a large file that merely does
    // not fit what is left is not, and only ends the decoding.
    if (bytes.length > parentLength * BOMB_RATIO) budget.charge(bytes.length, layer.chain.join(' > '));
    else budget.stop(`output budget of ${budget.outputBytes} bytes spent`);
    return undefined;
  }
  budget.charge(bytes.length, layer.chain.join(' > '));
  sink.layers.push({ ...layer, bytes });
  return layer.bytes ? undefined : { text: layer.text, chain: layer.chain, depth: layer.depth };
}

/** One round on one text: its rewritten text and its side pieces become layers. */
function expand(item: Pending, decoders: Decoder[], budget: Budget, sink: Sink): Pending[] {
  if (item.depth >= budget.limits.maxDepth) {
    probeDepth(item, decoders, budget);
    return [];
  }
  const r = round(item.text, decoders, budget, item.depth > 0, item.has, item.only);
  const next: Pending[] = [];
  const depth = item.depth + 1;
  if (r.text !== undefined) {
    const { text, spans } = crop(r.text, r.spans, r.changed);
    const technique = r.techniques.join(' + ');
    const p = keep(sink, budget, item.text.length, {
      technique,
      chain: [...item.chain, ...r.techniques],
      depth,
      text,
      spans,
    });
    if (p) next.push(p);
  }
  for (const step of r.side) {
    const chain = [...item.chain, ...r.techniques, step.technique];
    const layer = { technique: step.technique, chain, depth, text: step.text, spans: step.spans };
    const p = keep(sink, budget, item.text.length, step.bytes ? { ...layer, bytes: step.bytes } : layer);
    if (p) next.push(p);
  }
  return next;
}

/** The longest decoded span of the deepest text layers: most likely what was hidden. */
function decodedExcerpt(layers: NormalisedLayer[]): string | undefined {
  const text = layers.filter((l) => l.text.length > 0);
  const depth = Math.max(0, ...text.map((l) => l.depth));
  let best: { layer: NormalisedLayer; span: [number, number] } | undefined;
  for (const layer of text.filter((l) => l.depth === depth)) {
    for (const span of layer.spans.length > 0 ? layer.spans : [[0, layer.text.length] as [number, number]])
      if (!best || span[1] - span[0] > best.span[1] - best.span[0]) best = { layer, span };
  }
  return best && sanitiseExcerpt(best.layer.text.slice(best.span[0]));
}

/** Pieces a large file's text is made of; see latin1. */
const TEXT_PIECE = 512 * 1024;

/**
 * The file's bytes as a latin1 text. A large one is read in pieces joined into one string: Node
 * makes a text of over a megabyte read at once an external string, whose memory the collector
 * frees late (measured: a thread normalising one bundle after another held 70 MB of dead texts,
 * 45 MB when joined from pieces), and a scan worker normalises thousands of files. A file of ASCII
 * only (most bundles; Node checks it with SIMD) reads the same as ASCII, which Node turns into a
 * text without those pieces: on node_modules' web files the pieces cost about a quarter of the
 * normaliser's CPU time (latin1 and joining at about 10 ms per MiB, GC included), ASCII a fraction.
 */
function latin1(data: Buffer): string {
  if (isAscii(data)) return data.toString('ascii');
  if (data.length <= TEXT_PIECE) return data.toString('latin1');
  const pieces: string[] = [];
  for (let at = 0; at < data.length; at += TEXT_PIECE)
    pieces.push(data.toString('latin1', at, Math.min(data.length, at + TEXT_PIECE)));
  return pieces.join('');
}

/** Decodes `data` layer by layer; see the file header for what is undone and how it is bounded. */
export function normaliseWeb(
  data: Buffer,
  hint: WebHint,
  limits: Partial<NormaliseLimits> = {},
): NormaliseResult {
  const started = performance.now();
  const lim = { ...DEFAULT_NORMALISE_LIMITS, ...limits };
  if (data.length > lim.maxInputBytes)
    return { layers: [], stopped: `input of ${data.length} bytes is over ${lim.maxInputBytes}`, ms: 0 };
  // The file's words are found on its bytes in one pass (needles.ts); a latin1 text has them at
  // the same places. A file in which no decoder could find work is left there, before any text is
  // made of it (triggers.ts): most of a site's scripts.
  let text: string | undefined;
  const scan = scanNeedleWords(data, () => (text ??= latin1(data)), hint === 'php' || hint === 'unknown');
  const only = candidates(data, hint, scan);
  if (only?.size === 0) return { layers: [], ms: Math.round(performance.now() - started) };
  return decodeFile(data, text ?? latin1(data), hint, lim, started, scan?.has, only);
}

/**
 * normaliseWeb's rounds over a file some decoder may find work in: apart, as few files get here,
 * so that the compiled normaliseWeb, run for every file, does not carry all of it inlined.
 */
function decodeFile(
  data: Buffer,
  text: string,
  hint: WebHint,
  lim: NormaliseLimits,
  started: number,
  has: Has | undefined,
  only: Candidates | undefined,
): NormaliseResult {
  const outputBytes = Math.min(
    lim.maxOutputBytes,
    Math.max(lim.minOutputBytes, data.length * lim.outputFactor),
  );
  const budget = new Budget(lim, outputBytes);
  const sink: Sink = { original: data, seen: new Set(), layers: [] };
  const decoders = DECODERS[hint];
  let queue: Pending[] = [{ text, chain: [], depth: 0, ...(has ? { has } : {}), ...(only ? { only } : {}) }];
  while (queue.length > 0 && !budget.expired() && sink.layers.length < lim.maxLayers) {
    const next: Pending[] = [];
    for (const item of queue) next.push(...expand(item, decoders, budget, sink));
    queue = next;
  }
  const layers = sink.layers;
  const result: NormaliseResult = { layers, ms: Math.round(performance.now() - started) };
  const excerpt = decodedExcerpt(layers);
  if (excerpt !== undefined) result.excerpt = excerpt;
  if (budget.bombs.length > 0) result.bombs = [...budget.bombs];
  if (budget.stopped) result.stopped = budget.stopped;
  return result;
}
