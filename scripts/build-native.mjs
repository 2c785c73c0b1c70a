// Builds the optional native addon (native/dirstat.c -> dist/native/dirstat.node: the directory
// lister, the PID probe, and in the files it includes the process walk's reader, the memory reader
// and the whole-file reader) with the system's C compiler and the Node-API headers that come with
// Node. Part of `npm run build`.
// Without a compiler or the headers it says so and exits 0: the content scan then lists
// directories with Node (same results, a slower warm rescan). Rebuilds only when the source changed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = path.join(repo, 'native', 'dirstat.c');
// Included by dirstat.c, in the same addon: the process walk's batch reader, the memory reader and
// the whole-file reader.
const included = ['procread.c', 'procmem.c', 'readwhole.c'].map((f) => path.join(repo, 'native', f));
const output = path.join(repo, 'dist', 'native', 'dirstat.node');
// Links against the symbol versions glibc 2.28 has, so the single executable's copy loads there too.
const glibcFloor = path.join(repo, 'native', 'glibc-2.28.h');

function headerDir() {
  const candidates = [
    path.resolve(path.dirname(process.execPath), '..', 'include', 'node'),
    '/usr/include/node',
    '/usr/local/include/node',
  ];
  return candidates.find((d) => existsSync(path.join(d, 'node_api.h')));
}

function skip(why) {
  console.error(`build-native: ${why}; the content scan will list directories with Node (slower rescans).`);
  process.exit(0);
}

if (process.platform !== 'linux')
  skip(`the native lister is built on Linux only (this is ${process.platform})`);
const newest = Math.max(...[source, glibcFloor, ...included].map((f) => statSync(f).mtimeMs));
if (existsSync(output) && statSync(output).mtimeMs >= newest) process.exit(0);
const include = headerDir();
if (!include) skip('Node-API headers (node_api.h) not found');
const cc = process.env.CC || 'cc';
mkdirSync(path.dirname(output), { recursive: true });
try {
  execFileSync(
    cc,
    [
      '-O2',
      '-ffp-contract=off',
      '-Wall',
      '-Wextra',
      '-shared',
      '-fPIC',
      '-include',
      glibcFloor,
      '-I',
      include,
      '-o',
      output,
      source,
      '-lpthread',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
} catch (err) {
  skip(`${cc} failed (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
}
