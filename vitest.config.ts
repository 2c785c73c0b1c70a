// Vitest configuration: unit tests live beside their modules, end-to-end tests under test/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    // A beforeAll may wait up to 180 s for the host lock (test/helpers/host-lock.ts) while another
    // file holds it for a live scan: its hook must outlast that wait.
    hookTimeout: 240_000,
    // End-to-end tests start real processes and measure CPU; running them in parallel on a
    // 2-core machine would make their CPU sampling meaningless.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
