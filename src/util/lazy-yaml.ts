// The yaml parser, loaded on first use. It is ~70 modules and ~100 ms of CPU in a new process, and a
// default scan parses no YAML at all: the allowlist file is usually absent and the indicator files
// come from their parsed cache (iocs/load.ts), so importing it up front only slowed every start-up.
import { createRequire } from 'node:module';

type Yaml = typeof import('yaml');

let loaded: Yaml | undefined;

/** Loads yaml. Code the single executable runs awaits this before calling a parser that uses yamlNow(). */
export async function loadYaml(): Promise<Yaml> {
  // Node gives a CommonJS package's exports by name and as `default`; a bundle (scripts/bundle.mjs,
  // the single executable) only as `default`.
  const mod = (await import('yaml')) as Yaml & { default?: Yaml };
  loaded ??= mod.default ?? mod;
  return loaded;
}

/**
 * The loaded yaml, for the synchronous parsers. From a checkout (a test calling a parser directly) it
 * is required on the spot; inside the single executable import.meta.url is empty, so there
 * loadYaml() must have run first.
 */
export function yamlNow(): Yaml {
  loaded ??= createRequire(import.meta.url)('yaml') as Yaml;
  return loaded;
}
