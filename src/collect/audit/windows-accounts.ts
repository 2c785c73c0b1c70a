// Local accounts of a Windows volume from its SAM hive (issue 22, source §3.7), read-only: each
// user's name (the `Names\<user>` key, whose default value's type field holds the RID) and the
// account-control flags of `Users\<RID>\F`. Password hashes live in the `V` value, which is never read.
import type { Hive } from '../../target/windows/registry/index.js';
import type { WindowsAccountsFacts } from '../../snapshot/audit-windows.js';

const USERS = 'SAM\\Domains\\Account\\Users';
const MAX_USERS = 10_000;
/** Offset of the account-control bits in the `F` value (after times and the RID). */
const F_ACB = 0x38;
export const ACB = { disabled: 0x0001, passwordNotRequired: 0x0004, passwordNeverExpires: 0x0200 };

export function readAccounts(sam: Hive): WindowsAccountsFacts | undefined {
  const users = sam.lookup(USERS);
  if (!users) return undefined;
  const out: WindowsAccountsFacts = { key: `HKLM\\SAM\\${USERS}`, users: [] };
  for (const name of users.subkey('Names')?.subkeys() ?? []) {
    if (out.users.length >= MAX_USERS) break;
    const rid = name.value('')?.type;
    if (rid === undefined) continue;
    const f = users.subkey(rid.toString(16).toUpperCase().padStart(8, '0'))?.value('F')?.bytes();
    if (!f || f.length < F_ACB + 2) continue;
    const flags = f.readUInt16LE(F_ACB);
    out.users.push({
      name: name.name,
      rid,
      flags,
      disabled: (flags & ACB.disabled) !== 0,
      passwordNotRequired: (flags & ACB.passwordNotRequired) !== 0,
      passwordNeverExpires: (flags & ACB.passwordNeverExpires) !== 0,
    });
  }
  return out;
}
