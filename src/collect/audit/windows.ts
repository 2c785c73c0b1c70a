// The prevention-audit collector of a Windows volume (issue 22, source §3): opens the volume's SYSTEM
// and SOFTWARE hives (and the SAM, read-only, for account flags) with the registry collector's
// helpers and reads the firewall, sharing, Defender, patch, remote-desktop, autologon and account
// facts (snapshot/audit-windows.ts). A hive that cannot be opened is named in `hives[]` and the
// facts it holds stay absent, so their checks report "unknown".
import type { CollectContext } from '../context.js';
import type { WindowsAuditFacts } from '../../snapshot/audit-windows.js';
import { currentControlSet } from '../../target/windows/registry/index.js';
import { CollectorLog } from '../support.js';
import { openHiveFile } from '../windows/registry-hives.js';
import { VolumeLookup } from '../windows/registry-image.js';
import { filetimeIso, Values } from '../windows/registry-read.js';
import { readAccounts } from './windows-accounts.js';
import { readDefender, readThirdPartyAv } from './windows-defender.js';
import { readWindowsFirewall } from './windows-firewall.js';
import {
  readOs,
  readRdp,
  readServiceStarts,
  readSharing,
  readWindowsUpdate,
  readWinlogon,
} from './windows-system.js';

const CONFIG = 'Windows/System32/config';

/** The Windows audit facts, or why there are none (neither hive could be opened). */
export async function collectWindowsAudit(
  ctx: CollectContext,
): Promise<WindowsAuditFacts | { skipped: string }> {
  const log = new CollectorLog('audit.windows', ['audit']);
  const lookup = new VolumeLookup(ctx.fs);
  const open = async (name: string) =>
    openHiveFile(ctx.fs, log, name, await lookup.find(`${CONFIG}/${name}`), `/${CONFIG}/${name}`);
  const systemFile = await open('SYSTEM');
  const softwareFile = await open('SOFTWARE');
  // The SAM is optional (triage copies often leave it out): opened only when the volume holds it.
  const samPath = await lookup.find(`${CONFIG}/SAM`);
  const samFile =
    samPath !== undefined ? await openHiveFile(ctx.fs, log, 'SAM', samPath, samPath) : undefined;
  const hives = [systemFile, softwareFile, ...(samFile ? [samFile] : [])].map((h) => ({
    name: h.name,
    file: h.file,
    ...(h.error !== undefined ? { error: h.error } : {}),
  }));
  const { hive: system } = systemFile;
  const { hive: software } = softwareFile;
  if (!system && !software)
    return { skipped: `the SYSTEM and SOFTWARE hives could not be read (${systemFile.error ?? ''})` };
  const facts: WindowsAuditFacts = { hives };
  const ccs = system ? currentControlSet(system) : undefined;
  if (system && ccs) {
    facts.controlSet = ccs.name;
    const servicesBase = `HKLM\\SYSTEM\\${ccs.name}\\Services`;
    const services = ccs.key.subkey('Services');
    const clockRel = `${ccs.name}\\Control\\Windows`;
    const windows = system.lookup(clockRel);
    const lastShutdown = windows ? filetimeIso(new Values(windows).get('ShutdownTime')?.bytes()) : undefined;
    facts.clock = { key: `HKLM\\SYSTEM\\${clockRel}`, ...(lastShutdown ? { lastShutdown } : {}) };
    facts.firewall = readWindowsFirewall(system, ccs.name, software);
    facts.services = readServiceStarts(services, servicesBase);
    facts.sharing = readSharing(services, servicesBase);
    facts.antivirus = readThirdPartyAv(services, servicesBase);
    facts.rdp = readRdp(system, ccs.name);
  }
  if (software) {
    facts.defender = readDefender(software);
    facts.os = readOs(software);
    facts.windowsUpdate = readWindowsUpdate(software);
    facts.winlogon = readWinlogon(software);
  }
  const accounts = samFile?.hive ? readAccounts(samFile.hive) : undefined;
  if (accounts) facts.accounts = accounts;
  return facts;
}
