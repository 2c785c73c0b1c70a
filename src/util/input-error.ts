// An error in a file the user gave us (allowlist, IOC list, rule file): it names the file and line
// and carries its message in both languages, so the CLI can show it as a usage error (exit 2).
import type { Localized } from '../model/finding.js';

export class InputFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly localized: Localized,
    options?: { cause?: unknown },
  ) {
    super(localized.en, options);
  }
}
