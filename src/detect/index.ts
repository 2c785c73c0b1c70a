// The detectors minehunter runs, as an explicit list: a new detector is added here (and gets a test
// and a docs page, which detectors.meta.test.ts checks). Order breaks ties between equally strong
// signals when correlation picks the finding's rule, so the most specific detectors come first.
import { fakeKernelThread } from './detectors/fake-kernel-thread.js';
import { highCpuOddPath } from './detectors/high-cpu-odd-path.js';
import { minerCommandLine } from './detectors/miner-command-line.js';
import { minerProcessName } from './detectors/miner-process-name.js';
import { poolConnection } from './detectors/pool-connection.js';
import type { Detector } from './types.js';

export const detectors: Detector[] = [
  minerProcessName,
  minerCommandLine,
  poolConnection,
  fakeKernelThread,
  highCpuOddPath,
];
