// The whole rule set must match nothing on a clean system: every regular file of this machine's
// /usr/bin and /usr/lib and of the project's own node_modules (files over 64 MiB skipped, as the
// scan's default size limit will). A match here is a false positive someone would see on day one.
import { lstatSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EngineScanError, bundledRulesDir, compileRules, listRuleFiles } from './yara.js';

const MAX_SIZE = 64 * 1024 * 1024;
const ROOTS = ['/usr/bin', '/usr/lib', fileURLToPath(new URL('../../node_modules', import.meta.url))];

/** Regular files under `root`, without following symlinks (they point back into the same trees). */
function* regularFiles(root: string): Generator<{ file: string; size: number }> {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const file = path.join(root, e.name);
    if (e.isDirectory()) yield* regularFiles(file);
    else if (e.isFile()) {
      const { size } = lstatSync(file);
      if (size > 0 && size <= MAX_SIZE) yield { file, size };
    }
  }
}

describe('false positives', () => {
  it('the bundled rules match nothing in /usr/bin, /usr/lib and node_modules', () => {
    const { scanner, problems } = compileRules(listRuleFiles(bundledRulesDir()));
    expect(problems).toEqual([]);
    const hits: string[] = [];
    const unreadable: string[] = [];
    let files = 0;
    let bytes = 0;
    for (const root of ROOTS) {
      for (const { file, size } of regularFiles(root)) {
        try {
          for (const m of scanner.scanFile(file)) {
            hits.push(
              `${m.rule} ${file} ${m.strings.map((s) => `${s.identifier}@${s.offset}=${s.excerpt}`).join(' ')}`,
            );
          }
          files++;
          bytes += size;
        } catch (err) {
          if (!(err instanceof EngineScanError)) throw err;
          unreadable.push(file);
        }
      }
    }
    expect(hits).toEqual([]);
    // Guard against passing vacuously: the trees must really have been scanned.
    expect(files).toBeGreaterThan(5_000);
    expect(bytes).toBeGreaterThan(500 * 1024 * 1024);
    expect(unreadable.length).toBeLessThan(files / 100);
  }, 240_000);
});
