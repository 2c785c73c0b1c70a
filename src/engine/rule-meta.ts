// Reads the header of every rule in a YARA source (name, tags, meta) without compiling it, and
// checks the meta minehunter's own rules must carry. Matches from the engine carry meta too; this
// exists so the rule set can be listed and validated as data (tests, `rules list`, docs) and so a
// match's meta can be turned into a kind and a level safely, whoever wrote the rule.
import { z } from 'zod';
import {
  isLevel,
  isMinerKind,
  LevelSchema,
  MinerKindSchema,
  type Level,
  type MinerKind,
} from '../model/finding.js';
import { builtOnFirstUse } from '../util/lazy.js';
import type { MetaValue } from './yara.js';
import { isPunct, isWord, tokenize } from './yara-tokens.js';

/** The meta every rule under rules/ carries; user rules may carry less. */
export const OwnRuleMetaSchema = builtOnFirstUse(() =>
  z.object({
    description: z.string().min(20),
    kind: MinerKindSchema,
    level: LevelSchema,
    reference: z.string().regex(/^https:\/\/[^\s"]+$/, 'a public https:// URL'),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'),
    author: z.string().min(1),
  }),
);
export type OwnRuleMeta = z.infer<typeof OwnRuleMetaSchema>;

export interface RuleHeader {
  name: string;
  /** 1-based line of the `rule` keyword. */
  line: number;
  tags: string[];
  modifiers: string[];
  meta: Record<string, MetaValue>;
}

/** The kind a rule declares, if it is one of the seven; anything else (or none) gives undefined. */
export function ruleKind(meta: Record<string, MetaValue>): MinerKind | undefined {
  return isMinerKind(meta.kind) ? meta.kind : undefined;
}

/** The level a rule declares, if valid; undefined lets the caller pick its default. */
export function ruleLevel(meta: Record<string, MetaValue>): Level | undefined {
  return isLevel(meta.level) ? meta.level : undefined;
}

/** Lists the rules of a YARA source with their meta. Meant for well-formed files (compile first). */
export function readRuleHeaders(src: string): RuleHeader[] {
  const tokens = tokenize(src);
  const rules: RuleHeader[] = [];
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i];
    if (isPunct(tok, '{')) depth++;
    else if (isPunct(tok, '}')) depth--;
    if (depth !== 0 || !isWord(tok, 'rule')) continue;
    const modifiers: string[] = [];
    for (let back = i - 1; back >= 0; back--) {
      const b = tokens[back];
      if (isWord(b) && (b.v === 'private' || b.v === 'global')) modifiers.unshift(b.v);
      else break;
    }
    const nameTok = tokens[i + 1];
    if (!isWord(nameTok)) continue;
    const header: RuleHeader = { name: nameTok.v, line: tok.line, tags: [], modifiers, meta: {} };
    let j = i + 2;
    if (isPunct(tokens[j], ':')) {
      for (j++; ; j++) {
        const tag = tokens[j];
        if (!isWord(tag)) break;
        header.tags.push(tag.v);
      }
    }
    // The body opens at tokens[j]; read its `meta:` section, key = value triples up to the next
    // section keyword.
    if (isPunct(tokens[j], '{') && isWord(tokens[j + 1], 'meta') && isPunct(tokens[j + 2], ':')) {
      for (let k = j + 3; isWord(tokens[k]) && isPunct(tokens[k + 1], '='); k += 3) {
        const key = (tokens[k] as { v: string }).v;
        const value = tokens[k + 2];
        if (value?.t === 'string' || value?.t === 'number') header.meta[key] = value.v;
        else if (isWord(value, 'true') || isWord(value, 'false')) header.meta[key] = value.v === 'true';
      }
    }
    rules.push(header);
  }
  return rules;
}
