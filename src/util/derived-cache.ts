// Where a scan keeps what it derives from the target's own databases to skip re-reading them next
// time (today: which dpkg file lists name which paths, collect/linux/packages/dpkg-index.ts): a
// directory beside the scan cache, set by the command line and off with --no-cache. Unset (tests,
// library callers, --no-cache) nothing is read from or written to disk: every scan reads afresh.
let dir: string | undefined;

/** Sets (or, with undefined, clears) the directory for derived caches. */
export function setDerivedCacheDir(value: string | undefined): void {
  dir = value;
}

/** The directory for derived caches, or undefined when none is to be kept. */
export function derivedCacheDir(): string | undefined {
  return dir;
}
