// udev rules that run programs on device events (`RUN+="…"`, `PROGRAM="…"`): a way to start code at
// boot or whenever a device appears. Built-in commands (`RUN{builtin}`) run no program and are skipped.
import type { PersistenceEntry } from '../../../snapshot/persistence.js';
import { logicalLines, type RootReader } from './reader.js';

export const UDEV_DIRS = [
  '/etc/udev/rules.d',
  '/run/udev/rules.d',
  '/lib/udev/rules.d',
  '/usr/lib/udev/rules.d',
];

export function parseUdevRules(text: string, file: string): PersistenceEntry[] {
  const out: PersistenceEntry[] = [];
  for (const l of logicalLines(text)) {
    for (const m of l.text.matchAll(
      /\b(RUN(?:\{program\})?|PROGRAM|IMPORT\{program\})\s*\+?=\s*"((?:[^"\\]|\\.)*)"/g,
    )) {
      out.push({
        place: 'udev',
        file,
        line: l.line,
        text: l.raw,
        user: 'root',
        command: m[2]!,
        schedule: m[1]!,
      });
    }
  }
  return out;
}

export async function collectUdev(
  reader: RootReader,
): Promise<{ entries: PersistenceEntry[]; files: string[] }> {
  const entries: PersistenceEntry[] = [];
  const files: string[] = [];
  const seen = new Set<string>();
  for (const dir of UDEV_DIRS) {
    for (const e of await reader.list(dir)) {
      // A rules file in /etc overrides the one of the same name in /lib: only the first counts.
      if (e.isDir || !e.name.endsWith('.rules') || seen.has(e.name)) continue;
      seen.add(e.name);
      const text = await reader.text(e.path);
      if (text === undefined) continue;
      files.push(e.path);
      entries.push(...parseUdevRules(text, e.path));
    }
  }
  return { entries, files };
}
