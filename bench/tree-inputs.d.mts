// Types for tree-inputs.mjs, so TypeScript tests can share its inputs (the PRNG, for one).
export function prng(seed: number): () => number;
export function elfSources(options: { maxBytes: number; limit: number }): string[];
export function textContent(rand: () => number, size: number): Buffer;
export function contentSources(
  rand: () => number,
  elves: string[],
): { text(size: number): Buffer; elfSlice(size: number): Buffer; random(size: number): Buffer };
