// The facts of one file found in a Windows hiding place: whether it is a program (the `MZ` magic,
// whatever its extension; old `.fon` bitmap fonts are `MZ`/NE files too and are fonts, not programs),
// size, mtime, sha256 and its PE header facts; and which place a path is in, named as the snapshot
// names places (FILE_PLACES).
import { createHash } from 'node:crypto';
import type { FilePlace, WindowsFile } from '../../snapshot/windows.js';
import type { TargetFs } from '../../target/fs.js';
import { PE_HEAD_BYTES, parsePe, readPeFile } from '../../target/windows/pe.js';
import { windowsPathOf } from '../../target/windows/volume.js';
import type { CollectorLog } from '../support.js';

/** Files larger than this are listed without their sha256 (a hash reads the whole file). */
export const MAX_HASH_BYTES = 64 * 1024 * 1024;
const HEAD_BYTES = 1024;

/**
 * Whether the target file `p` is a program: it starts with `MZ`. A `.fon`/`.fnt` whose new header is
 * `NE` is a Windows bitmap font (every Fonts folder holds dozens), not a program.
 */
export async function isExecutable(fs: TargetFs, p: string): Promise<boolean> {
  const head = await fs.read(p, { maxBytes: HEAD_BYTES });
  if (head.length < 2 || head[0] !== 0x4d || head[1] !== 0x5a) return false;
  if (!/\.(fon|fnt)$/i.test(p) || head.length < 0x40) return true;
  const lfanew = head.readUInt32LE(0x3c);
  return !(lfanew + 2 <= head.length && head.toString('latin1', lfanew, lfanew + 2) === 'NE');
}

const PLACES: { re: RegExp; place: FilePlace }[] = [
  { re: /^\/windows\/fonts(?:\/|$)/, place: 'fonts' },
  { re: /^\/windows\/temp(?:\/|$)/, place: 'temp' },
  { re: /^\/windows\/(?:system32|syswow64)(?:\/|$)/, place: 'system32' },
  { re: /^\/programdata(?:\/|$)/, place: 'programdata' },
  { re: /^\/(?:\$recycle\.bin|recycler)(?:\/|$)/, place: 'recycle-bin' },
  { re: /^\/users\/public(?:\/|$)/, place: 'users-public' },
  { re: /^\/users\/[^/]+\/appdata(?:\/|$)/, place: 'appdata' },
];

/** The place a target path is in (`other` when none of the named ones). */
export function placeOf(targetPath: string): FilePlace {
  const lower = targetPath.toLowerCase();
  return PLACES.find((p) => p.re.test(lower))?.place ?? 'other';
}

function isoTime(ms: number): string | undefined {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}

/**
 * The WindowsFile of the regular file `p`: size, mtime, sha256 (up to 64 MiB) and PE facts. What
 * cannot be read is logged and left out; the entry itself is always returned.
 */
export async function fileFacts(
  fs: TargetFs,
  p: string,
  place: FilePlace,
  log: CollectorLog,
): Promise<WindowsFile> {
  const out: WindowsFile = { file: p, windowsPath: windowsPathOf(p), place, type: 'file' };
  try {
    const st = await fs.lstat(p);
    if (!st.isFile()) return out;
    out.size = st.size;
    const mtime = isoTime(st.mtimeMs);
    if (mtime) out.mtime = mtime;
    // Most programs fit in the PE reader's head: one read gives the hash and the PE facts.
    const head = await fs.read(p, { maxBytes: PE_HEAD_BYTES });
    const whole = head.length === st.size;
    if (whole) out.sha256 = createHash('sha256').update(head).digest('hex');
    else if (st.size <= MAX_HASH_BYTES) out.sha256 = await fs.hash(p);
    const pe = whole ? parsePe(head) : await readPeFile(fs, p, st.size);
    if (pe) out.pe = pe;
  } catch (err) {
    log.add(p, err);
  }
  return out;
}

/** The WindowsFile of a Fonts subfolder: its first 50 names, how many, executables in its tree. */
export async function folderFacts(
  fs: TargetFs,
  p: string,
  executables: number,
  log: CollectorLog,
): Promise<WindowsFile> {
  const out: WindowsFile = {
    file: p,
    windowsPath: windowsPathOf(p),
    place: 'fonts-subdir',
    type: 'dir',
    executables,
  };
  try {
    const names = await fs.names(p);
    out.entries = names.slice(0, 50);
    out.entryCount = names.length;
    const mtime = isoTime((await fs.lstat(p)).mtimeMs);
    if (mtime) out.mtime = mtime;
  } catch (err) {
    log.add(p, err);
  }
  return out;
}
