// `minehunter audit --fix-script harden.ps1` (issue 22): the fixes of a Windows volume's failed checks
// as one PowerShell script for an administrator of that host to review and run. Every step is
// commented in English and Chinese and guarded by a condition, so running the script twice changes
// nothing the second time; every name and path from the volume is single-quoted (psQuote) and
// comments carry no control characters, so a hostile share or task name stays inert. minehunter
// never runs it.
import type { AuditReport } from '../run.js';
import type { Snapshot } from '../../snapshot/schema.js';
import { windowsAccountFixes } from './windows-accounts.js';
import { windowsDefenderFixes } from './windows-defender.js';
import { windowsNetworkFixes } from './windows-network.js';
import { windowsSystemFixes } from './windows-system.js';
import { commentSafe, type FixStep, type FixSteps } from './windows-util.js';

export const WINDOWS_FIXES: Record<string, FixSteps> = {
  ...windowsNetworkFixes,
  ...windowsDefenderFixes,
  ...windowsSystemFixes,
  ...windowsAccountFixes,
};

/** The steps of the report's failed checks, each fix once, in the report's order (worst first). */
export function fixScriptSteps(report: AuditReport, snapshot: Snapshot): Array<FixStep & { check: string }> {
  const seen = new Set<string>();
  const out: Array<FixStep & { check: string }> = [];
  for (const c of report.checks) {
    if (c.status !== 'fail') continue;
    for (const step of WINDOWS_FIXES[c.id]?.(snapshot) ?? []) {
      if (seen.has(step.key)) continue;
      seen.add(step.key);
      out.push({ ...step, check: c.id });
    }
  }
  return out;
}

/** The script's text; an empty-bodied script (with its header) when nothing failed. */
export function renderFixScript(report: AuditReport, snapshot: Snapshot): string {
  const steps = fixScriptSteps(report, snapshot);
  const host = commentSafe(report.host.hostname ?? snapshot.target.root);
  const lines = [
    `# minehunter ${report.tool.version}: hardening script for ${host}, from the audit of ${report.generatedAt}.`,
    `# minehunter ${report.tool.version}：${host} 的加固脚本，依据 ${report.generatedAt} 的审计结果生成。`,
    '# Review every step before running it, in PowerShell as Administrator on that host. Each step',
    '# checks first whether it is still needed, so the script can be run again. minehunter ran nothing.',
    '# 运行前请逐条审查，并在该主机上以管理员身份在 PowerShell 中运行。每一步都会先检查是否仍需执行，',
    '# 因此脚本可以重复运行。minehunter 没有执行任何操作。',
    '#Requires -RunAsAdministrator',
    "$ErrorActionPreference = 'Stop'",
    '',
  ];
  if (steps.length === 0)
    lines.push('# Nothing to fix: no Windows check failed. / 无需修复：没有不通过的 Windows 检查项。');
  steps.forEach((s, i) => {
    lines.push(`# ${i + 1}. [${s.check}] ${commentSafe(s.what.en)}`);
    lines.push(`#    ${commentSafe(s.what['zh-CN'])}`);
    if (s.guard) lines.push(`if (${s.guard}) {`, `  ${s.body}`, '}');
    else lines.push(s.body);
    lines.push('');
  });
  return lines.join('\n');
}
