// Tests for the registry of minehunter's outputs: a recorded file is found by its path and current
// hash, a changed file or another path is not, bad lines are ignored, and a registry that cannot be
// written is reported without failing; the registry stays small, forgetting files that are gone.
import { appendFile, chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPACT_AT,
  findOutput,
  KEEP,
  loadOutputRegistry,
  recordOutputs,
  registryPath,
} from './output-registry.js';

let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-registry-'));
  env = { MINEHUNTER_STATE_DIR: path.join(dir, 'state') };
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const SHA_OF_REPORT = 'c4b5ea0cfa1b1c5f2a6a9bde2c4e39a3bbbf8e1c4a0b5f0b3c1bb51fd8d6a7e5';

describe('output registry', () => {
  it('finds a recorded file by path and content, and not after it changed', async () => {
    const file = path.join(dir, 'report.json');
    await writeFile(file, '{"findings":[]}\n');
    const now = new Date('2026-12-01T10:00:00Z');
    expect(await recordOutputs([{ path: file, what: 'scan report (json)' }], { now, env })).toBeUndefined();
    const registry = loadOutputRegistry(env);
    const [record] = registry.get(file) ?? [];
    expect(record).toMatchObject({ path: file, what: 'scan report (json)', writtenAt: now.toISOString() });
    expect(findOutput(registry, file, record!.sha256)).toBe(record);
    expect(findOutput(registry, file, SHA_OF_REPORT)).toBeUndefined();
    expect(findOutput(registry, path.join(dir, 'copy.json'), record!.sha256)).toBeUndefined();

    // The same path rewritten: the newest record answers for the new content, the old one for the old.
    await writeFile(file, '{"findings":[1]}\n');
    await recordOutputs([{ path: file, what: 'scan report (json)' }], { env });
    const again = loadOutputRegistry(env);
    expect(again.get(file)).toHaveLength(2);
    expect(findOutput(again, file, record!.sha256)).toEqual(record);
  });

  it('skips files that do not exist and lines that are not records', async () => {
    await recordOutputs([{ path: path.join(dir, 'missing.txt'), what: 'x' }], { env });
    await appendFile(registryPath(env), 'not json\n{"path":"/x","sha256":"short"}\n');
    const registry = loadOutputRegistry(env);
    expect(registry.has(path.join(dir, 'missing.txt'))).toBe(false);
    expect(registry.has('/x')).toBe(false);
  });

  it('stays bounded: past its size it keeps the newest live files only, and still finds them', async () => {
    const own = { MINEHUNTER_STATE_DIR: path.join(dir, 'bounded-state') };
    const saved = path.join(dir, 'saved');
    await mkdir(saved);
    const record = (p: string, i: number): string =>
      JSON.stringify({
        path: p,
        sha256: 'a'.repeat(64),
        size: 1,
        writtenAt: `t${i}`,
        what: 'scan report (json)',
      });
    // KEEP + 5 reports that still exist, oldest first, then enough deleted ones to pass the size.
    const live: string[] = [];
    for (let i = 0; i < KEEP + 5; i++) {
      const p = path.join(saved, `r${i}.json`);
      await writeFile(p, `${i}\n`);
      live.push(record(p, i));
    }
    const gone: string[] = [];
    for (let i = 0; gone.join('\n').length < COMPACT_AT; i++)
      gone.push(record(path.join(dir, 'gone', `${i}.json`), i));
    await mkdir(path.dirname(registryPath(own)), { recursive: true });
    await writeFile(registryPath(own), [...live, ...gone].join('\n') + '\n');

    const latest = path.join(dir, 'latest.json');
    await writeFile(latest, '{"findings":[]}\n');
    expect(await recordOutputs([{ path: latest, what: 'scan report (json)' }], { env: own })).toBeUndefined();

    expect((await stat(registryPath(own))).size).toBeLessThan(COMPACT_AT);
    const registry = loadOutputRegistry(own);
    expect(registry.size).toBe(KEEP);
    expect(registry.has(latest)).toBe(true); // the report just written
    expect(registry.has(path.join(saved, `r${KEEP + 4}.json`))).toBe(true); // the newest saved ones
    expect(registry.has(path.join(saved, 'r0.json'))).toBe(false); // the oldest, past KEEP
    expect([...registry.keys()].some((p) => p.includes(`${path.sep}gone${path.sep}`))).toBe(false);
  });

  it('a registry that cannot be written is said, and the command goes on', async () => {
    const blocked = path.join(dir, 'blocked');
    await writeFile(blocked, 'a file where the state directory should be');
    await chmod(blocked, 0o400);
    const file = path.join(dir, 'r.txt');
    await writeFile(file, 'report\n');
    const problem = await recordOutputs([{ path: file, what: 'scan report (text)' }], {
      env: { MINEHUNTER_STATE_DIR: path.join(blocked, 'state') },
    });
    expect(problem).toMatch(/cannot record minehunter's outputs/);
  });
});
