// Where a file lives, as the stealth detectors judge it: world-writable and memory-backed places
// droppers use, home and hidden directories, and the system's own library and program directories.
import type { Localized } from '../model/finding.js';
import { t } from './util.js';

const WRITABLE: { prefix: string; label: Localized }[] = [
  { prefix: '/tmp/', label: t('/tmp (world-writable)', '/tmp（所有人可写）') },
  { prefix: '/var/tmp/', label: t('/var/tmp (world-writable)', '/var/tmp（所有人可写）') },
  { prefix: '/dev/shm/', label: t('/dev/shm (shared memory, RAM only)', '/dev/shm（共享内存，仅在内存中）') },
  { prefix: '/run/', label: t('/run (runtime directory in RAM)', '/run（位于内存中的运行时目录）') },
  { prefix: '/var/run/', label: t('/run (runtime directory in RAM)', '/run（位于内存中的运行时目录）') },
  { prefix: '/dev/', label: t('/dev (no programs belong there)', '/dev（不应存放程序）') },
];

/** /tmp, /var/tmp, /dev/shm, /run or /dev: the places a dropper can always write to. */
export function writablePlace(file: string): Localized | undefined {
  return WRITABLE.find((w) => file.startsWith(w.prefix))?.label;
}

/** The loader's and the package manager's directories for libraries. */
export function inSystemLibDir(file: string): boolean {
  return /^\/(?:usr\/)?(?:local\/)?lib(?:32|64|x32)?\//.test(file);
}

/** A path component that is hidden (dot), blank or dots-only. */
export function oddComponent(file: string): string | undefined {
  return file
    .split('/')
    .slice(1, -1)
    .find((d) => d.startsWith('.') || d.trim() === '');
}

/** Where a library or program is odd to load from, or undefined for an ordinary place. */
export function oddPlace(file: string): Localized | undefined {
  if (file.startsWith('/memfd:')) return t('an anonymous memory file (memfd)', '匿名内存文件（memfd）');
  const w = writablePlace(file);
  if (w) return w;
  const odd = oddComponent(file);
  if (odd !== undefined)
    return t(`a hidden or blank-named directory ("${odd}")`, `隐藏或空白名称的目录（"${odd}"）`);
  return undefined;
}

/**
 * Why a shared object mapped into a process stands out by where it lies, and how much: from /tmp,
 * /dev/shm, /run, /dev or a memfd high, from a hidden directory medium, in a system library directory
 * while the package database knows no owner medium; undefined for an ordinary place. odd-shared-object
 * reports on it; the preload collector records owner and mode for exactly these (when in a toolchain tree).
 */
export function oddLibraryPlace(
  file: string,
  lib: { exists: boolean; package?: string | undefined },
  packageDb: boolean,
): { level: 'high' | 'medium'; why: Localized } | undefined {
  const place = oddPlace(file);
  if (place) {
    return {
      level: writablePlace(file) || file.startsWith('/memfd:') ? 'high' : 'medium',
      why: t(`it is loaded from ${place.en}`, `它从${place['zh-CN']}加载`),
    };
  }
  if (lib.exists && inSystemLibDir(file) && lib.package === undefined && packageDb)
    return { level: 'medium', why: t('no installed package owns it', '它不属于任何已安装的软件包') };
  return undefined;
}
