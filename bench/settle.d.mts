// Types for settle.mjs, for the TypeScript benchmarks.
export interface Settled {
  waitedS: number;
  idle: number;
  settled: boolean;
}
export function settle(opts?: { maxS?: number; idleAtLeast?: number }): Promise<Settled>;
export function settleNote(s: Settled): string;
