// A small ELF reader for one question: which functions does a shared object define and export? That
// is what a preload library intercepts. Our own parser, so the answer does not depend on binutils
// and a preload rootkit cannot lie to us through a hooked `nm`.

export class ElfError extends Error {}

const SHT_DYNSYM = 11;
const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const SHN_UNDEF = 0;
/** A hostile file cannot make us allocate more than this many symbols. */
const MAX_SYMBOLS = 200_000;

/**
 * Names of the functions a shared object defines in its dynamic symbol table (global or weak, not
 * undefined), sorted and without version suffixes. Throws ElfError for anything that is not a sane
 * 32- or 64-bit ELF with section headers.
 */
export function exportedFunctions(buf: Buffer): string[] {
  if (buf.length < 52 || buf.readUInt32BE(0) !== 0x7f454c46) throw new ElfError('not an ELF file');
  const is64 = buf[4] === 2;
  if (!is64 && buf[4] !== 1) throw new ElfError('unknown ELF class');
  const le = buf[5] === 1;
  if (!le && buf[5] !== 2) throw new ElfError('unknown ELF byte order');
  const u16 = (o: number): number => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const addr = (o: number): number => {
    if (!is64) return u32(o);
    const v = le ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError('offset out of range');
    return Number(v);
  };
  const inside = (off: number, len: number): void => {
    if (off < 0 || len < 0 || off + len > buf.length) throw new ElfError('truncated ELF file');
  };

  const shoff = addr(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  if (shoff === 0 || shnum === 0) throw new ElfError('no section headers');
  if (shentsize < (is64 ? 64 : 40)) throw new ElfError('bad section header size');
  inside(shoff, shentsize * shnum);

  const section = (
    i: number,
  ): { type: number; offset: number; size: number; link: number; entsize: number } => {
    const o = shoff + i * shentsize;
    return is64
      ? {
          type: u32(o + 4),
          offset: addr(o + 0x18),
          size: addr(o + 0x20),
          link: u32(o + 0x28),
          entsize: addr(o + 0x38),
        }
      : {
          type: u32(o + 4),
          offset: u32(o + 0x10),
          size: u32(o + 0x14),
          link: u32(o + 0x18),
          entsize: u32(o + 0x24),
        };
  };

  const names = new Set<string>();
  for (let i = 0; i < shnum; i++) {
    const sh = section(i);
    if (sh.type !== SHT_DYNSYM) continue;
    const entsize = sh.entsize || (is64 ? 24 : 16);
    const count = Math.floor(sh.size / entsize);
    if (count > MAX_SYMBOLS) throw new ElfError('too many symbols');
    inside(sh.offset, count * entsize);
    if (sh.link >= shnum) throw new ElfError('bad string table link');
    const strtab = section(sh.link);
    inside(strtab.offset, strtab.size);
    for (let s = 1; s < count; s++) {
      const o = sh.offset + s * entsize;
      const nameOff = u32(o);
      const info = buf[is64 ? o + 4 : o + 12] ?? 0;
      const shndx = u16(is64 ? o + 6 : o + 14);
      const type = info & 0xf;
      const bind = info >> 4;
      if (shndx === SHN_UNDEF || (type !== STT_FUNC && type !== STT_GNU_IFUNC)) continue;
      if (bind !== STB_GLOBAL && bind !== STB_WEAK) continue;
      if (nameOff >= strtab.size) continue;
      const start = strtab.offset + nameOff;
      let end = start;
      const limit = strtab.offset + strtab.size;
      while (end < limit && buf[end] !== 0) end++;
      const name = buf.toString('latin1', start, end);
      if (name !== '') names.add(name);
    }
  }
  return [...names].sort();
}
