// Detector: folders and programs inside Windows\Fonts (source §4.3, the Explorer one-click miner):
// Explorer shows only fonts in the Fonts folder, so a subfolder there (arial, Logs, temp, ttf) is
// invisible even to search, and a program there is never a font.
import type { Ruleset } from '../../iocs/types.js';
import type { Action, Level } from '../../model/finding.js';
import type { Snapshot } from '../../snapshot/schema.js';
import type { WindowsFile } from '../../snapshot/windows.js';
import type { Detector, Hit } from '../types.js';
import { t } from '../util.js';
import { fileSubject, folderRemoval, objectEvidence, raise, windowsIocRef, windowsName } from '../windows.js';

const FONT_FILES = /\.(?:ttf|ttc|otf|fon|fnt|pfb|pfm|afm|compositefont|dat|ini|xml|inf|lnk)$/i;
const PROGRAMS = /\.(?:exe|dll|sys|scr|com|pif|bat|cmd|ps1|vbs|vbe|js|jse|wsf|hta|cpl|ocx)$/i;
const SHOWN_ENTRIES = 10;

function hiddenSystem(f: WindowsFile): boolean {
  return f.attributes?.hidden === true && f.attributes.system;
}

function entriesText(f: WindowsFile): string {
  const entries = f.entries ?? [];
  const shown = entries.slice(0, SHOWN_ENTRIES).join(', ');
  const total = f.entryCount ?? entries.length;
  if (total === 0) return '(empty)';
  return total > SHOWN_ENTRIES ? `${shown} … (${total} entries)` : shown;
}

/** The folder's files the plan quarantines (names with an extension; subfolders go with the folder command). */
function folderActions(f: WindowsFile, n: number): Action[] {
  const files = (f.entries ?? []).filter((e) => /\.[a-z0-9]{1,8}$/i.test(e)).map((e) => `${f.file}/${e}`);
  return [
    folderRemoval(
      f.file,
      `C:\\minehunter-quarantine\\fonts-${n}-${f.file.slice(f.file.lastIndexOf('/') + 1)}.zip`,
    ),
    ...files.map((path) => ({ type: 'quarantine-file' as const, path })),
  ];
}

function folderHit(f: WindowsFile, ruleset: Ruleset, n: number): Hit {
  const name = f.file.slice(f.file.lastIndexOf('/') + 1);
  const ioc = windowsName(ruleset, { type: 'directory', name, parent: 'Windows/Fonts' });
  const raised = (f.executables ?? 0) > 0 || hiddenSystem(f);
  const level: Level = raised ? raise('high') : 'high';
  return {
    subject: fileSubject(f.file),
    level,
    messageId: 'fontsSubfolder',
    data: {
      folder: f.windowsPath,
      entries: entriesText(f),
      count: f.entryCount ?? (f.entries ?? []).length,
      executables: f.executables ?? 0,
      ...(f.attributes
        ? {
            attributes:
              `${f.attributes.hidden ? 'hidden ' : ''}${f.attributes.system ? 'system' : ''}`.trim() ||
              'none',
          }
        : {}),
      ...(f.mtime ? { mtime: f.mtime } : {}),
    },
    evidence: [
      { type: 'file', path: f.file },
      objectEvidence(f.windowsPath, entriesText(f), ioc ? windowsIocRef(ioc) : 'subfolder of Windows\\Fonts'),
      ...(hiddenSystem(f) ? [objectEvidence(f.windowsPath, 'hidden, system', 'DOS attributes')] : []),
    ],
    remediate: folderActions(f, n),
    fingerprint: ['windows-hidden-folder', f.windowsPath.toLowerCase()],
  };
}

function programHit(f: WindowsFile): Hit {
  return {
    subject: fileSubject(f.file),
    level: hiddenSystem(f) ? 'critical' : 'high',
    messageId: 'fontsProgram',
    data: {
      file: f.windowsPath,
      ...(f.pe?.subsystem ? { subsystem: f.pe.subsystem } : {}),
      ...(f.sha256 ? { sha256: f.sha256 } : {}),
    },
    evidence: [
      { type: 'file', path: f.file, ...(f.sha256 ? { sha256: f.sha256 } : {}) },
      objectEvidence(
        f.windowsPath,
        f.pe ? `PE ${f.pe.subsystem ?? ''}`.trim() : 'program',
        'program in Windows\\Fonts',
      ),
    ],
    remediate: [{ type: 'quarantine-file', path: f.file }],
    fingerprint: ['windows-hidden-folder', f.windowsPath.toLowerCase()],
  };
}

function isFontsProgram(f: WindowsFile): boolean {
  if (f.place !== 'fonts' || f.type !== 'file') return false;
  const name = f.file.slice(f.file.lastIndexOf('/') + 1);
  return f.pe !== undefined || (PROGRAMS.test(name) && !FONT_FILES.test(name));
}

export const windowsHiddenFolder: Detector = {
  id: 'windows-hidden-folder',
  kind: 'hidden-directory',
  category: 'miner',
  level: 'high',
  title: t('Folder or program hidden in Windows\\Fonts', '隐藏在 Windows\\Fonts 中的文件夹或程序'),
  description: t(
    'Explorer shows only fonts in C:\\Windows\\Fonts: a subfolder there is invisible to it, even to its search, which is why the one-click miner of the source document hides its files in folders named arial, Logs, temp or ttf there. Any subfolder of Windows\\Fonts is high, with its entries listed (names from iocs/windows-names.json carry their provenance); critical when it holds executables or carries the hidden and system attributes (when the mount exposes them). A program or script in Windows\\Fonts itself (a PE file or an executable extension) is high, critical when hidden and system. Font files, desktop.ini and the font cache are not reported.',
    '资源管理器在 C:\\Windows\\Fonts 中只显示字体：其中的子文件夹对它不可见，连搜索也找不到，因此原文中的一键挖矿程序把文件藏在那里名为 arial、Logs、temp 或 ttf 的文件夹中。Windows\\Fonts 的任何子文件夹均为高危，并列出其内容（iocs/windows-names.json 中的名称附带出处）；其中含有可执行文件，或带有隐藏和系统属性（挂载方式能显示属性时）时为严重。Windows\\Fonts 目录本身中的程序或脚本（PE 文件或可执行扩展名）为高危，带隐藏和系统属性时为严重。字体文件、desktop.ini 和字体缓存不会被报告。',
  ),
  tags: ['attack.t1564.001', 'attack.t1036.005', 'attack.t1496'],
  needs: ['windows-files'],
  verify: t(
    'On the Windows host Explorer will not show it: use `Get-ChildItem -Force -LiteralPath C:\\Windows\\Fonts -Directory` and `Get-ChildItem -Force -Recurse -LiteralPath <folder>`, `attrib <folder>` for its attributes, `Get-FileHash` on the files; or `dir /a C:\\Windows\\Fonts` in cmd. Run a full anti-virus scan, as the source document advises.',
    '在 Windows 主机上资源管理器不会显示它：使用 `Get-ChildItem -Force -LiteralPath C:\\Windows\\Fonts -Directory` 和 `Get-ChildItem -Force -Recurse -LiteralPath <文件夹>`，用 `attrib <文件夹>` 查看属性，对其中文件执行 `Get-FileHash`；或在 cmd 中执行 `dir /a C:\\Windows\\Fonts`。按原文建议进行全盘杀毒扫描。',
  ),
  remediation: t(
    "Stop the processes running from the folder, archive it and delete it (the plan gives the PowerShell: Compress-Archive, then Remove-Item -Recurse), remove what starts them, and run a full anti-virus scan. On a mounted volume `respond --apply` quarantines the folder's files.",
    '结束从该文件夹运行的进程，将其归档后删除（处置计划给出 PowerShell 命令：先 Compress-Archive，再 Remove-Item -Recurse），清除启动它们的持久化项，并进行全盘杀毒扫描。对挂载的卷，`respond --apply` 会隔离该文件夹中的文件。',
  ),
  messages: {
    fontsSubfolder: t(
      'Hidden folder {folder} inside Windows\\Fonts ({count} entries, {executables} executables): {entries}',
      'Windows\\Fonts 中的隐藏文件夹 {folder}（{count} 项，{executables} 个可执行文件）：{entries}',
    ),
    fontsProgram: t(
      'Program {file} inside Windows\\Fonts, where only fonts belong',
      'Windows\\Fonts 中只应有字体，却有程序 {file}',
    ),
  },
  detect(snapshot: Snapshot, ruleset: Ruleset) {
    const hits: Hit[] = [];
    (snapshot.windows?.files ?? []).forEach((f, i) => {
      if (f.place === 'fonts-subdir' && f.type === 'dir') hits.push(folderHit(f, ruleset, i + 1));
      else if (isFontsProgram(f)) hits.push(programHit(f));
    });
    return hits;
  },
};
