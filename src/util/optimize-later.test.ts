// holdOptimizingCompiler: a hot function stays unoptimized while TurboFan is held, and is optimized
// once it is released (V8's own status of the function, read through its natives syntax).
import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { holdOptimizingCompiler } from './optimize-later.js';

v8.setFlagsFromString('--allow-natives-syntax');
// Compiled after the flag is set, so the parser accepts V8's intrinsic.
const optimizationStatus = new Function('f', 'return %GetOptimizationStatus(f)') as (f: unknown) => number;
/** V8's OptimizationStatus bit for a function running TurboFan code. */
const TURBOFANNED = 1 << 6;

let made = 0;
/** A new hot function each time, of its own source (V8 shares what it learnt between equal sources). */
function hotFunction(): (n: number) => number {
  made += 1;
  return new Function(
    'n',
    `/* ${made} */ let s = 0; for (let i = 0; i < n; i++) s = (s * 31 + (i ^ (s >>> 3))) | 0; return s;`,
  ) as (n: number) => number;
}

/** Calls `f` until TurboFan has compiled it or `ms` have passed; whether it was. */
async function runUntilOptimized(f: (n: number) => number, ms: number): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    for (let k = 0; k < 50; k++) f(10_000);
    if (optimizationStatus(f) & TURBOFANNED) return true;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return false;
}

describe('holdOptimizingCompiler', () => {
  it('keeps a hot function unoptimized while held, and lets TurboFan compile it after', async () => {
    const control = hotFunction();
    expect(await runUntilOptimized(control, 5_000)).toBe(true);

    const release = holdOptimizingCompiler(60_000);
    const held = hotFunction();
    try {
      expect(await runUntilOptimized(held, 300)).toBe(false);
    } finally {
      release();
    }
    expect(await runUntilOptimized(held, 5_000)).toBe(true);
  });

  it('releases by itself when its time is up', async () => {
    const start = performance.now();
    holdOptimizingCompiler(400);
    const f = hotFunction();
    expect(await runUntilOptimized(f, 200)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + 450 - performance.now())));
    expect(await runUntilOptimized(f, 5_000)).toBe(true);
  });
});
