// The respond journal: one JSON object per line, appended and flushed as each step ends, so a crash
// halfway leaves a record of everything already changed. `undo` replays it backwards.
import { appendFile, readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ActionSchema } from '../model/finding.js';

export const JournalHeaderSchema = z.object({
  type: z.literal('header'),
  tool: z.object({ name: z.literal('minehunter'), version: z.string() }),
  /** The target root the paths below are relative to. */
  root: z.string(),
  /** The quarantine archive, relative to the journal's directory. */
  archive: z.string(),
  encryption: z.enum(['aes-256', 'zipcrypto']),
  hostname: z.string().optional(),
  startedAt: z.string(),
});
export type JournalHeader = z.infer<typeof JournalHeaderSchema>;

export const JournalFileSchema = z.object({
  path: z.string(),
  /** sha256 before the step; absent when the file did not exist. */
  before: z.string().optional(),
  /** sha256 after the step; null when the step removed the file. */
  after: z.string().nullable(),
  /** The archive entry holding the `before` bytes. */
  entry: z.string().optional(),
  mode: z.string().optional(),
  uid: z.number().int().optional(),
  gid: z.number().int().optional(),
  atime: z.string().optional(),
  mtime: z.string().optional(),
  /** Attributes (`i`, `a`) cleared so the file could be changed; undo sets them again. */
  clearedAttributes: z.string().optional(),
});
export type JournalFile = z.infer<typeof JournalFileSchema>;

export const JournalProcessSchema = z.object({
  pid: z.number().int(),
  ppid: z.number().int().optional(),
  exe: z.string().optional(),
  argv: z.array(z.string()),
});
export type JournalProcess = z.infer<typeof JournalProcessSchema>;

export const JournalStepSchema = z.object({
  type: z.literal('step'),
  n: z.number().int(),
  kind: z.string(),
  action: ActionSchema.optional(),
  status: z.enum(['done', 'failed', 'skipped']),
  message: z.string().optional(),
  startedAt: z.string(),
  endedAt: z.string(),
  files: z.array(JournalFileSchema).default([]),
  /** Processes frozen (kind freeze) or killed (kind kill). */
  processes: z.array(JournalProcessSchema).default([]),
  /** Symlinks removed (systemd wants/ links), recreated by undo. */
  links: z.array(z.object({ path: z.string(), target: z.string() })).default([]),
  /** A firewall rule added: the command that deletes it is derived from this. */
  firewall: z
    .object({
      tool: z.enum(['nft', 'iptables', 'ip6tables']),
      comment: z.string(),
      spec: z.array(z.string()),
    })
    .optional(),
  /** What the rescan found, for the rescan step. */
  rescan: z.object({ findings: z.number().int(), serious: z.number().int() }).optional(),
});
export type JournalStep = z.infer<typeof JournalStepSchema>;

export async function appendJournal(file: string, record: JournalHeader | JournalStep): Promise<void> {
  await appendFile(file, JSON.stringify(record) + '\n', { mode: 0o600 });
}

export async function readJournal(file: string): Promise<{ header: JournalHeader; steps: JournalStep[] }> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${file} is empty`);
  const parse = (line: string, i: number): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`${file}:${i + 1} is not JSON`);
    }
  };
  const header = JournalHeaderSchema.safeParse(parse(lines[0]!, 0));
  if (!header.success) throw new Error(`${file} does not start with a minehunter journal header`);
  const steps = lines.slice(1).map((l, i) => {
    const step = JournalStepSchema.safeParse(parse(l, i + 1));
    if (!step.success) throw new Error(`${file}:${i + 2} is not a journal step`);
    return step.data;
  });
  return { header: header.data, steps };
}
