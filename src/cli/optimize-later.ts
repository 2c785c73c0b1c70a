// Imported by the entry (main.ts) before the program's modules: every command runs its first second
// without V8's optimizing compiler (util/optimize-later.ts says why and what it measured).
import { holdOptimizingCompiler } from '../util/optimize-later.js';

/** Long enough for the default scan of a host (~0.9 s here); a longer run optimizes from then on. */
const OPTIMIZE_AFTER_MS = 1000;

holdOptimizingCompiler(OPTIMIZE_AFTER_MS);
