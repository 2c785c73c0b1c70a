// What every collector needs to know about the target: the target as recognised once (its kind, its
// root, whether it is the running system, how its /proc can be read) and the clock.
import { recognizeTarget, type RecognizedTarget } from '../target/recognize.js';

export { detectProcMode, type ProcMode } from '../target/recognize.js';

export interface CollectContext extends RecognizedTarget {
  now: () => Date;
}

export async function makeContext(root: string, now: () => Date): Promise<CollectContext> {
  return { ...(await recognizeTarget(root)), now };
}
