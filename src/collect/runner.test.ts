// Tests for the collector runner: a crash becomes a `failed` record naming the collector and the rest
// is kept, a dependent of a crashed collector runs with `undefined` for it, dependencies are waited
// for (or overlapped), and records and sections come out in a fixed order whatever the timing.
import { describe, expect, it } from 'vitest';
import type { CollectionRecord, Section } from '../snapshot/schema.js';
import { targetFs } from '../target/fs.js';
import type { CollectContext } from './context.js';
import {
  notApplicable,
  runCollector,
  runCollectors,
  type Collector,
  type CollectorResult,
} from './runner.js';
import { CollectorLog } from './support.js';

const ctx: CollectContext = {
  kind: 'linux-root',
  root: '/nowhere',
  live: false,
  procDir: '/nowhere/proc',
  proc: 'absent',
  fs: targetFs('/nowhere'),
  now: () => new Date(0),
};

const okRecord = (collector: string, sections: Section[]): CollectionRecord => ({
  collector,
  sections,
  status: 'ok',
  durationMs: 0,
  errors: [],
});

const tick = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A collector that waits `ms`, logs its start and end, and fills `processes` with one entry per call. */
function fake(
  id: string,
  events: string[],
  opts: Partial<Pick<Collector, 'needs' | 'overlaps'>> & {
    ms?: number;
    fill?: (deps: Parameters<Collector['run']>[1]) => Promise<Partial<CollectorResult>>;
  } = {},
): Collector {
  return {
    id,
    sections: ['processes'],
    needs: opts.needs,
    overlaps: opts.overlaps,
    run: async (_ctx, deps) => {
      events.push(`start ${id}`);
      await tick(opts.ms ?? 0);
      const extra = (await opts.fill?.(deps)) ?? {};
      events.push(`end ${id}`);
      return { records: [okRecord(id, ['processes'])], ...extra };
    },
  };
}

describe('runCollectors', () => {
  it('turns a collector that throws into a failed record naming it and keeps the others', async () => {
    const events: string[] = [];
    const boom: Collector = {
      id: 'linux.boom',
      sections: ['sockets'],
      run: () => Promise.reject(new Error('kaboom')),
    };
    const host: Collector = {
      id: 'linux.host',
      sections: ['host'],
      run: async () => ({
        part: { host: { hostname: 'h', addresses: [] } },
        records: [okRecord('linux.host', ['host'])],
      }),
    };
    const { part, collection } = await runCollectors(ctx, [host, boom, fake('linux.after', events)]);
    expect(collection.map((r) => [r.collector, r.status])).toEqual([
      ['linux.host', 'ok'],
      ['linux.boom', 'failed'],
      ['linux.after', 'ok'],
    ]);
    expect(collection[1]).toMatchObject({
      sections: ['sockets'],
      note: 'collector crashed',
      errors: [{ message: 'kaboom' }],
    });
    expect(part).toEqual({ host: { hostname: 'h', addresses: [] } });
  });

  it('runs a collector whose dependency crashed, with undefined for it', async () => {
    const events: string[] = [];
    let seen: CollectorResult | undefined | 'not called' = 'not called';
    const list: Collector[] = [
      { id: 'a', sections: ['processes'], run: () => Promise.reject(new Error('a broke')) },
      fake('b', events, {
        needs: ['a'],
        fill: async (deps) => {
          seen = deps.get('a');
          return {};
        },
      }),
    ];
    const { collection } = await runCollectors(ctx, list);
    expect(seen).toBeUndefined();
    expect(collection.map((r) => [r.collector, r.status])).toEqual([
      ['a', 'failed'],
      ['b', 'ok'],
    ]);
  });

  it('starts a collector after its needs, at once beside what it overlaps, and keeps list order', async () => {
    const events: string[] = [];
    const started: string[] = [];
    const list: Collector[] = [
      fake('quick', events, { ms: 1 }),
      fake('walk', events, {
        ms: 30,
        fill: async () => ({ join: { inodes: new Map(), dirs: [] } as never }),
      }),
      fake('needs-walk', events, {
        needs: ['walk'],
        fill: async (deps) => ({ part: { sockets: deps.get('walk')?.join ? [] : undefined } }),
      }),
      fake('overlaps-walk', events, {
        overlaps: ['walk'],
        fill: async (deps) => {
          events.push('overlaps-walk waits');
          await deps.later('walk');
          return {};
        },
      }),
    ];
    const { part, collection } = await runCollectors(ctx, list, (id) => started.push(id));
    // What others wait for starts first; the rest in list order; a dependent once its needs are done.
    expect(started).toEqual(['walk', 'quick', 'overlaps-walk', 'needs-walk']);
    expect(events.indexOf('start needs-walk')).toBeGreaterThan(events.indexOf('end walk'));
    expect(events.indexOf('overlaps-walk waits')).toBeLessThan(events.indexOf('end walk'));
    expect(events.indexOf('end overlaps-walk')).toBeGreaterThan(events.indexOf('end walk'));
    expect(collection.map((r) => r.collector)).toEqual(['quick', 'walk', 'needs-walk', 'overlaps-walk']);
    expect(part).toEqual({ sockets: [] });
  });

  it('assembles sections in snapshot order, not in the order collectors finish', async () => {
    const slowProcesses: Collector = {
      id: 'p',
      sections: ['processes'],
      run: async () => {
        await tick(20);
        return { part: { processes: [] }, records: [okRecord('p', ['processes'])] };
      },
    };
    const quickDirs: Collector = {
      id: 'd',
      sections: ['dirs'],
      run: async () => ({ part: { dirs: { entries: [] } as never }, records: [okRecord('d', ['dirs'])] }),
    };
    const { part } = await runCollectors(ctx, [quickDirs, slowProcesses]);
    expect(Object.keys(part)).toEqual(['processes', 'dirs']);
  });

  it('records a not-applicable collector without running or announcing it', async () => {
    const started: string[] = [];
    const { collection } = await runCollectors(
      ctx,
      [notApplicable('linux.sockets', ['sockets'], 'why')],
      (id) => started.push(id),
    );
    expect(started).toEqual([]);
    expect(collection).toEqual([
      {
        collector: 'linux.sockets',
        sections: ['sockets'],
        status: 'not-applicable',
        durationMs: 0,
        errors: [],
        note: 'why',
      },
    ]);
  });

  it('refuses a list whose collector depends on one not listed before it', async () => {
    const events: string[] = [];
    await expect(
      runCollectors(ctx, [fake('b', events, { needs: ['a'] }), fake('a', events)]),
    ).rejects.toThrow(/b depends on a/);
    expect(events).toEqual([]);
  });
});

describe('runCollector', () => {
  it('passes a result through and turns a crash into a failed record with the error', async () => {
    const ok = await runCollector(
      new CollectorLog('x', ['dirs']),
      async (): Promise<{ record: CollectionRecord; value?: number }> => ({
        record: okRecord('x', ['dirs']),
        value: 1,
      }),
      (record) => ({ record }),
    );
    expect(ok).toMatchObject({ value: 1, record: { status: 'ok' } });
    const failed = await runCollector(
      new CollectorLog('x', ['dirs']),
      async (): Promise<{ record: CollectionRecord; value?: number }> => {
        throw Object.assign(new Error('no'), { code: 'EIO' });
      },
      (record) => ({ record }),
      'content scan crashed',
    );
    expect(failed.value).toBeUndefined();
    expect(failed.record).toMatchObject({
      collector: 'x',
      status: 'failed',
      note: 'content scan crashed',
      errors: [{ message: 'no', code: 'EIO' }],
    });
  });
});
