// Syslog records of an alert: RFC 5424 with the finding's facts as structured data
// ([minehunter@32473 …], 32473 being the enterprise number RFC 5612 reserves for examples), or a
// CEF record (ArcSight Common Event Format) as the message of an RFC 5424 header; and the
// octet-counting frame of RFC 6587 for TCP and TLS.
import { levelOf, ruleOf, alertText, countOf, titleOf } from './text.js';
import type { AlertEnvelope } from './types.js';
import type { Finding, Lang } from '../../model/finding.js';

export const SD_ID = 'minehunter@32473';
/** Records longer than this are cut (rsyslog's default maxMessageSize is 8 KiB). */
export const MAX_RECORD_BYTES = 8000;

/** RFC 5424 severities: critical → 2 (crit) … info → 6 (informational). */
const SEVERITY: Record<Finding['level'], number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };
/** CEF severities 0–10. */
const CEF_SEVERITY: Record<Finding['level'], number> = { critical: 10, high: 8, medium: 5, low: 3, info: 1 };

/** SD-PARAM values escape `"`, `\` and `]` (RFC 5424 §6.3.3). */
function sdValue(v: string): string {
  return v.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** Header fields are printable US-ASCII without spaces, at most `max` long, or "-". */
function headerField(v: string, max: number): string {
  const s = v.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return s || '-';
}

/** The facts every record carries: event, fingerprint, rule, level and where it points. */
export function facts(a: AlertEnvelope): [string, string][] {
  const e = a.event;
  const out: [string, string][] = [
    ['id', a.id],
    ['event', e.event],
    ['fingerprint', e.fingerprint],
    ['rule', ruleOf(a)],
    ['level', levelOf(a)],
    ['count', String(countOf(a))],
  ];
  if (e.event === 'finding') {
    if (e.finding.kind) out.push(['kind', e.finding.kind]);
    for (const ev of e.finding.evidence) {
      if (ev.type === 'process') {
        out.push(['pid', String(ev.pid)]);
        if (ev.exe) out.push(['exe', ev.exe]);
      } else if (ev.type === 'file') out.push(['path', ev.path]);
      else if (ev.type === 'socket') out.push(['remote', ev.remote]);
    }
  }
  out.push(['first_seen', e.first_seen]);
  return out;
}

function priority(a: AlertEnvelope, facility: number): number {
  const severity = a.event.event === 'resolved' ? 6 : SEVERITY[levelOf(a)];
  return facility * 8 + severity;
}

function header(a: AlertEnvelope, facility: number, msgid: string): string {
  return `<${priority(a, facility)}>1 ${a.time} ${headerField(a.host, 255)} minehunter ${process.pid} ${headerField(msgid, 32)}`;
}

/** Cuts a record to the byte limit on a character boundary. */
function cut(record: string): string {
  const buf = Buffer.from(record, 'utf8');
  if (buf.length <= MAX_RECORD_BYTES) return record;
  return buf
    .subarray(0, MAX_RECORD_BYTES)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
}

export function rfc5424(a: AlertEnvelope, facility: number, lang: Lang): string {
  // Repeated parameters are allowed (RFC 5424 §6.3.3): one pid/path/remote per piece of evidence.
  const sd = `[${SD_ID} ${facts(a)
    .map(([k, v]) => `${k}="${sdValue(v)}"`)
    .join(' ')}]`;
  // The BOM says the message is UTF-8 (RFC 5424 §6.4): titles may be Chinese.
  return cut(`${header(a, facility, a.event.event.toUpperCase())} ${sd} \uFEFF${alertText(a, lang)}`);
}

/** CEF header fields escape `\` and `|`; extension values escape `\`, `=` and line ends. */
const cefHeader = (v: string) => v.replace(/[\\|]/g, (c) => `\\${c}`);
const cefValue = (v: string) => v.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');

export function cef(a: AlertEnvelope, facility: number, lang: Lang, toolVersion: string): string {
  const e = a.event;
  const ext: [string, string][] = [
    ['rt', String(Date.parse(a.time))],
    ['dvchost', a.host],
    ['msg', alertText(a, lang)],
    ['act', e.event],
    ['cs1Label', 'fingerprint'],
    ['cs1', e.fingerprint],
    ['cs2Label', 'eventId'],
    ['cs2', a.id],
    ['cn1Label', 'count'],
    ['cn1', String(countOf(a))],
  ];
  if (e.event === 'finding') {
    ext.push(['cat', e.finding.category]);
    for (const ev of e.finding.evidence) {
      if (ev.type === 'process') ext.push(['spid', String(ev.pid)], ['sproc', ev.exe ?? ev.comm]);
      else if (ev.type === 'file') ext.push(['filePath', ev.path]);
      else if (ev.type === 'socket') {
        const i = ev.remote.lastIndexOf(':');
        ext.push(['dst', ev.remote.slice(0, i).replace(/^\[|\]$/g, '')], ['dpt', ev.remote.slice(i + 1)]);
      }
    }
  }
  // CEF keys appear once: the first piece of evidence of each kind speaks for the finding.
  const seen = new Set<string>();
  const extension = ext
    .filter(([k]) => !seen.has(k) && seen.add(k))
    .map(([k, v]) => `${k}=${cefValue(v)}`)
    .join(' ');
  const severity = e.event === 'resolved' ? 0 : CEF_SEVERITY[levelOf(a)];
  const body = `CEF:0|minehunter|minehunter|${cefHeader(toolVersion)}|${cefHeader(ruleOf(a))}|${cefHeader(titleOf(a, lang))}|${severity}|${extension}`;
  return cut(`${header(a, facility, 'CEF')} - ${body}`);
}

/** RFC 6587 §3.4.1 octet counting: "LEN SP RECORD", LEN in bytes. */
export function octetFrame(record: string): Buffer {
  const body = Buffer.from(record, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `), body]);
}
