// Holds V8's young generation at the size it has, for a while or for good. V8 grows it (doubling,
// up to 2 × 16 MB here) whenever many young objects survive a scavenge, as they do while a command
// loads its modules and starts its scan, and every page it grows into is a fresh one. On this class
// of machine (a virtual machine with shadow page tables) a fresh 4 KiB page costs a ~12 µs fault,
// against ~0.5 µs for a page populated in one call: a warm rescan of the content-scan bench tree
// took 640-800 page faults in its ~70 ms, 320-450 of them after the listing, mostly the young
// generation growing. Held at its start (1 MB per semi-space), the young generation reuses the same
// pages and scavenges more often: the warm rescan went from 74 to 69 ms in alternating runs (10
// each), with 140-190 faults after the listing, while the cold content scan (1.38 / 1.37 s) and
// the default scan (0.67 / 0.66 s, same peak RSS) did not move. `--max-semi-space-size` only takes
// effect when node starts (and the single executable takes no node options), but a growth factor
// of 1, set at run time, is read each time V8 would grow the space.
import v8 from 'node:v8';
import { releaseAfter } from './timed-release.js';

/** V8's own growth factor (flag-definitions.h): what a timed hold gives back. */
const V8_GROWTH_FACTOR = 2;

/** Timed holds not yet released. */
let timedHolds = 0;
/** A hold for good (a watcher's) was taken: no timed hold's release undoes it. */
let heldForGood = false;

/**
 * Sets V8's growth factor of the young generation. V8 prints a line on stderr for a flag it does not
 * know rather than throwing; this one has been in V8 since long before Node 20 (flag-definitions.h),
 * though some later V8s raise a factor under 2 to 2, and the hold then changes nothing.
 */
function setGrowthFactor(factor: number): boolean {
  try {
    v8.setFlagsFromString(`--semi-space-growth-factor=${factor}`);
    return true;
  } catch {
    return false; // refused: the young generation grows as before
  }
}

/**
 * Stops the young generation from growing: for `ms` (by an unreferenced timer, which never keeps
 * the process alive), or for the rest of the process when `ms` is undefined. Returns a function
 * that ends a timed hold at once. Holds nest: growth comes back when the last timed hold ends and
 * no hold for good was taken.
 */
export function holdYoungGeneration(ms?: number): () => void {
  if (!setGrowthFactor(1)) return () => undefined;
  if (ms === undefined) {
    heldForGood = true;
    return () => undefined;
  }
  timedHolds++;
  return releaseAfter(ms, () => {
    timedHolds--;
    if (timedHolds === 0 && !heldForGood) setGrowthFactor(V8_GROWTH_FACTOR);
  });
}
