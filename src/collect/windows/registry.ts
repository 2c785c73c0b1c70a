// The registry collector of a Windows volume (issue 14; source §4.2, §4.3): opens SYSTEM, SOFTWARE
// and each profile's NTUSER.DAT with the offline hive reader and fills the snapshot's `windows`
// system facts, users, services and drivers, autostarts and TaskCache, and the host name for the
// report header. A hive that cannot be opened or is damaged makes the record `partial` and the rest
// is still read; nothing a hostile hive holds makes it throw.
import type { CollectContext } from '../context.js';
import type { CollectionRecord, Host } from '../../snapshot/schema.js';
import type { HiveRead, Windows } from '../../snapshot/windows.js';
import { currentControlSet, type Hive } from '../../target/windows/registry/index.js';
import { CollectorLog } from '../support.js';
import {
  registryAutostarts,
  startupFolders,
  withImages,
  type AutostartDraft,
} from './registry-autostarts.js';
import { hiveRead, listProfiles, openHiveFile, type Profile } from './registry-hives.js';
import { ImageResolver, VolumeLookup } from './registry-image.js';
import { filetimeIso, Values } from './registry-read.js';
import { collectServices } from './registry-services.js';
import { collectTaskCache } from './registry-taskcache.js';

const CONFIG = 'Windows/System32/config';
const NTCV = 'Microsoft\\Windows NT\\CurrentVersion';

type SystemFacts = Omit<NonNullable<Windows['system']>, 'hives'>;

/** Computer name, control set and last shutdown from SYSTEM; product and build from SOFTWARE. */
function systemFacts(system: Hive | undefined, software: Hive | undefined): SystemFacts {
  const out: SystemFacts = {};
  const ccs = system ? currentControlSet(system) : undefined;
  if (ccs) {
    out.currentControlSet = ccs.name;
    const name = system!.lookup(`${ccs.name}\\Control\\ComputerName\\ComputerName`);
    const computerName = name ? new Values(name).text('ComputerName') : undefined;
    if (computerName) out.computerName = computerName;
    const windows = system!.lookup(`${ccs.name}\\Control\\Windows`);
    const lastShutdown = windows ? filetimeIso(new Values(windows).get('ShutdownTime')?.bytes()) : undefined;
    if (lastShutdown) out.lastShutdown = lastShutdown;
  }
  const cv = software?.lookup(NTCV);
  if (cv) {
    const v = new Values(cv);
    const productName = v.text('ProductName');
    const build = v.text('CurrentBuild') ?? v.text('CurrentBuildNumber');
    if (productName) out.productName = productName;
    if (build) out.currentBuild = build;
  }
  return out;
}

/** Each user's HKCU autostarts, one NTUSER.DAT in memory at a time (a server may have hundreds). */
async function userAutostarts(
  ctx: CollectContext,
  log: CollectorLog,
  profiles: Profile[],
): Promise<{ drafts: AutostartDraft[]; reads: HiveRead[] }> {
  const drafts: AutostartDraft[] = [];
  const reads: HiveRead[] = [];
  for (const profile of profiles) {
    if (profile.ntuser === undefined) continue;
    const name = `NTUSER.DAT (${profile.name})`;
    const opened = await openHiveFile(ctx.fs, log, name, profile.ntuser, profile.ntuser);
    if (opened.hive)
      drafts.push(
        ...registryAutostarts({ hive: opened.hive, kind: 'HKCU', prefix: 'HKCU', user: profile.name }),
      );
    reads.push(hiveRead(opened, log));
  }
  return { drafts, reads };
}

/**
 * Reads the volume's hives into the snapshot's `windows` facts and the host name. Never rejects on
 * what the volume holds: an unreadable or damaged hive is an error of the `partial` record.
 */
export async function collectRegistry(ctx: CollectContext): Promise<{
  windows?: Windows;
  host?: Host;
  record: CollectionRecord;
}> {
  const log = new CollectorLog('windows.registry', ['host', 'windows-registry']);
  const lookup = new VolumeLookup(ctx.fs);
  const images = new ImageResolver(lookup);
  const profiles = await listProfiles(ctx.fs, lookup);
  const open = async (name: string, rel: string) =>
    openHiveFile(ctx.fs, log, name, await lookup.find(rel), `/${rel}`);
  const systemFile = await open('SYSTEM', `${CONFIG}/SYSTEM`);
  const softwareFile = await open('SOFTWARE', `${CONFIG}/SOFTWARE`);
  const { hive: system } = systemFile;
  const { hive: software } = softwareFile;
  const windows: Windows = {
    users: profiles.map((p) => ({ name: p.name, profile: p.profile, ntuser: p.ntuser !== undefined })),
  };
  if (system) windows.services = await collectServices(system, currentControlSet(system)?.key, images);
  const user = await userAutostarts(ctx, log, profiles);
  const drafts = software
    ? registryAutostarts({ hive: software, kind: 'HKLM', prefix: 'HKLM\\SOFTWARE' })
    : [];
  windows.autostarts = [
    ...(await withImages([...drafts, ...user.drafts], images)),
    ...(await startupFolders(images, profiles)),
  ];
  const taskCache = software ? await collectTaskCache(software, lookup) : undefined;
  if (taskCache) windows.taskCache = taskCache;
  // Damage is found while reading: the hive records are made once everything was read.
  const hives = [hiveRead(systemFile, log), hiveRead(softwareFile, log), ...user.reads];
  const facts = systemFacts(system, software);
  windows.system = { ...facts, hives };
  const host: Host = { addresses: [], ...(facts.computerName ? { hostname: facts.computerName } : {}) };
  // The report's header names the system as a Linux one's names its distribution.
  if (facts.productName)
    host.distribution = { id: 'windows', name: facts.productName, version: facts.currentBuild };
  const dirty = hives.filter((h) => h.dirty).length;
  // A dirty hive is read as it lies (its .LOG1/.LOG2 not replayed): the latest writes may be missing.
  const note = `${hives.filter((h) => h.ok).length} of ${hives.length} hives read${dirty ? `, ${dirty} not cleanly closed (transaction logs not replayed)` : ''}`;
  return { windows, host, record: log.record(log.errorCount > 0 ? 'partial' : 'ok', note) };
}
