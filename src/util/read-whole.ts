// Reads a whole file into one Buffer, as readFileSync does, through the native addon when it is
// built: the addon reads a large file into memory the kernel may back with huge pages, where each
// fresh 4 KiB page of Node's buffer costs a page fault (~12 µs on this VM): the warm rescan's read
// of the scan cache's 1.3 MB index took 4.0-4.5 ms through readFileSync and ~0.5 ms through the
// addon (native/readwhole.c). The bytes are the same either way.
import { readFileSync } from 'node:fs';
import { builtNativeAddon, loadNativeFile } from './paths.js';

type ReadFileWhole = (file: string) => Buffer | number;

let addonRead: ReadFileWhole | null | undefined;

/** The addon's readFileWhole, or null when the addon is not built, turned off or has none. */
function nativeRead(): ReadFileWhole | null {
  if (addonRead !== undefined) return addonRead;
  addonRead = null;
  const file = builtNativeAddon();
  if (file) {
    try {
      const addon = loadNativeFile(file) as { readFileWhole?: ReadFileWhole };
      if (typeof addon.readFileWhole === 'function') addonRead = addon.readFileWhole;
    } catch {
      // Not loadable here (a foreign build): Node reads.
    }
  }
  return addonRead;
}

/**
 * The file's bytes. Any failure of the addon (a missing file, a directory, a file that grew while
 * it was read, a build that has no such function) goes to readFileSync, which throws the error
 * Node would: callers see Node's codes and messages either way.
 */
export function readWhole(file: string): Buffer {
  const read = nativeRead();
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
