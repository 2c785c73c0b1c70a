// What one file given to `minehunter summarize` holds, told apart without touching the host: a JSON
// report of `scan`/`analyze --format json` (or the array `image --format json` prints), a snapshot of
// `collect` (the CLI analyses it first), or something else, which is skipped with a sentence saying
// what it is and what to give instead. Pure: the text in, the reports or the reason out.
import type { Localized } from '../../model/finding.js';
import { REPORT_SCHEMA_VERSION, ReportSchema, type Report } from '../model.js';

export type FleetInput =
  | { type: 'reports'; reports: Report[] }
  | { type: 'snapshot'; data: unknown }
  | { type: 'skip'; reason: Localized };

const both = (en: string, zh: string): Localized => ({ en, 'zh-CN': zh });

function describeIssue(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  const first = error.issues[0];
  return first ? `${first.path.map(String).join('.') || '(root)'}: ${first.message}` : '';
}

/** One report of the file (an element of an array, or the file itself), validated. */
function oneReport(data: unknown, where: string): Report | Localized {
  const o = data as { schemaVersion?: unknown; kind?: unknown; tool?: { name?: unknown } } | null;
  if (!o || typeof o !== 'object' || Array.isArray(o))
    return both(`${where}is not a JSON object`, `${where}不是 JSON 对象`);
  if (o.kind === 'audit')
    return both(
      `${where}is an audit report (minehunter audit): its checks are not miner findings; give the scan report (scan --format json)`,
      `${where}是安全检查报告（minehunter audit），不含挖矿发现；请提供扫描报告（scan --format json）`,
    );
  if (o.tool?.name !== 'minehunter' || !('verdict' in o) || !('findings' in o))
    return both(
      `${where}is not a minehunter JSON report (no tool.name "minehunter", verdict and findings)`,
      `${where}不是 minehunter 的 JSON 报告（缺少 tool.name "minehunter"、verdict 或 findings）`,
    );
  if (o.schemaVersion !== REPORT_SCHEMA_VERSION)
    return both(
      `${where}has report schema version ${String(o.schemaVersion)}; this minehunter reads version ${REPORT_SCHEMA_VERSION}`,
      `${where}的报告格式版本为 ${String(o.schemaVersion)}，本版本 minehunter 只能读取版本 ${REPORT_SCHEMA_VERSION}`,
    );
  const parsed = ReportSchema.safeParse(data);
  if (!parsed.success) {
    const issue = describeIssue(parsed.error);
    return both(
      `${where}is not a valid minehunter report (${issue})`,
      `${where}不是有效的 minehunter 报告（${issue}）`,
    );
  }
  return parsed.data;
}

const isLocalized = (v: Report | Localized): v is Localized => 'zh-CN' in v;

/** Reads the text of one file. */
export function readFleetInput(text: string): FleetInput {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    // `scan --format jsonl` writes one JSON document a line: a common mix-up, named as such.
    const firstLine = text.slice(0, text.indexOf('\n') + 1 || undefined).trim();
    if (text.trim().includes('\n') && /^\{.*\}$/.test(firstLine))
      return {
        type: 'skip',
        reason: both(
          'is JSON lines (scan --format jsonl); summarize reads the JSON report: scan --format json',
          '是 JSON Lines 格式（scan --format jsonl）；summarize 读取 JSON 报告：scan --format json',
        ),
      };
    const message = (error as Error).message;
    return { type: 'skip', reason: both(`is not JSON (${message})`, `不是 JSON（${message}）`) };
  }
  if (Array.isArray(data)) {
    if (data.length === 0)
      return { type: 'skip', reason: both('is an empty JSON array', '是空的 JSON 数组') };
    const reports: Report[] = [];
    for (const [i, item] of data.entries()) {
      const r = oneReport(item, `[${i}] `);
      // One bad element makes the whole file suspect: skipped with the element named.
      if (isLocalized(r)) return { type: 'skip', reason: r };
      reports.push(r);
    }
    return { type: 'reports', reports };
  }
  const o = data as { tool?: { name?: unknown }; verdict?: unknown; collectedAt?: unknown } | null;
  // A snapshot has the tool and collection time of a report, but no verdict: facts only.
  if (o && typeof o === 'object' && o.tool?.name === 'minehunter' && !('verdict' in o) && 'collectedAt' in o)
    return { type: 'snapshot', data };
  const r = oneReport(data, '');
  return isLocalized(r) ? { type: 'skip', reason: r } : { type: 'reports', reports: [r] };
}
