// The detectors minehunter runs, as an explicit list: a new detector is added here (and gets a test
// and a docs page, which detectors.meta.test.ts checks). Order breaks ties between equally strong
// signals when correlation picks the finding's rule, so the most specific detectors come first.
import { fakeKernelThread } from './detectors/fake-kernel-thread.js';
import { highCpuOddPath } from './detectors/high-cpu-odd-path.js';
import { minerCommandLine } from './detectors/miner-command-line.js';
import { minerProcessName } from './detectors/miner-process-name.js';
import { poolConnection } from './detectors/pool-connection.js';
import { contentMatch } from './detectors/content-match.js';
import { binaryPadding } from './detectors/binary-padding.js';
import { knownBadHash } from './detectors/known-bad-hash.js';
import { ldSoPreload } from './detectors/ld-so-preload.js';
import { ldEnvPreload } from './detectors/ld-env-preload.js';
import { oddSharedObject } from './detectors/odd-shared-object.js';
import { hiddenProcess } from './detectors/hidden-process.js';
import { hiddenFile } from './detectors/hidden-file.js';
import { fileless } from './detectors/fileless.js';
import { hiddenDirectory } from './detectors/hidden-directory.js';
import { kernelModule } from './detectors/kernel-module.js';
import { persistenceDownloadExec } from './detectors/persistence-download-exec.js';
import { persistenceOddPath } from './detectors/persistence-odd-path.js';
import { sshKeyForcedCommand } from './detectors/ssh-key-forced-command.js';
import { sshKeyRecent } from './detectors/ssh-key-recent.js';
import { hostsTampering } from './detectors/hosts-tampering.js';
import { sudoersNopasswdOdd } from './detectors/sudoers-nopasswd-odd.js';
import { immutablePersistence } from './detectors/immutable-persistence.js';
import { systemBinaryModified } from './detectors/system-binary-modified.js';
import { symlinkOutsideRoot } from './detectors/symlink-outside-root.js';
import { archiveBombHideout } from './detectors/archive-bomb-hideout.js';
import { webInjectionPlace } from './detectors/web-injection-place.js';
import { webLivePage } from './detectors/web-live-page.js';
import { windowsDriverService } from './detectors/windows-driver-service.js';
import { windowsOddBinary } from './detectors/windows-odd-binary.js';
import { windowsHiddenFolder } from './detectors/windows-hidden-folder.js';
import { windowsWmiSubscription } from './detectors/windows-wmi-subscription.js';
import { windowsServiceOdd } from './detectors/windows-service-odd.js';
import { windowsScheduledTask } from './detectors/windows-scheduled-task.js';
import { windowsAutostart } from './detectors/windows-autostart.js';
import { imageEntrypoint } from './detectors/image-entrypoint.js';
import { imageContent } from './detectors/image-content.js';
import { imageEnv } from './detectors/image-env.js';
import { imageBuildStep } from './detectors/image-build-step.js';
import { imagePoolPort } from './detectors/image-pool-port.js';
import { imageBomb } from './detectors/image-bomb.js';
import type { Detector } from './types.js';

export const detectors: Detector[] = [
  // A hidden PID and a memory-only miner name the kind more precisely than the miner signals they
  // merge with (which still escalate the level), so they win ties.
  hiddenProcess,
  fileless,
  minerProcessName,
  minerCommandLine,
  poolConnection,
  fakeKernelThread,
  highCpuOddPath,
  knownBadHash,
  contentMatch,
  binaryPadding,
  ldSoPreload,
  ldEnvPreload,
  oddSharedObject,
  hiddenFile,
  hiddenDirectory,
  kernelModule,
  // Persistence and tampering come after the miner detectors: a persistence hit that chain.ts links
  // to a miner's process joins that finding without taking over its rule and title.
  persistenceDownloadExec,
  persistenceOddPath,
  sshKeyForcedCommand,
  sshKeyRecent,
  hostsTampering,
  sudoersNopasswdOdd,
  immutablePersistence,
  systemBinaryModified,
  symlinkOutsideRoot,
  archiveBombHideout,
  webInjectionPlace,
  webLivePage,
  // A Windows volume (issue 14). A planted program's file is the subject of every hit about it, so a
  // driver service, a task or a Run value merges with the file's own finding: the miner-category
  // ones (driver, planted binary, Fonts folder, WMI consumer) come first so that, on a tie, the
  // finding is named for what the object is; the persistence that starts it joins as a signal.
  windowsDriverService,
  windowsOddBinary,
  windowsHiddenFolder,
  windowsWmiSubscription,
  windowsServiceOdd,
  windowsScheduledTask,
  windowsAutostart,
  // Container images (their hits share the subject `image:<digest>`, so they merge only with each
  // other): what a container starts names the finding on a tie, then what the layers carry.
  imageEntrypoint,
  imageContent,
  imageEnv,
  imageBuildStep,
  imagePoolPort,
  imageBomb,
];
