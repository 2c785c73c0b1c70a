// What program.ts lends the commands it loads lazily (respond, undo, evidence, report): its scan
// pipeline and option helpers, and the reader of a saved JSON report they share. A leaf of cli/, so
// those command modules import it and not each other.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Lang } from '../model/finding.js';
import { ReportSchema, type Report } from '../report/model.js';
import type { Snapshot } from '../snapshot/schema.js';
import { UsageError } from './errors.js';

/** What program.ts lends the respond commands: its scan pipeline and option helpers. */
export interface RespondDeps {
  lang: Lang;
  /** Collects --root (or /) and analyses it with the user's IOC dirs and allowlists. */
  scan: (opts: Record<string, unknown>) => Promise<{ report: Report; snapshot: Snapshot }>;
  /** Reads and validates a snapshot file (as `analyze` does) and analyses it. */
  analyzeFile: (
    file: string,
    opts: Record<string, unknown>,
  ) => Promise<{ report: Report; snapshot: Snapshot }>;
  addScanOptions: (cmd: Command) => void;
  /** Only --root, --cpu-window, --no-hash: for commands with output formats of their own. */
  addCollectOptions: (cmd: Command) => void;
  setExit: (code: number) => void;
}

export async function readReport(file: string): Promise<Report> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`cannot read report ${file}: ${(error as Error).message}`);
  }
  const parsed = ReportSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new UsageError(
      `${file} is not a minehunter JSON report (${first?.path.join('.') ?? ''}: ${first?.message ?? ''})`,
    );
  }
  return parsed.data;
}
