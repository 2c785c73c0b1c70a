// The path from a snapshot to a report, shared by `scan` (collect then analyze) and `analyze` (a
// snapshot file from elsewhere), so both give the same findings by construction. The user's inputs
// (IOC dirs, allowlists) are loaded first, so a typo fails before a scan spends time collecting.
import type { Snapshot } from '../snapshot/schema.js';
import { loadRuleset, defaultIocDir } from '../iocs/load.js';
import type { Ruleset } from '../iocs/types.js';
import { runDetectors } from '../detect/run.js';
import { applyAllowlist, loadAllowlist, type Allowlist } from '../allow/allowlist.js';
import { buildReport, type Report } from '../report/model.js';

export interface AnalysisInputs {
  /** Extra IOC directories, loaded beside the bundled iocs/. */
  iocDirs: string[];
  /** Allowlist files the user named: each must exist. */
  allowFiles: string[];
  /** Allowlist files read when they exist (the per-user default). */
  optionalAllowFiles: string[];
  /** Where parsed IOC files are cached; undefined parses every file (--no-cache). */
  iocCacheDir?: string;
}

export interface Analysis {
  ruleset: Ruleset;
  allowlist: Allowlist;
}

export async function prepareAnalysis(inputs: AnalysisInputs): Promise<Analysis> {
  const [ruleset, allowlist] = await Promise.all([
    loadRuleset([defaultIocDir(), ...inputs.iocDirs], { cacheDir: inputs.iocCacheDir }),
    loadAllowlist(inputs.allowFiles, inputs.optionalAllowFiles),
  ]);
  return { ruleset, allowlist };
}

export function analyzeSnapshot(
  snapshot: Snapshot,
  analysis: Analysis,
  meta: { toolVersion: string; now: Date },
): Report {
  const { findings, skipped } = runDetectors(snapshot, analysis.ruleset);
  return buildReport({
    snapshot,
    findings: applyAllowlist(findings, analysis.allowlist),
    skipped,
    rulesetHash: analysis.ruleset.hash,
    toolVersion: meta.toolVersion,
    now: meta.now,
  });
}
