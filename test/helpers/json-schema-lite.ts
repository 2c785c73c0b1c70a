// A small JSON Schema validator for the tests of the STIX export: the keywords the OASIS STIX 2.1
// schemas (test/data/stix/schemas) use — $ref to files and #/definitions, allOf/anyOf/oneOf/not,
// if/then, type, required, properties, patternProperties, additionalProperties, enum, const, pattern,
// items, contains, propertyNames and the size bounds. `format` is not checked. Patterns are compiled
// without the `u` flag, as the schemas need (Ajv's `unicodeRegExp: false`). Ajv is not a dependency
// of the project, and these schemas need nothing more.
import { readFileSync } from 'node:fs';
import path from 'node:path';

type Schema = Record<string, unknown> | boolean;

export class SchemaValidator {
  private readonly files = new Map<string, Record<string, unknown>>();
  constructor(private readonly dir: string) {}

  /** The errors of `value` against the schema file (relative to the schema directory); [] when valid. */
  validate(file: string, value: unknown): string[] {
    const full = path.resolve(this.dir, file);
    return this.check(this.load(full), value, full, '$');
  }

  private load(file: string): Record<string, unknown> {
    let s = this.files.get(file);
    if (!s) {
      s = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      this.files.set(file, s);
    }
    return s;
  }

  private resolve(ref: string, file: string): { schema: Schema; file: string } {
    const [rel, fragment] = ref.split('#');
    const target = rel ? path.resolve(path.dirname(file), rel) : file;
    let schema: unknown = this.load(target);
    for (const part of (fragment ?? '').split('/').filter(Boolean))
      schema = (schema as Record<string, unknown>)[part];
    if (schema === undefined) throw new Error(`unresolved $ref ${ref} in ${file}`);
    return { schema: schema as Schema, file: target };
  }

  private check(schema: Schema, v: unknown, file: string, at: string): string[] {
    if (schema === true) return [];
    if (schema === false) return [`${at}: not allowed`];
    const s = schema;
    const errs: string[] = [];
    const sub = (x: Schema, val: unknown, where = at) => this.check(x, val, file, where);
    if (typeof s.$ref === 'string') {
      const r = this.resolve(s.$ref, file);
      errs.push(...this.check(r.schema, v, r.file, at));
    }
    if (s.type !== undefined && !typeMatches(s.type as string | string[], v))
      return [...errs, `${at}: not of type ${String(s.type)}`];
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
      errs.push(`${at}: ${JSON.stringify(v)} not one of ${JSON.stringify(s.enum)}`);
    if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v))
      errs.push(`${at}: not ${JSON.stringify(s.const)}`);
    errs.push(...this.checkCombinators(s, v, file, at));
    if (typeof v === 'string') errs.push(...checkString(s, v, at));
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) errs.push(`${at}: below ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) errs.push(`${at}: above ${s.maximum}`);
    }
    if (Array.isArray(v)) {
      if (typeof s.minItems === 'number' && v.length < s.minItems)
        errs.push(`${at}: fewer than ${s.minItems} items`);
      if (s.items !== undefined)
        v.forEach((item, i) => errs.push(...sub(s.items as Schema, item, `${at}[${i}]`)));
      if (s.contains !== undefined && !v.some((item) => sub(s.contains as Schema, item).length === 0))
        errs.push(`${at}: contains nothing matching`);
    }
    if (v && typeof v === 'object' && !Array.isArray(v))
      errs.push(...this.checkObject(s, v as Record<string, unknown>, file, at));
    return errs;
  }

  private checkCombinators(s: Record<string, unknown>, v: unknown, file: string, at: string): string[] {
    const errs: string[] = [];
    const ok = (x: Schema) => this.check(x, v, file, at).length === 0;
    if (Array.isArray(s.allOf)) for (const x of s.allOf as Schema[]) errs.push(...this.check(x, v, file, at));
    if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some(ok)) {
      const why = (s.anyOf as Schema[]).map((x) => this.check(x, v, file, at).slice(0, 2).join('; '));
      errs.push(`${at}: matches none of anyOf (${why.join(' | ').slice(0, 600)})`);
    }
    if (Array.isArray(s.oneOf)) {
      const n = (s.oneOf as Schema[]).filter(ok).length;
      if (n !== 1) errs.push(`${at}: matches ${n} of oneOf, not exactly 1`);
    }
    if (s.not !== undefined && ok(s.not as Schema)) errs.push(`${at}: matches a "not" schema`);
    if (s.if !== undefined) {
      const branch = ok(s.if as Schema) ? s.then : s.else;
      if (branch !== undefined) errs.push(...this.check(branch as Schema, v, file, at));
    }
    return errs;
  }

  private checkObject(
    s: Record<string, unknown>,
    o: Record<string, unknown>,
    file: string,
    at: string,
  ): string[] {
    const errs: string[] = [];
    for (const key of (s.required as string[] | undefined) ?? [])
      if (!(key in o)) errs.push(`${at}: missing required "${key}"`);
    if (typeof s.minProperties === 'number' && Object.keys(o).length < s.minProperties)
      errs.push(`${at}: fewer than ${s.minProperties} properties`);
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>);
    for (const [key, val] of Object.entries(o)) {
      const where = `${at}.${key}`;
      if (s.propertyNames !== undefined)
        errs.push(...this.check(s.propertyNames as Schema, key, file, where));
      let matched = key in props;
      if (matched) errs.push(...this.check(props[key]!, val, file, where));
      for (const [p, x] of patterns)
        if (new RegExp(p).test(key)) {
          matched = true;
          errs.push(...this.check(x, val, file, where));
        }
      if (!matched && s.additionalProperties !== undefined)
        errs.push(...this.check(s.additionalProperties as Schema, val, file, where));
    }
    return errs;
  }
}

function typeMatches(type: string | string[], v: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) =>
    t === 'integer'
      ? Number.isInteger(v)
      : t === 'array'
        ? Array.isArray(v)
        : t === 'object'
          ? v !== null && typeof v === 'object' && !Array.isArray(v)
          : t === 'null'
            ? v === null
            : typeof v === t,
  );
}

function checkString(s: Record<string, unknown>, v: string, at: string): string[] {
  const errs: string[] = [];
  if (typeof s.pattern === 'string' && !new RegExp(s.pattern).test(v))
    errs.push(`${at}: ${JSON.stringify(v)} !~ /${s.pattern}/`);
  if (typeof s.minLength === 'number' && v.length < s.minLength)
    errs.push(`${at}: shorter than ${s.minLength}`);
  if (typeof s.maxLength === 'number' && v.length > s.maxLength)
    errs.push(`${at}: longer than ${s.maxLength}`);
  return errs;
}
