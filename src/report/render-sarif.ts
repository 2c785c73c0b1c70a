// Renders results as SARIF 2.1.0 (the format code-scanning dashboards and many SIEMs ingest). The
// core takes generic rules and results so scan reports can use it too; sarifFromAudit adapts the audit.
import type { AuditReport } from '../audit/run.js';
import type { AuditCheck } from '../audit/types.js';
import type { Evidence, Lang, Level, Localized } from '../model/finding.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifRuleInput {
  id: string;
  title: Localized;
  description: Localized;
  /** How to fix, shown as the rule's help. */
  help: Localized;
  /** A fix command, appended to the help in a code block. */
  helpCommand?: string;
  level: Level;
  tags: string[];
  helpUri?: string;
}

export interface SarifResultInput {
  ruleId: string;
  /** SARIF's result kinds: `fail` for a problem, `pass` for a passed check, `open` when undecided. */
  kind: 'fail' | 'pass' | 'open';
  level: Level;
  message: Localized;
  fingerprint: string;
  evidence: Evidence[];
  /** Extra machine-readable facts (the fix command for this host…). */
  properties?: Record<string, unknown>;
}

export interface SarifInput {
  toolVersion: string;
  lang: Lang;
  rules: SarifRuleInput[];
  results: SarifResultInput[];
}

/** GitHub and others rank by this 0–10 score; SARIF's own `level` has only three values. */
const SECURITY_SEVERITY: Record<Level, string> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: '0.0',
};

function sarifLevel(level: Level, kind: SarifResultInput['kind']): 'error' | 'warning' | 'note' | 'none' {
  if (kind !== 'fail') return 'none';
  return level === 'critical' || level === 'high' ? 'error' : level === 'medium' ? 'warning' : 'note';
}

function fileUri(p: string): string {
  return `file://${p.split('/').map(encodeURIComponent).join('/')}`;
}

export function renderSarif(input: SarifInput): string {
  const { lang } = input;
  const index = new Map(input.rules.map((r, i) => [r.id, i]));
  const doc = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'minehunter',
            version: input.toolVersion,
            informationUri: 'https://github.com/minehunter/minehunter',
            rules: input.rules.map((r) => {
              const rule: Record<string, unknown> = {
                id: r.id,
                name: r.id,
                shortDescription: { text: r.title[lang] },
                fullDescription: { text: r.description[lang] },
                help: {
                  text: r.help[lang] + (r.helpCommand ? `\n\n${r.helpCommand}` : ''),
                  markdown: r.help[lang] + (r.helpCommand ? `\n\n\`\`\`sh\n${r.helpCommand}\n\`\`\`` : ''),
                },
                defaultConfiguration: { level: sarifLevel(r.level, 'fail') },
                properties: {
                  tags: ['security', ...r.tags],
                  'security-severity': SECURITY_SEVERITY[r.level],
                },
              };
              if (r.helpUri) rule.helpUri = r.helpUri;
              return rule;
            }),
          },
        },
        results: input.results.map((res) => {
          const files = res.evidence.filter(
            (e): e is Extract<Evidence, { type: 'file' }> => e.type === 'file',
          );
          const result: Record<string, unknown> = {
            ruleId: res.ruleId,
            kind: res.kind,
            level: sarifLevel(res.level, res.kind),
            message: { text: res.message[lang] },
            partialFingerprints: { 'minehunter/v1': res.fingerprint },
            properties: { evidence: res.evidence, ...res.properties },
          };
          const i = index.get(res.ruleId);
          if (i !== undefined) result.ruleIndex = i;
          result.locations = files.length
            ? files.map((f) => ({ physicalLocation: { artifactLocation: { uri: fileUri(f.path) } } }))
            : [{ logicalLocations: [{ name: res.ruleId, kind: 'module' }] }];
          return result;
        }),
      },
    ],
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Every audit check becomes a rule; every check result a SARIF result of kind fail, pass or open. */
export function sarifFromAudit(report: AuditReport, checks: AuditCheck[], lang: Lang): string {
  const byId = new Map(checks.map((c) => [c.id, c]));
  return renderSarif({
    toolVersion: report.tool.version,
    lang,
    rules: report.checks.map((r) => {
      const c = byId.get(r.id);
      return {
        id: r.id,
        title: r.title,
        description: c?.description ?? r.title,
        help: r.fix.text,
        helpCommand: c?.fix.command ?? r.fix.command,
        level: r.level,
        tags: c?.tags ?? [],
      };
    }),
    results: report.checks.map((r) => ({
      ruleId: r.id,
      kind: r.status === 'fail' ? 'fail' : r.status === 'pass' ? 'pass' : 'open',
      level: r.level,
      message: r.message,
      fingerprint: report.findings.find((f) => f.ruleId === r.id)?.fingerprint ?? r.id,
      evidence: r.evidence,
      properties: { status: r.status, fixCommand: r.fix.command },
    })),
  });
}
