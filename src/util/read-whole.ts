// Reads a whole file into one Buffer, as readFileSync does, through the native addon when it is
// built: the addon reads a large file into memory the kernel may back with huge pages, where each
// fresh 4 KiB page of Node's buffer costs a page fault (~12 µs on this VM): the warm rescan's read
// of the scan cache's 1.3 MB index took 4.0-4.5 ms through readFileSync and ~0.5 ms through the
// addon (native/readwhole.c). The bytes are the same either way.
import { readFileSync } from 'node:fs';
import { nativeFunction } from './paths.js';

type ReadFileWhole = (file: string) => Buffer | number;

/** The addon's readFileWhole, looked up once; null without it. */
let addonRead: ReadFileWhole | null | undefined;

/**
 * The file's bytes. Any failure of the addon (a missing file, a directory, a file that grew while
 * it was read, a build that has no such function) goes to readFileSync, which throws the error
 * Node would: callers see Node's codes and messages either way.
 */
export function readWhole(file: string): Buffer {
  if (addonRead === undefined) addonRead = nativeFunction<ReadFileWhole>('readFileWhole') ?? null;
  const read = addonRead;
  if (read) {
    try {
      const bytes = read(file);
      if (typeof bytes !== 'number') return bytes;
    } catch {
      // Refused by this Node (external buffers): Node reads.
    }
  }
  return readFileSync(file);
}
