// Locates the installed project (for iocs/, rules/ and package.json) whether running from src/ via
// tsx or from the compiled dist/: both sit two directories below the project root.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The native directory lister this installation built (engine/dir-lister.ts loads it). */
export function ownNativeAddon(): string {
  return path.join(projectRoot(), 'dist', 'native', 'dirstat.node');
}

let cachedVersion: string | undefined;
export function toolVersion(): string {
  if (cachedVersion === undefined) {
    const pkg = JSON.parse(readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as {
      version?: string;
    };
    cachedVersion = pkg.version ?? '0.0.0';
  }
  return cachedVersion;
}
