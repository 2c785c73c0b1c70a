// Tests for odd-shared-object: packaged and application libraries are clean; a library mapped from
// /tmp is high, an unowned one in /usr/lib medium; objects in language/toolchain trees (pyenv, nvm,
// Cargo, conda, venvs, node_modules…) are clean when root's or the process user's, not world-writable
// and not deleted, and found otherwise; hiding places and path tricks never count as such trees; a
// packaged library whose content or mode differs from its package's record is found, one that
// verifies (or was not comparable) is clean; without the preload section, skipped.
import { describe, expect, it } from 'vitest';
import { defaultIocDir, loadRuleset } from '../../iocs/load.js';
import { FindingSchema } from '../../model/finding.js';
import type { SharedObject } from '../../snapshot/stealth.js';
import { makeProcess, makeSnapshot } from '../../../test/helpers/snapshot-builders.js';
import { oddLibraryPlace } from '../places.js';
import { runDetectors } from '../run.js';
import { TOOLCHAIN_LAYOUTS, toolchainOf } from '../toolchains.js';
import { ldEnvPreload } from './ld-env-preload.js';
import { ldSoPreload } from './ld-so-preload.js';
import { oddSharedObject } from './odd-shared-object.js';
import { preloadWith } from '../../../test/helpers/stealth-builders.js';

const ruleset = await loadRuleset([defaultIocDir()]);
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';
const USER = 1000;

describe('odd-shared-object', () => {
  it('clean: packaged libraries, and an application library under /opt', () => {
    const procs = [makeProcess({ pid: 10, maps: [LIBC, '/opt/app/lib/libapp.so'] })];
    const preload = preloadWith(
      [],
      [
        { path: LIBC, sources: ['maps'], exists: true, package: 'libc6' },
        { path: '/opt/app/lib/libapp.so', sources: ['maps'], exists: true },
      ],
    );
    expect(runDetectors(makeSnapshot({ processes: procs, preload }), ruleset, [oddSharedObject])).toEqual({
      findings: [],
      skipped: [],
    });
  });

  it('findings: a library mapped from /tmp is high; an unowned one in /usr/lib is medium', () => {
    const odd = '/tmp/.ICE-unix/libx.so';
    const unowned = '/usr/lib/x86_64-linux-gnu/libudev-helper.so';
    const procs = [
      makeProcess({ pid: 10, maps: [LIBC, odd] }),
      makeProcess({ pid: 11, maps: [LIBC, `${odd} (deleted)`, unowned] }),
    ];
    const preload = preloadWith(
      [],
      [
        { path: LIBC, sources: ['maps'], exists: true, package: 'libc6' },
        { path: odd, sources: ['maps'], exists: true, sha256: 'c'.repeat(64), overrides: ['readdir'] },
        { path: unowned, sources: ['maps'], exists: true, sha256: 'd'.repeat(64), overrides: [] },
      ],
    );
    const { findings } = runDetectors(makeSnapshot({ processes: procs, preload }), ruleset, [
      oddSharedObject,
    ]);
    expect(findings).toHaveLength(2);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    const [high, medium] = findings;
    expect(high).toMatchObject({
      level: 'high',
      kind: 'preload',
      remediate: [{ type: 'quarantine-file', path: odd }],
    });
    expect(high).toMatchObject({
      messageId: 'mapped',
      data: {
        path: odd,
        processes: 2,
        pids: '10, 11',
        why: { en: 'it is loaded from /tmp (world-writable)', 'zh-CN': '它从/tmp（所有人可写）加载' },
      },
    });
    expect(medium?.level).toBe('medium');
    expect(medium).toMatchObject({
      messageId: 'mapped',
      data: { path: unowned, processes: 1, pids: '11', why: { en: 'no installed package owns it' } },
    });
  });

  it('skipped: without the preload section', () => {
    expect(runDetectors(makeSnapshot({ processes: [] }), ruleset, [oddSharedObject]).skipped).toEqual([
      { ruleId: 'odd-shared-object', missing: ['preload'] },
    ]);
  });
});

describe('odd-shared-object: packaged libraries against their package record', () => {
  const PAM = '/usr/lib/x86_64-linux-gnu/libpam.so.0';
  const RECORDED = '0'.repeat(64);
  const PATCHED = 'f'.repeat(64);
  const run = (lib: SharedObject, procs = [makeProcess({ pid: 10, maps: [LIBC, PAM] })]) =>
    runDetectors(makeSnapshot({ processes: procs, preload: preloadWith([], [lib]) }), ruleset, [
      oddSharedObject,
    ]).findings;
  const packaged = (integrity: SharedObject['integrity']): SharedObject => ({
    path: PAM,
    sources: ['maps'],
    exists: true,
    package: 'libpam0g',
    ...(integrity ? { integrity } : {}),
  });

  it('clean: verified, prelinked, %config, not checked (a deleted mapping), or no record at all', () => {
    for (const integrity of [
      { status: 'ok', algorithm: 'sha256', expected: RECORDED, actual: RECORDED },
      { status: 'prelinked', algorithm: 'sha256', expected: RECORDED, actual: PATCHED },
      { status: 'config', algorithm: 'md5', expected: 'a'.repeat(32), actual: 'b'.repeat(32) },
      { status: 'not-checked', reason: 'every mapping of it is deleted (a package upgrade replaced it)' },
      undefined,
    ] as const)
      expect(run(packaged(integrity)), JSON.stringify(integrity)).toEqual([]);
  });

  it('findings: a patched packaged library is high, naming package, digests and the live mappers', () => {
    const procs = [
      makeProcess({ pid: 10, maps: [LIBC, PAM] }),
      makeProcess({ pid: 11, maps: [LIBC, `${PAM} (deleted)`] }),
      makeProcess({ pid: 12, maps: [PAM] }),
    ];
    const findings = run(
      packaged({ status: 'modified', algorithm: 'sha256', expected: RECORDED, actual: PATCHED }),
      procs,
    );
    expect(findings).toHaveLength(1);
    for (const f of findings) expect(FindingSchema.parse(f)).toEqual(f);
    expect(findings[0]).toMatchObject({
      level: 'high',
      kind: 'preload',
      messageId: 'modifiedPackaged',
      data: { path: PAM, processes: 2, pids: '10, 12', package: 'libpam0g', algorithm: 'sha256' },
      remediate: [],
    });
    expect(findings[0]!.message.en).toBe(
      `${PAM} is mapped into 2 process(es) (PID 10, 12) but differs from what package libpam0g installed (sha256 ${PATCHED}, expected ${RECORDED})`,
    );
    expect(findings[0]!.evidence).toContainEqual({
      type: 'match',
      field: 'sha256',
      value: PATCHED,
      ioc: `dpkg libpam0g: ${PAM} ${RECORDED}`,
    });
  });

  it('findings: a mode rpm did not record is high when it lets others write, medium otherwise', () => {
    const withMode = (mode: number) =>
      packaged({
        status: 'ok',
        algorithm: 'sha256',
        expected: RECORDED,
        actual: RECORDED,
        expectedMode: 0o755,
        mode,
      });
    const [wide] = run(withMode(0o757));
    expect(wide).toMatchObject({
      level: 'high',
      messageId: 'packagedModeChanged',
      data: { mode: '0757', expectedMode: '0755', package: 'libpam0g' },
    });
    const [narrow] = run(withMode(0o700));
    expect(narrow).toMatchObject({ level: 'medium', messageId: 'packagedModeChanged' });
    // Only deleted mappings: what runs is not the file compared, so nothing is said.
    expect(run(withMode(0o777), [makeProcess({ pid: 10, maps: [`${PAM} (deleted)`] })])).toEqual([]);
  });
});

/**
 * Toolchain layouts in places the detector reports without the exemption (hidden directories, /tmp,
 * an unowned file in a system library directory), with the tree each must be recognised as.
 */
const TOOLCHAIN_FILES: [string, string][] = [
  ['/root/.pyenv/versions/3.12.1/lib/python3.12/lib-dynload/_ssl.cpython-312-x86_64-linux-gnu.so', 'pyenv'],
  ['/home/dev/.pyenv/versions/3.11.7/lib/python3.11/site-packages/numpy/core/_umath.so', 'pyenv'],
  ['/home/dev/.nvm/versions/node/v20.11.0/lib/node_modules/bcrypt/lib/binding/bcrypt_lib.node', 'nvm'],
  ['/home/dev/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/librustc_driver-1a2b.so', 'rustup'],
  ['/home/dev/.cargo/registry/src/index.crates.io-6f17d22bba15001f/x-1.0.0/libx.so', 'cargo-home'],
  ['/home/dev/.cargo/bin/libhelper.so', 'cargo-home'],
  ['/tmp/build/target/release/deps/libplugin-3f2a.so', 'cargo-target'],
  ['/var/tmp/ci/target/x86_64-unknown-linux-gnu/debug/libplugin.so', 'cargo-target'],
  ['/home/dev/.conda/envs/ml/lib/libstdc++.so.6', 'conda'],
  ['/home/dev/.local/share/mamba/envs/ml/lib/libz.so.1', 'conda'],
  ['/root/.micromamba/pkgs/zlib-1.3/lib/libz.so.1', 'conda'],
  ['/home/dev/.local/share/pipx/venvs/black/lib/python3.11/site-packages/x.cpython-311.so', 'pipx'],
  ['/home/dev/.local/pipx/venvs/httpie/lib/python3.10/site-packages/y.so', 'pipx'],
  [
    '/home/dev/.local/lib/python3.11/site-packages/numpy/core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so',
    'python-user-site',
  ],
  ['/home/dev/.local/share/virtualenvs/app-Xy12/lib/python3.11/site-packages/x.so', 'virtualenvs'],
  ['/home/dev/.virtualenvs/app/lib/python3.12/site-packages/lxml/etree.so', 'virtualenvs'],
  ['/home/dev/.sdkman/candidates/java/21.0.2-tem/lib/server/libjvm.so', 'sdkman'],
  ['/srv/app/.venv/lib/python3.11/site-packages/pydantic_core/_pydantic_core.so', 'python-venv'],
  ['/tmp/pytest-of-dev/venv/lib/python3.11/site-packages/x.so', 'python-venv'],
  ['/usr/local/lib/python3.11/dist-packages/yaml/_yaml.cpython-311-x86_64-linux-gnu.so', 'python-venv'],
  ['/tmp/x/node_modules/foo/build/Release/foo.node', 'node-modules'],
  ['/tmp/x/node_modules/@scope/foo/prebuilds/linux-x64/foo.node', 'node-modules'],
  ['/tmp/node_modules/.pnpm/foo@1.0.0/node_modules/foo/build/Release/foo.node', 'node-modules'],
  ['/usr/lib/node_modules/sharp/build/Release/sharp-linux-x64.node', 'node-modules'],
  ['/home/dev/.vscode-server/bin/abc/node_modules/@vscode/spdlog/build/Release/spdlog.node', 'node-modules'],
];

/** One process of `uid` mapping `file`, and the preload section's view of the file. */
function mapped(
  file: string,
  lib: Partial<SharedObject>,
  opts: { uid?: number; deleted?: boolean; pid?: number } = {},
) {
  const pid = opts.pid ?? 10;
  const processes = [
    makeProcess({ pid, uid: opts.uid ?? USER, maps: [LIBC, opts.deleted ? `${file} (deleted)` : file] }),
  ];
  const preload = preloadWith(
    [],
    [
      { path: LIBC, sources: ['maps'], exists: true, package: 'libc6' },
      { path: file, sources: ['maps'], exists: true, ...lib },
    ],
  );
  return runDetectors(makeSnapshot({ processes, preload }), ruleset, [oddSharedObject]).findings;
}

describe('odd-shared-object: language and toolchain trees', () => {
  it('every layout in the table has a test path, and its own example is recognised', () => {
    const tested = new Set(TOOLCHAIN_FILES.map(([, id]) => id));
    for (const l of TOOLCHAIN_LAYOUTS) {
      expect(tested, l.id).toContain(l.id);
      expect(toolchainOf(l.example)?.id, l.example).toBe(l.id);
    }
  });

  for (const [file, id] of TOOLCHAIN_FILES) {
    it(`clean: ${id} ${file}, owned by the process's user or root, mode 0644/0755`, () => {
      expect(toolchainOf(file)?.id).toBe(id);
      // Without the exemption the detector would report it: the test is about the exemption.
      expect(oddLibraryPlace(file, { exists: true }, true)).toBeDefined();
      expect(mapped(file, { uid: USER, mode: 0o644 })).toEqual([]);
      expect(mapped(file, { uid: 0, mode: 0o755 })).toEqual([]);
      expect(mapped(file, { uid: 0, mode: 0o644 }, { uid: 0 })).toEqual([]);
    });

    it(`findings: ${id} ${file}, world-writable, another user's, deleted or without facts`, () => {
      const level = oddLibraryPlace(file, { exists: true }, true)?.level;
      const cases: [Partial<SharedObject>, { uid?: number; deleted?: boolean }, string][] = [
        [{ uid: USER, mode: 0o666 }, {}, 'it is world-writable (mode 0666)'],
        [{ uid: 0, mode: 0o777 }, {}, 'it is world-writable (mode 0777)'],
        [
          { uid: 1001, mode: 0o644 },
          {},
          "it is owned by uid 1001, neither root nor the process's user (uid 1000)",
        ],
        [
          { uid: 1001, mode: 0o644 },
          { uid: 0 },
          "it is owned by uid 1001, neither root nor the process's user (uid 0)",
        ],
        [{ uid: USER, mode: 0o644 }, { deleted: true }, 'it was deleted after it was loaded'],
        [{ exists: false }, { deleted: true }, 'it was deleted after it was loaded'],
        [{}, {}, 'its owner and mode were not collected'],
        [{ uid: USER }, {}, 'its owner and mode were not collected'],
      ];
      for (const [lib, proc, why] of cases) {
        const findings = mapped(file, lib, proc);
        // A file gone from a system library directory is not reported at all (upgrades do that).
        if (!oddLibraryPlace(file, { exists: lib.exists ?? true }, true)) {
          expect(findings).toEqual([]);
          continue;
        }
        expect(findings, `${JSON.stringify(lib)} ${JSON.stringify(proc)}`).toHaveLength(1);
        const [f] = findings;
        expect(FindingSchema.parse(f)).toEqual(f);
        expect(f?.level).toBe(level);
        expect(f).toMatchObject({ messageId: 'mappedFromToolchain', data: { path: file, toolchain: id } });
        expect(f?.data?.problems).toEqual({ en: why, 'zh-CN': expect.stringMatching(/[\u4e00-\u9fff]/) });
        expect(f?.evidence).toContainEqual(
          expect.objectContaining({
            type: 'match',
            field: 'toolchain tree',
            value: expect.stringMatching(`^${id}: `),
          }),
        );
      }
    });
  }

  it('names every reason that holds, and lists only the processes it holds for', () => {
    const file = '/tmp/x/node_modules/foo/build/Release/foo.node';
    const processes = [
      makeProcess({ pid: 10, uid: USER, maps: [file] }),
      makeProcess({ pid: 11, uid: 1001, maps: [file] }),
      makeProcess({ pid: 12, uid: USER, maps: [`${file} (deleted)`] }),
    ];
    const sound = preloadWith([], [{ path: file, sources: ['maps'], exists: true, uid: USER, mode: 0o644 }]);
    const [f] = runDetectors(makeSnapshot({ processes, preload: sound }), ruleset, [
      oddSharedObject,
    ]).findings;
    expect(f?.level).toBe('high');
    expect(f).toMatchObject({
      messageId: 'mappedFromToolchain',
      data: { path: file, processes: 2, pids: '11, 12', toolchain: 'node-modules' },
    });
    expect(f?.message.en).toBe(
      `${file} is mapped into 2 process(es) (PID 11, 12): it is loaded from /tmp (world-writable); it lies in a Node.js native addon (node_modules/<package>/…/*.node), which would be normal, but it is owned by uid ${USER}, neither root nor the process's user (uid 1001), and it was deleted after it was loaded`,
    );
    expect(f?.evidence.filter((e) => e.type === 'process').map((e) => e.type === 'process' && e.pid)).toEqual(
      [11, 12],
    );
    const writable = preloadWith(
      [],
      [{ path: file, sources: ['maps'], exists: true, uid: 1001, mode: 0o646 }],
    );
    expect(
      runDetectors(makeSnapshot({ processes: processes.slice(0, 1), preload: writable }), ruleset, [
        oddSharedObject,
      ]).findings[0]?.data,
    ).toMatchObject({
      processes: 1,
      pids: '10',
      problems: {
        en: "it is world-writable (mode 0646), and it is owned by uid 1001, neither root nor the process's user (uid 1000)",
      },
    });
  });

  it('findings: hiding places stay high whatever their owner: /tmp/.x, /dev/shm, memfd, path tricks', () => {
    const sound = { uid: USER, mode: 0o644 };
    for (const file of [
      '/tmp/.x/libx.so',
      '/tmp/.x/node_modules/foo/build/Release/foo.node',
      '/dev/shm/libx.so',
      '/dev/shm/x/node_modules/foo/foo.node',
      '/dev/shm/venv/lib/python3.11/site-packages/x.so',
      '/run/user/1000/node_modules/foo/foo.node',
      '/memfd:node_modules/foo/foo.node',
      '/tmp/evil/node_modules/../x.so',
      '/tmp/evil/node_modules/foo/../../x.so',
      '/tmp/node_modules.so',
      '/tmp/x/node_modules/foo/libx.so',
      '/tmp/x/node_modules/.bin/x.node',
      '/tmp/x/node_modules/foo.node',
      '/tmp/.pyenv/versions/3.12.1/lib/x.so',
      '/var/tmp/.nvm/versions/node/v20/lib/x.node',
      '/tmp/home/.cargo/registry/x.so',
      '/tmp/x/lib/python3.11/site-packages/ /x.so',
      '/tmp/x/.../lib/python3.11/site-packages/x.so',
      '/tmp/x/node_modules/foo/\u001b[2Kfoo.node',
    ]) {
      expect(toolchainOf(file), file).toBeUndefined();
      const findings = mapped(file, sound);
      expect(
        findings.map((f) => f.level),
        file,
      ).toEqual(['high']);
      expect(findings[0]?.messageId, file).toBe('mapped');
      expect(findings[0]?.data, file).not.toHaveProperty('toolchain');
    }
  });

  it('findings: a hidden directory outside every toolchain tree stays medium', () => {
    const file = '/home/dev/.config/.cache/libhide.so';
    expect(toolchainOf(file)).toBeUndefined();
    expect(mapped(file, { uid: USER, mode: 0o644 }).map((f) => [f.level, f.messageId, f.data])).toEqual([
      [
        'medium',
        'mapped',
        {
          path: file,
          processes: 1,
          pids: '10',
          why: {
            en: 'it is loaded from a hidden or blank-named directory (".config")',
            'zh-CN': '它从隐藏或空白名称的目录（".config"）加载',
          },
        },
      ],
    ]);
  });

  it('a preloaded library is never exempt, and ld-so-preload / ld-env-preload still report it', () => {
    const file = '/home/dev/.pyenv/versions/3.12.1/lib/libhook.so';
    const processes = [makeProcess({ pid: 10, uid: USER, maps: [LIBC, file], env: { LD_PRELOAD: file } })];
    const lib = { path: file, exists: true, uid: USER, mode: 0o644 };
    const envOnly = preloadWith([], [{ ...lib, sources: ['LD_PRELOAD', 'maps'] }]);
    const env = runDetectors(makeSnapshot({ processes, preload: envOnly }), ruleset, [
      oddSharedObject,
      ldEnvPreload,
    ]).findings;
    expect(env.flatMap((f) => f.signals.map((s) => s.ruleId)).sort()).toEqual([
      'ld-env-preload',
      'odd-shared-object',
    ]);
    const etc = preloadWith([file], [{ ...lib, sources: ['ld.so.preload', 'maps'] }]);
    const viaEtc = runDetectors(
      makeSnapshot({ processes: processes.map((p) => ({ ...p, env: {} })), preload: etc }),
      ruleset,
      [oddSharedObject, ldSoPreload],
    ).findings;
    expect(viaEtc.map((f) => [f.ruleId, f.level])).toEqual([
      ['ld-so-preload', 'critical'],
      ['odd-shared-object', 'medium'],
    ]);
  });
});
