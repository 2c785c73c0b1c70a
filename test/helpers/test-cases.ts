// Reads the cases of a vitest file with the TypeScript compiler, for meta tests that need more than
// "the text occurs": each `it(…)`/`test(…)` call (inside `describe` blocks too), its name, and how
// many assertions its callback makes. A case whose callback is empty, or only computes without an
// `expect(…).matcher(…)`, counts zero and cannot fail.
import ts from 'typescript';

export interface TestCase {
  /** The name as written; a template's substitutions appear as `${…}`. */
  name: string;
  /** 1-based line of the call. */
  line: number;
  /** `expect(…).matcher(…)` calls anywhere in the callback, nested functions and loops included. */
  assertions: number;
  /** Set when the callback cannot be read: missing (a todo) or not an inline function. */
  problem?: string;
}

/** `it`, `test`, their `.concurrent` forms and `it.each(table)`; `.skip` and `.todo` never run. */
function isCaseCallee(callee: ts.Expression): boolean {
  if (ts.isIdentifier(callee)) return callee.text === 'it' || callee.text === 'test';
  if (ts.isPropertyAccessExpression(callee))
    return callee.name.text === 'concurrent' && isCaseCallee(callee.expression);
  if (ts.isCallExpression(callee) && ts.isPropertyAccessExpression(callee.expression))
    return callee.expression.name.text === 'each' && isCaseCallee(callee.expression.expression);
  return false;
}

function caseName(arg: ts.Expression | undefined): string | undefined {
  if (!arg) return undefined;
  if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) return arg.text;
  if (ts.isTemplateExpression(arg))
    return arg.head.text + arg.templateSpans.map((s) => '${…}' + s.literal.text).join('');
  return undefined;
}

/** `expect(x)` or `expect.soft(x)`, the start of an assertion. */
function isExpectCall(node: ts.CallExpression): boolean {
  const callee = node.expression;
  if (ts.isIdentifier(callee)) return callee.text === 'expect';
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === 'expect' &&
    (callee.name.text === 'soft' || callee.name.text === 'poll')
  );
}

/**
 * True when `expect(…)` is followed by a matcher call: `expect(x).toBe(y)`, `expect(x).not.toThrow()`,
 * `expect(p).resolves.toEqual(v)`. A bare `expect(x);` asserts nothing.
 */
function endsInMatcher(expectCall: ts.CallExpression): boolean {
  let node: ts.Expression = expectCall;
  while (ts.isPropertyAccessExpression(node.parent) && node.parent.expression === node) node = node.parent;
  return node !== expectCall && ts.isCallExpression(node.parent) && node.parent.expression === node;
}

function countAssertions(body: ts.Node): number {
  let count = 0;
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isExpectCall(node) && endsInMatcher(node)) count++;
    ts.forEachChild(node, visit);
  };
  visit(body);
  return count;
}

/** Every case in a test file's source, in source order. */
export function testCases(source: string, fileName = 'cases.test.ts'): TestCase[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const cases: TestCase[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && isCaseCallee(node.expression)) {
      const name = caseName(node.arguments[0]);
      if (name !== undefined) {
        const line = file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
        const callback = node.arguments[1];
        if (!callback) cases.push({ name, line, assertions: 0, problem: 'has no callback' });
        else if (ts.isArrowFunction(callback) || ts.isFunctionExpression(callback))
          cases.push({ name, line, assertions: countAssertions(callback.body) });
        else cases.push({ name, line, assertions: 0, problem: 'has a callback that is not written inline' });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return cases;
}

/**
 * What is wrong with the `<kind>:` cases of a test file (e.g. kind `clean` for `it('clean: …')`):
 * there is none, or one of them makes no assertion. Empty when every such case asserts something.
 */
export function caseProblems(source: string, kind: string, fileName?: string): string[] {
  const named = testCases(source, fileName).filter((c) => c.name.startsWith(`${kind}:`));
  if (named.length === 0) return [`no "${kind}:" case`];
  return named.flatMap((c) => {
    const where = `"${c.name}" (line ${c.line})`;
    if (c.problem) return [`${where} ${c.problem}`];
    return c.assertions === 0 ? [`${where} makes no assertion: no expect(…).matcher(…) call`] : [];
  });
}
