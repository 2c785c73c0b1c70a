// Trees deeper than PATH_MAX for the tests of paths the kernel cannot open by name (4096 bytes):
// directories of 200 letters, made, read and removed by a shell that walks down with `cd -P` (a
// logical cd names the full path, which the kernel refuses past the limit; so does Node's fs.rm).
import { execFileSync } from 'node:child_process';

/** The name of each directory of a deep tree: 30 of them put a path past 4096 bytes. */
export const DEEP_NAME = 'd'.repeat(200);

/** `base`/DEEP_NAME/… (`depth` times)/`file`, as the scan shows it. */
export function deepPath(base: string, depth: number, file: string): string {
  return `${base}/${`${DEEP_NAME}/`.repeat(depth)}${file}`;
}

/** Runs `command` in a shell at `depth` directories of DEEP_NAME under `base`; its stdout. */
export function inDeep(base: string, depth: number, command: string): string {
  return execFileSync(
    'sh',
    [
      '-c',
      `cd "$1" && for i in $(seq "$2"); do cd -P "$3"; done && ${command}`,
      'sh',
      base,
      String(depth),
      DEEP_NAME,
    ],
    { encoding: 'utf8' },
  );
}

/** Makes `depth` directories of DEEP_NAME under `base` (made too if missing) and writes `text` to `file` at the bottom. */
export function makeDeep(base: string, depth: number, file: string, text: string): string {
  execFileSync('sh', [
    '-c',
    'mkdir -p "$1" && cd "$1" && for i in $(seq "$2"); do mkdir "$3" && cd -P "$3"; done && printf %s "$5" > "$4"',
    'sh',
    base,
    String(depth),
    DEEP_NAME,
    file,
    text,
  ]);
  return deepPath(base, depth, file);
}

/** Removes `dir` however deep it goes (rm(1) does not walk by full paths). */
export function removeDeep(dir: string): void {
  execFileSync('rm', ['-rf', dir]);
}
