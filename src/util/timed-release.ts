// The release of something held for a while (V8's optimizing compiler, the young generation's
// growth): called by an unreferenced timer when the time is up (it never keeps the process alive),
// or earlier by the holder; either way once.

/** Runs `release` after `ms`, or at once when the returned function is called first; never twice. */
export function releaseAfter(ms: number, release: () => void): () => void {
  let held = true;
  const releaseOnce = (): void => {
    if (!held) return;
    held = false;
    clearTimeout(timer);
    release();
  };
  const timer = setTimeout(releaseOnce, ms);
  timer.unref();
  return releaseOnce;
}
