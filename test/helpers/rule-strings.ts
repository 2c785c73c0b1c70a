// For the rule-store tests: the distinctive strings of a rule and IOC set (what an antivirus would
// flag in clear), a search of every file under a directory for them, and a hash of a directory tree
// (names, kinds and contents) to show a refused update left the store exactly as it was.
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/**
 * Quoted strings of the rules' `strings:` sections and the `value:` of indicator entries, at least
 * `min` characters long; the rule names too. Meta text (descriptions, authors) is left out: it is
 * prose, not what a scanner matches.
 */
export function ruleStrings(rulesDir: string, iocDir: string, min = 10): string[] {
  const out = new Set<string>();
  for (const name of readdirSync(rulesDir).filter((n) => /\.yara?$/.test(n))) {
    const text = readFileSync(path.join(rulesDir, name), 'utf8');
    for (const m of text.matchAll(/^\s*\$\w*\s*=\s*"((?:[^"\\\n]|\\.){1,200})"/gm))
      if (!m[1]!.includes('\\') && m[1]!.length >= min) out.add(m[1]!);
    for (const m of text.matchAll(/^\s*rule\s+(\w+)/gm)) out.add(m[1]!);
  }
  for (const name of readdirSync(iocDir).filter((n) => /\.ya?ml$/.test(n))) {
    const text = readFileSync(path.join(iocDir, name), 'utf8');
    for (const m of text.matchAll(/^\s*-?\s*value:\s*['"]?([^'"\n#]+?)['"]?\s*$/gm))
      if (m[1]!.length >= min) out.add(m[1]!);
  }
  return [...out];
}

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(full);
    else if (entry.isFile()) yield full;
  }
}

/** Every (file, string) where one of `strings` appears in clear in a file under `dir`. */
export function clearHits(dir: string, strings: readonly string[]): { file: string; string: string }[] {
  const hits: { file: string; string: string }[] = [];
  for (const file of files(dir)) {
    const bytes = readFileSync(file);
    for (const s of strings) if (bytes.includes(s)) hits.push({ file: path.relative(dir, file), string: s });
  }
  return hits;
}

/** The number of regular files under `dir`. */
export function fileCount(dir: string): number {
  return [...files(dir)].length;
}

/** sha256 over every name, kind and content under `dir` (or "absent" when there is nothing). */
export function hashTree(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = path.join(d, name);
      const st = lstatSync(full);
      hash.update(`${path.relative(dir, full)}\0${st.mode}\0`);
      if (st.isDirectory()) walk(full);
      else if (st.isSymbolicLink()) hash.update(readlinkSync(full));
      else hash.update(readFileSync(full));
    }
  };
  try {
    walk(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  return hash.digest('hex');
}
