// Reads a WebAssembly module's import and export names from its bytes (the binary format's import
// and export sections), so a report lists them without asking the page, whose code could lie.
// Anything malformed ends the reading with what was read so far: names are a help, not a verdict.

const KINDS = ['function', 'table', 'memory', 'global', 'tag'];
/** Names listed per module; a module with more is cut (a miner needs a handful). */
const MAX_NAMES = 200;

export interface WasmNames {
  exports: { name: string; kind: string }[];
  imports: { module: string; name: string; kind: string }[];
}

class Reader {
  at = 0;
  constructor(
    private readonly b: Uint8Array,
    private readonly end = b.length,
  ) {}
  byte(): number {
    if (this.at >= this.end) throw new RangeError('end of section');
    return this.b[this.at++] as number;
  }
  /** An unsigned LEB128 number (u32 or u64; large values lose precision, which names do not mind). */
  uleb(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.byte();
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new RangeError('LEB128 too long');
  }
  name(): string {
    const len = this.uleb();
    if (this.at + len > this.end) throw new RangeError('name past the section');
    const s = Buffer.from(this.b.buffer, this.b.byteOffset + this.at, len).toString('utf8');
    this.at += len;
    return s;
  }
  limits(): void {
    const flags = this.byte();
    this.uleb();
    if (flags & 1) this.uleb();
  }
}

function readImport(r: Reader): { module: string; name: string; kind: string } {
  const module = r.name();
  const name = r.name();
  const kind = r.byte();
  if (kind === 0) r.uleb();
  else if (kind === 1) {
    r.byte();
    r.limits();
  } else if (kind === 2) r.limits();
  else if (kind === 3) {
    r.byte();
    r.byte();
  } else if (kind === 4) {
    r.byte();
    r.uleb();
  } else throw new RangeError(`unknown import kind ${kind}`);
  return { module, name, kind: KINDS[kind] ?? String(kind) };
}

/** The module's imports and exports, in section order. */
export function wasmNames(bytes: Uint8Array): WasmNames {
  const out: WasmNames = { exports: [], imports: [] };
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    return out;
  const r = new Reader(bytes);
  r.at = 8;
  try {
    while (r.at < bytes.length) {
      const id = r.byte();
      const size = r.uleb();
      const end = r.at + size;
      if (id === 2 || id === 7) {
        const s = new Reader(bytes, Math.min(end, bytes.length));
        s.at = r.at;
        const count = s.uleb();
        for (let i = 0; i < count && i < MAX_NAMES; i++) {
          if (id === 2) out.imports.push(readImport(s));
          else {
            const name = s.name();
            const kind = s.byte();
            s.uleb();
            out.exports.push({ name, kind: KINDS[kind] ?? String(kind) });
          }
        }
      }
      r.at = end;
    }
  } catch {
    // A cut or malformed module: keep the names read so far.
  }
  return out;
}
