// Offline Windows registry hive reader (regf): open a hive held in memory, navigate keys and values,
// find the current control set. See hive.ts for what is an error and what is a problem.
export {
  DEFAULT_HIVE_LIMITS,
  HiveError,
  type HiveErrorReason,
  type HiveLimits,
  type HiveProblem,
  type HiveProblemReason,
} from './cells.js';
export { controlSetName, controlSets, currentControlSet, type CurrentControlSet } from './control-set.js';
export { Hive, openHive, type HiveInfo, type OpenHiveOptions } from './hive.js';
export { foldName, RegKey } from './key.js';
export { REG, regTypeName, RegValue } from './value.js';
