// DOS attributes (hidden, system) of files on a Windows volume read from Linux. Only an NTFS mount
// carries them: ntfs-3g (fuseblk) and the kernel's ntfs3 expose `system.ntfs_attrib_be` (4 bytes,
// big-endian; 0x2 hidden, 0x4 system), a Samba-written copy `user.DOSATTRIB` (a "0x22" string first).
// Node has no xattr API and no dependency is added for it: `getfattr` (the attr package) is asked,
// when installed. A copied tree on ext4 or a triage collection has none: the caller says so once.
import { execFile } from 'node:child_process';
import { statfs } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** statfs types of file systems that can carry NTFS attributes: fuseblk (ntfs-3g), ntfs, ntfs3. */
const NTFS_TYPES = new Set([0x65735546, 0x5346544e, 0x7366746e]);
const HIDDEN = 0x2;
const SYSTEM = 0x4;

export interface DosAttributes {
  hidden: boolean;
  system: boolean;
}

export type AttributeReader = (hostPath: string) => Promise<DosAttributes | undefined>;

function fromBits(bits: number): DosAttributes {
  return { hidden: (bits & HIDDEN) !== 0, system: (bits & SYSTEM) !== 0 };
}

/**
 * The attributes in one `getfattr -e hex -n NAME` output (`system.ntfs_attrib_be=0x00000026`, or
 * `user.DOSATTRIB=0x3078323200…`, the hex of the text "0x22" and Samba's binary record).
 */
export function parseGetfattr(output: string): DosAttributes | undefined {
  const m = /^(system\.ntfs_attrib_be|system\.ntfs_attrib|user\.DOSATTRIB)=0x([0-9a-f]+)\s*$/im.exec(output);
  if (!m) return undefined;
  const bytes = Buffer.from(m[2]!.length % 2 ? `0${m[2]}` : m[2]!, 'hex');
  if (m[1] === 'user.DOSATTRIB') {
    const text = /^0x([0-9a-f]{1,8})/i.exec(bytes.toString('latin1'));
    return text ? fromBits(parseInt(text[1]!, 16)) : undefined;
  }
  if (bytes.length !== 4) return undefined;
  return fromBits(m[1] === 'system.ntfs_attrib' ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0));
}

async function getfattr(name: string, hostPath: string): Promise<DosAttributes | undefined> {
  try {
    const { stdout } = await run('getfattr', ['-h', '-e', 'hex', '-n', name, '--', hostPath], {
      timeout: 5000,
    });
    return parseGetfattr(stdout);
  } catch {
    return undefined;
  }
}

async function hasGetfattr(): Promise<boolean> {
  try {
    await run('getfattr', ['--version'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * A reader of DOS attributes for files under `root` (a host path), or undefined when this copy
 * cannot carry them (not an NTFS mount) or nothing here can read them (no `getfattr`).
 */
export async function attributeReader(root: string): Promise<AttributeReader | undefined> {
  let type: number;
  try {
    type = (await statfs(root)).type;
  } catch {
    return undefined;
  }
  if (!NTFS_TYPES.has(type) || !(await hasGetfattr())) return undefined;
  return async (hostPath) =>
    (await getfattr('system.ntfs_attrib_be', hostPath)) ?? (await getfattr('user.DOSATTRIB', hostPath));
}
