// builtOnFirstUse: built once, on the first read, and usable as the zod schema it stands in for.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { builtOnFirstUse } from './lazy.js';

describe('builtOnFirstUse', () => {
  it('builds nothing until read, then once', () => {
    let builds = 0;
    const Schema = builtOnFirstUse(() => {
      builds++;
      return z.object({ n: z.number() });
    });
    expect(builds).toBe(0);
    expect(Schema.parse({ n: 1 })).toEqual({ n: 1 });
    expect(Schema.safeParse({ n: 'x' }).success).toBe(false);
    expect(builds).toBe(1);
  });

  it('works as a member of another schema, with instanceof and JSON Schema', () => {
    const Inner = builtOnFirstUse(() => z.enum(['a', 'b']));
    const Outer = builtOnFirstUse(() => z.object({ kind: Inner, list: z.array(Inner).optional() }));
    expect(Inner).toBeInstanceOf(z.ZodEnum);
    expect(Outer.parse({ kind: 'a', list: ['b'] })).toEqual({ kind: 'a', list: ['b'] });
    expect(() => Outer.parse({ kind: 'c' })).toThrow();
    expect(z.toJSONSchema(Outer)).toEqual(
      z.toJSONSchema(z.object({ kind: z.enum(['a', 'b']), list: z.array(z.enum(['a', 'b'])).optional() })),
    );
    expect(Inner.optional().parse(undefined)).toBeUndefined();
  });
});
