// Vitest configuration: unit tests live beside their modules, end-to-end tests under test/.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start real processes and measure CPU; running them in parallel on a
    // 2-core machine would make their CPU sampling meaningless.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
