#!/usr/bin/env node
// The minehunter command line's entry. Small on purpose: an ES module's imports all load and compile
// before its first statement runs, so what must start before the program loads is started from this
// module, whose imports are few, and the program (program.ts, ~0.1 s of modules to load) comes after.
// First of all, inside the single executable: refuse a planted NODE_OPTIONS, unpack the addons.
import './start-guard.js';
// Every command: its first second runs without V8's optimizing compiler (short runs never repay it)
// and with V8's young generation held at its size (fresh pages cost more than they save).
import './first-second.js';
// `scan` of this host: the process walk's worker starts booting and the CPU window starts, now.
import './start-ahead.js';
// `watch` only: holds V8's young generation at its starting size for good, before any other module grows it.
import '../pipeline/watch-heap.js';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { isSea } from '../util/sea.js';
import { EXIT } from './errors.js';

// Only run when executed directly (the file, the bundle or the single executable).
const invokedAs = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (
  isSea() ||
  invokedAs.endsWith(`${path.sep}cli${path.sep}main.js`) ||
  invokedAs.endsWith(`${path.sep}cli${path.sep}main.ts`)
) {
  // `minehunter scan | head`: a reader that goes away is not an error of ours.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  import('./program.js')
    .then(({ main }) => main(process.argv.slice(2)))
    .then(
      (code) => {
        process.exitCode = code;
      },
      (error: unknown) => {
        process.stderr.write(`minehunter: internal error: ${String(error)}\n`);
        process.exitCode = EXIT.internal;
      },
    );
}
