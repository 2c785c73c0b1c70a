// What a target is, decided once before any collector runs: the running Linux system (`/` with the
// kernel's /proc) or a Linux root on disk (a mounted disk, a copied tree, a node's root mounted at
// /host), and how its /proc can be read. Collectors ask this record instead of comparing paths, so
// "is the target live?" has one answer, and read the target through its one door (`fs`). Windows
// volumes and images are their own kinds.
import { stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import type { TargetKind } from '../snapshot/schema.js';
import { targetFs, type TargetFs } from './fs.js';
import { isWindowsVolume } from './windows/volume.js';

export type { TargetKind };

/** `live`: a mounted procfs; `copy`: a plain directory tree shaped like /proc; `absent`: no proc/. */
export type ProcMode = 'live' | 'copy' | 'absent';

export interface RecognizedTarget {
  kind: TargetKind;
  /** Absolute path of the directory treated as `/`. */
  root: string;
  /** The target is the system minehunter runs on. */
  live: boolean;
  procDir: string;
  proc: ProcMode;
  /**
   * The door every read of the target goes through (see TargetFs). Not a fact about the target: a
   * snapshot's `target` names kind, root and live only, so this object never reaches JSON.
   */
  fs: TargetFs;
}

const PROC_SUPER_MAGIC = 0x9fa0;

export async function detectProcMode(procDir: string): Promise<ProcMode> {
  try {
    if (!(await stat(procDir)).isDirectory()) return 'absent';
  } catch {
    return 'absent';
  }
  try {
    // A root such as /host with the host's /proc bind-mounted is still sampled like a live one.
    return (await statfs(procDir)).type === PROC_SUPER_MAGIC ? 'live' : 'copy';
  } catch {
    return 'copy';
  }
}

/** `C:\\` (the system drive) when minehunter itself runs on Windows. */
export function isLiveWindowsRoot(
  abs: string,
  platform: string = process.platform,
  systemDrive: string = process.env.SystemDrive ?? 'C:',
): boolean {
  return platform === 'win32' && abs.replace(/[\\/]+$/, '').toLowerCase() === systemDrive.toLowerCase();
}

/**
 * Recognises the target at `root`. `/` is this running system; any other directory is a Linux root
 * read offline, whose processes are sampled only when a kernel procfs is mounted at its proc/.
 */
export async function recognizeTarget(root: string): Promise<RecognizedTarget> {
  const abs = path.resolve(root);
  // Node on Windows, pointed at its own system drive (`/` resolves to it): read through PowerShell.
  if (isLiveWindowsRoot(abs))
    return { kind: 'windows-live', root: abs, live: true, procDir: abs, proc: 'absent', fs: targetFs(abs) };
  const live = abs === '/';
  const procDir = path.join(abs, 'proc');
  // A docker-archive or OCI tarball, or an OCI layout directory: read by target/image/, no /proc.
  // Loaded only off the live root: the tar and zstd readers cost a live scan's start-up (issue 17).
  if (!live && (await (await import('./image/format.js')).imageFormatOf(abs)))
    return { kind: 'container-image', root: abs, live: false, procDir, proc: 'absent', fs: targetFs(abs) };
  const fs = targetFs(abs);
  // A Windows system drive (mounted NTFS, a copy, a triage collection): its own collectors, no /proc.
  if (!live && (await isWindowsVolume(fs)))
    return { kind: 'windows-volume', root: abs, live: false, procDir, proc: 'absent', fs };
  return {
    kind: live ? 'linux-live' : 'linux-root',
    root: abs,
    live,
    procDir,
    proc: await detectProcMode(procDir),
    fs,
  };
}
