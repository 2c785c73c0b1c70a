// Paths the kernel can open however deep a tree goes. A path past PATH_MAX (4096 bytes) cannot be
// opened, listed or read by name (ENAMETOOLONG), and a tree of a few dozen long directory names
// gets there: a place to hide a miner from anything that walks by full paths. A directory whose
// children's paths would pass the limit is opened once, and its children are named through the
// descriptor (`/proc/self/fd/N/name`: the lister, and the workers that read files, are threads of
// this process), so every path handed out stays short; the full path is still what is shown.
import { closeSync, constants, openSync } from 'node:fs';

export { SHORT_PATH_BYTES, tooLongToName } from '../util/long-paths.js';

/** At most this many directories held open at once; past it deep paths are left to fail and be reported. */
const MAX_OPEN = 512;

export class ShortPaths {
  private readonly fds: number[] = [];

  constructor(private readonly maxOpen = MAX_OPEN) {}

  /**
   * A short name for the directory at `dirIo` (`/proc/self/fd/N`), opened now (the walker keeps
   * it for the directory's children); undefined when it cannot be opened or too many are open:
   * its children then keep their long paths, and their errors are reported as before.
   */
  open(dirIo: string | Buffer): string | undefined {
    if (this.fds.length >= this.maxOpen) return undefined;
    try {
      // The walker only enters what lstat called a directory: the last component is not followed.
      const fd = openSync(dirIo, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      this.fds.push(fd);
      return `/proc/self/fd/${fd}`;
    } catch {
      return undefined;
    }
  }

  /** How many directories are held open. */
  get held(): number {
    return this.fds.length;
  }

  /** Closes every directory opened; the paths handed out no longer resolve after this. */
  close(): void {
    for (const fd of this.fds.splice(0)) {
      try {
        closeSync(fd);
      } catch {
        // Already closed: nothing to release.
      }
    }
  }
}
