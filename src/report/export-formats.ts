// The names of the export formats (ECS, Splunk HEC, STIX) alone, so the command line can offer them
// as --format choices without loading the renderers and the report schema (issue 17: start-up time).
// The dispatch to the renderers is report/render-export.ts.

export const EXPORT_FORMATS = ['ecs', 'splunk-hec', 'stix'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
