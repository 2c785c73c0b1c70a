// A file the content scan did not scan, and why: the walker, the scan jobs and the archive reader all
// say it the same way, and this leaf lets them do so without importing each other.
import { errnoCode } from '../util/errors.js';

/** A path that was not scanned, with the reason (`unreadable`, `too-large`, `archive-bomb`…). */
export interface WalkSkip {
  path: string;
  reason: string;
  detail?: string;
}

/** The skip reason for a failed read: permission problems are `unreadable`, the rest `error`. */
export function reasonOf(err: unknown): string {
  const code = errnoCode(err);
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable';
  if (code === 'ELOOP') return 'symlink-loop';
  if (code === 'ENOENT') return 'vanished';
  return 'error';
}
