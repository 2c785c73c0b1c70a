// Where miners hide on a Windows volume (source §4.2, §4.3, §4.5): the folders the content scan
// reads by default on a Windows target, found whatever case the copy kept. `Users/*` expands to
// every profile.
import type { TargetFs } from '../../target/fs.js';
import { findOnVolume } from '../../target/windows/volume.js';

/** Relative to the volume's root; `*` is every profile under Users. */
export const WINDOWS_CONTENT_DIRS = [
  'Windows/Fonts',
  'Windows/Temp',
  'Windows/Tasks',
  'Windows/System32/Tasks',
  'Windows/System32/drivers',
  'Windows/System32/wbem/AutoRecover',
  'Windows/SysWOW64/drivers',
  'Windows/debug',
  'Windows/Help',
  'ProgramData',
  'Users/Public',
  'Users/*/AppData',
  'Users/*/Downloads',
  'Users/*/Desktop',
  '$Recycle.Bin',
  'PerfLogs',
  'Intel',
];

/** The default content roots of a Windows volume that exist, as target paths. */
export async function windowsContentDirs(fs: TargetFs): Promise<string[]> {
  const out: string[] = [];
  const users = await findOnVolume(fs, 'Users');
  let profiles: string[] = [];
  if (users)
    profiles = (await fs.names(users).catch(() => [])).filter((n) => !/^(all users|default user)$/i.test(n));
  for (const rel of WINDOWS_CONTENT_DIRS) {
    const expanded = rel.includes('*') ? profiles.map((p) => rel.replace('*', p)) : [rel];
    for (const one of expanded) {
      const found = await findOnVolume(fs, one);
      if (found !== undefined) out.push(found);
    }
  }
  return out;
}
