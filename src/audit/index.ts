// The explicit list of audit checks, in the order the source's checklist gives them; the report
// orders them by status and level.
import { accessChecks } from './checks/access.js';
import { credentialChecks } from './checks/credentials.js';
import { firewallChecks } from './checks/firewall.js';
import { hostsChecks } from './checks/hosts.js';
import { hygieneChecks } from './checks/hygiene.js';
import { serviceChecks } from './checks/services.js';
import { runtimeSocketCheck } from './checks/runtime-sockets.js';
import { selinuxChecks } from './checks/selinux.js';
import { windowsAccountChecks } from './checks/windows-accounts.js';
import { windowsDefenderChecks } from './checks/windows-defender.js';
import { windowsNetworkChecks } from './checks/windows-network.js';
import { windowsSystemChecks } from './checks/windows-system.js';
import type { AuditCheck } from './types.js';

export const auditChecks: AuditCheck[] = [
  ...firewallChecks,
  ...hostsChecks,
  ...serviceChecks,
  runtimeSocketCheck,
  ...credentialChecks,
  ...hygieneChecks,
  ...selinuxChecks,
  ...accessChecks,
  // Windows volumes (issue 22); each reports not applicable on Linux, and the Linux checks there.
  ...windowsNetworkChecks,
  ...windowsDefenderChecks,
  ...windowsSystemChecks,
  ...windowsAccountChecks,
];
