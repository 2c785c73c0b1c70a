// Error kinds the CLI maps to exit codes: only cli/ decides how a failure ends the process.
export const EXIT = { clean: 0, findings: 1, usage: 2, internal: 3 } as const;

/** The user asked for something that cannot work as asked (bad flag value, missing input file). */
export class UsageError extends Error {
  override name = 'UsageError';
}
