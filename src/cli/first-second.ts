// Imported by the entry (main.ts) before the program's modules: every command runs its first second
// without V8's optimizing compiler (util/optimize-later.ts says why and what it measured) and with
// V8's young generation held at its size (util/young-generation.ts: fresh pages cost more than the
// scavenges they save in a short run).
import { holdOptimizingCompiler } from '../util/optimize-later.js';
import { holdYoungGeneration } from '../util/young-generation.js';

/** Long enough for the default scan of a host (~0.7 s here); a longer run is tuned as V8 tunes it. */
const FIRST_SECOND_MS = 1000;

holdOptimizingCompiler(FIRST_SECOND_MS);
holdYoungGeneration(FIRST_SECOND_MS);
