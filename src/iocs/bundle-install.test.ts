// Installing and rolling back signed bundles: an installed bundle is masked on disk yet becomes the
// set the scan reads; every refusal (foreign key, changed file, truncated file, downgrade) says why
// in both languages and leaves the store byte-identical; rollback switches back to the set the last
// update replaced and never below the built-in rules.
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { clearHits, fileCount, hashTree, ruleStrings } from '../../test/helpers/rule-strings.js';
import { compileRules, listRuleFiles } from '../engine/yara.js';
import { BUILT_IN, bundleStoreDir, installedSet } from './bundle-store.js';
import { builtInDate, installBundle, rollbackBundle, updateBundle } from './bundle-install.js';
import { BundleError, activeSet, packBundle, shippedDirs, verifyBundle } from './bundle.js';
import { loadRuleset } from './load.js';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'minehunter-bundle-install-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const env = () => ({ XDG_DATA_HOME: path.join(tmp, 'data'), HOME: tmp });
const store = () => bundleStoreDir(env());
const signer = generateKeyPairSync('ed25519');
const pack = (version: string, opts: { now?: Date; privateKey?: typeof signer.privateKey } = {}) =>
  packBundle({ privateKey: opts.privateKey ?? signer.privateKey, version, now: opts.now, ...shippedDirs() });
const install = (version: string, opts: { now?: Date; force?: boolean } = {}) =>
  updateBundle(pack(version, opts).bytes, [signer.publicKey], `${version}.mhb`, {
    env: env(),
    force: opts.force,
  });

/** The refusal's message in both languages; fails the test when `fn` does not refuse. */
async function refusal(fn: () => Promise<unknown>): Promise<{ en: string; zh: string }> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(BundleError);
    const { en, 'zh-CN': zh } = (error as BundleError).localized;
    return { en, zh };
  }
  throw new Error('expected a refusal');
}

describe('installBundle', () => {
  it('installs the files masked, yet the rules compile and the indicators load from them', async () => {
    const bytes = pack('2026.12.3').bytes;
    const update = () => updateBundle(bytes, [signer.publicKey], 'b.mhb', { env: env() });
    expect((await update()).outcome.status).toBe('installed');
    const set = installedSet(env())!;
    expect(set.version).toBe('2026.12.3');
    expect(readdirSync(store()).sort()).toEqual(['2026.12.3', 'current', 'previous']);
    expect(readFileSync(path.join(store(), 'previous'), 'utf8').trim()).toBe(BUILT_IN);

    const shipped = shippedDirs();
    const strings = ruleStrings(shipped.rulesDir, shipped.iocDir);
    expect(strings.length).toBeGreaterThan(100);
    expect(fileCount(store())).toBeGreaterThan(15);
    expect(clearHits(store(), strings)).toEqual([]);
    expect(clearHits(shipped.rulesDir, strings).length).toBeGreaterThan(50); // the search does find them in clear

    const fromStore = compileRules(listRuleFiles(set.rulesDir));
    const fromShipped = compileRules(listRuleFiles(shipped.rulesDir));
    expect(fromStore.problems).toEqual([]);
    expect(fromStore.scanner.ruleSetHash).toBe(fromShipped.scanner.ruleSetHash);
    const iocs = await loadRuleset([set.iocDir]);
    expect(iocs.hash).toBe((await loadRuleset([shipped.iocDir])).hash);
    expect(iocs.windowsNames?.length ?? 0).toBeGreaterThan(0);

    const active = activeSet(env());
    expect(active.kind).toBe('installed');
    expect(active.previous).toBe(BUILT_IN);
    expect(active.files.some((f) => f.modified)).toBe(false);
    // The same bundle again changes nothing.
    const before = hashTree(store());
    expect((await update()).outcome.status).toBe('unchanged');
    expect(hashTree(store())).toBe(before);
  });

  it('refuses a foreign key, a changed file, a truncated file and downgrades, in both languages, leaving the store byte-identical', async () => {
    await install('2026.12.3');
    const before = hashTree(store());
    const good = pack('2026.12.4').bytes;
    const envelope = JSON.parse(good.toString('utf8')) as { files: Record<string, string> };
    const data = Buffer.from(envelope.files['rules/miners-cpu.yar']!, 'base64');
    data[20] = data[20]! ^ 0x20;
    envelope.files['rules/miners-cpu.yar'] = data.toString('base64');
    const changed = Buffer.from(JSON.stringify(envelope));
    const other = generateKeyPairSync('ed25519');
    const cases: [string, Buffer, RegExp, RegExp][] = [
      ['foreign key', pack('2026.12.4', { privateKey: other.privateKey }).bytes, /bad signature/, /签名无效/],
      ['changed file', changed, /rules\/miners-cpu\.yar was modified/, /已被修改/],
      ['truncated', good.subarray(0, Math.floor(good.length / 2)), /damaged or truncated/, /截断/],
      [
        'older than installed',
        pack('2026.12.1').bytes,
        /older than the installed 2026\.12\.3.*downgrade/,
        /降级/,
      ],
      [
        'made before the built-in rules',
        pack('2026.12.9', { now: new Date('2026-11-01T00:00:00Z') }).bytes,
        /made on 2026-11-01, before the rules built into minehunter.*downgrade/,
        /早于 minehunter 内置的规则/,
      ],
    ];
    for (const [what, bytes, en, zh] of cases) {
      const message = await refusal(() => updateBundle(bytes, [signer.publicKey], 'b.mhb', { env: env() }));
      expect(message.en, what).toMatch(en);
      expect(message.zh, what).toMatch(zh);
      expect(hashTree(store()), what).toBe(before);
    }
    expect(installedSet(env())?.version).toBe('2026.12.3');
  });

  it('installs a downgrade with force, and keeps only the active set and the one before it', async () => {
    await install('2026.12.3');
    await install('2026.12.1', { force: true });
    expect(installedSet(env())?.version).toBe('2026.12.1');
    await install('2026.12.5');
    await install('2026.12.6');
    expect(readdirSync(store()).sort()).toEqual(['2026.12.5', '2026.12.6', 'current', 'previous']);
    expect(activeSet(env()).previous).toBe('2026.12.5');
  });

  it('reports a file changed on disk after install', async () => {
    await install('2026.12.3');
    const dir = installedSet(env())!.dir;
    copyFileSync(path.join(shippedDirs().rulesDir, 'wallets.yar'), path.join(dir, 'rules', 'miners-cpu.yar'));
    expect(activeSet(env()).files.find((f) => f.name === 'rules/miners-cpu.yar')?.modified).toBe(true);
    expect(activeSet(env()).files.find((f) => f.name === 'rules/wallets.yar')?.modified).toBeUndefined();
  });

  it('takes the built-in rules’ newest date as the floor', () => {
    expect(builtInDate()).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((builtInDate() ?? '') >= '2026-11-26').toBe(true);
  });
});

describe('rollbackBundle', () => {
  it('switches back to the replaced version, then to nothing further; the store is untouched by a refusal', async () => {
    await install('2026.12.3');
    await install('2026.12.4');
    const r = await rollbackBundle({ env: env() });
    expect(r).toEqual({ from: '2026.12.4', to: '2026.12.3' });
    expect(installedSet(env())?.version).toBe('2026.12.3');
    expect(readdirSync(store()).sort()).toEqual(['2026.12.3', 'current']);
    const before = hashTree(store());
    const again = await refusal(() => rollbackBundle({ env: env() }));
    expect(again.en).toMatch(/no previous rule set is kept.*2026\.12\.3 stays installed/);
    expect(again.zh).toMatch(/没有保留上一个规则集/);
    expect(hashTree(store())).toBe(before);
  });

  it('returns from the first installed bundle to the built-in rules, and no further', async () => {
    const none = await refusal(() => rollbackBundle({ env: env() }));
    expect(none.en).toMatch(/nothing to roll back.*never goes below/);
    expect(none.zh).toMatch(/回滚不会低于内置规则/);
    await install('2026.12.3');
    expect(await rollbackBundle({ env: env() })).toEqual({ from: '2026.12.3', to: BUILT_IN });
    expect(installedSet(env())).toBeUndefined();
    expect(activeSet(env()).kind).toBe('bundled');
    expect(readdirSync(store())).toEqual([]);
    await expect(rollbackBundle({ env: env() })).rejects.toThrow(/nothing to roll back/);
  });

  it('gives way to the built-in rules when the kept version is older than them', async () => {
    await install('2026.11.1', { now: new Date('2026-11-01T00:00:00Z'), force: true });
    await install('2026.12.3');
    const r = await rollbackBundle({ env: env() });
    expect(r).toEqual({ from: '2026.12.3', to: BUILT_IN, belowFloor: '2026.11.1' });
    expect(installedSet(env())).toBeUndefined();
    expect(readdirSync(store())).toEqual([]);
  });

  it('refuses when the kept version was removed, keeping the installed one', async () => {
    await install('2026.12.3');
    await install('2026.12.4');
    rmSync(path.join(store(), '2026.12.3'), { recursive: true });
    const before = hashTree(store());
    expect((await refusal(() => rollbackBundle({ env: env() }))).en).toMatch(
      /previous version 2026\.12\.3 is missing or incomplete/,
    );
    expect(hashTree(store())).toBe(before);
    expect(installedSet(env())?.version).toBe('2026.12.4');
  });

  it('installs through verifyBundle and installBundle alike', async () => {
    const v = verifyBundle(pack('2026.12.3').bytes, [signer.publicKey], 'b');
    expect((await installBundle(v, { env: env() })).status).toBe('installed');
  });
});
