// Builders for the stealth sections of a snapshot (preload, hidden, modules, dirs) in detector tests.
import type { Dirs, Hidden, Modules, Preload, SuspectDir } from '../../src/snapshot/stealth.js';

export const SHA = 'a'.repeat(64);

export function preloadWith(entries: string[], libraries: Preload['libraries'] = []): Preload {
  return {
    ldSoPreload: {
      path: '/etc/ld.so.preload',
      exists: entries.length > 0,
      entries,
      ...(entries.length ? { sha256: SHA } : {}),
    },
    ldSoConf: [{ file: '/etc/ld.so.conf', dirs: [] }],
    libraries,
    packageDb: 'dpkg',
  };
}

export function hiddenWith(partial: Partial<Hidden> = {}): Hidden {
  return {
    pidProbe: { pidMax: 32768, probedUpTo: 32768, listed: 120, psListed: 121, durationMs: 60 },
    processes: [],
    files: [],
    checkedDirs: [],
    deletedScripts: [],
    ...partial,
  };
}

export function modulesWith(partial: Partial<Modules> = {}): Modules {
  return {
    procModules: true,
    moduleTree: '/lib/modules/6.1.0-28-amd64',
    tainted: 0,
    modules: [],
    ...partial,
  };
}

export function suspectDir(partial: Partial<SuspectDir> & { path: string }): SuspectDir {
  return { place: '/tmp', name: 'dot', executables: [], minerConfigs: [], entries: 0, ...partial };
}

export function dirsWith(suspects: SuspectDir[]): Dirs {
  return { places: ['/', '/dev/shm', '/root', '/run', '/tmp', '/var/tmp'], suspects };
}
