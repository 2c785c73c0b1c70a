// End-to-end: `minehunter report` from a saved JSON report and an intake file writes Markdown, HTML,
// JSON and a PDF whose Chinese §5 headings pdftotext reads back in a real CJK font; hostile argv stays
// inert in HTML and at the terminal (analyze and respond).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runCli } from '../helpers/cli.js';
import { fixtureInputs } from '../helpers/incident-fixture.js';
import { SCRIPT } from '../../src/incident/render-html.js';

const execFileP = promisify(execFile);
let dir: string;
let reportFile: string;
let snapshotFile: string;
let intakeFile: string;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-report-'));
  const { report, snapshot } = fixtureInputs();
  reportFile = path.join(dir, 'report.json');
  snapshotFile = path.join(dir, 'snapshot.json');
  intakeFile = path.join(dir, 'intake.yml');
  await writeFile(reportFile, JSON.stringify(report));
  await writeFile(snapshotFile, JSON.stringify(snapshot));
  await writeFile(
    intakeFile,
    [
      'organization:',
      '  name: 示例科技有限公司',
      '  address: 北京市海淀区示例路 1 号',
      '  contact: 李雷',
      "  phone: '010-00000000'",
      'incident:',
      '  location: 二号机房 B7 机柜',
      '  symptoms: 服务器风扇狂转，网站变慢',
      'assets:',
      '  systems: [官网前端 web-01]',
      'loss:',
      '  pricePerKwh: 1.2',
      '  items:',
      '    - { item: 加班, amount: 800 }',
    ].join('\n'),
  );
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const base = () => ['report', '--from-report', reportFile, '--intake', intakeFile, '--no-prompt'];

describe('minehunter report', () => {
  it('writes a PDF with the Chinese §5 headings in a real CJK font', async () => {
    const pdf = path.join(dir, 'r.pdf');
    const run = await runCli([...base(), '--format', 'pdf', '-o', pdf, '--lang', 'zh-CN'], {
      timeoutMs: 120_000,
    });
    expect(run.code, run.stderr).toBe(0);
    const { stdout: text } = await execFileP('pdftotext', ['-enc', 'UTF-8', pdf, '-']);
    for (const h of [
      '挖矿木马安全事件报告',
      '一、报告单位信息',
      '二、事件时间、地点及相关 IP 地址',
      '三、事件现象描述',
      '四、涉及的系统和资产及损失估算',
      '五、附件：截图与日志',
      '六、恶意样本',
      '示例科技有限公司',
    ])
      expect(text).toContain(h);
    // The glyphs come from an embedded CJK font, not empty boxes.
    const { stdout: fonts } = await execFileP('pdffonts', [pdf]);
    expect(fonts).toMatch(/WenQuanYi|WQY|Noto\S*CJK|SourceHan/i);
  }, 150_000);

  it('says how to get a report when there is no Chromium, in both languages, and writes no file', async () => {
    const env = { MINEHUNTER_CHROMIUM: path.join(dir, 'no-such-chromium') };
    const pdf = path.join(dir, 'none.pdf');
    const en = await runCli([...base(), '--format', 'pdf', '-o', pdf, '--lang', 'en'], { env });
    expect(en.code).toBe(2);
    expect(en.stderr).toContain('PDF needs Chromium');
    expect(en.stderr).toContain('--format html');
    const zh = await runCli([...base(), '--format', 'pdf', '-o', pdf, '--lang', 'zh-CN'], { env });
    expect(zh.code).toBe(2);
    expect(zh.stderr).toContain('生成 PDF 需要 Chromium');
    expect(zh.stderr).toContain('--format html');
    expect(existsSync(pdf)).toBe(false);
  });

  it('writes self-contained, inert HTML', async () => {
    const run = await runCli([...base(), '--format', 'html', '--lang', 'en']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^<!DOCTYPE html>/);
    // Only the report's own script (table filter and sort), never one from the report's text.
    expect(run.stdout.replace(`<script>${SCRIPT}</script>`, '')).not.toMatch(/<script/i);
    expect(run.stdout).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(run.stdout).not.toContain('\u001b');
  });

  it('writes JSON with the loss formula using the intake price, and Markdown', async () => {
    const json = await runCli([...base(), '--format', 'json']);
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout) as {
      loss: { pricePerKwh: number; total: number; formula: string };
      organization: { name: string };
    };
    expect(r.organization.name).toBe('示例科技有限公司');
    // No snapshot: 180 % CPU × 3 h since start = 5.4 core-hours; × 15 W × 1.2 + 800.
    expect(r.loss.pricePerKwh).toBe(1.2);
    expect(r.loss.formula).toBe('5.4 core-h × 15 W ÷ 1000 × 1.2 CNY/kWh + 800 = 800.1 CNY');
    const md = await runCli([...base(), '--format', 'md', '--lang', 'zh-CN']);
    expect(md.stdout, md.stderr).toContain('## 六、恶意样本');
  });

  it('rejects a broken intake file with a usage error naming the field', async () => {
    const bad = path.join(dir, 'bad.yml');
    await writeFile(bad, 'organization:\n  nmae: typo\n');
    const run = await runCli(['report', '--from-report', reportFile, '--intake', bad, '--no-prompt']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('organization');
  });
});

describe('hostile argv at the terminal', () => {
  it('analyze and respond print escapes as text, never as control characters', async () => {
    const analyze = await runCli(['analyze', snapshotFile, '--lang', 'en', '--no-default-allow']);
    expect(analyze.stdout).toContain('kworker');
    expect(analyze.stdout).not.toContain('\u001b');
    const respond = await runCli(['respond', '--report', reportFile, '--lang', 'en']);
    expect(respond.code, respond.stderr).toBe(0);
    expect(respond.stdout).toContain('Freeze process tree 4242');
    expect(respond.stdout).not.toContain('\u001b');
  });
});
