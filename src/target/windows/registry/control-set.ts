// Control sets of a SYSTEM hive: which ControlSetNNN Windows boots with (Select\Current, falling
// back to Select\Default), and every ControlSetNNN present — an offline hive has no CurrentControlSet
// link, and a service planted in a non-current set still starts after a "last known good" boot.
import type { Hive } from './hive.js';
import type { RegKey } from './key.js';

export interface CurrentControlSet {
  key: RegKey;
  /** E.g. 'ControlSet001' (the key's name as stored). */
  name: string;
  number: number;
  /** Which Select value named it. */
  from: 'Current' | 'Default';
}

/** `ControlSet` + three digits, as Windows names them. */
export function controlSetName(n: number): string {
  return `ControlSet${String(n).padStart(3, '0')}`;
}

/** The control set Select\Current (or, failing that, Select\Default) names, when it exists. */
export function currentControlSet(system: Hive): CurrentControlSet | undefined {
  const select = system.root().subkey('Select');
  if (!select) return undefined;
  for (const from of ['Current', 'Default'] as const) {
    const n = select.value(from)?.number();
    if (n === undefined || n === 0) continue;
    const key = system.root().subkey(controlSetName(n));
    if (key) return { key, name: key.name, number: n, from };
  }
  return undefined;
}

/** Every ControlSetNNN key under the root, in list order. */
export function controlSets(system: Hive): RegKey[] {
  return system
    .root()
    .subkeys()
    .filter((k) => /^ControlSet\d{3}$/i.test(k.name));
}
