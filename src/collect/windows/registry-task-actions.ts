// The binary `Actions` value of `TaskCache\Tasks\{GUID}`: what a task runs, even when its XML file
// was deleted. Layout (GDATAAdvancedAnalytics/winreg-tasks, actions.ksy): u16 version; version 3 adds
// a context string; then actions until the end, each a u16 magic, an id string and its properties
// (0x6666 exec: command, arguments, working directory, version 3 a u16 of flags; 0x7777 COM handler:
// a 16-byte class id and a data string; 0x8888 e-mail; 0x9999 message box). A string is a u32 byte
// length and UTF-16LE. Read defensively: a hostile value yields what was decoded before the damage.

/** More actions than Task Scheduler allows (32): the rest is damage. */
const MAX_ACTIONS = 32;
/** Longest string kept (the command line limit is 32,767 characters). */
const MAX_STRING_BYTES = 65536;

class Cursor {
  at = 0;
  constructor(private readonly buf: Buffer) {}

  u16(): number {
    if (this.at + 2 > this.buf.length) throw new RangeError('past the end');
    const n = this.buf.readUInt16LE(this.at);
    this.at += 2;
    return n;
  }

  u32(): number {
    if (this.at + 4 > this.buf.length) throw new RangeError('past the end');
    const n = this.buf.readUInt32LE(this.at);
    this.at += 4;
    return n;
  }

  bytes(n: number): Buffer {
    if (n > this.buf.length - this.at) throw new RangeError('past the end');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  string(): string {
    const n = this.u32();
    if (n > MAX_STRING_BYTES) throw new RangeError(`string of ${n} bytes`);
    const b = this.bytes(n);
    return b.toString('utf16le', 0, b.length & ~1).replace(/\0+$/, '');
  }

  get done(): boolean {
    return this.at >= this.buf.length;
  }
}

/** A class id as Windows writes it: `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}`. */
function guid(b: Buffer): string {
  const h = (x: Buffer) => x.toString('hex').toUpperCase();
  const swapped = (o: number, n: number) => h(Buffer.from(b.subarray(o, o + n)).reverse());
  return `{${swapped(0, 4)}-${swapped(4, 2)}-${swapped(6, 2)}-${h(b.subarray(8, 10))}-${h(b.subarray(10, 16))}}`;
}

/** One action's properties; what it runs as a line, or '' for actions that run nothing (mail, message). */
function readAction(c: Cursor, magic: number, version: number): string {
  switch (magic) {
    case 0x6666: {
      const command = c.string();
      const args = c.string();
      c.string(); // working directory
      if (version === 3) c.u16(); // flags
      return args ? `${command} ${args}` : command;
    }
    case 0x7777: {
      const clsid = guid(c.bytes(16));
      c.string();
      return `COM handler ${clsid}`;
    }
    case 0x8888: {
      for (let i = 0; i < 8; i++) c.string();
      const attachments = c.u32();
      for (let i = 0; i < attachments; i++) c.string();
      const headers = c.u32();
      for (let i = 0; i < headers * 2; i++) c.string();
      return '';
    }
    case 0x9999:
      c.string();
      c.string();
      return '';
    default:
      throw new RangeError(`unknown action magic 0x${magic.toString(16)}`);
  }
}

/**
 * The commands of a task's `Actions` value (`command arguments`, or `COM handler {CLSID}`), or
 * undefined when not even one action could be read. Never throws.
 */
export function decodeTaskActions(data: Buffer | undefined): string[] | undefined {
  if (!data || data.length < 2) return undefined;
  const c = new Cursor(data);
  const out: string[] = [];
  let read = 0;
  try {
    const version = c.u16();
    if (version === 3) c.string(); // the principal's context
    while (!c.done && read < MAX_ACTIONS) {
      const magic = c.u16();
      c.string(); // the action's id
      const line = readAction(c, magic, version);
      read++;
      if (line.trim() !== '') out.push(line);
    }
  } catch {
    // Damaged or hostile: keep what was read before.
  }
  return read > 0 ? out : undefined;
}
