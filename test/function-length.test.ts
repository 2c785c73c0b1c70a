// Keeps functions in src/ short enough to read in one go (issue 21: at most 120 lines each): a
// function that grows past it holds several ideas and is split along them, as collectProcesses was.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const MAX_LINES = 120;
const SRC = path.resolve(import.meta.dirname, '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [full] : [];
  });
}

/** `file:line name (N lines)` for every function-like node longer than the limit. */
export function longFunctions(file: string, text: string, max = MAX_LINES): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      const name = node.name?.getText(sf) ?? '(anonymous)';
      if (lines > max) out.push(`${path.relative(SRC, file)}:${start + 1} ${name} (${lines} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

describe('function length', () => {
  it(`no function in src/ is longer than ${MAX_LINES} lines`, () => {
    const long = sourceFiles(SRC).flatMap((f) => longFunctions(f, readFileSync(f, 'utf8')));
    expect(long).toEqual([]);
  });

  it('measures a long function, so the check can fail', () => {
    const body = Array.from({ length: MAX_LINES }, (_, i) => `  const v${i} = ${i};`).join('\n');
    expect(longFunctions(path.join(SRC, 'x.ts'), `function big() {\n${body}\n}\n`)).toEqual([
      `x.ts:1 big (${MAX_LINES + 2} lines)`,
    ]);
    expect(longFunctions(path.join(SRC, 'x.ts'), 'const f = () => 1;\n')).toEqual([]);
  });
});
