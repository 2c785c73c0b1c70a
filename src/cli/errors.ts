// Error kinds the CLI maps to exit codes: only cli/ decides how a failure ends the process.
// 130 (128 + SIGINT) is what a shell reports for a program stopped by Ctrl-C: a scan cut short by it
// still prints its report, and ends with that code. 4: `summarize` wrote its overview but left out
// input files that were not reports (each named on stderr).
export const EXIT = { clean: 0, findings: 1, usage: 2, internal: 3, skipped: 4, interrupted: 130 } as const;

/** The user asked for something that cannot work as asked (bad flag value, missing input file). */
export class UsageError extends Error {
  override name = 'UsageError';
}
