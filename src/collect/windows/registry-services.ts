// Services and drivers of a SYSTEM hive (source §4.2): every `<ControlSet>\Services\*` key of the
// current control set, plus those present only in another control set (a "last known good" boot
// starts them too), with their type, start mode, image, account, failure command and last write,
// and the image they load resolved on the volume.
import { controlSets, type Hive, type RegKey } from '../../target/windows/registry/index.js';
import type { WindowsService } from '../../snapshot/windows.js';
import { SERVICE_STARTS, SERVICE_TYPES } from '../../snapshot/windows.js';
import type { ImageResolver } from './registry-image.js';
import { iso, Values } from './registry-read.js';

/** More services than any real system has (a few hundred per control set): the rest is a hostile hive. */
export const MAX_SERVICES = 20000;

type ServiceType = (typeof SERVICE_TYPES)[number];
type ServiceStart = (typeof SERVICE_STARTS)[number];

/** What the `Type` value says (winnt.h SERVICE_* bits; 0x50/0x60 are per-user service templates). */
export function serviceType(n: number | undefined): ServiceType {
  if (n === undefined) return 'other';
  if (n === 0x1) return 'kernel-driver';
  if (n === 0x2) return 'fs-driver';
  if ((n & 0x40) !== 0 && (n & 0x30) !== 0) return 'user-service';
  if ((n & 0x30) === 0x10) return 'own-process';
  if ((n & 0x30) === 0x20) return 'share-process';
  return 'other';
}

const STARTS: ServiceStart[] = ['boot', 'system', 'auto', 'demand', 'disabled'];

/** What the `Start` value says. */
export function serviceStart(n: number | undefined): ServiceStart {
  return n !== undefined && n >= 0 && n < STARTS.length ? STARTS[n]! : 'unknown';
}

/** The facts of one service key, as written (no file access). */
export function readService(key: RegKey, controlSet: string): WindowsService {
  const v = new Values(key);
  const typeValue = v.number('Type');
  const startValue = v.number('Start');
  const svc: WindowsService = {
    name: key.name,
    key: `HKLM\\SYSTEM\\${key.path}`,
    controlSet,
    type: serviceType(typeValue),
    start: serviceStart(startValue),
  };
  if (typeValue !== undefined) svc.typeValue = typeValue;
  if (startValue !== undefined) svc.startValue = startValue;
  const texts = {
    displayName: 'DisplayName',
    description: 'Description',
    imagePath: 'ImagePath',
    objectName: 'ObjectName',
    failureCommand: 'FailureCommand',
  } as const;
  for (const [field, name] of Object.entries(texts) as Array<[keyof typeof texts, string]>) {
    const text = v.text(name);
    if (text !== undefined && text !== '') svc[field] = text;
  }
  const params = key.subkey('Parameters');
  const dll = params ? new Values(params).text('ServiceDll') : undefined;
  if (dll) svc.serviceDll = dll;
  const lastWrite = iso(key.lastWritten);
  if (lastWrite) svc.lastWrite = lastWrite;
  return svc;
}

/** What the service loads: its ServiceDll, its ImagePath's program, or a driver's default file. */
async function imageOf(svc: WindowsService, images: ImageResolver): Promise<WindowsService['image']> {
  if (svc.serviceDll) return images.path(svc.serviceDll);
  if (svc.imagePath) return images.command(svc.imagePath);
  // A driver without ImagePath is loaded from \SystemRoot\System32\drivers\<name>.sys.
  if (svc.type === 'kernel-driver' || svc.type === 'fs-driver')
    return images.path(`System32\\drivers\\${svc.name}.sys`);
  return undefined;
}

/**
 * The services of the current control set, then those found only in another one (with that set's
 * name). Without a readable `Select`, every control set is read in list order, first one wins.
 */
export async function collectServices(
  system: Hive,
  current: RegKey | undefined,
  images: ImageResolver,
): Promise<WindowsService[]> {
  const sets = controlSets(system).filter((k) => k.offset !== current?.offset);
  if (current) sets.unshift(current);
  const seen = new Set<string>();
  const out: WindowsService[] = [];
  for (const set of sets) {
    for (const key of set.subkey('Services')?.subkeys() ?? []) {
      const folded = key.name.toLowerCase();
      if (seen.has(folded) || out.length >= MAX_SERVICES) continue;
      seen.add(folded);
      out.push(readService(key, set.name));
    }
  }
  for (const svc of out) {
    const image = await imageOf(svc, images);
    if (image) svc.image = image;
  }
  return out;
}
