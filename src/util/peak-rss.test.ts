// Tests for peakRssKb: a child of a much larger process reports its own peak, not its parent's.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { peakRssKb } from './peak-rss.js';

const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
const MODULE = fileURLToPath(new URL('./peak-rss.ts', import.meta.url));

describe('peakRssKb', () => {
  it("is this process's own peak, even when its parent's was far larger", () => {
    expect(peakRssKb()).toBeGreaterThanOrEqual(process.memoryUsage().rss / 1024 - 1);
    // A parent that touched 300 MB spawns a child: the child's maxRSS starts at the parent's peak.
    const parent = `
      const big = Buffer.alloc(300 * 1024 * 1024, 1);
      const { spawnSync } = await import('node:child_process');
      const child = \`import { peakRssKb } from \${JSON.stringify(${JSON.stringify(MODULE)})};
        console.log(JSON.stringify({ own: peakRssKb(), maxRss: process.resourceUsage().maxRSS }));\`;
      const r = spawnSync(process.execPath, ['--import', ${JSON.stringify(TSX)}, '--input-type=module', '-e', child], { encoding: 'utf8' });
      process.stdout.write(r.stdout + r.stderr);
      big[0] = 2;
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', parent], { encoding: 'utf8' });
    const { own, maxRss } = JSON.parse(r.stdout) as { own: number; maxRss: number };
    expect(maxRss).toBeGreaterThan(300 * 1024);
    expect(own).toBeLessThan(200 * 1024);
    expect(own).toBeGreaterThan(10 * 1024);
  });
});
