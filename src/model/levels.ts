// The severity levels alone, without the zod schemas of model/finding.ts, so the command line can
// offer them as --fail-on choices before it loads anything else (issue 17: start-up time).

export const LEVELS = ['critical', 'high', 'medium', 'low', 'info'] as const;
