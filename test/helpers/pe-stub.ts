// Builds small, valid, inert PE files for the tests (the Windows volume fixtures and the PE reader's
// own tests): the headers `file(1)` and `objdump -p` read, a `.text` section that only returns, an
// optional version resource, an optional embedded certificate table and an optional `.data` section
// holding whatever strings a test plants (miner-like ones, so the content rules have something to
// match). Nothing here runs: the code is `xor eax, eax; ret`.
//
//   peStub()                                                  // PE32+ x64 console program
//   peStub({ subsystem: 'native' })                           // a driver (`.sys`)
//   peStub({ dll: true, version: { CompanyName: 'Microsoft Corporation' }, signed: true })
//   peStub({ machine: 'x86' })                                // PE32 (32-bit headers)
//   peStub({ extra: 'stratum+tcp://pool.example:3333 --donate-level 1' })

export interface PeStubOptions {
  /** `x64` (default, PE32+), `arm64` (PE32+) or `x86` (PE32). */
  machine?: 'x64' | 'x86' | 'arm64';
  /** Default `windows-cui`; `native` is what drivers have. */
  subsystem?: 'native' | 'windows-gui' | 'windows-cui';
  /** Sets IMAGE_FILE_DLL. */
  dll?: boolean;
  /** Strings of the version resource's first string table (StringFileInfo, 040904B0). */
  version?: Partial<Record<'CompanyName' | 'ProductName' | 'FileDescription' | 'OriginalFilename', string>>;
  /** Appends a WIN_CERTIFICATE (dummy PKCS#7 bytes) and points the security directory at it. */
  signed?: boolean;
  /** Text put in a `.data` section (UTF-8, as a miner's config strings would be). */
  extra?: string;
}

const MACHINE = { x64: 0x8664, x86: 0x14c, arm64: 0xaa64 } as const;
const SUBSYSTEM = { native: 1, 'windows-gui': 2, 'windows-cui': 3 } as const;
const FILE_ALIGN = 0x200;
const SECTION_ALIGN = 0x1000;
const HEADERS_SIZE = 0x400;

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

function utf16z(s: string): Buffer {
  return Buffer.from(`${s}\0`, 'utf16le');
}

/** One VS_VERSIONINFO block: header, key, padding, value, padding, children (all 4-aligned). */
function versionBlock(
  key: string,
  value: Buffer,
  valueLength: number,
  text: boolean,
  children: Buffer[],
): Buffer {
  const head = Buffer.concat([Buffer.alloc(6), utf16z(key)]);
  const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc(align(b.length, 4) - b.length)]);
  const body = Buffer.concat([pad(Buffer.concat([pad(head), value])), ...children.map(pad)]);
  // wLength excludes the padding after the last child (the value when there is none).
  const last = children.length > 0 ? children[children.length - 1]! : value;
  const length = body.length - (align(last.length, 4) - last.length);
  body.writeUInt16LE(length, 0);
  body.writeUInt16LE(valueLength, 2);
  body.writeUInt16LE(text ? 1 : 0, 4);
  return body.subarray(0, length);
}

/** A VS_VERSIONINFO resource holding one string table with `strings`. */
export function versionInfo(strings: Record<string, string>): Buffer {
  const fixed = Buffer.alloc(52);
  fixed.writeUInt32LE(0xfeef04bd, 0);
  fixed.writeUInt32LE(0x00010000, 4);
  const entries = Object.entries(strings).map(([k, v]) => versionBlock(k, utf16z(v), v.length + 1, true, []));
  const table = versionBlock('040904B0', Buffer.alloc(0), 0, true, entries);
  const sfi = versionBlock('StringFileInfo', Buffer.alloc(0), 0, true, [table]);
  return versionBlock('VS_VERSION_INFO', fixed, 52, false, [sfi]);
}

/** A resource section at `rva`: type 16 (RT_VERSION) → id 1 → language 0x409 → the data. */
function resourceSection(version: Buffer, rva: number): Buffer {
  const dir = (entries: [number, number][]): Buffer => {
    const b = Buffer.alloc(16 + entries.length * 8);
    b.writeUInt16LE(entries.length, 14);
    entries.forEach(([id, target], i) => {
      b.writeUInt32LE(id, 16 + i * 8);
      b.writeUInt32LE(target >>> 0, 20 + i * 8);
    });
    return b;
  };
  const l1 = dir([[16, 0x80000000 | 24]]);
  const l2 = dir([[1, 0x80000000 | 48]]);
  const l3 = dir([[0x409, 72]]);
  const leaf = Buffer.alloc(16);
  leaf.writeUInt32LE(rva + 88, 0);
  leaf.writeUInt32LE(version.length, 4);
  return Buffer.concat([l1, l2, l3, leaf, version]);
}

interface StubSection {
  name: string;
  data: Buffer;
  flags: number;
}

function sectionsOf(opts: PeStubOptions): StubSection[] {
  const out: StubSection[] = [{ name: '.text', data: Buffer.from([0x31, 0xc0, 0xc3]), flags: 0x60000020 }];
  if (opts.version) {
    const rva = SECTION_ALIGN * (out.length + 1);
    out.push({ name: '.rsrc', data: resourceSection(versionInfo(opts.version), rva), flags: 0x40000040 });
  }
  if (opts.extra !== undefined)
    out.push({ name: '.data', data: Buffer.from(opts.extra, 'utf8'), flags: 0xc0000040 });
  return out;
}

/** DOS header with the usual stub message, and `PE\0\0` at e_lfanew 0x80. */
function dosHeader(): Buffer {
  const b = Buffer.alloc(0x80);
  b.write('MZ', 0, 'latin1');
  b.writeUInt16LE(0x90, 2);
  b.writeUInt16LE(3, 4);
  b.writeUInt16LE(4, 8);
  b.writeUInt16LE(0xffff, 0x0c);
  b.writeUInt16LE(0xb8, 0x10);
  b.writeUInt16LE(0x40, 0x18);
  b.writeUInt32LE(0x80, 0x3c);
  b.write('This program cannot be run in DOS mode.\r\r\n$', 0x4e, 'latin1');
  return b;
}

/** The optional header (PE32 or PE32+) with 16 data directories. */
function optionalHeader(opts: PeStubOptions, plus: boolean, imageSize: number, dirs: Buffer): Buffer {
  const b = Buffer.alloc(plus ? 112 : 96);
  b.writeUInt16LE(plus ? 0x20b : 0x10b, 0);
  b.writeUInt8(14, 2);
  b.writeUInt32LE(FILE_ALIGN, 4);
  b.writeUInt32LE(SECTION_ALIGN, 16);
  b.writeUInt32LE(SECTION_ALIGN, 20);
  if (plus) b.writeBigUInt64LE(opts.dll ? 0x180000000n : 0x140000000n, 24);
  else b.writeUInt32LE(opts.dll ? 0x10000000 : 0x400000, 28);
  b.writeUInt32LE(SECTION_ALIGN, 32);
  b.writeUInt32LE(FILE_ALIGN, 36);
  b.writeUInt16LE(6, 40);
  b.writeUInt16LE(6, 48);
  b.writeUInt32LE(imageSize, 56);
  b.writeUInt32LE(HEADERS_SIZE, 60);
  b.writeUInt16LE(SUBSYSTEM[opts.subsystem ?? 'windows-cui'], 68);
  b.writeUInt16LE(0x8160, 70);
  if (plus) {
    b.writeBigUInt64LE(0x100000n, 72);
    b.writeBigUInt64LE(0x1000n, 80);
    b.writeBigUInt64LE(0x100000n, 88);
    b.writeBigUInt64LE(0x1000n, 96);
  } else {
    [0x100000, 0x1000, 0x100000, 0x1000].forEach((v, i) => b.writeUInt32LE(v, 72 + i * 4));
  }
  b.writeUInt32LE(16, plus ? 108 : 92);
  return Buffer.concat([b, dirs]);
}

function certificate(): Buffer {
  const b = Buffer.alloc(64, 0x30);
  b.writeUInt32LE(b.length, 0);
  b.writeUInt16LE(0x0200, 4);
  b.writeUInt16LE(0x0002, 6);
  return b;
}

/**
 * A minimal valid PE file (see PeStubOptions): `file(1)` calls the default one "PE32+ executable
 * (console) x86-64", a native one "(native)", a DLL "(DLL)". Deterministic for the same options.
 */
export function peStub(opts: PeStubOptions = {}): Buffer {
  const plus = (opts.machine ?? 'x64') !== 'x86';
  const sections = sectionsOf(opts);
  const raw = sections.map((s) => align(s.data.length, FILE_ALIGN));
  const offsets = raw.map((_, i) => HEADERS_SIZE + raw.slice(0, i).reduce((a, n) => a + n, 0));
  const bodyEnd = HEADERS_SIZE + raw.reduce((a, n) => a + n, 0);
  const cert = opts.signed ? certificate() : undefined;
  const dirs = Buffer.alloc(16 * 8);
  const rsrc = sections.findIndex((s) => s.name === '.rsrc');
  if (rsrc >= 0) {
    dirs.writeUInt32LE(SECTION_ALIGN * (rsrc + 1), 2 * 8);
    dirs.writeUInt32LE(sections[rsrc]!.data.length, 2 * 8 + 4);
  }
  if (cert) {
    dirs.writeUInt32LE(bodyEnd, 4 * 8);
    dirs.writeUInt32LE(cert.length, 4 * 8 + 4);
  }
  const imageSize = SECTION_ALIGN * (sections.length + 1);
  const optional = optionalHeader(opts, plus, imageSize, dirs);
  const coff = Buffer.alloc(24);
  coff.write('PE\0\0', 0, 'latin1');
  coff.writeUInt16LE(MACHINE[opts.machine ?? 'x64'], 4);
  coff.writeUInt16LE(sections.length, 6);
  coff.writeUInt16LE(optional.length, 20);
  coff.writeUInt16LE(0x0022 | (opts.dll ? 0x2000 : 0) | (plus ? 0 : 0x0100), 22);
  const table = Buffer.concat(
    sections.map((s, i) => {
      const h = Buffer.alloc(40);
      h.write(s.name, 0, 'latin1');
      h.writeUInt32LE(s.data.length, 8);
      h.writeUInt32LE(SECTION_ALIGN * (i + 1), 12);
      h.writeUInt32LE(raw[i]!, 16);
      h.writeUInt32LE(offsets[i]!, 20);
      h.writeUInt32LE(s.flags, 36);
      return h;
    }),
  );
  const headers = Buffer.concat([dosHeader(), coff, optional, table]);
  const file = Buffer.alloc(bodyEnd + (cert?.length ?? 0));
  headers.copy(file, 0);
  sections.forEach((s, i) => s.data.copy(file, offsets[i]!));
  cert?.copy(file, bodyEnd);
  // AddressOfEntryPoint: the start of .text.
  file.writeUInt32LE(SECTION_ALIGN, 0x80 + 24 + 16);
  return file;
}
