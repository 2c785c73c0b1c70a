// A content-rule match and the forms of a matched file: shared by the content scan of a host's
// files (schema.ts `content`) and of an image's layers (image.ts). A leaf module.
import { z } from 'zod';
import { builtOnFirstUse } from '../util/lazy.js';

export const ContentMetaValueSchema = builtOnFirstUse(() => z.union([z.string(), z.number(), z.boolean()]));
export const ContentStringSchema = builtOnFirstUse(() =>
  z.object({
    identifier: z.string(),
    offset: z.number().int().nonnegative(),
    /** The first bytes matched, printable ASCII kept and the rest escaped (\xNN). */
    excerpt: z.string(),
  }),
);
export const ContentMatchSchema = builtOnFirstUse(() =>
  z.object({
    rule: z.string(),
    namespace: z.string(),
    meta: z.record(z.string(), ContentMetaValueSchema),
    strings: z.array(ContentStringSchema),
    /** String matches the engine reported, including those not listed. */
    stringCount: z.number().int().nonnegative(),
    /**
     * The rule matched a layer the web normaliser decoded (engine/web-normalise), not the file's bytes
     * as they are: `strings[].offset` then counts in that decoded layer. `chain` lists the techniques
     * undone, outermost first (`js-string-array`, `atob`…); `excerpt` is the decoded text around the
     * first matched string, sanitised for display.
     */
    decoded: z.object({ chain: z.array(z.string()).min(1), excerpt: z.string() }).optional(),
  }),
);
export type ContentMatch = z.infer<typeof ContentMatchSchema>;
/**
 * What kind of object a file with a match is (told by engine/file-form.ts from its bytes): a program,
 * text, other data, or security material that names miners on purpose.
 */
export const FILE_FORMS = [
  'elf',
  'pe',
  'macho',
  'script',
  'text',
  'binary',
  'yara-rules',
  'sigma-rules',
  'indicator-list',
] as const;
export type FileForm = (typeof FILE_FORMS)[number];
