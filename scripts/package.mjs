// Builds dist/minehunter-linux-x64 (`npm run package`): one file that runs without Node on the host.
// esbuild bundles the CLI, the two scan workers and the process walk's worker into CommonJS; Node's
// Single Executable Applications support turns the bundle plus the rules, IOCs, keys and native
// addons (as assets, unpacked at run time by src/util/sea.ts) into a blob; postject injects it into a
// stripped copy of this node, in which the name of NODE_OPTIONS is changed so that a planted preload
// never runs (and NODE_EXTRA_CA_CERTS's, so that it is not read on every start).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { zodEnglishOnly } from './esbuild-plugins.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = path.join(repo, 'dist', 'sea');
const output = path.join(repo, 'dist', 'minehunter-linux-x64');
const YARA_X = '@litko/yara-x-linux-x64-gnu';
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

function step(message) {
  console.error(`package: ${message}`);
}

if (process.platform !== 'linux' || process.arch !== 'x64')
  fail(`the single executable is built on linux-x64 only (this is ${process.platform}-${process.arch})`);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 12))
  fail(`Node ${process.versions.node} cannot embed assets in an executable; use Node >= 20.12`);

/**
 * playwright-core reads its package.json and browsers.json with require() when it loads: in the
 * executable require() knows only Node's built-in modules, so their content goes into the bundle.
 */
const inlinePlaywrightPackage = {
  name: 'inline-playwright-package',
  setup(build) {
    const read = /require\(import_path\d*\.default\.join\(packageRoot, "([\w.-]+\.json)"\)\)/g;
    build.onLoad({ filter: /playwright-core[\\/]lib[\\/].*\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const root = args.path.slice(0, args.path.lastIndexOf(`${path.sep}lib${path.sep}`));
      const inlined = text.replace(
        read,
        (_, name) => `(${readFileSync(path.join(root, name), 'utf8').trim()})`,
      );
      return inlined === text ? undefined : { contents: inlined, loader: 'js' };
    });
  },
};

/**
 * Optional packages that dependencies try to require (ws's bufferutil, pg's pg-native, mysql2's
 * cardinal, playwright's electron and BiDi support): absent here, so each becomes a module that
 * throws "not found" where it is required, the error those packages expect, instead of a require()
 * the executable refuses with a warning.
 */
const OPTIONAL = /^(bufferutil|utf-8-validate|pg-native|electron(\/.*)?|chromium-bidi\/.*)$/;
const absentOptionals = {
  name: 'absent-optionals',
  setup(build) {
    // mysql2 names cardinal in a template string esbuild cannot follow: made a plain throw here.
    build.onLoad({ filter: /mysql2[\\/]lib[\\/]helpers\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const ask = 'require(`cardinal${REQUIRE_TERMINATOR}`)';
      if (!text.includes(ask)) return undefined;
      return {
        contents: text.replace(ask, "(() => { throw new Error('cardinal is not bundled'); })()"),
        loader: 'js',
      };
    });
    build.onResolve({ filter: OPTIONAL }, (args) => ({ path: args.path, namespace: 'absent' }));
    build.onLoad({ filter: /.*/, namespace: 'absent' }, (args) => ({
      contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}'`)}), { code: 'MODULE_NOT_FOUND' });`,
      loader: 'js',
    }));
  },
};

/** Bundles one entry point to CommonJS (import.meta is empty there: src/util/paths.ts copes). */
async function bundle(esbuild, entry, outfile) {
  await esbuild.build({
    entryPoints: [path.join(repo, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minifySyntax: true,
    minifyWhitespace: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'error',
    logOverride: { 'empty-import-meta': 'silent' },
    plugins: [inlinePlaywrightPackage, absentOptionals, zodEnglishOnly],
  });
}

/** The header that links an addon against the symbol versions glibc 2.28 has (see its comment). */
const GLIBC_FLOOR_HEADER = path.join(repo, 'native', 'glibc-2.28.h');
const GLIBC_FLOOR = '2.28';

/** node-gyp as npm ships it, next to this node (official tarballs, NodeSource) or Debian's. */
function nodeGyp() {
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    '/usr/share/nodejs/node-gyp/bin/node-gyp.js',
  ];
  return candidates.find((c) => c && existsSync(c));
}

/**
 * better-sqlite3 as npm built it here links against this machine's glibc (2.34 symbols on Debian 12),
 * so the executable's cache would not load on a glibc 2.28 host. A second build of the same sources
 * with the floor header is made once and kept in dist/native, keyed by the package's version and the
 * header's hash (about two minutes of compiling SQLite on two cores).
 */
function sqliteAddon() {
  const pkgDir = path.join(repo, 'node_modules', 'better-sqlite3');
  if (!existsSync(path.join(pkgDir, 'package.json')))
    fail('node_modules/better-sqlite3 is missing: run npm install');
  const version = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).version;
  const key = `${version} ${createHash('sha256').update(readFileSync(GLIBC_FLOOR_HEADER)).digest('hex')}`;
  const out = path.join(repo, 'dist', 'native', 'better_sqlite3-glibc-floor.node');
  const keyFile = `${out}.key`;
  if (existsSync(out) && existsSync(keyFile) && readFileSync(keyFile, 'utf8') === key) return out;
  const gyp = nodeGyp();
  if (!gyp) fail('node-gyp (shipped with npm) not found: cannot build better-sqlite3 for glibc 2.28');
  const nodedir = path.resolve(path.dirname(process.execPath), '..');
  const build = path.join(repo, 'dist', 'native', 'better-sqlite3-build');
  rmSync(build, { recursive: true, force: true });
  mkdirSync(build, { recursive: true });
  for (const part of ['binding.gyp', 'deps', 'src', 'package.json'])
    cpSync(path.join(pkgDir, part), path.join(build, part), { recursive: true });
  step(`building better-sqlite3 ${version} for glibc >= ${GLIBC_FLOOR} (node-gyp, once; a few minutes)`);
  const flags = `-include ${GLIBC_FLOOR_HEADER}`;
  const args = [gyp, 'rebuild', '--release', '-j', String(Math.max(1, os.availableParallelism()))];
  // Headers of this node where it has them (an install prefix with include/node), else node-gyp's cache.
  if (existsSync(path.join(nodedir, 'include', 'node', 'common.gypi'))) args.push(`--nodedir=${nodedir}`);
  const built = spawnSync(process.execPath, args, {
    cwd: build,
    env: { ...process.env, CFLAGS: flags, CXXFLAGS: flags },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (built.status !== 0)
    fail(`node-gyp could not build better-sqlite3:\n${(built.stdout + built.stderr).slice(-4000)}`);
  copyFileSync(path.join(build, 'build', 'Release', 'better_sqlite3.node'), out);
  writeFileSync(keyFile, key);
  rmSync(build, { recursive: true, force: true });
  return out;
}

/**
 * What the oldest supported host (RHEL 8, Debian 10) has: glibc 2.28 and GCC 8's libstdc++. Each
 * prefix is a symbol version namespace objdump -T shows, with the newest version such a host has.
 */
const RUNTIME_FLOOR = { GLIBC: GLIBC_FLOOR, GLIBCXX: '3.4.25', CXXABI: '1.3.11' };

const compareVersions = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};

/**
 * The newest symbol version an ELF file asks for in each of RUNTIME_FLOOR's namespaces (objdump -T),
 * or undefined without objdump.
 */
function runtimeNeeded(file) {
  const dumped = spawnSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (dumped.status !== 0) return undefined;
  const newest = {};
  for (const m of dumped.stdout.matchAll(/\((GLIBC|GLIBCXX|CXXABI)_(\d+(?:\.\d+)*)\)/g))
    if (!newest[m[1]] || compareVersions(m[2], newest[m[1]]) > 0) newest[m[1]] = m[2];
  return newest;
}

/** Fails the build when node or an addon needs a C or C++ runtime newer than the oldest host has. */
function checkGlibcFloor(files) {
  for (const file of files) {
    const needed = runtimeNeeded(file);
    if (needed === undefined) {
      step('objdump (binutils) is not available: the glibc floor of the executable was not checked');
      return;
    }
    for (const [name, floor] of Object.entries(RUNTIME_FLOOR))
      if (needed[name] && compareVersions(needed[name], floor) > 0)
        fail(
          `${path.relative(repo, file)} needs ${name}_${needed[name]}; the executable must run with ` +
            `glibc ${GLIBC_FLOOR} and GCC 8's libstdc++ (${name}_${floor})`,
        );
  }
  step(`checked: node and every native addon need glibc ${GLIBC_FLOOR} and libstdc++ 3.4.25 or older`);
}

/** Every file of the embedded tree: key (path inside the unpacked directory) -> source file. */
function assetFiles() {
  const files = {};
  for (const dir of ['rules', 'iocs', 'keys'])
    for (const name of readdirSync(path.join(repo, dir)).sort()) {
      const file = path.join(repo, dir, name);
      if (statSync(file).isFile()) files[`${dir}/${name}`] = file;
    }
  files['package.json'] = path.join(repo, 'package.json');
  files['native/better_sqlite3.node'] = sqliteAddon();
  const yaraDir = path.join(repo, 'node_modules', YARA_X);
  const yaraPkg = JSON.parse(readFileSync(path.join(yaraDir, 'package.json'), 'utf8'));
  files['native/yara-x.node'] = path.join(yaraDir, yaraPkg.main);
  const dirstat = path.join(repo, 'dist', 'native', 'dirstat.node');
  // Optional as in the checkout: without it the content scan lists directories with Node.
  if (existsSync(dirstat)) files['native/dirstat.node'] = dirstat;
  else
    step('dist/native/dirstat.node is missing (no C compiler?): the executable lists directories with Node');
  return { files, versions: { [YARA_X]: yaraPkg.version } };
}

function contentHash(files) {
  const h = createHash('sha256');
  for (const key of Object.keys(files).sort()) {
    const bytes = readFileSync(files[key]);
    h.update(`${key}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/**
 * Node reads NODE_OPTIONS and NODE_EXTRA_CA_CERTS through one C string each; renaming them in our
 * copy of node (same length, a name no shell can export) means a planted `NODE_OPTIONS=--require=…`
 * is never applied, and the extra CA certificates are not read on every start (~45 ms for a
 * system's whole bundle): the tool adds them itself where it opens a TLS connection
 * (src/util/extra-ca.ts).
 */
function renameVariables(file) {
  const bytes = readFileSync(file);
  for (const [name, renamed] of [
    ['NODE_OPTIONS', '=MH_NOOPTION'],
    ['NODE_EXTRA_CA_CERTS', '=MH_NO_EXTRA_CACERT'],
  ]) {
    const needle = Buffer.from(`\0${name}\0`);
    // V8's own copies (in the startup snapshot, for JavaScript) follow a 4-byte length: not those.
    const v8String = (at) => bytes.readUInt32LE(at - 3) === name.length;
    const found = [];
    for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1))
      if (!v8String(at)) found.push(at);
    if (found.length !== 1)
      fail(`found ${found.length} ${name} strings in node, not one; this node build is not supported`);
    if (renamed.length !== name.length) fail(`the new name must be as long as ${name}`);
    Buffer.from(`\0${renamed}\0`).copy(bytes, found[0]);
  }
  writeFileSync(file, bytes);
}

function run(bin, args, env) {
  return spawnSync(bin, args, { env: env ?? {}, encoding: 'utf8', timeout: 60_000 });
}

/** The built executable starts with nothing from the environment, never applies NODE_OPTIONS nor reads NODE_EXTRA_CA_CERTS. */
function check(version) {
  // Unpacking into dist/sea (removed below), not /tmp: a build leaves nothing behind.
  const unpack = { MINEHUNTER_TMP: path.join(work, 'unpack') };
  const ran = run(output, ['--version'], unpack);
  if (ran.status !== 0 || ran.stdout.trim() !== version)
    fail(`the executable does not start: status ${ran.status}, ${ran.stdout}${ran.stderr}`);
  // A warning here (a dependency's require() the executable cannot serve) would show on every run.
  if (ran.stderr.trim() !== '') fail(`the executable warns on start:\n${ran.stderr}`);
  // Node warns when it cannot load NODE_EXTRA_CA_CERTS: silence here means it did not try.
  const extraCa = run(output, ['--version'], {
    ...unpack,
    NODE_EXTRA_CA_CERTS: path.join(work, 'no-such-ca.pem'),
  });
  if (extraCa.status !== 0 || extraCa.stderr.trim() !== '')
    fail(`the executable read NODE_EXTRA_CA_CERTS on start: status ${extraCa.status}, ${extraCa.stderr}`);
  const dir = path.join(work, 'check');
  mkdirSync(dir, { recursive: true });
  const marker = path.join(dir, 'preloaded');
  const preload = path.join(dir, 'preload.cjs');
  writeFileSync(preload, `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
  const planted = run(output, ['--version'], { ...unpack, NODE_OPTIONS: `--require=${preload}` });
  if (existsSync(marker)) fail('the executable ran a preload from NODE_OPTIONS');
  if (planted.status !== 2 || !planted.stderr.includes('NODE_OPTIONS'))
    fail(`the executable did not refuse NODE_OPTIONS: status ${planted.status}, ${planted.stderr}`);
  rmSync(dir, { recursive: true, force: true });
}

async function main() {
  const esbuild = await import('esbuild');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  step('bundling the command line and the workers with esbuild');
  const main = path.join(work, 'main.cjs');
  await bundle(esbuild, 'src/cli/main.ts', main);
  await bundle(esbuild, 'src/engine/scan-worker.ts', path.join(work, 'scan-worker.js'));
  await bundle(esbuild, 'src/collect/image/scan-worker.ts', path.join(work, 'image-scan-worker.js'));
  // The live process walk's worker (collect/linux/proc-worker.ts).
  await bundle(esbuild, 'src/collect/linux/proc-worker.ts', path.join(work, 'proc-worker.js'));

  const { files, versions } = assetFiles();
  checkGlibcFloor([
    process.execPath,
    ...Object.keys(files)
      .filter((k) => k.endsWith('.node'))
      .map((k) => files[k]),
  ]);
  const manifest = { hash: contentHash(files), files: Object.keys(files).sort(), versions };
  writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(manifest));
  // Gzipped: a third of the addons' size, and no rule or IOC string in clear in the executable.
  const assets = { 'manifest.json': path.join(work, 'manifest.json') };
  for (const [key, file] of Object.entries(files)) {
    assets[key] = path.join(work, 'assets', `${key}.gz`);
    mkdirSync(path.dirname(assets[key]), { recursive: true });
    writeFileSync(assets[key], gzipSync(readFileSync(file), { level: 9 }));
  }
  for (const w of ['scan-worker.js', 'image-scan-worker.js', 'proc-worker.js'])
    assets[w] = path.join(work, w);
  const blob = path.join(work, 'sea.blob');
  const config = { main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets };
  writeFileSync(path.join(work, 'sea-config.json'), JSON.stringify(config, null, 2));
  step('writing the blob (node --experimental-sea-config)');
  execFileSync(process.execPath, ['--experimental-sea-config', path.join(work, 'sea-config.json')], {
    stdio: 'inherit',
  });

  const node = path.join(work, 'node');
  copyFileSync(process.execPath, node);
  chmodSync(node, 0o755);
  if (spawnSync('strip', ['--strip-all', node]).status === 0) step('stripped the copy of node');
  else step('strip is not available: the executable keeps node’s symbols (larger)');
  renameVariables(node);
  step('injecting the blob (postject)');
  const postject = path.join(repo, 'node_modules', 'postject', 'dist', 'cli.js');
  // On a stripped node postject's ELF library warns about section names; shown only if it fails.
  const injected = spawnSync(
    process.execPath,
    [postject, node, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', FUSE],
    { encoding: 'utf8' },
  );
  if (injected.status !== 0) fail(`postject failed:\n${injected.stdout}${injected.stderr}`);
  rmSync(output, { force: true });
  copyFileSync(node, output);
  chmodSync(output, 0o755);

  const version = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')).version;
  check(version);
  rmSync(work, { recursive: true, force: true });
  const mib = (statSync(output).size / 2 ** 20).toFixed(1);
  step(
    `built ${path.relative(repo, output)} (${mib} MiB, minehunter ${version}, Node ${process.versions.node})`,
  );
}

await main();
