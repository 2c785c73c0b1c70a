// The lint rules that keep the architecture: an upward import (a lower layer importing a higher one)
// and host access from a pure module both fail `npm run lint`. Lints small sources as if they sat at
// the given paths in src/, with the project's own eslint.config.js.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/cli.js';

const eslint = new ESLint({ cwd: REPO_ROOT });

async function importErrors(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: `${REPO_ROOT}/${filePath}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries', () => {
  it('fails an upward import: the engine importing a collector, a snapshot type importing the audit', async () => {
    expect(
      await importErrors('src/engine/x.ts', "export { collectSnapshot } from '../collect/index.js';\n"),
    ).toEqual([expect.stringContaining('Arrows point one way: engine/ (layer 2)')]);
    expect(
      await importErrors('src/snapshot/x.ts', "export type { AuditCheck } from '../audit/types.js';\n"),
    ).toHaveLength(1);
    // Deeper files: the number of `../` to reach src/ decides what the path names.
    expect(
      await importErrors(
        'src/collect/linux/persistence/x.ts',
        "export { renderText } from '../../../report/render-text.js';\n",
      ),
    ).toHaveLength(1);
  });

  it('lets a module import its own layer and the layers below', async () => {
    expect(
      await importErrors('src/engine/x.ts', "export type { Snapshot } from '../snapshot/schema.js';\n"),
    ).toEqual([]);
    expect(
      await importErrors('src/collect/x.ts', "export { downloadExec } from '../shell/command.js';\n"),
    ).toEqual([]);
    // collect/linux/x.ts → ../audit/ is collect's own audit folder, not src/audit.
    expect(
      await importErrors('src/collect/linux/x.ts', "export { collectCron } from '../audit/cron.js';\n"),
    ).toEqual([]);
    expect(await importErrors('src/cli/x.ts', "export { main } from './main.js';\n")).toEqual([]);
  });

  it('keeps pure modules off the host', async () => {
    expect(
      await importErrors(
        'src/detect/x.ts',
        "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      ),
    ).toEqual([expect.stringContaining('Detectors are pure: read facts from the snapshot, not the host.')]);
    expect(
      await importErrors(
        'src/collect/x.ts',
        "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
      ),
    ).toEqual([]);
  });
});
