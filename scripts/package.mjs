// Builds dist/minehunter-linux-x64 (`npm run package`): one file that runs without Node on the host.
// esbuild bundles the CLI and the two scan workers into CommonJS; Node's Single Executable
// Applications support turns the bundle plus the rules, IOCs, keys and native addons (as assets,
// unpacked at run time by src/util/sea.ts) into a blob; postject injects it into a stripped copy of
// this node, in which the name of NODE_OPTIONS is changed so that a planted preload never runs.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

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
    plugins: [inlinePlaywrightPackage, absentOptionals],
  });
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
  const sqlite = path.join(repo, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(sqlite)) fail(`${sqlite} is missing: run npm install (better-sqlite3 builds it)`);
  files['native/better_sqlite3.node'] = sqlite;
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
 * Node reads NODE_OPTIONS through one C string; renaming it in our copy of node (same length, a
 * name no shell can export) means a planted `NODE_OPTIONS=--require=…` is never applied.
 */
function renameNodeOptions(file) {
  const bytes = readFileSync(file);
  const needle = Buffer.from('\0NODE_OPTIONS\0');
  // V8's own copies (in the startup snapshot, for JavaScript) follow a 4-byte length 12: not those.
  const v8String = (at) => bytes.readUInt32LE(at - 3) === needle.length - 2;
  const found = [];
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1))
    if (!v8String(at)) found.push(at);
  if (found.length !== 1)
    fail(`found ${found.length} NODE_OPTIONS strings in node, not one; this node build is not supported`);
  const renamed = Buffer.from('\0=MH_NOOPTION\0');
  if (renamed.length !== needle.length) fail('the new name must be as long as NODE_OPTIONS');
  renamed.copy(bytes, found[0]);
  writeFileSync(file, bytes);
}

function run(bin, args, env) {
  return spawnSync(bin, args, { env: env ?? {}, encoding: 'utf8', timeout: 60_000 });
}

/** The built executable starts with nothing from the environment, and never applies NODE_OPTIONS. */
function check(version) {
  // Unpacking into dist/sea (removed below), not /tmp: a build leaves nothing behind.
  const unpack = { MINEHUNTER_TMP: path.join(work, 'unpack') };
  const ran = run(output, ['--version'], unpack);
  if (ran.status !== 0 || ran.stdout.trim() !== version)
    fail(`the executable does not start: status ${ran.status}, ${ran.stdout}${ran.stderr}`);
  // A warning here (a dependency's require() the executable cannot serve) would show on every run.
  if (ran.stderr.trim() !== '') fail(`the executable warns on start:\n${ran.stderr}`);
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
  step('bundling the command line and the scan workers with esbuild');
  const main = path.join(work, 'main.cjs');
  await bundle(esbuild, 'src/cli/main.ts', main);
  await bundle(esbuild, 'src/engine/scan-worker.ts', path.join(work, 'scan-worker.js'));
  await bundle(esbuild, 'src/collect/image/scan-worker.ts', path.join(work, 'image-scan-worker.js'));

  const { files, versions } = assetFiles();
  const manifest = { hash: contentHash(files), files: Object.keys(files).sort(), versions };
  writeFileSync(path.join(work, 'manifest.json'), JSON.stringify(manifest));
  // Gzipped: a third of the addons' size, and no rule or IOC string in clear in the executable.
  const assets = { 'manifest.json': path.join(work, 'manifest.json') };
  for (const [key, file] of Object.entries(files)) {
    assets[key] = path.join(work, 'assets', `${key}.gz`);
    mkdirSync(path.dirname(assets[key]), { recursive: true });
    writeFileSync(assets[key], gzipSync(readFileSync(file), { level: 9 }));
  }
  for (const w of ['scan-worker.js', 'image-scan-worker.js']) assets[w] = path.join(work, w);
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
  renameNodeOptions(node);
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
