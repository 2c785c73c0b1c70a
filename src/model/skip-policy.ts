// Which content-scan skips are policy (the scope leaves them out by design) and which are gaps in
// what was asked for: the engine keeps room in its skip list for gaps, the verdict calls a scan with
// gaps "incomplete", and the report marks policy skips "by design" — one list for all three.

/**
 * Content-scan skip reasons that leave nothing the user asked for unread, so they never make a verdict
 * "incomplete": what the scope leaves out by design, or what holds no content to scan. They are still
 * listed in the report's "Not scanned". Every other reason is a gap in what was asked for, and so is
 * any reason this list does not know yet: a new kind of skip (a large file scanned only in parts, a
 * new archive limit) counts against "clean" until someone decides here that it is policy. Exclusions
 * that the walker leaves out silently (minehunter's own install, rules and cache; /proc, /sys and
 * /dev; other filesystems without --cross-fs) never reach the skip list and need no entry.
 */
export const POLICY_SKIP_REASONS: readonly string[] = [
  // Devices, FIFOs and sockets hold no file content, and reading one can block or have effects.
  'special-file',
  // Nothing in it to scan.
  'empty',
  // Links are never followed (the files they lead to are walked where they are); a loop is only told.
  'symlink-loop',
  // Removed between the listing and the read: no longer part of what there is to scan.
  'vanished',
  // Another minehunter checkout or install: its rules and samples match themselves.
  'minehunter-install',
  // Another user's minehunter scan cache (known by its name and its header): our own masked data.
  'minehunter-cache',
  // The default scope leaves package managers' stores and archives by name to --full and --path (they
  // cannot run as they are; what runs from them is scanned as a process executable). A user who asks
  // for them gets them.
  'package-store',
  'archive-not-expanded',
  // The rule engine's own memory holds every rule string.
  'rule-engine-process',
  // A notice, not a skip: the entry's name leaves the extraction directory, its contents were scanned.
  'unsafe-archive-path',
];

const POLICY: ReadonlySet<string> = new Set(POLICY_SKIP_REASONS);

/** Whether a content skip of this reason is policy (listed, but no gap in what was asked for). */
export function isPolicySkip(reason: string): boolean {
  return POLICY.has(reason);
}
