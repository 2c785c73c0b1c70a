// What every collector needs to know about the target: where its root and /proc are, and whether that
// /proc is the kernel's (so it can be sampled over time) or a static copy in a fixture or image.
import { stat, statfs } from 'node:fs/promises';
import path from 'node:path';

/** `live`: a mounted procfs; `copy`: a plain directory tree shaped like /proc; `absent`: no proc/. */
export type ProcMode = 'live' | 'copy' | 'absent';

export interface CollectContext {
  /** Absolute path of the directory treated as `/`. */
  root: string;
  /** The target is the system minehunter runs on. */
  live: boolean;
  procDir: string;
  proc: ProcMode;
  now: () => Date;
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

export async function makeContext(root: string, now: () => Date): Promise<CollectContext> {
  const abs = path.resolve(root);
  const procDir = path.join(abs, 'proc');
  return { root: abs, live: abs === '/', procDir, proc: await detectProcMode(procDir), now };
}
