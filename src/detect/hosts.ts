// Host names in a command line, found in time linear in its length. The command line is the
// miner's own text: the regex this replaces, `(?:label\.)+tld` with labels and a tld of letters
// and digits, backtracked through every label for each start in a run like "a.a.a.…" whose last
// part cannot end a host (12 s for 128 KB; a command line may hold 2 MB), so a miner could stall
// the scan that looks for it. Here each run of name characters is cut into its dot-separated
// segments once, and every start is answered from what those segments allow.

import { isAlnumCode, isAsciiLetter } from '../util/ascii.js';

/** What one regex, applied globally, finds (kept as the definition; see the test comparing them). */
export const HOST_PATTERN = /(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}/gi;

const NAME_RUN = /[a-z0-9.-]+/gi;

/** The dot-separated segments of a run of [a-z0-9.-] and what each allows. */
interface Segments {
  start: number[];
  end: number[];
  /** How many segments from this one on are whole labels, each followed by a dot. */
  chain: number[];
  /** The last segment at or before this one that can end a host (a letter, then one more). */
  lastTld: number[];
}

function segmentsOf(run: string): Segments {
  const start: number[] = [];
  const end: number[] = [];
  let at = 0;
  for (;;) {
    const dot = run.indexOf('.', at);
    start.push(at);
    end.push(dot < 0 ? run.length : dot);
    if (dot < 0) break;
    at = dot + 1;
  }
  const n = start.length;
  const label = (s: number): boolean => {
    const a = start[s] as number;
    const b = end[s] as number;
    return b > a && b - a <= 63 && isAlnumCode(run.charCodeAt(a)) && isAlnumCode(run.charCodeAt(b - 1));
  };
  const chain = new Array<number>(n + 1).fill(0);
  // The last segment has no dot after it: it can end a host but never be one of its labels.
  for (let s = n - 2; s >= 0; s--) chain[s] = label(s) ? 1 + (chain[s + 1] as number) : 0;
  const lastTld: number[] = [];
  for (let s = 0; s < n; s++) {
    const a = start[s] as number;
    const tld = (end[s] as number) - a >= 2 && isAsciiLetter(run.charCodeAt(a));
    lastTld.push(tld ? s : s > 0 ? (lastTld[s - 1] as number) : -1);
  }
  return { start, end, chain, lastTld };
}

/** HOST_PATTERN's matches in one run of name characters, in order. */
function hostsInRun(run: string, out: string[]): void {
  const seg = segmentsOf(run);
  let s = 0;
  let p = 0;
  while (p < run.length) {
    while ((seg.end[s] as number) < p && s < seg.start.length - 1) s++;
    if ((seg.end[s] as number) === p) {
      // A dot: no label starts here.
      p++;
      continue;
    }
    // The first label runs from p to the segment's end; then the chain of whole labels after it;
    // the host ends with the last segment in reach that can end one, as the regex backtracks to.
    const segEnd = seg.end[s] as number;
    const first =
      s < seg.start.length - 1 &&
      segEnd - p <= 63 &&
      isAlnumCode(run.charCodeAt(p)) &&
      isAlnumCode(run.charCodeAt(segEnd - 1));
    const reach = s + 1 + (seg.chain[s + 1] as number);
    const tld = first ? (seg.lastTld[reach] as number) : -1;
    if (tld <= s) {
      p++;
      continue;
    }
    const tldStart = seg.start[tld] as number;
    const hostEnd = tldStart + Math.min(63, (seg.end[tld] as number) - tldStart);
    out.push(run.slice(p, hostEnd));
    p = hostEnd;
  }
}

/** The host names in `text`: what `text.match(HOST_PATTERN)` gives, without its backtracking. */
export function hostsIn(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(NAME_RUN)) if (m[0].includes('.')) hostsInRun(m[0], out);
  return out;
}
