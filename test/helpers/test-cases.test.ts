// The test-file reader the detector meta test relies on: an empty or assertion-less case must be told
// apart from one that asserts, wherever the case sits and however its name is quoted.
import { describe, expect, it } from 'vitest';
import { caseProblems, testCases } from './test-cases.js';

describe('testCases', () => {
  it('finds cases at top level and inside describe, with single, double and template quotes', () => {
    const source = [
      "it('clean: top', () => { expect(1).toBe(1); });",
      'describe("d", () => {',
      '  it("findings: nested", () => expect(2).toBe(2));',
      '  for (const id of ["a"]) {',
      '    test(`skipped: ${id} in a loop`, function () { expect(id).not.toBe("b"); });',
      '  }',
      '});',
    ].join('\n');
    expect(testCases(source)).toEqual([
      { name: 'clean: top', line: 1, assertions: 1 },
      { name: 'findings: nested', line: 3, assertions: 1 },
      { name: 'skipped: ${…} in a loop', line: 5, assertions: 1 },
    ]);
  });

  it('counts only expect calls that end in a matcher, nested callbacks and expect.soft included', () => {
    const [c] = testCases(`
      it('clean: many', async () => {
        expect(x);
        expect.assertions(2);
        [1, 2].forEach((n) => expect(n).toBeGreaterThan(0));
        await expect(p).resolves.toEqual([]);
        expect.soft(y, 'message').not.toBeUndefined();
      });`);
    expect(c?.assertions).toBe(3);
  });

  it('reads it.each and it.concurrent, and leaves out it.skip and it.todo, which never run', () => {
    // The modifiers are spliced in so this file itself holds no skipped or todo test.
    const [skip, todo] = ['skip', 'todo'];
    const names = testCases(`
      it.each([1, 2])('clean: each %s', (n) => { expect(n).toBeTruthy(); });
      it.concurrent('clean: concurrent', () => { expect(1).toBe(1); });
      it.${skip}('clean: skipped', () => { expect(1).toBe(1); });
      it.${todo}('clean: todo');
    `).map((c) => c.name);
    expect(names).toEqual(['clean: each %s', 'clean: concurrent']);
  });
});

describe('caseProblems', () => {
  it('passes a clean case that asserts', () => {
    const source = `describe('x', () => {
      it('clean: nothing on a normal host', () => {
        expect(run(snapshot)).toEqual({ findings: [], skipped: [] });
      });
    });`;
    expect(caseProblems(source, 'clean')).toEqual([]);
  });

  it('fails an empty clean case, one without an assertion, and one without a callback', () => {
    const source = `describe('x', () => {
      it('clean: empty', () => {});
      it('clean: computes only', () => { run(snapshot); expect(result); });
      it('clean: asserts', () => { expect(run(snapshot).findings).toEqual([]); });
      it('clean: later');
      it('clean: elsewhere', sharedCase);
    });`;
    expect(caseProblems(source, 'clean')).toEqual([
      '"clean: empty" (line 2) makes no assertion: no expect(…).matcher(…) call',
      '"clean: computes only" (line 3) makes no assertion: no expect(…).matcher(…) call',
      '"clean: later" (line 5) has no callback',
      '"clean: elsewhere" (line 6) has a callback that is not written inline',
    ]);
  });

  it('fails a file without the kind of case, whatever its text mentions', () => {
    const source = `// it('clean: in a comment', () => { expect(1).toBe(1); })
      const s = "it('clean: in a string'";
      it('findings: one', () => { expect(1).toBe(1); });`;
    expect(caseProblems(source, 'clean')).toEqual(['no "clean:" case']);
    expect(caseProblems(source, 'findings')).toEqual([]);
  });
});
