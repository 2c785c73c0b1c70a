// The people's facts of the §5 incident report (who, where, symptoms seen, assets, money lost) that no
// scan can know: read from a YAML or JSON file (--intake) or asked on a terminal. Every field is
// optional, so a report can be drafted first and completed later.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

export const IntakeSchema = z
  .object({
    organization: z
      .object({
        name: z.string().optional(),
        address: z.string().optional(),
        contact: z.string().optional(),
        phone: z.string().optional(),
        email: z.string().optional(),
      })
      .strict()
      .default({}),
    incident: z
      .object({
        /** When the victim noticed it (free text or ISO 8601). */
        time: z.string().optional(),
        /** Physical location: data centre, office, rack. */
        location: z.string().optional(),
        relatedIps: z.array(z.string()).default([]),
        symptoms: z.string().optional(),
      })
      .strict()
      .default({ relatedIps: [] }),
    assets: z
      .object({ systems: z.array(z.string()).default([]), notes: z.string().optional() })
      .strict()
      .default({ systems: [] }),
    loss: z
      .object({
        wattsPerCore: z.number().positive().optional(),
        pricePerKwh: z.number().nonnegative().optional(),
        currency: z.string().optional(),
        /** The user's own figures: downtime, cloud bills, staff hours… */
        items: z.array(z.object({ item: z.string(), amount: z.number() }).strict()).default([]),
      })
      .strict()
      .default({ items: [] }),
    /** Screenshots, photos, security-device logs the user attaches themselves. */
    attachments: z.array(z.string()).default([]),
  })
  .strict();
export type Intake = z.infer<typeof IntakeSchema>;

export function emptyIntake(): Intake {
  return IntakeSchema.parse({});
}

export class IntakeError extends Error {
  override name = 'IntakeError';
}

/** Reads --intake FILE: YAML (a superset of JSON) validated against IntakeSchema. */
export async function readIntake(file: string): Promise<Intake> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new IntakeError(`cannot read intake file ${file}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = parseYaml(text) ?? {};
  } catch (error) {
    throw new IntakeError(`${file} is neither YAML nor JSON: ${(error as Error).message}`);
  }
  const parsed = IntakeSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new IntakeError(`${file} is not a valid intake file:\n${issues}`);
  }
  return parsed.data;
}

/** The questions asked on a terminal for what the intake file left empty, in order. */
export const PROMPTS: { path: [keyof Intake, string]; en: string; 'zh-CN': string }[] = [
  { path: ['organization', 'name'], en: 'Organisation name', 'zh-CN': '单位名称' },
  { path: ['organization', 'address'], en: 'Address', 'zh-CN': '地址' },
  { path: ['organization', 'contact'], en: 'Contact person', 'zh-CN': '联系人' },
  { path: ['organization', 'phone'], en: 'Phone', 'zh-CN': '电话' },
  { path: ['incident', 'location'], en: 'Physical location of the machine', 'zh-CN': '受攻击设备的物理位置' },
  {
    path: ['incident', 'symptoms'],
    en: 'What did you notice? (symptoms)',
    'zh-CN': '观察到的现象（症状描述）',
  },
];

/** Fills the empty prompted fields with `ask`'s answers (an empty answer leaves the field empty). */
export async function promptMissing(
  intake: Intake,
  lang: 'en' | 'zh-CN',
  ask: (question: string) => Promise<string>,
): Promise<Intake> {
  const out = structuredClone(intake);
  for (const p of PROMPTS) {
    const [section, field] = p.path;
    const group = out[section] as unknown as Record<string, unknown>;
    if (group[field]) continue;
    const answer = (await ask(`${p[lang]}: `)).trim();
    if (answer) group[field] = answer;
  }
  return out;
}
