// sudoers and its drop-ins, parsed into rules (who, run-as, NOPASSWD, commands). Defaults and alias
// definitions are not rules and are skipped; sudo ignores drop-in names with a dot or ending in `~`.
import type { SudoRule } from '../../../snapshot/persistence.js';
import { logicalLines, type RootReader } from './reader.js';

export function parseSudoers(text: string, file: string): SudoRule[] {
  const out: SudoRule[] = [];
  for (const l of logicalLines(text, true)) {
    // `#123` as a user is a uid; `#include` is a directive; any other `#` line is a comment.
    if (l.text.startsWith('#') && !/^#\d+\s/.test(l.text)) continue;
    if (/^(?:Defaults|User_Alias|Runas_Alias|Host_Alias|Cmnd_Alias|Cmd_Alias|@include)/.test(l.text))
      continue;
    const m = /^(\S+)\s+([^=]+?)\s*=\s*(?:\(([^)]*)\)\s*)?(.*)$/.exec(l.text.replace(/\s#.*$/, ''));
    if (!m) continue;
    const spec = m[4]!;
    const nopasswd = /\bNOPASSWD\s*:/.test(spec);
    const commands = spec
      .replace(/\b(?:NO)?(?:PASSWD|EXEC|SETENV|LOG_INPUT|LOG_OUTPUT|MAIL|FOLLOW|INTERCEPT)\s*:\s*/g, '')
      .trim();
    const rule: SudoRule = { file, line: l.line, who: m[1]!, nopasswd, commands, text: l.raw };
    if (m[3] !== undefined) rule.runAs = m[3].trim();
    out.push(rule);
  }
  return out;
}

export async function collectSudoers(reader: RootReader): Promise<{ rules: SudoRule[]; files: string[] }> {
  const rules: SudoRule[] = [];
  const files: string[] = [];
  const add = async (file: string) => {
    const text = await reader.text(file);
    if (text === undefined) return;
    files.push(file);
    rules.push(...parseSudoers(text, file));
  };
  await add('/etc/sudoers');
  for (const e of await reader.list('/etc/sudoers.d')) {
    if (e.isDir || e.name.includes('.') || e.name.endsWith('~')) continue;
    await add(e.path);
  }
  return { rules, files };
}
