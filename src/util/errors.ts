// What went wrong with a file system call, as the collectors, the engine and respond report it.

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

/** The process (or file) went away while we read it: normal on a live system, not an error. */
export function isGone(err: unknown): boolean {
  const code = errnoCode(err);
  return code === 'ENOENT' || code === 'ESRCH';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
