// What the Windows audit checks (issue 22) share: the registry evidence they show (key\value = data),
// the facts they read, and the fix steps each failed check gives — a guard that tells whether the
// host still needs the fix and the PowerShell that applies it — from which both the report's fix
// command and the `--fix-script` PowerShell script are made. Every name and path from the volume is
// quoted with psQuote (single-quoted: nothing in it is expanded or run).
import type { Evidence, Localized } from '../../model/finding.js';
import type { WindowsAuditFacts } from '../../snapshot/audit-windows.js';
import type { Snapshot } from '../../snapshot/schema.js';
import { psQuote } from '../../detect/windows.js';
import { fact, unknown } from '../util.js';
import type { CheckOutcome } from '../types.js';

export { psQuote };

/** One step of a fix: run `body` when `guard` (a PowerShell condition) says the host still needs it. */
export interface FixStep {
  /** Steps with the same key are written once (two checks asking for one fix). */
  key: string;
  what: Localized;
  /** Absent: the step is safe to repeat as it is. */
  guard?: string;
  body: string;
}

/** The fix steps of a failed check for this snapshot. */
export type FixSteps = (snapshot: Snapshot) => FixStep[];

/** Registry evidence: `HKLM\…\Key\Value` = data (`(not set)` when absent). */
export function regFact(key: string, value: string, data: string | number | boolean | undefined): Evidence {
  return fact(`${key}\\${value}`, data === undefined ? '(not set)' : String(data));
}

/** The Windows audit facts, or the outcome to report when a part of them is missing. */
export function windowsFacts(snapshot: Snapshot): WindowsAuditFacts {
  return snapshot.audit?.windows ?? { hives: [] };
}

export function notRead(what: string, zh: string): CheckOutcome {
  return unknown(
    `${what} could not be read from the volume's hives.`,
    `无法从该卷的注册表配置单元中读取${zh}。`,
  );
}

/** `HKLM\SYSTEM\ControlSet001\…` → the live path `HKLM:\SYSTEM\CurrentControlSet\…` a fix writes to. */
export function livePath(key: string): string {
  return key.replace(/^HKLM\\/i, 'HKLM:\\').replace(/\\ControlSet\d{3}\\/i, '\\CurrentControlSet\\');
}

/** Sets a DWORD when it is not already `value` (creating it if needed). */
export function dwordStep(key: string, name: string, value: number, what: Localized): FixStep {
  const p = psQuote(livePath(key));
  const n = psQuote(name);
  return {
    key: `dword:${key}\\${name}`,
    what,
    guard: `(Get-ItemProperty -LiteralPath ${p} -Name ${n} -ErrorAction SilentlyContinue).${safeMember(name)} -ne ${value}`,
    body: `New-Item -Path ${p} -Force | Out-Null; New-ItemProperty -LiteralPath ${p} -Name ${n} -PropertyType DWord -Value ${value} -Force | Out-Null`,
  };
}

/** Removes a value when it exists. */
export function removeValueStep(key: string, name: string, what: Localized): FixStep {
  const p = psQuote(livePath(key));
  const n = psQuote(name);
  return {
    key: `remove:${key}\\${name}`,
    what,
    guard: `$null -ne (Get-ItemProperty -LiteralPath ${p} -Name ${n} -ErrorAction SilentlyContinue)`,
    body: `Remove-ItemProperty -LiteralPath ${p} -Name ${n}`,
  };
}

/** A member name usable after `.` (our own constant value names only; anything else is quoted). */
function safeMember(name: string): string {
  return /^[A-Za-z][A-Za-z0-9_]*$/.test(name) ? name : psQuote(name);
}

/** Stops a service and disables it when it exists and is not disabled yet. */
export function disableServiceStep(name: string, what: Localized): FixStep {
  const q = psQuote(name);
  return {
    key: `service:${name.toLowerCase()}`,
    what,
    guard: `(Get-Service -Name ${q} -ErrorAction SilentlyContinue) -and (Get-Service -Name ${q}).StartType -ne 'Disabled'`,
    body: `Stop-Service -Name ${q} -Force -ErrorAction SilentlyContinue; Set-Service -Name ${q} -StartupType Disabled`,
  };
}

/** The report's one-line fix command: the steps' bodies in order. */
export function fixCommandOf(steps: FixStep[]): string | undefined {
  return steps.length ? steps.map((s) => s.body).join('; ') : undefined;
}

/** Lower-case Windows path with `/` turned into `\` and environment variables spelled out. */
export function normalWindowsPath(p: string): string {
  return p
    .replace(/\//g, '\\')
    .replace(/%systemroot%|%windir%/gi, 'c:\\windows')
    .replace(/%programdata%|%allusersprofile%/gi, 'c:\\programdata')
    .replace(/%public%/gi, 'c:\\users\\public')
    .replace(/%userprofile%/gi, 'c:\\users\\user')
    .replace(/%(local)?appdata%/gi, 'c:\\users\\user\\appdata')
    .replace(/%te?mp%/gi, 'c:\\windows\\temp')
    .toLowerCase();
}

/**
 * Places any user (or a miner running as one) can write, where the source's campaigns put their files:
 * Fonts, Temp, ProgramData, user profiles (AppData, Public), the Recycle Bin, a drive's root.
 */
export function userWritablePlace(p: string): string | undefined {
  const n = normalWindowsPath(p);
  if (/^[a-z]:\\?$/.test(n) || n === '\\' || n === '*') return 'a whole drive';
  if (/\\windows\\fonts(\\|$)/.test(n)) return 'Windows\\Fonts';
  if (/\\(temp|tmp)(\\|$)/.test(n)) return 'Temp';
  if (/^([a-z]:)?\\programdata(\\|$)/.test(n)) return 'ProgramData';
  if (/^([a-z]:)?\\users(\\|$)/.test(n)) return 'a user folder';
  if (/\\appdata(\\|$)/.test(n)) return 'AppData';
  if (/\$recycle\.bin/.test(n)) return 'the Recycle Bin';
  return undefined;
}

/** Text for a comment: control characters shown as `?`, so a name cannot end the comment line. */
export function commentSafe(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is replaced
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '?');
}
