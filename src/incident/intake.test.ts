// The intake file: YAML or JSON, every field optional, typos rejected with the field named; prompts
// fill only what is still empty.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyIntake, promptMissing, readIntake } from './intake.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-intake-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readIntake', () => {
  it('reads YAML and JSON alike', async () => {
    const y = path.join(dir, 'a.yml');
    await writeFile(y, 'organization:\n  name: 示例公司\nloss:\n  pricePerKwh: 1.1\n');
    const j = path.join(dir, 'a.json');
    await writeFile(j, JSON.stringify({ organization: { name: '示例公司' }, loss: { pricePerKwh: 1.1 } }));
    const a = await readIntake(y);
    expect(a).toEqual(await readIntake(j));
    expect(a.organization.name).toBe('示例公司');
    expect(a.loss.items).toEqual([]);
  });
  it('names the field of a typo and the file of a broken one', async () => {
    const f = path.join(dir, 'bad.yml');
    await writeFile(f, 'loss:\n  pricePerKwh: cheap\n');
    await expect(readIntake(f)).rejects.toThrow(/loss\.pricePerKwh/);
    await writeFile(f, 'a: [\n');
    await expect(readIntake(f)).rejects.toThrow(/neither YAML nor JSON/);
    await expect(readIntake(path.join(dir, 'missing.yml'))).rejects.toThrow(/cannot read/);
  });
  it('accepts an empty file as an empty intake', async () => {
    const f = path.join(dir, 'empty.yml');
    await writeFile(f, '');
    expect(await readIntake(f)).toEqual(emptyIntake());
  });
});

describe('promptMissing', () => {
  it('asks only for empty fields, in the chosen language, and keeps empty answers empty', async () => {
    const asked: string[] = [];
    const intake = emptyIntake();
    intake.organization.name = 'Given';
    const out = await promptMissing(intake, 'zh-CN', async (q) => {
      asked.push(q);
      return q.startsWith('电话') ? '010-1234' : '';
    });
    expect(asked[0]).toBe('地址: ');
    expect(asked).not.toContain('单位名称: ');
    expect(out.organization).toEqual({ name: 'Given', phone: '010-1234' });
    expect(intake.organization.phone).toBeUndefined();
  });
});
