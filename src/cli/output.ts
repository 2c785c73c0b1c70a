// Writes command output to stdout or to the file the user named, never leaving a half-written file:
// the text goes to a temporary file beside the target and is renamed over it.
import { rename, writeFile, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from './errors.js';

export async function writeOutput(file: string | undefined, text: string): Promise<void> {
  if (!file || file === '-') {
    await new Promise<void>((resolve, reject) =>
      process.stdout.write(text, (err) => (err ? reject(err) : resolve())),
    );
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
}
