// `minehunter evidence -o DIR`: scans (or reads a snapshot) and writes the evidence bundle — snapshot,
// findings, logs, histories, samples in an encrypted zip — with a manifest of hashes. Changes nothing
// on the target.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import type { Localized } from '../model/finding.js';
import { collectEvidence } from '../evidence/bundle.js';
import { DEFAULT_PASSWORD } from '../respond/quarantine.js';
import { toolVersion } from '../util/paths.js';
import { EXIT, UsageError } from './errors.js';
import { registerOutputs } from './output.js';
import type { RespondDeps } from './deps.js';

const H = {
  evidence: {
    en: 'collect an evidence bundle: snapshot, findings, logs, shell histories, samples (encrypted zip), hashes',
    'zh-CN': '收集证据包：快照、检测结果、日志、命令历史、样本（加密 zip）及哈希清单',
  },
  evidenceAfter: {
    en: `
Reads only. Logs: /var/log/auth.log, secure, syslog, messages, cron (the last 16 MiB of each) and the
journal from an hour before the miner was first seen. Samples: the executables of the processes the
findings name, in samples.zip (password "infected" unless --password). manifest.json lists every file
with its sha256. A snapshot of live pages (minehunter web URL --save-snapshot FILE) gives the snapshot,
the findings (page, script, decoded excerpt, WebSocket) and the hashes of what the pages loaded.

Example:
  minehunter evidence -o /root/case-2024-001 && minehunter report --evidence /root/case-2024-001`,
    'zh-CN': `
只读取，不修改。日志：/var/log/auth.log、secure、syslog、messages、cron（各取最后 16 MiB），以及矿机
最早运行时间前一小时起的 journal。样本：检测结果涉及的进程的可执行文件，存于 samples.zip（默认密码
"infected"，可用 --password 指定）。manifest.json 列出每个文件及其 sha256。在线网页的快照（minehunter web URL --save-snapshot 文件）
给出快照、检测结果（页面、脚本、解码片段、WebSocket）以及页面所加载内容的哈希。

示例：
  minehunter evidence -o /root/case-2024-001 && minehunter report --evidence /root/case-2024-001`,
  },
  out: { en: 'directory to write the bundle to (new or empty)', 'zh-CN': '证据包输出目录（新目录或空目录）' },
  snapshot: { en: 'use this snapshot instead of scanning', 'zh-CN': '使用此快照而不重新扫描' },
  password: {
    en: 'samples.zip password (default: infected)',
    'zh-CN': 'samples.zip 的密码（默认：infected）',
  },
  zipcrypto: { en: 'ZipCrypto instead of AES-256', 'zh-CN': '使用 ZipCrypto 而非 AES-256' },
  written: {
    en: 'Evidence bundle written to {dir}: {count} files',
    'zh-CN': '证据包已写入 {dir}：共 {count} 个文件',
  },
  notGathered: { en: 'Not gathered', 'zh-CN': '未能收集' },
} satisfies Record<string, Localized>;

export function registerEvidenceCommand(program: Command, deps: RespondDeps): void {
  const { lang } = deps;
  const cmd = program
    .command('evidence')
    .description(H.evidence[lang])
    .addHelpText('after', H.evidenceAfter[lang])
    .option('--snapshot <file>', H.snapshot[lang])
    .option('--password <password>', H.password[lang], DEFAULT_PASSWORD)
    .option('--zipcrypto', H.zipcrypto[lang]);
  deps.addScanOptions(cmd);
  cmd.action(async (_o, c: Command) => {
    const opts = c.optsWithGlobals<Record<string, unknown>>();
    // -o/--output comes with the scan options; for this command it names the bundle directory.
    if (!opts.output) throw new UsageError(H.out[lang].replace(/^/, 'evidence needs -o DIR: '));
    const outDir = path.resolve(String(opts.output));
    const existing = await readdir(outDir).catch(() => []);
    if (existing.length > 0) throw new UsageError(`${outDir} is not empty`);
    const { report, snapshot } = opts.snapshot
      ? await deps.analyzeFile(String(opts.snapshot), opts)
      : await deps.scan(opts);
    const root = path.resolve(String(opts.root ?? '/'));
    const manifest = await collectEvidence({
      root: snapshot.target.root === root ? root : snapshot.target.root,
      live: snapshot.target.live,
      outDir,
      report,
      snapshot,
      password: String(opts.password),
      zipCrypto: Boolean(opts.zipcrypto),
      toolVersion: toolVersion(),
      now: new Date(),
    });
    await registerOutputs([
      ...manifest.files.map((f) => ({ path: path.join(outDir, f.name), what: 'evidence bundle' })),
      { path: path.join(outDir, 'manifest.json'), what: 'evidence bundle' },
    ]);
    process.stdout.write(
      H.written[lang].replace('{dir}', outDir).replace('{count}', String(manifest.files.length)) + '\n',
    );
    for (const f of manifest.files) process.stdout.write(`  ${f.sha256}  ${f.name}\n`);
    if (manifest.notGathered.length) {
      process.stdout.write(`${H.notGathered[lang]}:\n`);
      for (const n of manifest.notGathered) process.stdout.write(`  ${n.what}: ${n.why}\n`);
    }
    deps.setExit(EXIT.clean);
  });
}
