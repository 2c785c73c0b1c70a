// systemd services and timers, system and per-user, parsed the way systemd loads them: the unit file
// from the first directory in precedence order, drop-ins (unit.d/*.conf) applied on top (an empty
// `ExecStart=` resets the list), the enabled state from .wants/.requires links, and the timer that
// starts a service. Masked units (linked to /dev/null) are left out: they never run.
import path from 'node:path';
import type { PersistenceEntry } from '../../../snapshot/persistence.js';
import { logicalLines, type RootReader } from './reader.js';

export const SYSTEM_UNIT_DIRS = [
  '/etc/systemd/system',
  '/run/systemd/system',
  '/usr/local/lib/systemd/system',
  '/lib/systemd/system',
  '/usr/lib/systemd/system',
];
export const USER_UNIT_DIRS = [
  '/etc/systemd/user',
  '/run/systemd/user',
  '/lib/systemd/user',
  '/usr/lib/systemd/user',
];
/** Per-user unit directories under each home, highest precedence first. */
export const HOME_UNIT_DIRS = ['.config/systemd/user', '.local/share/systemd/user'];

export type UnitSections = Map<string, Map<string, string[]>>;

/** Parses a unit file into section → key → values (in order; repeated keys accumulate). */
export function parseUnit(text: string, into: UnitSections = new Map()): UnitSections {
  let section = '';
  for (const l of logicalLines(text)) {
    if (l.text.startsWith(';')) continue;
    const head = /^\[([^\]]+)\]$/.exec(l.text);
    if (head) {
      section = head[1]!;
      if (!into.has(section)) into.set(section, new Map());
      continue;
    }
    const eq = l.text.indexOf('=');
    if (eq <= 0 || section === '') continue;
    const key = l.text.slice(0, eq).trim();
    const value = l.text.slice(eq + 1).trim();
    const keys = into.get(section)!;
    // An empty assignment resets list-valued settings such as ExecStart in a drop-in.
    if (value === '') keys.set(key, []);
    else keys.set(key, [...(keys.get(key) ?? []), value]);
  }
  return into;
}

const EXEC_KEYS = ['ExecStartPre', 'ExecStart', 'ExecStartPost', 'ExecReload', 'ExecStop', 'ExecStopPost'];

/** `ExecStart=-@/usr/bin/x arg0 …`: the prefixes change error handling and argv[0], not the program. */
export function execCommand(value: string): string {
  const m = /^[-@:+!]*(.*)$/.exec(value);
  return (m?.[1] ?? value).trim();
}

interface UnitFile {
  name: string;
  file: string;
  scope: 'system' | 'user';
  /** The directory set the unit was found in (for drop-ins and wants links). */
  dirs: string[];
}

async function scanScope(
  reader: RootReader,
  dirs: string[],
  scope: 'system' | 'user',
  files: string[],
): Promise<{
  units: Map<string, UnitFile>;
  dropIns: Map<string, string[]>;
  enabledBy: Map<string, string[]>;
}> {
  const units = new Map<string, UnitFile>();
  const dropInByName = new Map<string, Map<string, string>>();
  const enabledBy = new Map<string, string[]>();
  const listed = new Set<string>();
  for (const dir of dirs) {
    // /lib is /usr/lib on a merged-/usr system: its second name holds no unit, drop-in or link the
    // first did not, and listing its few hundred entries again is skipped.
    const id = reader.identity(dir);
    if (id !== undefined && listed.has(id)) continue;
    if (id !== undefined) listed.add(id);
    for (const e of await reader.list(dir)) {
      if (e.isDir && /\.(?:wants|requires|upholds)$/.test(e.name)) {
        const target = e.name.replace(/\.(?:wants|requires|upholds)$/, '');
        for (const link of await reader.list(e.path)) {
          const names = [link.name];
          // An instance link (getty@tty1.service) enables the template (getty@.service).
          const tmpl = /^([^@]+@)[^.]+(\.\w+)$/.exec(link.name);
          if (tmpl) names.push(`${tmpl[1]}${tmpl[2]}`);
          for (const n of names) {
            const list = enabledBy.get(n) ?? [];
            if (!list.includes(target)) list.push(target);
            enabledBy.set(n, list);
          }
        }
        continue;
      }
      if (e.isDir && e.name.endsWith('.d')) {
        const unit = e.name.slice(0, -2);
        for (const conf of await reader.list(e.path)) {
          if (!conf.name.endsWith('.conf')) continue;
          const byName = dropInByName.get(unit) ?? new Map<string, string>();
          // The same drop-in name in a higher-precedence directory wins.
          if (!byName.has(conf.name)) byName.set(conf.name, conf.path);
          dropInByName.set(unit, byName);
        }
        continue;
      }
      if (!/\.(?:service|timer)$/.test(e.name) || units.has(e.name)) continue;
      if (e.isLink && (await reader.linkTarget(e.path)) === '/dev/null') {
        // Masked: record the name so a lower-precedence copy is not taken instead.
        units.set(e.name, { name: e.name, file: '', scope, dirs });
        continue;
      }
      units.set(e.name, { name: e.name, file: e.path, scope, dirs });
    }
  }
  const dropIns = new Map<string, string[]>();
  for (const [unit, byName] of dropInByName) {
    dropIns.set(
      unit,
      [...byName.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, p]) => p),
    );
  }
  for (const u of units.values()) if (u.file) files.push(u.file);
  for (const list of dropIns.values()) files.push(...list);
  return { units, dropIns, enabledBy };
}

function schedule(timer: UnitSections): string | undefined {
  const keys = timer.get('Timer');
  if (!keys) return undefined;
  const parts: string[] = [];
  for (const k of [
    'OnCalendar',
    'OnBootSec',
    'OnStartupSec',
    'OnActiveSec',
    'OnUnitActiveSec',
    'OnUnitInactiveSec',
  ])
    for (const v of keys.get(k) ?? []) parts.push(`${k}=${v}`);
  return parts.length ? parts.join(' ') : undefined;
}

async function unitEntries(
  reader: RootReader,
  scan: Awaited<ReturnType<typeof scanScope>>,
  user: string | undefined,
): Promise<PersistenceEntry[]> {
  const parsed = new Map<string, { sections: UnitSections; dropIns: string[] }>();
  const load = async (u: UnitFile) => {
    const text = await reader.text(u.file);
    if (text === undefined) return undefined;
    const sections = parseUnit(text);
    // Drop-ins of the template apply to its instances too; `service.d` covers every service.
    const tmpl = /^([^@]+@)[^.]*(\.\w+)$/.exec(u.name);
    const type = u.name.slice(u.name.lastIndexOf('.') + 1);
    const keys = [`${type}`, ...(tmpl ? [`${tmpl[1]}${tmpl[2]}`] : []), u.name];
    const dropIns = keys.flatMap((k) => scan.dropIns.get(k) ?? []);
    for (const d of dropIns) {
      const dt = await reader.text(d);
      if (dt !== undefined) parseUnit(dt, sections);
    }
    return { sections, dropIns };
  };
  for (const u of scan.units.values()) {
    if (!u.file) continue;
    const p = await load(u);
    if (p) parsed.set(u.name, p);
  }
  // Timers name the service they start (Unit=, default: the same name).
  const timerOf = new Map<string, { name: string; schedule?: string }>();
  for (const [name, p] of parsed) {
    if (!name.endsWith('.timer')) continue;
    const target = p.sections.get('Timer')?.get('Unit')?.at(-1) ?? name.replace(/\.timer$/, '.service');
    const s = schedule(p.sections);
    timerOf.set(target, { name, ...(s ? { schedule: s } : {}) });
  }
  const out: PersistenceEntry[] = [];
  for (const [name, p] of parsed) {
    if (!name.endsWith('.service')) continue;
    const service = p.sections.get('Service');
    if (!service) continue;
    const runAs = service.get('User')?.at(-1) ?? user ?? 'root';
    const description = p.sections.get('Unit')?.get('Description')?.at(-1);
    const timer = timerOf.get(name);
    const u = scan.units.get(name)!;
    for (const directive of EXEC_KEYS) {
      for (const value of service.get(directive) ?? []) {
        const entry: PersistenceEntry = {
          place: 'systemd',
          file: u.file,
          user: runAs,
          command: execCommand(value),
          text: `${directive}=${value}`,
          unit: {
            name,
            scope: u.scope,
            directive,
            enabledBy: [
              ...(scan.enabledBy.get(name) ?? []),
              ...(timer ? (scan.enabledBy.get(timer.name) ?? []).map((t) => `${t} (via ${timer.name})`) : []),
            ],
            dropIns: p.dropIns,
            ...(description ? { description } : {}),
            ...(timer ? { timer: timer.name } : {}),
          },
        };
        if (timer?.schedule) entry.schedule = timer.schedule;
        out.push(entry);
      }
    }
  }
  return out;
}

export async function collectSystemd(
  reader: RootReader,
  homes: { user: string; home: string }[],
): Promise<{ entries: PersistenceEntry[]; files: string[] }> {
  const files: string[] = [];
  const entries: PersistenceEntry[] = [];
  const system = await scanScope(reader, SYSTEM_UNIT_DIRS, 'system', files);
  entries.push(...(await unitEntries(reader, system, undefined)));
  // User units that ship with the system (or an admin put in /etc/systemd/user) run for every user.
  const shared = await scanScope(reader, USER_UNIT_DIRS, 'user', files);
  entries.push(...(await unitEntries(reader, shared, '(each user)')));
  for (const { user, home } of homes) {
    const dirs = HOME_UNIT_DIRS.map((d) => path.posix.join(home, d));
    const own = await scanScope(reader, dirs, 'user', files);
    if (own.units.size === 0) continue;
    entries.push(...(await unitEntries(reader, own, user)));
  }
  return { entries, files: [...new Set(files)] };
}
