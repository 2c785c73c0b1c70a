// The scripts an image's entrypoint and cmd start, read from its final filesystem: the program
// itself when it is a script, the script a shell or interpreter is handed (`sh /start.sh`,
// `sh -c "… && /run.sh"`, `python app.py`), past wrappers such as tini or gosu; a bare name is looked
// up in the image's PATH. The command-line detectors then see what the container really runs.
import path from 'node:path';
import type { ImageConfig, ImageSkip } from '../../snapshot/image.js';
import type { FinalView } from './view.js';
import type { LayerScan } from './types.js';

const SHELLS = new Set(['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh']);
const INTERPRETERS = /^(?:python[\d.]*|node(?:js)?|perl[\d.]*|ruby[\d.]*|php[\d.]*|lua[\d.]*)$/;
/** Programs that start the rest of their arguments; gosu and su-exec take a user first. */
const WRAPPERS = new Set([
  'tini',
  'dumb-init',
  'catatonit',
  'env',
  'exec',
  'nohup',
  'setsid',
  'gosu',
  'su-exec',
]);
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const MAX_DEPTH = 4;

/** Words of a shell command string that name programs or scripts: each command's first word, `*.sh`. */
function inCommandString(s: string, depth: number): string[] {
  const out: string[] = [];
  for (const command of s.split(/&&|\|\||[;|&\n`()]/)) {
    const words = command.trim().split(/\s+/).filter(Boolean);
    out.push(...programsOf(words, depth + 1));
    out.push(...words.filter((w) => /^[\w./-]+\.(?:sh|bash)$/.test(w)));
  }
  return [...new Set(out)];
}

/** The programs and scripts an argv starts, wrappers and shells seen through. */
export function programsOf(argv: readonly string[], depth = 0): string[] {
  let i = 0;
  while (i < argv.length && depth < MAX_DEPTH) {
    const word = argv[i] as string;
    const base = path.posix.basename(word);
    if (/^\w+=/.test(word)) {
      i++;
      continue;
    }
    if (WRAPPERS.has(base)) {
      i += base === 'gosu' || base === 'su-exec' ? 2 : 1;
      while (i < argv.length && (argv[i] as string).startsWith('-')) i++;
      continue;
    }
    if (SHELLS.has(base) || INTERPRETERS.test(base)) {
      let j = i + 1;
      for (; j < argv.length && (argv[j] as string).startsWith('-'); j++) {
        if (SHELLS.has(base) && /^-[a-z]*c[a-z]*$/i.test(argv[j] as string))
          return inCommandString(argv[j + 1] ?? '', depth);
      }
      return argv[j] === undefined ? [] : [argv[j] as string];
    }
    return word.startsWith('$') || word.startsWith('-') ? [] : [word];
  }
  return [];
}

/** Where a program name leads in the image: itself, under the working dir, or found on PATH. */
function placeOf(name: string, cfg: ImageConfig, view: FinalView): string | undefined {
  if (name.startsWith('/')) return path.posix.normalize(name);
  if (name.includes('/')) return path.posix.resolve(cfg.workingDir || '/', name);
  const envPath = cfg.env.find((e) => e.startsWith('PATH='))?.slice(5) || DEFAULT_PATH;
  for (const dir of envPath.split(':').filter((d) => d.startsWith('/'))) {
    const p = path.posix.join(dir, name);
    if (view.resolve(p).found) return p;
  }
  return undefined;
}

/**
 * The start scripts' texts, as the layer reader kept them; a script named by path that is missing,
 * sits behind a symlink loop or was not kept (too large, binary data) is a skip record.
 */
export function readStartScripts(
  cfg: ImageConfig,
  view: FinalView,
  scans: readonly (LayerScan | undefined)[],
  skips: ImageSkip[],
): { path: string; text: string }[] {
  const argv = [...(cfg.entrypoint ?? []), ...(cfg.cmd ?? [])];
  const out = new Map<string, string>();
  for (const name of programsOf(argv)) {
    const p = placeOf(name, cfg, view);
    if (p === undefined || out.has(p)) continue;
    const r = view.resolve(p);
    if (!r.found) {
      if (r.loop)
        skips.push({ path: p, reason: 'symlink-loop', detail: 'the start script is behind a symlink loop' });
      else
        skips.push({ path: p, reason: 'start-script-missing', detail: `the image has nothing at ${r.path}` });
      continue;
    }
    if (r.entry.kind !== 'file') continue;
    const scan = scans[r.entry.layer];
    const text = scan?.scripts.get(r.path);
    if (text !== undefined) out.set(p, text);
    else if (!scan?.files.get(r.path)?.elf)
      skips.push({
        path: p,
        reason: 'start-script-not-read',
        detail: 'too large, binary, or past the script budget',
      });
  }
  return [...out].map(([p, text]) => ({ path: p, text }));
}
