// Types for tree-inputs.mjs, so TypeScript tests can share its deterministic PRNG.
export function prng(seed: number): () => number;
export function elfSources(options: { maxBytes: number; limit: number }): string[];
