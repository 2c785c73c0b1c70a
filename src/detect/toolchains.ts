// Where language and toolchain managers keep the shared objects they install (pyenv, nvm, rustup and
// Cargo, conda, pipx, virtualenvs, SDKMAN!, node_modules…): a Python extension under ~/.pyenv or a
// native addon in a checkout under /tmp is how those tools work, not a preload implant. One table, so
// every detector that judges a file by its place can recognise the same trees.
//
// A match says only "this path has the shape of such a tree". Whether a file there is ordinary is for
// the caller to decide from facts about the file (odd-shared-object asks that it is owned by root or
// by the process's user, not world-writable and not deleted): anyone can create these directories.
import type { Localized } from '../model/finding.js';
import { t } from './util.js';

export interface ToolchainLayout {
  /** Stable id, e.g. `pyenv`. */
  id: string;
  /** What the tree is, for messages: "a pyenv Python installation". */
  label: Localized;
  /**
   * The tree's own directories and what follows them, matched anywhere in the path from a `/` on
   * (so `/.pyenv/versions/3.12.1/lib/…` matches in `/root/.pyenv/versions/…` and `/home/u/.pyenv/…`).
   */
  pattern: RegExp;
  /**
   * A project tree, created wherever a checkout or a build lives, /tmp and /var/tmp included
   * (node_modules, a Python venv, a Cargo target directory). A manager's home (~/.pyenv, ~/.nvm…)
   * is never recognised inside a world-writable temporary directory.
   */
  project: boolean;
  /** A path of this shape, for the docs and the tests. */
  example: string;
}

/**
 * The recognised layouts, most specific first (the first match names the tree). `…` in a comment
 * stands for any further path; every layout needs at least one component after its own directories.
 */
export const TOOLCHAIN_LAYOUTS: readonly ToolchainLayout[] = [
  {
    id: 'pyenv',
    label: t('a pyenv Python installation', 'pyenv 安装的 Python'),
    pattern: /\/\.pyenv\/versions\/[^/]+\/./,
    project: false,
    example: '/root/.pyenv/versions/3.12.1/lib/python3.12/lib-dynload/_ssl.cpython-312-x86_64-linux-gnu.so',
  },
  {
    id: 'nvm',
    label: t('an nvm Node.js installation', 'nvm 安装的 Node.js'),
    pattern: /\/\.nvm\/versions\/(?:node|io\.js)\/[^/]+\/./,
    project: false,
    example: '/home/dev/.nvm/versions/node/v20.11.0/lib/node_modules/npm/bin/x.node',
  },
  {
    id: 'rustup',
    label: t('a rustup Rust toolchain', 'rustup 安装的 Rust 工具链'),
    pattern: /\/\.rustup\/toolchains\/[^/]+\/./,
    project: false,
    example: '/home/dev/.rustup/toolchains/stable-x86_64-unknown-linux-gnu/lib/librustc_driver-1a2b.so',
  },
  {
    id: 'cargo-home',
    label: t("Cargo's registry or installed binaries", 'Cargo 的软件包缓存或已安装程序'),
    pattern: /\/\.cargo\/(?:registry|git|bin)\/./,
    project: false,
    example: '/home/dev/.cargo/registry/src/index.crates.io-6f17d22bba15001f/x-1.0.0/libx.so',
  },
  {
    id: 'cargo-target',
    label: t(
      'a Cargo build directory (target/debug, target/release)',
      'Cargo 构建目录（target/debug、target/release）',
    ),
    pattern: /\/target\/(?:[^/]+\/)?(?:debug|release)\/./,
    project: true,
    example: '/tmp/build/target/release/deps/libplugin-3f2a.so',
  },
  {
    id: 'conda',
    label: t(
      'a conda, Miniconda, Anaconda or mamba installation',
      'conda、Miniconda、Anaconda 或 mamba 安装目录',
    ),
    pattern:
      /\/(?:\.?conda|\.?(?:mini|ana)conda\d*|miniforge\d*|mambaforge\d*|\.?micromamba|\.mamba)\/.|\/envs\/[^/]+\/lib\/./,
    project: false,
    example: '/home/dev/miniconda3/envs/ml/lib/python3.11/site-packages/torch/lib/libtorch_cpu.so',
  },
  {
    id: 'pipx',
    label: t('a pipx application environment', 'pipx 应用环境'),
    pattern: /\/\.local\/(?:share\/)?pipx\/(?:venvs|shared)\/./,
    project: false,
    example: '/home/dev/.local/share/pipx/venvs/black/lib/python3.11/site-packages/x.so',
  },
  {
    id: 'python-user-site',
    label: t('the Python user site-packages (~/.local)', 'Python 用户级 site-packages（~/.local）'),
    pattern: /\/\.local\/lib\/python\d+(?:\.\d+)*\/site-packages\/./,
    project: false,
    example: '/home/dev/.local/lib/python3.11/site-packages/numpy/core/_multiarray_umath.so',
  },
  {
    id: 'virtualenvs',
    label: t('a pipenv or virtualenvwrapper environment', 'pipenv 或 virtualenvwrapper 虚拟环境'),
    pattern: /\/(?:\.local\/share\/virtualenvs|\.virtualenvs)\/[^/]+\/./,
    project: false,
    example: '/home/dev/.local/share/virtualenvs/app-Xy12/lib/python3.11/site-packages/x.so',
  },
  {
    id: 'sdkman',
    label: t('an SDKMAN! candidate (JDK, Gradle…)', 'SDKMAN! 安装的工具（JDK、Gradle 等）'),
    pattern: /\/\.sdkman\/candidates\/./,
    project: false,
    example: '/home/dev/.sdkman/candidates/java/21.0.2-tem/lib/server/libjvm.so',
  },
  {
    id: 'python-venv',
    label: t(
      'a Python environment (lib/python3.X/site-packages)',
      'Python 环境（lib/python3.X/site-packages）',
    ),
    pattern: /\/lib(?:64)?\/python\d+(?:\.\d+)*\/(?:site|dist)-packages\/./,
    project: true,
    example: '/srv/app/.venv/lib/python3.11/site-packages/pydantic_core/_pydantic_core.so',
  },
  {
    id: 'node-modules',
    label: t(
      'a Node.js native addon (node_modules/<package>/…/*.node)',
      'Node.js 原生扩展（node_modules/<包>/…/*.node）',
    ),
    // A package directory (optionally @scope/name, neither starting with a dot), then a .node file.
    pattern: /\/node_modules\/(?:@[^/.][^/]*\/)?[^/.][^/]*\/(?:[^/]+\/)*[^/]+\.node$/,
    project: true,
    example: '/tmp/x/node_modules/foo/build/Release/foo.node',
  },
];

/** Temporary directories where project trees (a checkout, a build) are recognised. */
const TEMP_ROOTS = ['/tmp/', '/var/tmp/'];
/** Places no toolchain installs into: RAM-only and device directories. */
const NEVER = ['/dev/', '/run/', '/var/run/', '/proc/', '/sys/', '/memfd:'];

/**
 * A path the kernel would print for a mapped file: absolute, no empty, `.`, `..`, blank or
 * dots-only components and no control characters. Anything else cannot be trusted to mean the
 * directories it names (`/tmp/evil/node_modules/../x.so`).
 */
function canonical(file: string): boolean {
  if (!file.startsWith('/') || [...file].some((c) => c < ' ' || c === '\u007f')) return false;
  return file
    .slice(1)
    .split('/')
    .every((c) => c.trim() !== '' && !/^\.+$/.test(c));
}

/**
 * The toolchain tree a file lies in, or undefined. Inside /tmp and /var/tmp only project trees count,
 * and only when the directory they sit in under the temporary root is not itself hidden
 * (`/tmp/.x/node_modules/…` is a hiding place, not a checkout); /dev, /run, /dev/shm and memfds never.
 */
export function toolchainOf(file: string): ToolchainLayout | undefined {
  if (!canonical(file) || NEVER.some((p) => file.startsWith(p))) return undefined;
  const temp = TEMP_ROOTS.find((p) => file.startsWith(p));
  if (temp !== undefined && file.slice(temp.length).startsWith('.')) return undefined;
  return TOOLCHAIN_LAYOUTS.find((l) => (temp === undefined || l.project) && l.pattern.test(file));
}
