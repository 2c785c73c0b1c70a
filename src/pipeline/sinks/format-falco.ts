// The Falcosidekick input shape (Falco's JSON output: output, priority, rule, time, output_fields,
// source, tags, hostname), so one Falcosidekick fans minehunter alerts out to its many outputs.
// Process, file and socket facts use Falco's own field names (proc.*, fd.*) where one exists.
import type { Finding, Lang } from '../../model/finding.js';
import { alertText, countOf, levelOf, ruleOf, titleOf } from './text.js';
import type { AlertEnvelope } from './types.js';

/** Falco priorities by finding level; a resolved finding is informational. */
const PRIORITY: Record<Finding['level'], string> = {
  critical: 'Critical',
  high: 'Error',
  medium: 'Warning',
  low: 'Notice',
  info: 'Informational',
};

export interface FalcoPayload {
  output: string;
  priority: string;
  rule: string;
  time: string;
  output_fields: Record<string, string | number>;
  source: 'minehunter';
  tags: string[];
  hostname: string;
}

function evidenceFields(f: Finding, fields: Record<string, string | number>): void {
  for (const ev of f.evidence) {
    if (ev.type === 'process' && fields['proc.pid'] === undefined) {
      fields['proc.pid'] = ev.pid;
      fields['proc.ppid'] = ev.ppid;
      fields['proc.name'] = ev.comm;
      if (ev.exe) fields['proc.exepath'] = ev.exe;
      fields['proc.cmdline'] = ev.argv.join(' ');
      if (ev.user) fields['user.name'] = ev.user;
      if (ev.container) fields['container.id'] = ev.container.id;
    } else if (ev.type === 'file' && fields['fd.name'] === undefined) fields['fd.name'] = ev.path;
    else if (ev.type === 'socket' && fields['fd.rip'] === undefined) {
      const i = ev.remote.lastIndexOf(':');
      fields['fd.rip'] = ev.remote.slice(0, i).replace(/^\[|\]$/g, '');
      fields['fd.rport'] = Number(ev.remote.slice(i + 1));
      fields['fd.l4proto'] = ev.protocol.replace(/6$/, '');
    }
  }
}

export function falcoPayload(a: AlertEnvelope, lang: Lang): FalcoPayload {
  const e = a.event;
  const fields: Record<string, string | number> = {
    'minehunter.event': e.event,
    'minehunter.event_id': a.id,
    'minehunter.fingerprint': e.fingerprint,
    'minehunter.rule_id': ruleOf(a),
    'minehunter.level': levelOf(a),
    'minehunter.count': countOf(a),
    'minehunter.first_seen': e.first_seen,
  };
  let tags = ['minehunter', 'cryptomining'];
  if (e.event === 'finding') {
    if (e.finding.kind) fields['minehunter.kind'] = e.finding.kind;
    fields['minehunter.category'] = e.finding.category;
    evidenceFields(e.finding, fields);
    tags = [...new Set([...tags, ...e.finding.tags])];
  }
  return {
    output: alertText(a, lang),
    priority: e.event === 'resolved' ? 'Informational' : PRIORITY[levelOf(a)],
    rule: titleOf(a, 'en'),
    time: a.time,
    output_fields: fields,
    source: 'minehunter',
    tags,
    hostname: a.host,
  };
}
