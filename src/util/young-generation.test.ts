// holdYoungGeneration: while held, V8's young generation stays at its size under a load that makes
// an unheld one grow; a timed hold gives growth back when it ends, a hold for good does not. Each
// case runs in a fresh node process: the setting is process-wide and the heap's size is the point.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/esm/index.mjs', import.meta.url));
const MODULE = fileURLToPath(new URL('./young-generation.ts', import.meta.url));

/**
 * Runs `steps` (statements using `hold` and `grow()`) in a fresh process and returns the young
 * generation's size in KiB at each `mark(name)`. `grow()` keeps 200,000 small objects alive, so
 * scavenges see most of the young generation survive: what makes V8 grow it.
 */
function sizes(steps: string): Record<string, number> {
  const script = `
    import v8 from 'node:v8';
    import { holdYoungGeneration as hold } from ${JSON.stringify(MODULE)};
    const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size >> 10;
    const kept = [];
    const grow = () => { for (let i = 0; i < 200000; i++) kept.push({ i, s: 'x' + i }); };
    const out = {};
    const mark = (name) => { out[name] = newSpace(); };
    ${steps}
    console.log(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, number>;
}

describe('holdYoungGeneration', () => {
  it('keeps the young generation from growing while held, and lets it grow once released', () => {
    const s = sizes(`
      mark('start');
      const release = hold(60_000);
      grow();
      mark('held');
      release();
      grow();
      mark('released');
    `);
    // Unheld, the same load grows it many times over (checked beside it: the test must be able to fail).
    const control = sizes(`mark('start'); grow(); mark('grown');`);
    expect(control.grown).toBeGreaterThanOrEqual(8 * (control.start as number));
    expect(s.held).toBeLessThanOrEqual(2 * (s.start as number));
    expect(s.released).toBeGreaterThanOrEqual(8 * (s.start as number));
  });

  it('gives growth back when its time is up', () => {
    const s = sizes(`
      mark('start');
      hold(200);
      grow();
      mark('held');
      await new Promise((resolve) => setTimeout(resolve, 300));
      grow();
      grow();
      mark('after');
    `);
    expect(s.held).toBeLessThanOrEqual(2 * (s.start as number));
    expect(s.after).toBeGreaterThanOrEqual(8 * (s.start as number));
  });

  it('keeps a hold for good when a timed hold taken beside it ends (a watcher’s first second)', () => {
    const s = sizes(`
      mark('start');
      const release = hold(60_000);
      hold();
      release();
      grow();
      grow();
      mark('after');
    `);
    expect(s.after).toBeLessThanOrEqual(2 * (s.start as number));
  });
});
