// Writes command output to stdout or to the file the user named, never leaving a half-written file:
// the text goes to a temporary file beside the target and is renamed over it. Every file written is
// recorded in the registry of minehunter's outputs (util/output-registry.ts), and so is standard
// output when it was redirected to a file, so a later scan does not take a saved report for a miner.
// A target that is not a regular file (`-o /dev/null`, a FIFO, /dev/stdout) is written in place:
// renaming over it would replace the device with a file, breaking the host for everyone.
import { rename, stat, writeFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';

/** Records files minehunter wrote; a registry that cannot be written is said once on stderr. */
export async function registerOutputs(files: { path: string; what: string }[]): Promise<void> {
  const { recordOutputs } = await import('../util/output-registry.js');
  const problem = await recordOutputs(files);
  if (problem && !warned) {
    warned = true;
    process.stderr.write(`minehunter: ${problem}\n`);
  }
}
let warned = false;

export async function writeOutput(
  file: string | undefined,
  text: string,
  what = 'minehunter output',
): Promise<void> {
  if (!file || file === '-') {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
    );
    // The registry (and node:crypto) load when output is written, not with the command line.
    const { stdoutFile } = await import('../util/output-registry.js');
    const redirected = stdoutFile();
    if (redirected) await registerOutputs([{ path: redirected, what }]);
    return;
  }
  const existing = await stat(file).catch(() => undefined);
  if (existing && !existing.isFile()) {
    if (existing.isDirectory()) throw new UsageError(`cannot write ${file}: it is a directory`);
    try {
      await writeFile(file, text);
    } catch (error) {
      throw new UsageError(`cannot write ${file}: ${(error as Error).message}`);
    }
    return;
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw new UsageError(`cannot write ${file}: ${(error as Error).message}`);
  }
  await registerOutputs([{ path: file, what }]);
}

/**
 * Colours by destination: only when the stream the text is written to is a terminal. A file named
 * with `-o` never gets any, even from a terminal; --no-color and NO_COLOR (any non-empty value, as
 * no-color.org says) turn them off; FORCE_COLOR (not 0 or false) turns them on for a pipe, as for
 * `| less -R`. The stream and environment are parameters for the tests.
 */
export function useColor(
  opts: { color: boolean; output?: string },
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  if (!opts.color || env.NO_COLOR) return false;
  if (opts.output !== undefined && opts.output !== '-') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  return Boolean(stream.isTTY);
}

/**
 * Columns to fit the text report to: the terminal's when standard output is one and no `-o` file is
 * named; otherwise none (a file or a pipe keeps its lines whole, for grep and wider windows).
 */
export function outputWidth(
  opts: { output?: string },
  stream: { isTTY?: boolean; columns?: number } = process.stdout,
): number | undefined {
  if (opts.output !== undefined && opts.output !== '-') return undefined;
  if (!stream.isTTY) return undefined;
  return stream.columns && stream.columns > 20 ? stream.columns : 100;
}
