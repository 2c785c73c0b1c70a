// The watch state in the scan cache's SQLite database: saved and read back by name, one watcher's
// row apart from another's, a JSON state of an earlier version imported once, the scan cache still
// working in the same file, and a database that cannot be opened leaving the state in JSON.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ScanCache } from '../engine/cache.js';
import { emptyState, type WatchState } from './watch-state.js';
import { openStateStore } from './watch-store.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'minehunter-watch-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const entry = (ruleId: string) => ({
  ruleId,
  level: 'high' as const,
  firstSeen: '2026-01-01T00:00:00.000Z',
  lastSeen: '2026-01-01T00:00:00.000Z',
  count: 3,
  announcedCount: 1,
  announcedAt: '2026-01-01T00:00:00.000Z',
  misses: 0,
});
const stateWith = (fp: string, ruleId: string): WatchState => ({
  version: 1,
  findings: { [fp]: entry(ruleId) },
});

describe('openStateStore', () => {
  it('keeps each watcher’s state in its own row of the database, across opens', () => {
    const database = path.join(dir, 'cache', 'scan-cache.sqlite');
    const notes: string[] = [];
    const a = openStateStore({ database, name: path.join(dir, 'a.json'), note: (t) => notes.push(t) });
    const b = openStateStore({ database, name: path.join(dir, 'b.json'), note: (t) => notes.push(t) });
    expect(a.known()).toBe(false);
    expect(a.load()).toEqual(emptyState());
    a.save(stateWith('aaaa', 'miner-process-name'));
    b.save(stateWith('bbbb', 'persistence-download-exec'));
    a.close();
    b.close();

    const again = openStateStore({ database, name: path.join(dir, 'a.json'), note: (t) => notes.push(t) });
    expect(again.known()).toBe(true);
    expect(again.load()).toEqual(stateWith('aaaa', 'miner-process-name'));
    again.close();
    const reader = openStateStore({
      database,
      name: path.join(dir, 'b.json'),
      note: (t) => notes.push(t),
      readOnly: true,
    });
    expect(reader.load()).toEqual(stateWith('bbbb', 'persistence-download-exec'));
    reader.close();
    expect(notes).toEqual([]);
    // No JSON file is written beside the name.
    expect(existsSync(path.join(dir, 'a.json'))).toBe(false);
  });

  it('imports a JSON state file an earlier version wrote, once', () => {
    const database = path.join(dir, 'scan-cache.sqlite');
    const name = path.join(dir, 'watch-state.json');
    writeFileSync(name, JSON.stringify(stateWith('cafe', 'miner-command-line')) + '\n');
    const notes: string[] = [];
    const first = openStateStore({ database, name, note: (t) => notes.push(t) });
    expect(first.load()).toEqual(stateWith('cafe', 'miner-command-line'));
    first.close();
    expect(notes).toEqual([`state imported from ${name} into ${database} (${name})`]);
    expect(existsSync(name)).toBe(false);
    expect(JSON.parse(readFileSync(`${name}.imported`, 'utf8'))).toEqual(
      stateWith('cafe', 'miner-command-line'),
    );

    // A JSON file written there later (an old binary run by mistake) does not replace the row.
    writeFileSync(name, JSON.stringify(emptyState()));
    const second = openStateStore({ database, name, note: (t) => notes.push(t) });
    expect(second.load()).toEqual(stateWith('cafe', 'miner-command-line'));
    second.close();
    expect(notes).toHaveLength(1);
  });

  it('starts afresh from a damaged JSON state, saying so', () => {
    const database = path.join(dir, 'scan-cache.sqlite');
    const name = path.join(dir, 'watch-state.json');
    writeFileSync(name, '{"version":1,"findings":{"x":');
    const notes: string[] = [];
    const store = openStateStore({ database, name, note: (t) => notes.push(t) });
    expect(store.load()).toEqual(emptyState());
    store.close();
    expect(notes[0]).toMatch(/not JSON/);
  });

  it('shares the database with the scan cache, which keeps working', () => {
    const database = path.join(dir, 'scan-cache.sqlite');
    const cache = new ScanCache(database, 'rules-hash');
    const key = { dev: 1, ino: 2, size: 3, mtimeMs: 4, ctimeMs: 5 };
    cache.put(key, { matches: [] });
    cache.close();
    const store = openStateStore({ database, name: '/x.json', note: () => {} });
    store.save(stateWith('beef', 'fileless'));
    store.close();
    const reopened = new ScanCache(database, 'rules-hash');
    expect(reopened.get(key)).toEqual({ matches: [] });
    reopened.close();
    const back = openStateStore({ database, name: '/x.json', note: () => {} });
    expect(back.load()).toEqual(stateWith('beef', 'fileless'));
    back.close();
  });

  it('keeps the state in the JSON file when the database cannot be opened', () => {
    const blocker = path.join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const name = path.join(dir, 'watch-state.json');
    const notes: string[] = [];
    const store = openStateStore({
      database: path.join(blocker, 'scan-cache.sqlite'),
      name,
      note: (t) => notes.push(t),
    });
    expect(store.where).toBe(name);
    store.save(stateWith('f00d', 'miner-process-name'));
    expect(JSON.parse(readFileSync(name, 'utf8'))).toEqual(stateWith('f00d', 'miner-process-name'));
    expect(store.load()).toEqual(stateWith('f00d', 'miner-process-name'));
    store.close();
    expect(notes[0]).toMatch(/state kept in/);
  });
});
