// Runs a read-only system tool (nft, iptables-save, sshd -T, apt-get -s) with a timeout and the C
// locale, and reports "not installed" apart from "failed", because only the latter is a problem.
import { execFile } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The program does not exist (ENOENT). */
  missing: boolean;
  error?: string;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function run(file: string, args: string[], timeoutMs = 5000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, LC_ALL: 'C', LANG: 'C', PATH: `${process.env.PATH ?? ''}:${PATH}` },
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr, exitCode: 0, missing: false });
        const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
        if (e.code === 'ENOENT') return resolve({ stdout: '', stderr: '', exitCode: 127, missing: true });
        const exitCode = typeof e.code === 'number' ? e.code : 1;
        const why = e.killed
          ? `timed out after ${timeoutMs} ms`
          : (stderr.trim().split('\n')[0] ?? '') || e.message;
        resolve({ stdout, stderr, exitCode, missing: false, error: `${file} ${args.join(' ')}: ${why}` });
      },
    );
  });
}
