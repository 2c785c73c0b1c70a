// Import and export names read from WebAssembly bytes, and what a cut or foreign buffer gives.
import { describe, expect, it } from 'vitest';
import { wasmNames } from './wasm.js';

const str = (s: string) => [s.length, ...Buffer.from(s)];
const section = (id: number, body: number[]) => [id, body.length, ...body];
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** Imports env.memory (a memory) and env.log (a function); exports cryptonight_hash and a memory. */
const MODULE = Buffer.from([
  ...HEADER,
  ...section(1, [1, 0x60, 0, 1, 0x7f]),
  ...section(2, [2, ...str('env'), ...str('memory'), 2, 0, 1, ...str('env'), ...str('log'), 0, 0]),
  ...section(3, [1, 0]),
  ...section(7, [2, ...str('cryptonight_hash'), 0, 1, ...str('mem'), 2, 0]),
  ...section(10, [1, 4, 0, 0x41, 0, 0x0b]),
]);

describe('wasmNames', () => {
  it('lists imports and exports with their kinds', () => {
    expect(wasmNames(MODULE)).toEqual({
      imports: [
        { module: 'env', name: 'memory', kind: 'memory' },
        { module: 'env', name: 'log', kind: 'function' },
      ],
      exports: [
        { name: 'cryptonight_hash', kind: 'function' },
        { name: 'mem', kind: 'memory' },
      ],
    });
  });

  it('keeps what was read from a cut module and reads nothing from other bytes', () => {
    const cut = wasmNames(MODULE.subarray(0, MODULE.indexOf(Buffer.from('cryptonight')) + 4));
    expect(cut.imports).toHaveLength(2);
    expect(cut.exports).toEqual([]);
    expect(wasmNames(Buffer.from('not a module at all'))).toEqual({ imports: [], exports: [] });
  });
});
