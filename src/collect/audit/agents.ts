// Which anti-virus, EDR and cloud security agents left files on the target (install directories,
// service files) and how old ClamAV's signature databases are, from their headers.
import { AGENTS } from '../../audit/agents.js';
import type { AgentFacts } from '../../snapshot/audit.js';
import type { TargetFs } from '../../target/fs.js';

const MONTHS: Record<string, string> = {
  Jan: '01',
  Feb: '02',
  Mar: '03',
  Apr: '04',
  May: '05',
  Jun: '06',
  Jul: '07',
  Aug: '08',
  Sep: '09',
  Oct: '10',
  Nov: '11',
  Dec: '12',
};

/** `ClamAV-VDB:14 Nov 2024 09-21 +0000:27456:…` → ISO time and version. */
export function parseCvdHeader(header: string): { builtAt?: string; version?: number } {
  const m = /^ClamAV-VDB:(\d{1,2}) (\w{3}) (\d{4}) (\d{2})-(\d{2}) ([+-]\d{4}):(\d+):/.exec(header);
  if (!m || !MONTHS[m[2]!]) return {};
  const tz = `${m[6]!.slice(0, 3)}:${m[6]!.slice(3)}`;
  const iso = `${m[3]}-${MONTHS[m[2]!]}-${m[1]!.padStart(2, '0')}T${m[4]}:${m[5]}:00${tz}`;
  const time = Date.parse(iso);
  return Number.isNaN(time)
    ? { version: Number(m[7]) }
    : { builtAt: new Date(time).toISOString(), version: Number(m[7]) };
}

export async function collectAgents(fs: TargetFs): Promise<AgentFacts> {
  const agents: AgentFacts['agents'] = [];
  for (const a of AGENTS) {
    const present: string[] = [];
    const traces: string[] = [];
    for (const p of a.paths) if (await fs.exists(p)) present.push(p);
    // A trace is whatever is left behind, a dangling service-file link of a removed agent included.
    for (const p of a.traces)
      if (
        await fs.lstat(p).then(
          () => true,
          () => false,
        )
      )
        traces.push(p);
    if (present.length || traces.length) agents.push({ agent: a.id, present, traces });
  }
  const clamInstalled = (await fs.exists('/usr/bin/clamscan')) || (await fs.exists('/usr/sbin/clamd'));
  const databases: AgentFacts['clamav']['databases'] = [];
  const dbDir = '/var/lib/clamav';
  for (const n of await fs.names(dbDir).catch(() => [])) {
    if (!/\.(?:cvd|cld)$/.test(n)) continue;
    const fh = await fs.open(`${dbDir}/${n}`).catch(() => undefined);
    if (!fh) continue;
    try {
      const buf = Buffer.alloc(512);
      const { bytesRead } = await fh.read(buf, 0, 512, 0);
      const parsed = parseCvdHeader(buf.subarray(0, bytesRead).toString('latin1'));
      databases.push({ file: `/var/lib/clamav/${n}`, ...parsed });
    } finally {
      await fh.close();
    }
  }
  return { agents, clamav: { installed: clamInstalled, databases } };
}
