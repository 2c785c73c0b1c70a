// Objects built on first use, for the zod schemas of the snapshot and the report (issue 17: start-up
// time). Building them is ~half of what zod costs a new process, yet a scan only writes snapshots and
// reports: the schemas validate files read back (`analyze`, fleet reports) and generate the JSON
// Schema docs. The modules that define them are imported for their types and constants on every
// run, so each schema is built the first time something touches it, and then kept.

/**
 * A stand-in for the object `build` returns, built the first time a property of it is read. It is
 * used like the object itself (`Schema.parse(...)`, a member of another schema, `z.infer<typeof
 * Schema>`), so the modules that import a schema need not change. Only reads, `in` and `instanceof`
 * pass through, which is all zod does with a schema it is handed.
 */
export function builtOnFirstUse<T extends object>(build: () => T): T {
  let built: T | undefined;
  const real = (): T => (built ??= build());
  return new Proxy(Object.create(null) as T, {
    get: (_target, key) => Reflect.get(real(), key),
    has: (_target, key) => Reflect.has(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
