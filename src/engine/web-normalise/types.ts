// Shared types and the budget of the web-content normaliser: every decoder gets the same budget
// object, so one hostile file cannot make the decoders together allocate or spin without bound.
import type { Edit } from './literals.js';
import type { Has } from './needles.js';

/** What a file is, as far as the normaliser cares: it picks which decoders run. */
export type WebHint = 'js' | 'html' | 'php' | 'unknown';

export interface NormaliseLimits {
  /** Decoding rounds; content that still decodes after this many is reported as a bomb. */
  maxDepth: number;
  /** Total decoded bytes allowed per file, as a multiple of the input size... */
  outputFactor: number;
  /** ...but never less than this (a small PHP footer may hold a fair-sized payload)... */
  minOutputBytes: number;
  /** ...and never more than this. */
  maxOutputBytes: number;
  /** Wall-clock budget for all decoding of one file. */
  timeBudgetMs: number;
  /** Decoded layers kept per file. */
  maxLayers: number;
  /** Larger inputs are not normalised at all (the raw scan still runs). */
  maxInputBytes: number;
}

export const DEFAULT_NORMALISE_LIMITS: NormaliseLimits = {
  maxDepth: 8,
  outputFactor: 4,
  minOutputBytes: 1024 * 1024,
  maxOutputBytes: 8 * 1024 * 1024,
  timeBudgetMs: 2000,
  maxLayers: 64,
  maxInputBytes: 32 * 1024 * 1024,
};

/** One decoding a decoder found in a text. */
export interface DecodeStep {
  /** What was undone, e.g. "js-string-array", "base64", "php:eval(gzinflate(base64_decode))". */
  technique: string;
  /** The text after decoding: the rewritten text, or the decoded fragments one per line. */
  text: string;
  /** [start, end) ranges of `text` that hold decoded content, for excerpts and cropping. */
  spans: [number, number][];
  /** For a rewrite: its replacements, to carry earlier spans over to the new text. */
  edits?: Edit[];
  /**
   * True when `text` lists decoded pieces (base64 strings, an array's items) beside the code
   * rather than rewriting the code in place: such a text starts a lineage of its own.
   */
  fragment?: boolean;
  /** A binary payload (an embedded WebAssembly module) scanned as bytes, not text. */
  bytes?: Buffer;
}

/** Why decoding stopped early or what it refused to follow. */
export class Budget {
  readonly bombs: string[] = [];
  stopped?: string;
  private timedOut = false;
  private used = 0;
  private readonly deadline: number;

  constructor(
    readonly limits: NormaliseLimits,
    readonly outputBytes: number,
  ) {
    this.deadline = Date.now() + limits.timeBudgetMs;
  }

  /** Bytes a decoder may still produce. */
  get remaining(): number {
    return Math.max(0, this.outputBytes - this.used);
  }

  /** Charges `n` decoded bytes; false (and a bomb noted) when they do not fit. */
  charge(n: number, what: string): boolean {
    if (n > this.remaining) {
      this.bomb(`${what}: ${n} decoded bytes exceed the ${this.outputBytes}-byte output budget`);
      return false;
    }
    this.used += n;
    return true;
  }

  bomb(message: string): void {
    if (this.bombs.length < 16 && !this.bombs.includes(message)) this.bombs.push(message);
  }

  /** Records why decoding gave up on something (the first reason is kept). */
  stop(reason: string): void {
    this.stopped ??= reason;
  }

  /** True once the time budget is spent; the first call records why decoding stopped. */
  expired(): boolean {
    if (this.timedOut) return true;
    if (Date.now() <= this.deadline) return false;
    this.stopped = `time budget of ${this.limits.timeBudgetMs} ms spent`;
    this.timedOut = true;
    return true;
  }
}

/**
 * A decoder reads a text and returns what it could undo; it never executes anything. `has` says
 * whether a word of needles.ts occurs in the text: a decoder whose words are absent returns at once.
 */
export type Decoder = (text: string, budget: Budget, has?: Has) => DecodeStep[];
