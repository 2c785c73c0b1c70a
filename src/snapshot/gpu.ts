// The snapshot's GPU facts of one process (issue 16, GPU hosts): what `nvidia-smi` says the process
// uses on NVIDIA GPUs. Present only on a live host where nvidia-smi ran and listed the process; a host
// without NVIDIA GPUs has snapshots exactly as before.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';

export const ProcessGpuSchema = builtOnFirstUse(() =>
  z.object({
    /** Indexes of the GPUs the process runs on, as `nvidia-smi` numbers them. */
    devices: z.array(z.number().int().nonnegative()),
    /**
     * GPU use in percent (100 = one GPU's streaming multiprocessors fully busy), summed over its GPUs:
     * the process's own SM share from `nvidia-smi pmon`, or, where pmon gives none, the whole GPU's
     * utilisation when the process is the only compute process on it. Absent when neither is known.
     */
    utilizationPercent: z.number().nonnegative().optional(),
    /** Where `utilizationPercent` came from. */
    utilizationSource: z.enum(['pmon', 'device']).optional(),
    /** GPU memory the process holds, in MiB (`--query-compute-apps` used_memory), summed over its GPUs. */
    memoryMiB: z.number().nonnegative().optional(),
  }),
);
export type ProcessGpu = z.infer<typeof ProcessGpuSchema>;
