// The contract between a detector module and the rule runner: metadata next to a pure function
// from (snapshot, ruleset) to hits. The runner turns hits into Findings and correlates them.
import type { Action, Basis, Category, Evidence, Level, Localized, MinerKind } from '../model/finding.js';
import type { MessageData } from '../model/localized.js';
import type { Ruleset } from '../iocs/types.js';
import type { Section, Snapshot } from '../snapshot/schema.js';

export interface DetectorMeta {
  /** kebab-case, equal to the module's file name and its docs page. */
  id: string;
  kind?: MinerKind;
  category: Category;
  /** Default level of a hit; a hit may override it. */
  level: Level;
  title: Localized;
  /** What the detector looks for and why it matters; rendered into docs/detectors/<id>.md. */
  description: Localized;
  /** ATT&CK and other tags, e.g. `attack.t1496`. */
  tags: string[];
  /** Snapshot sections the detector reads; when one was not collected the detector is skipped. */
  needs: Section[];
  /** How a person confirms a hit by hand. */
  verify: Localized;
  /**
   * What the hit's remediation actions do and what else to check, for the docs page. Optional in the
   * type so other kinds of rules can adopt it gradually; detectors.meta.test.ts requires it.
   */
  remediation?: Localized;
  /**
   * The detector's messages by id, as ESLint's `messageIds`: a bilingual template with `{name}` holes
   * that a hit fills from its `data`. Tests assert the id and the facts, not the sentence.
   */
  messages: Record<string, Localized>;
}

export interface Hit {
  /**
   * What the hit is about, as a stable key within this snapshot: `process:<pid>` for a process,
   * `socket:<inode>` for an orphan socket, `file:<path>` for a file. Hits of different detectors on
   * the same subject are correlated into one finding.
   */
  subject: string;
  level?: Level;
  /** Overrides the detector's kind, for detectors whose rules each name one (content-match). */
  kind?: MinerKind;
  /**
   * What the evidence is found in. When absent the runner derives it: a process subject is
   * `running`, a persistence or tampering detector's hit `autostart`, any other `executable`.
   */
  basis?: Basis;
  /** A key of the detector's `messages`. */
  messageId: string;
  /**
   * The facts the message is filled from (paths, pids, counts, bilingual phrases); kept in the
   * finding so a script reads them without parsing a sentence. A `chain` parameter (the persistence
   * entry → process chain) is shown after the message.
   */
  data: MessageData;
  evidence: Evidence[];
  remediate: Action[];
  /** Parts that identify the subject across runs (exe path, argv, address…), never pids or times. */
  fingerprint: string[];
}

export interface Detector extends DetectorMeta {
  detect(snapshot: Snapshot, ruleset: Ruleset): Hit[];
}
