// End-to-end: `respond --apply` on a terminal asks first, and an answer other than yes changes
// nothing and creates no output directory. The terminal is a real pty from util-linux `script`.
// Before the question it lists the processes it would kill (pid, user, exe, argv with control
// characters escaped); with --yes the same list goes to stderr.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, ensureBuilt, runCli } from '../helpers/cli.js';
import { fixtureInputs } from '../helpers/incident-fixture.js';

let dir: string;
let reportFile: string;
let farReport: string;
/** Above any pid_max (2^22): no process on this host can have it, so it is never signalled. */
const NO_SUCH_PID = 99_999_999;

beforeAll(async () => {
  await ensureBuilt();
  dir = await mkdtemp(path.join(os.tmpdir(), 'minehunter-confirm-'));
  reportFile = path.join(dir, 'report.json');
  const report = fixtureInputs().report;
  await writeFile(reportFile, JSON.stringify(report));
  // The fixture's miner under a pid this host cannot have, for the kill list.
  const far = {
    ...report,
    findings: report.findings.map((f) => ({
      ...f,
      evidence: f.evidence.map((e) =>
        e.type === 'process' && e.pid === 4242
          ? { ...e, pid: NO_SUCH_PID }
          : e.type === 'socket'
            ? { ...e, pids: e.pids.map((p) => (p === 4242 ? NO_SUCH_PID : p)) }
            : e,
      ),
      remediate: f.remediate.map((a) =>
        a.type === 'kill-process-tree' && a.pid === 4242 ? { ...a, pid: NO_SUCH_PID } : a,
      ),
    })),
  };
  farReport = path.join(dir, 'far-report.json');
  await writeFile(farReport, JSON.stringify(far));
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function onTerminal(command: string, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('script', ['-qec', command, '/dev/null'], { timeout: 60_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
    child.stdin?.end(input);
  });
}

describe('respond --apply on a terminal', () => {
  it.each([
    ['en', 'n', 'Apply these 5 steps? [y/N]', 'Nothing changed.'],
    ['zh-CN', '', '执行这 5 个步骤吗？[y/N]', '未做任何修改。'],
  ])('asks (%s) and a "%s" answer changes nothing', async (lang, answer, question, declined) => {
    const out = path.join(dir, `out-${lang}`);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const text = await onTerminal(
      `${q(process.execPath)} ${q(CLI_PATH)} respond --report ${q(reportFile)} --apply --lang ${lang} --out ${q(out)}`,
      `${answer}\n`,
    );
    expect(text).toContain(question);
    expect(text).toContain(declined);
    expect(existsSync(out)).toBe(false);
  });

  it.each([
    ['en', 'These processes will be killed', `pid ${NO_SUCH_PID}, user root, exe /tmp/.x/kworker`, 'argv: '],
    ['zh-CN', '以下进程将被终止', `pid ${NO_SUCH_PID}，用户 root，程序 /tmp/.x/kworker`, '命令行：'],
  ])(
    'lists (%s) the processes it would kill before asking, argv escaped',
    async (lang, title, head, argv) => {
      const out = path.join(dir, `out-list-${lang}`);
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      const text = await onTerminal(
        `${q(process.execPath)} ${q(CLI_PATH)} respond --report ${q(farReport)} --apply --lang ${lang} --out ${q(out)}`,
        'n\n',
      );
      const list = text.indexOf(title);
      expect(list, text).toBeGreaterThan(-1);
      const entry = text.indexOf(head, list);
      expect(entry, text).toBeGreaterThan(list);
      // The question comes after the list.
      expect(text.lastIndexOf('[y/N]')).toBeGreaterThan(entry);
      expect(text.slice(entry)).toContain(
        `${argv}/tmp/.x/kworker <script>alert(1)</script> \\x1b[31mred\\x1b[0m -o stratum+tcp://203.0.113.7:3333`,
      );
      expect(text).not.toContain('\u001b[31m');
      expect(existsSync(out)).toBe(false);
    },
  );

  it('with --yes prints the same list on stderr (on a scratch root, so nothing on this host is touched)', async () => {
    const scratch = path.join(dir, 'scratch-root');
    await mkdir(scratch, { recursive: true });
    const out = path.join(dir, 'out-yes');
    const run = await runCli([
      'respond',
      '--report',
      farReport,
      '--root',
      scratch,
      '--apply',
      '--yes',
      '--lang',
      'en',
      '--out',
      out,
    ]);
    expect(run.stderr, run.stdout).toContain('These processes will be killed');
    expect(run.stderr).toContain(`pid ${NO_SUCH_PID}, user root, exe /tmp/.x/kworker`);
    expect(run.stderr).toContain('\\x1b[31mred\\x1b[0m');
    expect(run.stderr).not.toContain('\u001b[31m');
  });
});
