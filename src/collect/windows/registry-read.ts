// Small readers the registry collectors share: a key's values by name (read once, not once per
// name asked), text cut to a sane size, and last-write times that never throw on a hostile FILETIME.
import { foldName, type RegKey, type RegValue } from '../../target/windows/registry/index.js';

/** Longest text kept from one value: an encoded PowerShell command fits, a hostile 16 MB one does not. */
export const MAX_VALUE_TEXT = 65536;

/** ISO 8601 of a date, or undefined when there is none or it is out of range (a hostile FILETIME). */
export function iso(d: Date | undefined): string | undefined {
  return d && Number.isFinite(d.getTime()) ? d.toISOString() : undefined;
}

/** A FILETIME held in 8 bytes (e.g. `ShutdownTime`), as ISO 8601; zero and absurd values are absent. */
export function filetimeIso(data: Buffer | undefined): string | undefined {
  if (!data || data.length < 8) return undefined;
  const ticks = data.readBigUInt64LE(0);
  if (ticks === 0n) return undefined;
  return iso(new Date(Number(ticks / 10000n) - 11644473600000));
}

/** The value a key holds, as `(default)` for the unnamed one (how regedit and reg query show it). */
export function valueLabel(name: string): string {
  return name === '' ? '(default)' : name;
}

/** A key's values, read once and looked up by name without regard to case. */
export class Values {
  private readonly byName = new Map<string, RegValue>();
  readonly list: RegValue[];

  constructor(key: RegKey) {
    this.list = key.values();
    for (const v of this.list) if (!this.byName.has(foldName(v.name))) this.byName.set(foldName(v.name), v);
  }

  get(name: string): RegValue | undefined {
    return this.byName.get(foldName(name));
  }

  has(name: string): boolean {
    return this.byName.has(foldName(name));
  }

  /** A string value's text (a REG_MULTI_SZ joined by newlines), cut to MAX_VALUE_TEXT. */
  text(name: string): string | undefined {
    return textOf(this.get(name));
  }

  /** A REG_DWORD (or small REG_QWORD). */
  number(name: string): number | undefined {
    return this.get(name)?.number();
  }
}

/** The text of a string value, cut to MAX_VALUE_TEXT; undefined for other types. */
export function textOf(v: RegValue | undefined): string | undefined {
  const s = v?.string();
  return s !== undefined && s.length > MAX_VALUE_TEXT ? s.slice(0, MAX_VALUE_TEXT) : s;
}
